"""How number-bearing pieces are read: quantities, units, money, ranges and versions (dates and
clock times are dates.py's, tried at their place in `RULES` and `COMBOS`).

Context decides between readings of the same digits: "2026" is a year after "in", "404" a
status code after "HTTP", "4090" a model number after "RTX", "3.12" a version after "Python".
Each rule takes a piece and its Context and returns (spoken, kind), or None when it does not
apply; `RULES` lists them in the order they are tried, `COMBOS` the readings that span pieces.
"""
from __future__ import annotations

import re

from . import dates
from . import numbers as nw
from . import patterns as P
from .dates import clock_time, date_words
from .words import (Context, Item, Reading, is_capitalized, is_mixed_case, power_words, say_code, say_digits,
                    say_scientific, version_context)


def _word_before(ctx: Context) -> str:
    return (ctx.prev or "").lower()


def _year_context(ctx: Context, value: int) -> bool:
    if not 1000 <= value <= 2099:
        return False
    prev = ctx.prev or ""
    return (prev.lower() in P.YEAR_BEFORE or (is_capitalized(prev) and prev.lower() in P.MONTH_NAMES)
            or (ctx.before == "(" and ctx.after == ")"))


def _status_context(ctx: Context) -> bool:
    return _word_before(ctx) in P.STATUS_BEFORE or (ctx.next or "").lower() in P.STATUS_AFTER


def _grouped_context(ctx: Context) -> bool:
    """"RTX 4090", "port 8080", "ISO 8601": numbers that name things are read in pairs."""
    prev = ctx.prev or ""
    return (prev.lower() in P.GROUPED_BEFORE or prev.lower() in P.PRODUCTS or ctx.is_term(prev)
            or (prev.isalpha() and 2 <= len(prev) <= 6 and prev.isupper()) or is_mixed_case(prev)
            or (ctx.next or "").lower() in P.PRODUCT_SUFFIXES)


def _currency(c: str, ctx: Context) -> Reading:
    m = P.RE_CURRENCY.fullmatch(c) or P.RE_CURRENCY_AFTER.fullmatch(c)
    if not m:
        return None
    unit, cents = P.CURRENCIES[m["cur"]]
    scale = m.groupdict().get("scale")
    if scale:
        spoken = f"{nw.quantity(m['num'])} {P.SCALE_SUFFIXES[scale]} {unit[1]}"
    else:
        spoken = nw.money(m["num"], unit, cents)
    for per in (m.groupdict().get("per"), m.groupdict().get("per2")):  # "$0.50/GB", "€40/user/month"
        if per:
            spoken += f" per {P.PER_UNITS.get(per) or P.UNITS.get(per, (per.lower(),))[0]}"
    return ("minus " if m["sign"] else "") + spoken, "currency"


def _percent(c: str, ctx: Context) -> Reading:
    m = P.RE_PERCENT.fullmatch(c)
    if not m:
        return None
    num = m["num"]
    sign = "plus " if num.startswith("+") else ""
    return f"{sign}{nw.quantity(num.lstrip('+'))} percent", "percent"


def _ordinal(c: str, ctx: Context) -> Reading:
    m = P.RE_ORDINAL.fullmatch(c)
    return (nw.ordinal(int(m.group(1).replace(",", ""))), "ordinal") if m else None


def _decade(c: str, ctx: Context) -> Reading:
    m = P.RE_DECADE.fullmatch(c)
    return (nw.decade(m["short"] or m["year"]), "year") if m else None


def _money_range(a: str, b: str, ctx: Context) -> str | None:
    """"$250-$300" (or "$250-300"): two hundred fifty to three hundred dollars; the first amount
    drops its currency name unless it has cents ("fifty cents to one dollar")."""
    first = P.RE_CURRENCY.fullmatch(a)
    if not first or first["per"] or first["sign"]:
        return None
    second = P.RE_CURRENCY.fullmatch(b if b[:1] in P.CURRENCIES else first["cur"] + b)
    if not second or second["cur"] != first["cur"] or second["sign"]:
        return None
    low, high = _currency(a, ctx)[0], _currency(second.group(), ctx)[0]
    for name in P.CURRENCIES[first["cur"]][0][::-1]:
        if low.endswith(" " + name) and " and " not in low:
            low = low[:-len(name) - 1]
            break
    return f"{low} to {high}"


