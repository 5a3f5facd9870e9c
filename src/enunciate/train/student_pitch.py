"""The student's pitch range on clips it never trained on, and a pull of its F0 toward each
sentence's mean.

On sentences outside its training set the student's F0 swings wider around the sentence's mean
than heart's (the spread of its log F0 is 1.13-1.25x heart's on validation clips and dev sentences,
1.09x on clips it trained on). The least-squares slope of heart's log F0 on the student's, each
taken about its sentence's mean over voiced frames, is the factor that brings the student's contour
closest to heart's (0.66 on the validation clips for the 10,500-step student, 0.85 on training
clips); `f0_slope` measures it and every export records it, as a gauge of how the student's pitch
generalises. `shrink_f0` pulls every sentence's voiced F0 toward its own mean (in log) by a factor:

    log f0' = m + k (log f0 - m)        m: the mean log F0 of the sentence's voiced frames

`Student.forward` applies it (and so the ONNX export holds it) when its `f0_shrink` is not 1, which
`--f0-shrink` asks for. Measured on dev sentences it did not improve the exported voice
(docs/training.md), so the default is 1. Unvoiced frames (under VOICED_HZ, which heart's DSP makes
noise) are left as they are, and a voiced frame stays voiced for k in (0, 1].
"""
from __future__ import annotations

import numpy as np

from .teacher_frames import COLUMNS, F0_SCALE, FRAMES_PER_UNIT, TeacherFrames

VOICED_HZ = 40.0           # heart's DSP turns a frame under it into noise
SLOPE_RANGE = (0.25, 1.0)  # what an estimate is kept to: pull toward the mean, never push away from it


def shrink_f0(f0, k: float):
    """F0 [B, F] (torch, Hz) with each row's voiced frames pulled toward the row's mean log F0 by k."""
    import torch

    voiced = f0 > VOICED_HZ
    log_f0 = torch.log(torch.clamp(f0, min=VOICED_HZ))
    weight = voiced.to(f0.dtype)
    mean = (log_f0 * weight).sum(-1, keepdim=True) / torch.clamp(weight.sum(-1, keepdim=True), min=1.0)
    return torch.where(voiced, torch.exp(mean + k * (log_f0 - mean)), f0)


def aligned_frames(model, ids: np.ndarray, durations: np.ndarray) -> np.ndarray:
    """The student's frames [F, 3006] (F0 in Hz) for the frames the teacher's `durations` (600-sample
    units, one per id) make: the student driven by the teacher's timing, so the frames line up."""
    import torch

    device = next(model.parameters()).device
    with torch.no_grad():
        h, _ = model.encode(torch.as_tensor(np.asarray(ids, np.int64).reshape(1, -1), device=device))
        lengths = np.maximum(np.asarray(durations, np.int64).reshape(-1), 1) * FRAMES_PER_UNIT
        token = np.repeat(np.arange(len(lengths)), lengths)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        position = torch.as_tensor((np.arange(len(token)) - starts[token] + 0.5) / lengths[token],
                                   dtype=torch.float32, device=device)
        x = torch.cat([h[0, torch.as_tensor(token, device=device)], position[:, None]], 1)
        y = model.decode(x[None])[0].float().cpu().numpy()
    y[:, COLUMNS - 1] *= F0_SCALE
    return y


def contour_slope(pairs) -> tuple[float, int]:
    """(the least-squares slope of the teacher's log F0 on the student's, voiced frames counted) over
    (teacher F0, student F0) pairs of arrays in Hz: each side's log F0 taken about its own mean over
    the frames it voices, the slope over the frames both voice."""
    xs, ys = [], []
    for teacher, student in pairs:
        n = min(len(teacher), len(student))
        teacher, student = np.asarray(teacher[:n], np.float64), np.asarray(student[:n], np.float64)
        vt, vs = teacher > VOICED_HZ, student > VOICED_HZ
        both = vt & vs
        if both.sum() < 2:
            continue
        xs.append(np.log(student[both]) - np.log(student[vs]).mean())
        ys.append(np.log(teacher[both]) - np.log(teacher[vt]).mean())
    if not xs:
        return 1.0, 0
    x, y = np.concatenate(xs), np.concatenate(ys)
    return float((x * y).sum() / max((x * x).sum(), 1e-12)), len(x)


def f0_slope(model, data: TeacherFrames, limit: int = 16) -> dict:
    """{"factor": k, "slope", "clips", "frames": voiced frames counted, "on": which clips}: the
    `contour_slope` of the student driven by the teacher's durations over the validation clips (or,
    for a corpus too small to hold any back, the first `limit` training clips), kept to SLOPE_RANGE."""
    on = "validation clips" if data.validation else "training clips (the corpus holds none back)"
    rows = (data.validation or data.rows)[:limit]
    was_training = model.training
    model.eval()
    pairs = [(data.frames(row)[:, -1], aligned_frames(model, row["ids"], row["durations"])[:, -1]) for row in rows]
    model.train(was_training)
    slope, frames = contour_slope(pairs)
    return {"factor": round(float(np.clip(slope, *SLOPE_RANGE)), 4), "slope": round(slope, 4), "clips": len(rows),
            "frames": frames, "on": on}
