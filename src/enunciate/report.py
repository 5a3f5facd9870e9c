"""`enunciate report`: bench results (and, optionally, `enunciate eval` results) as a Markdown page and
a self-contained HTML page, with PNG plots (matplotlib, Agg).

    build_report(["bench-out/bench.json", "eval.json"], "report/")
    # -> report/report.md, report/report.html (images inline as data: URIs), report/*.png

Tables: the runs (machine, threads, rounds), size on disk with parameter and non-zero counts,
CPU time, GPU time (or a line saying it is pending when no run used CUDA), and quality when eval
results are given: an eval engine is matched to a variant by the name or folder it was given as.
Plots: quality against real-time factor with the Pareto front marked (no variant both faster and
better), size bars, and latency per sentence as a box per variant.

Figures from different bench runs sit in the same tables but are only comparable within a run
(the machines here differ 3-4x in speed): each variant carries its run's number when there are
several.
"""
from __future__ import annotations

import base64
import html
import json
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .cache import write_atomically
from .errors import EnunciateError

log = logging.getLogger(__name__)

# The quality measures the report knows, in order of preference for the plot: key, label, higher is better.
QUALITY = (("distillmos", "DistillMOS", True), ("term_hit_rate", "term hit rate", True), ("wer", "WER", False),
           ("dnsmos_ovrl", "DNSMOS OVRL", True), ("similarity", "speaker similarity", True))


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)


@dataclass
class ReportFiles:
    markdown: Path
    html: Path
    images: list[Path]


@dataclass
class _Row:
    """A variant of one bench run, with its quality figures when an eval named it."""

    label: str
    run: int
    data: dict
    quality: dict = field(default_factory=dict)

    @property
    def s(self) -> dict:
        return self.data["summary"]


# ------------------------------------------------------------------------------ inputs

def load_inputs(paths: Sequence[str | os.PathLike]) -> tuple[list[dict], list[dict]]:
    """(bench results, eval results) from JSON files, told apart by their content."""
    from .bench.run import FORMAT

    benches, evals = [], []
    for path in paths:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise EnunciateError(f"cannot read {path}: {e}") from e
        if isinstance(data, dict) and data.get("format") == FORMAT:
            benches.append(data)
        elif isinstance(data, dict) and data.get("mode") in ("voices", "compare", "intrusive"):
            evals.append(data)
        else:
            raise EnunciateError(f"{path} is neither an `enunciate bench` result (bench.json) nor an "
                                 "`enunciate eval --json` result")
    if not benches:
        raise EnunciateError("give at least one bench result (bench.json from `enunciate bench --out DIR`)")
    return benches, evals


def _names(variant: dict) -> set[str]:
    """The names `enunciate eval` may have given this variant: the voice as given (or its folder's
    name) on its default engine; VOICE-torch for a voice's PyTorch module when that is not its default."""
    voice = variant["voice"].rstrip("/")
    names = {voice, Path(voice).name}
    if variant.get("default_engine", True):
        return names | {variant["name"]}
    return {f"{n}-{variant['engine']}" for n in names}


def _rows(benches: list[dict], evals: list[dict]) -> list[_Row]:
    quality = {}
    for e in evals:
        for engine in e.get("engines", []) if e["mode"] == "voices" else []:
            name = engine["name"].split("@")[0]
            quality.setdefault(name, engine)
            quality.setdefault(Path(name).name, engine)
    rows = []
    for k, bench in enumerate(benches, start=1):
        for v in bench["variants"]:
            label = v["name"] if len(benches) == 1 else f"{v['name']} [{k}]"
            match = next((quality[n] for n in sorted(_names(v)) if n in quality), {})
            rows.append(_Row(label, k, v, match))
    return rows


# ------------------------------------------------------------------------------ tables

