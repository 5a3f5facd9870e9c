"""Throughput of the PyTorch voices: audio seconds produced per wall second at batch 1/8/32/128, per
dtype, eager against torch.compile (CUDA graphs on a GPU), plus latency per request and peak memory.

    python benchmarks/gpu_throughput.py --device cuda --voices joe,kokoro --batches 1,8,32,128 \\
        --dtypes fp32,bf16,fp16 --modes eager,compile

Inputs are the dev-set sentences as enunciate's frontend phonemizes them (benchmarks/gpu_inputs.json),
cycled to `--items` and sorted by length, as a batch job would sort them to pad less. The dtypes
and modes of one voice and batch size are measured side by side: each repeat runs each once, in
turn (a configuration with compile holds its dtype's eager and compiled runs). Every voice first runs the
inputs once untimed; for a compiled voice that pass compiles it (and records a CUDA graph per
length bucket), and its time is reported as compile_s.
Every torch variant also speaks --fidelity-items dev sentences with noise off, compared with CPU
fp32 eager: equal phoneme durations, MCD and waveform SNR. So a GPU run also shows whether its audio
is right, not only how fast it comes.
Results are written after every configuration, so a run cut short keeps what it measured.

A GPU machine without PyPI gets the source tree and one staged voice at a time
(`benchmarks/gpu_prepare.sh joe|kokoro` stages it in the git-ignored .gpu/, small enough to copy
alongside the tree); one run per voice, then their results merged into one table per card:

    PYTHONPATH=src python3 benchmarks/gpu_throughput.py --voices joe --joe-dir .gpu/joe \\
        --items 128 --budget-s 240 --out OUT
    PYTHONPATH=src python3 benchmarks/gpu_throughput.py --voices kokoro --kokoro-dir .gpu/kokoro \\
        --items 128 --budget-s 240 --out OUT
    python benchmarks/gpu_throughput.py --merge joe.json kokoro.json --out benchmarks/results

--budget-s starts no configuration past that time and the eager ones run first, so a run with a
short time limit still brings back the eager table; results are rewritten under --out after every
configuration.
One eager call per --profile-batches size runs under torch.profiler: the share of its wall time the
GPU was busy says whether the device or the host bounds it (tables under --out/profiles/).

On the CPU (a smoke test, or the CPU table): --device cpu --threads 2 --batches 1,8 --dtypes fp32 --items 12.
"""
from __future__ import annotations

import argparse
import json
import lzma
import os
import shutil
import statistics
from contextlib import nullcontext
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ROOT / "benchmarks" / "gpu_inputs.json"


def dev_set_phonemes(alphabet: str) -> list[str]:
    """The dev set's chunks as enunciate's frontend renders them for a voice alphabet."""
    from enunciate import SpeakOptions, load_voice
    from enunciate.bench import devset
    from enunciate.pipeline import Report, plan

    voice = load_voice("joe" if alphabet == "espeak" else "heart", 1)
    return [p.phonemes for item in devset.items() for p in plan(item.text, SpeakOptions(), voice, Report())]


def all_phonemes(alphabet: str) -> list[str]:
    """The dev set's inputs from benchmarks/gpu_inputs.json (the GPU machine has no frontend packages)."""
    return json.loads(INPUTS.read_text(encoding="utf-8"))[alphabet] if INPUTS.exists() else dev_set_phonemes(alphabet)


def phoneme_inputs(alphabet: str, n: int) -> list[str]:
    """n inputs cycled from the dev set, sorted by length."""
    out = all_phonemes(alphabet)
    return sorted((out[i % len(out)] for i in range(n)), key=len)


def machine(device: str, threads: int) -> dict:
    import torch

    from enunciate.hardware import cpu_info, describe

    info = {"torch": torch.__version__, "cpu": cpu_info(), "threads": threads}
    if device == "cuda":
        info |= {"device": torch.cuda.get_device_name(0), "cuda": torch.version.cuda}
    else:
        info["device"] = describe(threads)
    return info


