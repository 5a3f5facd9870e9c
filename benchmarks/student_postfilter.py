"""A postfilter for the distilled student: its frames' per-bin level and spread put back to heart's.

A network trained by regression predicts the average of what it cannot know, so its outputs vary
less over time than its teacher's (the over-smoothing that statistical parametric synthesis met
and answered with global-variance compensation and postfilters). This script measures, per bin,
the mean and the within-sentence standard deviation over time of heart's and the student's lh,
ln and lr (both floored at -12 nats, as the training loss sees them; each voice with its own
durations, so nothing needs aligning) on calibration sentences that neither the student's training
nor the dev set holds, and the F0's spread and frame-to-frame jitter. The postfilter then maps each
student frame x of a sentence, per bin b, to

    x' = m_b + r_b^a (x - m_b) + d_b

with m_b the sentence's mean, r_b heart's spread over the student's, d_b heart's mean less the
student's, a the strength. Each variant renders dev-set sentences through heart's DSP with one
noise seed per sentence and is scored with DistillMOS, paired against the student as it is.

    python benchmarks/student_postfilter.py benchmarks/results/student --calibrate 60 --first 0 --limit 16

Writes benchmarks/results/<name>.{json,md}. Measured (student_postfilter_dev1-30.md, _dev31-60.md):
heart's per-bin spread over time is within 2-5% of the student's, and no variant holds a gain on
dev sentences 31-60; F0 smoothing's +0.07-0.09 on dev 1-30 falls to +0.01-0.04 there.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from student_ablation import paired_rows  # noqa: E402
RESULTS = ROOT / "benchmarks" / "results"
PARTS = ("lh", "theta", "ln", "lr", "phi", "f0")
MAGNITUDES = ("lh", "ln", "lr")
FLOOR = -12.0
VOICED = 40.0


def chunks(voice, text: str) -> list[str]:
    from enunciate.options import SpeakOptions
    from enunciate.pipeline import Report, plan

    return [c.phonemes for c in plan(text, SpeakOptions(markup="plain"), voice, Report())]


class Moments:
    """Per-bin sums over sentences: the mean over frames, and the within-sentence variance over time."""

    def __init__(self):
        self.n = self.total = self.within = 0

    def add(self, x: np.ndarray) -> None:   # x [bins, frames]
        x = np.maximum(x.astype(np.float64), FLOOR)
        self.n += x.shape[1]
        self.total = self.total + x.sum(1)
        self.within = self.within + ((x - x.mean(1, keepdims=True)) ** 2).sum(1)

    def mean(self) -> np.ndarray:
        return self.total / self.n

    def std(self) -> np.ndarray:
        return np.sqrt(self.within / self.n)


def f0_stats(f0: np.ndarray) -> tuple[list[float], list[float]]:
    """(log F0 about the sentence's mean on voiced frames, |log F0 steps| between voiced neighbours)."""
    voiced = f0 > VOICED
    if voiced.sum() < 2:
        return [], []
    lf = np.log(f0[voiced])
    both = voiced[1:] & voiced[:-1]
    steps = np.abs(np.diff(np.log(np.maximum(f0, VOICED))))[both]
    return list(lf - lf.mean()), list(steps)


def calibrate(heart, student, texts: list[str]) -> dict:
    from tqdm import tqdm

    moments = {side: {k: Moments() for k in MAGNITUDES} for side in ("heart", "student")}
    f0 = {side: ([], []) for side in ("heart", "student")}
    for text in tqdm(texts, desc="calibration", unit="sentence"):
        for chunk in chunks(heart, text):
            for side, voice in (("heart", heart), ("student", student)):
                out = voice.network_outputs(chunk)
                frames = out["f0"].shape[-1]
                for k in MAGNITUDES:
                    moments[side][k].add(out[k][0][:, :frames])
                spread, steps = f0_stats(out["f0"][0])
                f0[side][0].extend(spread)
                f0[side][1].extend(steps)
    cal = {}
    for k in MAGNITUDES:
        h, s = moments["heart"][k], moments["student"][k]
        cal[f"{k}_ratio"] = (h.std() / np.maximum(s.std(), 1e-3)).astype(np.float32)
        cal[f"{k}_offset"] = (h.mean() - s.mean()).astype(np.float32)
        cal[f"{k}_heart_std"], cal[f"{k}_student_std"] = h.std(), s.std()
    cal["f0"] = {side: {"spread": float(np.std(v[0])), "jitter": float(np.mean(v[1])),
                        "jitter_p90": float(np.percentile(v[1], 90))} for side, v in f0.items()}
    return cal


def postfilter(out: dict[str, np.ndarray], cal: dict, branches=MAGNITUDES, strength: float = 1.0,
               offset: bool = True, spread: bool = True, cap: float = 3.0) -> dict[str, np.ndarray]:
    """The student's outputs with each of `branches` mapped as the module docstring says."""
    res = dict(out)
    for k in branches:
        x = out[k][0].astype(np.float32)
        y = x
        if spread:
            r = np.clip(cal[f"{k}_ratio"], 1 / cap, cap) ** strength
            m = x.mean(1, keepdims=True)
            y = m + r[:, None] * (x - m)
        if offset:
            y = y + strength * cal[f"{k}_offset"][:, None]
        res[k] = y[None].astype(np.float32)
    return res


KERNELS = {"3": [1, 1, 1], "5": [1, 1, 1, 1, 1], "121": [1, 2, 1], "141": [1, 4, 1], "12321": [1, 2, 3, 2, 1]}


def median3_f0(f0: np.ndarray) -> np.ndarray:
    """F0 [1, F] with each voiced frame the median of itself and its two neighbours, a neighbour that is
    unvoiced (or beyond the ends) counting as the frame itself: a one-frame spike goes, the ends of a
    voiced run and unvoiced frames stay as they are."""
    x = f0[0].astype(np.float32)
    voiced = x > VOICED
    padded, ok = np.pad(x, 1, mode="edge"), np.pad(voiced, 1)
    prev = np.where(ok[:-2], padded[:-2], x)
    nxt = np.where(ok[2:], padded[2:], x)
    median = prev + x + nxt - np.maximum(np.maximum(prev, x), nxt) - np.minimum(np.minimum(prev, x), nxt)
    return np.where(voiced, median, x)[None].astype(np.float32)


def smooth_f0(f0: np.ndarray, kernel: str) -> np.ndarray:
    """F0 [1, F] averaged in log with weights KERNELS[kernel] over voiced neighbours; unvoiced frames as
    they are ("median3": median3_f0)."""
    x = f0[0].astype(np.float64)
    voiced = x > VOICED
    lf = np.where(voiced, np.log(np.maximum(x, VOICED)), 0.0)
    if kernel == "median3":
        return median3_f0(f0)
    kernel = np.asarray(KERNELS[kernel], np.float64)
    num = np.convolve(lf, kernel, "same")
    den = np.convolve(voiced.astype(float), kernel, "same")
    y = np.where(voiced, np.exp(num / np.maximum(den, 1)), x)
    return y[None].astype(np.float32)


VARIANTS = {
    "student as it is": None,
    "mean offset only (lh, ln, lr)": dict(spread=False),
    "spread only (lh, ln, lr)": dict(offset=False),
    "offset and spread (lh, ln, lr)": dict(),
    "offset and spread, half strength": dict(strength=0.5),
    "offset and spread, lh only": dict(branches=("lh",)),
    "offset and spread, lr only": dict(branches=("lr",)),
    "offset and spread, ln only": dict(branches=("ln",)),
    "offset and spread (lh, lr)": dict(branches=("lh", "lr")),
    "F0 smoothed over 3 frames": "f0:3",
    "F0 smoothed over 5 frames": "f0:5",
    "F0 smoothed, weights 1 2 1": "f0:121",
    "F0 smoothed, weights 1 4 1": "f0:141",
    "F0 smoothed, weights 1 2 3 2 1": "f0:12321",
    "F0 median of 3": "f0:median3",
}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("voice", help="the student voice folder")
    parser.add_argument("--calibrate", type=int, default=60, help="calibration sentences (package descriptions)")
    parser.add_argument("--corpus", default=str(ROOT / "out" / "package_corpus.txt"),
                        help="calibration text, one sentence a line (python benchmarks/train_student.py packages F)")
    parser.add_argument("--terms", default=None, help="the dev set (default: enunciate's)")
    parser.add_argument("--first", type=int, default=0, help="first dev sentence (0-based)")
    parser.add_argument("--limit", type=int, default=16, help="dev sentences")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--variants", default=None, help="variant names separated by ; (default: all)")
    parser.add_argument("--name", default="student_postfilter")
    args = parser.parse_args(argv)

    from tqdm import tqdm

    from enunciate.evaluate.command import DEFAULT_TERMS
    from enunciate.evaluate.mos import distillmos_score
    from enunciate.evaluate.terms import load_term_set
    from enunciate.hardware import cpu_info, describe
    from enunciate.options import VoiceSpec
    from enunciate.voices import hibari_dsp

    heart = VoiceSpec("heart", threads=args.threads).load()
    student = VoiceSpec(args.voice, threads=args.threads).load()
    dev = [item.text for item in load_term_set(args.terms or DEFAULT_TERMS)]
    dev_set = set(dev)
    corpus = [t for t in Path(args.corpus).read_text(encoding="utf-8").splitlines() if t.strip() and t not in dev_set]
    step = max(1, len(corpus) // args.calibrate)
    t0 = time.perf_counter()
    cal = calibrate(heart, student, corpus[::step][:args.calibrate])
    variants = {k: v for k, v in VARIANTS.items()
                if args.variants is None or k == "student as it is" or k in args.variants.split(";")}
    texts = dev[args.first:args.first + args.limit]
    scores = {name: [] for name in variants}
    scores["heart"] = []
    for i, text in enumerate(tqdm(texts, desc="dev", unit="sentence")):
        for j, chunk in enumerate(chunks(heart, text)):
            seed = [0, args.first + i, j]
            teacher = heart.network_outputs(chunk)
            audio = hibari_dsp.synth(*[teacher[k][0] for k in PARTS], np.random.default_rng(seed), 1, None)
            scores["heart"].append(distillmos_score(np.asarray(audio, np.float32), heart.sample_rate))
            out = student.network_outputs(chunk)
            for name, how in variants.items():
                if how is None:
                    frames = out
                elif isinstance(how, str):
                    frames = dict(out, f0=smooth_f0(out["f0"], how.split(":")[1]))
                else:
                    frames = postfilter(out, cal, **how)
                audio = hibari_dsp.synth(*[frames[k][0] for k in PARTS], np.random.default_rng(seed), 1, None)
                scores[name].append(distillmos_score(np.asarray(audio, np.float32), heart.sample_rate))
    rows = paired_rows(scores, "student as it is", "vs_student")
    base = scores["student as it is"]
    summary = {k: {"ratio_median": round(float(np.median(cal[f"{k}_ratio"])), 3),
                   "ratio_p10_p90": [round(float(np.percentile(cal[f"{k}_ratio"], q)), 3) for q in (10, 90)],
                   "offset_median": round(float(np.median(cal[f"{k}_offset"])), 3)} for k in MAGNITUDES}
    result = {"command": shlex.join(["python", *sys.argv]), "voice": args.voice, "calibration_sentences":
              args.calibrate, "dev_first": args.first, "dev_sentences": len(texts), "chunks": len(base),
              "machine": cpu_info(), "threads": args.threads, "seconds": round(time.perf_counter() - t0, 1),
              "branches": summary, "f0": cal["f0"], "rows": rows}
    (RESULTS / f"{args.name}.json").write_text(json.dumps(result, indent=1) + "\n")
    lines = [f"# Student postfilter: heart's per-bin level and spread put back ({args.voice})", "",
             f"`{result['command']}`; {describe(args.threads)}; {result['seconds']:.0f} s. Calibrated on "
             f"{args.calibrate} package-description sentences; DistillMOS of {len(base)} chunks of dev sentences "
             f"{args.first + 1}-{args.first + len(texts)}, paired against the student as it is, 95% bootstrap "
             "interval.", "", "| frames | DistillMOS | change vs the student |", "|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['variant']} | {r['distillmos']:.2f} | {r['vs_student']:+.2f} "
                     f"[{r['ci95'][0]:+.2f}, {r['ci95'][1]:+.2f}] |")
    lines += ["", "| branch | heart's spread / the student's (median, p10-p90) | heart's mean less the student's "
              "(median, nats) |", "|---|---|---|"]
    for k, s in summary.items():
        lines.append(f"| {k} | {s['ratio_median']:.2f} ({s['ratio_p10_p90'][0]:.2f}-{s['ratio_p10_p90'][1]:.2f}) "
                     f"| {s['offset_median']:+.2f} |")
    f0 = cal["f0"]
    lines += ["", "F0 (voiced frames, log units): spread about the sentence mean heart "
              f"{f0['heart']['spread']:.3f}, student {f0['student']['spread']:.3f}; mean step between voiced "
              f"neighbours heart {f0['heart']['jitter']:.4f}, student {f0['student']['jitter']:.4f} (p90 "
              f"{f0['heart']['jitter_p90']:.4f} / {f0['student']['jitter_p90']:.4f})."]
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
