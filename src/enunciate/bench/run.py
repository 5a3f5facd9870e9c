"""`enunciate bench`: voices and their variants measured side by side in one run, interleaved.

    result = run(BenchConfig(("heart", "joe", "./joe-int8"), threads=2, rounds=3))
    result.write("bench-out")          # bench.json (every sample), bench.csv, bench.md

A variant is a voice (name or folder) on one engine and device. Each round runs every variant on
every text in turn, and the variants' order rotates from round to round: on shared cores the
machine's speed drifts by tens of percent within minutes, more than many differences being
measured, so only variants timed in the same stretch of time can be compared.

Per variant: latency of `speak` per sentence (p50/p90) and its real-time factor (wall / audio
seconds, lower is faster); time to first audio of `stream` with the first chunk cut at a clause
(SpeakOptions.first_chunk_symbols); throughput of `speak_batch` (audio seconds per wall second) at
each batch size, for engines with native batches only (the others would just loop); size on disk
(the manifest's files, measured); parameter and non-zero counts from voice.json's metrics when a
tool recorded them; peak RSS; and on CUDA the peak memory torch allocated and, from NVML, the GPU's
utilisation and energy per audio second (the whole card's energy, idle power included), read over
a stretch of back-to-back calls per variant after the interleaved rounds (`_gpu_stretch` says why).

Peak RSS is measured in a fresh child process per variant, which loads the voice and speaks each
text once (through speak, stream and every batch size): a process's peak RSS is one high-water
mark, so in the one process that interleaves the variants a getrusage delta reads zero for any
variant that peaks lower than one run before it. The child reads its peak as VmHWM (its own
address space's high-water mark; ru_maxrss would include the parent's RSS, which Linux carries
into a child over fork and exec) and its RSS before the voice loads (Python, numpy, onnxruntime
imported), so the delta is the variant's own: its weights, its sessions' buffers and the frontend.
"""
from __future__ import annotations

import csv
import datetime
import io
import json
import logging
import math
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..errors import EnunciateError
from ..options import DTYPES, ENGINES, SpeakOptions, VoiceSpec

log = logging.getLogger(__name__)

FORMAT = "enunciate-bench/1"
DEFAULT_TEXTS = 8
FIRST_CHUNK_SYMBOLS = 60
# evaluate.terms.DEV_SET, named again here: importing that module needs the eval extra (num2words),
# and the bench needs only the sentences.
DEV_SET = Path(__file__).resolve().parents[1] / "evaluate" / "data" / "tech_sentences.tsv"


@dataclass(frozen=True)
class BenchConfig:
    """What to measure and how. texts=() takes the first DEFAULT_TEXTS sentences of the dev set;
    engines=None runs each voice on its default engine (torch on a CUDA device when it has one)."""

    voices: tuple[str, ...]
    engines: tuple[str, ...] | None = None
    device: str = "cpu"
    dtype: str = "fp32"
    threads: int = 2
    texts: tuple[str, ...] = ()
    rounds: int = 3
    warmup: int = 1
    batches: tuple[int, ...] = (1, 8)
    seed: int = 0
    first_chunk_symbols: int = FIRST_CHUNK_SYMBOLS
    peak_rss: bool = True
    energy_s: float = 3.0   # CUDA: seconds of back-to-back work per variant and mode under the NVML meter

    def __post_init__(self):
        if not self.voices:
            raise EnunciateError("name at least one voice or voice folder to benchmark")
        for name in self.engines or ():
            if name not in ENGINES:
                raise EnunciateError(f"unknown engine {name!r}; available: {', '.join(ENGINES)}")
        if self.device != "cpu" and not self.device.startswith("cuda"):
            raise EnunciateError(f"unknown device {self.device!r}; available: cpu, cuda")
        if self.dtype not in DTYPES:
            raise EnunciateError(f"unknown dtype {self.dtype!r}; available: {', '.join(DTYPES)}")
        for name, low in (("threads", 1), ("rounds", 1), ("warmup", 0)):
            if getattr(self, name) < low:
                raise EnunciateError(f"{name} must be at least {low}, got {getattr(self, name)}")
        if any(b < 1 for b in self.batches):
            raise EnunciateError(f"batch sizes must be at least 1, got {', '.join(map(str, self.batches))}")
        if self.first_chunk_symbols < 20:
            raise EnunciateError(f"first_chunk_symbols must be at least 20, got {self.first_chunk_symbols}")


