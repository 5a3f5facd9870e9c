"""`enunciate optimize --auto VOICE -o FOLDER`: try the methods that apply, measure them here, keep
the fastest variant whose quality stays inside the budget, and say why each other one lost.

Speed comes from `enunciate.bench` (the parent and every variant side by side, interleaved, threads
fixed); quality from a Whisper round trip over dev-set sentences (term hit rate) and DistillMOS on
the same audio, parent and variants alike. A variant is kept only if it is faster than the parent
(median real-time factor) and loses at most `budget_mos` DistillMOS and `budget_hit` term hit rate.
The budget must sit above the measures' own noise floor (docs/evaluation.md); on a dozen sentences
the term hit rate moves in steps of a few hundredths, so its default budget (0.01) allows no lost term.
Static int8 is calibrated on dev-set sentences other than those it is judged on.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import EnunciateError
from ..voices.folder import VoiceManifest

CALIBRATION = slice(40, 60)  # dev-set sentences for static int8, apart from those quality is judged on


@dataclass
class Tried:
    name: str                       # method, with parameters when given
    folder: Path | None = None
    rtf: float | None = None
    speedup: float | None = None    # parent RTF / variant RTF (>1: faster)
    term_hit_rate: float | None = None
    distillmos: float | None = None
    size_bytes: int | None = None
    kept: bool = False
    reasons: list[str] = field(default_factory=list)


@dataclass
class AutoResult:
    parent: str
    parent_rtf: float
    parent_hit: float
    parent_mos: float
    tried: list[Tried]
    chosen: VoiceManifest | None
    budget: dict

    def lines(self) -> list[str]:
        out = [f"parent {self.parent}: RTF {self.parent_rtf:.4f}, term hit rate {self.parent_hit:.3f}, "
               f"DistillMOS {self.parent_mos:.2f}; budget: DistillMOS -{self.budget['mos']}, "
               f"term hit rate -{self.budget['hit']}"]
        for t in self.tried:
            figures = "" if t.rtf is None else (
                f"RTF {t.rtf:.4f} ({t.speedup:.2f}x), hits {t.term_hit_rate:.3f}, MOS {t.distillmos:.2f}")
            verdict = "KEPT" if t.kept else "rejected: " + "; ".join(t.reasons)
            out.append(f"  {t.name:28s} {figures}  {verdict}")
        out.append(f"kept {self.chosen.provenance.method} -> {self.chosen.folder}" if self.chosen
                   else "no variant is faster within the budget: nothing written (keep the parent)")
        return out


def _candidates(parent: VoiceManifest, wanted: list[str] | None) -> list[tuple[str, str, dict]]:
    """(label, method, params) to try: `wanted` as "method" or "method:key=value,key=value", else
    every method that applies to the parent's family and engines."""
    from . import methods, parse_params

    table = methods()
    if wanted:
        out = []
        for item in wanted:
            name, _, params = item.partition(":")
            if name not in table:
                raise EnunciateError(f"unknown method {name!r}; available: {', '.join(sorted(table))}")
            out.append((item, name, parse_params([p for p in params.split(",") if p])))
        return out
    return [(name, name, {}) for name, m in sorted(table.items())
            if parent.family in m.families and m.engine in parent.engines]


def auto(voice: str, out: str | Path, budget_mos: float = 0.05, budget_hit: float = 0.01, limit: int = 12,
         rounds: int = 2, threads: int = 2, asr: str = "tiny.en", methods: list[str] | None = None,
         force: bool = False, say: Callable[[str], None] = lambda message: None) -> AutoResult:
    from ..bench.run import BenchConfig, run
    from ..evaluate.engines import enunciate_engine
    from ..evaluate.roundtrip import run as round_trip
    from ..evaluate.terms import DEV_SET, load_term_set
    from ..voices.folder import read_manifest, write_voice_folder
    from ..voices.registry import resolve
    from . import optimize

    out = Path(out).expanduser()
    if out.exists() and not force:
        raise EnunciateError(f"{out} already exists; choose another folder or pass --force to replace it")
    parent = resolve(voice)
    items = load_term_set(DEV_SET)
    judged, corpus = items[:limit], tuple(item.text for item in items[CALIBRATION])
    tried: list[Tried] = []
    with tempfile.TemporaryDirectory(prefix="enunciate-auto-") as tmp:
        for label, method, params in _candidates(parent, methods):
            say(f"making {label}")
            t = Tried(label)
            try:
                made = optimize(voice, method, Path(tmp) / method.replace(":", "_"), params, corpus=corpus,
                                command=f"enunciate optimize --auto {voice}")
                t.folder, t.size_bytes = made.folder, made.metrics.get("size_bytes")
            except EnunciateError as e:
                t.reasons.append(f"could not be made: {e}")
            tried.append(t)
        made = [t for t in tried if t.folder is not None]
        say(f"timing the parent and {len(made)} variants side by side ({rounds} rounds, {threads} threads)")
        bench = run(BenchConfig(voices=(voice, *(str(t.folder) for t in made)), threads=threads,
                                texts=tuple(item.text for item in judged), rounds=rounds, batches=(),
                                peak_rss=False))
        rtfs = [v.summary()["rtf_p50"] for v in bench.variants]
        parent_rtf = rtfs[0]
        for t, rtf in zip(made, rtfs[1:]):
            t.rtf, t.speedup = rtf, parent_rtf / rtf
        say("judging quality (Whisper round trip, DistillMOS)")
        scores = []
        for name in (voice, *(str(t.folder) for t in made)):
            summary = round_trip(enunciate_engine(name, threads, engine=None), judged, asr, threads, mos=True).summary()
            scores.append((summary["term_hit_rate"], summary["distillmos"]))
        (parent_hit, parent_mos), budget = scores[0], {"mos": budget_mos, "hit": budget_hit}
        for t, (hit, mos) in zip(made, scores[1:]):
            t.term_hit_rate, t.distillmos = hit, mos
            if t.speedup <= 1.0:
                t.reasons.append(f"not faster ({t.speedup:.2f}x the parent's speed)")
            if mos < parent_mos - budget_mos - 1e-9:
                t.reasons.append(f"DistillMOS {mos:.2f} is {parent_mos - mos:.2f} below the parent's "
                                 f"(budget {budget_mos})")
            if hit < parent_hit - budget_hit - 1e-9:
                t.reasons.append(f"term hit rate {hit:.3f} is {parent_hit - hit:.3f} below the parent's "
                                 f"(budget {budget_hit})")
        fit = [t for t in made if not t.reasons]
        chosen = None
        if fit:
            best = max(fit, key=lambda t: t.speedup)
            best.kept = True
            for t in fit:
                if t is not best:
                    t.reasons.append(f"within budget but slower than {best.name} ({t.speedup:.2f}x vs "
                                     f"{best.speedup:.2f}x)")
            manifest = read_manifest(best.folder)
            files = {role: manifest.path(role) for role in manifest.files}
            from dataclasses import replace

            metrics = {**manifest.metrics, "rtf_vs_parent": round(best.speedup, 3),
                       "term_hit_rate": best.term_hit_rate, "distillmos": best.distillmos,
                       "parent_term_hit_rate": parent_hit, "parent_distillmos": parent_mos,
                       "judged_sentences": len(judged), "asr": asr}
            chosen = write_voice_folder(out, replace(manifest, name=out.name, metrics=metrics), files, force=force)
        for t in tried:
            t.folder = None if not t.kept else chosen.folder
    shutil.rmtree(Path(tmp), ignore_errors=True)
    return AutoResult(voice, parent_rtf, parent_hit, parent_mos, tried, chosen, budget)
