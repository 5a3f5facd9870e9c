"""`enunciate eval` and `enunciate listen-test`: argument parsing, the runs behind them, and their
tables, JSON, Markdown and (optional) MLflow output. Heavy imports wait inside the handlers, so
registering these subcommands costs `enunciate speak` nothing.

    enunciate eval --voices heart,joe,espeak-ng --mos --json out.json   # round trip per engine
    enunciate eval --compare heart heart-raw-espeak                     # paired: beyond noise?
    enunciate eval --ref-dir fp32/ --test-dir int8/                     # PESQ, STOI, MCD, F0, duration
    enunciate listen-test build --set A=dirA --set B=dirB -o test/ --ab
    enunciate listen-test score test/key.json ratings-*.json
"""
from __future__ import annotations

import argparse
import datetime
import json
import logging
import math
import shlex
import sys
from pathlib import Path

from ..errors import EnunciateError

log = logging.getLogger(__name__)

# The dev set in a source checkout (tests/ is not installed with the package: pass --terms elsewhere).
DEFAULT_TERMS = str(Path(__file__).resolve().parent / "data" / "tech_sentences.tsv")
MLFLOW_EXPERIMENT = "enunciate-eval"
LOWER_IS_BETTER = {"wer", "cer", "mcd_db", "f0_rmse_hz"}


# ---------------------------------------------------------------- parsers

