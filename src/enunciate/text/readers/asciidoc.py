"""AsciiDoc (.adoc: Asciidoctor docs, Git's and many Java projects' manuals) -> the same blocks as
Markdown, offsets kept.

Read as Asciidoctor renders it, the common subset: "= Title" and "== Section" headings, block
titles (".Title"), paragraphs, lists ("*", "-", ".", "1.", "term::"), admonitions ("NOTE: text",
read "note, text"), example, sidebar and quote blocks (their text), and tables ("|===") a row at a
time, each cell after its column's name when the table has a header row. Attribute references
("{version}") are read as the attribute's value. Listing, literal and passthrough blocks, comments,
attribute entries, block attributes and anchors, block images, includes and conditionals are
skipped and reported. Inline markup is blanked to spaces, so every offset in a block's text is an
offset in the input.
"""
from __future__ import annotations

import re
from typing import Generator, Iterator

from . import Block
from .scanner import LineScanner, Span

_HEADING = re.compile(r"(={1,6}|#{1,6})\s+\S")
_BLOCK_TITLE = re.compile(r"\.(?![.\s])\S")
_LIST = re.compile(r"\s*(\*{1,5}|-|\.{1,5}|\d+\.)\s+(\[[ xX*]\]\s+)?")
_DESCRIPTION = re.compile(r"(.+?)(:{2,4}|;;)(?:\s+|$)")
_ADMONITION = re.compile(r"(NOTE|TIP|IMPORTANT|WARNING|CAUTION):\s")
_ATTRIBUTE_ENTRY = re.compile(r":!?([\w-]+)!?:(?:\s+(.*))?$")
_BLOCK_ATTRIBUTES = re.compile(r"\[[^\]]*\]$|\[\[[^\]]*\]\]$")
_DIRECTIVE = re.compile(r"(image|include|ifdef|ifndef|ifeval|endif|video|audio|toc)::")
# delimited blocks: the delimiter's character, and whether their content is read
_DELIMITERS = {"-": False, ".": False, "+": False, "/": False, "=": True, "*": True, "_": True}
_TABLE = re.compile(r"[|!,:]===+$")
_ATTRIBUTE_REF = re.compile(r"(?<!\\){([\w-]+)}")
_MACRO = re.compile(r"\b(?:link|xref|mailto|kbd|btn|menu|footnote|image|pass|stem|latexmath|asciimath)"
                    r":([^\s\[]*)\[([^\]]*)\]")
_URL = re.compile(r"\b(?:https?|ftp|irc)://[^\s\[]+\[([^\]]*)\]")
_CROSS_REF = re.compile(r"<<([^,>]+)(?:,\s*([^>]+))?>>")
_ANCHOR = re.compile(r"\[\[[^\]]*\]\]|\[#[^\]]*\]")
_CONSTRAINED = re.compile(r"(?<![\w*_`#+])([*_`#+])(?=\S)(.+?)(?<=\S)\1(?![\w*_`#+])")
_LITERAL_MONOSPACE = re.compile(r"`\+(.+?)\+`")
_UNCONSTRAINED = re.compile(r"(\*\*|__|``|##|\+\+)(.+?)\1")
_HARD_BREAK = re.compile(r"[ \t]\+$", re.M)
_ADMONITION_NAMES = {"NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION"}


def _blank(s: str, a: int, b: int) -> str:
    return s[:a] + " " * (b - a) + s[b:]


def attributes(text: str) -> dict[str, str]:
    """":name: value" entries anywhere in the document (a reference may come before its entry)."""
    out = {}
    for line in text.splitlines():
        m = _ATTRIBUTE_ENTRY.match(line)
        if m and m.group(2):
            out[m.group(1)] = m.group(2).strip()
    return out