def default_texts(n: int = DEFAULT_TEXTS) -> tuple[str, ...]:
    """The first `n` sentences of the dev set (the term set `enunciate eval` scores by default)."""
    if not DEV_SET.is_file():
        raise EnunciateError(f"no dev set at {DEV_SET}; pass --texts FILE")
    return read_texts(DEV_SET)[:n]


def read_texts(path: str | os.PathLike) -> tuple[str, ...]:
    """Sentences to time: a term-set .tsv (its text column; its term patterns are not needed, so the
    eval extra is not either), or one sentence a line ('#' starts a comment)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise EnunciateError(f"cannot read the texts {path}: {e}") from e
    lines = [s.strip() for s in lines if s.strip() and not s.lstrip().startswith("#")]
    if path.suffix.lower() == ".tsv":
        if not lines or lines[0].split("\t")[:2] != ["id", "text"]:
            raise EnunciateError(f"{path}: a term-set .tsv starts with the header id<TAB>text<TAB>terms")
        lines = [line.split("\t")[1].strip() for line in lines[1:] if len(line.split("\t")) > 1]
    texts = tuple(s for s in lines if s)
    if not texts:
        raise EnunciateError(f"{path} holds no sentence: write one a line")
    return texts


# ------------------------------------------------------------------------------ results

@dataclass
class GpuStretch:
    """NVML's readings over one stretch of back-to-back work of one variant in one mode."""

    energy_j: float | None
    audio_s: float
    wall_s: float
    util_pct: float | None


@dataclass
class VariantResult:
    """One variant's identity and every timed sample (samples stay, so plots can show spread)."""

    name: str
    voice: str                      # as given: a name or a folder
    engine: str
    device: str
    dtype: str
    family: str
    sample_rate: int
    files_bytes: dict[str, int]     # role -> bytes on disk
    parent: str | None = None
    method: str | None = None
    params: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)   # voice.json's metrics, as recorded by the tool that made it
    manifest: str | None = None     # the voice.json path, for a folder
    default_engine: bool = True     # the engine the voice runs on when none is named
    native_batches: bool = False
    load_s: float = 0.0
    latency_ms: list[float] = field(default_factory=list)   # speak, per sentence per round
    audio_s: list[float] = field(default_factory=list)      # the audio each of those made
    ttfa_ms: list[float] = field(default_factory=list)      # stream: first chunk out
    stream_ms: list[float] = field(default_factory=list)    # stream: last chunk out
    throughput: dict[str, list[float]] = field(default_factory=dict)  # batch size -> audio-s/s per round
    peak_rss_mb: float | None = None
    base_rss_mb: float | None = None
    gpu: dict[str, GpuStretch] = field(default_factory=dict)  # "speak", "b8", ... (CUDA only)
    gpu_mem_peak_mb: float | None = None

    @property
    def size_bytes(self) -> int:
        return sum(self.files_bytes.values())

    def summary(self, batches: tuple[int, ...] = ()) -> dict:
        """The figures a table shows: percentiles, RTF, throughput per batch size, memory, energy."""
        lat, audio = np.array(self.latency_ms), np.array(self.audio_s)
        rtf = lat / 1000 / np.maximum(audio, 1e-9)
        out = {"name": self.name, "voice": self.voice, "engine": self.engine, "device": self.device,
               "dtype": self.dtype, "family": self.family, "parent": self.parent, "method": self.method,
               "size_mb": self.size_bytes / 1e6, "parameters": self.metrics.get("parameters"),
               "nonzero": self.metrics.get("nonzero"), "load_s": self.load_s, "samples": len(lat),
               "latency_p50_ms": _pct(lat, 50), "latency_p90_ms": _pct(lat, 90),
               "rtf_p50": _pct(rtf, 50), "rtf_p90": _pct(rtf, 90),
               "rtf_total": float(lat.sum() / 1000 / audio.sum()) if audio.sum() > 0 else None,
               "ttfa_p50_ms": _pct(self.ttfa_ms, 50), "ttfa_p90_ms": _pct(self.ttfa_ms, 90),
               "stream_p50_ms": _pct(self.stream_ms, 50)}
        for b in batches:
            values = self.throughput.get(str(b))
            out[f"throughput_b{b}"] = float(np.median(values)) if values else None
        out |= {"peak_rss_mb": self.peak_rss_mb,
                "rss_delta_mb": None if self.peak_rss_mb is None or self.base_rss_mb is None
                else self.peak_rss_mb - self.base_rss_mb,
                "gpu_mem_peak_mb": self.gpu_mem_peak_mb}
        for mode in ("speak", *(f"b{b}" for b in batches)):
            g = self.gpu.get(mode)
            suffix = "" if mode == "speak" else f"_{mode}"
            out[f"gpu_util_pct{suffix}"] = g.util_pct if g else None
            out[f"gpu_j_per_audio_s{suffix}"] = (g.energy_j / g.audio_s
                                                 if g and g.energy_j is not None and g.audio_s > 0 else None)
        return out


