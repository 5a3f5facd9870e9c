"""The default voice through enunciate against `hibari-tts`'s own pipeline (its G2P, the same model,
the same DSP), side by side, interleaved, on the same texts, threads and CPU.

    .venv/bin/python benchmarks/heart_vs_hibari.py --threads 2 --rounds 3

Two workloads: the dev set's sentences one at a time (one chunk each), and documents of five
dev-set sentences (several chunks, where enunciate's hibari voice overlaps the DSP of one chunk with
the network of the next). For each: real-time factor (wall / audio seconds, median over texts of
the per-round medians) and time to first audio when streaming (enunciate.stream's first chunk, cut
at a clause within 60 phonemes (`first_chunk_symbols`), vs hibari's stream()'s first
sentence). Each round runs every engine on every text in turn, so drift
in the machine's speed hits both alike. Writes benchmarks/results/heart_vs_hibari.{json,md}.
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

from enunciate.evaluate.terms import DEV_SET, load_term_set  # noqa: E402
from enunciate.hardware import cpu_info, describe  # noqa: E402

RESULTS = Path(__file__).parent / "results"
FIRST_CHUNK = 60  # SpeakOptions.first_chunk_symbols when streaming: the first chunk ends at a clause within it


def engines(threads: int) -> dict:
    """name -> (speak(text) -> audio seconds, first(text) -> seconds to the first audio)."""
    from hibari import Hibari

    from enunciate import SpeakOptions, VoiceSpec
    from enunciate.pipeline import speak, stream

    voice = VoiceSpec("heart", threads=threads).load()
    options = SpeakOptions(seed=0)
    streaming = SpeakOptions(seed=0, first_chunk_symbols=FIRST_CHUNK)
    own = Hibari(threads=threads)

    def ours(text: str) -> float:
        return speak(text, voice, options).duration_s

    def ours_first(text: str) -> None:
        next(iter(stream(text, voice, streaming)))

    def theirs(text: str) -> float:
        return len(own(text, seed=0)) / own.sample_rate

    def theirs_first(text: str) -> None:
        next(iter(own.stream(text, seed=0)))
    return {"enunciate heart": (ours, ours_first), "hibari-tts own pipeline": (theirs, theirs_first)}


def measure(fn, text: str) -> tuple[float, float]:
    start = time.perf_counter()
    out = fn(text)
    return time.perf_counter() - start, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sentences", type=int, default=40, help="dev-set sentences (0: all 82)")
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args()
    texts = [item.text for item in load_term_set(DEV_SET)]
    sentences = texts[: args.sentences or None]
    documents = [" ".join(sentences[i:i + 5]) for i in range(0, len(sentences) - 4, 5)]
    table = engines(args.threads)
    for speak_fn, first_fn in table.values():  # warm-up: sessions, caches, lexicons
        speak_fn(sentences[0]), first_fn(sentences[0])
    print(describe(args.threads), file=sys.stderr)
    rows: dict = {}
    for workload, items in (("sentence", sentences), ("document", documents)):
        rtf = {name: [[] for _ in items] for name in table}
        ttfa = {name: [[] for _ in items] for name in table}
        for r in range(args.rounds):
            for i, text in enumerate(items):
                for name, (speak_fn, first_fn) in table.items():
                    wall, audio_s = measure(speak_fn, text)
                    rtf[name][i].append(wall / audio_s)
                    first_s, _ = measure(first_fn, text)
                    ttfa[name][i].append(first_s)
            print(f"{workload}: round {r + 1}/{args.rounds}", file=sys.stderr)
        for name in table:
            rows[workload, name] = {
                "rtf": statistics.median(statistics.median(x) for x in rtf[name]),
                "ttfa_ms": 1000 * statistics.median(statistics.median(x) for x in ttfa[name]),
                "texts": len(items)}
    ours, theirs = "enunciate heart", "hibari-tts own pipeline"
    lines = [f"{describe(args.threads)}; {args.rounds} interleaved rounds",
             f"Command: `python benchmarks/heart_vs_hibari.py --threads {args.threads} --rounds {args.rounds} "
             f"--sentences {args.sentences}`", "",
             "| workload | texts | engine | RTF | time to first audio ms | speed vs hibari | TTFA vs hibari |",
             "|---|---|---|---|---|---|---|"]
    for workload in ("sentence", "document"):
        for name in (ours, theirs):
            row, base = rows[workload, name], rows[workload, theirs]
            lines.append(f"| {workload} | {row['texts']} | {name} | {row['rtf']:.4f} | {row['ttfa_ms']:.1f} "
                         f"| {base['rtf'] / row['rtf']:.2f}x | {row['ttfa_ms'] / base['ttfa_ms']:.2f}x |")
    print("\n".join(lines))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    result = {"machine": cpu_info(), "threads": args.threads, "rounds": args.rounds,
              "rows": [{"workload": w, "engine": n, **v} for (w, n), v in rows.items()]}
    (out / "heart_vs_hibari.json").write_text(json.dumps(result, indent=1))
    (out / "heart_vs_hibari.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
