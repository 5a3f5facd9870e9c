"""Audio I/O as small functions: atomic WAV writing (whole or streamed), reading, resampling."""
from __future__ import annotations

import contextlib
import os
from math import gcd
from pathlib import Path
from typing import Iterator

import numpy as np

from .errors import EnunciateError


def check_writable(path: str | os.PathLike) -> None:
    """A clear error now, rather than after minutes of synthesis, if `path` cannot be written."""
    _check_dir(Path(path))


def _check_dir(path: Path) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise EnunciateError(f"cannot write {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise EnunciateError(f"cannot write {path}: folder {parent} is not writable")


@contextlib.contextmanager
def atomic_wav(path: str | os.PathLike, sample_rate: int) -> Iterator:
    """Yield a soundfile writer on a temp file beside `path`; rename into place only on success.

    After an error or Ctrl-C there is no half-written WAV at `path` (the temp file is removed).
    """
    import soundfile as sf

    path = Path(path)
    _check_dir(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with sf.SoundFile(tmp, "w", samplerate=sample_rate, channels=1, subtype="PCM_16",
                          format="WAV") as f:
            yield f
        os.replace(tmp, path)
    except (OSError, sf.LibsndfileError) as e:  # libsndfile reports a full disk as "System error."
        raise EnunciateError(f"cannot write {path}: {_reason(e, path.parent)}") from e
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _reason(error: Exception, folder: Path) -> str:
    import shutil

    try:
        if shutil.disk_usage(folder).free < 1 << 20:
            return "No space left on device (the disk is full)"
    except OSError:
        pass
    return getattr(error, "strerror", None) or str(error)


def write_wav(path: str | os.PathLike, audio: np.ndarray, sample_rate: int) -> Path:
    with atomic_wav(path, sample_rate) as f:
        f.write(np.clip(np.asarray(audio, np.float32), -1.0, 1.0))
    return Path(path)


def streaming_wav_header(sample_rate: int) -> bytes:
    """A 16-bit mono WAV header whose sizes say "unknown" (0xFFFFFFFF), the convention players and
    `aplay`/`ffmpeg`/`sox` accept for a stream whose length is not known in advance."""
    import struct

    unknown = 0xFFFFFFFF
    return (b"RIFF" + struct.pack("<I", unknown) + b"WAVE" + b"fmt "
            + struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, sample_rate * 2, 2, 16)
            + b"data" + struct.pack("<I", unknown))


def pcm16(audio: np.ndarray) -> bytes:
    return (np.clip(np.asarray(audio, np.float32), -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def read_audio(path: str | os.PathLike, sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """Mono float32 audio (channels averaged), resampled when `sample_rate` is given."""
    import soundfile as sf

    try:
        audio, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except FileNotFoundError as e:
        raise EnunciateError(f"audio file not found: {path}") from e
    except Exception as e:  # soundfile raises LibsndfileError/RuntimeError for corrupt files
        raise EnunciateError(f"cannot read audio {path}: {e}") from e
    audio = audio.mean(axis=1)
    if sample_rate and sr != sample_rate:
        audio, sr = resample(audio, sr, sample_rate), sample_rate
    return audio, sr


def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    if from_rate == to_rate:
        return np.asarray(audio, np.float32)
    from scipy.signal import resample_poly

    g = gcd(from_rate, to_rate)
    return resample_poly(audio, to_rate // g, from_rate // g).astype(np.float32)


def silence(seconds: float, sample_rate: int) -> np.ndarray:
    return np.zeros(int(round(max(0.0, seconds) * sample_rate)), np.float32)
