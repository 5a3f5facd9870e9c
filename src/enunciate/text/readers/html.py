"""HTML pages (saved documentation, rendered READMEs) -> the same blocks as Markdown, offsets kept.

Read as a browser shows the page to someone listening: when the page has a <main> (or else an
<article>), only that is read and the navigation, headers and footers around it are reported as not
read. Headings, paragraphs, list items, quotes and table rows are blocks; tags are blanked to spaces
and entities become their character, so every offset in a block's text is an offset in the input (a
power written <sup>, "2<sup>8</sup>", shows as "2^8" inside the tags' span). Scripts, styles,
preformatted code, forms, SVG, MathML, media and images are skipped and reported. In a table with
header cells (<th>), each cell is read after its column's name, timed on the cell's tag, as a screen
reader does.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Iterator

from ..patterns import takes_power
from . import Block
from .markdown import _GAP, code_said, join_split_words

_MARKUP = re.compile(r"""<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)|<[!?][^>]*>"""
                     r"""|</?[a-zA-Z](?:"[^"]*"|'[^']*'|[^>"'])*>"""  # a quoted value may hold ">"
                     r"""|</?[a-zA-Z][^>]*>""", re.S)  # an unclosed quote: the tag ends at its first ">"
_SUP_NUMBER = re.compile(r"<sup\b[^>]*>\s*<a\b[^>]*>\s*\[?\d{1,3}\]?\s*</a>\s*</sup>", re.I)  # a linked footnote
_SUP_POWER = re.compile(r"(?<=[\w)])<sup>\s*([-−+]?\d{1,3})\s*</sup>", re.I)
_FOOTNOTE_MARK = re.compile(r"\[?\d{1,3}\]?")  # "1", "[2]": a link to a footnote, silent as in Markdown
_ANCHOR_HREF = re.compile(r"""\shref\s*=\s*["']?#""")
_NAME = re.compile(r"</?([a-zA-Z][\w:-]*)")
_SCRIPT = re.compile(r"[-−+]?\d{1,3}|[-−]?[a-zA-Z]")  # a superscript's exponent, a subscript's index
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
# elements whose content is not read: the skipped block's kind, as the report names it
SKIPPED = {"script": "script", "style": "style", "pre": "code", "template": "template", "svg": "image",
           "math": "math (MathML)", "noscript": "noscript", "iframe": "embedded page", "object": "embedded object",
           "video": "video", "audio": "audio", "canvas": "canvas", "select": "form control",
           "textarea": "form control", "button": "button", "head": "page head", "nav": "navigation"}
VOID_SKIPPED = {"img": "image", "input": "form control", "embed": "embedded object"}
BLOCK_KINDS = {**{f"h{n}": "heading" for n in range(1, 7)}, "li": "list_item", "blockquote": "quote",
               "tr": "table_row", "dt": "list_item", "dd": "list_item"}
BOUNDARIES = {"p", "div", "section", "article", "main", "header", "footer", "aside", "ul", "ol", "dl", "table",
              "thead", "tbody", "tfoot", "caption", "figure", "figcaption", "details", "summary", "hr", "body",
              "html", "form", "fieldset", "legend", "address", "center", *BLOCK_KINDS}
CELLS = {"td", "th"}
ROW_PARTS = {"td", "th", "tr", "table", "thead", "tbody", "tfoot"}  # where a cell's text ends
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class _Tag:
    name: str
    start: int
    end: int
    closing: bool

    @property
    def void(self) -> bool:
        return self.name in VOID or self.name in VOID_SKIPPED


@dataclass
class _Row:
    cells: list[tuple[_Tag, str]] = field(default_factory=list)  # (opening tag, cell text)


def _tags(text: str) -> list[_Tag]:
    tags = []
    for m in _MARKUP.finditer(text):
        name = _NAME.match(m.group())
        tags.append(_Tag(name.group(1).lower() if name else "", m.start(), m.end(),
                         m.group().startswith("</")))
    return tags


def _element_end(tags: list[_Tag], k: int) -> int:
    """Index of the tag closing tags[k] (same name, nesting counted); the last tag if unclosed."""
    depth = 0
    for j in range(k, len(tags)):
        if tags[j].name == tags[k].name and not tags[j].void:
            depth += -1 if tags[j].closing else 1
            if depth == 0:
                return j
    return len(tags) - 1


def _region(text: str, tags: list[_Tag]) -> tuple[int, int]:
    """The part of the page that is read: its <main>, else its first <article>, else all of it."""
    for wanted in ("main", "article"):
        for k, tag in enumerate(tags):
            if tag.name == wanted and not tag.closing:
                return tag.start, tags[_element_end(tags, k)].end
    return 0, len(text)


def _entities(shown: list[str], wide: dict[int, int], text: str, a: int, b: int) -> None:
    """Entities in text[a:b] become their character, padded with blanks that join a word
    ("What&rsquo;s"), so offsets hold; `wide` gets where each shown entity ends."""
    for m in _ENTITY.finditer(text, a, b):
        char = html.unescape(m.group())
        if len(char) == 1:
            pad = " " if char.isspace() else _GAP
            shown[m.start():m.end()] = [" " if char.isspace() else char] + [pad] * (m.end() - m.start() - 1)
            if not char.isspace():
                wide[m.start()] = m.end()