def _pct(values, q: float) -> float | None:
    return float(np.percentile(values, q)) if len(values) else None


@dataclass
class BenchResult:
    config: BenchConfig
    variants: list[VariantResult]
    machine: dict
    threads: dict
    created: str
    command: str | None = None
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list[dict]:
        return [v.summary(self.config.batches) for v in self.variants]

    def to_dict(self) -> dict:
        return _plain({"format": FORMAT, "created": self.created, "command": self.command,
                       "machine": self.machine, "threads": self.threads, "config": asdict(self.config),
                       "rss_method": "child process per variant (VmHWM); voice = peak - RSS before the voice loaded",
                       "notes": self.notes,
                       "variants": [{**asdict(v), "size_bytes": v.size_bytes, "summary": s}
                                    for v, s in zip(self.variants, self.rows())]})

    def csv(self) -> str:
        rows = self.rows()
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in _plain(r).items()} for r in rows)
        return buf.getvalue()

    def markdown(self) -> str:
        """The table `enunciate bench` prints, and the machine it ran on."""
        return markdown_table(self.to_dict())

    def write(self, out_dir: str | os.PathLike) -> list[Path]:
        """bench.json, bench.csv and bench.md in `out_dir` (made if missing), each written atomically."""
        from ..captions import write_text_atomic

        out = Path(out_dir)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise EnunciateError(f"cannot make the output folder {out}: {e.strerror or e}") from e
        return [write_text_atomic(out / "bench.json", json.dumps(self.to_dict(), indent=1) + "\n"),
                write_text_atomic(out / "bench.csv", self.csv()),
                write_text_atomic(out / "bench.md", self.markdown())]


