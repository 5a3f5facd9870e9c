"""Speak a term set with an engine, listen with Whisper, and score: term hit rate, WER, CER,
optional predicted MOS, real-time factor, each with a bootstrap 95% interval over sentences."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .asr import transcribe
from .engines import Engine
from .stats import bootstrap_ci
from .terms import TermItem, TermReport, score_terms
from .wer import cer, wer


@dataclass
class ItemResult:
    id: str
    text: str
    transcript: str
    wer: float
    cer: float
    audio_s: float
    synth_s: float
    mos: float | None = None


@dataclass
class RoundTrip:
    engine: str
    asr: str
    items: list[ItemResult]
    terms: TermReport
    extra: dict = field(default_factory=dict)

    def _ci(self, values, weights=None) -> tuple[float, float]:
        return bootstrap_ci(values, weights=weights)

    def summary(self) -> dict:
        words = [max(1, len(i.text.split())) for i in self.items]
        wers = [i.wer for i in self.items]
        out = {
            "engine": self.engine, "asr": self.asr, "sentences": len(self.items),
            "term_hit_rate": self.terms.hit_rate, "term_hit_rate_ci95": self.terms.ci(),
            "terms": self.terms.n_terms,
            "wer": float(np.average(wers, weights=words)), "wer_ci95": self._ci(wers, words),
            "cer": float(np.mean([i.cer for i in self.items])),
            "rtf": sum(i.synth_s for i in self.items) / max(1e-9, sum(i.audio_s for i in self.items)),
            "failed_terms": sorted({r.term for r in self.terms.failures}),
        }
        mos = [i.mos for i in self.items if i.mos is not None]
        if mos:
            out["distillmos"] = float(np.mean(mos))
            out["distillmos_ci95"] = self._ci(mos)
        return out


def run(engine: Engine, items: Sequence[TermItem], asr: str = "tiny.en", threads: int = 2,
        mos: bool = False, progress: bool = False) -> RoundTrip:
    """Synthesize every item, transcribe it, and score the whole set."""
    results: list[ItemResult] = []
    iterator = items
    if progress:
        from tqdm import tqdm

        iterator = tqdm(items, desc=engine.name, unit="sentence", leave=False)
    for item in iterator:
        start = time.perf_counter()
        audio, sample_rate = engine.synth(item.text)
        synth_s = time.perf_counter() - start
        transcript = transcribe(audio, sample_rate, asr, threads)
        score = None
        if mos:
            from .mos import distillmos_score

            score = distillmos_score(audio, sample_rate, threads)
        results.append(ItemResult(item.id, item.text, transcript, wer(item.text, transcript),
                                  cer(item.text, transcript), len(audio) / sample_rate, synth_s, score))
    report = score_terms(items, {r.id: r.transcript for r in results})
    return RoundTrip(engine.name, asr, results, report)
