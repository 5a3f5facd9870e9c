"""How dates and clock times are read: "2026-11-26", "11/17/05", "01.10.2010", "Nov 26, 2026",
"26 November 2026", "7:30 pm", "9am", "7.15pm".

`RULES` read one piece, `COMBOS` a date or time written over several pieces; quantities.py puts
them in its own lists at their place in the order. A slash date is read month first (US order)
unless the first field cannot be a month; a dotted one day first, unless it follows a product name
("Python 3.12.1" is a version).
"""
from __future__ import annotations

import re

from . import numbers as nw
from . import patterns as P
from .words import Context, Item, Reading, version_context


def date_words(year: int | None, month: int, day: int | None) -> str | None:
    """Month, ordinal day and year as words, each part when given; None when no such month or day."""
    if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
        return None
    words = [P.MONTHS[month - 1]]
    if day is not None:
        words.append(nw.ordinal(day))
    if year is not None:
        words.append(nw.year(str(year)))
    return " ".join(words)


def _date(c: str, ctx: Context) -> Reading:
    m = P.RE_ISO_DATE.fullmatch(c)
    if m:
        spoken = date_words(int(m[1]), int(m[2]), int(m[3]))
        return (spoken, "date") if spoken else None
    m = P.RE_SLASH_DATE.fullmatch(c) or _short_slash_date(c)
    if m:
        first, second, year = int(m[1]), int(m[2]), int(m[3])
        if len(m[3]) == 2:  # "11/17/05": POSIX's pivot, 69-99 are 19xx
            year += 1900 if year >= 69 else 2000
        month, day = (second, first) if first > 12 else (first, second)  # US order unless impossible
        spoken = date_words(year, month, day)
        return (spoken, "date") if spoken else None
    m = P.RE_DOT_DATE.fullmatch(c)
    if m and not version_context(ctx):  # "01.10.2010": day first, as dotted dates are written
        first, second, year = int(m[1]), int(m[2]), m[3]
        day, month = (second, first) if second > 12 else (first, second)
        if date_words(None, month, day):
            return f"the {nw.ordinal(day)} of {P.MONTHS[month - 1]} {nw.year(year)}", "date"
    return None


def _short_slash_date(c: str) -> re.Match | None:
    """"11/17/05", "12/25/99": a date with a two-digit year, when a field has a leading zero or the
    year cannot be a day; "3/8/20" (a list of figures) and "8/16/32" (each divides the next) are not."""
    m = P.RE_SLASH_DATE_SHORT.fullmatch(c)
    if not m or not (any(f[0] == "0" for f in m.groups()) or int(m[3]) > 31):
        return None
    a, b, y = (int(f) for f in m.groups())
    return None if a and b and b % a == 0 and y % b == 0 else m


def _time(c: str, ctx: Context) -> Reading:
    m = P.RE_TIME.fullmatch(c)
    if m:
        hours, minutes = int(m[1]), int(m[2])
        if hours > 24 or minutes > 59:
            return None
        ampm = m["ampm"]
        spoken = nw.clock(hours, minutes, twelve_hour=bool(ampm) or 1 <= hours <= 12)
        if m[3]:
            spoken += f" and {nw.cardinal(int(m[3]))} seconds"
        if ampm:
            spoken += " " + P.AM_PM[ampm.lower().replace(".", "")]
        return spoken, "time"
    m = P.RE_HOUR_AMPM.fullmatch(c)
    if m and 1 <= int(m[1]) <= 12:
        return f"{nw.cardinal(int(m[1]))} {P.AM_PM[m['ampm'].lower().replace('.', '')]}", "time"
    m = P.RE_DOT_TIME.fullmatch(c)
    if m and m["ampm"] and 1 <= int(m[1]) <= 12 and int(m[2]) <= 59:  # "7.15am"
        ampm = P.AM_PM[m["ampm"].lower().replace(".", "")]
        return f"{nw.clock(int(m[1]), int(m[2]), twelve_hour=True)} {ampm}", "time"
    return None


def clock_time(c: str, ctx: Context) -> str | None:
    """A clock time as one piece ("10:30", "9am", "7.15pm"), else None."""
    reading = _time(c, ctx)
    return reading[0] if reading else None


def _month(item: Item | None) -> int | None:
    if item is None or item.punct or not item.text[:1].isupper():
        return None
    return P.MONTH_NAMES.get(item.text.rstrip(".").lower())


