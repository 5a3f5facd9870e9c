"""Word timings -> caption cues (WebVTT, SRT) and a words JSON, all showing the original text.

Cues break at sentence ends, at clause punctuation once a line is full, and at long pauses; each
cue has at most 2 lines of at most 42 characters and never overlaps the next one.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

from .audio import check_writable
from .cache import write_atomically
from .errors import EnunciateError

MAX_LINE = 42
MAX_LINES = 2
PAUSE_BREAK_S = 0.6
_SENTENCE_END = set(".!?")
_CLAUSE = set(",;:")
_KEEP = set(",.;:!?)]}\"'”’")


@dataclass
class Cue:
    start_s: float
    end_s: float
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _gap_punct(source: str, end: int, start: int) -> str:
    """Punctuation written between two words in the original (", " -> ",")."""
    return "".join(ch for ch in source[end:start] if ch in _KEEP)


def wrap(units: Sequence[str], width: int = MAX_LINE) -> list[str]:
    """Greedy wrap of units (words of the original, never split: "35 ms") into lines of at most
    `width` (a longer unit gets a line of its own), then balance two lines near the middle."""
    words, lines, line = list(units), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    if line:
        lines.append(line)
    if len(lines) == 2:
        best = None
        for k in range(1, len(words)):
            a, b = " ".join(words[:k]), " ".join(words[k:])
            if len(a) <= width and len(b) <= width:
                score = abs(len(a) - len(b))
                best = (score, [a, b]) if best is None or score < best[0] else best
        if best:
            lines = best[1]
    return lines


def build_cues(words: Sequence, source: str, shown: str | None = None) -> list[Cue]:
    """Group timed words (with `span`, `start_s`, `end_s`) into cues over `source`'s text.
    `shown` is the source as a reader sees it, same offsets, markup blanked (`document.rendered`):
    cues then show "speak", not ":func:`~enunciate.speak`"."""
    original = source
    source = shown if shown is not None and len(shown) == len(source) else source
    cues: list[Cue] = []
    units: list[str] = []
    first = None

    def close(last) -> None:
        nonlocal units, first
        if first is not None and units:
            cues.append(Cue(first.start_s, last.end_s, wrap(units)))
        units, first = [], None

    previous = None
    for k, w in enumerate(words):
        piece = " ".join(source[w.span[0]:w.span[1]].split())
        if not piece:  # read as other words ("|project|", "$O(n^2)$"): what was said
            piece = getattr(w, "spoken", "") or " ".join(original[w.span[0]:w.span[1]].split())
        nxt = words[k + 1] if k + 1 < len(words) else None
        tail = source[w.span[1]:nxt.span[0] if nxt else len(source)].split("\n")[0][:4]
        punct = _gap_punct(tail, 0, len(tail)).strip()
        unit = piece + punct
        if first is not None and (len(wrap([*units, unit])) > MAX_LINES
                                  or w.start_s - previous.end_s > PAUSE_BREAK_S):
            close(previous)
        if first is None:
            first = w
        units.append(unit)
        previous = w
        ends = set(punct)
        if ends & _SENTENCE_END or (ends & _CLAUSE and len(" ".join(units)) > MAX_LINE):
            close(w)
    if previous is not None:
        close(previous)
    for a, b in zip(cues, cues[1:]):  # never overlap
        a.end_s = min(a.end_s, b.start_s)
    return cues


def _stamp(seconds: float, sep: str) -> str:
    ms = int(round(max(0.0, seconds) * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def to_vtt(cues: Sequence[Cue]) -> str:
    body = [f"{_stamp(c.start_s, '.')} --> {_stamp(c.end_s, '.')}\n{c.text}\n" for c in cues]
    return "WEBVTT\n\n" + "\n".join(body)


def to_srt(cues: Sequence[Cue]) -> str:
    return "\n".join(f"{k}\n{_stamp(c.start_s, ',')} --> {_stamp(c.end_s, ',')}\n{c.text}\n"
                     for k, c in enumerate(cues, 1))


def chapters(words: Sequence, headings: Sequence[tuple[int, int]], duration_s: float, source: str,
             shown: str | None = None) -> list[Cue]:
    """Chapters from a document's headings: each starts when its heading is spoken and runs to the
    next one (the last to the end of the audio), titled as the heading shows (`shown`: see
    `build_cues`). Speech before the first heading is a chapter titled by its first words."""
    def title(said: Sequence) -> str:  # as a caption shows them
        return " ".join(line for cue in build_cues(said, source, shown) for line in cue.lines)

    starts = []
    for a, b in headings:
        said = [w for w in words if a <= w.span[0] < b]
        if said:
            starts.append((said[0].start_s, title(said)))
    if words and (not starts or starts[0][0] > words[0].start_s):
        opening = [w for w in words if not starts or w.start_s < starts[0][0]][:8]
        starts.insert(0, (0.0, title(opening).rstrip(".,;:") + (" …" if len(opening) == 8 else "")))
    ends = [t for t, _ in starts[1:]] + [duration_s]
    return [Cue(0.0 if k == 0 else t, end, [title]) for k, ((t, title), end) in enumerate(zip(starts, ends))]


def write_chapters(path: str | os.PathLike, cues: Sequence[Cue]) -> Path:
    """WebVTT chapters (numbered cues), as <track kind="chapters"> and players read them."""
    if Path(path).suffix.lower() != ".vtt":
        raise EnunciateError(f"chapters file must end in .vtt, got {Path(path).name!r}")
    body = [f"{k}\n{_stamp(c.start_s, '.')} --> {_stamp(c.end_s, '.')}\n{c.text}\n" for k, c in enumerate(cues, 1)]
    return write_text_atomic(path, "WEBVTT\n\n" + "\n".join(body))


def words_json(words: Sequence, marks: Sequence = ()) -> str:
    """Word timings as JSON; times to the millisecond (the durations' own resolution is coarser).
    SSML marks come in text order among the words, as {"mark": name, "span": [a, b], "time_s": t}."""
    entries = [(w.span, {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(w).items()})
               for w in words]
    entries += [(m.span, {"mark": m.name, "span": list(m.span), "time_s": None if m.time_s is None
                          else round(m.time_s, 3)}) for m in marks]
    return json.dumps([e for _, e in sorted(entries, key=lambda e: tuple(e[0]))], ensure_ascii=False, indent=1)


def write_text_atomic(path: str | os.PathLike, content: str) -> Path:
    path = Path(path)
    check_writable(path)
    try:
        return write_atomically(path, lambda tmp: tmp.write_text(content, encoding="utf-8"))
    except OSError as e:
        raise EnunciateError(f"cannot write {path}: {e.strerror or e}") from e


def write_captions(path: str | os.PathLike, words: Sequence, source: str, shown: str | None = None) -> Path:
    """Format from the suffix: .vtt (WebVTT) or .srt (SubRip). `shown`: see `build_cues`."""
    suffix = Path(path).suffix.lower()
    formats = {".vtt": to_vtt, ".srt": to_srt}
    if suffix not in formats:
        raise EnunciateError(f"captions file must end in .vtt or .srt, got {Path(path).name!r}")
    if not words:
        raise EnunciateError("no words were spoken, so there are no captions to write")
    return write_text_atomic(path, formats[suffix](build_cues(words, source, shown)))
