"""SSML -> paragraphs of tokens with spans of the original SSML string, like Markdown input gives.

Parsing is expat's, and no DOCTYPE is accepted: without one there are no entity declarations,
so entity-expansion bombs, external entities and external DTDs cannot happen (the guarantee
defusedxml gives, without the dependency). Text is read the Markdown way: an aligned copy of the
input has every tag, comment and declaration blanked to spaces and every entity reference
replaced by its character padded with invisible word joiners, so `normalize` runs on plain text
whose offsets are offsets in the SSML ("AT&amp;T" stays one word).

Elements: <speak> (root), <p> (paragraph), <s> (sentence: the words before it and its own last
word end sentences), <break> (a "break" token whose span is the tag), <phoneme> (an "override"
token), <say-as> and <sub> (one token whose span is the element's text), <prosody rate> (nested
rates multiply), <mark name> (said nothing; the paragraph carries its name and span, and the
pipeline times it). Approximated, with a warning: prosody pitch/volume, <audio> (its fallback text
is read), <lexicon> (not loaded), unknown elements and unknown interpret-as values (text read
normally). <emphasis> is read normally; <meta>, <metadata> and <desc> say nothing.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

from ..errors import EnunciateError
from . import patterns as P
from .chunk import SENTENCE_END, punctuation
from .normalize import KnownWords, normalize
from .phonesets import KOKORO_SYMBOLS, espeak_to_kokoro
from .say_as import SAY_AS, normalized_words, say_as
from .tokens import MAX_BREAK_S, Paragraph, Token, line_col

log = logging.getLogger(__name__)

PARAGRAPH_PAUSE_S = 0.5
MAX_DEPTH = 256  # elements nested deeper are refused (the reader walks the tree recursively)
BREAK_STRENGTH_S = {"none": 0.0, "x-weak": 0.1, "weak": 0.2, "medium": 0.4, "strong": 0.7,
                    "x-strong": 1.2}
RATES = {"x-slow": 0.6, "slow": 0.8, "medium": 1.0, "default": 1.0, "fast": 1.25, "x-fast": 1.5}
MIN_RATE, MAX_RATE = 0.5, 2.0
PHONEME_ALPHABETS = ("ipa", "kokoro", "misaki")
SILENT = {"meta", "metadata", "desc", "lexicon"}  # elements whose content is not spoken
TRANSPARENT = {"emphasis", "speak"}  # read normally, no warning (a nested <speak> included)

_NO_DOCTYPE = "SSML may not declare a DOCTYPE or entities"
_PAD = "\u2060"  # WORD JOINER: invisible, so the normalizer folds it into the entity's character
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|amp|lt|gt|apos|quot);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "apos": "'", "quot": '"'}
_START_TAG = re.compile(r"<[^\"'>]*(?:(?:\"[^\"]*\"|'[^']*')[^\"'>]*)*>")
_BREAK_TIME = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s)\s*", re.IGNORECASE)
_RATE_PERCENT = re.compile(r"\s*([+-]?)(\d+(?:\.\d*)?|\.\d+)\s*%\s*")
_RATE_NUMBER = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*")


# ---------------------------------------------------------------- parsing

@dataclass
class _Text:
    start: int
    end: int


@dataclass
class _Element:
    name: str
    attrs: dict[str, str]
    start: int  # of the start tag
    tag_end: int  # end of the start tag, where the content begins
    close: int = -1  # start of the end tag (== tag_end for <empty/>)
    end: int = -1  # end of the end tag
    children: list = field(default_factory=list)

    @property
    def content(self) -> tuple[int, int]:
        return self.tag_end, self.close


class _Refused(Exception):
    """Raised inside expat's handlers; becomes an EnunciateError with a position."""

    def __init__(self, message: str, byte_index: int):
        super().__init__(message)
        self.byte_index = byte_index


class _CharOffsets:
    """UTF-8 byte offsets -> character offsets, for offsets asked in increasing order."""

    def __init__(self, text: str, data: bytes):
        self.data = data
        self.ascii = len(data) == len(text)
        self.byte = self.char = 0

    def __call__(self, byte: int) -> int:
        if self.ascii:
            return byte
        if byte < self.byte:  # out of order (only for error positions): count from the start
            return len(self.data[:byte].decode("utf-8", "replace"))
        self.char += len(self.data[self.byte:byte].decode("utf-8", "replace"))
        self.byte = byte
        return self.char