def _plain(value):
    """JSON-ready: NaN -> None, numpy scalars -> numbers, tuples -> lists, dataclasses -> dicts."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _fmt(value, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def markdown_table(result: dict) -> str:
    """A bench result (as written to bench.json) as Markdown: the machine, then one row per variant."""
    cfg, machine, threads = result["config"], result["machine"], result["threads"]
    batches = cfg["batches"]
    native = any(v["native_batches"] for v in result["variants"])
    cuda = any(v["device"].startswith("cuda") for v in result["variants"])
    header = ["variant", "engine", "size MB", "params (non-zero)", "latency p50 / p90 ms", "RTF p50", "TTFA p50 ms"]
    if native:
        header += [f"batch {b} audio-s/s" for b in batches]
    header += ["peak RSS MB (voice)"]
    if cuda:
        header += ["GPU mem MB", "GPU util %", "J / audio-s"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for v in result["variants"]:
        s = v["summary"]
        counts = "-" if s["parameters"] is None else f"{s['parameters']:,} ({s['nonzero'] or 0:,})"
        engine = v["engine"] + ("" if v["device"] == "cpu" else f" {v['device']} {v['dtype']}")
        row = [v["name"], engine, _fmt(s["size_mb"]), counts,
               f"{_fmt(s['latency_p50_ms'])} / {_fmt(s['latency_p90_ms'])}", _fmt(s["rtf_p50"], 4),
               _fmt(s["ttfa_p50_ms"])]
        if native:
            row += [_fmt(s.get(f"throughput_b{b}")) for b in batches]
        rss = "-" if s["peak_rss_mb"] is None else f"{s['peak_rss_mb']:,.0f} ({_fmt(s['rss_delta_mb'], 0)})"
        row.append(rss)
        if cuda:
            row += [_fmt(s["gpu_mem_peak_mb"], 0), _fmt(s["gpu_util_pct"], 0), _fmt(s["gpu_j_per_audio_s"], 2)]
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |")
    isa = ", ".join(machine.get("isa") or []) or "none of AVX2/AVX-512/AMX"
    gpu = f"; GPU: {machine['gpu']}" if machine.get("gpu") else ""
    torch_threads = f", torch {threads['torch_intra_op']}" if threads.get("torch_intra_op") else ""
    notes = [f"CPU: {machine.get('cpu')} ({machine.get('cores')} cores visible), ISA: {isa}{gpu}",
             f"threads: ONNX Runtime intra-op {threads['onnxruntime_intra_op']} (inter-op "
             f"{threads['onnxruntime_inter_op']}){torch_threads}; {cfg['rounds']} round(s) of {len(cfg['texts'])} "
             f"text(s), interleaved, after {cfg['warmup']} warm-up call(s) per variant; seed {cfg['seed']}",
             f"latency: `speak` per sentence; RTF = wall / audio seconds; TTFA: first chunk of `stream` "
             f"(first_chunk_symbols={cfg['first_chunk_symbols']}); peak RSS: {result['rss_method']}",
             *result.get("notes", [])]
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n"


def load_result(path: str | os.PathLike) -> dict:
    """A bench.json written by `BenchResult.write`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise EnunciateError(f"cannot read {path}: {e}") from e
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise EnunciateError(f"{path} is not an `enunciate bench` result (no format {FORMAT!r})")
    return data


# ------------------------------------------------------------------------------ running

@dataclass
class _Variant:
    result: VariantResult
    spec: VoiceSpec
    voice: object = None


