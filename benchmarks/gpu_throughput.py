"""Throughput of the PyTorch voices: audio seconds produced per wall second at batch 1/8/32/128, per
dtype, plus latency per request. Meant for the lent GPU (`--device cuda`); runs on the CPU for a
smoke test (`--device cpu --voices joe --batches 1,2 --dtypes fp32 --items 4`).

    python benchmarks/gpu_throughput.py --device cuda --voices joe,kokoro --batches 1,8,32,128 --dtypes fp32,bf16,fp16

On the device machine (no PyPI there; 64 MiB travel with the tree): `benchmarks/gpu_prepare.sh`
stages joe's ONNX (60 MiB) in the ignored folder .gpu/, then one run does it all:

    run(carry=[".gpu"], command="PYTHONPATH=src PYTHONUNBUFFERED=1 python3 benchmarks/gpu_throughput.py
        --device cuda --voices joe --joe-onnx .gpu/en_US-joe-medium.onnx")

Kokoro's 88 MiB int8 ONNX cannot travel in one call: carry it in two halves in two calls (the warm
machine keeps ignored folders between calls) and join them there.

Writes benchmarks/results/gpu_throughput_<device>.json and a Markdown table beside it. Inputs are
the dev-set sentences (phonemized once by enunciate's frontend), cycled to fill each batch.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

ROOT = Path(__file__).resolve().parents[1]


INPUTS = ROOT / "benchmarks" / "gpu_inputs.json"


def dev_set_phonemes(alphabet: str) -> list[str]:
    """The dev set's chunks as enunciate's frontend renders them for a voice alphabet."""
    from enunciate import SpeakOptions, load_voice
    from enunciate.bench import devset
    from enunciate.pipeline import Report, plan

    voice = load_voice("joe" if alphabet == "espeak" else "heart", 1)
    return [p.phonemes for item in devset.items() for p in plan(item.text, SpeakOptions(), voice, Report())]


def phoneme_inputs(alphabet: str, n: int) -> list[str]:
    """From benchmarks/gpu_inputs.json when present (the GPU machine has no frontend packages),
    else computed here."""
    if INPUTS.exists():
        out = json.loads(INPUTS.read_text(encoding="utf-8"))[alphabet]
    else:
        out = dev_set_phonemes(alphabet)
    return [out[i % len(out)] for i in range(n)]


def device_name(device: str) -> str:
    import torch

    if device == "cuda":
        return torch.cuda.get_device_name(0)
    from enunciate.bench.hardware import cpu_info

    return cpu_info()["cpu"]


def load(name: str, device: str, dtype: str, joe_onnx: str | None):
    """Through the registry, or for joe straight from an .onnx + .onnx.json pair (on a machine
    without the voice's PyPI package)."""
    if name == "joe" and joe_onnx:
        from enunciate.voices.vits import TorchPiperVoice

        return TorchPiperVoice(joe_onnx, joe_onnx + ".json", 2, None, device=device, dtype=dtype)
    from enunciate import load_voice

    return load_voice(name, 2, engine="torch", device=device, dtype=dtype)


def bench_voice(name: str, device: str, dtype: str, batches: list[int], items: int, repeats: int,
                joe_onnx: str | None = None) -> list[dict]:
    import torch

    voice = load(name, device, dtype, joe_onnx)
    rows = []
    for batch in batches:
        inputs = phoneme_inputs(voice.alphabet, max(items, batch))
        voice.synthesize_batch(inputs[:batch], 1.0, 0)  # warm-up (allocations, kernels)
        walls, audio_s = [], 0.0
        for _ in range(repeats):
            if device == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            produced = 0.0
            for k in range(0, len(inputs), batch):
                chunks = voice.synthesize_batch(inputs[k:k + batch], 1.0, 0)
                produced += sum(c.duration_s for c in chunks)
            if device == "cuda":
                torch.cuda.synchronize()
            walls.append(time.perf_counter() - start)
            audio_s = produced
        wall = statistics.median(walls)
        calls = -(-len(inputs) // batch)
        rows.append({"voice": name, "dtype": dtype, "batch": batch, "items": len(inputs),
                     "audio_s_per_s": audio_s / wall, "latency_ms_per_request": wall / calls * 1000,
                     "wall_s": wall, "audio_s": audio_s,
                     "peak_mem_mb": (torch.cuda.max_memory_allocated() / 2**20) if device == "cuda" else None})
        print(f"{name:7s} {dtype:5s} batch {batch:4d}: {rows[-1]['audio_s_per_s']:9.1f} audio-s/s  "
              f"latency {rows[-1]['latency_ms_per_request']:8.1f} ms/request", flush=True)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--voices", default="joe,kokoro")
    ap.add_argument("--batches", default="1,8,32,128")
    ap.add_argument("--dtypes", default="fp32,bf16,fp16")
    ap.add_argument("--items", type=int, default=256, help="utterances per measurement")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--joe-onnx", help="load joe from this .onnx (+ .onnx.json beside it) instead of its package")
    ap.add_argument("--write-inputs", action="store_true",
                    help="only write benchmarks/gpu_inputs.json (the dev set's phonemes) and exit")
    args = ap.parse_args()
    if args.write_inputs:
        INPUTS.write_text(json.dumps({a: dev_set_phonemes(a) for a in ("espeak", "kokoro")}, ensure_ascii=False))
        print(f"wrote {INPUTS}")
        return 0
    batches = [int(b) for b in args.batches.split(",")]
    rows = []
    for name in args.voices.split(","):
        for dtype in args.dtypes.split(","):
            try:
                rows += bench_voice(name, args.device, dtype, batches, args.items, args.repeats, args.joe_onnx)
            except Exception as e:  # one failing dtype must not lose the others' numbers
                print(f"{name} {dtype}: failed: {e}", flush=True)
                rows.append({"voice": name, "dtype": dtype, "error": str(e)})
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(exist_ok=True)
    result = {"device": device_name(args.device), "command": " ".join(["python", *sys.argv]), "rows": rows}
    (out_dir / f"gpu_throughput_{args.device}.json").write_text(json.dumps(result, indent=1))
    lines = [f"Device: {result['device']}", "", "| voice | dtype | batch | audio-s/s | latency ms/request |",
             "|---|---|---|---|---|"]
    lines += [f"| {r['voice']} | {r['dtype']} | {r['batch']} | {r['audio_s_per_s']:.1f} "
              f"| {r['latency_ms_per_request']:.1f} |" for r in rows if "error" not in r]
    (out_dir / f"gpu_throughput_{args.device}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
