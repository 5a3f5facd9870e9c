"""Word and character error rates over normalized text (see textnorm.normalize_transcript)."""
from __future__ import annotations

from collections.abc import Sequence

import jiwer

from enunciate.evaluate.textnorm import normalize_transcript


def _pairs(ref: str | Sequence[str], hyp: str | Sequence[str]) -> tuple[list[str], list[str]]:
    refs = [ref] if isinstance(ref, str) else list(ref)
    hyps = [hyp] if isinstance(hyp, str) else list(hyp)
    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")
    return [normalize_transcript(r) for r in refs], [normalize_transcript(h) for h in hyps]


def _rate(measure, ref: str | Sequence[str], hyp: str | Sequence[str]) -> float:
    refs, hyps = _pairs(ref, hyp)
    if not any(refs):
        # Nothing to say: perfect if nothing was heard, otherwise 1.0 (jiwer would return the raw
        # insertion count, which is not a rate).
        return 0.0 if not any(hyps) else 1.0
    return float(measure(refs, hyps))


def wer(ref: str | Sequence[str], hyp: str | Sequence[str]) -> float:
    """Word error rate after normalization; lists are scored as one corpus (errors / reference words)."""
    return _rate(jiwer.wer, ref, hyp)


def cer(ref: str | Sequence[str], hyp: str | Sequence[str]) -> float:
    """Character error rate after normalization (spaces count as characters)."""
    return _rate(jiwer.cer, ref, hyp)