def clean_inline(line: str, values: dict[str, str], offset: int
                 ) -> tuple[str, list[tuple[int, int, str]], list[tuple[int, int, str]]]:
    """Blank inline AsciiDoc markup, keeping every offset. Returns the text, the spans not read
    (images, footnotes, passthroughs) and the spans read as other text (attribute references)."""
    skips: list[tuple[int, int, str]] = []
    said: list[tuple[int, int, str]] = []
    for m in _MACRO.finditer(line):
        kind = m.group(0).split(":", 1)[0]
        span = (offset + m.start(), offset + m.end())
        if kind in ("image", "footnote", "pass", "stem", "latexmath", "asciimath"):
            skips.append((*span, f"{'inline ' + kind if kind != 'image' else 'image'} not read aloud"))
            line = _blank(line, m.start(), m.end())
        elif kind == "menu":  # "menu:File[Save]": File, Save
            line = _blank(line, m.start(), m.start(1))
            line = line[:m.end(1)] + "," + line[m.end(1) + 1:]
            line = _blank(line, m.end() - 1, m.end())
        elif m.group(2):  # "link:url[text]", "kbd:[Ctrl+C]": the text
            line = _blank(line, m.start(), m.start(2))
            line = _blank(line, m.end(2), m.end())
        else:  # "xref:guide.adoc[]": the target
            line = _blank(line, m.start(), m.start(1))
            line = _blank(line, m.end(1), m.end())
    for m in _URL.finditer(line):  # "https://x.org[the site]": its text
        if m.group(1):
            line = _blank(line, m.start(), m.start(1))
            line = _blank(line, m.end(1), m.end())
        else:
            line = _blank(line, m.end() - 2, m.end())
    for m in _CROSS_REF.finditer(line):  # "<<install,Installing>>": the text, else the id
        keep = 2 if m.group(2) else 1
        line = _blank(line, m.start(), m.start(keep))
        line = _blank(line, m.end(keep), m.end())
    for m in _ANCHOR.finditer(line):
        line = _blank(line, m.start(), m.end())
    for m in _ATTRIBUTE_REF.finditer(line):
        if m.group(1) in values:
            said.append((offset + m.start(), offset + m.end(), values[m.group(1)]))
            line = _blank(line, m.start(), m.end())
    for m in _LITERAL_MONOSPACE.finditer(line):  # "`+*.war+`": monospace, its text as written
        line = _blank(_blank(line, m.start(), m.start() + 2), m.end() - 2, m.end())
    for _ in range(2):  # nested: "*_both_*"
        for pattern in (_UNCONSTRAINED, _CONSTRAINED):
            for m in pattern.finditer(line):
                n = len(m.group(1))
                line = _blank(_blank(line, m.start(), m.start() + n), m.end() - n, m.end())
    for m in _HARD_BREAK.finditer(line):  # "text +" ending a line: a line break, a pause
        line = line[:m.end() - 1] + "," + line[m.end():]
    return line, skips, said


def blocks(text: str) -> Iterator[Block]:
    """Yield blocks one paragraph, heading, list item, table row or skipped construct at a time."""
    return _Reader(text).blocks()


class _Reader:
    """AsciiDoc's handlers, one per construct."""

    def __init__(self, text: str):
        self.scan = LineScanner(text, self._finish)
        self.values = attributes(text)

    def blocks(self) -> Iterator[Block]:
        return self.scan.read((self.scan.blank_line, self._delimited, self._table, self._comment,
                               self._admonition_style, self._entry, self._literal, self._heading,
                               self._block_title, self._line))

    def _finish(self, start: int, raw: str) -> tuple[str, list[Span], list[Span]]:
        """Inline markup is cleaned over the whole block, line ends kept: "text +" breaks a line."""
        cleaned, skips, said = clean_inline(raw, self.values, start)
        return re.sub(r"[\r\n]", " ", cleaned), skips, said

    def _delimited(self) -> Generator[Block, None, bool]:
        """A delimited block ("----", "====", "****"...) to its closing delimiter: example, sidebar
        and quote blocks read, listing, literal, passthrough and comment blocks skipped."""
        scan, stripped = self.scan, self.scan.line().strip()
        delimiter = stripped[0] if len(stripped) >= 4 and stripped == stripped[0] * len(stripped) else ""
        if delimiter not in _DELIMITERS:
            return False
        yield from scan.flush()
        i = scan.i
        j = scan.find(lambda line: line.strip() == stripped)
        j = len(scan) - 1 if j is None else j
        if _DELIMITERS[delimiter]:  # example, sidebar, quote: the delimiters go, the text is read
            for k in range(i + 1, j):
                if scan.is_blank(k):
                    yield from scan.flush()
                else:
                    scan.add(scan.line(k), k)
            yield from scan.flush()
        else:
            what = {"-": "code", ".": "code", "+": "passthrough block", "/": "doc_comment"}[delimiter]
            yield scan.skipped(what, i, j + 1)
        return scan.advance(j + 1)

    def _table(self) -> Generator[Block, None, bool]:
        """A "|===" table, to its closing "|===": a row at a time."""
        scan = self.scan
        if not _TABLE.match(scan.line().strip()) or scan.para:
            return False
        j = scan.find(lambda line: _TABLE.match(line.strip()))
        j = len(scan) - 1 if j is None else j
        yield from _table(scan.text, scan.lines, scan.starts, scan.i, j, self.values)
        return scan.advance(j + 1)

    def _comment(self) -> Generator[Block, None, bool]:
        """A "//" comment line: skipped."""
        scan = self.scan
        if not scan.line().strip().startswith("//"):
            return False
        yield from scan.flush()
        yield scan.skipped("doc_comment", scan.i, scan.i + 1)
        return scan.advance()

    def _admonition_style(self) -> Generator[Block, None, bool]:
        """"[NOTE]" over a block: "note," read before it."""
        scan, line = self.scan, self.scan.line()
        stripped = line.strip()
        style = stripped[1:-1].split(",")[0] if _BLOCK_ATTRIBUTES.match(stripped) else ""
        if style not in _ADMONITION_NAMES or scan.para:
            return False
        scan.add(" " + style + "," + line[len(style) + 2:])
        yield from scan.flush()
        return scan.advance()

    def _entry(self) -> Generator[Block, None, bool]:
        """An attribute entry, block attributes, a block image, an include or a conditional: skipped."""
        scan, line = self.scan, self.scan.line()
        stripped = line.strip()
        if scan.para or not (_ATTRIBUTE_ENTRY.match(line) or _BLOCK_ATTRIBUTES.match(stripped)
                             or _DIRECTIVE.match(stripped)):
            return False
        what = ("attribute entry" if _ATTRIBUTE_ENTRY.match(line)
                else "directive" if _DIRECTIVE.match(stripped) else "block attributes")
        yield scan.skipped("image" if stripped.startswith("image::") else what, scan.i, scan.i + 1)
        return scan.advance()

    def _literal(self) -> Generator[Block, None, bool]:
        """An indented literal paragraph, to the next blank line: skipped as code."""
        scan = self.scan
        if scan.line()[:1] not in (" ", "\t") or scan.para:
            return False
        j = scan.until_blank()
        yield scan.skipped("code", scan.i, j)
        return scan.advance(j)

    def _heading(self) -> Generator[Block, None, bool]:
        """"= Title", "== Section": a heading."""
        scan, line = self.scan, self.scan.line()
        heading = _HEADING.match(line)
        if not heading:
            return False
        yield from scan.flush()
        scan.kind = "heading"
        scan.add(" " * len(heading.group(1)) + line[len(heading.group(1)):])
        yield from scan.flush()
        return scan.advance()

    def _block_title(self) -> Generator[Block, None, bool]:
        """".Title" over a block: read as a heading."""
        scan, line = self.scan, self.scan.line()
        if not _BLOCK_TITLE.match(line) or scan.para:
            return False
        scan.kind = "heading"
        scan.add(" " + line[1:])
        yield from scan.flush()
        return scan.advance()

    def _line(self) -> Generator[Block, None, bool]:
        """A list item, an admonition paragraph ("NOTE: text") or a description ("term:: text")
        opens a block; another line goes on with the open one."""
        scan, line = self.scan, self.scan.line()
        bullet = _LIST.match(line)
        admonition = _ADMONITION.match(line)
        description = _DESCRIPTION.match(line) if not bullet else None
        if bullet:
            yield from scan.flush()
            scan.kind = "list_item"
            line = " " * bullet.end() + line[bullet.end():]
        elif admonition:  # "NOTE: text": "note, text"
            yield from scan.flush()
            colon = admonition.end(1)
            line = line[:colon] + "," + line[colon + 1:]
        elif description and description.group(1).strip() and not description.group(1).startswith(" "):
            yield from scan.flush()  # "term:: definition": "term, definition"
            scan.kind = "list_item"
            a, b = description.span(2)
            line = line[:a] + "," + " " * (b - a - 1) + line[b:]
        scan.add(line)
        return scan.advance()


