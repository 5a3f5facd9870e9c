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
from typing import Iterator

from .markdown import Block, assembled, line_starts

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
    lines = text.splitlines(keepends=True)
    starts = line_starts(lines)
    values = attributes(text)
    para: list[tuple[int, str]] = []
    kind = "paragraph"

    def flush() -> Iterator[Block]:
        nonlocal para, kind
        if para:
            start, end, raw = assembled(text, para)  # line ends kept: "text +" breaks a line
            cleaned, skips, said = clean_inline(raw, values, start)
            cleaned = re.sub(r"[\r\n]", " ", cleaned)
            if cleaned.strip() or skips or said:
                yield Block(kind, start, end, cleaned, skips=skips, said_as=said)
        para, kind = [], "paragraph"

    def hidden(what: str, i: int, j: int) -> Block:
        end = starts[j - 1] + len(lines[j - 1].rstrip("\r\n"))
        return Block(what, starts[i], end, text[starts[i]:end], True)

    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r\n")
        stripped = line.strip()
        if not stripped:
            yield from flush()
            i += 1
            continue
        delimiter = stripped[0] if len(stripped) >= 4 and stripped == stripped[0] * len(stripped) else ""
        if delimiter in _DELIMITERS:
            yield from flush()
            j = next((k for k in range(i + 1, len(lines)) if lines[k].strip() == stripped), len(lines) - 1)
            if _DELIMITERS[delimiter]:  # example, sidebar, quote: the delimiters go, the text is read
                i += 1
                lines_inside = range(i, j)
                for k in lines_inside:
                    if not lines[k].strip():
                        yield from flush()
                    else:
                        para.append((starts[k], lines[k].rstrip("\r\n")))
                yield from flush()
            else:
                what = {"-": "code", ".": "code", "+": "passthrough block", "/": "doc_comment"}[delimiter]
                yield hidden(what, i, j + 1)
            i = j + 1
            continue
        if _TABLE.match(stripped) and not para:
            j = next((k for k in range(i + 1, len(lines)) if _TABLE.match(lines[k].strip())), len(lines) - 1)
            yield from _table(text, lines, starts, i, j, values)
            i = j + 1
            continue
        if stripped.startswith("//"):
            yield from flush()
            yield hidden("doc_comment", i, i + 1)
            i += 1
            continue
        style = stripped[1:-1].split(",")[0] if _BLOCK_ATTRIBUTES.match(stripped) else ""
        if style in _ADMONITION_NAMES and not para:  # "[NOTE]" over a block: read "note," before it
            para.append((starts[i], " " + style + "," + line[len(style) + 2:]))
            yield from flush()
            i += 1
            continue
        if (_ATTRIBUTE_ENTRY.match(line) or _BLOCK_ATTRIBUTES.match(stripped) or _DIRECTIVE.match(stripped)) \
                and not para:
            what = ("attribute entry" if _ATTRIBUTE_ENTRY.match(line)
                    else "directive" if _DIRECTIVE.match(stripped) else "block attributes")
            if stripped.startswith("image::"):
                what = "image"
            yield hidden(what, i, i + 1)
            i += 1
            continue
        if line[:1] in (" ", "\t") and not para:  # an indented literal paragraph
            j = i
            while j < len(lines) and lines[j].strip():
                j += 1
            yield hidden("code", i, j)
            i = j
            continue
        heading = _HEADING.match(line)
        if heading:
            yield from flush()
            kind = "heading"
            para.append((starts[i], " " * len(heading.group(1)) + line[len(heading.group(1)):]))
            yield from flush()
            i += 1
            continue
        if _BLOCK_TITLE.match(line) and not para:
            kind = "heading"
            para.append((starts[i], " " + line[1:]))
            yield from flush()
            i += 1
            continue
        bullet = _LIST.match(line)
        admonition = _ADMONITION.match(line)
        description = _DESCRIPTION.match(line) if not bullet else None
        if bullet:
            yield from flush()
            kind = "list_item"
            line = " " * bullet.end() + line[bullet.end():]
        elif admonition:  # "NOTE: text": "note, text"
            yield from flush()
            colon = admonition.end(1)
            line = line[:colon] + "," + line[colon + 1:]
        elif description and description.group(1).strip() and not description.group(1).startswith(" "):
            yield from flush()  # "term:: definition": "term, definition"
            kind = "list_item"
            a, b = description.span(2)
            line = line[:a] + "," + " " * (b - a - 1) + line[b:]
        para.append((starts[i], line))
        i += 1
    yield from flush()


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
