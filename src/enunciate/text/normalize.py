"""Technical text -> Tokens: what each piece of the original input is, and how it is said.

`normalize(text, offset, known)` returns Tokens in order. Together their spans cover every
character of `text` except whitespace and zero-width characters; `token.original` is always
`text[span[0] - offset:span[1] - offset]`, so later stages can point back at the document.

Conventions (the G2P relies on them):
- `spoken` is lowercase words separated by single spaces. A single upper-case letter is said by
  its name ("G P U"). A term the lexicon knows keeps its written form for lookup: "CUDA" as in
  the text, a special term as the lexicon spells it ("node.js" -> "Node.js"). Without a lexicon,
  a few well-known terms have fixed readings ("C++" C plus plus).
- Punctuation: every mark is its own Token (kind "punct", spoken "", punct ""), so nothing is
  lost. Its prosodic mark (, . ? ! ; :) is moved to `punct` of the nearest preceding spoken token,
  the only place the G2P and the chunker should read it; dashes between words become "," and
  ellipses ".", and when several marks follow a word the strongest wins (? ! . ; : ,). Marks
  inside a multi-piece reading ("Nov 26, 2026") or an abbreviation's own dot ("etc.") belong to
  that token; an abbreviation that ends the sentence also gets punct ".".
- Acronym plurals and possessives ("GPUs", "GPU's"): spoken is the singular ("G P U") with kind
  "acronym_plural", or the term ("GPU", kind "term_plural") when `known` knows the singular; the
  G2P appends the plural /z/.
- HTTP status codes, ports and model numbers are read in groups: "four oh four", "two hundred",
  "forty ninety" (RTX 4090); years in pairs ("in 2026" twenty twenty six); other integers as
  quantities ("2048" two thousand forty eight).
- A slash between two plain words is silent ("read/write" read write); in paths and URLs every
  separator is said ("slash etc slash nginx dot conf"); URL schemes are dropped.
- Pronunciation overrides: "[word](/IPA/)" (espeak-style IPA, converted to Kokoro's alphabet) or
  "[word](kokoro:phonemes)" (used as is) become one Token of kind "override" whose `phonemes`
  are fixed and whose `spoken` is the word.
- Characters that cannot be said (emoji, ©, other scripts) become kind "symbol" with spoken ""
  so a report can list them; symbols with a sensible name are said ("&" and, "+" plus).
"""
from __future__ import annotations

import re
import weakref
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from . import patterns as P
from .phonesets import espeak_to_kokoro
from .readings import Context, Item, read_combo, read_core
from .tokens import Token
from .words import is_article

_INVISIBLE = set("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e") | {chr(c) for c in range(0xFE00, 0xFE10)}
_ZWJ = "\u200d"
# Replacements applied before NFKC; characters mapped to themselves are exempt from NFKC
# ("…" would otherwise become three dots, "™" the letters TM).
_FOLD = {"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"', "″": '"',
         "«": '"', "»": '"', "‐": "-", "‑": "-", "‒": "-", "–": "-", "−": "-", "―": "—", "⁄": "/",
         "…": "…", "™": "™", "©": "©", "®": "®", "℃": "°C", "℉": "°F", "µ": "μ"}
_SOLO = set("—…©®™•¶†‡→←↑↓⇒")
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺ⁿⁱ", "0123456789-+ni"))  # "2⁸", "10⁻³", "x²", "m²": exponents
_ASCII_MARK = re.compile(r"\b[A-Z][A-Za-z0-9]+(\((R|TM)\))(?![\w(])")  # "Intel(R)", "Foo(TM)"; not "f(R)"
_SPLIT_CATEGORIES = {"So", "Sk", "Co", "Cn", "Cs", "Cc", "Cf"}
_CHUNK_RE = re.compile(r"[—…]|[^\s—…]+")


