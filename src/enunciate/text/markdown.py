"""Markdown or plain text -> blocks (heading, paragraph, list item) with spans of the original.

Markup characters are blanked to spaces instead of removed, so every offset in a block's text is
an offset in the original input: spans survive Markdown stripping for free. What is not read aloud
is still named: fenced code, HTML comments and link definitions come back as skipped blocks, and
images, inline comments and emoji shortcodes as a block's skipped spans, so the report lists them.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Iterator

from .latex import INLINE_MATH, is_math, latex_words

PAUSE_S = {"heading": 0.6, "paragraph": 0.5, "list_item": 0.3, "quote": 0.5, "table_row": 0.3}

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


def blocks(text: str, markdown: bool = True) -> Iterator[Block]:
    """Yield blocks lazily, one paragraph/heading/list item at a time (long inputs stream)."""
    pos = 0
    para: list[tuple[int, str]] = []  # (offset, cleaned line) of the running paragraph
    skips: list[tuple[int, int, str]] = []  # spans of the running paragraph not read aloud
    escaped: list[int] = []  # offsets of its escaped characters, hidden until the paragraph ends
    said: list[tuple[int, int, str]] = []  # spans of the running paragraph read as other words
    para_kind = "paragraph"
    hidden_kind, hidden_start = "", -1  # an open fenced code block or multi-line HTML comment
    indented_start, indented_end = -1, -1  # an indented code block (4 spaces, not inside a list)
    in_list = False  # indented lines after a list item continue it; elsewhere they are code
    last_row: list[str] = []  # the cells of the table row just read: the header, if a |---| line follows
    headers: list[str] = []  # the table's column names, said before each cell of its body rows
    myst_close, myst_open = "", False  # the fence that closes an open MyST admonition; its first line

    def flush() -> Iterator[Block]:
        nonlocal para, skips, escaped, said
        if para:
            start = para[0][0]
            end = para[-1][0] + len(para[-1][1])
            body = text[start:end]
            chars = list(" " * len(body))
            for off, line in para:
                chars[off - start: off - start + len(line)] = line
            cleaned = "".join(chars)
            if markdown:
                cleaned = _emphasis_and_escapes(cleaned, [i - start for i in escaped])
                cleaned, joined = join_split_words(cleaned, said, start)
                said = said + joined
            if cleaned.strip() or skips or said:
                yield Block(para_kind, start, end, cleaned, skips=skips, said_as=said)
        para, skips, escaped, said = [], [], [], []

    def hidden(kind: str, start: int, end: int) -> Block:
        return Block(kind, start, end, text[start:end], True)

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
        if hidden_kind == "math":  # a "$$" display formula runs to the closing "$$"
            if line.strip() == "$$":
                end = start + len(line)
                tex = text[hidden_start:end].strip()[2:-2]
                yield Block("paragraph", hidden_start, end, " " * (end - hidden_start),
                            said_as=[(hidden_start, end, latex_words(tex))])
                hidden_kind = ""
            continue
        if hidden_kind:
            if (_FENCE.match(line) if hidden_kind in ("code", "directive") else "-->" in line):
                yield hidden(hidden_kind, hidden_start, start + len(line))
                hidden_kind = ""
            continue
        if line.strip() == "$$":
            yield from flush()
            hidden_kind, hidden_start = "math", start
            continue
        indent = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())
        if indented_end >= 0:  # inside an indented code block: blank lines and deep lines go on
            if not line.strip() or indent >= 4:
                indented_end = start + len(line) if line.strip() else indented_end
                continue
            yield hidden("code", indented_start, indented_end)
            indented_end = -1
        if indent >= 4 and line.strip() and not para and not in_list:  # CommonMark's indented code
            indented_start, indented_end = start, start + len(line)
            continue
        if line.strip() and indent == 0:
            in_list = bool(_LIST.match(line))
        elif _LIST.match(line):
            in_list = True
        if myst_close and re.match(rf"^\s{{0,3}}{re.escape(myst_close[0])}{{{len(myst_close)},}}\s*$", line):
            yield from flush()  # the admonition's closing fence
            myst_close, myst_open = "", False
            continue
        if myst_open and _DIRECTIVE_OPTION.match(line):  # its options are not read
            continue
        myst_open = False
        myst = _MYST_FENCE.match(line)
        if myst and myst.group(2).lower() in MYST_PROSE:  # "```{note}": "note," then its text
            yield from flush()
            name = myst.group(2).lower()
            versioned = name.startswith("version") or name == "deprecated"  # new in version 6.0
            head = " " * myst.start(2) + line[myst.start(2):myst.end(2)] + ("  " if versioned else ", ") + \
                clean_inline(myst.group(3))[0]
            para, para_kind = [(start, head)], "paragraph"
            yield from flush()
            myst_close, myst_open = myst.group(1), True
            continue
        opens_comment = _COMMENT_OPEN.match(line)
        if _FENCE.match(line) or (opens_comment and "-->" not in line[opens_comment.end():]):
            yield from flush()
            hidden_kind, hidden_start = ("code" if _FENCE.match(line) else "comment"), start
            if myst and myst.group(2).lower() not in _MYST_CODE:  # "```{toctree}", "```{image}"
                hidden_kind = "directive"
            continue
        if para and para_kind == "paragraph" and _SETEXT.match(line):  # "Title" over "=====": a heading
            para_kind = "heading"
            yield from flush()
            para_kind = "paragraph"
            continue
        if not line.strip() or _RULE.match(line) or _TABLE_SEP.match(line):
            headers = last_row if _TABLE_SEP.match(line) and line.lstrip().startswith("|") else []
            last_row = []
            yield from flush()
            continue
        kind, prefix = _line_kind(line)
        if kind != "table_row":
            last_row, headers = [], []
        footnote = _FOOTNOTE_DEF.match(line)  # "[^1]: text": the text is read, the mark is not
        if footnote:
            kind, prefix = "paragraph", footnote.end()
            yield from flush()
        elif _LINK_DEF.match(line):
            yield from flush()
            yield hidden("link_definition", start, start + len(line))
            continue
        body = line
        if kind == "heading":
            close = _ATX_CLOSE.search(body)
            body = body[:close.start()] + " " * (len(body) - close.start()) if close else body
        line_skips = []
        alert = _ALERT.match(body, prefix) if kind == "quote" else None
        if alert:
            body = body[:alert.start()] + "  " + alert[1] + "," + body[alert.end(1) + 1:]
        box = _TASK_BOX.match(body, prefix) if kind == "list_item" else None
        if box:
            line_skips.append((box.start(), box.end() - 1, "task box not read aloud"))
            body = _blank(body, box.start(), box.end())
        cleaned, inline_skips, hidden_at, inline_said = clean_inline(body[prefix:])
        cleaned = " " * prefix + cleaned
        marker = _LIST.match(line) if kind == "list_item" else None
        if marker and marker.group(1)[0].isdigit():  # "1. Install": steps keep their number ("one, install")
            cleaned = cleaned[:marker.start(1)] + marker.group(1)[:-1] + "," + cleaned[marker.end(1):]
        line_skips += [(prefix + a, prefix + b, why) for a, b, why in inline_skips]
        if kind == "table_row":
            cleaned, last_row, named = _table_row(line, cleaned, headers)
            inline_said += named  # a row has no prefix: its offsets are the line's
        # A wrapped list item or quote goes on: the next line without a marker (or with ">" in a
        # quote) belongs to it, as CommonMark's lazy continuation says.
        continues = para and ((kind == "paragraph" and para_kind in ("list_item", "quote"))
                              or (kind == "quote" and para_kind == "quote"))
        if not continues and (kind != "paragraph" or para_kind != "paragraph"):
            yield from flush()
            para_kind = kind
        para.append((start, cleaned))
        skips += [(start + a, start + b, why) for a, b, why in line_skips]
        escaped += [start + prefix + i for i in hidden_at]
        said += [(start + prefix + a, start + prefix + b, words) for a, b, words in inline_said]
        if kind in ("heading", "table_row"):
            yield from flush()
            para_kind = "paragraph"
    if hidden_kind:  # an unclosed fence or comment: still skipped, still reported
        yield hidden(hidden_kind, hidden_start, len(text))
    if indented_end >= 0:
        yield hidden("code", indented_start, indented_end)
    yield from flush()
