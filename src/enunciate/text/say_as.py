"""<say-as> readings for the SSML reader: characters, cardinal, ordinal, digits, date, time,
telephone, verbatim. Each returns (spoken words, token kind), or None when the value does not fit."""
from __future__ import annotations

import re
import unicodedata

from . import numbers as N
from . import patterns as P
from .normalize import KnownWords, normalize
from .phonesets import LETTERS

_NUMBER = re.compile(r"([+\-−]?)(\d+)(?:\.(\d+))?")
_ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th|\.)?", re.IGNORECASE)
_MAX_DIGITS = 3 * len(N.SCALES)
_DATE_FIELD = re.compile(r"\d+|[^\W\d_]+")
# Names for characters read out by <say-as interpret-as="verbatim">, before patterns.SYMBOLS.
_VERBATIM = {".": "dot", ",": "comma", "-": "dash", "_": "underscore", "'": "apostrophe",
             '"': "quote", "!": "exclamation mark", ";": "semicolon", "(": "open paren",
             ")": "close paren", "[": "open bracket", "]": "close bracket", "{": "open brace",
             "}": "close brace", "`": "backtick", " ": ""}


def _letters(value: str, verbatim: bool = False) -> str:
    """Letter names and digit words; punctuation is named when `verbatim`, else skipped."""
    words = []
    for ch in value:
        if ch in "0123456789":
            words.append(N.ONES[int(ch)])
        elif ch.isalpha():
            base = unicodedata.normalize("NFKD", ch)[0].upper()
            words.append(base if base in LETTERS else ch.lower())
        elif verbatim and not ch.isspace():
            name = _VERBATIM.get(ch) or P.SYMBOLS.get(ch) or unicodedata.name(ch, "").lower()
            words.append(name)
    return " ".join(w for w in words if w)


def _cardinal(value: str) -> str | None:
    m = _NUMBER.fullmatch(value.replace(",", "").replace("_", ""))
    if not m:
        return None
    sign = "minus " if m.group(1) in ("-", "−") else ""
    # past the largest named scale (and Python's int() digit limit) a number is its digits
    whole = N.cardinal(int(m.group(2))) if len(m.group(2)) <= _MAX_DIGITS else N.digits(m.group(2))
    return sign + whole + (f" point {N.digits(m.group(3))}" if m.group(3) else "")


def _ordinal(value: str) -> str | None:
    m = _ORDINAL.fullmatch(value.replace(",", ""))
    return N.ordinal(int(m.group(1))) if m and len(m.group(1)) <= _MAX_DIGITS else None


def _date(value: str, fmt: str | None, known: KnownWords | None) -> str | None:
    """Month day year, as the normalizer says dates, whatever order `fmt` gives them in."""
    fields = _DATE_FIELD.findall(value)
    if any(len(f) > 9 for f in fields):
        return None
    if not fmt:
        tokens = normalize(value, 0, known)
        if len(tokens) == 1 and tokens[0].kind == "date":
            return tokens[0].spoken
        fmt = "ymd" if fields and len(fields[0]) == 4 and fields[0].isdigit() else "mdy"
    fmt = fmt.lower()
    if set(fmt) - set("dmy") or len(set(fmt)) != len(fmt) or len(fields) != len(fmt):
        return None
    parts = dict(zip(fmt, fields))
    month = parts.get("m")
    if month is not None:
        number = int(month) if month.isdigit() else P.MONTH_NAMES.get(month.lower().rstrip("."))
        if number is None or not 1 <= number <= 12:
            return None
        month = P.MONTHS[number - 1]
    day = parts.get("d")
    if day is not None:
        if not day.isdigit() or not 1 <= int(day) <= 31:
            return None
        day = N.ordinal(int(day))
    year = parts.get("y")
    if year is not None:
        if not year.isdigit():
            return None
        year = N.year(year)
    return " ".join(p for p in (month, day, year) if p)


def normalized_words(value: str, known: KnownWords | None) -> str:
    """How the normalizer says `value`, as one run of words."""
    return " ".join(t.spoken for t in normalize(value, 0, known) if t.spoken)


def _telephone(value: str) -> str | None:
    if not any(ch.isdigit() for ch in value):
        return None
    words = ["plus" if ch == "+" else _letters(ch) for ch in value if ch == "+" or ch.isalnum()]
    return " ".join(words)


def say_as(interpret_as: str, value: str, fmt: str | None, known: KnownWords | None) -> tuple[str, str] | None:
    """(spoken, kind) for <say-as>, or None when `value` does not fit `interpret_as`."""
    kind = interpret_as.lower()
    if kind == "number":  # older SSML drafts: the reading is in `format`
        kind = {"ordinal": "ordinal", "digits": "digits"}.get((fmt or "").lower(), "cardinal")
    if kind in ("characters", "spell-out", "digits"):
        spoken = _letters(value)
        return (spoken, "number" if kind == "digits" else "letters") if spoken else None
    if kind == "verbatim":
        return _letters(value, verbatim=True), "letters"
    if kind == "cardinal":
        spoken = _cardinal(value)
        return (spoken, "number") if spoken else None
    if kind == "ordinal":
        spoken = _ordinal(value)
        return (spoken, "ordinal") if spoken else None
    if kind == "date":
        spoken = _date(value, fmt, known)
        return (spoken, "date") if spoken else None
    if kind == "time":
        spoken = normalized_words(value, known)
        return (spoken, "time") if any(ch.isdigit() for ch in value) and spoken else None
    if kind == "telephone":
        spoken = _telephone(value)
        return (spoken, "phone") if spoken else None
    return None


SAY_AS = ("characters", "spell-out", "verbatim", "cardinal", "number", "ordinal", "digits", "date",
          "time", "telephone")