class KnownWords(Protocol):
    """What the lexicons can pronounce; lets the normalizer keep words whole instead of spelling."""

    def knows(self, word: str) -> bool: ...

    def special_terms(self) -> Iterable[str]: ...

    # Optional: `knows_word(word)`, a wider test for a word in capitals (a CONSTANT_NAME's part or a
    # shouted word) that is said, not spelled; without it `knows` serves. `names_product(word)`:
    # a term a version follows ("glibc 2.35"); without it only the built-in product names count.
    # `is_tech_term(word)`: a technical or user lexicon term ("IT" in "ASK HR IT" stays I T).


def normalize(text: str, offset: int = 0, known: KnownWords | None = None) -> list[Token]:
    """Split `text` into Tokens saying how each piece is spoken; spans are shifted by `offset`."""
    terms = _term_index(known)
    tokens: list[Token] = []
    pos = 0
    whole = [(m.start(), m.end(), _override(m)) for m in P.RE_OVERRIDE.finditer(text)]
    whole += [(a, b, Token(text[a:b], (a, b), _generic_words(text[a:b], known), "code"))
              for a, b in generic_types(text) if not any(x < b and a < y for x, y, _ in whole)]
    for start, end, token in sorted(whole, key=lambda w: w[0]):
        tokens += _normalize_plain(text, pos, start, known, terms)
        if tokens and tokens[-1].kind == "letters" and text[start - 1] == " " and \
                is_article(tokens[-1].original, token.original, name=True):
            tokens[-1].spoken, tokens[-1].kind = "a", "word"  # "a Vec<T>", "a [kubectl](/…/)": the article
        tokens.append(token)
        pos = end
    tokens += _normalize_plain(text, pos, len(text), known, terms)
    tokens = _split_final_dot(_merge_overlaps(tokens, text))
    _attach_punct(tokens)
    for tok in tokens:
        tok.span = (tok.span[0] + offset, tok.span[1] + offset)
    return tokens


def _split_final_dot(tokens: list[Token]) -> list[Token]:
    """A unit read with its abbreviation dot ("35 ms.") at the end of a sentence: the dot is the
    sentence's, so the word's span stops before it (captions and highlighting show "35 ms")."""
    out: list[Token] = []
    for k, tok in enumerate(tokens):
        nxt = tokens[k + 1] if k + 1 < len(tokens) else None
        ends_sentence = nxt is None or nxt.original[:1].isupper()
        if tok.kind == "unit" and tok.original.endswith(".") and len(tok.original) > 1 and ends_sentence:
            a, b = tok.span
            out.append(Token(tok.original[:-1], (a, b - 1), tok.spoken, tok.kind, tok.phonemes, tok.punct))
            out.append(Token(".", (b - 1, b), "", "punct"))
            continue
        out.append(tok)
    return out


_GENERIC_START = re.compile(r"(?<![\w<:.])(?!impl<)[A-Za-z_]\w*(?:::[A-Za-z_]\w*)*<")
_GENERIC_WORD = re.compile(r"(?<![\w'])(?:dyn|impl|mut|const|'\w+)$")  # inside, a space may follow these


def generic_types(text: str) -> list[tuple[int, int]]:
    """Spans of generic types written as code ("Vec<T>", "HashMap<String, Vec<u8>>",
    "Option<&'a str>", "Box<dyn Error + Send>"): a name, "<" straight after it, balanced brackets,
    and inside only names, paths, "&", lifetimes, "[...]", "()", ", " and " + "; a space only after
    a comma, around "+" or after dyn/impl/mut/const or a lifetime. Comparisons ("a<b and c>d")
    have other spaces, and are not generics."""
    spans = []
    for m in _GENERIC_START.finditer(text):
        if spans and m.start() < spans[-1][1]:
            continue
        depth, k = 1, m.end()
        while k < len(text) and depth and k - m.start() <= 120:
            ch = text[k]
            if ch == "<":
                depth += 1
            elif ch == ">":
                depth -= 1
            elif ch == " ":
                if text[k - 1] not in ",+" and text[k + 1:k + 2] != "+" and not _GENERIC_WORD.search(text[m.end():k]):
                    break
            elif not (ch.isalnum() or ch in "_:&',[];?*()+"):
                break
            k += 1
        inner = text[m.end():k - 1]
        placeholder = re.fullmatch(r"[a-z][a-z_-]{2,}", inner) and inner not in _TYPE_NAMES  # "lib<name>.a"
        if (depth == 0 and text[k - 2] != "<" and not placeholder
                and (k == len(text) or not (text[k].isalnum() or text[k] in "_("))):
            spans.append((m.start(), k))
    return spans


