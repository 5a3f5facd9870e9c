"""Reading a piece of technical text: the rule order behind `normalize`.

A piece is a whitespace-free run of folded text with its outer punctuation peeled off. A few
readings span several pieces ("35 ms", "Nov 26, 2026", "7:30 pm"); `read_combo` tries those
first, then `read_core` tries one rule after another on a single piece: abbreviations, URLs,
e-mail addresses and paths whole, then special terms, then numbers of every kind (quantities.py),
flags and handles, words and symbols. Whatever is left is read as code (letters, digits and named
symbols), so every piece gets *some* reading.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from . import numbers as nw
from . import patterns as P
from .quantities import COMBOS, Reading
from .quantities import RULES as NUMBER_RULES
from .tokens import Token
from .words import Context, Item, letters, say_code, say_digits, say_path, say_symbols, say_word, spell_hex

__all__ = ["Context", "Item", "read_combo", "read_core"]

Rule = Callable[[str, Context], Reading]


def _tok(i: int, j: int, spoken: str, kind: str, punct: str = "") -> Token:
    return Token("", (i, j), " ".join(spoken.split()), kind, punct=punct)


def _sentence_ends(ctx: Context) -> bool:
    return ctx.after is None or (ctx.next or "")[:1].isupper()


def _url(c: str, ctx: Context) -> Reading:
    if not P.RE_URL.fullmatch(c):
        return None
    ref = P.RE_FORGE_REF.fullmatch(c)
    if ref:  # "https://github.com/pyenv/pyenv/pull/3442": pyenv pull request thirty four forty two
        kind = P.FORGE_REFS[ref["kind"]]
        number = ref["ref"]
        said = (spell_hex(number[:7]) if kind == "commit" else
                say_digits(number) if len(number) in (4, 5) else nw.integer(number))
        return f"{say_code(ref['repo'], ctx)} {kind} {said}", "url"
    compare = P.RE_FORGE_COMPARE.fullmatch(c)
    if compare:  # ".../compare/v2.6.29...v2.6.30": the changes from one tag to the other
        a, b = (read_core(compare[side], 0, ctx)[0].spoken for side in ("a", "b"))
        return f"{say_code(compare['repo'], ctx)} changes from {a} to {b}", "url"
    body = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", c).rstrip("/")
    return say_path(body, ctx), "url"


def _email(c: str, ctx: Context) -> Reading:
    """"asdf123@example.com": digits in the name are said one by one (one two three), as in a user name."""
    if not P.RE_EMAIL.fullmatch(c):
        return None
    local, _, domain = c.partition("@")
    name = " ".join(nw.digits(part) if part.isdigit() else say_path(part, ctx)
                    for part in re.split(r"(\d+)", local) if part)
    return f"{name} at {say_path(domain, ctx)}", "email"


def _domain(c: str, ctx: Context) -> Reading:
    """A host name with "-" or "_" in it ("my-site.com", "some_university.edu") is an address:
    every separator is said, as in a URL."""
    m = P.RE_DOMAIN.fullmatch(c)
    if not m or not ("-" in c and m["tld"] in P.ADDRESS_TLDS or "_" in c and m["tld"] in P.UNDERSCORE_TLDS):
        return None
    return say_path(c, ctx), "url"


def _path(c: str, ctx: Context) -> Reading:
    if P.RE_WINDOWS_PATH.fullmatch(c) or (len(c) > 1 and c.startswith(("/", "~/", "./", "../"))):
        return say_path(c, ctx), "path"
    if "/" not in c or not (c[0].isalpha() or c[0] in "._~"):
        return None
    segments = c.rstrip("/").split("/")
    has_file = bool(re.search(r"[A-Za-z0-9_-]\.[A-Za-z][A-Za-z0-9]{0,7}$", segments[-1]))
    if len(segments) >= 3 or c.endswith("/") or has_file:  # "peek/peek_mut" is two names, not a path
        return say_path(c, ctx), "path"
    return None


def _abbreviation(c: str, ctx: Context) -> Reading:
    low = c.lower()
    if c[:1].isupper() and low.endswith(".") and P.MONTH_NAMES.get(low[:-1]):  # "end of Dec. The"
        return P.MONTHS[P.MONTH_NAMES[low[:-1]] - 1], "word", "." if _sentence_ends(ctx) else ""
    if low not in P.ABBREVIATIONS:
        return None
    if c == "St." and (ctx.next or "")[:1].isupper() and not (ctx.prev or "")[:1].isupper() \
            and not (ctx.prev or "")[:1].isdigit():  # "St. Louis", "on St. Patrick's Day"; "Elm St." is a street
        return "saint", "abbreviation"
    if low in P.NEEDS_NUMBER and not (ctx.next or "")[:1].isdigit():
        return say_word(c[:-1], ctx)[0], "word", "."  # "say no." is a word and a full stop
    punct = "." if low in P.CAN_END_SENTENCE and _sentence_ends(ctx) else ""
    return P.ABBREVIATIONS[low], "abbreviation", punct


def _dotted_letters(c: str, ctx: Context) -> Reading:
    if c.lower() in P.AM_PM:
        return P.AM_PM[c.lower()], "letters", "." if ctx.after is None else ""
    if P.RE_DOTTED_LETTERS.fullmatch(c) or (P.RE_DOTTED_INITIALS.fullmatch(c) and _initials(c, ctx)):
        return letters(c), "letters", "." if ctx.after is None else ""  # "U.S.", "Ph.D.", "300 B.C"
    return None


def _initials(c: str, ctx: Context) -> bool:
    """"Ph.D.", "Ph.D", "300 B.C" are initials; "X.Y.Z" (SemVer's parts) is not."""
    return (c.endswith(".") or any(ch.islower() for ch in c)
            or any(n and n[0].isdigit() for n in (ctx.prev, ctx.next)))


def _flag(c: str, ctx: Context) -> Reading:
    if not P.RE_FLAG.fullmatch(c) or c[1:].lower() in P.MATH_WORDS:  # "-pi", "-inf": negative, not flags
        return None
    dashes = len(c) - len(c.lstrip("-"))
    name, eq, value = c[dashes:].partition("=")
    if dashes == 1 and len(name) <= 3 and name.isalpha():
        said = letters(name)
    else:
        said = say_code(name, ctx)
    spoken = " ".join(["dash"] * dashes + [said])
    if eq:
        spoken += " equals " + say_code(value, ctx)
    return spoken, "flag"


def _handle(c: str, ctx: Context) -> Reading:
    m = P.RE_HANDLE.fullmatch(c)
    if not m:
        return None
    if m["number"]:
        digits = m["number"]  # "#4512": forty five twelve, "#14247": fourteen two forty seven, as PRs are said
        repo = f"{say_code(m['repo'], ctx)} " if m["repo"] and m["sign"] == "#" else ""  # "nodejs/node#123"
        return f"{repo}number {say_digits(digits) if len(digits) in (4, 5) else nw.integer(digits)}", "hashtag"
    if m["repo"]:
        return None
    name = say_code(m["name"], ctx)
    if m["sign"] == "@":
        return f"at {name}", "mention"
    return ("hash " if m["name"].lower() in P.HASH_WORDS else "hashtag ") + name, "hashtag"


def _braced_plural(c: str, ctx: Context) -> Reading:
    """Node's docs pluralize a type in braces: "{string}s", "{URL}s", "{TypedArray}s" are strings,
    U R Ls, typed arrays."""
    m = re.fullmatch(r"([A-Za-z][A-Za-z0-9]*)\}s", c)
    if not m or ctx.before != "{":
        return None
    return say_word(m[1] + "s", ctx)


def _cve(c: str, ctx: Context) -> Reading:
    """"CVE-2025-55132": CVE twenty twenty five, fifty five one thirty two, as advisories are said."""
    m = P.RE_CVE.fullmatch(c)
    return (f"CVE {nw.year(m['year'])} {say_digits(m['number'])}", "code") if m else None


def _hyphenated(c: str, ctx: Context) -> Reading:
    if not P.RE_HYPHENATED.fullmatch(c):
        return None
    if ctx.knows(c):
        return c, "term"
    return " ".join(say_word(p, ctx)[0] for p in c.split("-")), "word"


def _slash_words(c: str, ctx: Context) -> Reading:
    """"read/write" -> "read write": a slash between two words is not said, except after Reddit's
    "r/" and "u/" ("r/LocalLLaMA": R slash local llama)."""
    if not P.RE_SLASH_WORDS.fullmatch(c):
        return None
    first, _, rest = c.partition("/")
    if (first.isdigit() and len(rest) == 1) or (rest.isdigit() and len(first) == 1):
        return None  # "x/2", "1/x": a quotient, read "over" as code
    if first in ("r", "u") and len(rest) >= 3:
        return f"{first.upper()} slash {say_word(rest, ctx)[0]}", "word"
    return " ".join(say_word(p, ctx)[0] for p in c.split("/")), "word"


def _operand(word: str, other: str) -> bool:
    """A number, a power or a one-letter variable: what stands on either side of a minus. The
    article "a" and the pronoun "I" count only beside another such operand ("a - b")."""
    if P.RE_DECIMAL.fullmatch(word) or P.RE_POWER.fullmatch(word) or re.fullmatch(r"\w+\^\S+", word):
        return True  # "5", "2^8", "2^(2n)"
    if word in ("a", "A", "I"):
        return len(other) == 1 and other.isalpha() or bool(P.RE_DECIMAL.fullmatch(other))
    return len(word) == 1 and word.isalpha()


def _spaced_dash(c: str, ctx: Context) -> Reading:
    """A "-" or "−" between spaces, between operands: "5 - 3", "x - y", "(a + b) - c" are minus;
    "pages 5 - 10", "2019 - 2023" rise, so they are a range, as is an en dash between numbers
    ("5 – 10"). Elsewhere a dash is a pause."""
    a, b = ctx.before, ctx.after
    if a and b and all(P.RE_TIME.fullmatch(t) or P.RE_HOUR_AMPM.fullmatch(t) for t in (a, b)):
        return "to", "range"  # "3pm - 5pm", "10:30 - 11:45"
    if not a or not b or not ((a in ")]" or _operand(a, b)) and (b in "([" or _operand(b, a))):
        return None
    if a == "]" and b in "([":  # "[`8f9ba3f623`] - (CVE-…) lib: …": a changelog's separator
        return None
    numbers = P.RE_DECIMAL.fullmatch(a) and P.RE_DECIMAL.fullmatch(b)
    if c == "–":  # an en dash: a range between numbers ("5 – 10"), else a pause
        return ("to", "range") if numbers else None
    if numbers and ("." in a) != ("." in b):  # "Version 1.1 - 26 February 2007": a separator
        return None
    if c == "-" and numbers and float(b.replace(",", "")) > float(a.replace(",", "")):
        return "to", "range"
    return "minus", "symbol"


def _symbols(c: str, ctx: Context) -> Reading:
    if any(ch.isalnum() for ch in c):
        return None
    if c == "#" and (ctx.next or "").lower() == "of":  # "the # of requests"
        return "number", "symbol"
    if c in ("-", "−", "–"):
        said = _spaced_dash(c, ctx)
        if said:
            return said
        if c == "−":
            return "", "punct", ","
    if c in P.PROSODY:
        return "", "punct", P.PROSODY[c]
    if all(ch in P.PROSODY for ch in c):  # "?!", "!!!", "?.." in prose: the strongest mark
        return "", "punct", max((P.PROSODY[ch] for ch in c), key=P.PROSODY_STRENGTH.get)
    after = ctx.after or ""
    if c == "~" and re.match(r"\d+\.\d+\.", after):  # "~1.2.3": Cargo's and npm's tilde requirement
        return "tilde", "symbol"
    if c in P.APPROXIMATE and (after[:1].isdigit() or (after[:1] in P.CURRENCIES and after[1:2].isdigit())):
        # "~5 ms", "<10%", "~$5"
        return P.APPROXIMATE[c], "symbol"
    if all(ch in P.OPENERS or ch in P.CLOSERS or ch in "\"'`" for ch in c):
        return "", "punct"
    if c == "*":  # "a * b" is multiplication; a lone star elsewhere is a footnote mark
        return ("times" if ctx.prev and ctx.next else ""), "symbol"
    return say_symbols(c), "symbol"


# Tried in order. Pieces read whole come before special terms, so that a term inside a URL or a
# path stays part of it; everything that can contain a term comes after.
def _instance_type(c: str, ctx: Context) -> Reading:
    """EC2 instance types: "c5.2xlarge" C five two X large, "m7i-flex.large" M seven I flex large."""
    m = P.RE_INSTANCE_TYPE.fullmatch(c)
    if not m:
        return None
    family = " ".join(letters(run) if run.isalpha() and run != "flex" else run if run.isalpha() else nw.integer(run)
                      for run in re.findall(r"[a-z]+|\d+", m["family"]))
    count, x, size = m["count"], m["x"], m["size"]
    said = " ".join(w for w in (nw.integer(count) if count else "", "X" if x else "", size) if w)
    return f"{family} {said}", "code"


def _hex(c: str, ctx: Context) -> Reading:
    """Hexadecimal identifiers, character by character: a UUID group by group ("550e8400-e29b-...":
    five five zero E eight four zero zero dash E two nine B ...), "0x1F" hex one F, "#ff8800"
    hash F F eight eight zero zero, a digest or commit hash ("3f9a2b1c...") whole."""
    if P.RE_UUID.fullmatch(c):
        return " dash ".join(spell_hex(group) for group in c.split("-")), "code"
    m = P.RE_HEX_LITERAL.fullmatch(c)
    if m:
        return f"hex {spell_hex(m['hex'])}", "code"
    m = P.RE_HEX_COLOR.fullmatch(c)
    if m:
        return f"hash {spell_hex(m['hex'])}", "code"
    bracketed = ctx.before in ("[", "`") and ctx.after in ("]", "`")
    if P.RE_HEX_DIGEST.fullmatch(c) or (bracketed and P.RE_COMMIT.fullmatch(c)):
        return spell_hex(c), "code"
    return None


_WHOLE: list[Rule] = [_abbreviation, _url, _email, _path, _instance_type, _domain]
_RULES: list[Rule] = [_braced_plural, _cve, _hex, _dotted_letters, *NUMBER_RULES, _flag, _handle, _hyphenated,
                      _slash_words, _symbols]
_PATH_PREFIXES = ("/", "~/", "./", "../")
_OWNER_POSSESSIVE = re.compile(r"([A-Za-z0-9.]*\d|\w[\w.]*(?:::\w+)+|\w+(?:\.\w+)*\(\))['’]s")
# "V8's", "3's", "1990's"; code's: "Location::file's", "close()'s"


def _split_terms(c: str, ctx: Context) -> list[tuple[int, int, str | None, bool]]:
    """Special terms in `c`, longest match first: [(start, end, spoken or None, plural)]."""
    low = c.lower()
    pieces: list[tuple[int, int, str | None, bool]] = []
    k = last = 0
    while k < len(low):
        hit = None
        if k == 0 or not (c[k - 1].isalnum() and c[k].isalnum()):
            for term, spoken in ctx.terms.get(low[k], ()):
                end = k + len(term)
                if not low.startswith(term, k):
                    continue
                # "GPT-4os" is rare, "GPT-4o's" is not: a plural or possessive ends in /z/
                ending = next((e for e in ("s", "'s", "’s") if c.startswith(e, end)
                               and (end + len(e) == len(c) or not c[end + len(e)].isalnum())), "")
                if end < len(c) and c[end].isalnum() and term[-1].isalnum() and not ending:
                    continue
                hit = (k, end + len(ending), spoken, bool(ending))
                break
        if hit:
            if hit[0] > last:
                pieces.append((last, hit[0], None, False))
            pieces.append(hit)
            k = last = hit[1]
        else:
            k += 1
    if pieces and last < len(c):
        pieces.append((last, len(c), None, False))
    return pieces


def _read_terms(c: str, i: int, ctx: Context) -> list[Token] | None:
    pieces = _split_terms(c, ctx)
    if not pieces:
        return None
    tokens: list[Token] = []
    for a, b, spoken, plural in pieces:
        if spoken is not None:
            tokens.append(_tok(i + a, i + b, spoken, "term_plural" if plural else "term"))
            continue
        inner = c[a:b].strip("-_/")  # "Node.js-based": the joining hyphen is not said
        if not inner:
            tokens.append(_tok(i + a, i + b, "", "symbol"))
            continue
        start = a + c[a:b].index(inner)
        sub = read_core(inner, i + start, Context.bare(ctx.known, ctx.terms))
        sub[0].span = (i + a, sub[0].span[1])
        sub[-1].span = (sub[-1].span[0], i + b)
        tokens += sub
    return tokens


def read_core(c: str, i: int, ctx: Context) -> list[Token]:
    """Read one piece starting at folded index `i`; usually one Token, several when special
    terms are embedded in it ("Node.js-based")."""
    j = i + len(c)
    if not any(ch.isalnum() for ch in c) and not (len(c) > 1 and c.startswith(_PATH_PREFIXES)):
        return [_tok(i, j, *_symbols(c, ctx))]
    owned = _OWNER_POSSESSIVE.fullmatch(c) if len(c) <= P.MAX_PATTERN_LEN else None
    if owned:  # "the 1990's" is a decade; "V8's", "Python 3's" the owner's
        decade = P.RE_DECADE.fullmatch(owned[1] + "s") or P.RE_DECADE.fullmatch("'" + owned[1] + "s")
        if decade:
            return [_tok(i, j, nw.decade(decade["short"] or decade["year"]), "year")]
        tokens = read_core(owned[1], i, ctx)
        tokens[-1].span = (tokens[-1].span[0], j)
        if tokens[-1].spoken:
            tokens[-1].spoken += "'s"
        return tokens
    if len(c) > P.MAX_PATTERN_LEN:  # only the rules that stay linear on any input
        reading = _url(c, ctx) or _email(c, ctx) or _path(c, ctx) or (say_code(c, ctx), "code")
        return [_tok(i, j, *reading)]
    if P.RE_WORD.fullmatch(c) and not _split_terms(c, ctx):
        return [_tok(i, j, *say_word(c, ctx))]
    for rule in _WHOLE:
        reading = rule(c, ctx)
        if reading:
            return [_tok(i, j, *reading)]
    tokens = _read_terms(c, i, ctx)
    if tokens:
        return tokens
    for rule in _RULES:
        reading = rule(c, ctx)
        if reading:
            return [_tok(i, j, *reading)]
    return [_tok(i, j, say_code(c, ctx), "code")]


def read_combo(items: list[Item], k: int) -> tuple[int, Token] | None:
    """A reading spanning items[k:k+n] as one Token, or None. Combos return (n, spoken, kind)
    or (n, spoken, kind, punct)."""
    if items[k].punct:
        return None
    for combo in COMBOS:
        got = combo(items, k)
        if got:
            n, *reading = got
            return n, _tok(items[k].i, items[k + n - 1].j, *reading)
    return None