def unpacked_onnx(directory: Path) -> Path:
    """kokoro.onnx in `directory`, or decompressed once from kokoro.onnx.xz (it travels compressed)
    into the temp folder: inside the carried folder it would push the next run over 64 MiB."""
    if (directory / "kokoro.onnx").exists():
        return directory / "kokoro.onnx"
    packed = directory / "kokoro.onnx.xz"
    stat = packed.stat()
    onnx = Path(tempfile.gettempdir()) / f"enunciate_kokoro_{stat.st_size}_{stat.st_mtime_ns}.onnx"
    if not onnx.exists():
        tmp = onnx.with_suffix(f".{os.getpid()}.tmp")
        with lzma.open(packed) as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 24)
        tmp.replace(onnx)
    return onnx


def voice_folder(directory: str | None) -> str | None:
    """A staged voice folder (voice.json beside its files) ready to load: as it is, or, when its
    Kokoro model travelled as kokoro.onnx.xz, a copy in the temp folder with the model unpacked
    (its SHA-256 is checked against voice.json when it loads)."""
    if not directory:
        return None
    d = Path(directory)
    if not (d / "kokoro.onnx.xz").exists() or (d / "kokoro.onnx").exists():
        return str(d)
    onnx = unpacked_onnx(d)
    ready = onnx.with_suffix(".voice")
    if not (ready / "voice.json").exists():
        tmp = ready.with_name(f"{ready.name}.{os.getpid()}.tmp")
        tmp.mkdir(parents=True, exist_ok=True)
        for f in d.iterdir():
            if f.name != "kokoro.onnx.xz":
                shutil.copy(f, tmp / f.name)
        os.link(onnx, tmp / "kokoro.onnx") if onnx.stat().st_dev == tmp.stat().st_dev else shutil.copy(onnx, tmp)
        os.replace(tmp, ready)
    return str(ready)


def load(name: str, device: str, dtype: str, mode: str, threads: int, joe_dir: str | None,
         kokoro_dir: str | None):
    """Through a VoiceSpec and the registry: the voice by name, or its staged voice folder (on a
    machine without the voices' packages). mode: "eager", "compile", or "onnx" (ONNX Runtime, CPU
    fp32 only)."""
    from enunciate import VoiceSpec

    folder = voice_folder({"joe": joe_dir, "kokoro": kokoro_dir}.get(name)) or name
    if mode == "onnx":  # the ONNX Runtime voice one utterance at a time (its default batch), as the CPU baseline
        if device != "cpu" or dtype != "fp32":
            raise ValueError("mode onnx is the CPU fp32 baseline (ONNX Runtime runs on the CPU here)")
        return VoiceSpec(folder, engine="onnx", threads=threads).load()
    return VoiceSpec(folder, engine="torch", device=device, dtype=dtype, compile=mode == "compile",
                     threads=threads).load()


REFERENCES: dict[str, list] = {}  # voice name -> the CPU fp32 eager chunks of its fidelity inputs