# lower-case type names a generic may take ("Vec<u8>", "Promise<void>", "Array<string>"); another
# lower-case word in brackets is a placeholder ("lib<name>.a", "path/<file>")
_TYPE_NAMES = set("""str string int float bool boolean char byte bytes void any unknown never object number bigint
symbol null undefined usize isize self dyn impl mut const long short double unsigned signed size_t""".split())
_GENERIC_MARKS = {"()": "unit", "+": "plus", "<": "of", ",": "and", "&": "ref", "[": "slice of", "?": "maybe",
                  "]": "", ">": ""}


def _generic_words(code: str, known: KnownWords | None) -> str:
    """"HashMap<String, Vec<u8>>" -> "hash map of string and vec of U eight": "of" for the brackets,
    "and" between arguments, "ref" for "&", "slice of" for "[T]", "unit" for "()", "plus" between
    trait bounds; lifetimes are not read."""
    code = re.sub(r"'\w+(?:,\s*)?", "", code)  # lifetimes: "Cow<'a, str>" is a cow of str
    words = [_GENERIC_MARKS[part] if part in _GENERIC_MARKS
             else " ".join(t.spoken for t in normalize(part, known=known) if t.spoken)
             for part in re.findall(r"[A-Za-z_][\w:]*|\(\)|[<>,&\[\]?+]", code)]
    return " ".join(w for w in words if w)


def _override(m: re.Match) -> Token:
    word = " ".join(m.group("word").split())
    if m.group("ipa") is not None:
        phonemes = espeak_to_kokoro(" ".join(m.group("ipa").split()))
    else:
        phonemes = " ".join(m.group("kokoro").split())
    return Token(m.group(0), (m.start(), m.end()), word, "override", phonemes=phonemes)


# ---------------------------------------------------------------- folding and chunking

@dataclass
class _Folded:
    """NFKC-folded text; character k came from original[starts[k]:ends[k]]."""

    text: str
    base: int
    starts: list[int] | None = None  # None: ASCII, folded text is the original slice
    ends: list[int] | None = None

    def span(self, i: int, j: int) -> tuple[int, int]:
        if self.starts is None:
            return self.base + i, self.base + j
        return self.starts[i], self.ends[j - 1]


def _joins(ch: str, prev: str) -> bool:
    """Whether `ch` belongs to the same user-perceived character as the one before it."""
    if ch.isspace() or prev.isspace():
        return False
    return (prev == _ZWJ or ch == _ZWJ or ch in _INVISIBLE or unicodedata.combining(ch) > 0
            or unicodedata.category(ch) in ("Mn", "Me", "Mc") or "\U0001F3FB" <= ch <= "\U0001F3FF"
            or "\U000E0020" <= ch <= "\U000E007F")


def _fold_cluster(cluster: str) -> str:
    """NFKC with the exceptions in _FOLD; zero-width characters fold to nothing."""
    first = cluster[0]
    if first.isspace():
        return " "
    if first in _FOLD:
        out = _FOLD[first] + cluster[1:]
    else:
        out = unicodedata.normalize("NFKC", cluster)
        if any(ch.isspace() for ch in out):  # e.g. spacing diacritics; keep them as written
            out = cluster
        out = "".join(_FOLD.get(ch, ch) for ch in out)
    return "".join(ch for ch in out if ch not in _INVISIBLE)


