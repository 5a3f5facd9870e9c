"""Markdown or plain text -> blocks (heading, paragraph, list item) with spans of the original.

Markup characters are blanked to spaces instead of removed, so every offset in a block's text is
an offset in the original input: spans survive Markdown stripping for free. What is not read aloud
is still named: fenced code, HTML comments and link definitions come back as skipped blocks, and
images, inline comments and emoji shortcodes as a block's skipped spans, so the report lists them.
"""
from __future__ import annotations

import html
import re
from typing import Generator, Iterator

from ..latex import INLINE_MATH, is_math, latex_words
from . import Block
from .scanner import LineScanner, Span

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
# MyST's admonition fences ("```{note}", "```{versionadded} 6.0"): prose, read with its name first
_MYST_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})\{([\w-]+)\}(.*)$")
MYST_PROSE = {"note", "warning", "tip", "important", "hint", "caution", "danger", "attention", "error", "seealso",
              "admonition", "versionadded", "versionchanged", "deprecated", "versionremoved", "topic", "sidebar"}
_MYST_CODE = {"code", "code-block", "sourcecode", "code-cell", "literalinclude", "eval-rst", "doctest"}
_DIRECTIVE_OPTION = re.compile(r"^\s*:[\w-]+:")  # ":class: tip" under a MyST or RST directive
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+")
_LIST = re.compile(r"^\s*([-*+]|\d+[.)])\s+")
_QUOTE = re.compile(r"^\s*>\s?")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_CELL_MARKUP = re.compile(r"\*\*|__|\*|`")  # emphasis and code marks around a column's name
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")  # under a paragraph line: that line is a heading
_ATX_CLOSE = re.compile(r"\s#+\s*$")            # "## Install ##": the closing hashes
_TASK_BOX = re.compile(r"\[[ xX]\]\s")          # "- [x] done": the box after a list marker
_ALERT = re.compile(r"\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*$")  # GitHub's "> [!NOTE]": read "NOTE,"
# [text](target): a link unless the target is a pronunciation override (/ipa/ or kokoro:...).
# A target may hold one level of parentheses (Wikipedia's "Foo_(bar)").
_TARGET = r"\(((?:[^()\n]|\([^()\n]*\))*)\)"
_IMAGE = re.compile(r"!\[([^\]\n]*)\](?:" + _TARGET + r"|\[[^\]\n]*\])")  # ![alt](src), ![alt][ref]
_LINK = re.compile(r"\[([^\]\n]*)\]" + _TARGET)
_REF_LINK = re.compile(r"\[([^\]\n]+)\]\[([^\]\n]*)\]")  # [text][ref], [text][]
# "[ref]: https://x.org "title"" is not read; "[Note]: read this" is no definition (a target has no space).
_LINK_DEF = re.compile(r"""^\s{0,3}\[[^\]\n^]+\]:\s*(<[^>\s]*>|\S+)(\s+("[^"]*"|'[^']*'|\([^)]*\)))?\s*$""")
_AUTOLINK = re.compile(r"<((?:https?|ftp|file|mailto|ssh|git):[^<>\s]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)>")
_COMMENT = re.compile(r"<!--.*?-->")
_COMMENT_OPEN = re.compile(r"^\s{0,3}<!--")
_SHORTCODE = re.compile(r"(?<![\w:]):[a-z][a-z0-9_+-]*:(?![\w:])")  # GitHub's ":rocket:"
_HARD_BREAK = re.compile(r"\\(?=\r?\n|$)")
_ESCAPE = re.compile(r"\\[!-/:-@\[-`{-~]")  # "\*args" is "*args"
_GAP = "\x00"  # blanked markup until the paragraph is finished, then a space
_HIDDEN = 0xE000  # an escaped character is moved to the private-use plane while markup is matched
_EMPHASIS = re.compile(r"(?<![\w*])(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1(?![\w*])")
# "**o**utput", "un*frigging*believable": a star may mark part of a word (not "x*y*z" or "2*3*4")
_INTRAWORD_EMPHASIS = re.compile(r"(?<=[A-Za-z])(\*\*?)([A-Za-z]+)\1(?![*\d])"
                                 r"|(?<![*\w])(\*\*?)([A-Za-z]+)\3(?=[A-Za-z])")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>\n]*>")