def add_parser(subparsers) -> None:
    """Register `eval` and `listen-test` on the CLI's subparsers."""
    p = subparsers.add_parser(
        "eval", help="term hit rate, WER, MOS, similarity; paired comparisons; intrusive metrics",
        description="Evaluate engines (one mode per call): --voices, --compare A B, or --ref-dir/--test-dir. "
                    "An engine is a voice (enunciate's full path), VOICE-torch (its PyTorch module), espeak-ng, "
                    "heart-own-g2p, VOICE-raw-espeak, "
                    "or a folder of WAVs named by term-set id; NAME@N sets noise seed N.")
    mode = p.add_argument_group("mode")
    mode.add_argument("--voices", metavar="LIST", help="comma-separated engines: a round trip each")
    mode.add_argument("--compare", nargs=2, metavar=("A", "B"), help="paired bootstrap of A - B over sentences")
    mode.add_argument("--against", metavar="ENGINE",
                      help="with --voices: every other engine against this one of the list (a variant's "
                           "parent): paired bootstrap differences, and PESQ, STOI and MCD of its clips "
                           "against this one's clips of the same sentence")
    mode.add_argument("--ref-dir", metavar="DIR", help="intrusive metrics: reference clips ...")
    mode.add_argument("--test-dir", metavar="DIR", help="... against the test clips of the same name")
    p.add_argument("--terms", default=DEFAULT_TERMS, metavar="TSV", help=f"term set (default: {DEFAULT_TERMS})")
    p.add_argument("--asr", default="tiny.en", help="Whisper model: tiny.en (default) or base")
    p.add_argument("--mos", action="store_true", help="also predict MOS (DistillMOS; DNSMOS OVRL with --voices)")
    p.add_argument("--similarity-ref", metavar="WAV", help="speaker similarity of every clip to this one")
    p.add_argument("--split", choices=("tune", "test"),
                   help="only the tuning or the untuned test half of the term set (fixed by each id's hash)")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N sentences")
    p.add_argument("--threads", type=int, help="threads for the voices and models (default: ENUNCIATE_THREADS or <=4)")
    p.add_argument("--seed", type=int, default=0, help="noise seed of the voices (default 0; NAME@N overrides)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="device of VOICE-torch engines")
    p.add_argument("--dtype", choices=("fp32", "fp16", "bf16"), default="fp32", help="precision of VOICE-torch engines")
    p.add_argument("--json", metavar="FILE", help="write every number, the command line and the machine")
    p.add_argument("--markdown", metavar="FILE", help="write the tables as Markdown")
    p.add_argument("--mlflow", action="store_true",
                   help="log to MLflow (needs `pip install 'enunciate[track]'`), to ./mlruns or --mlflow-uri")
    p.add_argument("--mlflow-uri", help="MLflow tracking URI or folder (default ./mlruns)")
    p.set_defaults(func=cmd_eval)

    p = subparsers.add_parser("listen-test", help="blinded MOS / A-B listening test: build the page, score ratings")
    sub = p.add_subparsers(dest="listen_command", required=True)
    b = sub.add_parser("build", help="copy clips under opaque names and write index.html + key.json")
    b.add_argument("--set", action="append", required=True, metavar="NAME=DIR", dest="sets",
                   help="a system and its folder of clips (same file name = same sentence); repeatable")
    b.add_argument("-o", "--out", required=True, help="new (or empty) folder for the test")
    b.add_argument("--seed", type=int, default=0, help="shuffling seed (default 0)")
    b.add_argument("--ab", action="store_true", help="also ask A/B preferences between systems per sentence")
    b.add_argument("--title", default="Listening test")
    b.set_defaults(func=cmd_listen_build)
    s = sub.add_parser("score", help="MOS per system and A/B preference shares with bootstrap 95%% CIs")
    s.add_argument("key", help="the test's key.json")
    s.add_argument("ratings", nargs="+",
                   help="ratings files downloaded from the page (.json or .csv), one per listener")
    s.add_argument("--json", metavar="FILE", help="write the scores as JSON")
    s.set_defaults(func=cmd_listen_score)


def main(argv: list[str]) -> int:
    """Run `eval ...` or `listen-test ...` without the CLI's error handling (EnunciateError propagates)."""
    parser = argparse.ArgumentParser(prog="enunciate")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    args.argv = ["enunciate", *argv]
    return args.func(args)


# ---------------------------------------------------------------- eval: setup

def _mode(args) -> str:
    modes = [m for m, on in (("voices", args.voices), ("compare", args.compare),
                             ("intrusive", args.ref_dir or args.test_dir)) if on]
    if len(modes) != 1:
        raise EnunciateError("choose one mode: --voices LIST, --compare A B, or --ref-dir DIR --test-dir DIR")
    if args.against and modes[0] != "voices":
        raise EnunciateError("--against goes with --voices (it names one of the listed engines)")
    if modes[0] == "intrusive" and not (args.ref_dir and args.test_dir):
        raise EnunciateError("intrusive mode needs both --ref-dir and --test-dir")
    if args.limit is not None and args.limit < 1:
        raise EnunciateError(f"--limit must be at least 1, got {args.limit}")
    if args.threads is not None and args.threads < 1:
        raise EnunciateError(f"--threads must be at least 1, got {args.threads}")
    for path in (args.json, args.markdown):
        if path and not (Path(path).parent if str(Path(path).parent) else Path(".")).is_dir():
            raise EnunciateError(f"cannot write {path}: folder {Path(path).parent} does not exist")
    if args.mlflow:
        from ..track import client

        client(getattr(args, "mlflow_uri", None))  # MLflow missing or the store unusable: fail before evaluating
    return modes[0]


def _items(args):
    from .terms import load_term_set, select_split

    if args.terms == DEFAULT_TERMS and not Path(DEFAULT_TERMS).is_file():
        raise EnunciateError(f"no term set at {DEFAULT_TERMS} (the dev set ships in a source checkout); "
                             "pass --terms FILE")
    items = select_split(load_term_set(args.terms), getattr(args, "split", None))
    return items[:args.limit] if args.limit else items


def _engines(specs: list[str], items, threads: int, seed: int, device: str = "cpu", dtype: str = "fp32"):
    """Engines for `specs` (all resolved before any runs, so a typo fails fast) and the items every
    folder among them has a clip for."""
    from .compare import FolderEngine, audio_files, resolve_engine

    if len(set(specs)) != len(specs):
        raise EnunciateError(f"an engine is listed twice in {','.join(specs)}; list each once")
    engines = [resolve_engine(spec, items, threads, seed, device, dtype) for spec in specs]
    for engine in engines:
        if isinstance(engine, FolderEngine):
            names = set(audio_files(engine.folder))
            missing = [item.id for item in items if item.id not in names]
            if missing:
                log.warning("%s has no clip for %d sentence(s) (%s%s); scoring the rest", engine.folder,
                            len(missing), ", ".join(missing[:3]), ", ..." if len(missing) > 3 else "")
            items = [item for item in items if item.id in names]
    return engines, items


def _reference_embedding(path: str | None, threads: int):
    if not path:
        return None
    from .compare import read_clip
    from .similarity import embed

    audio, rate = read_clip(path)
    try:
        return embed(audio, rate, threads)
    except EnunciateError as e:
        raise EnunciateError(f"--similarity-ref {path}: {e}") from None


# ---------------------------------------------------------------- eval: one engine

def score_engine(engine, items, asr: str, threads: int, mos: bool = False, dnsmos: bool = False,
                 reference=None, progress: bool = False):
    """Round trip of one engine, plus DNSMOS OVRL and speaker similarity from the same clips.

    Returns (RoundTrip, summary dict with per-sentence rows)."""
    import numpy as np

    from .compare import MIN_CLIP_S, FolderEngine
    from .engines import Engine
    from .roundtrip import run
    from .stats import bootstrap_ci

    clips: dict[str, tuple] = {}

    def recording_synth(text: str):
        audio, rate = engine.synth(text)
        if mos and len(audio) < MIN_CLIP_S * rate:  # the MOS models need 0.5 s; a failed rendering still gets scored
            log.warning("%s rendered %r in %.2f s; padded with silence for MOS", engine.name, text[:40],
                        len(audio) / rate)
            audio = np.pad(np.asarray(audio, np.float32), (0, int(MIN_CLIP_S * rate) - len(audio)))
        clips[text] = (audio, rate)
        return audio, rate

    folder = isinstance(engine, FolderEngine)
    if not folder:
        engine.synth(items[0].text)  # warm-up, so the first timed sentence does not pay for lazy loading
    result = run(Engine(engine.name, recording_synth), items, asr, threads, mos, progress)
    summary = result.summary()
    if folder:
        summary["rtf"] = None  # the clips were read from disk, not synthesized
    extra = {item.id: {} for item in items}
    if dnsmos:
        from .mos import dnsmos_score

        for item in _progress(items, f"{engine.name} DNSMOS", progress):
            extra[item.id]["dnsmos_ovrl"] = dnsmos_score(*clips[item.text], threads)["ovrl"]
    if reference is not None:
        from .similarity import embed

        for item in _progress(items, f"{engine.name} similarity", progress):
            try:
                extra[item.id]["similarity"] = float(np.dot(reference, embed(*clips[item.text], threads)))
            except EnunciateError as e:  # a silent or speechless rendering has no speaker
                log.warning("%s %s: no speaker similarity (%s)", engine.name, item.id, e)
                extra[item.id]["similarity"] = float("nan")
    for key in ("dnsmos_ovrl", "similarity"):
        values = [e[key] for e in extra.values() if key in e and math.isfinite(e[key])]
        if values:
            summary[key], summary[f"{key}_ci95"] = float(np.mean(values)), bootstrap_ci(values)
    summary["items"] = [{"id": i.id, "text": i.text, "transcript": i.transcript, "wer": i.wer, "cer": i.cer,
                         "audio_s": i.audio_s, "synth_s": i.synth_s, "distillmos": i.mos, **extra[i.id]}
                        for i in result.items]
    summary["misses"] = [{"id": r.id, "term": r.term, "transcript": r.transcript} for r in result.terms.failures]
    return result, summary, {item.id: clips[item.text] for item in items}


def against_baseline(run, baseline, threads: int, progress: bool = False) -> dict:
    """One engine's figures against a baseline's (a variant against its parent) on the same
    sentences: paired bootstrap differences of every round-trip metric, and the intrusive metrics
    (PESQ-WB, STOI, MCD, F0 RMSE, duration ratio) of each clip against the baseline's clip, each
    mean with a bootstrap interval over sentences."""
    from .compare import compare_round_trips, intrusive_means
    from .intrusive import compare

    (result, summary, clips), (base_result, base_summary, base_clips) = run, baseline
    differences = [{**m.__dict__, "ci95": (m.low, m.high), "beyond_noise": m.beyond_noise}
                   for m in compare_round_trips(result, base_result)]
    pairs = {}
    for item_id in _progress(list(clips), f"{summary['name']} vs {base_summary['name']}", progress):
        try:
            (ref, ref_rate), (deg, deg_rate) = base_clips[item_id], clips[item_id]
            pairs[item_id] = compare(ref, deg, ref_rate, deg_rate)
        except EnunciateError as e:  # a silent rendering has no PESQ: scored as missing, and said
            log.warning("%s %s: no intrusive metrics against %s (%s)", summary["name"], item_id,
                        base_summary["name"], e)
    return {"engine": base_summary["name"], "differences": differences, "intrusive": intrusive_means(pairs),
            "pairs": pairs}


def _progress(items, desc: str, on: bool):
    if not on:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="sentence", leave=False)