def _fold(text: str, start: int, end: int) -> _Folded:
    """Fold text[start:end] one user-perceived character (base + combining marks, emoji
    sequence) at a time, so every folded character maps back to whole original characters."""
    segment = text[start:end]
    marks = {m.start(1) + start: m for m in _ASCII_MARK.finditer(segment)}
    if segment.isascii() and not marks:
        return _Folded(segment, start)
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    k = start
    while k < end:
        ch = text[k]
        if k in marks:  # "Intel(R)" is "Intel®": a mark, not the letter R
            chars.append("™" if marks[k][2] == "TM" else "®")
            starts.append(k)
            ends.append(marks[k].end(1) + start)
            k = marks[k].end(1) + start
            continue
        if ch.isascii() and (k + 1 == end or text[k + 1].isascii()):  # nothing can join it
            chars.append(ch)
            starts.append(k)
            ends.append(k + 1)
            k += 1
            continue
        if ch in _SUPERSCRIPTS:  # a run of superscripts: a power ("2⁸", "2²ⁿ⁻²") or a footnote mark
            m = k
            while m < end and text[m] in _SUPERSCRIPTS:
                m += 1
            run = "".join(_SUPERSCRIPTS[c] for c in text[k:m])
            if P.takes_power("".join(chars)):
                run = "^" + (run if re.fullmatch(r"[-+]?\d+|[a-z]", run) else f"({run})")  # "2²ⁿ⁻²": 2^(2n-2)
            elif chars and chars[-1].isalpha():
                run = "†" * (m - k)  # "shown¹": a footnote mark, not said (reported as not spoken)
            for n, c in enumerate(run):  # each folded character maps to the superscript it came from
                source = k + min(max(n - (len(run) - (m - k)), 0), m - k - 1)
                chars.append(c)
                starts.append(source)
                ends.append(source + 1)
            k = m
            continue
        if ch in "−–" and text[k - 1:k].strip() == "" and text[k + 1:k + 2].strip() == "":
            chars.append(ch)  # "−", "–" on their own: a minus, a range or a pause, not a hyphen
            starts.append(k)
            ends.append(k + 1)
            k += 1
            continue
        m = k + 1
        while m < end and _joins(text[m], text[m - 1]):
            m += 1
        if chars and chars[-1].isdigit() and unicodedata.name(ch, "").startswith("VULGAR FRACTION"):
            chars.append(" ")  # "1½" is one and a half: "1 1/2", not "11/2"
            starts.append(k)
            ends.append(m)
        for ch in _fold_cluster(text[k:m]):
            chars.append(ch)
            starts.append(k)
            ends.append(m)
        k = m
    return _Folded("".join(chars), start, starts, ends)


def _is_solo(ch: str) -> bool:
    """Characters that are never part of a word: emoji, dingbats, controls, private use."""
    if ch in _SOLO:
        return True
    return not ch.isascii() and ch != "°" and unicodedata.category(ch) in _SPLIT_CATEGORIES


def _chunks(s: str) -> list[tuple[int, int]]:
    """Whitespace-separated runs, with dashes, ellipses and symbol characters split off."""
    out = []
    for m in _CHUNK_RE.finditer(s):
        i, j = m.span()
        if s[i:j].isascii():
            out.append((i, j))
            continue
        k = i
        while k < j:  # split solo characters (grouped when adjacent) from the rest
            solo = _is_solo(s[k])
            m2 = k + 1
            while m2 < j and _is_solo(s[m2]) == solo:
                m2 += 1
            out.append((k, m2))
            k = m2
    return out


def _keeps_dot(core: str) -> bool:
    """Whether a final "." belongs to the piece: "etc.", "U.S.", "a.m.", "Nov."."""
    low = core.lower()
    return (low in P.ABBREVIATIONS or low in P.AM_PM or bool(P.RE_DOTTED_LETTERS.fullmatch(core))
            or bool(P.RE_DOTTED_INITIALS.fullmatch(core))
            or (core[:1].isupper() and low[:-1] in P.MONTH_NAMES))


