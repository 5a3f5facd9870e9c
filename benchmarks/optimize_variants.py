"""The ONNX Runtime variants of joe, Kokoro and heart (`enunciate optimize --method ort-*`), measured
side by side against their parents on this machine.

    .venv/bin/python benchmarks/optimize_variants.py --limit 8 --rounds 3 --voices joe,kokoro,heart

Each variant is a voice folder made by `optimize` in --work (kept with --reuse). Static int8 is
calibrated on dev-set sentences that are not timed. Every variant is loaded once (ONNX Runtime
intra-op threads fixed at --threads) and warmed up once; then each round runs every chunk of the
timed sentences through every variant of a voice in turn (the order rotating), so all variants see
the same machine state. Timed is the voice's synthesize() on the phonemes enunciate's frontend
plans for each sentence (the frontend is the same for all and left out); Piper's noise is off,
heart's DSP noise seeded, so the audio differs only by the weights.
RTF = synthesis time / audio time, median over chunks and rounds; "x parent" is that median over
the parent's. MCD (dB, DTW-aligned, mean over chunks) and total audio length are against the
parent's audio: a cheap check of what a variant changed, not a quality score (that is
`enunciate eval`'s job). Writes benchmarks/results/optimize_variants.{json,md}.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import onnxruntime  # noqa: E402

from enunciate import SpeakOptions, VoiceSpec  # noqa: E402
from enunciate.bench import devset  # noqa: E402
from enunciate.errors import EnunciateError  # noqa: E402
from enunciate.evaluate.intrusive import mcd_dtw  # noqa: E402
from enunciate.hardware import cpu_info, describe  # noqa: E402
from enunciate.optimize import count_onnx, methods, optimize  # noqa: E402
from enunciate.pipeline import Report, plan  # noqa: E402
from enunciate.voices.folder import read_manifest  # noqa: E402
from enunciate.voices.registry import resolve  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "optimize_variants"
CALIBRATION_SENTENCES = 16  # dev-set sentences after the timed ones

# Beyond each method's defaults: heart is int8 on exactly its MatMuls already (ort-int8-matmul's
# default changes nothing), so the op choice worth measuring there is none at all (fp32).
EXTRA = {"heart": [("ort-int8-matmul", {"ops": ""})]}


def variants_of(voice: str) -> list[tuple[str, dict]]:
    """(method, defaults) for every ONNX method that applies to the voice's family, then EXTRA."""
    family = resolve(voice).family
    return [(name, {}) for name, m in sorted(methods().items()) if m.engine == "onnx" and family in m.families] \
        + EXTRA.get(voice, [])


def label(method: str, params: dict) -> str:
    return method + "".join(f" {k}={v if v != '' else 'none'}" for k, v in params.items())


def folder_name(voice: str, method: str, params: dict) -> str:
    return f"{voice}.{method.removeprefix('ort-')}" + "".join(f".{k}-{v or 'none'}" for k, v in params.items())


def parent_row(voice: str) -> dict:
    m = resolve(voice)
    return {"variant": "parent", "method": None, "params": {}, "folder": voice,
            "size_bytes": sum(m.path(role).stat().st_size for role in m.files), **count_onnx(m.path("model"))}


def make(voice: str, method: str, params: dict, work: Path, corpus: tuple[str, ...], reuse: bool) -> dict:
    """The variant's row: made (or reused), or the reason it could not be made."""
    out = work / folder_name(voice, method, params)
    row = {"variant": label(method, params), "method": method, "params": params, "folder": str(out)}
    if reuse and (out / "voice.json").is_file():
        manifest = read_manifest(out)
        row["make_s"] = None
    else:
        t0 = time.perf_counter()
        try:
            manifest = optimize(voice, method, out, params, force=True, corpus=corpus,
                                command=f"benchmarks/optimize_variants.py ({method})")
        except EnunciateError as e:
            print(f"{voice} {label(method, params)}: not made: {e}", flush=True)
            return {**row, "error": str(e)}
        row["make_s"] = round(time.perf_counter() - t0, 1)
    metrics = manifest.metrics
    print(f"{voice} {row['variant']}: {metrics['size_bytes'] / 1e6:.1f} MB"
          + (f", made in {row['make_s']} s" if row["make_s"] else " (reused)"), flush=True)
    return {**row, "size_bytes": metrics["size_bytes"], "parameters": metrics["parameters"],
            "nonzero": metrics["nonzero"], "quantized_tensors": metrics["quantized_tensors"]}


def synthesize(voice, family: str, phonemes: str):
    """Piper with its noise off, the others with a fixed seed: the same input for every variant."""
    return voice.synthesize(phonemes, noise=False) if family == "piper" else voice.synthesize(phonemes, seed=0)