_MEDIA_TAG = re.compile(r"<(img|svg|video|audio|picture|source|iframe)\b", re.IGNORECASE)
_TAG_NAME = re.compile(r"</?([a-zA-Z][\w.-]*)")  # "<token>", "<T, E>": an HTML tag only if HTML has that name
HTML_TAGS = frozenset("""a abbr article aside audio b bdi bdo blockquote br button caption center cite code col
colgroup dd del details dfn div dl dt em embed figcaption figure font footer form h1 h2 h3 h4 h5 h6 header hr i
iframe img input ins kbd label legend li link main mark meta nav ol option p picture pre q s samp section select
small source span strike strong style sub summary sup table tbody td textarea tfoot th thead time tr tt u ul var
video wbr""".split())
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
_FOOTNOTE_REF = re.compile(r"\[\^[^\]\s]{1,40}\](?!:)")
_FOOTNOTE_DEF = re.compile(r"^\s{0,3}\[\^[^\]\s]{1,40}\]:\s*")


def _blank(s: str, a: int, b: int) -> str:
    """Markup becomes _GAP, not a space, while a paragraph is cleaned: "__[a link][ref]__" is still
    bold once the link's brackets are gone (emphasis may not open before a space)."""
    return s[:a] + _GAP * (b - a) + s[b:]


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
            pad = " " if char.isspace() else _GAP  # "don&rsquo;t" stays one word
            char = " " if char.isspace() else char  # &nbsp;
            line = line[:m.start()] + char + pad * (m.end() - m.start() - 1) + line[m.end():]
    return line


_MACRO = re.compile(r"([A-Za-z_][\w:]*)!(?:\(\)|\[\]|\{\})?")  # "vec!", "println!()", "std::format!"
# a code span of symbols alone names them ("`&`" is not the word "and", "`?`" not a question)
_CODE_SYMBOL_NAMES = {"&": "ampersand", "&&": "double ampersand", "[]": "square brackets", "()": "parentheses",
                      "{}": "curly braces", "<>": "angle brackets", "?": "question mark", "!": "bang", "|": "pipe",
                      "||": "double pipe", "_": "underscore", "-": "dash", "--": "double dash", ",": "comma",
                      ";": "semicolon", ".": "dot", "..": "dot dot", "...": "ellipsis", "'": "single quote",
                      '"': "double quote", "#": "hash", "@": "at sign", "::": "double colon", "?.": "question dot",
                      "??": "double question mark", "=>": "fat arrow", "->": "arrow", "*": "star", "**": "double star",
                      "`": "backtick", "~": "tilde", "$": "dollar sign", "%": "percent sign", "^": "caret",
                      "\\": "backslash", "/": "slash", ":": "colon", "=": "equals sign", "+": "plus", "<": "less than",
                      ">": "greater than", "!=": "not equal", "==": "double equals", "===": "triple equals"}


def code_said(code: str) -> str | None:
    """What a code span says when the frontend would misread it as prose: a Rust macro is its name
    ("`vec!`" vec, not the end of an exclaimed sentence), symbols alone are named ("`&`"
    ampersand, "`[]`" square brackets, "`?`" question mark). None: read the code as it is."""
    code = code.strip()
    m = _MACRO.fullmatch(code)
    if m:
        return m.group(1)
    if code and not any(ch.isalnum() for ch in code):
        return _CODE_SYMBOL_NAMES.get(code) or " ".join(_CODE_SYMBOL_NAMES.get(ch, "") for ch in code).strip() or None
    return None


_MYST_ROLE = re.compile(r"\{([\w.+:-]+)\}(`+)(.+?)\2")  # MyST: "{doc}`installation`", "{term}`sdist <Source>`"