def _dash_pair(c: str, ctx: Context) -> Reading:
    """A hyphen between two amounts of money, decades or clock times is "to": "$250-$300", "1960s-80s"
    (nineteen sixties to eighties), "10:30-11:45", "9am-5pm", "9-5pm". Numbers alone are `_range`'s."""
    m = P.RE_DASH_PAIR.fullmatch(c)
    if not m:
        return None
    a, b = m[1], m[2]
    money = _money_range(a, b, ctx)
    if money:
        return money, "range"
    first, second = P.RE_DECADE.fullmatch(a), P.RE_DECADE.fullmatch(b) or re.fullmatch(r"(?P<short>[1-9]0)s", b)
    if first and second:
        low, high = (nw.decade(d["short"] or d["year"]) for d in (first, second))
        return f"{low} to {high}", "range"
    end = clock_time(b, ctx)
    if not end:
        return None
    if a.isdigit() and 1 <= int(a) <= 12 and ":" not in b:
        return f"{nw.cardinal(int(a))} to {end}", "range"  # "9-5pm"
    start = clock_time(a, ctx)
    return (f"{start} to {end}", "range") if start else None


def _ratio(c: str, ctx: Context) -> Reading:
    m = P.RE_RATIO.fullmatch(c)
    return (f"{nw.integer(m[1])} to {nw.integer(m[2])}", "ratio") if m else None


def _ip(c: str, ctx: Context) -> Reading:
    address, colon, port = c.partition(":")  # "0.0.0.0:8080"
    address, slash, prefix = address.partition("/")  # "127.0.0.0/8": a CIDR block
    if (not P.RE_IP.fullmatch(address) or any(int(p) > 255 for p in address.split("."))
            or (colon and not (port.isdigit() and len(port) <= 5))
            or (slash and not (prefix.isdigit() and int(prefix) <= 32)) or (slash and colon)):
        return None
    spoken = " dot ".join(nw.integer(p) for p in address.split("."))
    if slash:
        spoken += f" slash {nw.integer(prefix)}"
    return spoken + (f" colon {say_digits(port)}" if colon else ""), "ip"


def _tag(tag: str, ctx: Context) -> str:
    return " ".join(say_code(p, ctx) for p in re.split(r"[.+-]", tag) if p)


def _version(c: str, ctx: Context) -> Reading:
    m = P.RE_VERSION.fullmatch(c)
    if not m and c.endswith("+") and P.RE_VERSION.fullmatch(c[:-1]):
        reading = _version(c[:-1], ctx)  # "Python 3.11+", "v1.29+": that version or later
        return reading and (f"{reading[0]} plus", reading[1])
    if not m and c.endswith("t") and P.RE_VERSION.fullmatch(c[:-1]) and version_context(ctx):
        reading = _version(c[:-1], ctx)  # "Python 3.14t": the free-threaded build
        return reading and (f"{reading[0]} T", reading[1])
    if not m:
        return None
    parts = m["nums"].split(".")
    wildcard = any(p in ("x", "X", "*") for p in parts)
    if not (m["v"] or len(parts) >= 3 or m["tag"] or m["pep"] or m["release"] or wildcard or version_context(ctx)):
        return None
    spoken = ("version " if m["v"] else "") + nw.version(parts)
    if m["pep"]:  # "3.15.0a8": alpha eight, "b1" beta one, "rc1" R C one
        stage = m["pep"].rstrip("0123456789")
        spoken += f" {P.PRE_RELEASES[stage]} {nw.integer(m['pep'][len(stage):])}"
    if m["release"]:  # "2.1.0.dev3": dev three, ".post1": post one
        word = m["release"][1:].rstrip("0123456789")
        spoken += f" {word} {nw.integer(m['release'][1 + len(word):])}"
    if m["tag"]:
        spoken += " " + _tag(m["tag"], ctx)
    return spoken, "version"


def _slash_version(c: str, ctx: Context) -> Reading:
    m = P.RE_SLASH_VERSION.fullmatch(c)
    if not m or len(m["name"]) == 1:  # "curl/8.1" is a version; "x/2" a quotient
        return None
    name = m["name"] if ctx.knows(m["name"]) else say_code(m["name"], ctx)
    return f"{name} {nw.version(m['nums'].split('.'))}", "version"


def _scientific(c: str, ctx: Context) -> Reading:
    return (say_scientific(c), "number") if P.RE_SCIENTIFIC.fullmatch(c) else None


