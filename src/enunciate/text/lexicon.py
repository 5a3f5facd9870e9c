"""Pronunciation lexicons: the packaged technical one and users' own, as TSV files.

A file has one entry per line, tab-separated (`#` starts a comment line; a header line
`term<TAB>phonemes...` is skipped):

    term  phonemes  [category  [context  [note]]]

- `term`: the word as written, case-sensitive ("CUDA", "kubectl", "Node.js", "CI/CD").
- `phonemes`: the reading in the Kokoro (misaki US) alphabet with stress marks, words separated
  by spaces ("kjˈub kəntɹˌOl"). IPA is accepted between slashes ("/həˈloʊ/"): it is converted
  with `phonesets.espeak_to_kokoro` and its stress marks are moved onto the vowel, as Kokoro wants.
- `context` (optional): space-separated conditions that must all hold; words are compared
  case-insensitively, ignoring punctuation around them:
    `prev=a|b`    the previous word is one of a, b
    `next=a|b`    the next word is one of a, b
    `case=exact`  the row matches only its exact spelling
  A term may have several context rows and one default row (no prev/next); the first context row
  that matches wins, else the default row. Example: "SQL" is "sequel" with `prev=Microsoft|Azure`
  and `next=Server`, and spelled S Q L by default.

Case policy: an exact-case match is tried first ("MB" megabytes before "Mb" megabits); failing
that, any casing matches ("Kubectl" at a sentence start, "sql", "PYTORCH"), except rows marked
`case=exact`. Those are acronyms whose other casing is an ordinary word read differently ("IT" must
not claim "it", "MR" not "Mr", "ms" not "MS"). Among rows that match only case-insensitively, file
order decides.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import EnunciateError
from .phonesets import KOKORO_VOWELS, STRESS, espeak_to_kokoro

# The Kokoro (misaki US) alphabet, plus ɚ which Kokoro voices also read, stress marks and spaces.
ALPHABET = set("AIOWYbdfhijklmnpstuvwzæðŋɑɔəɛɜɡɪɹɾʃʊʌʒʔʤʧθᵊᵻ")
ALLOWED = ALPHABET | {"ɚ"} | set(STRESS) | {" ", ","}  # "," marks a short pause inside a term ("int, eight")
COLUMNS = ("term", "phonemes", "category", "context", "note")

_CONDITION = re.compile(r"^(prev|next)=([^|=\s]+(?:\|[^|=\s]+)*)$|^case=exact$")
_EDGE = re.compile(r"^\W+|\W+$")
# Typing conveniences seen in hand-written IPA, applied before the espeak conversion.
_IPA_FIXES = {"g": "ɡ", "'": "ˈ", "ɝ": "ɜɹ", "ʦ": "ts", "ʨ": "ʧ", "ʥ": "ʤ", "ɘ": "ə", "ɵ": "O"}


@dataclass(frozen=True)
class Entry:
    """One row: how `term` is read, and the neighbouring words it needs (empty: any)."""

    term: str
    phonemes: str
    category: str = ""
    prev: tuple[str, ...] = ()
    next: tuple[str, ...] = ()
    source: str = "tech"
    exact_case: bool = False
    note: str = ""

    @property
    def is_default(self) -> bool:
        return not self.prev and not self.next

    def fits(self, prev: str, nxt: str) -> bool:
        return (not self.prev or prev in self.prev) and (not self.next or nxt in self.next)


def _fold(word: str | None) -> str:
    return _EDGE.sub("", word or "").casefold()


def ipa_to_kokoro(ipa: str) -> str:
    """IPA (as espeak-ng or a dictionary writes it) -> Kokoro alphabet, stress marks before vowels."""
    ipa = "".join(_IPA_FIXES.get(ch, ch) for ch in ipa)
    out = []
    for word in espeak_to_kokoro(ipa).split():
        chars, pending = [], ""
        for ch in word:
            if ch in STRESS:
                pending = ch  # IPA puts stress at the syllable start; Kokoro right before the vowel
            elif pending and ch in KOKORO_VOWELS:
                chars += [pending, ch]
                pending = ""
            else:
                chars.append(ch)
        out.append("".join(chars) + pending)
    return " ".join(out)


def _parse_context(text: str) -> tuple[tuple[str, ...], tuple[str, ...], bool] | None:
    prev: tuple[str, ...] = ()
    nxt: tuple[str, ...] = ()
    exact = False
    for condition in text.split():
        m = _CONDITION.match(condition)
        if not m:
            return None
        if m.group(1) is None:
            exact = True
            continue
        words = tuple(_fold(w) for w in m.group(2).split("|"))
        if m.group(1) == "prev":
            prev = words
        else:
            nxt = words
    return prev, nxt, exact


class Lexicon:
    """Entries by term; lookup() picks the row for a word in its context."""

    def __init__(self, entries: list[Entry], name: str = "lexicon"):
        self.name = name
        self._entries = list(entries)
        self._exact: dict[str, list[Entry]] = {}
        self._folded: dict[str, list[Entry]] = {}
        for entry in self._entries:
            self._exact.setdefault(entry.term, []).append(entry)
            if not entry.exact_case:
                self._folded.setdefault(entry.term.casefold(), []).append(entry)
        self._terms = list(dict.fromkeys(e.term for e in self._entries))

    @classmethod
    def load(cls, path: str | Path, source: str = "user") -> Lexicon:
        """Read a TSV lexicon; any malformed line raises EnunciateError naming the file and line."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise EnunciateError(f"lexicon file {path} does not exist") from None
        except OSError as e:
            raise EnunciateError(f"cannot read lexicon file {path}: {e.strerror}") from None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            line = data[: e.start].count(b"\n") + 1
            raise EnunciateError(f"{path}:{line}: not valid UTF-8 (byte 0x{data[e.start]:02x}); "
                                 "save the lexicon as UTF-8") from None
        return cls.parse(text, name=str(path), source=source)

    @classmethod
    def parse(cls, text: str, name: str = "<lexicon>", source: str = "user") -> Lexicon:
        """Entries from TSV text; `name` is used in error messages."""
        entries: list[Entry] = []
        seen: dict[tuple, int] = {}
        header_done = False
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cols = [c.strip() for c in line.split("\t")]
            if not header_done:
                header_done = True
                if [c.lower() for c in cols[:2]] == ["term", "phonemes"]:
                    continue
            where = f"{name}:{lineno}"
            if not 2 <= len(cols) <= len(COLUMNS):
                hint = " (columns must be separated by tabs)" if len(cols) == 1 else ""
                raise EnunciateError(f"{where}: expected 2 to 5 tab-separated columns ({', '.join(COLUMNS)}), "
                                     f"found {len(cols)}{hint}")
            cols += [""] * (len(COLUMNS) - len(cols))
            term, phonemes, category, context, note = cols
            if not term:
                raise EnunciateError(f"{where}: the term is empty")
            phonemes = " ".join(phonemes.split())
            ipa = len(phonemes) >= 2 and phonemes.startswith("/") and phonemes.endswith("/")
            if ipa:
                phonemes = ipa_to_kokoro(phonemes[1:-1])
            if not phonemes.strip(STRESS + " "):
                raise EnunciateError(f"{where}: no phonemes for {term!r}")
            bad = [ch for ch in dict.fromkeys(phonemes) if ch not in ALLOWED]
            if bad:
                symbols = ", ".join(repr(ch) for ch in bad)
                if ipa:
                    raise EnunciateError(f"{where}: the IPA for {term!r} has symbols enunciate cannot convert "
                                         f"to the Kokoro alphabet: {symbols}")
                raise EnunciateError(
                    f"{where}: phonemes {phonemes!r} for {term!r} use symbols outside the Kokoro alphabet: "
                    f"{symbols}; write IPA between slashes (/.../) to have it converted")
            parsed = _parse_context(context)
            if parsed is None:
                raise EnunciateError(f"{where}: bad context {context!r}; expected space-separated "
                                     "prev=word|word, next=word|word or case=exact")
            prev, nxt, exact = parsed
            key = (term, prev, nxt)
            if key in seen:
                what = "a default row" if not prev and not nxt else "a row with the same context"
                raise EnunciateError(f"{where}: {term!r} already has {what} (line {seen[key]})")
            seen[key] = lineno
            entries.append(Entry(term, phonemes, category, prev, nxt, source, exact, note))
        return cls(entries, name)

    def _candidates(self, word: str) -> list[Entry]:
        return self._exact.get(word) or self._folded.get(word.casefold(), [])

    def lookup(self, word: str, prev: str | None = None, next: str | None = None) -> Entry | None:
        """The entry for `word` between `prev` and `next` (None: no word there), or None."""
        rows = self._candidates(word)
        p, n = _fold(prev), _fold(next)
        for entry in rows:
            if not entry.is_default and entry.fits(p, n):
                return entry
        return _default(rows)

    def terms(self) -> list[str]:
        """Every term once, in file order."""
        return list(self._terms)

    def special_terms(self) -> list[str]:
        """Terms with characters other than letters ("C++", "Node.js", "k8s", "Hugging Face"),
        longest first, so a tokenizer can keep them whole by trying them in order."""
        special = [t for t in self.terms() if not t.isalpha()]
        return sorted(special, key=len, reverse=True)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries)

    def __len__(self) -> int:
        """The number of distinct terms (a term with context rows counts once)."""
        return len(self._terms)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and bool(self._candidates(word))

    def __repr__(self) -> str:
        return f"Lexicon({self.name!r}, {len(self)} terms)"


