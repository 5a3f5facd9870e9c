"""reStructuredText (Sphinx docs, README.rst) -> the same blocks as Markdown, offsets kept.

Read as Sphinx renders it: section titles over or under their adornment are headings; literal
blocks (after "::"), doctests, code, image and other directives, comments and link targets are
skipped and reported; math is read as words; admonitions ("note", "warning") are read with their
name first; roles read their text (":func:`~pkg.mod.load`" is "load", as Sphinx shows it), links
their text, and substitutions their replacement; tables (grid, simple, list-table) a row at a
time, each cell after its column's name. Markup is blanked to spaces as in `markdown.blocks`, so every
offset in a block's text is an offset in the input.
"""
from __future__ import annotations

import re
from typing import Generator, Iterator

from ..latex import INLINE_MATH, is_math, latex_words
from . import Block
from .markdown import read_role
from .scanner import LineScanner, Span

_ADORNMENT = re.compile(r"([!-/:-@\[-`{-~])\1{2,}\s*")  # "=====", "-----", "~~~~" (3+ of one mark)
_SIMPLE_TABLE_BORDER = re.compile(r"=+( +=+)+\s*")
_GRID_BORDER = re.compile(r"\+([-=]+\+)+\s*")
_BULLET = re.compile(r"([-*+•]|\d+[.)]|#\.|\(\d+\)|[a-z][.)])\s+")
_EXPLICIT = re.compile(r"\.\.(?:\s|$)")
_DIRECTIVE = re.compile(r"\.\.\s+([\w:.+-]+?)::(?:\s|$)")
_TARGET = re.compile(r"\.\.\s+(?:_[^:]*:|\|[^|]+\|\s)|__\s")  # ".. _name: url", ".. |sub| image::", "__ url"
_FOOTNOTE = re.compile(r"\.\.\s+\[(?:\d+|#[\w-]*|\*|[A-Za-z][\w.-]*)\]\s+")
_FIELD = re.compile(r":([\w .()-]+?):(?:\s|$)")
_ROLE = re.compile(r":(?:[\w.+-]+:)*?([\w.+-]+):`([^`]+)`")  # group 1 the role's name, 2 its text
_LINK = re.compile(r"`([^`<]*?)\s*<([^`>]+)>`(?:__?)?")  # "`text <url>`_", or a default-role cross-reference
_BRACKETED_URL = re.compile(r"<(?:https?|ftp)://[^<>\s`]+>")
_NAMED = re.compile(r"`([^`]+)`__?")
_INTERPRETED = re.compile(r"(?<![`\w])`([^`]+)`(?![`\w])")
_LITERAL = re.compile(r"``(.+?)``")
_FOOTNOTE_REF = re.compile(r"\[(?:\d+|#[\w-]*|\*|[A-Za-z][\w.-]*)\]_")
_SUBSTITUTION = re.compile(r"\|([^|\s][^|]*?)\|(?:__?)?")
_SUBSTITUTION_DEF = re.compile(r"^[ \t]*\.\.[ \t]+\|(?P<name>[^|]+)\|[ \t]+(?P<directive>[\w-]+)::(?P<arg>.*)$", re.M)
_REFERENCE = re.compile(r"(?<=\w)__?(?=[\s.,;:!?)]|$)")  # "Python_" is a link named Python
_EMPHASIS = re.compile(r"(?<![\w*])(\*\*|\*)(?=\S)(.+?)(?<=\S)\1(?![\w*])")
_ESCAPE = re.compile(r"\\(?=.)")

# Directives whose content is prose, read with their name first ("Note, ..."). Sphinx's version
# notes are read through the lexicon ("versionadded" is "new in version").
ADMONITIONS = {"note", "warning", "tip", "important", "hint", "caution", "danger", "attention", "error",
               "seealso", "admonition", "versionadded", "versionchanged", "deprecated", "versionremoved",
               "topic", "sidebar", "rubric", "epigraph", "highlights", "pull-quote", "container"}
CODE_DIRECTIVES = {"code", "code-block", "sourcecode", "literalinclude", "doctest", "testcode", "testoutput",
                   "ipython", "jupyter-execute", "highlight", "parsed-literal", "productionlist"}


