"""Where the distilled student's quality goes: heart's frames with one part swapped for the student's.

The student (`enunciate train student`) predicts heart's per-frame parameters, which heart's DSP
turns into audio: a harmonic filter (lh, theta), a noise envelope (ln), a free-phase branch (lr,
phi) and F0, plus the token durations. This script renders dev-set sentences (never trained on)
with heart's frames, then with one group of them replaced by the student's prediction for the same
frames (the student driven by heart's durations, so the frames line up), and scores each with
DistillMOS: the group whose swap costs most is where training should go next.

    python benchmarks/student_ablation.py out/heart-student-6k.train/checkpoint-0006000.pt --limit 16

Writes benchmarks/results/student_ablation.{json,md}. The DSP's noise uses one seed per sentence,
the same for every variant, so the differences are paired.
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
RESULTS = ROOT / "benchmarks" / "results"
PARTS = ("lh", "theta", "ln", "lr", "phi", "f0")
VOICED = 40.0  # Hz: heart's DSP makes a frame under it noise
# What is swapped in from the student: one row of the table each.
VARIANTS = {
    "heart (teacher frames)": (),
    "student F0": ("f0",),
    "student F0 contour, heart's voicing": "contour",
    "heart's F0 contour, the student's voicing": "voicing",
    "student harmonic filter magnitude (lh)": ("lh",),
    "student harmonic filter phase (theta)": ("theta",),
    "student noise envelope (ln)": ("ln",),
    "student free-phase branch (lr, phi)": ("lr", "phi"),
    "student free-phase magnitude (lr)": ("lr",),
    "student free-phase phase (phi)": ("phi",),
    "student lh, heart's values at heart's top 0.1% of lh": ("peaks", 0.1, ("lh",)),
    "student lh, heart's values at heart's top 1% of lh": ("peaks", 1.0, ("lh",)),
    "student frames, heart's values at heart's top 1% of lh": ("peaks", 1.0, PARTS),
    "student magnitudes (lh, ln, lr)": ("lh", "ln", "lr"),
    "student phases (theta, phi)": ("theta", "phi"),
    "student frames, heart's durations": PARTS,
    "heart's frames, magnitudes floored at -12 nats, theta clipped to +-3": "floored",
    "the same through the student's head (its rank-limited span)": "head",
    "student (PyTorch, float), its own durations": "own",
    "student voice (int8 ONNX), its own durations": None,
}


def load_student(checkpoint: Path):
    """(the student network of a run's checkpoint, in eval mode, its step)."""
    from enunciate.train.student import build_student, read_checkpoint

    config, weights, step = read_checkpoint(checkpoint)
    model = build_student(config)
    model.load_state_dict(weights)
    return model.eval(), step


def student_frames(model, ids: np.ndarray, durations: np.ndarray) -> dict[str, np.ndarray]:
    """The student's six outputs [1, 601, F] / [1, F] for the frames heart's `durations` make."""
    from enunciate.train.student_pitch import aligned_frames
    from enunciate.train.teacher_frames import BINS, COLUMNS

    y = aligned_frames(model, ids, durations).T[None]
    out = {name: y[:, i * BINS:(i + 1) * BINS] for i, name in enumerate(PARTS[:5])}
    out["f0"] = y[:, COLUMNS - 1]
    return out


def floored(teacher: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """heart's frames as the training loss sees them: magnitudes under LOG_FLOOR count as LOG_FLOOR,
    and theta beyond +-3 (pi tanh(3) is within 0.5% of pi) changes nothing audible."""
    from enunciate.train.student import LOG_FLOOR

    out = {k: np.asarray(teacher[k]) for k in PARTS}
    for k in ("lh", "ln", "lr"):
        out[k] = np.maximum(out[k], LOG_FLOOR)
    out["theta"] = np.clip(out["theta"], -3.0, 3.0)
    return out


def through_head(model, teacher: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """heart's frames projected onto what the student's last layer can output (its bias plus the span
    of its `head_rank` columns, least squares in the training units: F0 per 100 Hz): the frames a
    perfect student of this shape could give at best."""
    from enunciate.train.teacher_frames import BINS, COLUMNS, F0_SCALE

    w = model.head.weight.detach().numpy().astype(np.float64)      # [3006, rank]
    b = model.head.bias.detach().numpy().astype(np.float64)
    teacher = floored(teacher)
    y = np.concatenate([teacher[k][0] for k in PARTS[:5]] + [teacher["f0"][0][None] / F0_SCALE], 0).T  # [F, 3006]
    coef, *_ = np.linalg.lstsq(w, (y - b).T, rcond=None)
    z = (w @ coef).T + b
    out = {name: z[None, :, i * BINS:(i + 1) * BINS].transpose(0, 2, 1) for i, name in enumerate(PARTS[:5])}
    out["f0"] = z[None, :, COLUMNS - 1] * F0_SCALE
    return {k: v.astype(np.float32) for k, v in out.items()}


def principal_spaces(voice, ranks: list[int], lines: int = 60) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """{K: (mean, top-K principal directions)} of heart's floored frames over the first `lines` of
    benchmarks/data/speaker_corpus.txt (docs prose; none of it in the dev set), in training units."""
    from enunciate.options import SpeakOptions
    from enunciate.pipeline import Report, plan
    from enunciate.train.teacher_frames import F0_SCALE, top_components

    texts = (ROOT / "benchmarks" / "data" / "speaker_corpus.txt").read_text(encoding="utf-8").splitlines()[:lines]
    rows = []
    for text in texts:
        for chunk in plan(text, SpeakOptions(markup="plain"), voice, Report()):
            f = floored(voice.network_outputs(chunk.phonemes))
            rows.append(np.concatenate([f[k][0] for k in PARTS[:5]] + [f["f0"][0][None] / F0_SCALE], 0).T)
    x = np.concatenate(rows).astype(np.float32)
    mean = x.mean(0)
    _, vt = top_components(x - mean, max(ranks), np.random.default_rng(0))
    return {k: (mean, vt[:k]) for k in ranks}


def in_components(teacher: dict[str, np.ndarray], mean: np.ndarray, vt: np.ndarray) -> dict[str, np.ndarray]:
    """heart's floored frames kept to their coordinates on `vt` (orthonormal rows) around `mean`."""
    from enunciate.train.teacher_frames import BINS, COLUMNS, F0_SCALE

    f = floored(teacher)
    y = np.concatenate([f[k][0] for k in PARTS[:5]] + [f["f0"][0][None] / F0_SCALE], 0).T
    z = (y - mean) @ vt.T @ vt + mean
    out = {name: z[None, :, i * BINS:(i + 1) * BINS].transpose(0, 2, 1) for i, name in enumerate(PARTS[:5])}
    out["f0"] = z[None, :, COLUMNS - 1] * F0_SCALE
    return {k: v.astype(np.float32) for k, v in out.items()}


def f0_mix(teacher: dict[str, np.ndarray], student: dict[str, np.ndarray], keep: str) -> np.ndarray:
    """F0 [F] with the contour of one side and the voicing (F0 over VOICED Hz) of the other: "contour"
    takes the student's values where heart is voiced, "voicing" heart's values where the student is
    (the student's where heart is not)."""
    t, s = teacher["f0"][0], student["f0"][0][: teacher["f0"].shape[-1]]
    if keep == "contour":
        return np.where(t > VOICED, np.maximum(s, VOICED), 0).astype(np.float32)
    return np.where(s > VOICED, np.where(t > VOICED, t, s), 0).astype(np.float32)


def f0_error(teacher: dict[str, np.ndarray], student: dict[str, np.ndarray]) -> dict:
    """The student's F0 against heart's on frames both voice: mean absolute error in cents, its mean
    (bias), the share of frames voiced by one side only, and the error by fifth of the sentence."""
    t, s = teacher["f0"][0], student["f0"][0][: teacher["f0"].shape[-1]]
    both = (t > VOICED) & (s > VOICED)
    cents = 1200 * np.log2(s[both] / t[both])
    where = np.nonzero(both)[0] / len(t)
    return {"frames": int(both.sum()), "abs_cents": float(np.abs(cents).sum()), "cents": float(cents.sum()),
            "voicing_differs": int(((t > VOICED) != (s > VOICED)).sum()), "all_frames": len(t),
            "by_fifth": [[float(np.abs(cents[(where >= k / 5) & (where < (k + 1) / 5)]).sum()),
                          int(((where >= k / 5) & (where < (k + 1) / 5)).sum())] for k in range(5)]}


def peak_shortfall(teachers: list[np.ndarray], students: list[np.ndarray], top: float = 0.1) -> dict:
    """Where a log-magnitude branch's energy lies and how much of it the student gives: over all bins
    and frames, the share of heart's energy (exp(2 x)) in heart's top `top` % of values, the student's
    mean shortfall there (nats), the median bin of those values, and the student's energy over heart's
    there and over all."""
    t = np.concatenate([x.ravel() for x in teachers]).astype(np.float64)
    s = np.concatenate([x.ravel() for x in students]).astype(np.float64)
    bins = np.concatenate([np.broadcast_to(np.arange(x.shape[0])[:, None], x.shape).ravel() for x in teachers])
    peak = t >= np.percentile(t, 100 - top)
    energy = np.exp(2 * t)
    return {"top_percent": top, "energy_share": round(float(energy[peak].sum() / energy.sum()), 3),
            "shortfall_nats": round(float((t[peak] - s[peak]).mean()), 3),
            "median_bin": int(np.median(bins[peak])),
            "energy_ratio_there": round(float(np.exp(2 * s[peak]).sum() / energy[peak].sum()), 3),
            "energy_ratio_all": round(float(np.exp(2 * s).sum() / energy.sum()), 3)}


def paired_rows(scores: dict[str, list[float]], baseline: str, vs: str) -> list[dict]:
    """One row per variant: its mean DistillMOS and its change against `baseline`'s, paired by chunk,
    with a 95% bootstrap interval (under the key `vs`)."""
    from enunciate.evaluate.stats import bootstrap_ci

    base = np.asarray(scores[baseline])
    rows = []
    for name, values in scores.items():
        values = np.asarray(values)
        low, high = bootstrap_ci(values - base) if name != baseline else (0.0, 0.0)
        rows.append({"variant": name, "distillmos": round(float(values.mean()), 3),
                     vs: round(float((values - base).mean()), 3), "ci95": [round(low, 3), round(high, 3)],
                     "values": [round(float(v), 3) for v in values]})
    return rows


def own_durations(model, ids: np.ndarray) -> dict[str, np.ndarray]:
    """The student's float network as the voice runs it: its own rounded durations."""
    import torch

    with torch.no_grad():
        outputs = model(torch.from_numpy(ids), torch.ones(1))
    return {k: v.numpy() for k, v in zip(PARTS, outputs[:6])}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint", help="a student run's checkpoint-*.pt")
    parser.add_argument("--voice", default=None, help="the exported student voice folder (default: none; the "
                        "last row is then skipped)")
    parser.add_argument("--limit", type=int, default=16, help="dev-set sentences")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ranks", default="80,160,320", help="principal-component ranks to keep heart's frames to")
    parser.add_argument("--f0-shrink", type=float, default=None, metavar="K",
                        help="also swap in the student's F0 pulled toward each sentence's mean by K (default: the "
                             "--voice's f0_shrink when it has one)")
    parser.add_argument("--name", default="student_ablation")
    args = parser.parse_args(argv)

    import torch
    from tqdm import tqdm

    from enunciate.evaluate.command import DEFAULT_TERMS
    from enunciate.evaluate.mos import distillmos_score
    from enunciate.hardware import cpu_info, describe
    from enunciate.evaluate.terms import load_term_set
    from enunciate.options import SpeakOptions, VoiceSpec
    from enunciate.pipeline import Report, plan
    from enunciate.train.student_pitch import shrink_f0
    from enunciate.voices import hibari_dsp
    from enunciate.voices.folder import read_manifest
    from enunciate.voices.hibari import DURATION_TENSOR

    torch.set_num_threads(args.threads)
    heart = VoiceSpec("heart", threads=args.threads).load()
    student_voice = VoiceSpec(args.voice, threads=args.threads).load() if args.voice else None
    model, step = load_student(Path(args.checkpoint))
    ranks = [int(k) for k in args.ranks.split(",") if k]
    spaces = principal_spaces(heart, ranks) if ranks else {}
    for k in ranks:
        VARIANTS[f"heart's floored frames in their top {k} principal components"] = k
    shrink = args.f0_shrink
    if shrink is None and args.voice:
        shrink = read_manifest(args.voice, verify=False).metrics.get("f0_shrink")
    if shrink not in (None, 1.0):
        VARIANTS[f"student F0 pulled toward its sentence mean (x {shrink:g})"] = "shrunk"
        VARIANTS[f"student frames, heart's durations, F0 pulled (x {shrink:g})"] = "all shrunk"
    texts = [item.text for item in load_term_set(DEFAULT_TERMS)][:args.limit]
    scores = {name: [] for name in VARIANTS if VARIANTS[name] is not None or student_voice}
    f0_errors = []
    branches = {"lh": ([], []), "lr": ([], [])}   # heart's and the student's, per chunk
    t0 = time.perf_counter()
    for i, text in enumerate(tqdm(texts, desc="sentences", unit="sentence")):
        for chunk in (c.phonemes for c in plan(text, SpeakOptions(markup="plain"), heart, Report())):
            teacher = heart.network_outputs(chunk)
            ids = heart.feeds(chunk)["ids"]
            durations = teacher[DURATION_TENSOR].reshape(-1)
            student = student_frames(model, ids, durations)
            f0_errors.append(f0_error(teacher, student))
            for k in ("lh", "lr"):
                branches[k][0].append(teacher[k][0][:, :teacher["f0"].shape[-1]])
                branches[k][1].append(student[k][0][:, :teacher["f0"].shape[-1]])
            frames = teacher["f0"].shape[-1]
            for name, swapped in VARIANTS.items():
                if swapped is None:
                    if student_voice is None:
                        continue
                    parts = [student_voice.network_outputs(chunk)[k][0] for k in PARTS]
                elif swapped == "floored":
                    parts = [v[0] for v in floored(teacher).values()]
                elif swapped == "head":
                    parts = [v[0] for v in through_head(model, teacher).values()]
                elif isinstance(swapped, int):
                    parts = [v[0] for v in in_components(teacher, *spaces[swapped]).values()]
                elif swapped in ("contour", "voicing"):
                    parts = [teacher[k][0][..., :frames] for k in PARTS[:5]] + [f0_mix(teacher, student, swapped)]
                elif swapped[:1] == ("peaks",):  # heart's largest lh values put back
                    _, top, taken = swapped
                    parts = [(student if k in taken else teacher)[k][0][..., :frames] for k in PARTS]
                    heart_lh = teacher["lh"][0][:, :frames]
                    loud = heart_lh >= np.percentile(heart_lh, 100 - top)
                    parts[0] = np.where(loud, heart_lh, parts[0])
                elif swapped in ("shrunk", "all shrunk"):
                    pulled = shrink_f0(torch.from_numpy(student["f0"]), shrink).numpy()[0][:frames]
                    base = student if swapped == "all shrunk" else teacher
                    parts = [base[k][0][..., :frames] for k in PARTS[:5]] + [pulled]
                elif swapped == "own":
                    parts = [v[0] for v in own_durations(model, ids).values()]
                else:
                    parts = [(student if k in swapped else teacher)[k][0][..., :frames] for k in PARTS]
                audio = hibari_dsp.synth(*parts, np.random.default_rng([0, i]), 1, None)
                scores[name].append(distillmos_score(np.asarray(audio, np.float32), heart.sample_rate))
    rows = paired_rows(scores, "heart (teacher frames)", "vs_heart")
    base = np.asarray(scores["heart (teacher frames)"])
    for r in rows:
        swapped = VARIANTS[r["variant"]]
        if isinstance(swapped, tuple) and swapped[:1] == ("peaks",):
            swapped = [*swapped[2], f"heart's top {swapped[1]}% of lh"]
        r["swapped"] = list(swapped) if isinstance(swapped, tuple) else swapped or "voice"
    n = sum(e["frames"] for e in f0_errors)
    f0 = {"voiced_frames": n, "mean_abs_cents": round(sum(e["abs_cents"] for e in f0_errors) / n, 1),
          "mean_cents": round(sum(e["cents"] for e in f0_errors) / n, 1),
          "voicing_differs": round(sum(e["voicing_differs"] for e in f0_errors)
                                   / sum(e["all_frames"] for e in f0_errors), 4),
          "mean_abs_cents_by_fifth": [round(sum(e["by_fifth"][k][0] for e in f0_errors)
                                            / max(1, sum(e["by_fifth"][k][1] for e in f0_errors)), 1)
                                      for k in range(5)]}
    peaks = {k: peak_shortfall(*v) for k, v in branches.items()}
    result = {"command": shlex.join(["python", *sys.argv]), "checkpoint": str(args.checkpoint), "step": step,
              "voice": args.voice, "sentences": len(base), "machine": cpu_info(), "threads": args.threads,
              "seconds": round(time.perf_counter() - t0, 1), "rows": rows, "f0": f0, "peaks": peaks}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(result, indent=1) + "\n")
    lines = [f"# Student ablation: heart's frames with one part from the student (step {step})", "",
             f"`{result['command']}`; {describe(args.threads)}; {result['seconds']:.0f} s. "
             f"DistillMOS of {len(base)} chunks of dev-set sentences (never trained on); change against heart's "
             "own frames, paired, with a 95% bootstrap interval. The student is driven by heart's durations "
             "except in the last row.", "",
             "| frames | DistillMOS | change vs heart |", "|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['variant']} | {r['distillmos']:.2f} | {r['vs_heart']:+.2f} [{r['ci95'][0]:+.2f}, "
                     f"{r['ci95'][1]:+.2f}] |")
    lines += ["", f"F0 on the {n} frames both voice (heart's durations): mean absolute error "
              f"{f0['mean_abs_cents']:.0f} cents (mean {f0['mean_cents']:+.0f}); voiced by one side only: "
              f"{100 * f0['voicing_differs']:.1f}% of frames; by fifth of the sentence: "
              + ", ".join(f"{c:.0f}" for c in f0["mean_abs_cents_by_fifth"]) + " cents.", ""]
    hz_per_bin = heart.sample_rate / 2 / (teacher["lh"].shape[1] - 1)
    for k, p in peaks.items():
        lines.append(f"{k}: heart's top {p['top_percent']:g}% of values (median bin {p['median_bin']}, "
                     f"{p['median_bin'] * hz_per_bin:.0f} Hz) hold {100 * p['energy_share']:.0f}% of its energy; "
                     f"the student is {p['shortfall_nats']:.2f} nats under them, giving "
                     f"{p['energy_ratio_there']:.2f} of their energy ({p['energy_ratio_all']:.2f} of the "
                     "branch's in all).")
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
