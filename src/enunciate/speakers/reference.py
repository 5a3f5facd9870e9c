"""Reference clips for cloning: decode (WAV, FLAC, MP3, OGG through soundfile), mono-mix, resample
to 16 kHz, find the speech (webrtcvad, as resemblyzer does; an energy detector where webrtcvad is
missing), trim the silence around it, and say what is wrong with a clip before minutes of fitting.

A clip needs 5 s of speech: GE2E averages 1.6 s windows, and with fewer than three of them the
speaker embedding of the same voice wanders by about 0.05 in cosine. Noise or music under the
voice is flagged by DNSMOS's background score (BAK; clean speech scores about 4, a voice at 5 dB
SNR in white noise about 1.5), a sample rate under 16 kHz (the encoder's rate) by its value, and
references of different speakers by their pairwise GE2E similarity (same voice, different
sentences: 0.85-0.95; different voices: 0.45-0.75).
"""
from __future__ import annotations

import hashlib
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import EnunciateError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000          # the GE2E encoder's rate
MIN_CLIP_S = 5.0
MIN_SPEECH_S = 5.0
MIN_SOURCE_RATE = 16000
NOISY_BACKGROUND = 3.0       # DNSMOS BAK below this: noise or music under the voice
DIFFERENT_SPEAKERS = 0.75    # GE2E cosine below this between two references: not one speaker
FORMATS = ("WAV", "FLAC", "MP3", "OGG")

# resemblyzer's voice-activity settings (its hparams): 30 ms windows, a moving average over 8 of
# them, and silences longer than 6 windows cut out of what the encoder sees.
VAD_WINDOW_S = 0.03
VAD_AVERAGE = 8
VAD_MAX_SILENCE = 6
EDGE_S = 0.1                 # silence kept around the speech when a clip's ends are trimmed


@dataclass(frozen=True)
class ReferenceClip:
    """One decoded reference: 16 kHz mono audio with leading and trailing silence trimmed."""

    path: str
    sha256: str
    source_rate: int
    duration_s: float             # the whole clip as decoded
    speech_s: float               # what voice-activity detection calls speech
    audio: np.ndarray = field(repr=False)
    sample_rate: int = SAMPLE_RATE
    background: float | None = None   # DNSMOS BAK of the trimmed clip (None: not measured)
    warnings: tuple[str, ...] = ()

    def record(self) -> dict:
        """What a cloned voice's manifest keeps about its reference."""
        return {"file": Path(self.path).name, "sha256": self.sha256, "duration_s": round(self.duration_s, 2),
                "speech_s": round(self.speech_s, 2), "source_rate": self.source_rate,
                "dnsmos_background": None if self.background is None else round(self.background, 2)}


