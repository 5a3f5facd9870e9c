"""Chapters -> a book: one loudness for every chapter, a file per chapter, WebVTT chapters, and one
MP3 and one M4B of the whole book with chapter marks.

Loudness is normalized in two passes, after synthesis: each chapter's integrated loudness
(ITU-R BS.1770, pyloudnorm) is measured on its whole rendering, then one gain per chapter brings it
to the target, so no chapter is louder than the next and none is compressed within itself (a gain
that would clip is lowered to keep the peak at -0.1 dBFS, and book.json says so). The chapters are
rendered as 16-bit WAV under raw/ (the resumable items); the chapter files and the book are made from
those, so changing the target or the format re-levels without re-synthesizing.

The whole book is made from the renderings with their gains (no second lossy generation), with
GAP_S of silence between chapters. book.mp3 is written by soundfile (libsndfile/LAME), which cannot
write ID3 chapter frames, so mutagen adds ID3v2 CHAP/CTOC frames to it before it is renamed into
place; book.m4b is AAC in MP4 (FFmpeg's encoder and muxer, through PyAV) with the MP4 chapter list.
mutagen and PyAV come with the `book` extra; without one the MP3 has no marks or there is no M4B
(chapters.vtt always has them), and book.json's `chapter_marks` says which.
"""
from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from ..errors import EnunciateError
from .store import Store

log = logging.getLogger(__name__)

DEFAULT_LUFS = -18.0  # audiobook practice (ACX asks for -23..-18 dB RMS); podcasts use -16
GAP_S = 1.5           # silence between chapters in the whole book
PEAK = 10 ** (-0.1 / 20)
M4B_BIT_RATE = 64_000  # AAC-LC, mono speech: what audiobook stores deliver
BOOK_JSON = "book.json"


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
    m4b: str | None
    chapters_vtt: str
    target_lufs: float
    chapter_marks: dict[str, str]  # whole-book file -> "id3" or "mp4", or why it has none (or was not made)


def check_loudness_meter() -> None:
    try:
        import pyloudnorm  # noqa: F401
    except ImportError as e:
        raise EnunciateError("books are loudness-normalized, which needs pyloudnorm: pip install "
                             "'enunciate[book]'") from e


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


def assemble(outdir: Store | str | os.PathLike, parts: Sequence[tuple[str, str, str, str | None]],
             format: str = "mp3", target_lufs: float = DEFAULT_LUFS, whole_book: bool = True) -> Book:
    """`parts`: (id, title, rendering relative to OUTDIR, its SHA-256) in reading order -> the chapter
    files (NN-title.FORMAT), chapters.vtt, book.mp3, book.m4b and book.json in OUTDIR (a folder or a
    URL: there the book is made in a local temp folder and its files uploaded, book.json last). A book
    made from the same renderings with the same choices, its files all present, is not made again."""
    import hashlib

    store = outdir if isinstance(outdir, Store) else Store(outdir)
    check_loudness_meter()
    key = hashlib.sha256(json.dumps([list(parts), format, target_lufs, whole_book, _writers()]).encode()).hexdigest()
    made = _made(store, key)
    if made is not None:
        return made
    with store.workspace([rendering for _, _, rendering, _ in parts], last=(BOOK_JSON,)) as folder:
        book = _assemble(folder, parts, format, target_lufs, whole_book)
        from ..captions import write_text_atomic

        write_text_atomic(folder / BOOK_JSON, json.dumps({**asdict(book), "key": key}, ensure_ascii=False, indent=1))
    return book


def _assemble(folder: Path, parts: Sequence[tuple[str, str, str, str | None]], format: str, target_lufs: float,
              whole_book: bool) -> Book:
    from ..audio import read_audio, write_audio

    chapters: list[Chapter] = []
    gains: list[tuple[str, float]] = []
    t = 0.0
    width = max(2, len(str(len(parts))))
    for k, (item_id, title, rendering, _) in enumerate(parts, 1):
        audio, rate = read_audio(folder / rendering)
        loudness = measure(audio, rate)
        gain = 10 ** ((target_lufs - loudness) / 20) if np.isfinite(loudness) else 1.0
        peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
        limited = peak * gain > PEAK
        if limited:
            gain = PEAK / peak
        name = f"{k:0{width}d}-{slug(title)}.{format}"
        write_audio(folder / name, audio * gain, rate, format)
        duration = len(audio) / rate
        chapters.append(Chapter(item_id, title, name, round(t, 3), round(t + duration, 3),
                                round(loudness, 2), round(float(20 * np.log10(gain)), 2), limited))
        gains.append((rendering, gain))
        t += duration + GAP_S
    from ..captions import Cue, write_chapters

    vtt = "chapters.vtt"
    write_chapters(folder / vtt, [Cue(c.start_s, c.end_s, [c.title]) for c in chapters])
    mp3 = m4b = None
    marks = {"book.mp3": "not made: no whole-book file asked for"}
    if whole_book and chapters:
        mp3, marks["book.mp3"] = "book.mp3", _write_mp3(folder, chapters, gains, "book.mp3")
        m4b, marks["book.m4b"] = _write_m4b(folder, chapters, gains, "book.m4b")
    return Book(chapters, mp3, m4b, vtt, target_lufs, marks)