def _default(rows: list[Entry]) -> Entry | None:
    return next((e for e in rows if e.is_default), None)


@functools.lru_cache(maxsize=1)
def tech_lexicon() -> Lexicon:
    """The packaged technical lexicon (src/enunciate/text/data/tech_lexicon.tsv)."""
    resource = resources.files("enunciate.text").joinpath("data", "tech_lexicon.tsv")
    return Lexicon.parse(resource.read_text(encoding="utf-8"), name="tech_lexicon.tsv", source="tech")


__all__ = ["Entry", "Lexicon", "ipa_to_kokoro", "tech_lexicon"]


def starter_lexicon(words) -> tuple[str, int]:
    """A user lexicon in this file's format from (term, phonemes) pairs, each term once: the words
    espeak-ng had to guess, with its guess, for a person to correct and pass back with --lexicon.
    Returns the TSV text and the number of terms."""
    rows = ["# Words enunciate had to guess (espeak-ng), with the guess in the Kokoro alphabet.",
            "# Correct the phonemes (or write IPA between slashes) and pass this file with --lexicon.",
            "term\tphonemes"]
    seen: set[str] = set()
    for text, phonemes in words:
        term = text.strip(".,;:!?\"'()[]{}")
        if term and term not in seen:
            seen.add(term)
            rows.append(f"{term}\t{phonemes}")
    return "\n".join(rows) + "\n", len(seen)
