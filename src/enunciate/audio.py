"""Audio I/O as small functions: atomic writing (whole or streamed) in the format a file's suffix
names, reading, resampling."""
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


# name -> (libsndfile format, subtype). soundfile's bundled libsndfile writes all of these.
FORMATS = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16"), "mp3": ("MP3", "MPEG_LAYER_III"),
           "ogg": ("OGG", "VORBIS"), "opus": ("OGG", "OPUS")}
SUFFIXES = {".wav": "wav", ".flac": "flac", ".mp3": "mp3", ".ogg": "ogg", ".oga": "ogg", ".opus": "opus"}
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)


def audio_format(path: str | os.PathLike | None, format: str | None = None) -> str:
    """The format to write: `format` if given, else the one the file's suffix names (a clear error
    for any other suffix, so `-o out.mp3` can never be a WAV file under an .mp3 name)."""
    if format is not None:
        if format.lower() not in FORMATS:
            raise EnunciateError(f"unknown audio format {format!r}; available: {', '.join(FORMATS)}")
        return format.lower()
    if path is None or str(path) == "-":
        return "wav"
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise EnunciateError(f"cannot tell the audio format of {Path(path).name!r}: name it .wav, .flac, .mp3, "
                             ".ogg or .opus, or pass --format")
    return SUFFIXES[suffix]


def output_rate(format: str, sample_rate: int) -> int:
    """Opus takes only 8, 12, 16, 24 or 48 kHz: other rates are resampled up to the next one."""
    if format != "opus" or sample_rate in OPUS_RATES:
        return sample_rate
    return next((r for r in OPUS_RATES if r >= sample_rate), 48000)


class AudioWriter:
    """Writes float samples at the voice's rate into an open soundfile, resampling where the
    format needs another rate."""

    def __init__(self, f, from_rate: int, to_rate: int):
        self.file, self.from_rate, self.to_rate = f, from_rate, to_rate

    def write(self, samples: np.ndarray) -> None:
        samples = np.clip(np.asarray(samples, np.float32), -1.0, 1.0)
        if self.from_rate != self.to_rate:
            samples = resample(samples, self.from_rate, self.to_rate)
        if len(samples):
            self.file.write(samples)


def open_soundfile(target, sample_rate: int, format: str):
    import soundfile as sf

    container, subtype = FORMATS[format]
    return sf.SoundFile(target, "w", samplerate=output_rate(format, sample_rate), channels=1, subtype=subtype,
                        format=container)


@contextlib.contextmanager
def atomic_audio(path: str | os.PathLike, sample_rate: int, format: str | None = None) -> Iterator[AudioWriter]:
    """Yield a writer on a temp file beside `path`; rename into place only on success.

    After an error or Ctrl-C there is no half-written file at `path` and an existing file there is
    untouched (the temp file is removed). The format follows the suffix unless `format` is given.
    """
    import soundfile as sf

    path = Path(path)
    fmt = audio_format(path, format)
    _check_dir(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with open_soundfile(tmp, sample_rate, fmt) as f:
            yield AudioWriter(f, sample_rate, output_rate(fmt, sample_rate))
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


def write_audio(path: str | os.PathLike, audio: np.ndarray, sample_rate: int, format: str | None = None) -> Path:
    with atomic_audio(path, sample_rate, format) as f:
        f.write(audio)
    return Path(path)


def write_wav(path: str | os.PathLike, audio: np.ndarray, sample_rate: int) -> Path:
    return write_audio(path, audio, sample_rate, "wav")


def encode(audio: np.ndarray, sample_rate: int, format: str) -> bytes:
    """Whole audio as the bytes of a file in `format` (for standard output or an HTTP body)."""
    import io

    buf = io.BytesIO()
    with open_soundfile(buf, sample_rate, format) as f:
        AudioWriter(f, sample_rate, output_rate(format, sample_rate)).write(audio)
    return buf.getvalue()


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


def loudness_gain(audio: np.ndarray, sample_rate: int, target_lufs: float) -> float:
    """The gain that brings `audio` to `target_lufs` integrated loudness (ITU-R BS.1770, pyloudnorm).
    A clip under the 0.4 s the meter needs is measured repeated to that length; silence gets 1."""
    try:
        import pyloudnorm
    except ImportError as e:
        raise EnunciateError("loudness normalization needs pyloudnorm: pip install pyloudnorm") from e
    audio = np.asarray(audio, np.float64)
    if not len(audio) or not np.any(audio):
        return 1.0
    need = int(0.4 * sample_rate) + 1
    if len(audio) < need:
        audio = np.tile(audio, need // len(audio) + 1)
    loudness = pyloudnorm.Meter(sample_rate).integrated_loudness(audio)
    return float(10 ** ((target_lufs - loudness) / 20)) if np.isfinite(loudness) else 1.0


def silence(seconds: float, sample_rate: int) -> np.ndarray:
    return np.zeros(int(round(max(0.0, seconds) * sample_rate)), np.float32)
