"""The source documents' PyTorch recipe on joe (and quantize_dynamic on Kokoro), measured side by side:
quantize_dynamic on Linear/LSTM, l1_unstructured at 0.25 and 0.30, and both, against the fp32
parent, each a voice folder made by `enunciate optimize`.

    .venv/bin/python benchmarks/torch_variants.py --limit 8 --repeats 3 --voices joe,kokoro

Variants run interleaved (every repeat of every sentence runs each variant once, in a rotating
order) at fixed threads (torch.set_num_threads and ONNX Runtime both at --threads), after one
warm-up each. Timed is the voice's synthesize() on the phonemes enunciate's frontend gives each
dev-set sentence, noise off (Kokoro has none), so every variant gets identical input and MCD
compares weights only.
RTF = synthesis time / audio duration, median over sentences and repeats. MCD (dB, DTW-aligned) is
against the torch fp32 parent's audio for the same phonemes. Writes
benchmarks/results/torch_variants.{json,md}.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

from enunciate import SpeakOptions, VoiceSpec  # noqa: E402
from enunciate.bench import devset  # noqa: E402
from enunciate.evaluate.intrusive import mcd_dtw  # noqa: E402
from enunciate.hardware import cpu_info, describe  # noqa: E402
from enunciate.optimize import optimize  # noqa: E402
from enunciate.pipeline import Report, plan  # noqa: E402
from enunciate.voices.folder import read_manifest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "torch_variants"

# voice -> (label, method, params, engine); method None is the parent itself.
VARIANTS = {
    "joe": [
        ("parent fp32 (torch)", None, {}, "torch"),
        ("torch-int8-dynamic (documents: Linear, LSTM)", "torch-int8-dynamic", {}, "torch"),
        ("torch-int8-dynamic pointwise=true", "torch-int8-dynamic", {"pointwise": True}, "torch"),
        ("torch-l1-prune 0.25 linear+conv", "torch-l1-prune", {"amount": 0.25, "layers": "linear+conv"}, "torch"),
        ("torch-l1-prune 0.30 linear+conv", "torch-l1-prune", {"amount": 0.30, "layers": "linear+conv"}, "torch"),
        ("torch-recipe (documents)", "torch-recipe", {}, "torch"),
        ("torch-recipe pointwise=true", "torch-recipe", {"pointwise": True}, "torch"),
        ("parent fp32 (onnx)", None, {}, "onnx"),
        ("torch-l1-prune 0.30 linear+conv (onnx)", "torch-l1-prune", {"amount": 0.30, "layers": "linear+conv"},
         "onnx"),
    ],
    "kokoro": [
        ("parent fp32 (torch)", None, {}, "torch"),
        ("torch-int8-dynamic (documents: Linear, LSTM)", "torch-int8-dynamic", {}, "torch"),
    ],
}


NOTE = ("joe (Piper VITS) has no nn.Linear or nn.LSTM: the documents' quantize_dynamic and Linear-only pruning "
        "change nothing, so those two rows are the parent itself, and their spread is this run's noise floor. "
        "pointwise=true treats joe's 69 1x1 Conv1d as Linear. Pruning every conv also prunes the duration "
        "predictor: the speech gets slower (longer audio), so the same sentence costs more. Kokoro's int8 "
        "variant quantizes 82 Linear and 6 LSTMs (bert_encoder stays float). Sparse weights in dense kernels "
        "save no time; the pruned files are as large as the parent")


def chunk_phonemes(texts: list[str], voice) -> list[str]:
    """Each text's chunks as the pipeline plans them for this voice (enunciate's frontend)."""
    return [p.phonemes for text in texts for p in plan(text, SpeakOptions(), voice, Report())]


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def builtin_bytes(name: str) -> int:
    from enunciate.voices.registry import resolve

    m = resolve(name)
    return sum(m.path(role).stat().st_size for role in m.files)


def synthesize(voice, phonemes: str):
    """Noise off where the voice has noise (Kokoro has none)."""
    if voice.capabilities.seeded_noise:
        return voice.synthesize(phonemes, noise=False)
    return voice.synthesize(phonemes)


def variant_key(method: str, params: dict) -> str:
    return f"{method}-{'-'.join(f'{k}{v}' for k, v in params.items()) or 'defaults'}"


def make_variants(parent: str, variants: list, work: Path) -> dict[str, Path]:
    folders = {}
    for _, method, params, _ in variants:
        key = variant_key(method, params)
        if method is None or key in folders:
            continue
        out = work / f"{parent}-{key}"
        t0 = time.perf_counter()
        m = optimize(parent, method, out, params, force=True, command="benchmarks/torch_variants.py")
        folders[key] = out
        print(f"made {out.name} in {time.perf_counter() - t0:.1f} s: {m.metrics}", flush=True)
    return folders


def measure(parent: str, variants: list, texts: list[str], args, work: Path) -> dict:
    """One voice's variants, interleaved: rows of RTF, size, counts and MCD against the torch parent."""
    folders = make_variants(parent, variants, work)
    rows, voices = [], []
    for label, method, params, engine in variants:
        if method is None:
            name, metrics, size = parent, {}, builtin_bytes(parent)
        else:
            folder = folders[variant_key(method, params)]
            name, metrics, size = str(folder), read_manifest(folder).metrics, folder_bytes(folder)
        voices.append(VoiceSpec(name, engine=engine, threads=args.threads).load())
        rows.append({"variant": label, "method": method, "params": params, "engine": engine, "size_bytes": size,
                     "parameters": metrics.get("parameters"), "nonzero": metrics.get("nonzero"),
                     "quantized_tensors": metrics.get("quantized_tensors"),
                     "pruned_sparsity": metrics.get("pruned_sparsity")})

    phonemes = chunk_phonemes(texts, voices[0])
    sr = voices[0].sample_rate
    for voice in voices:  # warm-up
        synthesize(voice, phonemes[0])
    rtfs: list[list[float]] = [[] for _ in voices]
    audio: list[list[np.ndarray]] = [[None] * len(phonemes) for _ in voices]
    for r in range(args.repeats):
        for s, ph in enumerate(phonemes):
            order = list(range(len(voices)))
            shift = (r * len(phonemes) + s) % len(order)
            for v in order[shift:] + order[:shift]:
                t0 = time.perf_counter()
                chunk = synthesize(voices[v], ph)
                elapsed = time.perf_counter() - t0
                rtfs[v].append(elapsed / (len(chunk.audio) / sr))
                audio[v][s] = chunk.audio
        print(f"{parent}: repeat {r + 1}/{args.repeats} done", flush=True)

    medians = [statistics.median(x) for x in rtfs]
    onnx_parent = next((i for i, row in enumerate(rows) if row["engine"] == "onnx" and row["method"] is None), 0)
    for i, row in enumerate(rows):
        row["rtf_median"] = round(medians[i], 4)
        row["rtf_vs_torch_parent"] = round(medians[i] / medians[0], 3)
        row["rtf_vs_engine_parent"] = round(medians[i] / medians[onnx_parent if row["engine"] == "onnx" else 0], 3)
        mcds = [mcd_dtw(audio[0][s], audio[i][s], sr) for s in range(len(phonemes))]
        row["mcd_db_mean"] = round(float(np.mean(mcds)), 3)
        row["mcd_db_max"] = round(float(np.max(mcds)), 3)
        row["same_length"] = sum(len(audio[0][s]) == len(audio[i][s]) for s in range(len(phonemes)))
        row["audio_s_vs_parent"] = round(sum(map(len, audio[i])) / sum(map(len, audio[0])), 3)
    return {"voice": parent, "chunks": len(phonemes), "rows": rows}