# ---------------------------------------------------------------- eval: modes

def cmd_eval(args) -> int:
    mode = _mode(args)
    from ..voices.base import default_threads

    threads = args.threads or default_threads()
    progress = sys.stderr.isatty()
    report = {"command": shlex.join(getattr(args, "argv", None) or ["enunciate", *sys.argv[1:]]),
              "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "mode": mode, "threads": threads}
    if mode == "intrusive":
        from .compare import compare_folders

        comparison = compare_folders(args.ref_dir, args.test_dir, progress)
        report |= {"ref_dir": args.ref_dir, "test_dir": args.test_dir, "means": comparison.means(),
                   "pairs": comparison.pairs, "only_ref": comparison.only_ref, "only_test": comparison.only_test}
        tables = [_intrusive_table(report)]
    else:
        items = _items(args)
        reference = _reference_embedding(args.similarity_ref, threads)
        specs = args.compare if mode == "compare" else [s.strip() for s in args.voices.split(",") if s.strip()]
        if not specs:
            raise EnunciateError("--voices is empty; list engines such as heart,joe,espeak-ng")
        engines, items = _engines(specs, items, threads, args.seed, args.device, args.dtype)
        report |= {"terms": args.terms, "split": getattr(args, "split", None), "asr": args.asr,
                   "sentences": len(items), "seed": args.seed, "similarity_ref": args.similarity_ref}
        if args.against and args.against not in specs:
            raise EnunciateError(f"--against {args.against} is not among --voices ({', '.join(specs)}); "
                                 "list it there too")
        runs = [score_engine(engine, items, args.asr, threads, args.mos, args.mos and mode == "voices",
                             reference, progress) for engine in engines]
        for spec, (_, summary, _) in zip(specs, runs):
            summary["name"] = spec
        report["engines"] = [summary for _, summary, _ in runs]
        if args.against:
            report["against"] = args.against
            baseline = runs[specs.index(args.against)]
            for spec, run in zip(specs, runs):
                if spec != args.against:
                    run[1]["against"] = against_baseline(run, baseline, threads, progress)
        if mode == "compare":
            from .compare import compare_round_trips

            metrics = compare_round_trips(runs[0][0], runs[1][0])
            report["differences"] = [{**m.__dict__, "ci95": (m.low, m.high), "beyond_noise": m.beyond_noise}
                                     for m in metrics]
            tables = [_compare_table(report)]
        else:
            tables = [_voices_table(report)] + ([_against_table(report)] if args.against else [])
    from ..hardware import cpu_info

    report["machine"] = cpu_info()
    report = _plain(report)
    for title, header, rows, notes in tables:
        print(_text_table(header, rows))
        for note in notes:
            print(note)
    _write_outputs(args, report, tables)
    return 0


# ---------------------------------------------------------------- eval: tables

def _pct(value, ci=None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    text = f"{100 * value:.1f}%"
    return text + (f" [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]" if ci else "")


def _num(value, ci=None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    text = f"{value:.{digits}f}"
    return text + (f" [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]" if ci else "")


def _voices_table(report: dict):
    engines = report["engines"]
    columns = [("engine", lambda s: s["name"]),
               ("terms hit [95% CI]", lambda s: _pct(s["term_hit_rate"], s["term_hit_rate_ci95"])),
               ("WER [95% CI]", lambda s: _pct(s["wer"], s["wer_ci95"])),
               ("CER", lambda s: _pct(s["cer"]))]
    if any("distillmos" in s for s in engines):
        columns.append(("DistillMOS [95% CI]", lambda s: _num(s.get("distillmos"), s.get("distillmos_ci95"))))
    if any("dnsmos_ovrl" in s for s in engines):
        columns.append(("DNSMOS OVRL", lambda s: _num(s.get("dnsmos_ovrl"))))
    if any("similarity" in s for s in engines):
        columns.append(("similarity [95% CI]", lambda s: _num(s.get("similarity"), s.get("similarity_ci95"))))
    columns.append(("RTF", lambda s: _num(s["rtf"], digits=3)))
    rows = [[cell(s) for _, cell in columns] for s in engines]
    notes = [f"{s['name']}: {s['terms'] - round(s['term_hit_rate'] * s['terms'])} of {s['terms']} terms missed: "
             f"{', '.join(s['failed_terms']) or 'none'}" for s in engines]
    notes.append(f"{report['sentences']} sentences from {report['terms']}, heard by Whisper {report['asr']}; "
                 f"{report['threads']} threads")
    return "Round trip", [c for c, _ in columns], rows, notes


def _compare_table(report: dict):
    a, b = (s["name"] for s in report["engines"])
    names = {"term_hit_rate": "terms hit", "wer": "WER", "distillmos": "DistillMOS"}
    rows = []
    for m in report["differences"]:
        fmt = _num if m["name"] == "distillmos" else _pct
        if m["beyond_noise"]:
            better = a if (m["diff"] > 0) != (m["name"] in LOWER_IS_BETTER) else b
            verdict = f"beyond noise ({better} better)"
        else:
            verdict = "within noise"
        rows.append([names.get(m["name"], m["name"]), fmt(m["a"]), fmt(m["b"]),
                     fmt(m["diff"], m["ci95"]), verdict])
    notes = [f"paired bootstrap over {report['sentences']} sentences (2000 resamples); beyond noise: "
             + "the 95% interval of A - B excludes 0"]
    return "Paired comparison", ["metric", f"A: {a}", f"B: {b}", "A - B [95% CI]", "verdict"], rows, notes


def _against_table(report: dict):
    """Every engine against the baseline: paired differences and intrusive metrics, one row each."""
    rows = []
    for s in report["engines"]:
        if "against" not in s:
            continue
        diffs = {m["name"]: m for m in s["against"]["differences"]}
        cells = [s["name"]]
        for name, fmt in (("distillmos", _num), ("term_hit_rate", _pct), ("wer", _pct)):
            m = diffs.get(name)
            cells.append(fmt(m["diff"], m["ci95"]) + (" *" if m["beyond_noise"] else "") if m else "-")
        intrusive = s["against"]["intrusive"]
        cells += [_num(intrusive[k]["mean"], intrusive[k]["ci95"], d) for k, d in
                  (("pesq_wb", 2), ("stoi", 3), ("mcd_db", 2), ("duration_ratio", 3))]
        rows.append(cells)
    notes = [f"A - {report['against']} on the same {report['sentences']} sentences: paired bootstrap (2000 "
             "resamples), * where the 95% interval excludes 0; PESQ-WB, STOI, MCD-DTW and duration ratio of "
             f"each clip against {report['against']}'s clip of the same sentence, mean [95% CI]"]
    return (f"Against {report['against']}", ["engine", "DistillMOS change", "terms hit change", "WER change",
                                              "PESQ-WB", "STOI", "MCD dB", "duration ratio"], rows, notes)


def _intrusive_table(report: dict):
    labels = {"pesq_wb": ("PESQ-WB", "higher"), "stoi": ("STOI", "higher"), "mcd_db": ("MCD-DTW (dB)", "lower"),
              "f0_rmse_hz": ("F0 RMSE (Hz)", "lower"), "duration_ratio": ("duration ratio", "1 = same")}
    rows = [[labels[name][0], _num(m["mean"], m["ci95"], 3), str(m["n"]), labels[name][1]]
            for name, m in report["means"].items()]
    notes = [f"{len(report['pairs'])} clip pairs: {report['test_dir']} against {report['ref_dir']}"]
    for side in ("only_ref", "only_test"):
        if report[side]:
            folder = report["ref_dir" if side == "only_ref" else "test_dir"]
            notes.append(f"only in {folder} (skipped): {', '.join(report[side][:10])}"
                         f"{' ...' if len(report[side]) > 10 else ''}")
    return "Intrusive metrics", ["metric", "mean [95% CI]", "clips", "better"], rows, notes


def _text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _markdown(report: dict, tables) -> str:
    out = [f"# enunciate eval ({report['mode']})", "", f"`{report['command']}`", "",
           f"{report['created']}; {report['machine']['cpu']}, {report['threads']} threads", ""]
    for title, header, rows, notes in tables:
        out += [f"## {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
        out += [""] + [f"- {note}" for note in notes] + [""]
    if report["mode"] == "intrusive":
        names = list(report["means"])
        out += ["## Per clip", "", "| clip | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 1)]
        out += [f"| {clip} | " + " | ".join(_num(v[n], digits=3) for n in names) + " |"
                for clip, v in report["pairs"].items()]
        out.append("")
    for engine in report.get("engines", []):
        if engine["misses"]:
            out += [f"## Missed terms: {engine['name']}", "", "| id | term | heard |", "|---|---|---|"]
            out += [f"| {m['id']} | {m['term']} | {m['transcript'].replace('|', '/')} |" for m in engine["misses"]]
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# ---------------------------------------------------------------- eval: output

def _plain(value):
    """JSON-ready: NaN -> null, tuples -> lists, numpy scalars -> Python numbers."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _write_outputs(args, report: dict, tables) -> None:
    from ..captions import write_text_atomic

    if args.json:
        write_text_atomic(args.json, json.dumps(report, indent=1, ensure_ascii=False, default=str) + "\n")
    if args.markdown:
        write_text_atomic(args.markdown, _markdown(report, tables))
    if args.mlflow:
        _log_mlflow(report, [p for p in (args.json, args.markdown) if p], args.mlflow_uri)


def _flat_metrics(summary: dict, prefix: str = "") -> dict[str, float]:
    metrics = {}
    for key, value in summary.items():
        if isinstance(value, bool) or key in ("items", "misses", "failed_terms"):
            continue
        if isinstance(value, (int, float)) and value is not None:
            metrics[prefix + key] = float(value)
        elif key.endswith("ci95") and isinstance(value, list) and None not in value:
            metrics[prefix + key + "_low"], metrics[prefix + key + "_high"] = map(float, value)
    return metrics


def _log_mlflow(report: dict, artifacts: list[str], uri: str | None = None) -> None:
    """One MLflow run per engine (or per comparison), through enunciate.track (the one module that
    imports mlflow), to ./mlruns unless `uri` says otherwise."""
    params = {k: report[k] for k in ("mode", "command", "threads", "terms", "asr", "sentences", "seed")
              if report.get(k) is not None}
    if report["mode"] == "voices":
        runs = [(s["name"], _flat_metrics(s)) for s in report["engines"]]
    elif report["mode"] == "compare":
        runs = [(" vs ".join(s["name"] for s in report["engines"]),
                 {f"{m['name']}_{k}": m[k] for m in report["differences"] for k in ("a", "b", "diff", "low", "high")
                  if m[k] is not None})]
    else:
        runs = [(f"{report['test_dir']} vs {report['ref_dir']}",
                 {f"{name}_{k}": v for name, m in report["means"].items() if m["mean"] is not None
                  for k, v in (("mean", m["mean"]), ("ci95_low", m["ci95"][0]), ("ci95_high", m["ci95"][1]))})]
    from ..track import RunRecord, log_many

    log_many(MLFLOW_EXPERIMENT, [RunRecord(run_name, params | {"engine": run_name},
                                           {k: v for k, v in metrics.items() if v is not None}, tuple(artifacts))
                                 for run_name, metrics in runs], uri=uri)


# ---------------------------------------------------------------- listen-test

def cmd_listen_build(args) -> int:
    from .listen_test import build

    sets = {}
    for spec in args.sets:
        name, eq, folder = spec.partition("=")
        if not eq or not name.strip() or not folder.strip():
            raise EnunciateError(f"--set {spec!r}: write NAME=FOLDER, e.g. --set fp32=out/fp32")
        if name.strip() in sets:
            raise EnunciateError(f"--set {name.strip()!r} is given twice; name each system once")
        sets[name.strip()] = folder.strip()
    test = build(sets, args.out, seed=args.seed, ab=args.ab, title=args.title)
    print(f"{test.out_dir}: {test.n_clips} clips from {len(sets)} systems"
          f"{f', {test.n_pairs} A/B pairs' if args.ab else ''}; open {test.out_dir / 'index.html'}")
    print(f"the key is {test.out_dir / 'key.json'}: move it out of the folder before sharing the test")
    return 0


def cmd_listen_score(args) -> int:
    from .listen_test import score

    result = score(args.key, args.ratings)
    listeners = result["listeners"]
    over = "listeners" if len(listeners) > 1 else "ratings"
    rows = [[system, _num(m["mean"], m["ci95"]), str(m["n_ratings"]), str(m["n_listeners"])]
            for system, m in result["mos"].items()]
    print(_text_table(["system", f"MOS [95% CI over {over}]", "ratings", "listeners"], rows))
    if result["preferences"]:
        print()
        rows = [[f"{p['a']} vs {p['b']}", _pct(p["share_a"], p["ci95"]), f"{p['a_wins']}/{p['ties']}/{p['b_wins']}"]
                for p in result["preferences"]]
        print(_text_table(["pair", "A preferred [95% CI]", "A/tie/B"], rows))
    print(f"{len(listeners)} listener(s): {', '.join(listeners)}")
    if args.json:
        from ..captions import write_text_atomic

        write_text_atomic(args.json, json.dumps(_plain(result), indent=1, ensure_ascii=False) + "\n")
    return 0