def _decode_entities(s: str) -> str:
    """Entity and character references -> their character + word joiners, keeping the length."""
    def one(m: re.Match) -> str:
        ref = m.group(1)
        if ref[0] == "#":
            ch = chr(int("0" + ref[1:], 0) if ref[1] == "x" else int(ref[1:]))
        else:
            ch = _NAMED[ref]
        return ch + _PAD * (len(m.group(0)) - 1)
    return _ENTITY.sub(one, s) if "&" in s else s


def _parse(text: str) -> tuple[_Element, str]:
    """The <speak> tree and the aligned copy of `text` (markup blanked, entities decoded)."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise EnunciateError(f"SSML contains a character that is not valid XML at offset {e.start}; "
                             "remove it") from None
    to_char = _CharOffsets(text, data)
    parser = expat.ParserCreate(encoding="utf-8")  # overrides any encoding the declaration names
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    aligned: list[str] = []
    stack: list[_Element] = []
    root: list[_Element] = []
    state = {"pos": 0, "cdata": False}

    def markup(end_of: str | int | None = None) -> tuple[int, int]:
        """Record the markup starting at the current event; returns its char span."""
        start = to_char(parser.CurrentByteIndex)
        pos = state["pos"]
        if start > pos:
            gap = text[pos:start]
            aligned.append(gap if state["cdata"] else _decode_entities(gap))
            if stack:
                stack[-1].children.append(_Text(pos, start))
        if isinstance(end_of, int):
            end = start + end_of
        elif end_of is None:
            m = _START_TAG.match(text, start)
            end = m.end() if m else start
        else:
            end = text.index(end_of, start) + len(end_of)
        end = max(end, start)
        aligned.append(" " * (end - start))
        state["pos"] = end
        return start, end

    def refuse_doctype(*_args) -> None:
        raise _Refused(_NO_DOCTYPE, parser.CurrentByteIndex)

    def start_element(name: str, attrs: dict[str, str]) -> None:
        if not stack and name != "speak":
            raise _Refused(f"SSML must have <speak> as its root element, not <{name}>", parser.CurrentByteIndex)
        if len(stack) >= MAX_DEPTH:
            raise _Refused(f"SSML nests elements more than {MAX_DEPTH} deep", parser.CurrentByteIndex)
        start, end = markup()
        el = _Element(name, attrs, start, end)
        if text[end - 2:end] == "/>":
            el.close = el.end = end
        if stack:
            stack[-1].children.append(el)
        else:
            root.append(el)
        stack.append(el)

    def end_element(name: str) -> None:
        el = stack[-1]
        if el.end < 0:
            el.close, el.end = markup(">")  # before the pop: the text before it is el's
        stack.pop()

    def start_cdata() -> None:
        markup(len("<![CDATA["))
        state["cdata"] = True

    def end_cdata() -> None:
        markup(len("]]>"))
        state["cdata"] = False

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_doctype
    parser.ExternalEntityRefHandler = refuse_doctype
    parser.StartElementHandler = start_element
    parser.EndElementHandler = end_element
    parser.CommentHandler = lambda _data: markup("-->")
    parser.ProcessingInstructionHandler = lambda _target, _data: markup("?>")
    parser.XmlDeclHandler = lambda *_args: markup("?>")
    parser.StartCdataSectionHandler = start_cdata
    parser.EndCdataSectionHandler = end_cdata
    try:
        parser.Parse(data, True)
    except _Refused as e:
        offset = to_char(max(e.byte_index, 0))
        if str(e) == _NO_DOCTYPE:  # expat is inside the declaration by now; point at its start
            offset = max(text.rfind("<!DOCTYPE", 0, offset + 1), 0)
        line, col = line_col(text, offset)
        raise EnunciateError(f"{e} (line {line}, column {col})") from None
    except expat.ExpatError as e:
        if parser.ErrorByteIndex >= 0:
            line, col = line_col(text, to_char(parser.ErrorByteIndex))
        else:
            line, col = e.lineno, e.offset + 1
        raise EnunciateError(f"malformed SSML at line {line}, column {col}: "
                             f"{expat.ErrorString(e.code)}") from None
    aligned.append(" " * (len(text) - state["pos"]))
    return root[0], "".join(aligned)


# ---------------------------------------------------------------- attribute values

def _break_seconds(el: _Element, where: _Where) -> float:
    time = el.attrs.get("time")
    if time is not None:
        m = _BREAK_TIME.fullmatch(time)
        if not m:
            raise EnunciateError(f"bad <break time={time!r}> {where}: use a duration like 500ms or 1.5s")
        seconds = float(m.group(1)) / (1000.0 if m.group(2).lower() == "ms" else 1.0)
    else:
        strength = el.attrs.get("strength", "medium")
        if strength not in BREAK_STRENGTH_S:
            raise EnunciateError(f"bad <break strength={strength!r}> {where}; use one of "
                                 + ", ".join(BREAK_STRENGTH_S))
        seconds = BREAK_STRENGTH_S[strength]
    if seconds > MAX_BREAK_S:
        log.warning("<break> of %g s %s capped at %g s", seconds, where, MAX_BREAK_S)
        seconds = MAX_BREAK_S
    return seconds


def _rate(value: str, where: _Where) -> float:
    """A <prosody rate> as a speed multiplier: a label, "80%" (absolute), "+10%" (relative), 1.2."""
    if value.strip() in RATES:
        return RATES[value.strip()]
    m = _RATE_PERCENT.fullmatch(value)
    if m:
        percent = float(m.group(2))
        return {"+": 1 + percent / 100, "-": 1 - percent / 100}.get(m.group(1), percent / 100)
    m = _RATE_NUMBER.fullmatch(value)
    if m:
        return float(m.group(1))
    raise EnunciateError(f"bad <prosody rate={value!r}> {where}; use one of {', '.join(RATES)}, "
                         "a percentage (80%) or a multiplier (1.2)")


def _phonemes(el: _Element, where: _Where) -> str | None:
    """<phoneme ph> in the Kokoro alphabet; None (with a warning) when it cannot be used."""
    alphabet = el.attrs.get("alphabet", "ipa").lower()
    ph = el.attrs.get("ph")
    if alphabet not in PHONEME_ALPHABETS:
        log.warning("<phoneme alphabet=%r> %s is not supported (use %s); its text is read instead",
                    alphabet, where, ", ".join(PHONEME_ALPHABETS))
        return None
    if not ph or not ph.strip():
        log.warning("<phoneme> %s has no ph; its text is read instead", where)
        return None
    ph = " ".join(ph.split())
    if alphabet == "ipa":
        # ASCII look-alikes people type for IPA: g for ɡ, ' for primary stress, : for length
        ph = espeak_to_kokoro(ph.replace("g", "ɡ").replace("'", "ˈ").replace(":", "ː"))
    bad = [ch for ch in dict.fromkeys(ph) if ch not in KOKORO_SYMBOLS]
    if bad:
        name = "English IPA" if alphabet == "ipa" else "the Kokoro alphabet"
        raise EnunciateError(f"<phoneme ph={el.attrs['ph']!r}> {where} has symbols outside {name}: "
                             + ", ".join(repr(ch) for ch in bad))
    return ph


# ---------------------------------------------------------------- reading the tree

def _mark(s: str) -> str:
    """The prosodic mark a punctuation token stands for ("," "?" ...), as the normalizer gives it."""
    s = s.replace(_PAD, "").strip()
    if s in P.PROSODY:
        return P.PROSODY[s]
    marks = [P.PROSODY[ch] for ch in s if ch in P.PROSODY]
    if marks and len(marks) == len(s):
        return max(marks, key=P.PROSODY_STRENGTH.get)
    return ""


def _skipped(tokens: list[Token]) -> list[tuple[str, tuple[int, int], str]]:
    out = []
    for t in tokens:
        if t.spoken or t.phonemes is not None or t.kind in ("punct", "break") or not t.original.strip():
            continue
        why = "replaced by an empty <sub> alias" if t.kind == "sub" else f"{t.kind} cannot be spoken"
        out.append((t.original, t.span, why))
    return out


class _Where:
    """"at line L, column C", worked out only when a message is actually made."""

    def __init__(self, text: str, offset: int):
        self.text, self.offset = text, offset

    def __str__(self) -> str:
        line, col = line_col(self.text, self.offset)
        return f"at line {line}, column {col}"

    def __format__(self, spec: str) -> str:
        return str(self)


class _Reader:
    """Walks the <speak> tree, turning text runs and special elements into paragraph tokens."""

    def __init__(self, text: str, aligned: str, known: KnownWords | None):
        self.text, self.aligned, self.known = text, aligned, known
        self.tokens: list[Token] = []
        self.marks: list[tuple[str, tuple[int, int]]] = []  # <mark name> of the running paragraph
        self.pending: list[tuple[int, int]] = []  # text ranges not yet normalized, same rate
        self.pending_rate = 1.0
        self.warned: set[str] = set()

    def where(self, offset: int) -> _Where:
        return _Where(self.text, offset)

    def warn_once(self, key: str, message: str, *args) -> None:
        if key not in self.warned:
            self.warned.add(key)
            log.warning(message, *args)

    # -- paragraph assembly ------------------------------------------------------------------
    def add_text(self, start: int, end: int, rate: float) -> None:
        if self.pending and rate != self.pending_rate:
            self.flush_text()
        self.pending.append((start, end))
        self.pending_rate = rate

    def flush_text(self) -> None:
        """Normalize the pending text as one run (markup between its ranges reads as spaces)."""
        if not self.pending:
            return
        first, pos = self.pending[0][0], self.pending[0][0]
        pieces = []
        for start, end in self.pending:
            pieces += [" " * (start - pos), self.aligned[start:end]]
            pos = end
        self.pending = []
        attach = True  # marks before this run's first word belong to the word before the run
        for tok in normalize("".join(pieces), first, self.known):
            tok.original = self.text[tok.span[0]:tok.span[1]]
            tok.rate = self.pending_rate
            if tok.spoken or tok.phonemes is not None:
                attach = False
            elif attach and tok.kind == "punct":
                self.attach_mark(_mark(self.aligned[tok.span[0]:tok.span[1]]))
            self.tokens.append(tok)

    def attach_mark(self, mark: str) -> None:
        last = self.last_spoken(0)
        if last is not None and mark and P.PROSODY_STRENGTH[mark] >= P.PROSODY_STRENGTH.get(last.punct, -1):
            last.punct = mark

    def last_spoken(self, since: int) -> Token | None:
        for k in range(len(self.tokens) - 1, since - 1, -1):
            if self.tokens[k].spoken or self.tokens[k].phonemes is not None:
                return self.tokens[k]
        return None

    def end_sentence(self, since: int = 0) -> None:
        last = self.last_spoken(since)
        if last is not None and punctuation(last) not in SENTENCE_END:
            last.punct = "."

    def add(self, tok: Token) -> None:
        self.flush_text()
        self.tokens.append(tok)

    def paragraph(self) -> Iterator[Paragraph]:
        self.flush_text()
        if self.tokens or self.marks:
            yield Paragraph("paragraph", self.tokens, PARAGRAPH_PAUSE_S, _skipped(self.tokens), self.marks)
        self.tokens, self.marks = [], []

    # -- elements ------------------------------------------------------------------------------
    def read(self, root: _Element) -> Iterator[Paragraph]:
        yield from self.children(root, 1.0)
        yield from self.paragraph()

    def children(self, el: _Element, rate: float) -> Iterator[Paragraph]:
        for child in el.children:
            if isinstance(child, _Text):
                self.add_text(child.start, child.end, rate)
            else:
                yield from self.element(child, rate)

    def content(self, el: _Element) -> tuple[str, tuple[int, int]]:
        """An element's text (markup inside blanked) and the span of its non-blank characters;
        the whole element's span when it has no text."""
        if any(isinstance(c, _Element) for c in el.children):
            self.warn_once(f"nested:{el.name}", "markup inside <%s> is ignored", el.name)
        a, b = el.content
        raw = self.aligned[a:b]
        stripped = raw.strip()
        if not stripped:
            return "", (el.start, el.end)
        start = a + (len(raw) - len(raw.lstrip()))
        value = " ".join(stripped.replace(_PAD, "").split())
        return value, (start, start + len(stripped))

    def token(self, span: tuple[int, int], spoken: str, kind: str, rate: float, **extra) -> Token:
        return Token(self.text[span[0]:span[1]], span, spoken, kind, rate=rate, **extra)

    def element(self, el: _Element, rate: float) -> Iterator[Paragraph]:
        name, where = el.name, self.where(el.start)
        if name == "p":
            yield from self.paragraph()
            yield from self.children(el, rate)
            yield from self.paragraph()
        elif name == "s":
            self.flush_text()
            self.end_sentence()
            since = len(self.tokens)
            yield from self.children(el, rate)
            self.flush_text()
            self.end_sentence(since)
        elif name == "break":
            if self.text[el.tag_end:el.close].strip():
                self.warn_once("break-text", "text inside <break> %s is not read", where)
            self.add(self.token((el.start, el.end), "", "break", rate, pause_after_s=_break_seconds(el, where)))
        elif name == "prosody":
            yield from self.children(el, self.prosody(el, rate, where))
        elif name == "say-as":
            yield from self.say_as(el, rate, where)
        elif name == "sub":
            yield from self.sub(el, rate, where)
        elif name == "phoneme":
            phonemes = _phonemes(el, where)
            if phonemes is None:
                yield from self.children(el, rate)
                return
            value, span = self.content(el)
            self.add(self.token(span, value, "override", rate, phonemes=phonemes))
        elif name == "mark":
            if el.attrs.get("name"):
                self.marks.append((el.attrs["name"], (el.start, el.end)))
            else:
                log.warning("<mark> %s has no name; it is ignored", where)
        elif name in SILENT:
            if name == "lexicon":
                self.warn_once("lexicon", "<lexicon> %s is not loaded; pass lexicon files instead", where)
        elif name in TRANSPARENT:
            yield from self.children(el, rate)
        else:
            if name == "audio":
                self.warn_once("audio", "<audio> %s is not played; its text is read instead", where)
            else:
                self.warn_once(f"unknown:{name}", "unknown SSML element <%s> %s: its text is read", name, where)
            yield from self.children(el, rate)

    def prosody(self, el: _Element, rate: float, where: _Where) -> float:
        ignored = sorted(set(el.attrs) - {"rate"})
        if ignored:
            self.warn_once("prosody", "<prosody %s> %s is ignored (only rate is supported)",
                           " ".join(ignored), where)
        if "rate" not in el.attrs:
            return rate
        wanted = rate * _rate(el.attrs["rate"], where)
        clamped = min(max(wanted, MIN_RATE), MAX_RATE)
        if clamped != wanted:
            log.warning("<prosody rate=%r> %s gives a speed of %.2f, clamped to %.2f",
                        el.attrs["rate"], where, wanted, clamped)
        return round(clamped, 6)

    def say_as(self, el: _Element, rate: float, where: _Where) -> Iterator[Paragraph]:
        interpret_as = el.attrs.get("interpret-as", "")
        value, span = self.content(el)
        if not value:
            return
        reading = say_as(interpret_as, value, el.attrs.get("format"), self.known)
        if reading is None:
            if interpret_as.lower() in SAY_AS:
                log.warning("<say-as interpret-as=%r> %s cannot read %r; it is read normally",
                            interpret_as, where, value if len(value) <= 40 else value[:40] + "…")
            else:
                log.warning("<say-as interpret-as=%r> %s is not supported (use %s); its text is read "
                            "normally", interpret_as, where, ", ".join(SAY_AS))
            yield from self.children(el, rate)
            return
        spoken, kind = reading
        self.add(self.token(span, spoken, kind, rate))

    def sub(self, el: _Element, rate: float, where: _Where) -> Iterator[Paragraph]:
        alias = el.attrs.get("alias")
        if alias is None:
            log.warning("<sub> %s has no alias; its text is read", where)
            yield from self.children(el, rate)
            return
        _, span = self.content(el)
        self.add(self.token(span, normalized_words(alias, self.known), "sub", rate))


def ssml_paragraphs(text: str, known: KnownWords) -> Iterator[Paragraph]:
    """SSML -> Paragraphs whose tokens' spans index `text` (`text[a:b] == token.original`).

    The whole document is parsed (and any error raised) before the first paragraph is yielded.
    """
    root, aligned = _parse(text)
    yield from _Reader(text, aligned, known).read(root)