def _day(item: Item | None) -> int | None:
    m = item is not None and not item.punct and P.RE_ORDINAL_DAY.fullmatch(item.text)
    return int(m.group(1)) if m and 1 <= int(m.group(1)) <= 31 else None


def _year(item: Item | None) -> int | None:
    ok = item is not None and not item.punct and len(item.text) == 4 and item.text.isdigit()
    return int(item.text) if ok and 1000 <= int(item.text) <= 2999 else None


def _lower_month(items: list[Item], k: int) -> int | None:
    """A month written in lower case is a date before a day or a year ("july 25 2012", "july 1876",
    "january 1"); "may" and "march", verbs too, only before a year, an ordinal day, or a day and a
    year; a short form ("aug 3") only there or after a word that brings a date ("released on aug 3")."""
    first, second, third, fourth = (items[k + n] if k + n < len(items) else None for n in range(4))
    if first.punct or not re.fullmatch(r"[a-z]+\.?", first.text):
        return None
    name = first.text.rstrip(".")
    month = P.MONTH_NAMES.get(name)
    day, year = _day(second), _year(second)
    if not month or not (day or year):
        return None
    if day and (_year(third) or (third is not None and third.text == "," and _year(fourth))):
        return month
    if name in P.VERB_MONTHS:
        return month if year or not second.text.isdigit() else None
    if name in P.MONTHS or first.text.endswith("."):
        return month
    before = items[k - 1] if k and not items[k - 1].punct else None
    return month if before is not None and before.text.lower() in P.DATE_BEFORE else None


def _combo_date(items: list[Item], k: int) -> tuple | None:
    """"Nov 26, 2026", "November 26th", "November 2026", "26 November 2026", "july 25 2012"."""
    lower = items[k].text[:1].islower() and _lower_month(items, k)
    if not (items[k].text[:1].isupper() or items[k].text[:1].isdigit() or lower):
        return None
    first, second, third, fourth = (items[k + n] if k + n < len(items) else None for n in range(4))
    month = _month(first) or lower
    if month:
        day = _day(second)
        if day is None:
            year = _year(second)
            return (2, date_words(year, month, None), "date") if year else None
        if third is not None and third.text == "," and _year(fourth):
            return 4, date_words(_year(fourth), month, day), "date"
        if _year(third):
            return 3, date_words(_year(third), month, day), "date"
        return 2, date_words(None, month, day), "date"
    day, year = _day(first), _year(third)
    month = _month(second) or (day and year and second is not None and not second.punct  # "1st january 2000"
                                and second.text.islower() and P.MONTH_NAMES.get(second.text.rstrip(".")))
    if day and month and year:
        return 3, f"the {nw.ordinal(day)} of {P.MONTHS[month - 1]} {nw.year(str(year))}", "date"
    return None


def _combo_time(items: list[Item], k: int) -> tuple | None:
    """"7:30 pm", "7 PM", "11 a.m."."""
    if k + 1 >= len(items) or items[k + 1].punct or items[k + 1].text.lower() not in P.AM_PM:
        return None
    c = items[k].text
    m = P.RE_TIME.fullmatch(c) or P.RE_DOT_TIME.fullmatch(c)  # "2.30 a.m." too
    pair = P.RE_DASH_PAIR.fullmatch(c)
    if m and not m["ampm"] and 1 <= int(m[1]) <= 12 and int(m[2]) <= 59:
        spoken = nw.clock(int(m[1]), int(m[2]), twelve_hour=True)
    elif c.isdigit() and 1 <= int(c) <= 12:
        spoken = nw.cardinal(int(c))
    elif pair and all(P.RE_TIME.fullmatch(t) or t.isdigit() and 1 <= int(t) <= 12 for t in pair.groups()):
        said = [nw.cardinal(int(t)) if t.isdigit() else clock_time(t, Context.bare(None, {})) for t in pair.groups()]
        if not all(said):
            return None
        spoken = " to ".join(said)  # "7:30-9:00 pm": seven thirty to nine o'clock P M
    else:
        return None
    ampm = items[k + 1].text
    after = items[k + 2].text if k + 2 < len(items) else ""
    punct = "." if ampm.endswith(".") and not after[:1].islower() else ""  # "at 3 p.m. Then"
    return 2, f"{spoken} {P.AM_PM[ampm.lower()]}", "time", punct


RULES = [_date, _time]
COMBOS = [_combo_date, _combo_time]
