"""How well enunciate's word timestamps agree with Whisper's, per voice, over the dev set; and what
timestamps cost.

    .venv/bin/python benchmarks/alignment.py --voices heart,joe,kokoro --asr base --threads 2

Whisper's word times on clean synthetic speech run early by a roughly constant bias, so its median
offset is removed first; then we report the median absolute difference of word starts and the share
within 100 ms, over words matched by text. Timestamp cost = time spent turning durations into word
times / total synthesis time (the durations themselves come out of the same forward pass).
Writes benchmarks/results/alignment.json.
"""
from __future__ import annotations

import difflib
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import numpy as np  # noqa: E402

from enunciate import SpeakOptions, load_voice, speak  # noqa: E402
from enunciate import pipeline  # noqa: E402
from enunciate.bench import devset  # noqa: E402
from enunciate.hardware import cpu_info, describe  # noqa: E402
from enunciate.evaluate.asr import transcribe_words  # noqa: E402
from enunciate.evaluate.textnorm import normalize_transcript  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


class _Timer:
    """Wraps the pipeline's word-timing function to add up the time spent in it."""

    def __init__(self):
        self.seconds = 0.0
        self._inner = pipeline._time_words

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self._inner(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start


def _key(text: str) -> str:
    return normalize_transcript(text).replace(" ", "")


def matched_starts(ours, theirs) -> list[tuple[float, float]]:
    a = [_key(w.text) for w in ours]
    b = [_key(w.word) for w in theirs]
    pairs = []
    for block in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            if a[block.a + k]:
                pairs.append((ours[block.a + k].start_s, theirs[block.b + k].start_s))
    return pairs


def main() -> int:
    args = devset.parser(__doc__).parse_args()
    print(describe(args.threads))
    items = devset.items(args.limit)
    timer = _Timer()
    pipeline._time_words = timer
    rows = {}
    for name in args.voices.split(","):
        load_voice(name, args.threads)
        options = SpeakOptions(voice=name, threads=args.threads)
        timer.seconds, synth_s, diffs = 0.0, 0.0, []
        for item in items:
            start = time.perf_counter()
            speech = speak(item.text, options)
            synth_s += time.perf_counter() - start
            words = transcribe_words(speech.audio, speech.sample_rate, args.asr, args.threads)
            diffs += [ours - theirs for ours, theirs in matched_starts(speech.words, words)]
        d = np.asarray(diffs)
        bias = float(np.median(d))
        err = np.abs(d - bias)
        rows[name] = {"words_matched": int(d.size), "whisper_bias_s": bias,
                      "median_abs_diff_ms": float(np.median(err) * 1000),
                      "within_100ms": float(np.mean(err <= 0.1)),
                      "timestamp_cost_share": timer.seconds / synth_s}
        print(f"{name:8s} matched {d.size:4d} words  Whisper bias {bias * 1000:+6.0f} ms  "
              f"median |diff| {rows[name]['median_abs_diff_ms']:5.0f} ms  within 100 ms "
              f"{rows[name]['within_100ms']:.0%}  timestamp cost {rows[name]['timestamp_cost_share']:.2%}")
    out = {"machine": cpu_info(), "threads": args.threads, "asr": args.asr, "sentences": len(items),
           "command": " ".join(["python", *sys.argv]), "results": rows}
    path = ROOT / "benchmarks" / "results" / "alignment.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=1))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
