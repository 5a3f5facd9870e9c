"""Markup readers: each `blocks(text)` yields the document's blocks in order (headings, paragraphs,
list items, table rows, and the skipped code, comments and directives), each a `Block` whose text
has the input's offsets, markup blanked to spaces, so spans, captions and reports point into the
original. Markdown (plain text too), reStructuredText and AsciiDoc are read a line at a time on the
shared `scanner`; HTML tag by tag; a notebook's Markdown cells through the Markdown reader.
"""
from __future__ import annotations

from dataclasses import dataclass, field

PAUSE_S = {"heading": 0.6, "paragraph": 0.5, "list_item": 0.3, "quote": 0.5, "table_row": 0.3}


@dataclass
class Block:
    """A unit of narration. `text` has the original's length inside [start, end): markup is spaces."""

    kind: str
    start: int
    end: int
    text: str
    skipped: bool = False
    skips: list[tuple[int, int, str]] = field(default_factory=list)  # [start, end) not read, why
    said_as: list[tuple[int, int, str]] = field(default_factory=list)  # [start, end) read as this text
    # a character written wider than one ("\\u2192" in a notebook): its offset -> the end of its writing
    wide: dict[int, int] = field(default_factory=dict)

    @property
    def pause_s(self) -> float:
        return PAUSE_S.get(self.kind, 0.5)