def plan_variants(config: BenchConfig) -> tuple[list[_Variant], list[str]]:
    """Every voice on every engine asked for that it has; the notes say what was skipped."""
    from ..voices.registry import resolve

    out, notes, labels = [], [], set()
    for given in config.voices:
        manifest = resolve(given)
        is_path = manifest.folder is not None and given not in (manifest.name,)
        base = Path(given).expanduser().resolve().name if is_path else manifest.name
        engines = config.engines or (VoiceSpec(given, device=config.device, dtype=config.dtype)
                                     .engine_for(manifest.engines),)
        for engine in engines:
            if engine not in manifest.engines:
                notes.append(f"{given}: no {engine} engine (it runs on {', '.join(manifest.engines)}): skipped")
                continue
            device = config.device if engine == "torch" else "cpu"  # ONNX Runtime runs on the CPU here
            dtype = config.dtype if engine == "torch" else "fp32"
            spec = VoiceSpec(given, engine=engine, device=device, dtype=dtype, threads=config.threads)
            label = base + ("" if engine == manifest.engines[0] else f"/{engine}") \
                + ("" if device == "cpu" else f"@{device}") + ("" if dtype == "fp32" else f"-{dtype}")
            n, unique = 2, label
            while unique in labels:
                unique, n = f"{label}#{n}", n + 1
            labels.add(unique)
            files = {role: manifest.path(role).stat().st_size for role in manifest.files}
            prov = manifest.provenance
            result = VariantResult(unique, given, engine, device, dtype, manifest.family, manifest.sample_rate,
                                   files, prov.parent, prov.method, dict(prov.params), dict(manifest.metrics),
                                   str(manifest.folder / "voice.json") if manifest.folder
                                   and (manifest.folder / "voice.json").is_file() else None,
                                   default_engine=engine == manifest.engines[0])
            out.append(_Variant(result, spec))
    if not out:
        raise EnunciateError("no variant to run: " + "; ".join(notes))
    return out, notes


def _speak(voice, text: str, options: SpeakOptions) -> float:
    from ..pipeline import speak

    return speak(text, voice, options).duration_s


def _stream(voice, text: str, options: SpeakOptions) -> tuple[float, float]:
    """(seconds to the first chunk, seconds to the last) of one streamed text."""
    from ..pipeline import stream

    start = time.perf_counter()
    chunks = stream(text, voice, options)
    next(chunks)
    first = time.perf_counter() - start
    for _ in chunks:
        pass
    return first, time.perf_counter() - start


def _batch(voice, texts: list[str], options: SpeakOptions, size: int) -> float:
    from ..synthesize import speak_batch

    return sum(s.duration_s for s in speak_batch(texts, voice, options, batch_size=size))


class _Clock:
    """Times calls; on CUDA also reads torch's peak allocation around each."""

    def __call__(self, v: _Variant, call: Callable[[], float]) -> tuple[float, float]:
        """(wall seconds, audio seconds) of call(), which returns the audio seconds it made."""
        cuda = v.spec.device.startswith("cuda")
        if cuda:
            import torch

            torch.cuda.reset_peak_memory_stats(v.spec.device)
        start = time.perf_counter()
        audio_s = call()
        wall = time.perf_counter() - start
        if cuda:
            peak = torch.cuda.max_memory_allocated(v.spec.device) / 1e6
            v.result.gpu_mem_peak_mb = max(v.result.gpu_mem_peak_mb or 0.0, peak)
        return wall, audio_s


def _gpu_stretch(device: str, call: Callable[[], float], seconds: float) -> GpuStretch:
    """Repeat call() back to back for at least `seconds` under one NVML meter. Per call the meter
    would read nothing useful: a 20 ms call is shorter than the energy counter's updates, and
    NVML's utilisation is the busy share of a trailing window of 1/6 to 1 s, so around short calls
    it measures the gaps between them. Utilisation is averaged over the samples after the first
    second, once that window lies inside the stretch."""
    from .nvml import GpuMeter

    audio_s, start = 0.0, time.perf_counter()
    meter = GpuMeter(int(device.partition(":")[2] or 0))
    with meter:
        while time.perf_counter() - start < seconds:
            audio_s += call()
    wall = time.perf_counter() - start
    settled = meter.reading.samples[int(1.0 / meter.interval_s):]
    return GpuStretch(meter.reading.energy_j, audio_s, wall, float(np.mean(settled)) if settled else None)