def _power(c: str, ctx: Context) -> Reading:
    """"2^32": two to the power of thirty two; "10^-3", "2**31"."""
    m = P.RE_POWER.fullmatch(c)
    return (f"{nw.integer(m['base'])} {power_words(m['exp'])}", "number") if m else None


def unit_reading(unit: str, attached: bool) -> tuple[str, str] | None:
    """(singular, plural) of a unit symbol, including rates like "MB/s" and "tok/s"."""
    table = P.ATTACHED_UNITS if attached else P.SPACED_UNITS
    if unit in table:
        return table[unit]
    if unit in P.UNITS:
        return P.UNITS[unit]
    base, slash, per = unit.partition("/")
    if not slash and unit[-2:] in ("^2", "^3") and unit[:-2] in P.LENGTH_UNITS:  # "m²", "km^2": area, volume
        size = "square" if unit[-1] == "2" else "cubic"
        noun = P.SPACED_UNITS.get(unit[:-2]) or P.UNITS[unit[:-2]]
        return f"{size} {noun[0]}", f"{size} {noun[1]}"
    squared = " squared" if per.endswith("^2") else ""  # "m/s²": meters per second squared
    per = per.removesuffix("^2")
    if slash and per in P.PER_UNITS:
        noun = P.UNITS.get(base) or P.SPACED_UNITS.get(base) or P.RATE_NOUNS.get(base)  # "5m/s": meters
        if noun:
            return f"{noun[0]} per {P.PER_UNITS[per]}{squared}", f"{noun[1]} per {P.PER_UNITS[per]}{squared}"
    return None


def per_unit(unit: str) -> str | None:
    """What follows "per" for a unit after a slash: "h" hour, "kg" kilogram, "km^2" square kilometer."""
    if unit in P.PER_UNITS:
        return P.PER_UNITS[unit]
    reading = unit_reading(unit, attached=False) if len(unit) > 1 and "/" not in unit else None  # "1/x" is a quotient
    return reading[0] if reading else None


def _per_unit(c: str, ctx: Context) -> Reading:
    """"12/kg": twelve per kilogram; "3/km^2" three per square kilometer."""
    m = P.RE_PER_UNIT.fullmatch(c)
    per = m and per_unit(m["unit"])
    return (f"{nw.quantity(m['num'])} per {per}", "unit") if per else None


def say_quantity(num: str, unit: tuple[str, str], attributive: bool = False) -> str:
    singular = attributive or num.lstrip("+-−") == "1"
    return f"{nw.quantity(num)} {unit[0] if singular else unit[1]}"


_ARTICLES = {"a", "an"}
_DETERMINERS = {"the", "this", "that", "each", "every", "its", "our", "your", "my", "their", "his", "her", "any",
                "no", "one", "another"}
_NOT_NOUNS = set("""is are was were be been being has have had do does did will would can could should may might
must of in on at to for from by with as than and or but nor so it its that which who whom whose what when where
while if then else also only just still too very more less most least faster slower longer shorter larger smaller
higher lower better worse instead ago later earlier each per vs versus plus minus""".split())


def _attributive(before: str | None, after: str | None) -> bool:
    """A quantity before a noun is said in the singular: "a 35 ms delay" (a thirty five
    millisecond delay), "the 5000mAh battery", "an 80 GB model"; not "the 16 GB are used"."""
    if not before or not after or not after.isalpha():
        return False
    word = before.lower()
    return (word in _ARTICLES or word in _DETERMINERS) and after.lower() not in _NOT_NOUNS


def _quantity_unit(c: str, ctx: Context) -> Reading:
    m = P.RE_QUANTITY_UNIT.fullmatch(c)
    if not m and c.endswith("+") and P.RE_QUANTITY_UNIT.fullmatch(c[:-1]):
        reading = _quantity_unit(c[:-1], ctx)  # "1M+ downloads", "10k+ stars": that many or more
        return reading and (f"{reading[0]} plus", reading[1])
    unit = m and unit_reading(m["unit"], attached=True)
    if not unit:
        return None
    num = m["num"]
    if c in ("0x", "0X"):  # the hex prefix, not "zero times"
        return "zero X", "code"
    if m["unit"] == "m" and (ctx.next or "").lower() in P.CPU_WORDS:  # "500m CPU": five hundred milli CPU
        return f"{nw.quantity(num)} milli", "unit"
    if m["unit"] == "m" and (ctx.key or "").lower() in P.CPU_WORDS:  # "cpu: 250m": millicores, not minutes
        return f"{nw.quantity(num)} millicores", "unit"
    if m["unit"] == "s" and num.isdigit() and len(num) in (3, 4) and _grouped_context(ctx):
        return nw.plural(nw.grouped(num)), "number"  # "RTX 4090s": models, not seconds
    kind = "percent" if m["unit"] == "%" else "number" if unit[1] in P.SCALE_WORDS else "unit"
    return say_quantity(m["num"], unit, kind == "unit" and _attributive(ctx.prev, ctx.next)), kind


