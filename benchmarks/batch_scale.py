"""How `enunciate batch` scales on this machine: local 1 and 2 worker processes, Ray 1 and 2 actors,
side by side in one run, on the same corpus (dev-set sentences, repeated to --items), voice heart.

    .venv/bin/python benchmarks/batch_scale.py --items 48 --repeats 3

Each configuration uses every core: 1 worker with all of them as threads, 2 workers with half each
(a Ray actor's threads are its num_cpus). Configurations run in a rotating order per repeat, each into
a fresh folder; timed is `run_job` end to end (reading the input, starting the workers or actors,
loading the voice in each, speaking, writing files and manifest); 1 local worker is the driver process
itself, so its imports are warm (a spawned worker or actor pays about a second for them). `ray.init(num_cpus=cores)` is
started once and timed apart. audio-s/s = seconds of audio made / wall seconds, the median over
repeats; "vs local 1" is that against local 1 worker; Ray's overhead per item is (Ray wall - local
wall at the same worker count) / items. Writes benchmarks/results/batch_scale.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from enunciate import SpeakOptions, VoiceSpec  # noqa: E402
from enunciate.batch import BatchJob, run_job  # noqa: E402
from enunciate.bench import devset  # noqa: E402
from enunciate.hardware import cpu_info, describe  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "batch_scale"


def configs(cores: int) -> list[tuple[str, str, int, int]]:
    """(label, executor, workers, threads per worker)."""
    return [("local 1 worker", "local", 1, cores), ("local 2 workers", "local", 2, max(1, cores // 2)),
            ("Ray 1 actor", "ray", 1, cores), ("Ray 2 actors", "ray", 2, max(1, cores // 2))]


def run_once(corpus: Path, executor: str, workers: int, threads: int, voice: str) -> dict:
    from enunciate.voices import registry

    registry._cache.clear()  # 1 local worker is the driver itself: it loads the voice afresh, as the others do
    with tempfile.TemporaryDirectory(prefix="batch-scale-") as out:
        job = BatchJob(corpus, out, VoiceSpec(voice, threads=threads), SpeakOptions(seed=0), executor=executor,
                       workers=workers, num_cpus=threads)
        result = run_job(job)
        rows = [json.loads(line) for line in (Path(out) / "manifest.jsonl").read_text().splitlines()]
    if result.failed or result.done != result.items:
        raise SystemExit(f"{executor} x{workers}: {result.failed} failed, {result.done}/{result.items} done")
    return {"wall_s": result.wall_s, "audio_s": result.audio_s,
            "item_s_median": statistics.median(r["seconds"] for r in rows)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=48)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--voice", default="heart")
    args = ap.parse_args()

    import ray

    cores = len(os.sched_getaffinity(0))
    load = [os.getloadavg()[0]]
    sentences = [item.text for item in devset.items()]
    with tempfile.TemporaryDirectory(prefix="batch-scale-corpus-") as tmp:
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("".join(sentences[k % len(sentences)] + "\n" for k in range(args.items)), encoding="utf-8")
        start = time.perf_counter()
        ray.init(num_cpus=cores, include_dashboard=False, log_to_driver=False)
        ray_init_s = time.perf_counter() - start
        try:
            runs: dict[str, list[dict]] = {label: [] for label, *_ in configs(cores)}
            order = configs(cores)
            for repeat in range(args.repeats):
                for label, executor, workers, threads in order[repeat % len(order):] + order[:repeat % len(order)]:
                    runs[label].append(run_once(corpus, executor, workers, threads, args.voice))
                    print(f"repeat {repeat + 1} {label}: {runs[label][-1]}", file=sys.stderr)
        finally:
            ray.shutdown()
    load.append(os.getloadavg()[0])

    rows = []
    for label, executor, workers, threads in configs(cores):
        wall = statistics.median(r["wall_s"] for r in runs[label])
        audio = runs[label][0]["audio_s"]
        rows.append({"config": label, "executor": executor, "workers": workers, "threads_each": threads,
                     "wall_s": round(wall, 2), "audio_s": round(audio, 2), "audio_s_per_s": round(audio / wall, 2),
                     "item_s_median": round(statistics.median(r["item_s_median"] for r in runs[label]), 4),
                     "walls_s": [round(r["wall_s"], 2) for r in runs[label]]})
    base = rows[0]["audio_s_per_s"]
    for row in rows:
        row["vs_local_1"] = round(row["audio_s_per_s"] / base, 2)
    by = {r["config"]: r for r in rows}
    overhead = {n: round((by[f"Ray {n} actor{'s' if n > 1 else ''}"]["wall_s"]
                          - by[f"local {n} worker{'s' if n > 1 else ''}"]["wall_s"]) / args.items, 4) for n in (1, 2)}
    result = {"machine": cpu_info(), "setup": describe(cores), "voice": args.voice, "items": args.items,
              "repeats": args.repeats, "load_average_1min": [round(x, 2) for x in load],
              "ray_init_s": round(ray_init_s, 2), "ray_overhead_per_item_s": overhead,
              "rows": rows}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    lines = [f"# enunciate batch: local processes vs Ray actors ({args.voice}, {args.items} dev-set sentences)", "",
             f"{describe(cores)} in total per configuration (2 workers: half each); median of {args.repeats} "
             f"repeats in rotating order; wall = `run_job` end to end (workers/actors started and the voice "
             f"loaded in each; 1 local worker is the driver, imports warm). `ray.init(num_cpus={cores})`: "
             f"{ray_init_s:.1f} s, once, not in the walls. Load average (1 min) before/after: {load[0]:.1f}/"
             f"{load[1]:.1f} on {cores} cores (other jobs shared the machine).", "",
             "| configuration | workers | threads each | wall s | audio s | audio-s/s | vs local 1 | item s (median) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['config']} | {r['workers']} | {r['threads_each']} | {r['wall_s']:.2f} | {r['audio_s']:.1f} "
                     f"| {r['audio_s_per_s']:.1f} | {r['vs_local_1']:.2f}x | {r['item_s_median']:.3f} |")
    lines += ["", f"Ray's overhead per item (Ray wall - local wall at the same worker count, / {args.items} items): "
              f"{overhead[1] * 1000:.0f} ms with 1 actor, {overhead[2] * 1000:.0f} ms with 2; most of it is a fixed "
              "cost (a Ray Data job and its actors start, each loading the voice), so it shrinks per item as the "
              "corpus grows."]
    OUT.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
