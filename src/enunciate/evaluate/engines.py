"""Text -> audio engines compared in evaluations: enunciate's pipeline on any voice, and baselines
that skip enunciate's frontend (raw espeak-ng phonemes, hibari's own G2P) on the same voice."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

Synth = Callable[[str], tuple[np.ndarray, int]]


@dataclass(frozen=True)
class Engine:
    name: str
    synth: Synth


def enunciate_engine(voice: str, threads: int = 2, seed: int = 0, engine: str | None = "onnx", device: str = "cpu",
                     dtype: str = "fp32") -> Engine:
    """The full enunciate path: normalization, technical lexicon, G2P chain, the voice (run by ONNX
    Runtime, by enunciate's PyTorch module with engine="torch", or by the voice's own first engine
    with engine=None, as a voice folder made by `optimize` names it)."""
    from ..options import SpeakOptions, VoiceSpec
    from ..pipeline import speak
    from ..voices.registry import resolve

    spec = VoiceSpec(voice, engine, device, dtype, threads=threads)
    loaded = spec.load()  # errors surface before evaluating
    options = SpeakOptions(seed=seed)

    def synth(text: str):
        speech = speak(text, loaded, options)
        return speech.audio, speech.sample_rate
    runs_on = spec.engine_for(tuple(resolve(voice).engines))
    runtime = "" if runs_on == "onnx" else f", {runs_on} {device} {dtype}"
    return Engine(f"{voice} (enunciate{runtime})", synth)


def raw_espeak_engine(voice: str, threads: int = 2, seed: int = 0) -> Engine:
    """Baseline: espeak-ng's phonemes of the raw text (no normalization, no lexicons), same voice.
    This is what a plain Piper pipeline does."""
    from .. import load_voice
    from ..text.espeak import phonemize_ipa
    from ..text.phonesets import espeak_to_kokoro

    v = load_voice(voice, threads)

    def synth(text: str):
        ipa = phonemize_ipa(text)
        phonemes = ipa if v.alphabet == "espeak" else espeak_to_kokoro(ipa)  # bypasses the frontend on purpose
        chunk = v.synthesize(phonemes + ".", 1.0, seed)
        return chunk.audio, chunk.sample_rate
    return Engine(f"{voice} (raw espeak-ng G2P)", synth)


def hibari_own_engine(threads: int = 2, seed: int = 0) -> Engine:
    """Baseline: the hibari package end to end (its own normalizer and G2P), voice heart."""
    from hibari import Hibari

    tts = Hibari(threads=threads)

    def synth(text: str):
        return tts(text, seed=seed), tts.sample_rate
    return Engine("heart (hibari's own G2P)", synth)