def _table(text: str, lines: list[str], starts: list[int], i: int, j: int, values: dict[str, str]
           ) -> Iterator[Block]:
    """A "|===" table (lines i..j): one block per row, cells after their column's name when the
    first row is a header (followed by a blank line, or marked "%header"/options="header" above)."""
    above = lines[i - 1] if i else ""
    rows: list[list[tuple[int, int]]] = []  # cells as spans of the input
    row: list[tuple[int, int]] = []
    first = next((k for k in range(i + 1, j) if lines[k].strip()), j)
    marked = re.search(r"%header|options=\"?[^\"\]]*\bheader", above)
    header_rows = int(bool(marked) or (first + 1 < j and not lines[first + 1].strip() and "noheader" not in above))
    cols = re.search(r'cols="?(\d+)\*|cols="?([^"\]]+)', above)
    columns = (int(cols.group(1)) if cols.group(1) else len(cols.group(2).split(","))) if cols else 0
    for k in range(i + 1, j):
        line = lines[k].rstrip("\r\n")
        bars = [n for n, ch in enumerate(line) if ch == "|" and (n == 0 or line[n - 1] != "\\")]
        if not bars:  # a cell goes on over the next line
            if row and line.strip():
                a, _ = row[-1]
                row[-1] = (a, starts[k] + len(line))
            continue
        columns = columns or len(bars)  # as Asciidoctor: the first line's cells, unless cols= says
        for a, b in zip(bars, [*bars[1:], len(line)]):
            row.append((starts[k] + a + 1, starts[k] + b))
            if len(row) == columns:
                rows.append(row)
                row = []
    if row:
        rows.append(row)
    names = []
    if header_rows and rows:
        names = [" ".join(clean_inline(text[a:b], values, a)[0].split()) for a, b in rows[0]]
    for n, cells in enumerate(rows):
        start, end = cells[0][0] - 1, cells[-1][1]
        chars = [" "] * (end - start)
        for a, b in cells:
            chars[a - start:b - start] = text[a:b]
        cleaned, skips, said = clean_inline("".join(chars), values, start)
        cleaned = re.sub(r"[\r\n]", " ", cleaned)
        named = []
        for k, (a, _) in enumerate(cells):
            name = names[k] if n >= header_rows and k < len(names) else ""
            if name and text[a:cells[k][1]].strip():
                named.append((a - 1, a, ("; " if k else "") + name + ":"))
            elif k:
                gap = len(cleaned[:a - 1 - start].rstrip())
                cleaned = cleaned[:gap] + "," + cleaned[gap + 1:]
        yield Block("table_row", start, end, cleaned, skips=skips, said_as=said + named)