def run(config: BenchConfig, command: str | None = None, progress: Callable[[str], None] | None = None) -> BenchResult:
    """Load every variant, warm each up, then time `rounds` interleaved rounds; peak RSS last, one
    child process per variant (so the timing is never shared with a child)."""
    from ..hardware import cpu_info

    texts = list(config.texts or default_texts())
    config = replace(config, texts=tuple(texts))
    say = progress or (lambda message: log.info("%s", message))
    variants, notes = plan_variants(config)
    clock = _Clock()
    options = SpeakOptions(seed=config.seed)
    streaming = SpeakOptions(seed=config.seed, first_chunk_symbols=config.first_chunk_symbols)
    batch_texts = [texts[i % len(texts)] for i in range(max([len(texts), *config.batches]))]
    for v in variants:
        say(f"loading {v.result.name}")
        start = time.perf_counter()
        v.voice = v.spec.load()
        v.result.load_s = time.perf_counter() - start
        v.result.native_batches = bool(v.voice.capabilities.batches)
        for _ in range(config.warmup):
            _speak(v.voice, texts[0], options)
            _stream(v.voice, texts[0], streaming)
            for size in config.batches if v.result.native_batches else ():
                _batch(v.voice, batch_texts[:size], options, size)
    for k in range(config.rounds):
        say(f"round {k + 1} of {config.rounds}")
        order = variants[k % len(variants):] + variants[:k % len(variants)]
        for text in texts:
            for v in order:
                wall, audio_s = clock(v, lambda: _speak(v.voice, text, options))
                v.result.latency_ms.append(wall * 1000)
                v.result.audio_s.append(audio_s)
                first, total = _stream(v.voice, text, streaming)
                v.result.ttfa_ms.append(first * 1000)
                v.result.stream_ms.append(total * 1000)
        for size in config.batches:
            for v in [x for x in order if x.result.native_batches]:
                wall, audio_s = clock(v, lambda: _batch(v.voice, batch_texts, options, size))
                v.result.throughput.setdefault(str(size), []).append(audio_s / wall)
    for v in [x for x in variants if x.spec.device.startswith("cuda")]:
        say(f"GPU energy of {v.result.name} ({config.energy_s:g} s a mode, back to back)")
        v.result.gpu["speak"] = _gpu_stretch(v.spec.device, lambda: sum(_speak(v.voice, t, options) for t in texts),
                                             config.energy_s)
        for size in config.batches if v.result.native_batches else ():
            v.result.gpu[f"b{size}"] = _gpu_stretch(v.spec.device, lambda: _batch(v.voice, batch_texts, options, size),
                                                    config.energy_s)
    if config.peak_rss:
        for v in variants:
            say(f"peak RSS of {v.result.name} (child process)")
            v.result.peak_rss_mb, v.result.base_rss_mb = _child_peak_rss(v, config)
    if not any(v.result.native_batches for v in variants) and config.batches:
        notes.append("no variant has native batches (the torch engine has them): no throughput columns")
    machine = cpu_info()
    if config.device.startswith("cuda"):
        import torch

        machine["gpu"] = torch.cuda.get_device_name(config.device)
        machine["cuda"] = torch.version.cuda
    threads = {"requested": config.threads, "onnxruntime_intra_op": config.threads, "onnxruntime_inter_op": 1,
               "torch_intra_op": sys.modules["torch"].get_num_threads() if "torch" in sys.modules else None,
               "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS")}
    created = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    return BenchResult(config, [v.result for v in variants], machine, threads, created, command, notes)


# ------------------------------------------------------------------------------ peak RSS, in a child

def _child_peak_rss(v: _Variant, config: BenchConfig) -> tuple[float | None, float | None]:
    """(peak RSS, RSS before the voice loaded), in MB, of a fresh process that runs this variant once."""
    job = {"spec": asdict(v.spec), "texts": list(config.texts), "seed": config.seed,
           "first_chunk_symbols": config.first_chunk_symbols,
           "batches": list(config.batches) if v.result.native_batches else []}
    src = str(Path(__file__).resolve().parents[2])  # the folder holding this enunciate package
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])),
           "ORT_DISABLE_TELEMETRY": "1"}
    try:
        done = subprocess.run([sys.executable, "-c", "from enunciate.bench.run import _rss_child; _rss_child()"],
                              input=json.dumps(job), capture_output=True, text=True, env=env, timeout=1800)
    except subprocess.TimeoutExpired:
        log.warning("%s: the peak-RSS child ran past 30 minutes; no RSS figure", v.result.name)
        return None, None
    if done.returncode != 0:
        log.warning("%s: the peak-RSS child failed: %s", v.result.name, done.stderr.strip()[-500:])
        return None, None
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return figures["peak_rss_mb"], figures["base_rss_mb"]