def read_role(line: str, name: str, start: int, text: tuple[int, int], end: int, offset: int,
              said: list[tuple[int, int, str]], fill: str = " ") -> str:
    """Blank a Sphinx role's markup (":ref:`the guide <guide>`", MyST's "{ref}`...`") in `line`,
    leaving the text Sphinx shows: the label before "<target>", the last name after "~"; ":math:"
    goes to `said` as words. `text`: where the role's text lies, `offset`: where `line` starts,
    `fill`: what blanked markup becomes."""

    def _blank(s: str, i: int, j: int) -> str:
        return s[:i] + fill * (j - i) + s[j:]

    a, b = text
    content = line[a:b]
    if name == "math":  # ":math:`\\frac{a}{b}`": A over B
        said.append((offset + start, offset + end, latex_words(content)))
        return _blank(line, start, end)
    target = re.search(r"\s*<[^>]+>$", content)
    if target:  # ":ref:`the guide <guide>`": the label
        line = _blank(line, a + target.start(), b)
        content = content[:target.start()]
    if content.startswith(("~", "!")):  # ":func:`~pkg.mod.load`": Sphinx shows "load"
        last = content.rfind(".") + 1 if content.startswith("~") else 1
        line = _blank(line, a, a + max(last, 1))
    return _blank(_blank(line, start, a), b, end)


def clean_inline(line: str) -> tuple[str, list[tuple[int, int, str]], list[int], list[tuple[int, int, str]]]:
    """Blank inline markup (code ticks, links, HTML tags and comments, footnote marks) and decode
    HTML entities, keeping every offset. Returns the line, the spans it does not read aloud
    (images, comments, emoji shortcodes) with the reason, where escaped characters are hidden
    (emphasis and escapes are finished per paragraph by `_emphasis_and_escapes`), and the spans
    read as other words (inline math "$O(n^2)$": O of N squared)."""
    skips: list[tuple[int, int, str]] = []
    said: list[tuple[int, int, str]] = []
    code = [m.span() for m in _CODE_SPAN.finditer(line)]

    def in_code(i: int) -> bool:
        return any(a <= i < b for a, b in code)

    def drop(m: re.Match, why: str) -> None:
        nonlocal line
        skips.append((m.start(), m.end(), why))
        line = _blank(line, m.start(), m.end())

    for m in INLINE_MATH.finditer(line):
        if not in_code(m.start()) and is_math(m.group(2)):
            said.append((m.start(), m.end(), latex_words(m.group(2))))
            line = _blank(line, m.start(), m.end())
            code.append(m.span())  # nothing inside math is markup
    for m in _HARD_BREAK.finditer(line):  # "line one\" at a line's end: a line break, read as a pause
        if not in_code(m.start()) and (m.start() == 0 or line[m.start() - 1] != "\\"):
            line = line[:m.start()] + "," + line[m.end():]
    # An escaped character is hidden from the markup patterns until the end, then shown.
    escaped = [m.start() for m in _ESCAPE.finditer(line) if not in_code(m.start())]
    for i in escaped:
        line = line[:i + 1] + chr(_HIDDEN + ord(line[i + 1])) + line[i + 2:]
    for pattern, why in ((_COMMENT, "HTML comment not read aloud"), (_IMAGE, "image not read aloud"),
                         (_SHORTCODE, "emoji shortcode not read aloud")):
        for m in pattern.finditer(line):
            if not in_code(m.start()):
                drop(m, why)
    line = _entities(line, code)
    for m in _FOOTNOTE_REF.finditer(line):
        if not in_code(m.start()):
            line = _blank(line, m.start(), m.end())
    for m in _MYST_ROLE.finditer(line):  # read as Sphinx shows it, not as code
        line = read_role(line, m.group(1).split(":")[-1], m.start(), m.span(3), m.end(), 0, said, _GAP)
    for m in _CODE_SPAN.finditer(line):
        line = _blank(line, m.start(), m.start(1) + len(m.group(1)))
        line = _blank(line, m.end() - len(m.group(1)), m.end())
        spoken = code_said(m.group(2))
        if spoken:  # "`vec!`", "`&`": read as its name, over the span's code
            said.append((m.start(2), m.end(2), spoken))
            line = line[:m.start(2)] + " " * (m.end(2) - m.start(2)) + line[m.end(2):]
    for m in _LINK.finditer(line):  # a badge "[![alt](img)](href)" is blank by now: nothing is read
        if _is_override(m.group(2)):
            continue
        line = _blank(line, m.start(), m.start(1))
        line = _blank(line, m.end(1), m.end())
    for m in _REF_LINK.finditer(line):
        if not in_code(m.start()):
            line = _blank(line, m.start(), m.start(1))
            line = _blank(line, m.end(1), m.end())
    for m in _AUTOLINK.finditer(line):  # "<https://x.org>" is read as the address it holds
        if not in_code(m.start()):
            line = _blank(_blank(line, m.start(), m.start() + 1), m.end() - 1, m.end())
    for m in _HTML_TAG.finditer(line):
        name = _TAG_NAME.match(m.group())
        if in_code(m.start()) or name.group(1).lower() not in HTML_TAGS:
            continue  # literal in code; "<token>" is a placeholder, "<String, u8>" a type's arguments
        if _MEDIA_TAG.match(m.group()):  # <img src=... alt="logo">: an image, as ![logo](...) is
            drop(m, "image not read aloud")
        line = _blank(line, m.start(), m.end())
    # Outside code a bar separates ("Docs | Blog | Discord"): a pause, not the word "pipe".
    line = "".join("," if ch == "|" and not in_code(k) else ch for k, ch in enumerate(line))
    return line, skips, escaped, said