def measure(voice_name: str, texts: list[str], corpus: tuple[str, ...], args, work: Path) -> dict:
    family = resolve(voice_name).family
    rows = [parent_row(voice_name)] + [make(voice_name, m, p, work, corpus, args.reuse)
                                       for m, p in variants_of(voice_name)]
    timed = [row for row in rows if "error" not in row]
    voices = [VoiceSpec(row["folder"], engine="onnx", threads=args.threads).load() for row in timed]
    phonemes = [p.phonemes for text in texts for p in plan(text, SpeakOptions(), voices[0], Report())]
    sr = voices[0].sample_rate
    for voice in voices:  # warm-up
        synthesize(voice, family, phonemes[0])
    rtfs: list[list[float]] = [[] for _ in voices]
    audio: list[list] = [[None] * len(phonemes) for _ in voices]
    for r in range(args.rounds):
        for s, ph in enumerate(phonemes):
            shift = (r * len(phonemes) + s) % len(voices)
            for v in [*range(shift, len(voices)), *range(shift)]:
                t0 = time.perf_counter()
                chunk = synthesize(voices[v], family, ph)
                rtfs[v].append((time.perf_counter() - t0) / (len(chunk.audio) / sr))
                audio[v][s] = chunk.audio
        print(f"{voice_name}: round {r + 1}/{args.rounds}", flush=True)
    base = statistics.median(rtfs[0])
    for v, row in enumerate(timed):
        row["rtf_median"] = round(statistics.median(rtfs[v]), 4)
        row["rtf_vs_parent"] = round(statistics.median(rtfs[v]) / base, 3)
        row["paired_vs_parent"] = paired(rtfs[v], rtfs[0])
        row["rtf_all"] = [round(x, 4) for x in rtfs[v]]
        row["mcd_db_mean"] = round(float(np.mean([mcd_dtw(audio[0][s], audio[v][s], sr)
                                                  for s in range(len(phonemes))])), 3)
        row["audio_vs_parent"] = round(sum(map(len, audio[v])) / sum(map(len, audio[0])), 3)
    return {"voice": voice_name, "family": family, "chunks": len(phonemes), "rows": rows}


def paired(times: list[float], parent: list[float]) -> list[float]:
    """Median and quartiles of the variant's time over the parent's on the same chunk in the same
    round: steadier than a ratio of medians when other processes come and go during the run."""
    ratios = np.asarray(times) / np.asarray(parent)
    return [round(float(q), 3) for q in np.quantile(ratios, (0.5, 0.25, 0.75))]


def main() -> int:
    ap = devset.parser(__doc__)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--work", default="/tmp/enunciate-optimize-variants", help="folder for the variants")
    ap.add_argument("--reuse", action="store_true", help="keep variants already in --work")
    ap.set_defaults(limit=8)
    args = ap.parse_args()
    print(describe(args.threads), flush=True)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    items = devset.items()
    texts = [it.text for it in items[:args.limit]]
    corpus = tuple(it.text for it in items[args.limit:args.limit + CALIBRATION_SENTENCES])
    t0, load_before = time.perf_counter(), os.getloadavg()[0]
    groups = [measure(v, texts, corpus, args, work) for v in args.voices.split(",")]
    result = {"machine": cpu_info(), "machine_line": describe(args.threads), "threads": args.threads,
              "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
              "onnxruntime": onnxruntime.__version__, "sentences": len(texts), "rounds": args.rounds,
              "calibration_sentences": len(corpus), "wall_s": round(time.perf_counter() - t0),
              "command": " ".join(["python", *sys.argv]), "voices": groups}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    text = markdown(result)
    OUT.with_suffix(".md").write_text(text, encoding="utf-8")
    print("\n" + text)
    return 0


def markdown(result: dict) -> str:
    lines = ["# ONNX Runtime variants of the shipped voices, measured side by side", "",
             f"{result['machine_line']}; onnxruntime {result['onnxruntime']}; {result['sentences']} dev-set "
             f"sentences x {result['rounds']} rounds, every variant of a voice in turn (interleaved); static int8 "
             f"calibrated on {result['calibration_sentences']} other dev-set sentences; load average "
             f"{result['load_average_1min'][0]} at the start, {result['load_average_1min'][1]} at the end (other "
             "processes share the cores: paired ratios are the figures to read). RTF: median of synthesize() time "
             "/ audio time; x parent: its ratio to the parent's; paired: median [quartiles] of the variant's time "
             "over the parent's on the same chunk in the same round. MCD (dB, DTW-aligned, mean "
             "over chunks) and audio length are against the parent's audio (Piper noise off): what a variant "
             "changed, not a quality score.", ""]
    failed = []
    for group in result["voices"]:
        lines += [f"## {group['voice']} ({group['family']}, {group['chunks']} chunks)", "",
                  "| variant | size MB | parameters | non-zero | quantized tensors | RTF | x parent | paired x parent "
                  "| MCD dB | audio vs parent |", "|---|---|---|---|---|---|---|---|---|---|"]
        for row in group["rows"]:
            if "error" in row:
                failed.append(f"- {group['voice']} {row['variant']}: {row['error']}")
                continue
            med, lo, hi = row["paired_vs_parent"]
            lines.append(f"| {row['variant']} | {row['size_bytes'] / 1e6:.1f} | {row['parameters'] / 1e6:.2f}M "
                         f"| {row['nonzero'] / 1e6:.2f}M | {row['quantized_tensors']} | {row['rtf_median']:.4f} "
                         f"| {row['rtf_vs_parent']:.2f}x | {med:.2f}x [{lo:.2f}, {hi:.2f}] | {row['mcd_db_mean']:.2f} "
                         f"| {row['audio_vs_parent']:.3f} |")
        lines.append("")
    if failed:
        lines += ["Not made:", "", *failed, ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