def decode(path: str | Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples (channels averaged) and the file's own rate; a clear error when the
    file is missing, empty, or not audio soundfile can read."""
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise EnunciateError(f"reference clip not found: {path}")
    try:
        audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as e:  # LibsndfileError, RuntimeError, TypeError: all mean "not audio we can read"
        raise EnunciateError(f"cannot read {path.name} as audio ({e}); use {', '.join(FORMATS)}") from None
    if not audio.size:
        raise EnunciateError(f"{path.name} holds no audio samples")
    audio = audio.mean(axis=1)
    if not np.all(np.isfinite(audio)):
        raise EnunciateError(f"{path.name} holds NaN or infinite samples")
    return audio.astype(np.float32), int(rate)


def _webrtcvad():
    with warnings.catch_warnings():  # webrtcvad imports pkg_resources, which warns
        warnings.simplefilter("ignore")
        try:
            import webrtcvad
        except ImportError:
            return None
    return webrtcvad


def speech_windows(wav16: np.ndarray) -> np.ndarray:
    """One bool per 30 ms window of 16 kHz audio: speech, smoothed over 8 windows (resemblyzer's
    settings). webrtcvad in its strictest mode; without it, windows within 35 dB of the loudest."""
    n = int(VAD_WINDOW_S * SAMPLE_RATE)
    count = len(wav16) // n
    if count == 0:
        return np.zeros(0, bool)
    windows = wav16[: count * n].reshape(count, n)
    vad = _webrtcvad()
    if vad is not None:
        pcm = (np.clip(windows, -1, 1) * 32767).round().astype("<i2")
        detector = vad.Vad(3)
        flags = np.array([detector.is_speech(w.tobytes(), SAMPLE_RATE) for w in pcm], float)
    else:
        db = 10 * np.log10(np.mean(windows.astype(np.float64) ** 2, axis=1) + 1e-12)
        flags = (db > np.percentile(db, 95) - 35).astype(float)
    kernel = np.ones(VAD_AVERAGE) / VAD_AVERAGE
    padded = np.concatenate([np.zeros((VAD_AVERAGE - 1) // 2), flags, np.zeros(VAD_AVERAGE // 2)])
    return np.round(np.convolve(padded, kernel, mode="valid")).astype(bool)


def long_silence_mask(wav16: np.ndarray) -> np.ndarray:
    """Per sample: kept by resemblyzer's `trim_long_silences` (speech windows dilated by 6 windows
    each side), so short pauses stay and long ones go. The tail past whole windows is dropped."""
    from scipy.ndimage import binary_dilation

    flags = speech_windows(wav16)
    if not flags.size:
        return np.zeros(len(wav16), bool)
    kept = binary_dilation(flags, np.ones(VAD_MAX_SILENCE + 1))
    n = int(VAD_WINDOW_S * SAMPLE_RATE)
    return np.concatenate([np.repeat(kept, n), np.zeros(len(wav16) - len(kept) * n, bool)])


def trim_edges(wav16: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """The clip from its first to its last speech window, with EDGE_S of margin each side."""
    if not flags.any():
        return wav16
    n = int(VAD_WINDOW_S * SAMPLE_RATE)
    where = np.flatnonzero(flags)
    margin = int(EDGE_S * SAMPLE_RATE)
    return wav16[max(0, where[0] * n - margin): min(len(wav16), (where[-1] + 1) * n + margin)]


def load_reference(path: str | Path, check_background: bool = True) -> ReferenceClip:
    """Decode and check one reference clip. Too short or too little speech: EnunciateError with
    the measured seconds. Noise or music, a low sample rate: warnings (logged and returned)."""
    from ..audio import resample

    path = Path(path)
    audio, rate = decode(path)
    duration_s = len(audio) / rate
    notes = []
    if rate < MIN_SOURCE_RATE:
        notes.append(f"{path.name} is sampled at {rate} Hz, under the encoder's {MIN_SOURCE_RATE} Hz: nothing "
                     f"above {rate / 2000:g} kHz can be matched; a 16 kHz or better recording clones better")
    wav16 = resample(audio, rate, SAMPLE_RATE)
    flags = speech_windows(wav16)
    speech_s = float(flags.sum() * VAD_WINDOW_S)
    if duration_s < MIN_CLIP_S or speech_s < MIN_SPEECH_S:
        raise EnunciateError(f"{path.name} has {speech_s:.1f} s of speech in {duration_s:.1f} s; a reference needs "
                             f"at least {MIN_SPEECH_S:g} s of speech in a clip of at least {MIN_CLIP_S:g} s "
                             "(30-90 s clones best)")
    trimmed = trim_edges(wav16, flags)
    background = None
    if check_background:
        from ..evaluate.mos import dnsmos_score

        background = dnsmos_score(trimmed, SAMPLE_RATE)["bak"]
        if background < NOISY_BACKGROUND:
            notes.append(f"{path.name} has noise or music under the voice (DNSMOS background score "
                         f"{background:.2f}, clean speech scores about 4): the fit will copy it into the voice; "
                         "a clean recording clones better")
    for note in notes:
        log.warning(note)
    return ReferenceClip(str(path), hashlib.sha256(path.read_bytes()).hexdigest(), rate, duration_s, speech_s,
                         trimmed.astype(np.float32), SAMPLE_RATE, background, tuple(notes))


def check_references(clips: list[ReferenceClip], embeddings: list[np.ndarray] | None = None) -> list[str]:
    """Warnings for pairs of references that sound like different speakers (GE2E cosine under
    DIFFERENT_SPEAKERS), naming the pair and its similarity; `embeddings` if already computed."""
    if len(clips) < 2:
        return []
    if embeddings is None:
        from .ge2e import embed_utterance

        embeddings = [embed_utterance(c.audio, c.sample_rate) for c in clips]
    notes = []
    for i in range(len(clips)):
        for j in range(i + 1, len(clips)):
            similarity = float(np.dot(embeddings[i], embeddings[j]))
            if similarity < DIFFERENT_SPEAKERS:
                notes.append(f"{Path(clips[i].path).name} and {Path(clips[j].path).name} sound like different "
                             f"speakers (GE2E similarity {similarity:.2f}; one speaker scores above "
                             f"{DIFFERENT_SPEAKERS:g}): the clone will be a blend of them")
    for note in notes:
        log.warning(note)
    return notes