def _emphasis_and_escapes(text: str, escaped: list[int]) -> str:
    """Blank emphasis marks over a whole paragraph (bold may span a line break), then show the
    escaped characters: the backslash goes, the character comes back unless it was dropped."""
    for _ in range(2):  # nested emphasis (***bold italic***)
        for m in _EMPHASIS.finditer(text):
            n = len(m.group(1))
            text = _blank(_blank(text, m.start(), m.start() + n), m.end() - n, m.end())
    for m in _INTRAWORD_EMPHASIS.finditer(text):
        n = len(m.group(1) or m.group(3))
        word = re.search(r"[A-Za-z]*\Z", text[:m.start()]).group() + (m.group(2) or m.group(4))
        if len(word + re.match(r"[A-Za-z]*", text[m.end():]).group()) >= 4:
            text = _blank(_blank(text, m.start(), m.start() + n), m.end() - n, m.end())
    for i in escaped:
        shown = chr(ord(text[i + 1]) - _HIDDEN) if text[i] == "\\" else " "
        text = text[:i] + _GAP + shown + text[i + 2:]
    return text


# a word markup cuts: "<b>o</b>utput", "Vec&lt;T&gt;", "2<sup>8</sup>-1", "<a>#91913</a>)"
_SPLIT_WORD = re.compile(r"[-#@]?[\w'’<>&()^./:-]*[\w'’<>&()^/](?:\x00+-?[\w'’<>&()^./:-]*[\w'’<>&()^/])+")


def join_split_words(text: str, said: list[tuple[int, int, str]], offset: int = 0
                     ) -> tuple[str, list[tuple[int, int, str]]]:
    """Finish a cleaned paragraph: a word that blanked markup cuts but a browser shows whole
    ("<em>o</em>utput", "don&rsquo;t", "`pip`'s", "snake\\_case") is read as the joined word (a
    span read as other text, like `said`, whose spans are left alone); the other blanks become
    spaces. `offset`: where `text` starts in the input. Returns the text and the joined words."""
    taken = [(a - offset, b - offset) for a, b, _ in said]
    joined = []
    for m in _SPLIT_WORD.finditer(text):
        if not any(a < m.end() and m.start() < b for a, b in taken):
            joined.append((offset + m.start(), offset + m.end(), m.group().replace(_GAP, "")))
            text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]
    return text.replace(_GAP, " "), joined