def main() -> int:
    ap = devset.parser(__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--work", default="", help="folder for the variants (default: a temporary one)")
    ap.set_defaults(limit=8, voices="joe,kokoro")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    print(describe(args.threads), flush=True)
    work = Path(args.work or tempfile.mkdtemp(prefix="torch-variants-"))
    work.mkdir(parents=True, exist_ok=True)
    items = devset.items(args.limit)
    texts = [it.text for it in items]
    groups = [measure(v, VARIANTS[v], texts, args, work) for v in args.voices.split(",")]

    result = {"machine": cpu_info(), "threads": args.threads, "torch": torch.__version__,
              "quantized_engine": torch.backends.quantized.engine, "sentences": len(items),
              "repeats": args.repeats, "noise": False, "voices": groups,
              "note": NOTE}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    OUT.with_suffix(".md").write_text(markdown(result, describe(args.threads)), encoding="utf-8")
    print(markdown(result, describe(args.threads)))
    return 0


def markdown(result: dict, machine: str) -> str:
    lines = [
        "# The documents' PyTorch recipe on joe and Kokoro, measured (noise off)", "",
        f"{machine}; torch {result['torch']} (quantized engine {result['quantized_engine']}); "
        f"{result['sentences']} dev-set sentences x {result['repeats']} repeats, interleaved within each voice. "
        "RTF: median of synthesize() time / audio time. MCD: mean (max) over chunks against the voice's "
        "torch fp32 parent, DTW-aligned; audio: total length against the parent's.", "",
    ]
    for group in result["voices"]:
        lines += [
            f"## {group['voice']} ({group['chunks']} chunks)", "",
            "| variant | engine | RTF | vs torch parent | vs same-engine parent | size MB | int8 tensors "
            "| pruned sparsity | MCD dB mean (max) | audio vs parent | same length |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in group["rows"]:
            lines.append(
                f"| {row['variant']} | {row['engine']} | {row['rtf_median']:.3f} | {row['rtf_vs_torch_parent']:.2f}x "
                f"| {row['rtf_vs_engine_parent']:.2f}x | {row['size_bytes'] / 1e6:.1f} "
                f"| {row['quantized_tensors'] or 0} | {row['pruned_sparsity'] or 0:.2f} "
                f"| {row['mcd_db_mean']:.2f} ({row['mcd_db_max']:.2f}) | {row['audio_s_vs_parent']:.3f} "
                f"| {row['same_length']}/{group['chunks']} |")
        lines.append("")
    lines += [f"Note: {result['note']}.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