def fidelity_inputs(name: str, count: int) -> list[str]:
    """`count` distinct dev-set inputs from the middle to the longest (each long enough for MCD)."""
    distinct = sorted(set(all_phonemes("espeak" if name == "joe" else "kokoro")), key=len)
    return [distinct[min(len(distinct) - 1, (len(distinct) - 1) * (count + k) // (2 * count - 1))]
            for k in range(count)]


def quiet(voice, phonemes: list[str]):
    """Noise off where the voice has noise (joe), so a device's audio can be compared to the CPU's."""
    if voice.capabilities.seeded_noise:
        return voice.synthesize_batch(phonemes, 1.0, 0, noise=False)
    return voice.synthesize_batch(phonemes, 1.0, 0)


def fidelity(name: str, voice, batch: int, args) -> dict:
    """How far a variant's audio is from CPU fp32 eager on the same inputs, so a run on a GPU also
    shows that its audio is right: whether every phoneme duration matches, the worst duration
    difference, and the worst MCD (dB, DTW-aligned) and waveform SNR (dB, equal lengths only).
    The inputs go through in calls of `batch` (repeated to fill one), so a compiled voice meets
    no new shape."""
    from enunciate.evaluate.intrusive import mcd_dtw, snr_db

    picks = fidelity_inputs(name, args.fidelity_items)
    if name not in REFERENCES:
        cpu = load(name, "cpu", "fp32", "eager", args.threads, args.joe_dir, args.kokoro_dir)
        REFERENCES[name] = [quiet(cpu, [p])[0] for p in picks]
    items = (picks * batch)[:max(batch, len(picks))]
    chunks = [c for k in range(0, len(items), batch) for c in quiet(voice, items[k:k + batch])][:len(picks)]
    worst_s, mcds, snrs = 0.0, [], []
    for ref, out in zip(REFERENCES[name], chunks):
        if worst_s is not None and len(ref.durations_s) == len(out.durations_s):
            worst_s = max(worst_s, float(np.max(np.abs(np.asarray(ref.durations_s) - out.durations_s), initial=0)))
        else:
            worst_s = None  # another phoneme count: a frontend or vocabulary difference, not precision
        mcds.append(mcd_dtw(ref.audio, out.audio, ref.sample_rate))
        snrs.append(snr_db(ref.audio, out.audio) if len(ref.audio) == len(out.audio) else None)
    snr = None if None in snrs else min(snrs)
    return {"items": len(picks), "identical": snr == float("inf"), "durations_equal": worst_s == 0,
            "duration_diff_max_s": worst_s, "mcd_db_max": round(max(mcds), 3),
            "snr_db_min": None if snr in (None, float("inf")) else round(snr, 1)}


def one_pass(voice, inputs: list[str], batch: int, device: str) -> tuple[float, float]:
    """Synthesize all inputs in batches: (wall seconds, audio seconds)."""
    import torch

    if device == "cuda":
        torch.cuda.synchronize()
    start, produced = time.perf_counter(), 0.0
    for k in range(0, len(inputs), batch):
        produced += sum(c.duration_s for c in voice.synthesize_batch(inputs[k:k + batch], 1.0, 0))
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start, produced


def profile_call(voice, inputs: list[str], batch: int, device: str, path: Path) -> dict:
    """One call of `batch` items under torch.profiler: what bounds it. On a GPU, kernel time well
    below the wall time means the host (Python, launches, copies) is the bound, not the device.
    The full table goes to `path`."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    cuda = device == "cuda"
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    with profile(activities=activities) as prof:
        start = time.perf_counter()
        voice.synthesize_batch(inputs[:batch], 1.0, 0)
        if cuda:
            torch.cuda.synchronize()
        wall_ms = (time.perf_counter() - start) * 1000
    events = prof.key_averages()
    key = "self_device_time_total" if cuda else "self_cpu_time_total"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(events.table(sort_by=key, row_limit=30))
    top = sorted(events, key=lambda e: getattr(e, key, 0), reverse=True)[:5]
    out = {"wall_ms": wall_ms, "top_ops": [(e.key, getattr(e, key, 0) / 1000) for e in top], "table": path.name}
    if cuda:
        out["device_busy_ms"] = device_busy_ms(events)
    return out


def device_busy_ms(events) -> float:
    """Time the device was busy in a profile: kernel and copy rows only, because an aten op's row
    repeats the device time of the kernels it launched (summing both counts each kernel twice)."""
    from torch.autograd import DeviceType

    return sum(e.self_device_time_total for e in events if e.device_type != DeviceType.CPU) / 1000


def bench(name: str, batch: int, variants: list[tuple[str, str]], args) -> list[dict]:
    """One (voice, batch) configuration, its (dtype, mode) variants side by side: each repeat runs
    every variant once, in turn. A variant that fails to load or compile is reported as an error row
    and leaves the others measured."""
    import torch

    voices, rows, failed = {}, {}, []
    inputs = phoneme_inputs("espeak" if name == "joe" else "kokoro", max(args.items, batch))
    for dtype, mode in variants:
        try:
            voice = load(name, args.device, dtype, mode, args.threads, args.joe_dir, args.kokoro_dir)
            warm_s, _ = one_pass(voice, inputs, batch, args.device)  # allocations, kernels, compiled shapes
        except Exception as e:
            print(f"{name} {dtype} {mode} batch {batch}: failed: {e!r}", flush=True)
            failed.append({"voice": name, "dtype": dtype, "batch": batch, "mode": mode, "error": repr(e)})
            continue
        voices[dtype, mode] = voice
        rows[dtype, mode] = {"voice": name, "dtype": dtype, "batch": batch, "mode": mode, "items": len(inputs),
                             "compile_s": round(warm_s, 1) if mode == "compile" else None, "walls": []}
        if mode != "onnx" and args.fidelity_items:
            try:
                rows[dtype, mode]["fidelity"] = fidelity(name, voice, batch, args)
            except Exception as e:  # the speed is still worth having
                print(f"{name} {dtype} {mode} batch {batch}: fidelity check failed: {e!r}", flush=True)
                rows[dtype, mode]["fidelity"] = {"error": repr(e)}
    if args.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    from enunciate.bench.nvml import GpuMeter

    for _ in range(args.repeats):
        for key, voice in voices.items():
            with GpuMeter() if args.device == "cuda" else nullcontext() as meter:
                wall, audio_s = one_pass(voice, inputs, batch, args.device)
            rows[key]["walls"].append(wall)
            rows[key]["audio_s"] = audio_s
            if meter is not None and meter.reading.energy_j is not None:
                rows[key].setdefault("energy", []).append((meter.reading.energy_j, meter.reading.util_pct,
                                                           meter.reading.power_w))
    peak = torch.cuda.max_memory_allocated() / 2**20 if args.device == "cuda" else None
    for (dtype, mode), voice in voices.items():
        if mode == "eager" and str(batch) in args.profile_batches.split(","):
            table = Path(args.out) / "profiles" / f"{name}_{dtype}_batch{batch}_{args.device}.txt"
            rows[dtype, mode]["profile"] = profile_call(voice, inputs, batch, args.device, table)
    for row in rows.values():
        wall = statistics.median(row.pop("walls"))
        row |= {"wall_s": wall, "audio_s_per_s": row["audio_s"] / wall, "peak_mem_mb": peak,
                "latency_ms_per_request": wall / -(-len(inputs) // batch) * 1000}
        energy = row.pop("energy", None)
        if energy:  # NVML: the whole card's energy over each repeat (idle power included), median
            row |= {"energy_j_per_audio_s": statistics.median(e / row["audio_s"] for e, _, _ in energy),
                    "gpu_util_pct": statistics.median(u for _, u, _ in energy if u is not None)
                    if any(u is not None for _, u, _ in energy) else None,
                    "power_w": statistics.median(p for _, _, p in energy if p is not None)}
    for (dtype, mode), row in rows.items():
        if mode != "eager" and (dtype, "eager") in rows:
            row["speedup_vs_eager"] = rows[dtype, "eager"]["wall_s"] / row["wall_s"]
        print(f"{name:7s} {dtype:5s} {mode:8s} batch {batch:4d}: {row['audio_s_per_s']:9.1f} audio-s/s  "
              f"latency {row['latency_ms_per_request']:8.1f} ms/request"
              + (f"  compile {row['compile_s']:.0f} s" if row["compile_s"] is not None else ""), flush=True)
    return [*rows.values(), *failed]


def configurations(args) -> list[tuple[str, int, list[tuple[str, str]]]]:
    """(voice, batch, [(dtype, mode)]) in the order they run: every uncompiled configuration first,
    so a run cut short still brings back the eager table, then those with compile, which measure
    eager again beside it."""
    modes, dtypes = args.modes.split(","), args.dtypes.split(",")
    compiles = [d for d in args.compile_dtypes.split(",") if d in dtypes] if "compile" in modes else []

    def variants(kinds: list[str], with_compile: bool) -> list[tuple[str, str]]:
        return [(d, m) for d in kinds for m in modes
                if (m != "compile" or with_compile) and (m != "onnx" or d == "fp32")]

    plain, compiled = [], []
    for name in args.voices.split(","):
        for batch in args.batches.split(","):
            here = compiles if batch in args.compile_batches.split(",") else []
            plain.append((name, int(batch), variants([d for d in dtypes if d not in here], False)))
            compiled.append((name, int(batch), variants(here, True)))
    return [c for c in plain + compiled if c[2]]


def fidelity_cell(f: dict | None) -> str:
    if not f:
        return ""
    if "error" in f:
        return f"failed: {f['error'][:60]}"
    if f["identical"]:
        return "identical"
    durations = ("equal" if f["durations_equal"] else "other phonemes" if f["duration_diff_max_s"] is None
                 else f"differ (up to {f['duration_diff_max_s'] * 1000:.0f} ms)")
    snr = "" if f["snr_db_min"] is None else f", {f['snr_db_min']:g}"
    return f"{durations}, {f['mcd_db_max']:.2f}{snr}"


def stem(result: dict, out_dir: Path) -> Path:
    """gpu_throughput_cpu, or on a GPU gpu_throughput_cuda_<card> (h100, h200): cards keep their own tables."""
    name = f"gpu_throughput_{result['args']['device']}"
    if result["args"]["device"] != "cpu":
        words = result["machine"]["device"].replace("NVIDIA", "").split()
        name += "_" + next((w for w in words if any(c.isdigit() for c in w)), "_".join(words)).lower()
    return out_dir / name


def write(result: dict, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = stem(result, out_dir)
    path.with_suffix(".json").write_text(json.dumps(result, indent=1))
    m = result["machine"]
    commands = result.get("commands") or [result["command"]]
    lines = [f"Device: {m['device']}; torch {m['torch']}" + (f", CUDA {m['cuda']}" if m.get("cuda") else ""),
             *(f"Command: `{c}`" for c in commands), *([""] + result["notes"] if result.get("notes") else []), "",
             "| voice | dtype | mode | batch | audio-s/s | latency ms/request | vs eager | compile s | peak MiB "
             "| GPU busy (profiled call) | GPU util (NVML) | J per audio-s (NVML) | vs CPU fp32: durations, MCD dB, "
             "SNR dB |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        if "error" in r:
            lines.append(f"| {r['voice']} | {r['dtype']} | {r.get('mode', '')} | {r.get('batch', '')} "
                         f"| failed: {r['error'][:80]} | | | | | | | | |")
            continue
        vs = f"{r['speedup_vs_eager']:.2f}x" if r.get("speedup_vs_eager") else ""
        mem = f"{r['peak_mem_mb']:.0f}" if r["peak_mem_mb"] else ""
        prof = r.get("profile") or {}
        busy = f"{prof['device_busy_ms'] / prof['wall_ms']:.0%}" if "device_busy_ms" in prof else ""
        util = f"{r['gpu_util_pct']:.0f}%" if r.get("gpu_util_pct") is not None else ""
        joules = f"{r['energy_j_per_audio_s']:.3f}" if r.get("energy_j_per_audio_s") is not None else ""
        lines.append(f"| {r['voice']} | {r['dtype']} | {r['mode']} | {r['batch']} | {r['audio_s_per_s']:.1f} "
                     f"| {r['latency_ms_per_request']:.1f} | {vs} | {r['compile_s'] or ''} | {mem} | {busy} "
                     f"| {util} | {joules} | {fidelity_cell(r.get('fidelity'))} |")
    path.with_suffix(".md").write_text("\n".join(lines) + "\n")


def merge(paths: list[str], out_dir: Path, notes: list[str]) -> dict:
    """One table from several runs on the same device (each GPU call carries one voice)."""
    parts = [json.loads(Path(p).read_text()) for p in paths]
    devices = {part["machine"]["device"] for part in parts}
    if len(devices) > 1:
        raise SystemExit(f"runs on different devices cannot share a table: {', '.join(sorted(devices))}")
    dtypes, modes = ["fp32", "bf16", "fp16"], ["onnx", "eager", "compile"]
    rows = [row | {"run": i} for i, part in enumerate(parts) for row in part["rows"]]
    rows.sort(key=lambda r: (r["voice"], dtypes.index(r["dtype"]) if r["dtype"] in dtypes else 9, r.get("batch", 0),
                             modes.index(r["mode"]) if r.get("mode") in modes else 9))
    result = {"machine": parts[0]["machine"], "commands": [part["command"] for part in parts],
              "args": parts[0]["args"], "runs": [part["args"] for part in parts], "notes": notes, "rows": rows}
    write(result, out_dir)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--voices", default="joe,kokoro")
    ap.add_argument("--batches", default="1,8,32,128")
    ap.add_argument("--dtypes", default="fp32,bf16,fp16")
    ap.add_argument("--modes", default="eager,compile",
                    help="eager, compile (torch.compile; CUDA graphs on cuda), onnx (ONNX Runtime: the CPU baseline)")
    ap.add_argument("--compile-batches", default="1,32",
                    help="batch sizes that also run --modes' compile (each shape compiles first: bound the cost)")
    ap.add_argument("--compile-dtypes", default="bf16", help="dtypes that also run compile")
    ap.add_argument("--profile-batches", default="1,128",
                    help="batch sizes whose eager run is also profiled once (tables under --out/profiles)")
    ap.add_argument("--items", type=int, default=256, help="utterances per measurement")
    ap.add_argument("--fidelity-items", type=int, default=3,
                    help="dev-set utterances each torch variant also speaks with noise off, compared with CPU fp32 "
                    "eager (durations, MCD, SNR); 0: skip")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads (fixed, stated in the results)")
    ap.add_argument("--budget-s", type=float, default=float("inf"),
                    help="start no new configuration after this many seconds (the device's time is short)")
    ap.add_argument("--joe-dir", help="load joe from this voice folder (benchmarks/gpu_prepare.sh joe) instead of "
                                      "its package")
    ap.add_argument("--kokoro-dir", help="load Kokoro from this voice folder (its model may be kokoro.onnx.xz)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"), help="folder for the JSON and Markdown")
    ap.add_argument("--write-inputs", action="store_true",
                    help="only write benchmarks/gpu_inputs.json (the dev set's phonemes) and exit")
    ap.add_argument("--merge", nargs="+", metavar="JSON",
                    help="only merge these result files (runs on one device) into one table under --out")
    ap.add_argument("--note", action="append", default=[], help="with --merge: a line to print under the commands")
    args = ap.parse_args()
    if args.merge:
        print(stem(merge(args.merge, Path(args.out), args.note), Path(args.out)).with_suffix(".md").read_text())
        return 0
    if args.write_inputs:
        INPUTS.write_text(json.dumps({a: dev_set_phonemes(a) for a in ("espeak", "kokoro")}, ensure_ascii=False))
        print(f"wrote {INPUTS}")
        return 0

    import torch

    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    result = {"machine": machine(args.device, args.threads), "command": " ".join(["python", *sys.argv]),
              "args": vars(args) | {"budget_s": None if args.budget_s == float("inf") else args.budget_s},
              "rows": []}
    print(result["machine"]["device"], flush=True)
    for name, batch, variants in configurations(args):
        named = ", ".join(f"{d} {m}" for d, m in variants)
        if time.perf_counter() - start > args.budget_s:
            print(f"budget spent: skipping {name} batch {batch} ({named})", flush=True)
            continue
        try:
            result["rows"] += bench(name, batch, variants, args)
        except Exception as e:  # one failing configuration must not lose the others' numbers
            print(f"{name} batch {batch} ({named}): failed: {e!r}", flush=True)
            result["rows"] += [{"voice": name, "dtype": d, "batch": batch, "mode": m, "error": repr(e)}
                               for d, m in variants]
        write(result, Path(args.out))
    print(stem(result, Path(args.out)).with_suffix(".md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