def _line_kind(line: str) -> tuple[str, int]:
    """Kind of a line and the length of its prefix markup."""
    for kind, pattern in (("heading", _HEADING), ("list_item", _LIST), ("quote", _QUOTE)):
        m = pattern.match(line)
        if m:
            return kind, m.end()
    if line.lstrip().startswith("|"):
        return "table_row", 0
    return "paragraph", 0


def _table_row(line: str, cleaned: str, headers: list[str]) -> tuple[str, list[str], list[tuple[int, int, str]]]:
    """A table row's cells read in turn, each after its column's name when the table has a header
    row ("voice: heart; WER: 0.07"): the bar before a cell is read as the name ("; " opening it puts
    a mark on the cell before). Returns the row with its bars as marks or blanks, its cells' text,
    and the bars read as names. `line` is the row as written (an escaped bar is not a cell's edge)."""
    bars = [i for i, ch in enumerate(line) if ch == "|" and (i == 0 or line[i - 1] != "\\")]
    cells = [cleaned[a + 1:b] for a, b in zip(bars, [*bars[1:], len(cleaned)])]
    named = []
    for k, (bar, cell) in enumerate(zip(bars, cells)):
        name = headers[k] if k < len(headers) else ""
        if name and cell.strip():
            named.append((bar, bar + 1, ("; " if named else "") + name + ":"))
    chars = list(cleaned)
    for bar in bars:
        chars[bar] = " " if named else ","
    return "".join(chars), [_cell_name(c) for c in cells], named


def _cell_name(cell: str) -> str:
    """A header cell as a column name: emphasis and code marks gone, escaped characters shown."""
    shown = "".join(chr(ord(ch) - _HIDDEN) if _HIDDEN <= ord(ch) < _HIDDEN + 0x1000 else ch
                    for ch in cell.replace(_GAP, " ").replace("\\", ""))
    return " ".join(_CELL_MARKUP.sub("", shown).split())


def _indent(line: str) -> int:
    return len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())


def _one_line(raw: str) -> str:
    """A paragraph's line ends are spaces: emphasis may span them."""
    return raw.replace("\r", " ").replace("\n", " ")


def blocks(text: str, markdown: bool = True) -> Iterator[Block]:
    """Yield blocks lazily, one paragraph/heading/list item at a time (long inputs stream).
    `markdown=False`: plain text, a paragraph between blank lines."""
    if markdown:
        return _Reader(text).blocks()
    scan = LineScanner(text, lambda start, raw: (_one_line(raw), [], []))
    return scan.read((scan.blank_line, scan.text_line))


