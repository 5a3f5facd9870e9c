"""Audio as bytes while it is being made: one encoder per response, fed chunk by chunk.

WAV (a header whose sizes say "unknown", then 16-bit PCM) and raw PCM go out as each chunk comes.
MP3, Opus (in Ogg) and FLAC come from soundfile's bundled libsndfile writing into a sink whose new
bytes are taken after every chunk: libsndfile writes frames as it encodes, and only seeks back at
the end to fill in lengths, which a stream cannot take back (players do without them). MP3's Xing
frame (empty until the end) is left out of a stream. FFmpeg and browsers decode such a stream whole;
libsndfile's own MP3 reader stops early on it, so a whole (non-streamed) response is encoded whole.
AAC is not offered: no kept library writes it (soundfile's libsndfile has no AAC encoder).
"""
from __future__ import annotations

import io

import numpy as np

from ..audio import FORMATS, output_rate, pcm16, resample, streaming_wav_header
from ..errors import EnunciateError

CONTENT_TYPES = {"mp3": "audio/mpeg", "opus": "audio/ogg; codecs=opus", "flac": "audio/flac", "wav": "audio/wav",
                 "pcm": "audio/pcm", "ogg": "audio/ogg"}
RESPONSE_FORMATS = ("mp3", "opus", "flac", "wav", "pcm")
UNAVAILABLE = {"aac": "no kept library encodes AAC here (soundfile's libsndfile has none); use mp3 or opus"}


def check_format(name: str) -> str:
    if name in UNAVAILABLE:
        raise EnunciateError(f"response_format {name!r} is not available: {UNAVAILABLE[name]}")
    if name not in RESPONSE_FORMATS:
        raise EnunciateError(f"unknown response_format {name!r}; available: {', '.join(RESPONSE_FORMATS)}")
    return name


class _Sink(io.RawIOBase):
    """A seekable byte buffer that remembers how much was already sent: rewrites of sent bytes
    (the lengths libsndfile fills in at the end) are dropped."""

    def __init__(self):
        self.buf, self.pos, self.sent = bytearray(), 0, 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data) -> int:
        data = bytes(data)
        end = self.pos + len(data)
        if end > len(self.buf):
            self.buf.extend(b"\0" * (end - len(self.buf)))
        lo = max(self.pos, self.sent)
        if lo < end:
            self.buf[lo:end] = data[lo - self.pos:]
        self.pos = end
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = offset if whence == 0 else self.pos + offset if whence == 1 else len(self.buf) + offset
        return self.pos

    def tell(self) -> int:
        return self.pos

    def take(self) -> bytes:
        out = bytes(self.buf[self.sent:])
        self.sent = len(self.buf)
        return out


def _mp3_frame_length(header: bytes) -> int:
    """Bytes in the MPEG audio Layer III frame that starts with `header` (0 if it is not one)."""
    h = int.from_bytes(header[:4], "big")
    if h >> 21 != 0x7FF or (h >> 17) & 3 != 1:
        return 0
    version, bitrate_index, rate_index, padding = (h >> 19) & 3, (h >> 12) & 15, (h >> 10) & 3, (h >> 9) & 1
    mpeg1 = version == 3
    kbps = ((0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320) if mpeg1 else
            (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160))[bitrate_index] if bitrate_index < 15 else 0
    rate = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}.get(version, (0, 0, 0))
    rate = rate[rate_index] if rate_index < 3 else 0
    if not kbps or not rate:
        return 0
    return (144 if mpeg1 else 72) * kbps * 1000 // rate + padding


def without_vbr_tag(data: bytes) -> bytes:
    """MP3 bytes without the leading Xing/Info frame, or without the empty frame libsndfile reserves
    for it (filled in only when the file is closed); an ID3v2 tag before it is kept."""
    start = 10 + ((data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]) if data[:3] == b"ID3" else 0
    length = _mp3_frame_length(data[start:start + 4])
    frame = data[start:start + length]
    if length and (b"Xing" in frame[:64] or b"Info" in frame[:64] or not any(frame[4:])):
        return data[:start] + data[start + length:]
    return data


class StreamEncoder:
    """encoder.write(float samples) -> bytes ready to send; encoder.close() -> the rest."""

    def __init__(self, format: str, sample_rate: int):
        self.format = check_format(format)
        self.from_rate = sample_rate
        self.rate = output_rate("opus" if format == "opus" else "wav", sample_rate)
        self._first = True
        self._file = self._sink = None
        if format in ("mp3", "opus", "flac"):
            import soundfile as sf

            container, subtype = FORMATS[format]
            self._sink = _Sink()
            self._file = sf.SoundFile(self._sink, "w", samplerate=self.rate, channels=1, format=container,
                                      subtype=subtype)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    def write(self, samples: np.ndarray) -> bytes:
        samples = np.clip(np.asarray(samples, np.float32), -1.0, 1.0)
        if self.rate != self.from_rate:
            samples = resample(samples, self.from_rate, self.rate)
        if self.format in ("wav", "pcm"):
            head = streaming_wav_header(self.rate) if self.format == "wav" and self._first else b""
            self._first = False
            return head + pcm16(samples)
        if len(samples):
            self._file.write(samples)
        return self._take()

    def close(self) -> bytes:
        if self._file is None:
            return streaming_wav_header(self.rate) if self.format == "wav" and self._first else b""
        self._file.close()
        return self._take()

    def _take(self) -> bytes:
        data = self._sink.take()
        if self.format == "mp3" and self._first and data:
            self._first = False
            data = without_vbr_tag(data)
        return data


def encode_whole(audio: np.ndarray, sample_rate: int, format: str) -> bytes:
    encoder = StreamEncoder(format, sample_rate)
    return encoder.write(audio) + encoder.close()
