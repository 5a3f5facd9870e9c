"""The voice interface: phonemes in, an AudioChunk (audio + the phonemes spoken + their durations) out.

A voice declares what it can do (`Capabilities`) and owns the conversion from the frontend's
phonemes (Kokoro alphabet) to its own input (`spell`), so the pipeline never branches on a voice's
alphabet or probes it with getattr.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence

import numpy as np


@dataclass
class AudioChunk:
    """One synthesized piece of speech.

    `durations_s[i]` is how long the voice spent on `phonemes[i]`; `offset_s` is the silence the
    voice put before the first phoneme, so phoneme i starts at offset_s + sum(durations_s[:i]).
    `words` and `span` tie the chunk back to the original input, `start_s` places the chunk in
    the whole output and `pause_after_s` is the silence that follows it (filled by the pipeline).
    `f0_hz` is the voice's F0 per frame (at `capabilities.f0_rate_hz`, 0 where unvoiced), only from
    `synthesize_with_f0`.
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
    f0_hz: np.ndarray | None = None

    @property
    def duration_s(self) -> float:
        return len(self.audio) / self.sample_rate

    def samples(self) -> np.ndarray:
        """The chunk's audio followed by its pause: what goes into the output, in order."""
        pause = np.zeros(int(round(max(0.0, self.pause_after_s) * self.sample_rate)), np.float32)
        return np.concatenate([np.asarray(self.audio, np.float32), pause]) if len(pause) else self.audio


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


@dataclass(frozen=True)
class Capabilities:
    """What a loaded voice can do.

    durations: per-phoneme durations (word timestamps, captions); batches: a native padded batch
    (one forward pass for many chunks); seeded_noise: the voice samples noise and a seed fixes it
    (a voice without noise is deterministic: the same input always gives the same samples);
    streaming: audio of one chunk can be yielded before the chunk is finished; f0_rate_hz: F0 frames
    per second `synthesize_with_f0` gives (0: the voice exposes no F0).
    """

    durations: bool = True
    batches: bool = False
    seeded_noise: bool = False
    streaming: bool = False
    f0_rate_hz: float = 0.0


class Voice:
    """A loaded voice. Subclasses set `info`, `symbols`, `sample_rate` and implement `synthesize`.

    `alphabet` names the input `synthesize` takes ("kokoro", "espeak", or "text" for a voice that
    reads letters); `spell` turns one frontend word into it.
    """

    info: VoiceInfo
    alphabet: str = "kokoro"
    symbols: frozenset[str] = frozenset()
    max_symbols: int = 400
    sample_rate: int
    capabilities: Capabilities = Capabilities()
    device: str = "cpu"

    def spell(self, word) -> str:
        """A frontend Word (phonemes in the Kokoro alphabet) as this voice's input."""
        return word.phonemes

    def synthesize(self, phonemes: str, speed: float = 1.0, seed: int | None = None) -> AudioChunk:
        raise NotImplementedError

    def feeds(self, phonemes: str, speed: float = 1.0) -> dict[str, np.ndarray]:
        """The inputs of the voice's ONNX file, as shipped, for `phonemes` (this voice's alphabet):
        what `synthesize` runs, and what static int8 calibrates on. Only ONNX voices have them."""
        raise NotImplementedError(f"{type(self).__name__} does not run an ONNX file")

    def synthesize_many(self, requests: Iterable[tuple[str, float, int | None]]) -> Iterator[AudioChunk]:
        """(phonemes, speed, seed) requests in, their chunks out in order, lazily. A voice whose stages
        can overlap (hibari: network, then DSP) overrides this; the default is one after another."""
        for phonemes, speed, seed in requests:
            yield self.synthesize(phonemes, speed, seed)

    def synthesize_batch(self, phonemes: Sequence[str], speed: float = 1.0,
                         seeds: int | Sequence[int | None] | None = None, **kwargs) -> list[AudioChunk]:
        """Several inputs; item i uses seeds[i] (seeds + i for an int). Voices without a native
        batch go one by one; keyword arguments go to each `synthesize` call."""
        return [self.synthesize(p, speed, s, **kwargs) for p, s in zip(phonemes, per_item(seeds, len(phonemes)))]

    def synthesize_with_f0(self, phonemes: str, speed: float = 1.0, seed: int | None = None) -> AudioChunk:
        """What `synthesize` gives, plus the chunk's `f0_hz`: for voices whose `capabilities.f0_rate_hz`
        is set (a teacher dataset stores it)."""
        raise NotImplementedError(f"{type(self).__name__} exposes no F0")

    def empty(self) -> AudioChunk:
        return AudioChunk(np.zeros(0, np.float32), self.sample_rate)


class EspeakAlphabet:
    """Mixin for voices trained on espeak-ng IPA (Piper/VITS)."""

    alphabet = "espeak"

    def spell(self, word) -> str:
        from ..text.phonesets import kokoro_to_espeak

        return kokoro_to_espeak(word.phonemes)


def per_item(seeds: int | Sequence[int | None] | None, n: int) -> list[int | None]:
    """One seed per batch item: a list as given, an int as seed + i, None as None for each."""
    if seeds is None:
        return [None] * n
    if isinstance(seeds, (int, np.integer)):
        return [int(seeds) + i for i in range(n)]
    return list(seeds)


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


def random_seed() -> int:
    """A fresh seed for seed=None (a different take each call)."""
    return int(np.random.SeedSequence().entropy % (2**31 - 1))
