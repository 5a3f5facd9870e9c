"""Transcript normalizer for scoring: reference and ASR hypothesis are both passed through
`normalize_transcript` so "35 ms", "35 milliseconds" and "thirty-five milliseconds" compare equal.

Canonical form: lowercase words, no punctuation, numbers spelled out as words, units spelled out.
Unit abbreviations are case-sensitive on purpose: "35 ms" means milliseconds, while "35 MS" is what
Whisper writes when it hears the letters "M S" — a wrong reading that must not score as right.
"""
from __future__ import annotations

import re
import unicodedata

from num2words import num2words

# Units written after a number, matched case-sensitively.
_UNITS = {
    "ns": "nanoseconds", "µs": "microseconds", "μs": "microseconds", "us": "microseconds",
    "ms": "milliseconds", "s": "seconds", "sec": "seconds", "min": "minutes", "h": "hours", "hr": "hours",
    "B": "billion", "M": "million", "bn": "billion",
    "KB": "kilobytes", "kB": "kilobytes", "MB": "megabytes", "GB": "gigabytes", "TB": "terabytes",
    "PB": "petabytes", "KiB": "kibibytes", "MiB": "mebibytes", "GiB": "gibibytes", "TiB": "tebibytes",
    "Kb": "kilobits", "Mb": "megabits", "Gb": "gigabits",
    "Hz": "hertz", "kHz": "kilohertz", "KHz": "kilohertz", "MHz": "megahertz", "GHz": "gigahertz",
    "kbps": "kilobits per second", "Kbps": "kilobits per second", "Mbps": "megabits per second",
    "Gbps": "gigabits per second", "fps": "frames per second", "rpm": "revolutions per minute",
    "W": "watts", "kW": "kilowatts", "mAh": "milliamp hours", "nm": "nanometers", "mm": "millimeters",
    "cm": "centimeters", "km": "kilometers", "TFLOPS": "teraflops", "GFLOPS": "gigaflops",
    "TOPS": "tops", "°C": "degrees celsius", "°F": "degrees fahrenheit", "%": "percent", "x": "times", "X": "times",
}
# Units that mean the same whatever their case (Whisper writes "12gb" as often as "12 GB").
_UNITS_ANY_CASE = {
    k.lower(): v
    for k, v in _UNITS.items()
    if k in {"KB", "MB", "GB", "TB", "PB", "KiB", "MiB", "GiB", "TiB", "kHz", "MHz", "GHz", "Hz",
             "Mbps", "Gbps", "Kbps", "fps", "rpm", "TFLOPS", "GFLOPS"}
}
_UNIT_RE = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)*)\s?("
    + "|".join(re.escape(u) for u in sorted({*_UNITS, *_UNITS_ANY_CASE}, key=len, reverse=True))
    + r")(?![\w°])",
    re.IGNORECASE,
)
_CURRENCY = {"$": ("dollar", "dollars"), "€": ("euro", "euros"), "£": ("pound", "pounds")}
_CURRENCY_RE = re.compile(r"([$€£])\s?(\d+)(?:\.(\d+))?(?:\s?(thousand|million|billion|trillion|k|m|bn|b)\b)?",
                          re.IGNORECASE)
_SCALE = {"k": "thousand", "m": "million", "b": "billion", "bn": "billion"}
_CURRENCY_WORDS = {word for pair in _CURRENCY.values() for word in pair}
_SYMBOLS = [(re.compile(pattern, re.IGNORECASE), words) for pattern, words in [
    (r"(?<!\w)c\+\+", "c plus plus"), (r"(?<!\w)([cf])#", r"\1 sharp"), (r"&", " and "), (r"@", " at "),
    (r"\+", " plus "), (r"×", " times "), (r"\bper cent\b", "percent"),
]]

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = {"hundred", "thousand", "million", "billion", "trillion"}
_NUMBER_WORDS = {*_ONES, *_TEENS, *_TENS, *_SCALES}


def _digits(digits: str) -> str:
    return " ".join(_ONES[int(d)] for d in digits)


def _cardinal(digits: str) -> str:
    # Leading zeros and very long digit strings (ids, serials) are read digit by digit.
    if (len(digits) > 1 and digits[0] == "0") or len(digits) > 15:
        return _digits(digits)
    return num2words(int(digits))


def _number(match: re.Match) -> str:
    """Digits to words; after a point digit by digit: "2.3.10" -> "two point three point one zero".

    Spoken forms get the same treatment in _spoken_digits, so "point ten" also becomes "point one zero".
    """
    head, *rest = match.group(0).split(".")
    return " ".join([_cardinal(head), *(f"point {_digits(part)}" for part in rest)]) + " "


