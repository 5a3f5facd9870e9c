"""Piper VITS voices (espeak IPA phonemes) through ONNX Runtime; the default is en_US-joe-medium."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .base import AudioChunk, Capabilities, EspeakAlphabet, Voice, VoiceInfo, ort_session, random_seed
from .graph import SEED_INPUT, with_extra_output, with_seeded_noise

log = logging.getLogger(__name__)

BOS, EOS, PAD = "^", "$", "_"
DURATION_TENSOR = "/Ceil_output_0"  # w_ceil: frames of hop_length samples per phoneme id


def keep_known(phonemes: str, symbols) -> str:
    """Drop symbols the voice cannot say, with a warning naming them (never silently)."""
    unknown = sorted({ch for ch in phonemes if ch not in symbols})
    if unknown:
        log.warning("voice cannot say %s; dropped from %r", " ".join(repr(c) for c in unknown), phonemes)
        phonemes = "".join(ch for ch in phonemes if ch in symbols)
    return phonemes


@dataclass(frozen=True)
class PiperConfig:
    """The parts of a Piper voice's `.onnx.json` that synthesis needs."""

    id_map: dict[str, list[int]]
    sample_rate: int
    noise_scale: float = 0.667
    noise_w: float = 0.8
    length_scale: float = 1.0

    @classmethod
    def load(cls, path: str | Path) -> "PiperConfig":
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        inference = raw.get("inference", {})
        return cls(raw["phoneme_id_map"], int(raw["audio"]["sample_rate"]),
                   float(inference.get("noise_scale", 0.667)), float(inference.get("noise_w", 0.8)),
                   float(inference.get("length_scale", 1.0)))

    @property
    def symbols(self) -> frozenset[str]:
        return frozenset(k for k in self.id_map if k not in (BOS, EOS, PAD))

    def phoneme_ids(self, phonemes: str) -> list[int]:
        """^ _ p1 _ p2 _ ... $ : Piper intersperses a pad after every symbol."""
        ids = [*self.id_map[BOS], *self.id_map[PAD]]
        for ch in phonemes:
            ids += [*self.id_map[ch], *self.id_map[PAD]]
        return ids + self.id_map[EOS]


def phoneme_durations(frames_s: np.ndarray) -> tuple[np.ndarray, float]:
    """Per-id durations (seconds) of ^ _ (p _)* $ -> (one per phoneme, onset before the first):
    each phoneme owns its own frames and its following pad's."""
    return frames_s[2:-1].reshape(-1, 2).sum(axis=1).astype(np.float32), float(frames_s[:2].sum())


class PiperVoice(EspeakAlphabet, Voice):
    """A Piper voice: `<name>.onnx` and `<name>.onnx.json`. Its graph's noise is drawn from a seed
    input (graph.with_seeded_noise), so a seed repeats a take exactly."""

    max_symbols = 400
    hop_length = 256
    capabilities = Capabilities(seeded_noise=True)

    def __init__(self, model_path: str | Path, config_path: str | Path, threads: int, info: VoiceInfo):
        self.config = PiperConfig.load(config_path)
        self.symbols = self.config.symbols
        self.session = ort_session(with_extra_output(with_seeded_noise(model_path), DURATION_TENSOR), threads)
        self.info = info

    @property
    def sample_rate(self) -> int:
        return self.config.sample_rate

    def synthesize(self, phonemes: str, speed: float = 1.0, seed: int | None = None,
                   noise: bool = True) -> AudioChunk:
        """Phonemes (espeak IPA) -> audio. The same seed gives the same samples (None: a new take);
        `noise=False` gives the noiseless (mean) output."""
        phonemes = keep_known(phonemes, self.symbols)
        if not phonemes.strip():
            return self.empty()
        seed_feed = np.array(random_seed() if seed is None else seed, np.int64)
        audio, w_ceil = self.session.run(None, {**self.feeds(phonemes, speed, noise), SEED_INPUT: seed_feed})
        durations, onset = phoneme_durations(w_ceil.reshape(-1) * (self.hop_length / self.sample_rate))
        return AudioChunk(audio.reshape(-1).astype(np.float32), self.sample_rate, phonemes, durations, onset)

    def feeds(self, phonemes: str, speed: float = 1.0, noise: bool = True) -> dict[str, np.ndarray]:
        """The model file's inputs (the seed input is the loader's: `synthesize` adds it)."""
        cfg = self.config
        ids = np.array([cfg.phoneme_ids(keep_known(phonemes, self.symbols))], np.int64)
        scales = [cfg.noise_scale if noise else 0.0, cfg.length_scale / speed, cfg.noise_w if noise else 0.0]
        return {"input": ids, "input_lengths": np.array([ids.shape[1]], np.int64),
                "scales": np.array(scales, np.float32)}