class _Reader:
    """Markdown's handlers, one per construct, and what they remember from line to line."""

    def __init__(self, text: str):
        self.scan = LineScanner(text, self._finish)
        self.escaped: list[int] = []  # offsets of the open block's escaped characters, hidden until it closes
        self.code: list[int] | None = None  # an open indented code block: its first and last lines
        self.in_list = False  # indented lines after a list item continue it; elsewhere they are code
        self.last_row: list[str] = []  # the cells of the table row just read: the header, if a |---| line follows
        self.headers: list[str] = []  # the table's column names, said before each cell of its body rows
        self.myst_close, self.myst_open = "", False  # the fence that closes an open MyST admonition; its first line

    def blocks(self) -> Iterator[Block]:
        yield from self.scan.read((self._math, self._indented_code, self._myst_admonition, self._fence,
                                   self._setext_heading, self._break, self._link_definition, self._line))
        if self.code:
            yield self.scan.skipped("code", self.code[0], self.code[1] + 1)

    def _finish(self, start: int, raw: str) -> tuple[str, list[Span], list[Span]]:
        """Emphasis and escapes are finished over the whole block (bold may span a line break),
        then the words that markup cuts are joined."""
        cleaned = _emphasis_and_escapes(_one_line(raw), [i - start for i in self.escaped])
        self.escaped = []
        cleaned, joined = join_split_words(cleaned, self.scan.said, start)
        return cleaned, [], joined

    def _math(self) -> Generator[Block, None, bool]:
        """A "$$" display formula, to the closing "$$": read as words."""
        scan = self.scan
        if scan.line().strip() != "$$":
            return False
        yield from scan.flush()
        close = scan.find(lambda line: line.strip() == "$$")
        if close is None:  # unclosed: skipped, still reported
            yield scan.skipped("math", scan.i)
            return scan.advance(len(scan))
        start, end = scan.start(), scan.end(close)
        tex = scan.text[start:end].strip()[2:-2]
        yield Block("paragraph", start, end, " " * (end - start), said_as=[(start, end, latex_words(tex))])
        return scan.advance(close + 1)

    def _indented_code(self) -> Generator[Block, None, bool]:
        """CommonMark's indented code (4 spaces, not inside a paragraph or a list), which blank and
        deep lines continue; the line that ends it is read by the next handlers."""
        scan, line = self.scan, self.scan.line()
        indent = _indent(line)
        if self.code:
            if not line.strip() or indent >= 4:
                if line.strip():
                    self.code[1] = scan.i
                return scan.advance()
            yield scan.skipped("code", self.code[0], self.code[1] + 1)
            self.code = None
        if indent >= 4 and line.strip() and not scan.para and not self.in_list:
            self.code = [scan.i, scan.i]
            return scan.advance()
        if line.strip() and indent == 0:
            self.in_list = bool(_LIST.match(line))
        elif _LIST.match(line):
            self.in_list = True
        return False

    def _myst_admonition(self) -> Generator[Block, None, bool]:
        """MyST's "```{note}": "note," then its text; its options are not read; its fence closes it."""
        scan, line = self.scan, self.scan.line()
        if self.myst_close and re.match(rf"^\s{{0,3}}{re.escape(self.myst_close[0])}{{{len(self.myst_close)},}}\s*$",
                                        line):
            yield from scan.flush()
            self.myst_close, self.myst_open = "", False
            return scan.advance()
        if self.myst_open and _DIRECTIVE_OPTION.match(line):
            return scan.advance()
        self.myst_open = False
        myst = _MYST_FENCE.match(line)
        if not (myst and myst.group(2).lower() in MYST_PROSE):
            return False
        yield from scan.flush()
        name = myst.group(2).lower()
        versioned = name.startswith("version") or name == "deprecated"  # new in version 6.0
        scan.add(" " * myst.start(2) + line[myst.start(2):myst.end(2)] + ("  " if versioned else ", ")
                 + clean_inline(myst.group(3))[0])
        yield from scan.flush()
        self.myst_close, self.myst_open = myst.group(1), True
        return scan.advance()

    def _fence(self) -> Generator[Block, None, bool]:
        """Fenced code, a MyST directive ("```{toctree}") or an HTML comment over lines, to the line
        that closes it: skipped, reported."""
        scan, line = self.scan, self.scan.line()
        fence, comment = _FENCE.match(line), _COMMENT_OPEN.match(line)
        if not (fence or (comment and "-->" not in line[comment.end():])):
            return False
        yield from scan.flush()
        myst = _MYST_FENCE.match(line)
        kind = "directive" if myst and myst.group(2).lower() not in _MYST_CODE else "code" if fence else "comment"
        close = scan.find(_FENCE.match if fence else lambda s: "-->" in s)
        yield scan.skipped(kind, scan.i, None if close is None else close + 1)
        return scan.advance(len(scan) if close is None else close + 1)

    def _setext_heading(self) -> Generator[Block, None, bool]:
        """"Title" over "=====": the open paragraph is a heading."""
        scan = self.scan
        if not (scan.para and scan.kind == "paragraph" and _SETEXT.match(scan.line())):
            return False
        scan.kind = "heading"
        yield from scan.flush()
        return scan.advance()

    def _break(self) -> Generator[Block, None, bool]:
        """A blank line, a rule or a table's |---| line closes the open block; the row above a
        |---| is the table's header."""
        scan, line = self.scan, self.scan.line()
        if line.strip() and not _RULE.match(line) and not _TABLE_SEP.match(line):
            return False
        self.headers = self.last_row if _TABLE_SEP.match(line) and line.lstrip().startswith("|") else []
        self.last_row = []
        yield from scan.flush()
        return scan.advance()

    def _link_definition(self) -> Generator[Block, None, bool]:
        """"[ref]: https://x.org": skipped, reported."""
        scan = self.scan
        if not _LINK_DEF.match(scan.line()):
            return False
        self.last_row, self.headers = [], []
        yield from scan.flush()
        yield scan.skipped("link_definition", scan.i, scan.i + 1)
        return scan.advance()

    def _line(self) -> Generator[Block, None, bool]:
        """A heading, list item, quote, table row, footnote or paragraph line, cleaned: it opens a
        block or goes on with the open one."""
        scan, line = self.scan, self.scan.line()
        kind, prefix = _line_kind(line)
        if kind != "table_row":
            self.last_row, self.headers = [], []
        footnote = _FOOTNOTE_DEF.match(line)  # "[^1]: text": the text is read, the mark is not
        if footnote:
            kind, prefix = "paragraph", footnote.end()
            yield from scan.flush()
        cleaned, skips, hidden_at, said = self._cleaned(line, kind, prefix)
        # A wrapped list item or quote goes on: the next line without a marker (or with ">" in a
        # quote) belongs to it, as CommonMark's lazy continuation says.
        continues = scan.para and ((kind == "paragraph" and scan.kind in ("list_item", "quote"))
                                   or (kind == "quote" and scan.kind == "quote"))
        if not continues and (kind != "paragraph" or scan.kind != "paragraph"):
            yield from scan.flush()
            scan.kind = kind
        start = scan.start()
        scan.add(cleaned)
        scan.skips += [(start + a, start + b, why) for a, b, why in skips]
        self.escaped += [start + prefix + i for i in hidden_at]
        scan.said += [(start + prefix + a, start + prefix + b, words) for a, b, words in said]
        if kind in ("heading", "table_row"):
            yield from scan.flush()
        return scan.advance()

    def _cleaned(self, line: str, kind: str, prefix: int) -> tuple[str, list[Span], list[int], list[Span]]:
        """A line of `kind` with its markup blanked: the text, its spans not read (offsets in the
        line), and, after its `prefix` markup, where escaped characters are hidden and the spans
        read as other words."""
        body = line
        if kind == "heading":
            close = _ATX_CLOSE.search(body)
            body = body[:close.start()] + " " * (len(body) - close.start()) if close else body
        skips = []
        alert = _ALERT.match(body, prefix) if kind == "quote" else None
        if alert:
            body = body[:alert.start()] + "  " + alert[1] + "," + body[alert.end(1) + 1:]
        box = _TASK_BOX.match(body, prefix) if kind == "list_item" else None
        if box:
            skips.append((box.start(), box.end() - 1, "task box not read aloud"))
            body = _blank(body, box.start(), box.end())
        cleaned, inline_skips, hidden_at, said = clean_inline(body[prefix:])
        cleaned = " " * prefix + cleaned
        marker = _LIST.match(line) if kind == "list_item" else None
        if marker and marker.group(1)[0].isdigit():  # "1. Install": steps keep their number ("one, install")
            cleaned = cleaned[:marker.start(1)] + marker.group(1)[:-1] + "," + cleaned[marker.end(1):]
        skips += [(prefix + a, prefix + b, why) for a, b, why in inline_skips]
        if kind == "table_row":
            cleaned, self.last_row, named = _table_row(line, cleaned, self.headers)
            said += named  # a row has no prefix: its offsets are the line's
        return cleaned, skips, hidden_at, said