def _writers() -> list[bool]:
    """Which chapter-mark writers are installed (a book made without one is made again with it)."""
    import importlib.util

    return [importlib.util.find_spec(name) is not None for name in ("mutagen", "av")]


def _made(store: Store, key: str) -> Book | None:
    try:
        data = json.loads(store.read_text(BOOK_JSON))
        if data.pop("key") != key:
            return None
        book = Book(**{**data, "chapters": [Chapter(**c) for c in data["chapters"]]})
    except (OSError, ValueError, KeyError, TypeError):
        return None
    files = [c.file for c in book.chapters] + [book.chapters_vtt] + [f for f in (book.mp3, book.m4b) if f]
    return book if all(store.is_file(f) for f in files) else None


def _book_audio(folder: Path, gains: Sequence[tuple[str, float]], rate: int) -> Iterator[np.ndarray]:
    """The whole book's samples, a second at a time: each rendering with its gain, GAP_S between them."""
    from ..audio import read_audio, silence

    for k, (rendering, gain) in enumerate(gains):
        audio, _ = read_audio(folder / rendering, rate)
        if k + 1 < len(gains):
            audio = np.concatenate([audio, silence(GAP_S, rate)])
        for start in range(0, len(audio), rate):
            yield (audio[start:start + rate] * gain).astype(np.float32)


def _write_mp3(folder: Path, chapters: Sequence[Chapter], gains: Sequence[tuple[str, float]], name: str) -> str:
    """book.mp3, its ID3 chapter marks added before it is renamed into place. Returns how it is marked."""
    from ..audio import atomic_audio

    rate = _rate(folder / gains[0][0])
    tmp = folder / f".{name}.{os.getpid()}.part"
    try:
        with atomic_audio(tmp, rate, "mp3") as out:
            for samples in _book_audio(folder, gains, rate):
                out.write(samples)
        marks = _mark_mp3(tmp, chapters)
        os.replace(tmp, folder / name)
    finally:
        tmp.unlink(missing_ok=True)
    return marks


def _mark_mp3(path: Path, chapters: Sequence[Chapter]) -> str:
    """ID3v2.4 CHAP frames (start and end in ms, a TIT2 title each) under one ordered top-level CTOC."""
    try:
        from mutagen.id3 import CHAP, CTOC, ID3, TIT2, CTOCFlags, ID3NoHeaderError
    except ImportError:
        return "none: mutagen is not installed (pip install 'enunciate[book]'); chapters.vtt has them"
    try:
        try:
            tags = ID3(str(path))
        except ID3NoHeaderError:
            tags = ID3()
        ids = [f"chp{k}" for k in range(1, len(chapters) + 1)]
        tags.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED, child_element_ids=ids,
                      sub_frames=[TIT2(text=["Chapters"])]))
        for element_id, c in zip(ids, chapters):
            tags.add(CHAP(element_id=element_id, start_time=_ms(c.start_s), end_time=_ms(c.end_s),
                          sub_frames=[TIT2(text=[c.title])]))
        tags.save(str(path))
    except Exception as e:  # the plain MP3 is still a good book
        log.warning("could not add chapter marks to %s: %s", path.name, e)
        return f"none: mutagen could not add them ({e}); chapters.vtt has them"
    return "id3"


def _write_m4b(folder: Path, chapters: Sequence[Chapter], gains: Sequence[tuple[str, float]],
               name: str) -> tuple[str | None, str]:
    """book.m4b: AAC-LC in MP4 (FFmpeg's `ipod` muxer, as audiobook players expect) with its chapter
    list, written to a temp name and renamed. Returns (its name or None, how it is marked or why not)."""
    try:
        import av
    except ImportError:
        return None, "not made: PyAV is not installed (pip install 'enunciate[book]'); chapters.vtt has the chapters"
    from fractions import Fraction

    rate = _rate(folder / gains[0][0])
    tmp = folder / f".{name}.{os.getpid()}.part"
    try:
        with av.open(str(tmp), "w", format="ipod") as out:
            stream = out.add_stream("aac", rate=rate, layout="mono")
            stream.bit_rate = M4B_BIT_RATE
            out.set_chapters([{"id": k, "start": _ms(c.start_s), "end": _ms(c.end_s), "time_base": Fraction(1, 1000),
                               "metadata": {"title": c.title}} for k, c in enumerate(chapters, 1)])
            pts = 0
            for samples in _book_audio(folder, gains, rate):
                frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
                frame.sample_rate, frame.pts = rate, pts
                pts += len(samples)
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
        os.replace(tmp, folder / name)
    except (av.FFmpegError, ValueError, OSError) as e:  # e.g. an FFmpeg build without the AAC encoder
        log.warning("could not write %s: %s", name, e)
        return None, f"not made: FFmpeg (PyAV) could not write it ({e}); chapters.vtt has the chapters"
    finally:
        tmp.unlink(missing_ok=True)
    return name, "mp4"


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))


def _rate(path: Path) -> int:
    import soundfile as sf

    return sf.info(str(path)).samplerate
