"""Test-retest noise floor of each quality measure `enunciate eval` reports, scored naively and robustly.

    .venv/bin/python benchmarks/quality_noise_floor.py --voices heart,joe --sentences 10 --pairs 5

Texts: dev-set sentences (every 8th of tests/data/tech_sentences.tsv), as `enunciate eval` speaks
them, and texts of two of those sentences, which hold the sentence pause enunciate inserts as exact
zeros. For each voice and text there are takes synthesized with seeds 0, 1 and 2, and three
retests that should not change a score:
- `dither`: the take plus ±1 LSB (1/32768, random sign per sample, fixed seed): the low bits a
  quantized variant changes;
- `int16`: the take as a 16-bit WAV holds it (exact zeros where it is quiet) against that plus ±1 LSB;
- `reseed`: the same sentence synthesized with another seed (joe's durations are drawn, heart's are not).
The retest difference of a no-reference measure M (DistillMOS, DNSMOS OVRL, Whisper WER) is
M(seed-0 take) - M(retest); for a measure against the seed-0 take (PESQ, STOI, MCD) it is
M(s0, s1) - M(s0, s1 retested), where reseeding s1 gives s2. `naive` scores the clip whole
(`speech_only=False`, `canonical_silence=False`), `robust` is what enunciate eval does. Whisper,
STOI and MCD have no robust variant: they need none (see the results).

Per measure and retest: mean |difference|, its 95th percentile, the largest, and the mean signed
difference (what a budget on a mean over sentences sees). Writes
benchmarks/results/quality_noise_floor.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # torch threads spinning beside ORT slow both on 2 cores

import numpy as np  # noqa: E402

import enunciate  # noqa: E402
from enunciate.evaluate import intrusive, mos  # noqa: E402
from enunciate.evaluate.asr import transcribe  # noqa: E402
from enunciate.evaluate.terms import DEV_SET, load_term_set  # noqa: E402
from enunciate.evaluate.wer import wer  # noqa: E402
from enunciate.hardware import cpu_info, describe  # noqa: E402

RESULTS = Path(__file__).parent / "results"
LSB = 1.0 / 32768.0
RETESTS = ("dither", "int16", "reseed")
AUTO_BUDGET = 0.05  # enunciate optimize --auto: DistillMOS may drop by at most this much
MEASURES = {  # name -> (label, modes)
    "distillmos": ("DistillMOS", ("naive", "robust")),
    "dnsmos_ovrl": ("DNSMOS OVRL", ("naive", "robust")),
    "wer": ("Whisper WER", ("naive",)),
    "pesq_wb": ("PESQ-WB vs seed-0 take", ("naive", "robust")),
    "stoi": ("STOI vs seed-0 take", ("naive",)),
    "mcd_db": ("MCD-DTW dB vs seed-0 take", ("naive",)),
}


def dithered(x: np.ndarray, seed: int) -> np.ndarray:
    return (x + np.random.default_rng(seed).choice([-1.0, 1.0], x.size) * LSB).astype(np.float32)


def as_int16(x: np.ndarray) -> np.ndarray:
    """What a 16-bit WAV file holds and soundfile reads back as float."""
    return (np.clip(np.round(x * 32768.0), -32768, 32767) / 32768.0).astype(np.float32)


def clips_of(voice, text: str, index: int) -> tuple[int, dict[str, np.ndarray]]:
    """The takes and their retests for one sentence."""
    takes = {}
    for seed in (0, 1, 2):
        speech = enunciate.speak(text, voice=voice, seed=seed)
        takes[f"s{seed}"], sr = np.asarray(speech.audio, np.float32), speech.sample_rate
    s0, s1 = takes["s0"], takes["s1"]
    clips = {**takes, "s0 dither": dithered(s0, 1000 + index), "s1 dither": dithered(s1, 2000 + index),
             "s0 int16": as_int16(s0), "s1 int16": as_int16(s1)}
    clips["s0 int16 dither"] = as_int16(dithered(clips["s0 int16"], 3000 + index))
    clips["s1 int16 dither"] = as_int16(dithered(clips["s1 int16"], 4000 + index))
    return sr, clips


# retest -> (no-reference: clip A, clip B), (against s0: test clip A, test clip B)
PAIRS = {"dither": (("s0", "s0 dither"), ("s1", "s1 dither")),
         "int16": (("s0 int16", "s0 int16 dither"), ("s1 int16", "s1 int16 dither")),
         "reseed": (("s0", "s1"), ("s1", "s2"))}


def score_sentence(voice, text: str, index: int, asr: str, threads: int) -> dict:
    """Every measure of every clip one retest needs, naive and robust."""
    sr, clips = clips_of(voice, text, index)
    no_ref = sorted({c for pair, _ in PAIRS.values() for c in pair})
    with_ref = sorted({c for _, pair in PAIRS.values() for c in pair})
    scores: dict = {"distillmos": {}, "dnsmos_ovrl": {}, "wer": {}, "pesq_wb": {}, "stoi": {}, "mcd_db": {}}
    for name in no_ref:
        x = clips[name]
        for mode, speech_only in (("naive", False), ("robust", True)):
            scores["distillmos"][f"{name}|{mode}"] = mos.distillmos_score(x, sr, threads, speech_only=speech_only)
            scores["dnsmos_ovrl"][f"{name}|{mode}"] = mos.dnsmos_score(x, sr, threads, speech_only=speech_only)["ovrl"]
        scores["wer"][f"{name}|naive"] = wer(text, transcribe(x, sr, asr, threads))
    reference = clips["s0"]
    for name in with_ref:
        both = intrusive.compare(reference, clips[name], sr)
        scores["pesq_wb"][f"{name}|robust"] = both["pesq_wb"]
        scores["pesq_wb"][f"{name}|naive"] = intrusive.pesq_wb(reference, clips[name], sr, canonical_silence=False)
        scores["stoi"][f"{name}|naive"] = both["stoi"]
        scores["mcd_db"][f"{name}|naive"] = both["mcd_db"]
    return {"text": text, "sample_rate": sr, "duration_s": len(clips["s0"]) / sr,
            "exact_zeros": {name: float(np.mean(x == 0)) for name, x in clips.items()}, "scores": scores}


def differences(rows: list[dict], measure: str, retest: str, mode: str) -> np.ndarray:
    no_ref, with_ref = PAIRS[retest]
    a, b = with_ref if measure in ("pesq_wb", "stoi", "mcd_db") else no_ref
    return np.array([r["scores"][measure][f"{a}|{mode}"] - r["scores"][measure][f"{b}|{mode}"] for r in rows])


def summarize(d: np.ndarray) -> dict:
    return {"n": int(d.size), "mean_abs": float(np.mean(np.abs(d))), "p95_abs": float(np.percentile(np.abs(d), 95)),
            "max_abs": float(np.max(np.abs(d))), "mean_signed": float(np.mean(d)), "sd": float(np.std(d, ddof=1))}


def summary_table(rows_by_voice: dict[str, list[dict]]) -> dict:
    groups = {**rows_by_voice, "all": [r for rows in rows_by_voice.values() for r in rows]}
    groups["single sentences"] = [r for r in groups["all"] if r["kind"] == "sentence"]
    groups["two sentences (a pause)"] = [r for r in groups["all"] if r["kind"] == "two sentences"]
    groups = {name: rows for name, rows in groups.items() if rows}
    return {group: {measure: {retest: {mode: summarize(differences(rows, measure, retest, mode)) for mode in modes}
                              for retest in RETESTS}
                    for measure, (_, modes) in MEASURES.items()}
            for group, rows in groups.items()}


def fmt(cell: dict, digits: int) -> str:
    return f"{cell['mean_abs']:.{digits}f} / {cell['p95_abs']:.{digits}f}"


def markdown(summary: dict, args, machine: str, minutes: float) -> list[str]:
    digits = {"stoi": 4, "wer": 3}
    lines = ["# Noise floor of the quality measures (test-retest)", "",
             f"{machine}; per voice {args.sentences} dev-set sentences and {args.pairs} texts of two of them, "
             f"Whisper {args.asr}; {minutes:.0f} min.",
             f"Command: `.venv/bin/python benchmarks/quality_noise_floor.py --voices "
             f"{args.voices} --sentences {args.sentences} --pairs {args.pairs} --asr {args.asr} "
             f"--threads {args.threads}`",
             "",
             "Cells: mean |retest difference| / 95th percentile. naive: the clip scored whole; robust: what "
             "`enunciate eval` does (MOS on the speech region, PESQ with canonical digital silence). "
             "Whisper, STOI and MCD are scored one way only.", ""]
    for group, measures in summary.items():
        lines += [f"## {group}", "", "| measure | mode | ±1 LSB dither | int16 WAV ± 1 LSB | another seed |",
                  "|---|---|---|---|---|"]
        for measure, (label, modes) in MEASURES.items():
            for mode in modes:
                cells = [fmt(measures[measure][r][mode], digits.get(measure, 3)) for r in RETESTS]
                lines.append(f"| {label} | {mode} | " + " | ".join(cells) + " |")
        lines.append("")
    n_dev = len(load_term_set(DEV_SET))
    lines += ["## The `--auto` budget", "",
              f"`enunciate optimize --auto` keeps a variant whose mean DistillMOS drops by at most {AUTO_BUDGET}. "
              "Robust DistillMOS retest per clip, and the 95% half-width of a mean over the dev set's "
              f"{n_dev} sentences (1.96 sd / sqrt({n_dev}) of the per-clip differences):", "",
              "| voice | retest | per clip: 95th pct | largest | mean over the dev set: ± "
              "| budget above the floor of | naive per clip: 95th pct |",
              "|---|---|---|---|---|---|---|"]
    worst_mean = 0.0
    for group in [g for g in summary if g not in ("single sentences", "two sentences (a pause)")]:
        for retest in RETESTS:
            cell = summary[group]["distillmos"][retest]["robust"]
            half_width = 1.96 * cell["sd"] / np.sqrt(n_dev)
            above = [what for what, floor in (("one clip", cell["p95_abs"]), ("a mean", half_width))
                     if AUTO_BUDGET > floor]
            naive = summary[group]["distillmos"][retest]["naive"]
            worst_mean = max(worst_mean, half_width + abs(cell["mean_signed"]))
            lines.append(f"| {group} | {retest} | {cell['p95_abs']:.3f} | {cell['max_abs']:.3f} | {half_width:.3f} "
                         f"| {' and '.join(above) or 'neither'} | {naive['p95_abs']:.3f} |")
    verdict = "sits above" if AUTO_BUDGET > worst_mean else "does NOT sit above"
    lines += ["", f"Verdict: the budget ({AUTO_BUDGET}) {verdict} the robust floor of a mean over the dev set "
              f"(largest: {worst_mean:.3f}, the half-width plus the mean's own shift). Per clip it is above the floor "
              "of low-bit changes only: a voice that draws its durations from the seed (joe) differs by more than "
              "the budget from one take to the next, which no treatment of silence can change."]
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voices", default="heart,joe")
    ap.add_argument("--sentences", type=int, default=10, help="dev-set sentences per voice (every 8th)")
    ap.add_argument("--pairs", type=int, default=5, help="texts of two consecutive ones of those sentences")
    ap.add_argument("--asr", default="tiny.en", choices=("tiny.en", "base"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=str(RESULTS))
    ap.add_argument("--report-only", action="store_true", help="rewrite the tables from the saved JSON, run nothing")
    args = ap.parse_args()
    out = Path(args.out)
    if args.report_only:
        saved = json.loads((out / "quality_noise_floor.json").read_text())
        return write(out, args, saved["clips"], saved["minutes"])
    items = load_term_set(DEV_SET)[::8][: args.sentences]
    texts = [("sentence", item.id, item.text) for item in items]
    texts += [("two sentences", f"{a.id}+{b.id}", f"{a.text} {b.text}")
              for a, b in zip(items[0:2 * args.pairs:2], items[1:2 * args.pairs:2])]
    start = time.perf_counter()
    rows_by_voice: dict[str, list[dict]] = {}
    for name in args.voices.split(","):
        voice = enunciate.load_voice(name, args.threads)
        rows_by_voice[name] = []
        for index, (kind, text_id, text) in enumerate(texts):
            row = score_sentence(voice, text, index, args.asr, args.threads)
            rows_by_voice[name].append({"id": text_id, "kind": kind, **row})
            print(f"{name} {text_id}: DistillMOS naive {row['scores']['distillmos']['s0|naive']:.3f} "
                  f"robust {row['scores']['distillmos']['s0|robust']:.3f}", file=sys.stderr)
    return write(out, args, rows_by_voice, (time.perf_counter() - start) / 60)


def write(out: Path, args, rows_by_voice: dict[str, list[dict]], minutes: float) -> int:
    summary = summary_table(rows_by_voice)
    lines = markdown(summary, args, describe(args.threads), minutes)
    print("\n".join(lines))
    out.mkdir(parents=True, exist_ok=True)
    result = {"machine": cpu_info(), "threads": args.threads, "asr": args.asr, "lsb": LSB,
              "auto_budget_distillmos": AUTO_BUDGET, "minutes": minutes, "summary": summary, "clips": rows_by_voice}
    (out / "quality_noise_floor.json").write_text(json.dumps(result, indent=1))
    (out / "quality_noise_floor.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