def _blank(s: str, a: int, b: int) -> str:
    return s[:a] + " " * (b - a) + s[b:]


def substitution_definitions(text: str) -> dict[str, tuple[str, str]]:
    """".. |name| replace:: text" and ".. |badge| image:: url" anywhere in the document (a
    reference may come before its definition): name -> (directive, argument)."""
    return {m["name"]: (m["directive"].lower(), m["arg"].strip()) for m in _SUBSTITUTION_DEF.finditer(text)}


def clean_inline(line: str, substitutions: dict[str, tuple[str, str]] | None = None, offset: int = 0
                 ) -> tuple[str, list[tuple[int, int, str]], list[tuple[int, int, str]]]:
    """Blank inline RST markup, keeping every offset. Returns the text, the spans not read aloud
    (image substitutions) and the spans read as other text ("|version|" as its replacement), both
    in offsets of the input (`offset` is where `line` starts)."""
    substitutions = substitutions or {}
    skips: list[tuple[int, int, str]] = []
    said: list[tuple[int, int, str]] = []
    literals = [m.span() for m in _LITERAL.finditer(line)]

    def free(m: re.Match) -> bool:
        return not any(a <= m.start() < b for a, b in literals)

    for m in INLINE_MATH.finditer(line):  # "$O(n^2)$", as MathJax reads it in many docstrings
        if free(m) and is_math(m.group(2)):
            said.append((offset + m.start(), offset + m.end(), latex_words(m.group(2))))
            line = _blank(line, m.start(), m.end())
            literals.append(m.span())

    for a, b in literals:
        line = _blank(_blank(line, a, a + 2), b - 2, b)
    for m in _ROLE.finditer(line):
        if not free(m):
            continue
        line = read_role(line, m.group(1), m.start(), m.span(2), m.end(), offset, said)
    for pattern in (_LINK, _NAMED):
        for m in pattern.finditer(line):
            if free(m):
                line = _blank(line, m.start(), m.start(1))
                line = _blank(line, m.end(1), m.end())
    for m in _BRACKETED_URL.finditer(line):  # "<https://x.io>" in running text: the address
        if free(m):
            line = _blank(_blank(line, m.start(), m.start() + 1), m.end() - 1, m.end())
    for m in _INTERPRETED.finditer(line):
        if free(m):
            line = _blank(_blank(line, m.start(), m.start() + 1), m.end() - 1, m.end())
    for pattern in (_FOOTNOTE_REF, _REFERENCE, _ESCAPE):
        for m in pattern.finditer(line):
            if free(m) and not (pattern is _REFERENCE and _word_start(line, m.start()) == "_"):
                line = _blank(line, m.start(), m.end())
    for m in _SUBSTITUTION.finditer(line):
        if not free(m):
            continue
        directive, argument = substitutions.get(m.group(1), ("", ""))
        span = (offset + m.start(), offset + m.end())
        if directive == "replace" and argument:  # "|version|" is read as what it stands for
            if "version" in m.group(1).lower() and re.fullmatch(r"\d+(\.\d+)+", argument):
                argument = "version " + argument  # "|PythonMinVersion|": version three point eleven
            said.append((*span, argument))
            line = _blank(line, m.start(), m.end())
        elif directive:  # an image badge, a unicode or date substitution
            why = "image" if directive == "image" else f"{directive} substitution"
            skips.append((*span, f"{why} not read aloud"))
            line = _blank(line, m.start(), m.end())
        else:  # no definition: its name
            line = _blank(_blank(line, m.start(), m.start(1)), m.end(1), m.end())
    for m in _EMPHASIS.finditer(line):
        if free(m):
            n = len(m.group(1))
            line = _blank(_blank(line, m.start(), m.start() + n), m.end() - n, m.end())
    return line, skips, said


def _math_block(start: int, end: int, lines: list[str]) -> Block:
    """A display formula (".. math::" with its argument and body lines, options left out) read as
    words over its whole span."""
    first = lines[0].rstrip("\r\n")
    parts = [first[first.index("::") + 2:]] + [ln for ln in lines[1:] if not _FIELD.match(ln.strip())]
    tex = " ".join(p.strip() for p in parts if p.strip())
    return Block("paragraph", start, end, " " * (end - start), said_as=[(start, end, latex_words(tex))])


