"""The line scanner the Markdown, reStructuredText and AsciiDoc readers share.

A reader is a list of handlers, one per construct (a fence, a title, a table, a list item), that
`LineScanner.read` tries in order on each line: a handler that takes the line moves the cursor past
it (and past the rest of its construct) and returns True; one that does not returns False with the
cursor where it was, and the next one is tried. Handlers are generators, so blocks stream out as the
lines are read. Read lines join the open block, which `flush` closes into one Block at a blank line
or a new construct, the reader's `finish` cleaning the inline markup of the whole block at once (a
link or an emphasis may span a line break); a skipped construct's lines become one skipped Block
with the source as its text.
"""
from __future__ import annotations

from typing import Callable, Generator, Iterator, Sequence

from . import Block

Span = tuple[int, int, str]  # [start, end) in the input, and why it is not read or what it is read as
Handler = Callable[[], Generator[Block, None, bool]]
# (where the open block starts, its lines laid over blanks) -> (its text cleaned, skips, spans said as)
Finish = Callable[[int, str], tuple[str, list[Span], list[Span]]]


def line_starts(lines: list[str]) -> list[int]:
    """The offset where each of `lines` (split with their ends kept) starts, and the text's end."""
    starts = [0]
    for raw in lines:
        starts.append(starts[-1] + len(raw))
    return starts


def assembled(text: str, para: list[tuple[int, str]]) -> tuple[int, int, str]:
    """A paragraph's cleaned lines ((offset, line), in order) laid over blanks at their offsets,
    the line ends between them kept: (start, end, text of the same length as text[start:end])."""
    start, end = para[0][0], para[-1][0] + len(para[-1][1])
    chars = [c if c in "\r\n" else " " for c in text[start:end]]
    for off, line in para:
        chars[off - start: off - start + len(line)] = line
    return start, end, "".join(chars)


class LineScanner:
    """A source's lines with their offsets, a cursor over them, and the open block."""

    def __init__(self, text: str, finish: Finish):
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self.starts = line_starts(self.lines)
        self.i = 0  # the current line
        self.finish = finish
        self.kind = "paragraph"  # the open block's kind
        self.para: list[tuple[int, str]] = []  # its lines: (offset, the line cleaned to the same length)
        self.skips: list[Span] = []  # its spans not read aloud, found line by line
        self.said: list[Span] = []  # its spans read as other words, found line by line

    def __len__(self) -> int:
        return len(self.lines)

    def line(self, k: int | None = None) -> str:
        """Line k (by default the current one) without its line end."""
        return self.lines[self.i if k is None else k].rstrip("\r\n")

    def start(self, k: int | None = None) -> int:
        return self.starts[self.i if k is None else k]

    def end(self, k: int | None = None) -> int:
        """Where the text of line k ends, before its line end."""
        return self.start(k) + len(self.line(k))

    def is_blank(self, k: int | None = None) -> bool:
        return not self.lines[self.i if k is None else k].strip()

    def advance(self, to: int | None = None) -> bool:
        """Move to the next line, or to line `to`; True, for the handler that took the line to return."""
        self.i = self.i + 1 if to is None else to
        return True

    def find(self, test: Callable[[str], object]) -> int | None:
        """The first line after the current one whose text passes `test` (a closing fence), or None."""
        return next((k for k in range(self.i + 1, len(self.lines)) if test(self.line(k))), None)

    def until_blank(self) -> int:
        """The first blank line from the current one on, or the end."""
        k = self.i
        while k < len(self.lines) and self.lines[k].strip():
            k += 1
        return k

    def skipped(self, kind: str, i: int, j: int | None = None) -> Block:
        """Lines i..j-1 as a skipped block, to the end of line j-1's text; without `j`, to the end of
        the input (an unclosed fence)."""
        end = len(self.text) if j is None else self.end(j - 1)
        return Block(kind, self.starts[i], end, self.text[self.starts[i]:end], True)

    def add(self, line: str, k: int | None = None) -> None:
        """Line k (by default the current one), cleaned to its length, joins the open block."""
        self.para.append((self.start(k), line))

    def flush(self) -> Iterator[Block]:
        """Close the open block: its lines over blanks (lines left out stay blank), cleaned by
        `finish`; a block with nothing to read or report is dropped."""
        if self.para:
            start, end, raw = assembled(self.text, self.para)
            cleaned, skips, said = self.finish(start, raw)
            skips, said = self.skips + skips, self.said + said
            if cleaned.strip() or skips or said:
                yield Block(self.kind, start, end, cleaned, skips=skips, said_as=said)
        self.kind, self.para, self.skips, self.said = "paragraph", [], [], []

    def blank_line(self) -> Generator[Block, None, bool]:
        """A handler: a blank line closes the open block."""
        if not self.is_blank():
            return False
        yield from self.flush()
        return self.advance()

    def text_line(self) -> Generator[Block, None, bool]:
        """A handler: the line, as it is, joins the open block (plain text)."""
        yield from ()
        self.add(self.line())
        return self.advance()

    def read(self, handlers: Sequence[Handler]) -> Iterator[Block]:
        """Each line to the handlers in turn until one takes it (the last takes any), then the open
        block's last lines."""
        while self.i < len(self.lines):
            for handler in handlers:
                if (yield from handler()):
                    break
        yield from self.flush()