def _f(value, digits: int = 1, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if pct:
        return f"{100 * value:.{digits}f}%"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def _ci(value, ci, digits: int = 2, pct: bool = False) -> str:
    text = _f(value, digits, pct)
    if text == "-" or not ci or None in ci:
        return text
    lo, hi = (100 * c if pct else c for c in ci)
    return f"{text} [{lo:.{digits}f}, {hi:.{digits}f}]"


def runs_table(benches: list[dict]) -> Table:
    rows = []
    for k, b in enumerate(benches, start=1):
        m, t, c = b["machine"], b["threads"], b["config"]
        threads = f"ORT {t['onnxruntime_intra_op']}" + (f", torch {t['torch_intra_op']}" if t.get("torch_intra_op")
                                                       else "")
        rows.append([str(k), b["created"], m.get("cpu", "?"), ", ".join(m.get("isa") or []) or "-",
                     m.get("gpu") or "-", threads, f"{c['rounds']} x {len(c['texts'])} (+{c['warmup']} warm-up)"])
    return Table("Runs", ["run", "when", "CPU", "ISA", "GPU", "threads", "rounds x texts"], rows,
                 ["Times are comparable within one run only: each run interleaves its variants on one machine."])


def _voices(rows: list[_Row]) -> list[_Row]:
    """One row per voice of a run: its variants on other engines share its files."""
    seen, out = set(), []
    for r in rows:
        if (r.run, r.data["voice"]) not in seen:
            seen.add((r.run, r.data["voice"]))
            out.append(r)
    return out


def size_table(rows: list[_Row]) -> Table:
    out = []
    for r in _voices(rows):
        v, m = r.data, r.data.get("metrics") or {}
        params, nonzero = m.get("parameters"), m.get("nonzero")
        sparsity = _f(1 - nonzero / params, 1, pct=True) if params and nonzero is not None else "-"
        made = f"{v['parent']} / {v['method']}" if v.get("parent") else "-"
        out.append([r.label, v["family"], made, _f(v["size_bytes"] / 1e6), _f(params), _f(nonzero), sparsity,
                    _f(m.get("quantized_tensors"))])
    return Table("Size on disk", ["variant", "family", "parent / method", "MB", "parameters", "non-zero",
                                  "sparsity", "quantized tensors"], out,
                 ["MB: the voice's files as measured; parameter counts come from voice.json (written by "
                  "`enunciate optimize`), '-' where no tool recorded them."])


def cpu_table(rows: list[_Row], batches: list[int]) -> Table:
    cpu = [r for r in rows if r.data["device"] == "cpu"]
    native = any(r.data["native_batches"] for r in cpu)
    header = ["variant", "engine", "RTF p50", "RTF p90", "latency p50 / p90 ms", "TTFA p50 / p90 ms"]
    header += [f"batch {b} audio-s/s" for b in batches] if native else []
    header += ["peak RSS MB", "voice's RSS MB"]
    out = []
    for r in cpu:
        s = r.s
        row = [r.label, r.data["engine"], _f(s["rtf_p50"], 4), _f(s["rtf_p90"], 4),
               f"{_f(s['latency_p50_ms'])} / {_f(s['latency_p90_ms'])}",
               f"{_f(s['ttfa_p50_ms'])} / {_f(s['ttfa_p90_ms'])}"]
        row += [_f(s.get(f"throughput_b{b}")) for b in batches] if native else []
        row += [_f(s["peak_rss_mb"], 0), _f(s["rss_delta_mb"], 0)]
        out.append(row)
    return Table("CPU time", header, out,
                 ["RTF: wall seconds per audio second of `speak` per sentence (lower is faster); TTFA: time to "
                  "the first chunk of `stream`; throughput only for engines with native batches."])


def gpu_table(rows: list[_Row], batches: list[int]) -> Table:
    gpu = [r for r in rows if r.data["device"].startswith("cuda")]
    largest = [max(batches)] if batches else []
    header = ["variant", "dtype", "RTF p50", "latency p50 / p90 ms", "TTFA p50 ms",
              *(f"batch {b} audio-s/s" for b in batches), "GPU mem MB", "GPU util %", "J / audio-s",
              *(f"{what} (batch {b})" for b in largest for what in ("GPU util %", "J / audio-s"))]
    out = []
    for r in gpu:
        s = r.s
        out.append([r.label, r.data["dtype"], _f(s["rtf_p50"], 4),
                    f"{_f(s['latency_p50_ms'])} / {_f(s['latency_p90_ms'])}", _f(s["ttfa_p50_ms"]),
                    *(_f(s.get(f"throughput_b{b}")) for b in batches), _f(s["gpu_mem_peak_mb"], 0),
                    _f(s["gpu_util_pct"], 0), _f(s["gpu_j_per_audio_s"], 3),
                    *(cell for b in largest for cell in (_f(s.get(f"gpu_util_pct_b{b}"), 0),
                                                         _f(s.get(f"gpu_j_per_audio_s_b{b}"), 3)))])
    notes = (["GPU mem: torch's peak allocation over every call. Utilisation and energy: NVML, over a few seconds "
              "of back-to-back calls per variant and mode after the timed rounds (`speak` one text after another, "
              "or `speak_batch` at a batch size); energy is the whole card's, idle power included, per second of "
              "audio made."] if gpu else
             ["Pending: no variant in these results ran on CUDA (`enunciate bench --device cuda --engines torch`)."])
    return Table("GPU time", header, out, notes)


def quality_table(rows: list[_Row], evals: list[dict]) -> list[Table]:
    tables = []
    rated = [r for r in rows if r.quality]
    if rated:
        out = [[r.label, _ci(r.quality.get("distillmos"), r.quality.get("distillmos_ci95")),
                _ci(r.quality.get("term_hit_rate"), r.quality.get("term_hit_rate_ci95"), 1, pct=True),
                _ci(r.quality.get("wer"), r.quality.get("wer_ci95"), 1, pct=True),
                _f(r.quality.get("dnsmos_ovrl"), 2), _f(r.s["rtf_p50"], 4)] for r in rated]
        sources = sorted({f"{e.get('sentences', '?')} sentences, Whisper {e.get('asr', '?')}" for e in evals
                          if e["mode"] == "voices"})
        tables.append(Table("Quality", ["variant", "DistillMOS [95% CI]", "term hit rate [95% CI]", "WER [95% CI]",
                                        "DNSMOS OVRL", "RTF p50 (bench)"], out,
                            [f"from `enunciate eval`: {'; '.join(sources)}"]))
    against = [r for r in rated if r.quality.get("against")]
    if against:
        out = []
        for r in against:
            diffs = {m["name"]: m for m in r.quality["against"]["differences"]}
            cells = [r.label]
            for name, digits, pct in (("distillmos", 2, False), ("term_hit_rate", 1, True), ("wer", 1, True)):
                m = diffs.get(name)
                cells.append(_ci(m["diff"], m["ci95"], digits, pct) + (" *" if m["beyond_noise"] else "")
                             if m else "-")
            intrusive = r.quality["against"]["intrusive"]
            cells += [_ci(intrusive[k]["mean"], intrusive[k]["ci95"], d) for k, d in
                      (("pesq_wb", 2), ("stoi", 3), ("mcd_db", 2), ("duration_ratio", 3))]
            out.append(cells)
        parents = sorted({r.quality["against"]["engine"] for r in against})
        tables.append(Table(f"Against the parent ({', '.join(parents)})",
                            ["variant", "DistillMOS change", "term hit rate change", "WER change", "PESQ-WB",
                             "STOI", "MCD dB", "duration ratio"], out,
                            ["variant minus parent on the same sentences, paired bootstrap 95% interval; * where "
                             "it excludes 0. PESQ-WB, STOI, MCD and duration ratio of each clip against the "
                             "parent's clip of the same sentence (`enunciate eval --against`)"]))
    for e in evals:
        if e["mode"] == "intrusive":
            out = [[name, _ci(m.get("mean"), m.get("ci95"), 3), str(m.get("n", "-"))]
                   for name, m in e["means"].items()]
            tables.append(Table(f"Against the parent: {e['test_dir']} vs {e['ref_dir']}",
                                ["metric", "mean [95% CI]", "clips"], out))
        elif e["mode"] == "compare":
            a, b = (s["name"] for s in e["engines"])
            out = [[m["name"], _f(m.get("a"), 3), _f(m.get("b"), 3), _ci(m.get("diff"), m.get("ci95"), 3),
                    "beyond noise" if m.get("beyond_noise") else "within noise"] for m in e["differences"]]
            tables.append(Table(f"Paired: {a} vs {b}", ["metric", "A", "B", "A - B [95% CI]", "verdict"], out))
    return tables


# ------------------------------------------------------------------------------ plots

def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats: lower or equal x (RTF) and higher or equal y
    (quality), better in at least one. Sorted by x."""
    front = []
    for i, (x, y) in enumerate(points):
        dominated = any((x2 <= x and y2 >= y) and (x2 < x or y2 > y) for j, (x2, y2) in enumerate(points) if j != i)
        if not dominated:
            front.append(i)
    return sorted(front, key=lambda i: points[i][0])


def _figure(width: float, height: float):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise EnunciateError("the report's plots need matplotlib: run `pip install 'enunciate[report]'`, "
                             "or pass --no-plots") from None
    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def _save(fig, path: Path) -> Path:
    try:
        return write_atomically(path, lambda tmp: fig.savefig(tmp, format="png"))
    except OSError as e:
        raise EnunciateError(f"cannot write {path}: {e.strerror or e}") from e


def quality_plot(rows: list[_Row], out: Path) -> Path | None:
    """Quality against RTF for the variants an eval rated, the Pareto front joined and marked."""
    for key, label, higher in QUALITY:
        rated = [r for r in rows if isinstance(r.quality.get(key), (int, float)) and r.s["rtf_p50"]]
        if rated:
            break
    else:
        return None
    sign = 1 if higher else -1
    points = [(r.s["rtf_p50"], sign * r.quality[key]) for r in rated]
    front = pareto_front(points)
    fig = _figure(7, 4.5)
    ax = fig.subplots()
    for i, r in enumerate(rated):
        ci = r.quality.get(f"{key}_ci95")
        y = r.quality[key]
        err = [[y - ci[0]], [ci[1] - y]] if ci and None not in ci else None
        ax.errorbar(r.s["rtf_p50"], y, yerr=err, fmt="o", color="#d62728" if i in front else "#1f77b4", capsize=3)
        ax.annotate(r.label, (r.s["rtf_p50"], y), textcoords="offset points", xytext=(5, 5), fontsize=8)
    ax.plot([rated[i].s["rtf_p50"] for i in front], [rated[i].quality[key] for i in front], "--", color="#d62728",
            label="Pareto front (none both faster and better)")
    if max(p[0] for p in points) / max(min(p[0] for p in points), 1e-9) > 20:
        ax.set_xscale("log")
    ax.set_xlabel("real-time factor, p50 (lower is faster)")
    ax.set_ylabel(f"{label} ({'higher' if higher else 'lower'} is better)")
    ax.set_title(f"{label} against speed")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, out)


def size_plot(rows: list[_Row], out: Path) -> Path:
    rows = _voices(rows)
    fig = _figure(7, 0.9 + 0.35 * len(rows))
    ax = fig.subplots()
    labels = [r.label for r in rows]
    sizes = [r.data["size_bytes"] / 1e6 for r in rows]
    bars = ax.barh(range(len(rows)), sizes, color="#1f77b4")
    ax.bar_label(bars, labels=[f"{s:.1f}" for s in sizes], padding=3, fontsize=8)
    ax.set_yticks(range(len(rows)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("size on disk (MB)")
    ax.set_title("Size on disk")
    return _save(fig, out)


def latency_plot(rows: list[_Row], out: Path) -> Path:
    fig = _figure(7, 1.0 + 0.4 * len(rows))
    ax = fig.subplots()
    data = [r.data["latency_ms"] for r in rows]
    ax.boxplot(data, orientation="horizontal", tick_labels=[r.label for r in rows], showfliers=True)
    ax.invert_yaxis()
    flat = [x for d in data for x in d if x > 0]
    if flat and max(flat) / min(flat) > 20:
        ax.set_xscale("log")
    ax.set_xlabel("latency per sentence (ms, `speak`)")
    ax.set_title("Latency per sentence")
    ax.grid(alpha=0.3, axis="x")
    return _save(fig, out)


# ------------------------------------------------------------------------------ pages

def _md_table(t: Table) -> str:
    lines = [f"## {t.title}", ""]
    if t.rows:
        lines += ["| " + " | ".join(t.header) + " |", "|" + "---|" * len(t.header)]
        lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in t.rows]
        lines.append("")
    lines += [f"- {n}" for n in t.notes]
    return "\n".join(lines).rstrip() + "\n"


def _html_table(t: Table) -> str:
    parts = [f"<h2>{html.escape(t.title)}</h2>"]
    if t.rows:
        parts.append("<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in t.header)
                     + "</tr></thead><tbody>")
        parts += ["<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in t.rows]
        parts.append("</tbody></table>")
    parts += [f"<p class=note>{html.escape(n)}</p>" for n in t.notes]
    return "\n".join(parts)


CSS = """body{font-family:system-ui,sans-serif;max-width:72em;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.note{color:#555;font-size:.9em;margin:.2em 0}
img{max-width:100%;display:block;margin:1em 0}code{background:#f3f3f3;padding:0 .2em}"""


def build_report(paths: Sequence[str | os.PathLike], out_dir: str | os.PathLike, plots: bool = True,
                 title: str = "enunciate: size, speed and quality of voices") -> ReportFiles:
    """Write report.md, report.html and the plots for bench (and eval) JSON files into `out_dir`."""
    from .captions import write_text_atomic

    benches, evals = load_inputs(paths)
    rows = _rows(benches, evals)
    batches = sorted({b for bench in benches for b in bench["config"]["batches"]})
    tables = [runs_table(benches), size_table(rows), cpu_table(rows, batches), gpu_table(rows, batches),
              *quality_table(rows, evals)]
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise EnunciateError(f"cannot make the report folder {out}: {e.strerror or e}") from e
    images: list[tuple[str, Path]] = []
    if plots:
        made = [("Quality against real-time factor", quality_plot(rows, out / "quality_vs_rtf.png")),
                ("Size on disk", size_plot(rows, out / "sizes.png")),
                ("Latency per sentence", latency_plot(rows, out / "latency.png"))]
        images = [(caption, path) for caption, path in made if path is not None]
    commands = [b["command"] for b in benches if b.get("command")] + [e["command"] for e in evals if e.get("command")]
    intro = [f"{len(rows)} variant(s) from {len(benches)} bench run(s)"
             + (f" and {len(evals)} eval result(s)" if evals else "; no quality results given (`enunciate eval "
                "--voices ... --mos --json FILE`, then pass FILE here)")]
    md = [f"# {title}", "", *intro, ""] + [f"- `{c}`" for c in commands] + [""]
    md += [_md_table(t) for t in tables]
    md += [f"![{caption}]({path.name})\n" for caption, path in images]
    markdown = write_text_atomic(out / "report.md", "\n".join(md).rstrip() + "\n")
    body = [f"<h1>{html.escape(title)}</h1>", *(f"<p>{html.escape(line)}</p>" for line in intro)]
    body += [f"<p class=note><code>{html.escape(c)}</code></p>" for c in commands]
    body += [_html_table(t) for t in tables]
    for caption, path in images:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        body.append(f"<h2>{html.escape(caption)}</h2><img alt=\"{html.escape(caption)}\" "
                    f"src=\"data:image/png;base64,{data}\">")
    page = (f"<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
    page_path = write_text_atomic(out / "report.html", page)
    return ReportFiles(markdown, page_path, [path for _, path in images])
