"""Markdown or plain text -> blocks (heading, paragraph, list item) with spans of the original.

Markup characters are blanked to spaces instead of removed, so every offset in a block's text is
an offset in the original input: spans survive Markdown stripping for free. Fenced code blocks are
not read aloud; they are returned as skipped blocks so the report can name them.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Iterator

PAUSE_S = {"heading": 0.6, "paragraph": 0.5, "list_item": 0.3, "quote": 0.5, "table_row": 0.3}

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+")
_LIST = re.compile(r"^\s*([-*+]|\d+[.)])\s+")
_QUOTE = re.compile(r"^\s*>\s?")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
# [text](target): a link unless the target is a pronunciation override (/ipa/ or kokoro:...).
_LINK = re.compile(r"!?\[([^\]\n]*)\]\(([^)\n]*)\)")
_OVERRIDE_TARGET = re.compile(r"^(/[^/]*[^\x00-\x7f ]?[^/]*/|kokoro:.*)$")
_EMPHASIS = re.compile(r"(?<![\w*])(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1(?![\w*])")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>\n]*>")
_BARE_TAG = re.compile(r"<([a-zA-Z][\w.-]*)>")  # "<token>": an HTML tag only if HTML has that name
HTML_TAGS = frozenset("""a abbr article aside audio b bdi bdo blockquote br button caption center cite code col
colgroup dd del details dfn div dl dt em embed figcaption figure font footer form h1 h2 h3 h4 h5 h6 header hr i
iframe img input ins kbd label legend li link main mark meta nav ol option p picture pre q s samp section select
small source span strike strong style sub summary sup table tbody td textarea tfoot th thead time tr tt u ul var
video wbr""".split())
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
_FOOTNOTE_REF = re.compile(r"\[\^[^\]\s]{1,40}\](?!:)")
_FOOTNOTE_DEF = re.compile(r"^\s{0,3}\[\^[^\]\s]{1,40}\]:\s*")


@dataclass
class Block:
    """A unit of narration. `text` has the original's length inside [start, end): markup is spaces."""

    kind: str
    start: int
    end: int
    text: str
    skipped: bool = False

    @property
    def pause_s(self) -> float:
        return PAUSE_S.get(self.kind, 0.5)


def _blank(s: str, a: int, b: int) -> str:
    return s[:a] + " " * (b - a) + s[b:]


def _is_override(target: str) -> bool:
    target = target.strip()
    if target.startswith("kokoro:"):
        return True
    return (len(target) > 2 and target[0] == target[-1] == "/"
            and any(not ch.isascii() or ch == " " for ch in target))


def _entities(line: str, code: list[tuple[int, int]]) -> str:
    """HTML entities outside code spans become their character, padded with spaces to the
    entity's length ("&amp;" is "&" and four spaces), so offsets hold; unknown ones stay."""
    for m in _ENTITY.finditer(line):
        if any(a <= m.start() < b for a, b in code):
            continue
        char = html.unescape(m.group())
        if len(char) == 1:
            char = " " if char.isspace() else char  # &nbsp;
            line = line[:m.start()] + char + " " * (m.end() - m.start() - 1) + line[m.end():]
    return line


def clean_inline(line: str) -> str:
    """Blank inline markup (emphasis, code ticks, links, HTML tags, footnote marks) and decode
    HTML entities, keeping every offset."""
    code = [m.span() for m in _CODE_SPAN.finditer(line)]
    line = _entities(line, code)
    for m in _FOOTNOTE_REF.finditer(line):
        if not any(a <= m.start() < b for a, b in code):
            line = _blank(line, m.start(), m.end())
    for m in _CODE_SPAN.finditer(line):
        line = _blank(line, m.start(), m.start(1) + len(m.group(1)))
        line = _blank(line, m.end() - len(m.group(1)), m.end())
    for m in _LINK.finditer(line):
        if _is_override(m.group(2)):
            continue
        line = _blank(line, m.start(), m.start(1))
        line = _blank(line, m.end(1), m.end())
    for m in _HTML_TAG.finditer(line):
        bare = _BARE_TAG.fullmatch(m.group())
        if any(a <= m.start() < b for a, b in code) or (bare and bare.group(1).lower() not in HTML_TAGS):
            continue  # literal in code; "<token>" is a placeholder, read as its name
        line = _blank(line, m.start(), m.end())
    for _ in range(2):  # nested emphasis (***bold italic***)
        for m in _EMPHASIS.finditer(line):
            n = len(m.group(1))
            line = _blank(_blank(line, m.start(), m.start() + n), m.end() - n, m.end())
    return line


def _line_kind(line: str) -> tuple[str, int]:
    """Kind of a line and the length of its prefix markup."""
    for kind, pattern in (("heading", _HEADING), ("list_item", _LIST), ("quote", _QUOTE)):
        m = pattern.match(line)
        if m:
            return kind, m.end()
    if line.lstrip().startswith("|"):
        return "table_row", 0
    return "paragraph", 0


def blocks(text: str, markdown: bool = True) -> Iterator[Block]:
    """Yield blocks lazily, one paragraph/heading/list item at a time (long inputs stream)."""
    pos = 0
    para: list[tuple[int, str]] = []  # (offset, cleaned line) of the running paragraph
    para_kind = "paragraph"
    fence_start: int | None = None

    def flush() -> Iterator[Block]:
        nonlocal para
        if para:
            start = para[0][0]
            end = para[-1][0] + len(para[-1][1])
            body = text[start:end]
            chars = list(" " * len(body))
            for off, line in para:
                chars[off - start: off - start + len(line)] = line
            cleaned = "".join(chars)
            if cleaned.strip():
                yield Block(para_kind, start, end, cleaned)
        para = []

    for raw in text.splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        start = pos
        pos += len(raw)
        if not markdown:
            if line.strip():
                para.append((start, line))
            else:
                yield from flush()
            continue
        if fence_start is not None:
            if _FENCE.match(line):
                yield Block("code", fence_start, start + len(line), text[fence_start:start + len(line)], True)
                fence_start = None
            continue
        if _FENCE.match(line):
            yield from flush()
            fence_start = start
            continue
        if not line.strip() or _RULE.match(line) or _TABLE_SEP.match(line):
            yield from flush()
            continue
        kind, prefix = _line_kind(line)
        footnote = _FOOTNOTE_DEF.match(line)  # "[^1]: text": the text is read, the mark is not
        if footnote:
            kind, prefix = "paragraph", footnote.end()
            yield from flush()
        cleaned = " " * prefix + clean_inline(line[prefix:])
        if kind == "table_row":
            cleaned = cleaned.replace("|", ",")
        if kind != "paragraph" or para_kind != "paragraph":
            yield from flush()
            para_kind = kind
        para.append((start, cleaned))
        if kind in ("heading", "table_row"):
            yield from flush()
            para_kind = "paragraph"
    if fence_start is not None:  # unclosed fence: still skipped, still reported
        yield Block("code", fence_start, len(text), text[fence_start:], True)
    yield from flush()