def _word_start(line: str, k: int) -> str:
    """The first character of the word that ends at k ("_" for "__init__": no link reference)."""
    while k > 0 and (line[k - 1].isalnum() or line[k - 1] in "_-"):
        k -= 1
    return line[k]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _title_under(lines: list[str], i: int) -> bool:
    """Line i is a section title: text over an adornment of 3+ marks (docutils wants it as long
    as the title, but renders a shorter one with a warning, and so do we)."""
    if i + 1 >= len(lines) or _ADORNMENT.fullmatch(lines[i].strip()):
        return False
    return bool(_ADORNMENT.fullmatch(lines[i + 1].rstrip("\r\n")))


def _end_double_colon(cleaned: str) -> str:
    """"Example::" shows "Example:"; "Example ::" and a lone "::" show nothing."""
    body = cleaned.rstrip()
    k = len(body) - 2
    if k > 0 and not body[k - 1].isspace():
        return cleaned[:k + 1] + " " + cleaned[k + 2:]
    return cleaned[:k] + "  " + cleaned[k + 2:]


Cells = list[tuple[int, int]]  # a row's cells on one line: [start, end) offsets in the input


def _row_block(text: str, row: list[Cells], names: list[str], substitutions: dict, name_first: bool) -> Block:
    """One table row (its cells, line by line) as a block: cell text kept, the rest blank. Each
    cell is read after its column's name when `names` has one, timed on the character before the
    cell (a bar, or the gap of a simple table; a first column with no such character is not named
    unless `name_first`); without names the cells are read with a pause between them."""
    spans = [c for line in row for c in line]
    start, end = min(a for a, _ in spans), max(b for _, b in spans)
    start = min(start, row[0][0][0] - 1) if name_first else start
    chars = [" "] * (end - start)
    for a, b in spans:
        chars[a - start:b - start] = text[a:b]
    cleaned, skips, said = clean_inline("".join(chars), substitutions, start)
    cleaned = re.sub(r"[\r\n]", " ", cleaned)
    named: list[tuple[int, int, str]] = []
    for k, (a, _) in enumerate(row[0]):
        filled = any(k < len(line) and text[line[k][0]:line[k][1]].strip() for line in row)
        name = names[k] if k < len(names) else ""
        if k and not name:  # a pause: a comma right after the text before the cell
            gap = len(cleaned[:a - start].rstrip())
            if gap < a - start:
                cleaned = cleaned[:gap] + "," + cleaned[gap + 1:]
        elif name and filled and a - 1 >= start:
            named.append((a - 1, a, ("; " if k else "") + name + ":"))
    return Block("table_row", start, end, cleaned, skips=skips, said_as=said + named)


def _cell_text(text: str, cells: list[Cells], k: int, substitutions: dict) -> str:
    parts = [text[line[k][0]:line[k][1]] for line in cells if k < len(line)]
    return " ".join(clean_inline(" ".join(parts), substitutions)[0].split())


def _grid_table(lines: list[str], starts: list[int], i: int) -> tuple[list[list[Cells]], int, int]:
    """A grid table from its top border at line i: rows (cells per line, split at the border's
    "+" columns), how many rows are the header (0: no "+===+" line), and the line after it."""
    border = lines[i].rstrip("\r\n")
    edges = [k for k, ch in enumerate(border) if ch == "+"]
    rows: list[list[Cells]] = []
    current: list[Cells] = []
    header = 0
    j = i + 1
    while j < len(lines) and lines[j].strip()[:1] in ("|", "+"):
        line = lines[j].rstrip("\r\n")
        if _GRID_BORDER.fullmatch(line.strip()):
            if current:
                rows.append(current)
            current = []
            if "=" in line:
                header = len(rows)
        else:
            current.append([(starts[j] + a + 1, starts[j] + min(b, len(line))) for a, b in zip(edges, edges[1:])
                            if a + 1 < len(line)])
        j += 1
    if current:
        rows.append(current)
    return rows, header, j