def _unit(match: re.Match) -> str:
    number, unit = match.group(1), match.group(2)
    word = _UNITS.get(unit) or _UNITS_ANY_CASE.get(unit.lower())
    if word is None:  # e.g. "35 MS": letters, not milliseconds
        return match.group(0)
    before = match.string[: match.start()].rstrip()
    if unit == "s" and (len(number) == 4 or re.search(r"(\bthe|')$", before, re.IGNORECASE)):
        return match.group(0)  # "the 1990s", "the 80s": a decade, not seconds
    if unit in {"B", "M", "bn"} and (match.group(0) != number + unit or float(number.split(".")[0]) >= 1000):
        return match.group(0)  # "7B", "82M" are model sizes; "512 B" or "1080M" are something else
    first, _, rest = word.partition(" ")
    if number == "1" and first.endswith("s") and first != "times":
        # "1 GB" -> "one gigabyte", "1 Mbps" -> "one megabit per second": the spoken singular.
        word = f"{first[:-1]} {rest}".strip()
    return f"{number} {word}"


def _currency(match: re.Match) -> str:
    symbol, whole, fraction, scale = match.groups()
    singular, plural = _CURRENCY[symbol]
    if scale:
        amount = whole + (f".{fraction}" if fraction else "")
        return f"{amount} {_SCALE.get(scale.lower(), scale)} {plural}"
    if fraction is None or len(fraction) != 2:
        amount = whole + (f".{fraction}" if fraction else "")
        return f"{amount} {singular if amount == '1' else plural}"
    cents = f"{int(fraction)} {'cent' if fraction == '01' else 'cents'}"
    if int(whole) == 0:
        return cents
    return f"{whole} {singular if whole == '1' else plural} {cents}"


def _ordinal(match: re.Match) -> str:
    return num2words(int(match.group(1)), to="ordinal")


def _spoken_digits(words: list[str], i: int) -> tuple[list[str], int]:
    """Read number words after "point" digit by digit: "point twelve" -> "point one two"."""
    out: list[str] = []
    while i < len(words):
        word = words[i]
        if word in _ONES:
            out.append(word)
        elif word in _TEENS:
            out += ["one", _ONES[_TEENS.index(word)]]
        elif word in _TENS:
            out.append(_ONES[_TENS.index(word) + 2])
            if i + 1 < len(words) and words[i + 1] in _ONES[1:]:
                i += 1
                out.append(words[i])
            else:
                out.append("zero")
        else:
            break
        i += 1
    return out, i


def _canonical_words(words: list[str]) -> list[str]:
    """Word-level rules: "oh" -> "zero" in numbers, "a hundred" -> "one hundred", no "and" in numbers."""
    words = list(words)
    for i in range(1, len(words)):
        if words[i] == "oh" and (words[i - 1] in _NUMBER_WORDS or words[i - 1] == "point"):
            words[i] = "zero"
    out: list[str] = []
    i = 0
    while i < len(words):
        word, prev = words[i], (out[-1] if out else "")
        nxt = words[i + 1] if i + 1 < len(words) else ""
        i += 1
        if word == "and" and nxt in _NUMBER_WORDS and (prev in _SCALES or prev in _CURRENCY_WORDS):
            continue
        if word == "a" and nxt in _SCALES and prev not in _NUMBER_WORDS:
            word = "one"
        out.append(word)
        if word == "point":
            digits, i = _spoken_digits(words, i)
            out += digits
    return out


def normalize_transcript(text: str) -> str:
    """Canonical lowercase word form of `text` for WER/CER and term matching."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
    for symbol, words in _SYMBOLS:
        text = symbol.sub(words, text)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # thousands separators
    text = _CURRENCY_RE.sub(_currency, text)
    text = re.sub(r"\b(\d+)(?:st|nd|rd|th)\b", _ordinal, text, flags=re.IGNORECASE)
    text = re.sub(r"\bv\s?(?=\d)", "version ", text, flags=re.IGNORECASE)
    text = _UNIT_RE.sub(_unit, text)
    text = re.sub(r"(?<=[A-Za-z])\s?/s\b", " per second", text)
    text = re.sub(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])", " ", text)  # "H100" -> "H 100"
    text = re.sub(r"(?<![\w.])\.(?=\d)", " point ", text)  # ".5" -> "point 5"
    text = re.sub(r"\d+(?:\.\d+)*", _number, text)
    text = text.lower().replace("'", "")
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    return " ".join(_canonical_words(words))
