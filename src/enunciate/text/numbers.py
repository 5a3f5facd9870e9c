"""Number words as a careful American narrator says them: lowercase, no hyphens, no "and".

Every function takes digits as a string (so leading zeros and very long numbers survive) and
returns words separated by single spaces. Readings differ by what a number *is*: a quantity
("4090" four thousand ninety), a model number or status code read in groups ("forty ninety",
"four oh four"), a year ("twenty twenty six") or an identifier read digit by digit.
"""
from __future__ import annotations

ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
SCALES = ("", "thousand", "million", "billion", "trillion", "quadrillion", "quintillion",
          "sextillion", "septillion", "octillion", "nonillion", "decillion")
# Past this many digits a plain integer is an identifier, not a quantity: read it digit by digit.
MAX_CARDINAL_DIGITS = 9

_ORDINAL_WORDS = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                  "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}
_DENOMINATORS = {2: ("half", "halves"), 4: ("quarter", "quarters")}


def _below_thousand(n: int) -> list[str]:
    words = []
    if n >= 100:
        words += [ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        words.append(TENS[n // 10])
        n %= 10
        if n:
            words.append(ONES[n])
    elif n or not words:
        words.append(ONES[n])
    return words


def cardinal(n: int) -> str:
    """42 -> "forty two"; 1024 -> "one thousand twenty four"; -5 -> "minus five"."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n == 0:
        return "zero"
    if n >= 1000 ** len(SCALES):
        return digits(str(n))
    groups = []
    while n:
        n, group = divmod(n, 1000)
        groups.append(group)
    words: list[str] = []
    for scale, group in reversed(list(enumerate(groups))):
        if group:
            words += _below_thousand(group)
            if SCALES[scale]:
                words.append(SCALES[scale])
    return " ".join(words)


def ordinal(n: int) -> str:
    """22 -> "twenty second"; 100 -> "one hundredth"."""
    head, _, last = cardinal(n).rpartition(" ")
    if last in _ORDINAL_WORDS:
        last = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head} {last}".strip()


def digits(s: str, zero: str = "zero") -> str:
    """Digit by digit, for identifiers and phone numbers: "007" -> "zero zero seven"."""
    return " ".join(zero if ch == "0" else ONES[int(ch)] for ch in s if ch.isdigit())


def integer(s: str) -> str:
    """A quantity as written, with optional sign and thousands commas: "-1,024" -> "minus one
    thousand twenty four". Leading zeros or more than nine bare digits read digit by digit."""
    sign = "minus " if s.startswith(("-", "−")) else ""
    body = s.lstrip("+-−").replace(",", "")
    if not body.isdigit():
        raise ValueError(f"not an integer: {s!r}")
    if (len(body) > 1 and body[0] == "0") or ("," not in s and len(body) > MAX_CARDINAL_DIGITS):
        return sign + digits(body)
    return sign + cardinal(int(body))


def decimal(s: str) -> str:
    """"3.14" -> "three point one four"; ".5" -> "point five"; "-0.5" -> "minus zero point five"."""
    whole, _, frac = s.partition(".")
    sign = "minus " if whole.startswith(("-", "−")) else ""
    whole = whole.lstrip("+-−")
    head = integer(whole) if whole else ""
    tail = f"point {digits(frac)}" if frac else ""
    return (sign + f"{head} {tail}".strip()).strip()


def quantity(s: str) -> str:
    """Integer or decimal, whichever `s` is."""
    return decimal(s) if "." in s else integer(s)


def grouped(s: str) -> str:
    """Digits read in pairs, as model numbers, status codes and ports are said:
    "404" four oh four, "4090" forty ninety, "100" one hundred, "1905" nineteen oh five,
    "13900" thirteen nine hundred."""
    if len(s) > 1 and s[0] == "0":
        return digits(s, zero="oh")
    if len(s) == 5 and s[2:] != "000":  # "12700K" twelve seven hundred K, port "27017" twenty seven oh seventeen
        rest = s[2:]
        if rest[0] != "0":
            tail = grouped(rest)
        else:
            tail = "oh " + grouped(rest[1:]) if rest[1] != "0" else digits(rest, zero="oh")
        return f"{cardinal(int(s[:2]))} {tail}"
    if len(s) <= 2 or len(s) > 4:
        return integer(s)
    if len(s) == 3:
        head, rest = ONES[int(s[0])], s[1:]
    else:
        if s[1:] == "000":
            return cardinal(int(s))
        head, rest = cardinal(int(s[:2])), s[2:]
    if rest == "00":
        return f"{head} hundred"
    if rest[0] == "0":
        return f"{head} oh {ONES[int(rest[1])]}"
    return f"{head} {cardinal(int(rest))}"


def year(s: str) -> str:
    """"2026" twenty twenty six, "2005" two thousand five, "1900" nineteen hundred."""
    n = int(s)
    if n < 1000 or n >= 10000 or 2000 <= n <= 2009 or n % 1000 == 0:
        return cardinal(n)
    return grouped(s)


def roman(numeral: str) -> int:
    """"XIV" -> 14, "LVII" -> 57: the value of a well-formed Roman numeral (I, V, X, L, C, D, M)."""
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for k, ch in enumerate(numeral):
        value = values[ch]
        total += -value if k + 1 < len(numeral) and values[numeral[k + 1]] > value else value
    return total


def plural(words: str) -> str:
    """"forty ninety" -> "forty nineties", "one hundred" -> "one hundreds"."""
    return words[:-1] + "ies" if words.endswith("y") else words + "s"


def decade(s: str) -> str:
    """"1990" (from "1990s") -> "nineteen nineties"; "2000" -> "two thousands"."""
    return plural(year(s) if len(s) == 4 else cardinal(int(s)))


def version(parts: list[str]) -> str:
    """Dotted version components: ["3", "12"] three point twelve, ["2", "0"] two point oh,
    ["22", "04"] twenty two point oh four; "x" or "*" wildcards are the letter X."""
    words = []
    for k, part in enumerate(parts):
        if part in ("x", "X", "*"):
            words.append("X")
        elif part in ("y", "Y", "z", "Z"):  # "0.1.z": a placeholder, as in SemVer's x.y.z
            words.append(part.upper())
        elif k and (part == "0" or part[:1] == "0"):
            words.append(digits(part, zero="oh"))
        elif len(part) >= 5:  # a build or date stamp: "v20240930" twenty twenty four oh nine thirty
            stamp = (len(part) == 8 and part[:2] in ("19", "20")
                     and "01" <= part[4:6] <= "12" and "01" <= part[6:] <= "31")
            words.append(f"{year(part[:4])} {grouped(part[4:6])} {grouped(part[6:])}" if stamp
                         else digits(part, zero="oh"))
        else:
            words.append(integer(part))
    return " point ".join(words)


def common_denominator(denominator: int) -> bool:
    """Denominators said as a fraction's name ("seven sixteenths"); others are "over" ("5/37").
    Not 32: "seven thirty seconds" is heard as a time."""
    return 2 <= denominator <= 10 or denominator in (12, 16, 64)


def mixed_fraction(whole: int, numerator: int, denominator: int) -> str:
    """2 1/2 two and a half, 1 3/4 one and three quarters, 3 1/8 three and an eighth."""
    part = fraction(numerator, denominator)
    if numerator == 1:
        name = part.split(" ", 1)[1]
        part = ("an " if name[0] in "aeio" else "a ") + name
    return f"{cardinal(whole)} and {part}"


def fraction(numerator: int, denominator: int) -> str:
    """1/2 one half, 3/4 three quarters, 2/3 two thirds, 5/8 five eighths."""
    plural = numerator != 1
    if denominator in _DENOMINATORS:
        name = _DENOMINATORS[denominator][plural]
    else:
        name = ordinal(denominator)
        if plural:
            name += "s"
    return f"{cardinal(numerator)} {name}"


def clock(hours: int, minutes: int, twelve_hour: bool) -> str:
    """7:30 seven thirty, 7:05 seven oh five, 7:00 seven o'clock (fourteen hundred on a
    24-hour clock)."""
    head = cardinal(hours)
    if minutes == 0:
        return f"{head} o'clock" if twelve_hour or hours == 0 else f"{head} hundred"
    if minutes < 10:
        return f"{head} oh {ONES[minutes]}"
    return f"{head} {cardinal(minutes)}"


def money(amount: str, unit: tuple[str, str], cents: tuple[str, str] | None) -> str:
    """"9.99" with dollars/cents -> "nine dollars and ninety nine cents"; "0.50" -> "fifty
    cents"; "1" -> "one dollar". Amounts with other decimals read as decimals."""
    whole, _, frac = amount.replace(",", "").partition(".")
    whole = whole or "0"
    if frac and (len(frac) != 2 or cents is None):
        return f"{decimal(amount)} {unit[1]}"
    n, c = int(whole), int(frac or 0)
    head = f"{integer(whole)} {unit[n != 1]}"
    if not c:
        return head
    tail = f"{cardinal(c)} {cents[c != 1]}"
    return tail if n == 0 else f"{head} and {tail}"