def _script(text: str, shown: list[str], tag: _Tag, nxt: _Tag | None, lo: int) -> str | None:
    """A short <sup> after a number, a variable or a unit is a power ("2<sup>8</sup>": "^8"); a
    letter in <sub> is an index ("x<sub>i</sub>": " i"). Else None: the tags are blanked as usual
    (a footnote number, "H<sub>2</sub>O")."""
    if tag.name not in ("sup", "sub") or tag.closing or nxt is None or nxt.name != tag.name or not nxt.closing:
        return None
    content = html.unescape(text[tag.end:nxt.start]).strip()
    if not _SCRIPT.fullmatch(content):
        return None
    if tag.name == "sub":
        return " " + content if content.isalpha() else None
    before = "".join(shown[max(lo, tag.start - 16):tag.start]).replace(_GAP, "")
    return "^" + content if takes_power(before) else None


def blocks(text: str) -> Iterator[Block]:
    """Yield the page's blocks in order: read ones with their text, skipped ones flagged."""
    yield from sorted(_Page(text).read(), key=lambda b: b.start)


class _Page:
    """A page read tag by tag: the text between tags is shown; each tag's handler says what the
    tag does (a boundary closes the block before it, a skipped element becomes a skipped block, an
    inline tag is blanked where it stands) and which tag is read next."""

    def __init__(self, text: str):
        self.text = text
        self.tags = _tags(text)
        self.lo, self.hi = _region(text, self.tags)
        self.out: list[Block] = []
        self.shown = [" "] * len(text)
        self.open_blocks: list[str] = []  # the open elements that give a block its kind (h1, li, tr...)
        self.start = self.lo  # where the block being read starts
        self.pos = self.lo  # where the text not yet shown starts
        self.rows: list[_Row] = []  # the current table's rows
        self.headers: list[str] = []
        self.said: list[tuple[int, int, str]] = []
        self.wide: dict[int, int] = {}
        self.quiet = -1  # where the text of a <code> read by its name starts

    def read(self) -> list[Block]:
        text, tags, lo, hi = self.text, self.tags, self.lo, self.hi
        if lo > 0 and text[:lo].strip():
            self.out.append(Block("page_chrome", 0, lo, text[:lo], True))
        if hi < len(text) and text[hi:].strip():
            self.out.append(Block("page_chrome", hi, len(text), text[hi:], True))
        k = next((j for j, t in enumerate(tags) if t.start >= lo), len(tags))
        while k < len(tags) and tags[k].start < hi:
            tag = tags[k]
            if self.quiet != self.pos:  # a <code> said as a name ("vec!", "&amp;") leaves its text blank
                self._show(self.pos, tag.start)
            self.pos = tag.end
            self._code_said(k)
            k = self._script(k) or self._skipped_element(k) or self._anchor(k) or self._tag(k)
        self._show(self.pos, hi)
        self._close(hi)
        return self.out

    def _show(self, a: int, b: int) -> None:
        self.shown[a:b] = self.text[a:b]
        _entities(self.shown, self.wide, self.text, a, b)

    def _close(self, end: int) -> None:
        """The block read since `self.start` ends at `end`."""
        shown, said = self.shown, self.said
        body = "".join(shown[self.start:end]).replace(_GAP, " ")
        if body.strip():
            a = min([self.start + len(body) - len(body.lstrip()), *(s[0] for s in said)])
            b = max([self.start + len(body.rstrip()), *(s[1] for s in said)])
            kind = BLOCK_KINDS[self.open_blocks[-1]] if self.open_blocks else "paragraph"
            cleaned, joined = join_split_words("".join(shown[a:b]), said, a)
            joined = [(x, self.wide.get(y - 1, y), w) for x, y, w in joined]  # "Vec&lt;T&gt;" ends after "&gt;"
            self.out.append(Block(kind, a, b, cleaned, said_as=said + joined,
                                  wide={k: v for k, v in self.wide.items() if a <= k < b}))
        self.start, self.said = end, []

    def _code_said(self, k: int) -> None:
        """A <code> the frontend would misread is read as its name ("vec!", "&amp;"), its text left blank."""
        tag, nxt = self.tags[k], self.tags[k + 1] if k + 1 < len(self.tags) else None
        if tag.name == "code" and not tag.closing and nxt is not None and nxt.name == "code" and nxt.closing:
            code = self.text[tag.end:nxt.start]
            spoken = code_said(html.unescape(code))
            if not spoken and "&" in code and len(code) <= 80 and _ENTITY.search(code):
                spoken = html.unescape(code)  # "Result&lt;T, E&gt;" is read as the code it shows
            if spoken:
                self.said.append((tag.end, nxt.start, spoken))
                self.quiet = tag.end

    def _script(self, k: int) -> int | None:
        """"2<sup>8</sup>" shows as "2^8", "x<sub>i</sub>" as "x i": the tags' span holds them."""
        tag, nxt = self.tags[k], self.tags[k + 1] if k + 1 < len(self.tags) else None
        script = _script(self.text, self.shown, tag, nxt, self.lo)
        if not script:
            return None
        self.shown[tag.start:nxt.end] = list(script) + [_GAP] * (nxt.end - tag.start - len(script))
        self.pos = nxt.end
        return k + 2

    def _skipped_element(self, k: int) -> int | None:
        """A script, style, <pre>, <nav>, form control or media element, to its end: skipped."""
        tag = self.tags[k]
        if tag.name not in SKIPPED or tag.closing:
            return None
        self._close(tag.start)
        j = _element_end(self.tags, k)
        end = self.tags[j].end
        self.out.append(Block(SKIPPED[tag.name], tag.start, end, self.text[tag.start:end], True))
        self.pos = self.start = end
        return j + 1

    def _anchor(self, k: int) -> int | None:
        """A link to a footnote ("[1]") or a heading's own "¶": skipped, silent inside its word."""
        tags, text, tag = self.tags, self.text, self.tags[k]
        if tag.name != "a" or tag.closing or not _ANCHOR_HREF.search(text, tag.start, tag.end):
            return None
        j = _element_end(tags, k)
        inner = _MARKUP.sub("", text[tag.end:tags[j].start]).strip()
        footnote = _FOOTNOTE_MARK.fullmatch(inner) and (
            "footnote" in text[tag.start:tag.end] or (k and tags[k - 1].name == "sup" and not tags[k - 1].closing))
        if not (footnote or (inner and not any(ch.isalnum() for ch in inner))):  # "§", "¶": a heading's own link
            return None
        what = "footnote mark" if footnote else "heading anchor"
        self.out.append(Block(what, tag.start, tags[j].end, text[tag.start:tags[j].end], True))
        self.pos = tags[j].end
        self.shown[tag.start:self.pos] = _GAP * (self.pos - tag.start)
        return j + 1

    def _tag(self, k: int) -> int:
        """Any other tag: an image or comment skipped, a line break or a cell's edge a pause, a row
        or a boundary closing the block, an inline tag blanked."""
        tag, text, shown = self.tags[k], self.text, self.shown
        if tag.name in VOID_SKIPPED:
            self._close(tag.start)
            self.out.append(Block(VOID_SKIPPED[tag.name], tag.start, tag.end, text[tag.start:tag.end], True))
            self.start = tag.end
        elif not tag.name:  # a comment, doctype or processing instruction
            if text.startswith("<!--", tag.start):
                self._close(tag.start)
                self.out.append(Block("comment", tag.start, tag.end, text[tag.start:tag.end], True))
                self.start = tag.end
        elif tag.name == "br":
            shown[tag.start] = ","  # a line break is a pause
        elif tag.name == "table" and not tag.closing:
            self.rows, self.headers = [], []
        elif tag.name == "tr" and not tag.closing:
            self._close(tag.start)
            self.rows.append(_Row())
            first = self.rows[0].cells
            if len(self.rows) == 2 and first and all(t.name == "th" for t, _ in first):
                self.headers = [name for _, name in first]
        elif tag.name in CELLS and not tag.closing and self.rows:
            self._cell(k)
        if tag.name and tag.name not in BOUNDARIES and tag.name not in CELLS and tag.name != "br":
            shown[tag.start:tag.end] = _GAP * (tag.end - tag.start)  # inline: it may sit inside a word
        if tag.name in BOUNDARIES:
            self._close(tag.start)
            self.start = tag.end
            if tag.name in BLOCK_KINDS:
                if not tag.closing:
                    self.open_blocks.append(tag.name)
                elif tag.name in self.open_blocks:  # closed: it and anything left open inside it
                    del self.open_blocks[len(self.open_blocks) - 1 - self.open_blocks[::-1].index(tag.name):]
        return k + 1

    def _cell(self, k: int) -> None:
        """A table cell: read after its column's name (timed on its tag), or after a pause."""
        tags, tag, row = self.tags, self.tags[k], self.rows[-1]
        end = next((j for j in range(k + 1, len(tags)) if tags[j].name in ROW_PARTS), len(tags) - 1)
        raw = _SUP_NUMBER.sub(" ", self.text[tag.end:tags[end].start])  # a footnote's number is not in a name
        raw = _SUP_POWER.sub(r"^\1", raw)  # "m<sup>2</sup>": m^2
        cell = " ".join(html.unescape(_MARKUP.sub(" ", raw)).split())
        column = len(row.cells)
        row.cells.append((tag, cell))
        name = self.headers[column] if column < len(self.headers) and tag.name == "td" else ""
        if name and cell:
            self.said.append((tag.start, tag.end, ("; " if column else "") + name + ":"))
        elif column:
            self.shown[tag.start] = ","  # a pause between cells
