"""The voice interface: phonemes in, an AudioChunk (audio + the phonemes spoken + their durations) out."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


@dataclass
class AudioChunk:
    """One synthesized piece of speech.

    `durations_s[i]` is how long the voice spent on `phonemes[i]`; `offset_s` is the silence the
    voice put before the first phoneme, so phoneme i starts at offset_s + sum(durations_s[:i]).
    `words` and `span` tie the chunk back to the original input and `start_s` places the chunk in
    the whole output (filled by the pipeline).
    """

    audio: np.ndarray
    sample_rate: int
    phonemes: str = ""
    durations_s: np.ndarray | None = None
    offset_s: float = 0.0
    text: str = ""
    span: tuple[int, int] = (0, 0)
    words: list = field(default_factory=list)
    pause_after_s: float = 0.0
    start_s: float = 0.0

    @property
    def duration_s(self) -> float:
        return len(self.audio) / self.sample_rate


@dataclass(frozen=True)
class VoiceInfo:
    """What `enunciate voices` lists."""

    name: str
    engine: str
    sample_rate: int
    size_bytes: int
    licence: str
    source: str
    description: str = ""


class Voice(Protocol):
    """A loaded voice. `alphabet` is the phoneme alphabet `synthesize` takes: "kokoro", "espeak", or
    "text" for a voice that reads letters (SpeechT5), given normalized and respelled words."""

    info: VoiceInfo
    alphabet: str
    symbols: frozenset[str]
    max_symbols: int

    @property
    def sample_rate(self) -> int: ...

    def synthesize(self, phonemes: str, speed: float = 1.0, seed: int | None = None) -> AudioChunk: ...


def ort_session(path: str | os.PathLike, threads: int):
    """An ONNX Runtime CPU session with a fixed thread count (comparable timings, no oversubscription)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def default_threads() -> int:
    return int(os.environ.get("ENUNCIATE_THREADS", 0)) or min(4, os.cpu_count() or 1)