def _simple_table(lines: list[str], starts: list[int], i: int) -> tuple[list[list[Cells]], int, int]:
    """A simple table from its top border ("=====  =====") at line i: rows (a line whose first
    column is blank continues the row above), header rows (those above a middle border), and the
    line after the bottom border."""
    border = lines[i].rstrip("\r\n")
    columns = [m.span() for m in re.finditer(r"=+", border)]
    rows: list[list[Cells]] = []
    borders, header = 1, 0
    j = i + 1
    while j < len(lines) and borders < 3:
        line = lines[j].rstrip("\r\n")
        if _SIMPLE_TABLE_BORDER.fullmatch(line.strip()) and line.startswith(border[:1]):
            borders += 1
            if borders == 2:
                header = len(rows)
                if j + 1 >= len(lines) or not lines[j + 1].strip():  # two borders only: no header
                    header, borders = 0, 3
        elif line.strip():
            bounds = [(a, b if k + 1 < len(columns) else len(line)) for k, (a, b) in enumerate(columns)]
            cells = [(starts[j] + a, starts[j] + min(b, len(line))) for a, b in bounds if a < len(line)]
            if rows and not line[:columns[0][1]].strip():
                rows[-1].append(cells)
            else:
                rows.append([cells])
        j += 1
    return rows, header, j


def _list_table(lines: list[str], starts: list[int], i: int, j: int) -> tuple[list[list[Cells]], int]:
    """A ".. list-table::" body (lines i+1..j): each "* -" starts a row, each "-" a cell; the
    cell's span starts at its "-" (the mark is where its column's name is timed). Returns the
    rows (one line per cell) and the number of header rows (":header-rows: N")."""
    header = 0
    rows: list[list[Cells]] = []
    for k in range(i + 1, j):
        line = lines[k].rstrip("\r\n")
        option = re.match(r"\s*:header-rows:\s*(\d+)", line)
        item = re.match(r"\s*(\*\s+)?-(\s|$)", line)
        if option:
            header = int(option.group(1))
        elif item:
            dash = item.end(2) - 1 if item.group(2) else item.end() - 1  # the "-": its column's name goes there
            cell = (starts[k] + dash + 1, starts[k] + len(line))
            if item.group(1) or not rows:
                rows.append([[cell]])
            else:
                rows[-1][0].append(cell)
        elif line.strip() and rows:  # a cell's text goes on
            a, _ = rows[-1][0][-1]
            rows[-1][0][-1] = (a, starts[k] + len(line))
    return rows, header


def _table_blocks(text: str, rows: list[list[Cells]], header: int, substitutions: dict,
                  name_first: bool = False) -> Iterator[Block]:
    """Rows as blocks: the header rows read as they are, the body rows with column names."""
    names = [_cell_text(text, [line for row in rows[:header] for line in row], k, substitutions)
             for k in range(max((len(line) for row in rows[:header] for line in row), default=0))]
    for n, row in enumerate(rows):
        yield _row_block(text, row, names if n >= header else [], substitutions, name_first)


def blocks(text: str) -> Iterator[Block]:
    """Yield blocks one paragraph, heading, list item or skipped construct at a time."""
    return _Reader(text).blocks()


