"""Small statistics for evaluation reports."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def bootstrap_ci(
    values: Sequence[float],
    n: int = 2000,
    seed: int = 0,
    weights: Sequence[float] | None = None,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the (weighted) mean of per-sentence `values`.

    Resampling whole sentences keeps the correlation between terms of one sentence; pass the number of
    terms (or reference words) per sentence as `weights` to get an interval for the pooled rate.
    """
    x = np.asarray(values, dtype=np.float64)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    if x.ndim != 1 or w.shape != x.shape:
        raise ValueError("values and weights must be 1-D and of equal length")
    if len(x) == 0:
        return (float("nan"), float("nan"))
    idx = np.random.default_rng(seed).integers(0, len(x), size=(n, len(x)))
    wsum = w[idx].sum(axis=1)
    means = np.divide((x[idx] * w[idx]).sum(axis=1), wsum, out=np.full(n, np.nan), where=wsum > 0)
    alpha = (1.0 - confidence) / 2
    low, high = np.nanquantile(means, [alpha, 1.0 - alpha])
    return (float(low), float(high))
