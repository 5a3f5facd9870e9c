"""How words, identifiers, paths and symbols are said, and the context a piece is read in.

Letters stay words when they look like words or the lexicon knows them, and are spelled when they
look like acronyms ("XYZ" X Y Z). Identifiers are split at case changes and separators
("getUserName" get user name); in paths and URLs every separator is said, since a listener may
have to type it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from html.entities import name2codepoint

from . import numbers as nw
from . import patterns as P
from .acronyms import said_as_word
from .sysnames import system_name


@dataclass
class Item:
    """A piece of the folded text [i, j); punctuation items never join multi-piece readings."""

    text: str
    i: int
    j: int
    punct: bool = False


@dataclass
class Context:
    """What surrounds a piece: neighbouring words (None across punctuation) and the lexicon."""

    prev: str | None
    next: str | None
    before: str | None
    after: str | None
    known: object | None  # KnownWords
    terms: dict
    key: str | None = None  # the word before a colon just before this piece ("cpu: 250m"): a YAML key

    @classmethod
    def around(cls, items: list[Item], k: int, known, terms) -> Context:
        before = items[k - 1] if k else None
        after = items[k + 1] if k + 1 < len(items) else None
        key = items[k - 2].text if k >= 2 and before.text == ":" and not items[k - 2].punct else None
        return cls(before.text if before and not before.punct else None,
                   after.text if after and not after.punct else None,
                   before.text if before else None, after.text if after else None, known, terms, key)

    @classmethod
    def bare(cls, known, terms) -> Context:
        return cls(None, None, None, None, known, terms)

    def knows(self, word: str) -> bool:
        return self.known is not None and self.known.knows(word)

    def names_product(self, word: str) -> bool:
        """Whether the lexicons know `word` as a product that takes a version ("glibc")."""
        test = getattr(self.known, "names_product", None)
        return bool(test and test(word))

    def knows_word(self, word: str) -> bool:
        """Wider than `knows`: also inflected and less certain words, for words in capitals."""
        test = getattr(self.known, "knows_word", None) or self.knows
        return self.known is not None and test(word)

    def term(self, word: str) -> str | None:
        """How a special term (lexicon or built-in) is spoken, or None if `word` is not one."""
        low = word.lower()
        return next((spoken for t, spoken in self.terms.get(low[:1], ()) if t == low), None)

    def is_term(self, word: str) -> bool:
        return self.term(word) is not None


Reading = tuple | None  # a reading rule's answer: (spoken, kind) or (spoken, kind, punct); None: does not apply


def letters(s: str) -> str:
    """Spell letter by letter: "gpu" -> "G P U"."""
    return " ".join(ch.upper() for ch in s if ch.isalpha())


def is_latin(word: str) -> bool:
    return all(ch < "\u0250" or "\u1e00" <= ch <= "\u1eff" or ch == "'" for ch in word)


def is_mixed_case(word: str) -> bool:
    return word.isalpha() and not word.islower() and not word.isupper() and not is_capitalized(word)


def is_capitalized(word: str) -> bool:
    return word[:1].isupper() and word[1:].replace("'", "").islower()


def version_context(ctx: Context) -> bool:
    """"Python 3.12", "OAuth 2.0", "TLS 1.3": a decimal after a product name is a version."""
    prev = ctx.prev or ""
    if not prev or prev in P.CURRENCY_CODES:
        return False
    return (prev.lower() in P.PRODUCTS or ctx.is_term(prev) or is_mixed_case(prev) or ctx.names_product(prev)
            or (prev.isalpha() and len(prev) >= 2 and prev.isupper()))


# ---------------------------------------------------------------- words, code, paths

def is_article(word: str, following: str | None, after: str | None = None, *, name: bool = False,
               said: bool = False, opens_sentence: bool = False) -> bool:
    """Whether a lone "a" or "A" is the article, not the letter: the one place this is decided,
    from what each caller knows. `following`: the next piece as written (None where a piece ends;
    `after` is then the text after it): "a user", "A 404 page", "a (libc) build" are articles;
    "a != b", "plan A", "A vs. B" are letters. Callers that learn more re-decide a letter with it:
    `name`, a name read whole follows ("a Vec<T>", "A [kubectl](/…/)"); `said`, a span of markup
    read as the words `following` ("a `Result<T, E>`": only "a", only before a letter);
    `opens_sentence`, the sentence opens with it ("A Readable stream": only "A", whatever follows)."""
    if word not in ("a", "A"):
        return False
    if name:
        return True
    if opens_sentence:
        return word == "A"
    if said:
        return word == "a" and (following or "")[:1].isalpha()
    nxt = following or ""
    if word == "a":  # an opening bracket or quote is its own piece: "a (" is an article too
        if nxt[:1] in ("$", "~", "/", ".") and len(nxt) > 1:  # "a $JETTY_BASE", "a .env file"
            return True
        return nxt[:1].isalnum() or (following is None and (after or "")[:1] in "([{\"'“‘" and bool(after))
    return nxt[:1].isalnum() and not nxt[:1].isupper() and nxt.lower() not in P.LETTER_CONTEXT


def say_word(word: str, ctx: Context, code: bool = False) -> tuple[str, str]:
    """A run of letters (apostrophes allowed): kept as a word, a known term, or spelled.
    `code` marks a part of an identifier, where short consonant clusters are spelled ("np") and
    a single letter is always a letter ("a1b2c3d": A one B two, never the article)."""
    if len(word) == 1 and word.isalpha() and is_latin(word) and (code or word in "aA"):  # "a + b", "plan A"
        return ("a", "word") if not code and is_article(word, ctx.next, ctx.after) else (word.upper(), "letters")
    if word.lower() in P.WORD_READINGS:
        return P.WORD_READINGS[word.lower()], "word"
    if not code and word in P.DOTLESS_BEFORE_NUMBER and (ctx.next or "")[:1].isdigit():  # "Ch 6.5": chapter
        return P.ABBREVIATIONS[word.lower() + "."], "abbreviation"
    if not code and word in P.PROSE_ABBREVIATIONS:  # "eg" and "ie" without their dots, in prose only
        return P.PROSE_ABBREVIATIONS[word], "abbreviation"
    if not is_latin(word):
        return _say_non_latin(word, ctx)
    if word in ("IT", "US") and _in_shouted_phrase(ctx):  # "IT IS DONE": the word, not I T
        return word.lower(), "word"
    stem = word[:-2] if word[-2:] in ("'s", "’s") else None
    if stem and not (stem.islower() or (len(stem) > 1 and is_capitalized(stem)) or ctx.knows(word)):
        said, kind = say_word(stem, ctx, code)  # "OpenAI's", "PyTorch's": the name, then /z/
        return said, "acronym_plural" if kind in ("letters", "acronym") else "term_plural"
    plural = P.RE_ACRONYM_PLURAL.fullmatch(word)
    if plural and not ctx.knows(word):
        singular = plural.group(1)
        if ctx.knows(singular):
            return singular, "term_plural"
        return letters(singular), "acronym_plural"
    if (word in P.TIME_ZONES or word in P.ERAS and any(n and n[0].isdigit() for n in (ctx.prev, ctx.next))) \
            and not _is_tech_term(word, ctx):
        return letters(word), "acronym"  # "10:30 EST", "AD 79": the letters, not the words "est" and "ad"
    if ctx.knows(word):
        if word.islower() or is_capitalized(word):
            return word.lower(), "word"
        return word, "term"
    if len(word) == 1:
        return word.upper(), "letters"
    if word.isupper() and (said := system_name(word)):  # "EINVAL": E inval, not a guess or E I N V A L
        return said, "word"
    if word.isupper():
        return _say_capitals(word, ctx, code)
    if word.islower() or is_capitalized(word):
        if code and len(word) <= 4 and not set(word[1:] if word[0] == "y" else word) & P.VOWELS and word != "Py":
            return letters(word), "letters"
        return word.lower(), "word"
    if re.fullmatch(r"Mc[A-Z][a-z]+", word):  # "McFee", "McKinney": a name, not "M C fee"
        return f"mick {word[2:].lower()}", "word"
    if word.startswith("Py") and len(word) > 2 and word[2].isupper():  # "PyAV", "PyQt": py, then the rest
        rest = word[2:]
        return f"py {rest if ctx.knows(rest) else say_word(rest, ctx, code=True)[0]}", "word"
    if len(word) <= 4 and sum(ch.isupper() for ch in word) >= 2:  # "PhD", "IoT", "YoY"
        return letters(word), "acronym"
    known = _known_tail(word, ctx)
    if known:  # "LocalLLaMA", "useOAuth": a known mixed-case term keeps its own reading
        return f"{say_word(word[:-len(known)], ctx, code=True)[0]} {known}", "code" if word[0].islower() else "word"
    humps = split_humps(word)
    if len(humps) == 1:
        return word.lower(), "word"
    said = [say_word(h, ctx, code=True)[0] for h in humps]
    return " ".join(h for h in said if h), "code" if word[0].islower() else "word"


def _say_non_latin(word: str, ctx: Context) -> tuple[str, str]:
    """Greek letters by name, also inside a name ("Δt": delta T); a unit symbol by its name ("µs":
    microseconds). Other scripts have no reading here: "" (the report lists the word as not read)."""
    if word in P.UNITS:
        return P.UNITS[word][1], "unit"
    said = []
    for run in _script_runs(word):
        if is_latin(run):
            said.append(say_word(run, ctx, code=True)[0])
        elif all(ch in P.GREEK for ch in run):
            said += [P.GREEK[ch] for ch in run]
        else:
            return "", "symbol"
    return " ".join(said), "symbol"


def _script_runs(word: str) -> list[str]:
    """"Δt" -> ["Δ", "t"]: runs of Latin and of other letters."""
    runs: list[str] = []
    for ch in word:
        if runs and is_latin(runs[-1][-1]) == is_latin(ch):
            runs[-1] += ch
        else:
            runs.append(ch)
    return runs


def _is_tech_term(word: str, ctx: Context) -> bool:
    test = getattr(ctx.known, "is_tech_term", None) or ctx.knows
    return test(word)


def _in_shouted_phrase(ctx: Context) -> bool:
    """A neighbour is a word in capitals that no lexicon knows as a term ("IS", "DONE"; not "HR",
    "API"): the sentence is shouted, not a run of acronyms."""
    return any(n and len(n) >= 2 and n.isalpha() and n.isupper() and not _is_tech_term(n, ctx)
               and ctx.knows_word(n.lower()) for n in (ctx.prev, ctx.next))


def _known_tail(word: str, ctx: Context) -> str | None:
    """The longest known mixed-case term ending `word` after a first part of 2+ letters that
    camel-case humps would cut into scraps ("LLaMA" in "LocalLLaMA": not "L La MA")."""
    for k in range(2, len(word) - 2):
        tail = word[k:]
        if (tail[0].isupper() and is_mixed_case(tail) and any(len(h) <= 2 for h in split_humps(tail))
                and ctx.knows(tail)):
            return tail
    return None


def split_humps(word: str) -> list[str]:
    """Camel-case humps: "HTTPServer" HTTP Server, "macOS" mac OS, "OAuth" O Auth."""
    humps = []
    start = 0
    for k in range(1, len(word)):
        a, b, c = word[k - 1], word[k], word[k + 1:k + 2]
        if (a.islower() and b.isupper()) or (a.isupper() and b.isupper() and c.islower()):
            humps.append(word[start:k])
            start = k
    humps.append(word[start:])
    return humps


def _say_capitals(word: str, ctx: Context, code: bool) -> tuple[str, str]:
    """All capitals: an acronym to spell ("XYZ"), unless it is a shouted word ("WARNING") or a
    word of a CONSTANT_NAME ("OMP_NUM_THREADS": num threads), or a word of a shouted phrase ("DO
    NOT USE IT": a neighbour is in capitals too; terms such as "API" were matched before this). With
    a lexicon, a word is one it knows in lower case, inflected ("DEVICES") or not, or an acronym that
    reads as an English word (`acronyms.said_as_word`: "NAT", "MIPS"); without one, five or more
    letters with a vowel."""
    if ctx.known is not None:
        if code and word in P.CONSTANT_WORDS and not _is_tech_term(word, ctx):  # "NO_COLOR", "ON_ERROR"
            return word.lower(), "word"
        shouted = not code and any(n and len(n) >= 2 and n.isalpha() and n.isupper() for n in (ctx.prev, ctx.next))
        is_word = len(word) >= (3 if code else 2 if shouted else 5) and ctx.knows_word(word.lower())
        # "This WILL fail", "set to NEW or OLD", "is NOT supported": a shouted or keyword word of 3-4
        # letters the general lexicon has and no technical one (a 3-letter one has a vowel: not "GSM")
        is_word = is_word or (len(word) in (3, 4) and (len(word) == 4 or bool(set(word) & set("AEIOU")))
                              and ctx.knows(word.lower()) and not _is_tech_term(word, ctx))
        # an acronym no lexicon knows: said if it reads as an English word ("NAT", "MIPS"), else spelled
        is_word = is_word or said_as_word(word)
    else:
        is_word = len(word) >= 5 and bool(set(word) & P.VOWELS)
    return (word.lower(), "word") if is_word else (letters(word), "acronym")


def say_digits(digits: str) -> str:
    """Digits inside a name: "x86" eighty six, "H100" one hundred, "RTX4090" forty ninety,
    "i9-13900K" thirteen nine hundred."""
    return nw.grouped(digits) if len(digits) <= 5 else nw.integer(digits)


def say_symbols(run: str, names: dict | None = None) -> str:
    """Name a run of symbols, longest table entry first ("->" to, "::" colon colon)."""
    names = names or {}
    words = []
    k = 0
    while k < len(run):
        for size in (3, 2, 1):
            piece = run[k:k + size]
            if len(piece) == size and (piece in names or piece in P.SYMBOLS):
                words.append(names.get(piece, P.SYMBOLS.get(piece, "")))
                k += size
                break
        else:
            k += 1  # no name: silent, but still inside the token's span
    return " ".join(w for w in words if w)


def say_code(text: str, ctx: Context, path: bool = False) -> str:
    """Identifiers and other mixed pieces: snake_case and camelCase become words, "." is "dot".
    In paths every separator is said ("my-file" my dash file); in code "-" and "_" are silent.
    Dotted numbers are versions ("torch==2.3.1"), digits before a unit a quantity ("80GB")."""
    if said := system_name(text):  # "O_RDONLY": O read only; "SIGUSR1": sig user one
        return said
    if text.startswith("O(") and len(text) > 2:  # "O(n log n)": big O
        return f"O of {say_code(text[2:], ctx, path)}".strip()
    numbers = list(P.RE_SCIENTIFIC_IN_CODE.finditer(text))
    if numbers:  # "lr=3e-4": the exponent's minus is said, not dropped with the dashes
        pieces, pos = [], 0
        for m in numbers:
            pieces += [say_code(text[pos:m.start()], ctx, path), say_scientific(m.group())]
            pos = m.end()
        return " ".join(p for p in [*pieces, say_code(text[pos:], ctx, path)] if p)
    digest = P.RE_HEX_DIGEST.search(text)
    if digest and not path:  # "sha256:9f86d081…", "commit=3f9a2b1": the hash character by character
        return " ".join(w for w in (say_code(text[:digest.start()], ctx), spell_hex(digest.group()),
                                    say_code(text[digest.end():], ctx)) if w)
    if not path and P.RE_UNDERSCORED_NUMBER.fullmatch(text):  # "0.000_001", "1_000.5": digit separators
        return nw.quantity(text.replace("_", ""))
    names = P.PATH_SEPARATORS if path else {}
    if "<" in text:
        text = P.RE_PLACEHOLDER.sub(r" \1 ", text)  # "<user>@<host>": user at host
    parts = [m.group() for m in P.RE_CODE_PART.finditer(text)]
    words = []
    k = 0
    while k < len(parts):
        part = parts[k]
        before, after = parts[k - 1] if k else "", parts[k + 1] if k + 1 < len(parts) else ""
        grouped = _digit_groups(parts, k) if part.isdigit() and len(part) <= 3 and not path else k
        if grouped > k:  # "1_000_000", "98_222": Rust's and Python's digit separators
            words.append(nw.integer("".join(parts[k:grouped + 1:2])))
            k = grouped
        elif part[0].isdigit() and "." in part:
            words.append(_say_dotted_number(part, before, path))
        elif part[0].isdigit() and len(after) > 1 and after in P.UNITS:  # not "k8s"
            unit = P.UNITS[after]
            words.append(f"{nw.integer(part)} {unit[0] if part == '1' else unit[1]}")
            k += 1
        elif part[0].isdigit() and len(part) == 5 and not (before[-1:].isalpha() or after[:1].isalpha()):
            words.append(nw.integer(part))  # "sr=22050" is a value; "13900K" a model number
        elif part[0].isdigit():
            words.append(say_digits(part))
        elif part[0] == "_":
            words.append(" ".join(["underscore"] * len(part)) if path else "")
        elif part in ("^", "**", "^-", "**-") and before[-1:].isalnum() and after.isdigit() and not path:
            words.append(power_words(part.lstrip("^*") + after))  # "n^2", "2**31", "10^-3"
            k += 1
        elif part == "^" and before[-1:].isalnum() and len(after) == 1 and after.isalpha() and not path:
            words.append("to the power of")  # "2^n", "x^i"
        elif (part == "-" and after.isdigit() and not path and k >= 1
              and (len(before) == 1 and before.islower() or before[-1:] in ")]"
                   or before.isdigit() and k >= 2 and parts[k - 2] in ("^", "**"))):
            words.append("minus")  # "a[i-1]", "len(x)-1", "2^8-1": arithmetic, not a dash
        elif (not k and not path and (part in ("&[", "&'") or part == "&" and after[:1].isalpha())
              and re.match(r"&(\w*)", text).group(1) not in name2codepoint):  # "&amp;" is no reference
            words += ["ref", say_symbols(part[1:], names)]  # "&mut self", "&str", "&[u8]": a reference
        elif k and not path and re.fullmatch(r"[(\[{,=<]+&", part) and after[:1].isalpha():
            words += [say_symbols(part[:-1], names), "ref"]  # "Some(&element)", "f(a, &b)": a reference
        elif part == "sqrt" and not path:
            words.append("the square root of" if after.startswith("(") and after != "()" else "square root")
        elif part[0].isalpha():
            words.append(say_word(part, ctx, code=True)[0])
        elif part in ("-(", "-[") and not k and not path:  # "-(a + b)", "-(2^7)": negated
            words.append("minus")
        elif part == "-" and not k and not path and after.lower() in P.MATH_WORDS:  # "-pi/2", "-inf"
            words.append("minus")
        elif part in ("/", "/(") and not path and _mathy(before) and _mathy(after) and (
                before.isdigit() or after.isdigit() or before.lower() in P.MATH_WORDS
                or after.lower() in P.MATH_WORDS or not is_latin(before + after)):
            words.append("over")  # "π/2", "1/sqrt(2)", "x/2": a quotient
        elif part == "^(" and before[-1:].isalnum() and not path:  # "e^(self)"
            words.append("to the power of")
        elif part.endswith("-") and after[:1].isdigit() and (len(part) > 1 or not k) and not path:
            words += [say_symbols(part[:-1], names), "minus"]  # "nargs=-1", "[-1]": a negative number
        else:
            words.append(say_symbols(part, names))
        k += 1
    return " ".join(w for w in words if w)


def _mathy(part: str) -> bool:
    """A number, a one-letter variable, a Greek letter or a math word: what a "/" divides."""
    return (part.isdigit() or (len(part) == 1 and part.isalpha()) or part.lower() in P.MATH_WORDS
            or bool(part) and all(ch in P.GREEK for ch in part))


def _digit_groups(parts: list[str], k: int) -> int:
    """Index of the last part of a number grouped by underscores that starts at parts[k], else k."""
    end = k
    while end + 2 < len(parts) and parts[end + 1] == "_" and len(parts[end + 2]) == 3 and parts[end + 2].isdigit():
        end += 2
    return end


def power_words(exponent: str) -> str:
    """"2": squared, "3": cubed, "-3": to the power of minus three."""
    if exponent in ("2", "3"):
        return "squared" if exponent == "2" else "cubed"
    sign = "minus " if exponent[:1] in "-−" else ""
    return f"to the power of {sign}{nw.integer(exponent.lstrip('+-−'))}"


def spell_hex(hex_digits: str) -> str:
    """"9f86d0" nine F eight six D zero: each digit and letter on its own."""
    return " ".join(nw.ONES[int(ch)] if ch.isdigit() else ch.upper() for ch in hex_digits)


def say_scientific(number: str) -> str:
    """"3e-4": three E minus four."""
    m = P.RE_SCIENTIFIC.fullmatch(number)
    exp = m["exp"]
    sign = "minus " if exp.startswith("-") else ""
    return f"{nw.quantity(m['mantissa'])} E {sign}{nw.integer(exp.lstrip('+-'))}"


def _say_dotted_number(number: str, before: str, path: bool) -> str:
    """"2.3.1" a version, "1.26" after "==" a version, "3.14" a decimal, in a URL "10.0.0.1" an
    address."""
    parts = number.split(".")
    if path and len(parts) == 4:
        return " dot ".join(map(nw.integer, parts))
    if len(parts) > 2 or before in P.VERSION_PINS or before[:1].isalpha():
        return nw.version(parts)
    return nw.decimal(number)


def say_path(text: str, ctx: Context) -> str:
    """Paths and URL bodies segment by segment; a special term ("x86_64") stays whole."""
    words = []
    for part in re.split(r"([/\\])", text):
        if part in ("/", "\\"):
            words.append(P.SYMBOLS[part])
        elif part:
            words.append(ctx.term(part) or say_code(part, ctx, path=True))
    return " ".join(w for w in words if w)