def _duration(c: str, ctx: Context) -> Reading:
    if not P.RE_DURATION.fullmatch(c):
        return None
    parts = []
    for num, sym in P.RE_DURATION_PART.findall(c):  # "1m05s": one minute five seconds
        parts.append(say_quantity(num.lstrip("0") or "0", P.ATTACHED_UNITS.get(sym) or P.UNITS[sym]))
    return " ".join(parts), "unit"


def _dimensions(c: str, ctx: Context) -> Reading:
    m = P.RE_DIMENSIONS.fullmatch(c)
    return (f"{say_digits(m[1])} by {say_digits(m[2])}", "number") if m else None


def _phone(c: str, ctx: Context) -> Reading:
    if not P.RE_PHONE.fullmatch(c):
        return None
    groups = re.findall(r"\d+", c)
    return ("plus " if c.startswith("+") else "") + " ".join(nw.digits(g) for g in groups), "phone"


def _range(c: str, ctx: Context) -> Reading:
    m = P.RE_RANGE.fullmatch(c)
    if not m:
        return None
    a, b = m["a"], m["b"]
    if not m["unit"] and _word_before(ctx) in P.NUMBERED_LABELS and a.isdigit() and b.isdigit():
        return f"{nw.integer(a)} dash {nw.integer(b)}", "number"  # "Listing 8-1" is a name, not a range
    unit = m["unit"] and unit_reading(m["unit"], attached=True)
    if m["unit"] and not unit:
        return None
    if not unit and len(a) == 4 and a.isdigit() and 1000 <= int(a) <= 2099:
        if len(b) == 4 and 1000 <= int(b) <= 2099:
            return f"{nw.year(a)} to {nw.year(b)}", "range"
        if len(b) == 2:  # "2023-24"
            return f"{nw.year(a)} to {nw.integer(b)}", "range"
    spoken = f"{nw.quantity(a)} to {nw.quantity(b)}"
    if unit:
        spoken += " " + unit[1]
    return spoken, "range"


def _rating(c: str, ctx: Context) -> Reading:
    """"4.5/5", "9.5/10", "8/10" after "rated" or "score" or before "stars", and "10/10": a mark
    out of a maximum."""
    m = P.RE_RATING.fullmatch(c)
    if not m or float(m[1]) > int(m[2]) or not ("." in m[1] or _word_before(ctx) in P.RATING_BEFORE
                                                 or (ctx.next or "").lower() in P.RATING_AFTER
                                                 or m[1] == m[2] in ("5", "10", "100")):
        return None
    return f"{nw.quantity(m[1])} out of {nw.integer(m[2])}", "rating"


def _fraction(c: str, ctx: Context) -> Reading:
    m = P.RE_FRACTION.fullmatch(c)
    if not m:
        return None
    num, den = int(m[1]), int(m[2])
    if _word_before(ctx) in ("port", "ports"):  # "ports 80/443"
        return f"{say_digits(m[1])} and {say_digits(m[2])}", "number"
    if _word_before(ctx) in P.SERIES_BEFORE and 0 < num <= den:  # "part 1/4", "step 2/5"
        return f"{nw.integer(m[1])} of {nw.integer(m[2])}", "number"
    share = den <= 10 and num < den and (ctx.next or "").lower() == "of"  # "on 1/2 of them"
    if _word_before(ctx) in P.DATE_BEFORE and 1 <= num <= 12 and 1 <= den <= 31 and not share:  # "by 12/31"
        return date_words(None, num, den), "date"
    if 0 < num < den and nw.common_denominator(den):
        return nw.fraction(num, den), "fraction"
    return f"{nw.integer(m[1])} over {nw.integer(m[2])}", "fraction"


