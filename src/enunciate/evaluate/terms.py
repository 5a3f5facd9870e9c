"""Term sets and the term hit rate: did the listener (Whisper) hear each technical term as intended?

A term set is a TSV file with the header `id<TAB>text<TAB>terms`. `terms` is a `;`-separated list of
`term=regex1|regex2`: the accepted transcriptions of that term, as case-insensitive regexes matched
at word boundaries against the normalize_transcript()-ed ASR output (so write "thirty five
milliseconds", never "35 ms"). Without `=`, the normalized term itself is the only accepted form.
Blank lines and lines starting with `#` are ignored.

Every term set splits the same fixed way into a tuning half and a test half (`split_of`): readings
may be written for the failures of the tuning half; the test half is only measured, so the gap
between the two is how far the frontend generalizes beyond what it was tuned to.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from enunciate.errors import EnunciateError
from enunciate.evaluate.stats import bootstrap_ci
from enunciate.evaluate.textnorm import normalize_transcript

HEADER = ("id", "text", "terms")


@dataclass(frozen=True)
class Term:
    term: str
    patterns: list[re.Pattern]

    def matches(self, normalized: str) -> bool:
        return any(p.search(normalized) for p in self.patterns)


@dataclass(frozen=True)
class TermItem:
    id: str
    text: str
    terms: list[Term]


@dataclass(frozen=True)
class TermRow:
    id: str
    term: str
    hit: bool
    transcript: str


@dataclass(frozen=True)
class TermSummary:
    term: str
    n: int
    n_hits: int

    @property
    def hit_rate(self) -> float:
        return self.n_hits / self.n if self.n else 0.0


@dataclass
class TermReport:
    hit_rate: float
    n_terms: int
    n_hits: int
    rows: list[TermRow]
    failures: list[TermRow] = field(default_factory=list)

    def by_term(self) -> list[TermSummary]:
        """One summary per distinct term, worst hit rate first."""
        counts: dict[str, tuple[int, int]] = {}
        for row in self.rows:
            n, hits = counts.get(row.term, (0, 0))
            counts[row.term] = (n + 1, hits + row.hit)
        summaries = [TermSummary(term, n, hits) for term, (n, hits) in counts.items()]
        return sorted(summaries, key=lambda s: (s.hit_rate, s.term.lower()))

    def ci(self, n: int = 2000, seed: int = 0) -> tuple[float, float]:
        """Bootstrap 95% interval of the hit rate, resampling sentences."""
        per_id: dict[str, list[int]] = {}
        for row in self.rows:
            per_id.setdefault(row.id, []).append(row.hit)
        rates = [sum(h) / len(h) for h in per_id.values()]
        return bootstrap_ci(rates, n=n, seed=seed, weights=[len(h) for h in per_id.values()])


def split_alternatives(regex: str) -> list[str]:
    """Split `a|b(c|d)` at its top-level bars only: ["a", "b(c|d)"]."""
    parts, depth, start, i = [], 0, 0, 0
    in_class = False
    while i < len(regex):
        ch = regex[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(regex[start:i])
            start = i + 1
        i += 1
    parts.append(regex[start:])
    return parts


def _compile(alternative: str, where: str) -> re.Pattern:
    # Normalized transcripts hold no digits, so a digit in a pattern (outside a {m,n} quantifier or
    # an escape) can never match: catch that mistake here rather than as a silent miss later.
    if re.search(r"\d", re.sub(r"\\.|\{\d*,?\d*\}", "", alternative)):
        raise EnunciateError(
            f"{where}: pattern {alternative!r} contains a digit, but transcripts are matched after "
            "normalization, where numbers are words; write 'thirty five', not '35'."
        )
    if not alternative.strip():
        raise EnunciateError(f"{where}: empty alternative in pattern list; remove the stray '|'.")
    try:
        return re.compile(rf"(?<!\w)(?:{alternative})(?!\w)", re.IGNORECASE)
    except re.error as exc:
        raise EnunciateError(f"{where}: bad regex {alternative!r} ({exc}); fix the pattern.") from None


def parse_terms(field_text: str, where: str) -> list[Term]:
    """Parse a `terms` column: `term=regex1|regex2;term2`."""
    terms = []
    for spec in filter(None, (s.strip() for s in field_text.split(";"))):
        term, has_patterns, regex = (s.strip() for s in spec.partition("="))
        if not term:
            raise EnunciateError(f"{where}: term spec {spec!r} has no term before '='.")
        if has_patterns:
            patterns = [_compile(alt, f"{where} (term {term!r})") for alt in split_alternatives(regex)]
        else:
            normalized = normalize_transcript(term)
            if not normalized:
                raise EnunciateError(f"{where}: term {term!r} normalizes to nothing; give patterns with '='.")
            patterns = [re.compile(rf"(?<!\w){re.escape(normalized)}(?!\w)", re.IGNORECASE)]
        terms.append(Term(term, patterns))
    if not terms:
        raise EnunciateError(f"{where}: no terms; list at least one as term=regex.")
    return terms


SPLITS = ("tune", "test")


def split_of(item_id: str) -> str:
    """The split a sentence belongs to, fixed by its id alone: "test" when the first byte of the
    SHA-256 of the id (UTF-8) is 128 or more, else "tune". Nothing about the sentence's text or
    result enters, so no one can move a sentence by editing it; on the dev set it gives 39 tuning
    sentences (112 terms) and 43 test sentences (127 terms)."""
    return "test" if hashlib.sha256(item_id.encode("utf-8")).digest()[0] >= 128 else "tune"


def select_split(items: Sequence[TermItem], split: str | None) -> list[TermItem]:
    """The items of one split ("tune" or "test"); all of them for None."""
    if split is None:
        return list(items)
    if split not in SPLITS:
        raise EnunciateError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    return [item for item in items if split_of(item.id) == split]


DEV_SET = Path(__file__).resolve().parent / "data" / "tech_sentences.tsv"  # package data: works installed too


def load_term_set(path: str | Path) -> list[TermItem]:
    """Read a term-set TSV; errors name the file and line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EnunciateError(f"cannot read term set {path}: {exc.strerror}.") from None
    items: list[TermItem] = []
    seen: dict[str, int] = {}
    header_seen = False
    for lineno, line in enumerate(lines, start=1):
        where = f"{path}:{lineno}"
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        columns = line.split("\t")
        if not header_seen:
            if tuple(c.strip().lower() for c in columns) != HEADER:
                raise EnunciateError(f"{where}: expected the header 'id<TAB>text<TAB>terms', got {line!r}.")
            header_seen = True
            continue
        if len(columns) != len(HEADER) or not all(c.strip() for c in columns):
            raise EnunciateError(
                f"{where}: expected 3 tab-separated columns (id, text, terms), got {len(columns)}"
                f"{' with an empty one' if len(columns) == len(HEADER) else ''}."
            )
        item_id, text, terms = (c.strip() for c in columns)
        if item_id in seen:
            raise EnunciateError(f"{where}: duplicate id {item_id!r} (first on line {seen[item_id]}).")
        seen[item_id] = lineno
        items.append(TermItem(item_id, text, parse_terms(terms, where)))
    if not items:
        raise EnunciateError(f"{path}: no items; the term set is empty.")
    return items


def score_terms(items: Sequence[TermItem], transcripts: Mapping[str, str]) -> TermReport:
    """Term hit rate of `transcripts` (id -> raw ASR text) over `items`."""
    missing = [item.id for item in items if item.id not in transcripts]
    if missing:
        raise EnunciateError(
            f"no transcript for {len(missing)} item(s) ({', '.join(missing[:5])}"
            f"{', ...' if len(missing) > 5 else ''}); transcribe them or score a subset of the items."
        )
    rows = []
    for item in items:
        transcript = transcripts[item.id]
        normalized = normalize_transcript(transcript)
        rows += [TermRow(item.id, t.term, t.matches(normalized), transcript) for t in item.terms]
    n_hits = sum(r.hit for r in rows)
    return TermReport(
        hit_rate=n_hits / len(rows) if rows else 0.0,
        n_terms=len(rows),
        n_hits=n_hits,
        rows=rows,
        failures=[r for r in rows if not r.hit],
    )
