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
from typing import Iterator

from .latex import INLINE_MATH, is_math, latex_words
from .markdown import Block, assembled, line_starts, read_role

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
    lines = text.splitlines(keepends=True)
    starts = line_starts(lines)
    substitutions = substitution_definitions(text)
    para: list[tuple[int, str]] = []
    kind = "paragraph"
    literal_after = -1  # a paragraph ended with "::": indented lines deeper than this are literal

    def flush() -> Iterator[Block]:
        """Inline markup is cleaned over the whole paragraph: a link or role may span a line break."""
        nonlocal para, kind
        if para:
            start, end, raw = assembled(text, para)  # lines left out stay blank
            cleaned, skips, said = clean_inline(raw, substitutions, start)
            cleaned = re.sub(r"[\r\n]", " ", cleaned)
            if kind == "table_row":
                cleaned = cleaned.replace("|", ",")
            if cleaned.strip() or skips or said:
                yield Block(kind, start, end, cleaned, skips=skips, said_as=said)
        para, kind = [], "paragraph"

    def body_end(i: int, indent: int) -> int:
        """The first line after i that is not blank and not indented deeper than `indent`."""
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or _indent(lines[j].rstrip("\r\n")) > indent):
            j += 1
        while j - 1 > i and not lines[j - 1].strip():  # trailing blank lines are not the body
            j -= 1
        return j

    def hidden(kind: str, i: int, j: int) -> Block:
        end = starts[j - 1] + len(lines[j - 1].rstrip("\r\n"))
        return Block(kind, starts[i], end, text[starts[i]:end], True)

    def add(i: int, cleaned: str) -> None:
        nonlocal literal_after
        literal_after = -1
        if cleaned.rstrip().endswith("::"):
            literal_after = _indent(para[0][1] if para else cleaned)
            cleaned = _end_double_colon(cleaned)
        para.append((starts[i], cleaned))

    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r\n")
        stripped = line.strip()
        indent = _indent(line)
        if not stripped:
            yield from flush()
            i += 1
            continue
        if literal_after >= 0 and not para:
            deeper = indent > literal_after
            literal_after = -1
            if deeper:  # the literal block a "::" announced
                j = body_end(i, indent - 1)
                yield hidden("code", i, j)
                i = j
                continue
        if not para and indent > 0:
            j = body_end(i, indent - 1)
            if j - i >= 2 and any(lines[k].rstrip("\r\n").endswith(" \\") for k in range(i, j)):
                yield hidden("code", i, j)  # a shell command continued with "\", its "::" forgotten
                i = j
                continue
        body = line[indent:]
        if _EXPLICIT.match(body):
            yield from flush()
            j = body_end(i, indent)
            directive = _DIRECTIVE.match(body)
            name = directive.group(1).lower() if directive else ""
            footnote = _FOOTNOTE.match(body)
            if name in ADMONITIONS:  # ".. note:: text": "note," then the text
                colons = indent + directive.end(1)
                head = _blank(line, 0, indent + directive.start(1))
                versioned = name.startswith("version") or name == "deprecated"  # new in version 2.0
                add(i, head[:colons] + ("  " if versioned else ", ") + head[colons + 2:])
                if versioned:  # "Changed in version 1.3:" then its text, after a pause
                    yield from flush()
                for k in range(i + 1, j):
                    part = lines[k].rstrip("\r\n")
                    if part.strip() and not _FIELD.match(part.strip()):  # ":class: x" options are not read
                        add(k, part)
                yield from flush()
            elif footnote:  # ".. [1] text": the text, without the mark
                add(i, _blank(line, 0, indent + footnote.end()))
                for k in range(i + 1, j):
                    if lines[k].strip():
                        add(k, lines[k].rstrip("\r\n"))
                yield from flush()
            elif _TARGET.match(body):
                yield hidden("link_definition", i, j)
            elif name == "list-table":  # its title, then its rows
                title = _blank(line, 0, indent + directive.end())
                if title.strip():
                    kind = "heading"
                    add(i, title)
                    yield from flush()
                rows, header = _list_table(lines, starts, i, j)
                yield from _table_blocks(text, rows, header, substitutions, name_first=True)
            elif name == "math":  # ".. math::" and its lines: the formula read as words
                yield _math_block(starts[i], starts[j - 1] + len(lines[j - 1].rstrip("\r\n")), lines[i:j])
            elif name:
                yield hidden("code" if name in CODE_DIRECTIVES else "directive", i, j)
            else:
                yield hidden("rst_comment", i, j)
            i = j
            continue
        if body.startswith(">>>"):  # a doctest block runs to the next blank line
            yield from flush()
            j = i
            while j < len(lines) and lines[j].strip():
                j += 1
            yield hidden("code", i, j)
            i = j
            continue
        if (_ADORNMENT.fullmatch(stripped) and i + 2 < len(lines) and _title_under(lines, i + 1)
                and lines[i + 2].strip() and lines[i + 2].strip()[0] == stripped[0]):
            i += 1  # an overline: the title and its underline follow
            continue
        if _title_under(lines, i) and not para:
            kind = "heading"
            add(i, line)
            yield from flush()
            i += 2
            continue
        table = _grid_table if _GRID_BORDER.fullmatch(stripped) else (
            _simple_table if _SIMPLE_TABLE_BORDER.fullmatch(stripped) else None)
        if table is not None and not para and indent == 0:
            rows, header, j = table(lines, starts, i)
            yield from _table_blocks(text, rows, header, substitutions, name_first=table is _grid_table)
            i = j
            continue
        if (_ADORNMENT.fullmatch(stripped) or _SIMPLE_TABLE_BORDER.fullmatch(stripped)
                or _GRID_BORDER.fullmatch(stripped)):
            yield from flush()  # a transition or a table border
            i += 1
            continue
        if stripped.startswith("|") and not _SUBSTITUTION.match(stripped):  # a table row or line block
            yield from flush()
            kind = "table_row"
            add(i, line)
            yield from flush()
            i += 1
            continue
        bullet = _BULLET.match(body)
        field = _FIELD.match(body)
        if bullet:
            yield from flush()
            kind = "list_item"
            number = re.match(r"\(?(\d+)[.)]", bullet.group(1))
            line = _blank(line, indent, indent + bullet.end())
            if number:  # "1. Install": steps keep their number ("one, install")
                at = indent + number.start(1)
                line = line[:at] + number.group(1) + "," + line[at + len(number.group(1)) + 1:]
        elif field:  # ":param x: the value": "param x, the value"; each field its own block
            yield from flush()
            line = _blank(line, indent, indent + 1)
            colon = indent + field.end(1)
            line = line[:colon] + "," + line[colon + 1:]
        add(i, line)
        i += 1
    yield from flush()
