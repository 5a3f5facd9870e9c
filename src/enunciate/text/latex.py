"""Inline LaTeX math ("$O(n^2)$", RST's :math:`\\frac{a}{b}`) -> words a listener can follow.

Not a full MathSpeak: the common inline forms of technical docs (powers, subscripts, fractions,
roots, Greek letters, named functions, relations). The words go through the normalizer like any
text, so numbers and letters are read as everywhere else.
"""
from __future__ import annotations

import re

from .patterns import GREEK

_NAMES = {name: name for name in GREEK.values()} | {
    "cdot": "times", "times": "times", "div": "divided by", "pm": "plus or minus", "mp": "minus or plus",
    "le": "less than or equal to", "leq": "less than or equal to", "ge": "greater than or equal to",
    "geq": "greater than or equal to", "ne": "not equal to", "neq": "not equal to", "approx": "approximately",
    "sim": "on the order of", "propto": "proportional to", "equiv": "equivalent to", "in": "in",
    "notin": "not in", "subset": "subset of", "to": "to", "rightarrow": "to", "leftarrow": "gets",
    "mapsto": "maps to", "infty": "infinity", "ldots": "and so on", "cdots": "and so on", "dots": "and so on",
    "sum": "the sum", "prod": "the product", "int": "the integral", "lim": "the limit", "partial": "partial",
    "nabla": "nabla", "forall": "for all", "exists": "there exists", "log": "log", "ln": "natural log",
    "exp": "exp", "sin": "sine", "cos": "cosine", "tan": "tangent", "max": "max", "min": "min",
    "arg": "arg", "argmax": "arg max", "argmin": "arg min", "det": "determinant", "Pr": "probability",
    "mathbb": "", "mathbf": "", "mathrm": "", "mathcal": "", "boldsymbol": "", "text": "", "operatorname": "",
    "left": "", "right": "", "big": "", "Big": "", "quad": "", "qquad": "", "displaystyle": "",
    "textbf": "", "textit": "", "emph": "", "textrm": "", "mathit": "", "hline": "", "noindent": "",
    ",": "", ";": "", ":": "", "!": "", " ": "",  # thin and wide spaces
}
# Layout, not content: their arguments are skipped ("\hspace{13mm}", "\rule{110mm}{0.4pt}", an
# environment's name after \begin and \end)
_LAYOUT = {"hspace": 1, "vspace": 1, "rule": 2, "begin": 1, "end": 1, "phantom": 1, "label": 1,
           "hspace*": 1, "vspace*": 1}
_SYMBOLS = {"=": " equals ", "+": " plus ", "-": " minus ", "<": " less than ", ">": " greater than ",
            "*": " times ", "/": " over ", ",": ", ", "!": " factorial ", "'": " prime "}
_COMMAND = re.compile(r"\\([A-Za-z]+|[,;:! ])")
# "$O(n^2)$", "$$x$$": not "$5 or $10" (a digit after the closing $), not "$HOME and $PATH"
INLINE_MATH = re.compile(r"(?<![\\$\w])(\$\$?)(?=\S)([^$\n]+?)(?<=\S)\1(?![\d$\w])")
_POWER_WORDS = {"2": "squared", "3": "cubed", "T": "transposed", "-1": "inverse"}


_BIG_OPERATORS = {"sum", "prod", "int", "lim", "max", "min", "argmax", "argmin", "bigcup", "bigcap"}


def _between_operands(tex: str, i: int) -> bool:
    """Whether the "*" at tex[i] stands between two operands ("a * b"), not alone ("(*)")."""
    left, right = tex[:i].rstrip()[-1:], tex[i + 1:].lstrip()[:1]
    return bool(left) and bool(right) and (left.isalnum() or left in ")}") and (right.isalnum() or right in "({\\")


def _group(s: str, i: int) -> tuple[str, int]:
    """The argument at s[i]: a {braced group} or one character (or command); returns it and the end."""
    if i < len(s) and s[i] == "{":
        depth, j = 0, i
        while j < len(s):
            depth += {"{": 1, "}": -1}.get(s[j], 0)
            if depth == 0:
                return s[i + 1:j], j + 1
            j += 1
        return s[i + 1:], len(s)
    m = _COMMAND.match(s, i)
    if m:
        return m.group(), m.end()
    return s[i:i + 1], i + 1


def latex_words(tex: str) -> str:
    """"O(n^2)" -> "O of n squared"; "\\frac{a}{b}" -> "a over b"; "x_i" -> "x sub i"."""
    out: list[str] = []
    i = 0
    while i < len(tex):
        ch = tex[i]
        if tex.startswith("\\frac", i) or tex.startswith("\\dfrac", i):
            num, i = _group(tex, tex.index("frac", i) + 4)
            den, i = _group(tex, i)
            out.append(f" {latex_words(num)} over {latex_words(den)} ")
        elif tex.startswith("\\sqrt", i):
            arg, i = _group(tex, i + 5)
            out.append(f" the square root of {latex_words(arg)} ")
        elif tex.startswith("\\\\", i):  # a line break in an aligned block: a pause
            out.append(", ")
            i += 2
        elif ch == "\\":
            m = _COMMAND.match(tex, i)
            if not m:
                i += 1
                continue
            i = m.end()
            if m.group(1) in _LAYOUT:
                for _ in range(_LAYOUT[m.group(1)]):
                    _, i = _group(tex, i)
                if m.group(1) == "begin" and i < len(tex) and tex[i] == "{":
                    _, i = _group(tex, i)  # "\begin{array}{ll}": the column spec too
                continue
            out.append(f" {_NAMES.get(m.group(1), m.group(1))} ")
            if m.group(1) in _BIG_OPERATORS and tex[i:i + 1] in ("_", "^"):  # "\sum_{k=0}^{n}": from k = 0 to n
                limits = {}
                while tex[i:i + 1] in ("_", "^") and tex[i] not in limits:
                    limits[tex[i]], i = _group(tex, i + 1)
                if "_" in limits:
                    word = {"lim": "as"}.get(m.group(1), "over" if "max" in m.group(1) or "min" in m.group(1)
                                             else "from")  # "\lim_{n \to \infty}", "\max_\theta"
                    out.append(f" {word} {latex_words(limits['_'])} ")
                if "^" in limits:
                    out.append(f" to {latex_words(limits['^'])} ")
        elif ch == "*" and not _between_operands(tex, i):  # "(*)": PyTorch's any number of dimensions
            out.append(" star ")
            i += 1
        elif ch == "&":  # an alignment point
            out.append(" ")
            i += 1
        elif ch in "^_":
            arg, i = _group(tex, i + 1)
            said = latex_words(arg).strip()
            if ch == "_":
                out.append(f" sub {said} ")
            else:
                out.append(f" {_POWER_WORDS.get(arg.strip(), f'to the power of {said}')} ")
        elif ch == "(" and out and out[-1].strip() in ("O", "o", "Θ", "theta", "Ω", "omega"):
            out.append(" of ")  # big O: "O(n log n)" is O of n log n
            i += 1
        elif ch in "(){}[]|":
            out.append(" ")
            i += 1
        elif ch in _SYMBOLS:
            out.append(_SYMBOLS[ch])
            i += 1
        else:
            out.append(ch)
            i += 1
    # A single letter is a variable, said as its letter ("a over b": A over B, not the article).
    return " ".join(w.upper() if len(w) == 1 and w.isascii() and w.isalpha() else w for w in "".join(out).split())


def is_math(content: str) -> bool:
    """Not a pair of shell variables or prices caught between two dollar signs."""
    return not re.fullmatch(r"[A-Z_][A-Z0-9_]*\W*", content)