def _number(c: str, ctx: Context) -> Reading:
    if not P.RE_DECIMAL.fullmatch(c):
        return None
    if "." in c:
        if version_context(ctx) and c[0].isdigit() and "," not in c:
            return nw.version(c.split(".")), "version"
        return nw.decimal(c), "decimal"
    body = c.lstrip("-−")
    if "," not in body and body.isdigit():
        value = int(body)
        if len(body) == 4 and body == c and _year_context(ctx, value):
            return nw.year(body), "year"
        if len(body) == 3 and 100 <= value <= 599 and _status_context(ctx):
            return nw.grouped(body), "status"
        if 3 <= len(body) <= 5 and body[0] != "0" and _grouped_context(ctx):
            return ("minus " if body != c else "") + nw.grouped(body), "number"
    return nw.integer(c), "number"


def _noun_rate(unit: str) -> tuple[str, str] | None:
    """After a number, any lower-case noun per unit is a rate: "500 reads/s", "120 people/km²"."""
    noun, slash, per = unit.partition("/")
    said = slash and per_unit(per)
    if said and noun.isalpha() and noun.islower() and len(noun) >= 3:
        return f"{noun} per {said}", f"{noun} per {said}"
    return None


def _combo_mixed_fraction(items: list[Item], k: int) -> tuple | None:
    """"2 1/2" two and a half, "4 1/2 lbs" four and a half pounds, "1½" (folded to "1 1/2")."""
    if k + 1 >= len(items) or items[k + 1].punct:
        return None
    whole, m = items[k].text, P.RE_FRACTION.fullmatch(items[k + 1].text)
    if not (m and whole.isdigit() and len(whole) <= 4 and (whole == "0" or whole[0] != "0")):
        return None
    num, den = int(m[1]), int(m[2])
    if not (0 < num < den and nw.common_denominator(den)):
        return None
    spoken = nw.mixed_fraction(int(whole), num, den)
    third = items[k + 2] if k + 2 < len(items) and not items[k + 2].punct else None
    unit = third and unit_reading(third.text, attached=False)
    return (3, f"{spoken} {unit[1]}", "unit") if unit else (2, spoken, "fraction")


def _combo_roman(items: list[Item], k: int) -> tuple | None:
    """A Roman numeral after a capitalized word: after a monarch's or pope's name an ordinal
    ("Henry III" Henry the third), else a cardinal ("World War II", "Chapter IV", "Super Bowl LVII",
    "Diablo III"). A lone I, V or X only after a name or a word that numbers things ("World War I",
    "Part I", "Charles V"; not "Malcolm X" or "then I"); L only after such a word (not "Size L").
    After a given name and a surname, an ordinal too ("John Smith III", "Henry Ford II")."""
    numeral = items[k].text
    if k == 0 or items[k].punct or items[k - 1].punct or not P.RE_ROMAN.fullmatch(numeral) or numeral == "XXX":
        return None  # "Remove XXX": a marker in code
    prev = items[k - 1].text
    if not (is_capitalized(prev) and (prev.isalpha() or prev.lower() == "vol.")) or prev in P.NOT_NAMES:
        return None
    before = items[k - 2].text if k >= 2 and not items[k - 2].punct else ""
    counting = prev.lower() in P.ROMAN_CARDINAL_BEFORE or (prev, before) == ("War", "World")
    regnal = not counting and (prev in P.GIVEN_NAMES or (before in P.GIVEN_NAMES and len(numeral) > 1))
    after = items[k + 1] if k + 1 < len(items) and not items[k + 1].punct else None
    if len(numeral) == 1 or "L" in numeral:
        if not (counting or (regnal and "L" not in numeral)):
            return None
        if numeral == "I" and regnal and after is not None and after.text[:1].islower():
            return None  # "when Elizabeth I was": the pronoun may follow a name
        dotted = k + 2 < len(items) and items[k + 1].text == "." and is_capitalized(items[k + 2].text)
        if not counting and (dotted or (after is not None and is_capitalized(after.text))):
            return None  # "Daniel X Moore", "Daniel X. Moore": a middle initial
    value = nw.roman(numeral)
    return (1, f"the {nw.ordinal(value)}", "ordinal") if regnal else (1, nw.cardinal(value), "number")