def _status_mb(field: str) -> float | None:
    """A figure of /proc/self/status (VmRSS: resident now; VmHWM: its high-water mark), in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return None


def _peak_rss_mb() -> float:
    """The high-water mark of this process's own memory. VmHWM, not getrusage: Linux carries the
    parent's RSS at fork into the child's ru_maxrss across exec, so a child forked by a bench that
    holds 500 MB of voices reads at least 500 MB whatever it loads."""
    hwm = _status_mb("VmHWM")
    if hwm is not None:
        return hwm
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6  # bytes on macOS, KiB on Linux


def _rss_child() -> None:
    """Child side of `_child_peak_rss`: the job as JSON on stdin, the figures as JSON on stdout."""
    job = json.loads(sys.stdin.read())
    import onnxruntime  # noqa: F401  (imported by every variant: part of the baseline)

    base = _status_mb("VmRSS") or _peak_rss_mb()
    spec = VoiceSpec(**job["spec"])
    voice = spec.load()
    options = SpeakOptions(seed=job["seed"])
    streaming = SpeakOptions(seed=job["seed"], first_chunk_symbols=job["first_chunk_symbols"])
    for text in job["texts"]:
        _speak(voice, text, options)
        _stream(voice, text, streaming)
    for size in job["batches"]:
        _batch(voice, job["texts"], options, size)
    print(json.dumps({"peak_rss_mb": _peak_rss_mb(), "base_rss_mb": base}))


# ------------------------------------------------------------------------------ MLflow records

def mlflow_records(result: BenchResult, artifacts: Sequence[str | os.PathLike] = ()):
    """(parent run, one child run per variant) for `track.log_run`: the run's settings and machine as
    parameters, each variant's summary as metrics, and the result files plus each folder variant's
    voice.json (under voices/NAME/) as artifacts."""
    from ..track import RunRecord

    cfg, machine = result.config, result.machine
    params = {"voices": ",".join(cfg.voices), "engines": ",".join(cfg.engines or ()) or "default",
              "device": cfg.device, "dtype": cfg.dtype, "threads": cfg.threads, "rounds": cfg.rounds,
              "warmup": cfg.warmup, "batches": ",".join(map(str, cfg.batches)), "texts": len(cfg.texts),
              "seed": cfg.seed, "first_chunk_symbols": cfg.first_chunk_symbols, "cpu": machine.get("cpu"),
              "isa": ",".join(machine.get("isa") or []), "cores": machine.get("cores"), "gpu": machine.get("gpu"),
              "torch_threads": result.threads.get("torch_intra_op"), "command": result.command}
    files = [*artifacts, *((v.manifest, f"voices/{v.name}") for v in result.variants if v.manifest)]
    parent = RunRecord("bench " + " ".join(v.name for v in result.variants), params,
                       {"variants": len(result.variants)}, tuple(files), {"enunciate.kind": "bench"})
    children = []
    for v, s in zip(result.variants, result.rows()):
        child_params = {"voice": v.voice, "engine": v.engine, "device": v.device, "dtype": v.dtype,
                        "family": v.family, "parent": v.parent, "method": v.method,
                        **{f"param.{k}": p for k, p in v.params.items()}}
        metrics = {k: x for k, x in s.items() if isinstance(x, (int, float)) and not isinstance(x, bool)}
        children.append(RunRecord(v.name, child_params, metrics, (), {"enunciate.kind": "bench-variant"}))
    return parent, children