class _Reader:
    """reStructuredText's handlers, one per construct, and what they remember from line to line."""

    def __init__(self, text: str):
        self.scan = LineScanner(text, self._finish)
        self.substitutions = substitution_definitions(text)
        self.literal_after = -1  # a paragraph ended with "::": indented lines deeper than this are literal

    def blocks(self) -> Iterator[Block]:
        return self.scan.read((self.scan.blank_line, self._literal_block, self._continued_command,
                               self._explicit_markup, self._doctest, self._overline, self._section_title,
                               self._table, self._transition, self._bar_line, self._line))

    def _finish(self, start: int, raw: str) -> tuple[str, list[Span], list[Span]]:
        """Inline markup is cleaned over the whole paragraph: a link or role may span a line break."""
        cleaned, skips, said = clean_inline(raw, self.substitutions, start)
        cleaned = re.sub(r"[\r\n]", " ", cleaned)
        if self.scan.kind == "table_row":
            cleaned = cleaned.replace("|", ",")
        return cleaned, skips, said

    def _add(self, cleaned: str, k: int | None = None) -> None:
        """Line k (the current one by default), cleaned, joins the open block; "Example::" shows
        "Example:" and announces a literal block."""
        scan = self.scan
        self.literal_after = -1
        if cleaned.rstrip().endswith("::"):
            self.literal_after = _indent(scan.para[0][1] if scan.para else cleaned)
            cleaned = _end_double_colon(cleaned)
        scan.add(cleaned, k)

    def _body_end(self, indent: int) -> int:
        """The first line after the current one that is not blank and not indented deeper than
        `indent`, trailing blank lines left out of the body."""
        lines, i = self.scan.lines, self.scan.i
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or _indent(lines[j].rstrip("\r\n")) > indent):
            j += 1
        while j - 1 > i and not lines[j - 1].strip():
            j -= 1
        return j

    def _literal_block(self) -> Generator[Block, None, bool]:
        """The indented block a "::" announced: skipped as code."""
        scan = self.scan
        if self.literal_after < 0 or scan.para:
            return False
        indent = _indent(scan.line())
        deeper = indent > self.literal_after
        self.literal_after = -1
        if not deeper:
            return False
        j = self._body_end(indent - 1)
        yield scan.skipped("code", scan.i, j)
        return scan.advance(j)

    def _continued_command(self) -> Generator[Block, None, bool]:
        """An indented shell command continued with "\\", its "::" forgotten: skipped as code."""
        scan = self.scan
        indent = _indent(scan.line())
        if scan.para or indent == 0:
            return False
        i, j = scan.i, self._body_end(indent - 1)
        if j - i < 2 or not any(scan.line(k).endswith(" \\") for k in range(i, j)):
            return False
        yield scan.skipped("code", i, j)
        return scan.advance(j)

    def _explicit_markup(self) -> Generator[Block, None, bool]:
        """".. " and the lines indented under it: an admonition or a footnote (read), a list-table
        or math (read their way), a link target, another directive or a comment (skipped)."""
        scan, line = self.scan, self.scan.line()
        indent = _indent(line)
        body = line[indent:]
        if not _EXPLICIT.match(body):
            return False
        yield from scan.flush()
        i, j = scan.i, self._body_end(indent)
        directive = _DIRECTIVE.match(body)
        name = directive.group(1).lower() if directive else ""
        footnote = _FOOTNOTE.match(body)
        if name in ADMONITIONS:
            yield from self._admonition(name, indent + directive.start(1), indent + directive.end(1), j)
        elif footnote:  # ".. [1] text": the text, without the mark
            self._add(_blank(line, 0, indent + footnote.end()))
            for k in range(i + 1, j):
                if not scan.is_blank(k):
                    self._add(scan.line(k), k)
            yield from scan.flush()
        elif _TARGET.match(body):
            yield scan.skipped("link_definition", i, j)
        elif name == "list-table":
            yield from self._list_table(_blank(line, 0, indent + directive.end()), j)
        elif name == "math":  # ".. math::" and its lines: the formula read as words
            yield _math_block(scan.start(i), scan.end(j - 1), scan.lines[i:j])
        elif name:
            yield scan.skipped("code" if name in CODE_DIRECTIVES else "directive", i, j)
        else:
            yield scan.skipped("rst_comment", i, j)
        return scan.advance(j)

    def _admonition(self, name: str, at: int, colons: int, j: int) -> Iterator[Block]:
        """".. note:: text" (the name from `at`, its "::" at `colons`) and its body to line j:
        "note," then the text; its options (":class: x") are not read."""
        scan = self.scan
        head = _blank(scan.line(), 0, at)
        versioned = name.startswith("version") or name == "deprecated"  # new in version 2.0
        self._add(head[:colons] + ("  " if versioned else ", ") + head[colons + 2:])
        if versioned:  # "Changed in version 1.3:" then its text, after a pause
            yield from scan.flush()
        for k in range(scan.i + 1, j):
            part = scan.line(k)
            if part.strip() and not _FIELD.match(part.strip()):
                self._add(part, k)
        yield from scan.flush()

    def _list_table(self, title: str, j: int) -> Iterator[Block]:
        """".. list-table:: Title" and its body to line j: the title, then the rows."""
        scan = self.scan
        if title.strip():
            scan.kind = "heading"
            self._add(title)
            yield from scan.flush()
        rows, header = _list_table(scan.lines, scan.starts, scan.i, j)
        yield from _table_blocks(scan.text, rows, header, self.substitutions, name_first=True)

    def _doctest(self) -> Generator[Block, None, bool]:
        """A doctest block (">>>"), to the next blank line: skipped as code."""
        scan = self.scan
        if not scan.line().lstrip().startswith(">>>"):
            return False
        yield from scan.flush()
        j = scan.until_blank()
        yield scan.skipped("code", scan.i, j)
        return scan.advance(j)

    def _overline(self) -> Generator[Block, None, bool]:
        """An adornment over a title (the title and its underline follow): not read."""
        scan = self.scan
        stripped, i = scan.line().strip(), scan.i
        if not (_ADORNMENT.fullmatch(stripped) and i + 2 < len(scan) and _title_under(scan.lines, i + 1)
                and scan.line(i + 2).strip() and scan.line(i + 2).strip()[0] == stripped[0]):
            return False
        yield from ()  # nothing to read
        return scan.advance()

    def _section_title(self) -> Generator[Block, None, bool]:
        """A title over its adornment: a heading."""
        scan = self.scan
        if scan.para or not _title_under(scan.lines, scan.i):
            return False
        scan.kind = "heading"
        self._add(scan.line())
        yield from scan.flush()
        return scan.advance(scan.i + 2)

    def _table(self) -> Generator[Block, None, bool]:
        """A grid or simple table from its top border: a row at a time."""
        scan, line = self.scan, self.scan.line()
        stripped = line.strip()
        table = _grid_table if _GRID_BORDER.fullmatch(stripped) else (
            _simple_table if _SIMPLE_TABLE_BORDER.fullmatch(stripped) else None)
        if table is None or scan.para or _indent(line) > 0:
            return False
        rows, header, j = table(scan.lines, scan.starts, scan.i)
        yield from _table_blocks(scan.text, rows, header, self.substitutions, name_first=table is _grid_table)
        return scan.advance(j)

    def _transition(self) -> Generator[Block, None, bool]:
        """A transition or a table border: it closes the open block."""
        stripped = self.scan.line().strip()
        if not (_ADORNMENT.fullmatch(stripped) or _SIMPLE_TABLE_BORDER.fullmatch(stripped)
                or _GRID_BORDER.fullmatch(stripped)):
            return False
        yield from self.scan.flush()
        return self.scan.advance()

    def _bar_line(self) -> Generator[Block, None, bool]:
        """A line opening with "|" (a table row or a line block): a block of its own."""
        scan, stripped = self.scan, self.scan.line().strip()
        if not stripped.startswith("|") or _SUBSTITUTION.match(stripped):
            return False
        yield from scan.flush()
        scan.kind = "table_row"
        self._add(scan.line())
        yield from scan.flush()
        return scan.advance()

    def _line(self) -> Generator[Block, None, bool]:
        """A list item or a field (":param x:") opens a block; another line goes on with the open one."""
        scan, line = self.scan, self.scan.line()
        indent = _indent(line)
        body = line[indent:]
        bullet = _BULLET.match(body)
        field = _FIELD.match(body)
        if bullet:
            yield from scan.flush()
            scan.kind = "list_item"
            number = re.match(r"\(?(\d+)[.)]", bullet.group(1))
            line = _blank(line, indent, indent + bullet.end())
            if number:  # "1. Install": steps keep their number ("one, install")
                at = indent + number.start(1)
                line = line[:at] + number.group(1) + "," + line[at + len(number.group(1)) + 1:]
        elif field:  # ":param x: the value": "param x, the value"; each field its own block
            yield from scan.flush()
            line = _blank(line, indent, indent + 1)
            colon = indent + field.end(1)
            line = line[:colon] + "," + line[colon + 1:]
        self._add(line)
        return scan.advance()
