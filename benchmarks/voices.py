"""Choose the default voice by measurement: every English voice over the dev set, side by side in one
run (sentences interleaved across voices, threads fixed): term hit rate and WER through Whisper,
DistillMOS, and real-time factor, each with a bootstrap 95% interval over sentences.

    .venv/bin/python benchmarks/voices.py --threads 2 --asr base

Writes benchmarks/results/voices.json and voices.md (the table in docs/evaluation.md).
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

from enunciate.bench import devset  # noqa: E402
from enunciate.hardware import cpu_info, describe  # noqa: E402
from enunciate.evaluate import engines  # noqa: E402
from enunciate.evaluate.asr import transcribe  # noqa: E402
from enunciate.evaluate.mos import distillmos_score  # noqa: E402
from enunciate.evaluate.roundtrip import ItemResult, RoundTrip  # noqa: E402
from enunciate.evaluate.terms import score_terms  # noqa: E402
from enunciate.evaluate.wer import cer, wer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    args = devset.parser(__doc__).parse_args()
    print(describe(args.threads))
    items = devset.items(args.limit)
    voices = {name: engines.enunciate_engine(name, args.threads) for name in args.voices.split(",")}
    for engine in voices.values():
        engine.synth("Warm up.")
    results: dict[str, list[ItemResult]] = {name: [] for name in voices}
    for item in tqdm(items, desc="sentences", unit="sentence"):
        for name, engine in voices.items():  # interleaved: each voice sees the same machine state
            start = time.perf_counter()
            audio, sr = engine.synth(item.text)
            synth_s = time.perf_counter() - start
            text = transcribe(audio, sr, args.asr, args.threads)
            mos = distillmos_score(audio, sr, args.threads)
            results[name].append(ItemResult(item.id, item.text, text, wer(item.text, text),
                                            cer(item.text, text), len(audio) / sr, synth_s, mos))
    rows = {}
    for name, res in results.items():
        trip = RoundTrip(voices[name].name, args.asr, res, score_terms(items, {r.id: r.transcript for r in res}))
        rows[name] = trip.summary()
        rtfs = [r.synth_s / r.audio_s for r in res]
        rows[name]["rtf_median"] = float(np.median(rtfs))
    lines = [f"Dev set: {len(items)} sentences, {rows[next(iter(rows))]['terms']} terms; ASR Whisper {args.asr}; "
             f"{describe(args.threads)}", "",
             "| voice | term hit rate [95% CI] | WER [95% CI] | DistillMOS [95% CI] | RTF (median) |",
             "|---|---|---|---|---|"]
    for name, r in rows.items():
        lo, hi = r["term_hit_rate_ci95"]
        wlo, whi = r["wer_ci95"]
        mlo, mhi = r["distillmos_ci95"]
        lines.append(f"| {name} | {r['term_hit_rate']:.3f} [{lo:.3f}, {hi:.3f}] "
                     f"| {r['wer']:.3f} [{wlo:.3f}, {whi:.3f}] "
                     f"| {r['distillmos']:.2f} [{mlo:.2f}, {mhi:.2f}] | {r['rtf_median']:.4f} |")
    table = "\n".join(lines)
    print("\n" + table)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "voices.json").write_text(json.dumps({"machine": cpu_info(), "threads": args.threads, "asr": args.asr,
                                                 "command": " ".join(["python", *sys.argv]), "results": rows},
                                                indent=1))
    (out / "voices.md").write_text(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