def _peel(s: str, i: int, j: int) -> list[Item]:
    """Split leading openers and trailing punctuation off a chunk; runs of one mark stay whole."""
    lead: list[Item] = []
    trail: list[Item] = []
    if j - i == 1 or (j - i <= 3 and not any(ch.isalnum() for ch in s[i:j])):
        run = s[i:j]
        if (any(ch in P.CLOSERS for ch in run)
                and all(ch in P.PROSODY or ch in P.CLOSERS or ch in P.TRAILING for ch in run)):
            return [Item(ch, i + n, i + n + 1, punct=True) for n, ch in enumerate(run)]  # ")." left by an emoji
        return [Item(run, i, j, punct=run in P.PROSODY)]
    while i < j and s[i] in P.OPENERS and not P.RE_DECADE.match(s, i, j):
        lead.append(Item(s[i], i, i + 1, punct=True))
        i += 1
    k = i
    while k < j and k - i < 2 and s[k] in "~≈<>≤≥±=":
        k += 1
    starts_number = k < j and (s[k].isdigit() or (s[k] in P.CURRENCIES and k + 1 < j and s[k + 1].isdigit()))
    if i < k and starts_number and s[i:k] in P.APPROXIMATE:  # "~5ms" -> "~" "5ms"; "~$5" too
        lead.append(Item(s[i:k], i, k, punct=True))
        i = k
    counts: dict[str, int] = {}  # brackets in the chunk, counted once so peeling stays linear
    while j > i:
        ch = s[j - 1]
        if ch in P.CLOSERS:
            if not counts:
                counts = {b: s.count(b, i, j) for b in "()[]{}"}
            if counts[P.CLOSERS[ch]] >= counts[ch]:
                break
        elif ch not in P.TRAILING or (ch == "." and j - i <= 64 and _keeps_dot(s[i:j])):
            break
        k = j - 1
        while k > i and s[k - 1] == ch and ch in ".!?":
            k -= 1
        if ch in P.CLOSERS:
            counts[ch] -= j - k
        trail.append(Item(s[k:j], k, j, punct=True))
        j = k
    middle = [Item(s[i:j], i, j)] if j > i else []
    return lead + middle + trail[::-1]


def _normalize_plain(text: str, start: int, end: int, known: KnownWords | None,
                     terms: dict[str, list[tuple[str, str]]]) -> list[Token]:
    """Tokens for text[start:end], which holds no pronunciation override."""
    if start >= end:
        return []
    folded = _fold(text, start, end)
    items = [item for i, j in _chunks(folded.text) for item in _peel(folded.text, i, j)]
    tokens = _read_items(items, known, terms)
    for tok in tokens:
        s, e = folded.span(*tok.span)
        tok.span = (s, e)
        tok.original = text[s:e]
    return tokens


def _merge_overlaps(tokens: list[Token], text: str) -> list[Token]:
    """One original character folded into several (ligatures, "⑴") may have been split across
    tokens; merge such tokens so spans never overlap."""
    out: list[Token] = []
    for tok in tokens:
        if out and tok.span[0] < out[-1].span[1]:
            prev = out[-1]
            s, e = prev.span[0], max(prev.span[1], tok.span[1])
            prev.span, prev.original = (s, e), text[s:e]
            prev.spoken = " ".join(x for x in (prev.spoken, tok.spoken) if x)
            if not prev.phonemes and tok.spoken and prev.kind in ("punct", "symbol"):
                prev.kind = tok.kind
            prev.punct = _stronger(prev.punct, tok.punct)
            continue
        out.append(tok)
    return out


def _stronger(a: str, b: str) -> str:
    if not a or not b:
        return a or b
    return a if P.PROSODY_STRENGTH[a] >= P.PROSODY_STRENGTH[b] else b


def _attach_punct(tokens: list[Token]) -> None:
    """Move each punctuation token's prosodic mark onto the preceding spoken token."""
    last: Token | None = None
    for tok in tokens:
        if tok.kind == "punct":
            mark, tok.punct = tok.punct, ""
            if last is not None and mark:
                last.punct = _stronger(last.punct, mark)
        elif tok.spoken:
            last = tok


