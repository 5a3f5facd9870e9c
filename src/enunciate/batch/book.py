"""Chapters -> a book: one loudness for every chapter, a file per chapter, WebVTT chapters and one MP3.

Loudness is normalized in two passes, after synthesis: each chapter's integrated loudness
(ITU-R BS.1770, pyloudnorm) is measured on its whole rendering, then one gain per chapter brings it
to the target, so no chapter is louder than the next and none is compressed within itself (a gain
that would clip is lowered to keep the peak at -0.1 dBFS, and book.json says so). The chapters are
rendered as 16-bit WAV under raw/ (the resumable items); the chapter files and the book are made from
those, so changing the target or the format re-levels without re-synthesizing.

The whole-book MP3 is written by soundfile (libsndfile/LAME), which cannot write ID3 chapter frames;
when PyAV is installed (it comes with the `eval` extra, through faster-whisper) its FFmpeg copies the
MP3 frames into a file with ID3v2 CHAP/CTOC chapter marks, else the book is the plain MP3 beside
chapters.vtt, and book.json says which.
"""
from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import EnunciateError

log = logging.getLogger(__name__)

DEFAULT_LUFS = -18.0  # audiobook practice (ACX asks for -23..-18 dB RMS); podcasts use -16
GAP_S = 1.5           # silence between chapters in the whole book
PEAK = 10 ** (-0.1 / 20)


@dataclass
class Chapter:
    id: str
    title: str
    file: str            # relative to OUTDIR
    start_s: float
    end_s: float
    loudness_lufs: float  # measured on the rendering, before the gain
    gain_db: float
    peak_limited: bool


@dataclass
class Book:
    chapters: list[Chapter]
    mp3: str | None
    chapters_vtt: str
    target_lufs: float
    chapter_marks: str   # "id3" or why there are none in the MP3


def check_loudness_meter() -> None:
    try:
        import pyloudnorm  # noqa: F401
    except ImportError as e:
        raise EnunciateError("books are loudness-normalized, which needs pyloudnorm: pip install pyloudnorm "
                             "(or 'enunciate[serve]')") from e


def measure(audio: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness in LUFS (a clip under the meter's 0.4 s is measured repeated)."""
    import pyloudnorm

    audio = np.asarray(audio, np.float64)
    if not np.any(audio):
        return float("-inf")
    need = int(0.4 * sample_rate) + 1
    if len(audio) < need:
        audio = np.tile(audio, need // len(audio) + 1)
    return float(pyloudnorm.Meter(sample_rate).integrated_loudness(audio))


def slug(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:48] or "chapter"


def assemble(outdir: Path, parts: Sequence[tuple[str, str, str]], format: str = "mp3",
             target_lufs: float = DEFAULT_LUFS, whole_book: bool = True) -> Book:
    """`parts`: (id, title, rendering relative to OUTDIR, its SHA-256) in reading order -> the chapter
    files (NN-title.FORMAT), chapters.vtt, book.mp3 and book.json in OUTDIR. A book made from the same
    renderings with the same choices, its files all present, is not made again."""
    import hashlib

    from ..audio import read_audio, write_audio

    check_loudness_meter()
    key = hashlib.sha256(json.dumps([list(parts), format, target_lufs, whole_book]).encode()).hexdigest()
    made = _made(outdir, key)
    if made is not None:
        return made
    chapters: list[Chapter] = []
    gains: list[tuple[str, float]] = []
    t = 0.0
    width = max(2, len(str(len(parts))))
    for k, (item_id, title, rendering, _) in enumerate(parts, 1):
        audio, rate = read_audio(outdir / rendering)
        loudness = measure(audio, rate)
        gain = 10 ** ((target_lufs - loudness) / 20) if np.isfinite(loudness) else 1.0
        peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
        limited = peak * gain > PEAK
        if limited:
            gain = PEAK / peak
        name = f"{k:0{width}d}-{slug(title)}.{format}"
        write_audio(outdir / name, audio * gain, rate, format)
        duration = len(audio) / rate
        chapters.append(Chapter(item_id, title, name, round(t, 3), round(t + duration, 3),
                                round(loudness, 2), round(float(20 * np.log10(gain)), 2), limited))
        gains.append((rendering, gain))
        t += duration + GAP_S
    from ..captions import Cue, write_chapters

    vtt = "chapters.vtt"
    write_chapters(outdir / vtt, [Cue(c.start_s, c.end_s, [c.title]) for c in chapters])
    mp3, marks = None, "no whole-book MP3 asked for"
    if whole_book and chapters:
        mp3 = "book.mp3"
        marks = _write_book(outdir, chapters, gains, outdir / mp3)
    book = Book(chapters, mp3, vtt, target_lufs, marks)
    from ..captions import write_text_atomic

    write_text_atomic(outdir / "book.json", json.dumps({**asdict(book), "key": key}, ensure_ascii=False, indent=1))
    return book


def _made(outdir: Path, key: str) -> Book | None:
    try:
        data = json.loads((outdir / "book.json").read_text(encoding="utf-8"))
        if data.pop("key") != key:
            return None
        book = Book(**{**data, "chapters": [Chapter(**c) for c in data["chapters"]]})
    except (OSError, ValueError, KeyError, TypeError):
        return None
    files = [c.file for c in book.chapters] + [book.chapters_vtt] + ([book.mp3] if book.mp3 else [])
    return book if all((outdir / f).is_file() for f in files) else None


def _write_book(outdir: Path, chapters: Sequence[Chapter], gains: Sequence[tuple[str, float]], path: Path) -> str:
    """One MP3 of every chapter with GAP_S between them, from the renderings with their gains (not
    from the chapter files: no second lossy generation), a chapter at a time; then chapter marks,
    when PyAV can write them."""
    from ..audio import atomic_audio, read_audio, silence

    rate = _rate(outdir / gains[0][0])
    with atomic_audio(path, rate, "mp3") as out:
        for k, (rendering, gain) in enumerate(gains):
            audio, _ = read_audio(outdir / rendering, rate)
            out.write(audio * gain)
            if k + 1 < len(gains):
                out.write(silence(GAP_S, rate))
    try:
        import av  # noqa: F401
    except ImportError:
        return ("none: soundfile (libsndfile) cannot write ID3 chapter frames and PyAV is not installed "
                "(pip install av); chapters.vtt has them")
    try:
        _mark_chapters(path, chapters)
    except Exception as e:  # the plain MP3 is still a good book
        log.warning("could not add chapter marks to %s: %s", path, e)
        return f"none: PyAV could not add them ({e}); chapters.vtt has them"
    return "id3"


def _rate(path: Path) -> int:
    import soundfile as sf

    return sf.info(str(path)).samplerate


def _mark_chapters(path: Path, chapters: Sequence[Chapter]) -> None:
    """Copy the MP3's frames (no re-encoding) into a file with ID3v2 CHAP and CTOC frames, atomically."""
    from fractions import Fraction

    import av

    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")  # atomic_audio's was removed: the name is free
    try:
        with av.open(str(path)) as source, av.open(str(tmp), "w", format="mp3") as out:
            stream = out.add_stream_from_template(source.streams.audio[0])
            out.set_chapters([{"id": k, "start": int(round(c.start_s * 1000)), "end": int(round(c.end_s * 1000)),
                               "time_base": Fraction(1, 1000), "metadata": {"title": c.title}}
                              for k, c in enumerate(chapters, 1)])
            for packet in source.demux(source.streams.audio[0]):
                if packet.dts is None:
                    continue
                packet.stream = stream
                out.mux(packet)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