def _combo_quantity(items: list[Item], k: int) -> tuple | None:
    """"35 ms", "10-20 GB", "95 %", "$1.2 million", "1920 x 1080", "1500 sq ft"."""
    if k + 1 >= len(items) or items[k + 1].punct:
        return None
    c, u = items[k].text, items[k + 1].text
    named = items[k + 2].text.rstrip(".") if k + 2 < len(items) and not items[k + 2].punct else ""
    if u in P.UNIT_PREFIXES and named and P.RE_DECIMAL.fullmatch(c):
        unit = unit_reading(named, attached=False)
        if unit and (u.startswith("fl") or named in P.LENGTH_UNITS):  # "sq ft", "fl oz"
            prefix = P.UNIT_PREFIXES[u]
            return 3, say_quantity(c, (f"{prefix} {unit[0]}", f"{prefix} {unit[1]}")), "unit"
    money = P.RE_CURRENCY.fullmatch(c)
    if money and not money["scale"] and not money["per"] and u.lower() in P.SCALE_WORDS:
        unit = P.CURRENCIES[money["cur"]][0]
        sign = "minus " if money["sign"] else ""
        return 2, f"{sign}{nw.quantity(money['num'])} {u.lower()} {unit[1]}", "currency"
    third = items[k + 2] if k + 2 < len(items) else None
    if u == "x" and c.isdigit() and third and not third.punct and third.text.isdigit():
        return 3, f"{say_digits(c)} by {say_digits(third.text)}", "number"
    punct = ""
    if u.endswith(".") and unit_reading(u[:-1], attached=False):  # "in 35 ms." - "ms." is not Ms.
        u = u[:-1]
        punct = "." if third is None or third.text[:1].isupper() else ""
    unit = unit_reading(u, attached=False) or _noun_rate(u)
    if not unit:
        return None
    kind = "percent" if u == "%" else "unit"
    before = items[k - 1].text if k and not items[k - 1].punct else None
    after = third.text if third is not None and not punct and not items[k + 1].punct else None
    if P.RE_DECIMAL.fullmatch(c):
        return 2, say_quantity(c, unit, kind == "unit" and _attributive(before, after)), kind, punct
    power = P.RE_POWER.fullmatch(c)
    if power and kind == "unit":  # "10^-3 s", "10⁹ Hz"
        return 2, f"{nw.integer(power['base'])} {power_words(power['exp'])} {unit[1]}", kind, punct
    listed = P.RE_SLASH_NUMBERS.fullmatch(c)
    if listed:  # "p50/p95/p99 are 3/8/20 ms": three slash eight slash twenty milliseconds
        return 2, " slash ".join(map(nw.quantity, c.split("/"))) + f" {unit[1]}", kind, punct
    scaled = P.RE_QUANTITY_UNIT.fullmatch(c)  # "10k requests/s", "1.5M tok/s"
    scale = scaled and unit_reading(scaled["unit"], attached=True)
    if scale and scale[1] in P.SCALE_WORDS:
        return 2, f"{nw.quantity(scaled['num'])} {scale[1]} {unit[1]}", kind, punct
    m = P.RE_RANGE.fullmatch(c)
    if m and not m["unit"]:
        said = unit[0] if kind == "unit" and _attributive(before, after) else unit[1]  # "a 10-20 GB disk"
        return 2, f"{nw.quantity(m['a'])} to {nw.quantity(m['b'])} {said}", "range", punct
    return None


def _combo_spaced_range(items: list[Item], k: int) -> tuple | None:
    """"2019 - 2023", "pages 5 – 10": numbers around a spaced dash that rise (or an en dash) are
    read as the range written without spaces (years as years); "5 - 3" falls to the minus."""
    if k + 2 >= len(items) or items[k + 1].text not in ("-", "–") or items[k + 2].punct:
        return None
    a, b = items[k].text, items[k + 2].text
    if not (a.isdigit() and b.isdigit()) or (items[k + 1].text == "-" and int(b) <= int(a)):
        return None
    after = items[k + 3] if k + 3 < len(items) and not items[k + 3].punct else None
    unit = after and unit_reading(after.text, attached=False)
    if unit:  # "5 - 10 GB"
        return 4, f"{nw.quantity(a)} to {nw.quantity(b)} {unit[1]}", "range"
    reading = _range(f"{a}-{b}", Context.bare(None, {}))
    return (3, *reading) if reading else None


RULES = [_currency, _dash_pair, _percent, _ordinal, _decade, *dates.RULES, _ratio, _ip, _version, _slash_version,
         _scientific, _power, _quantity_unit, _duration, _dimensions, _phone, _range, _rating, _fraction, _per_unit,
         _number]
COMBOS = [*dates.COMBOS, _combo_spaced_range, _combo_mixed_fraction, _combo_roman, _combo_quantity]