# ---------------------------------------------------------------- reading items

_INDEXES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_NO_LEXICON_INDEX: dict = {}


def _term_index(known: KnownWords | None) -> dict[str, list[tuple[str, str]]]:
    """The index of `known`'s special terms, built once per `known` object (it is the same G2P for a
    whole document, and rebuilding it per paragraph was most of the normalizer's time)."""
    if known is None:
        if not _NO_LEXICON_INDEX:
            _NO_LEXICON_INDEX.update(_build_term_index(None))
        return _NO_LEXICON_INDEX
    try:
        index = _INDEXES.get(known)
        if index is None:
            index = _INDEXES[known] = _build_term_index(known)
        return index
    except TypeError:  # not weak-referenceable: build each time
        return _build_term_index(known)


def _build_term_index(known: KnownWords | None) -> dict[str, list[tuple[str, str]]]:
    """Special terms by lowercased first character: [(lowercased term, spoken)], longest first.
    The lexicon's terms are said as written; the built-in ones have fixed readings."""
    index: dict[str, list[tuple[str, str]]] = {}
    seen = set()
    lexicon = [(t, t) for t in (known.special_terms() if known is not None else ()) if t and " " not in t]
    for term, spoken in lexicon + list(P.BUILTIN_TERMS.items()):
        low = term.lower()
        if low not in seen:
            seen.add(low)
            index.setdefault(low[0], []).append((low, spoken))
    for entries in index.values():
        entries.sort(key=lambda e: -len(e[0]))
    return index


def _read_items(items: list[Item], known: KnownWords | None,
                terms: dict[str, list[tuple[str, str]]]) -> list[Token]:
    """Tokens for the items in order, preferring readings that span several items."""
    tokens: list[Token] = []
    k = 0
    while k < len(items):
        item = items[k]
        if not item.punct:
            got = read_combo(items, k)
            if got:
                n, tok = got
                tokens.append(tok)
                k += n
                continue
        if _lone_dash_operand(items, k):  # "when FILE is -, read standard input": the file named -
            tokens.append(Token("-", (item.i, item.i + 1), "dash", "symbol"))
            if len(item.text) > 1:  # "-," is one item: its comma is still a pause
                tokens += read_core(item.text[1:], item.i + 1, Context.around(items, k, known, terms))
            k += 1
            continue
        ctx = Context.around(items, k, known, terms)
        tokens += read_core(item.text, item.i, ctx)
        k += 1
        if _detached_possessive(items, k) and tokens[-1].spoken and tokens[-1].phonemes is None:
            last = tokens[-1]  # "`pytest`'s": markup blanked between the name and its 's
            last.kind = "acronym_plural" if last.kind in ("acronym", "letters") else "term_plural"
            last.span = (last.span[0], items[k + 1].j)
            k += 2
    return tokens


def _detached_possessive(items: list[Item], k: int) -> bool:
    """items[k:k+2] are "'" and "s" after a space: an 's cut off its word by blanked markup."""
    return (k + 1 < len(items) and k > 0 and items[k].text == "'" and items[k + 1].text == "s"
            and items[k].i > items[k - 1].j and items[k + 1].i == items[k].j
            and (k + 2 == len(items) or items[k + 2].i > items[k + 1].j))


def _lone_dash_operand(items: list[Item], k: int) -> bool:
    """items[k] is a "-" standing alone after a word and before a comma, semicolon, period or the
    end: an operand (standard input in manual pages, "cat -"), not a dash between two phrases."""
    text = items[k].text
    if text[:1] != "-" or not k or items[k - 1].punct or items[k].i == items[k - 1].j:
        return False
    if len(text) > 1:  # "-," and "-.": the mark follows in the same item
        return all(ch in ",;.:)" for ch in text[1:])
    return k + 1 == len(items) or (items[k + 1].punct and items[k + 1].text in (",", ";", ".", ":", ")"))
