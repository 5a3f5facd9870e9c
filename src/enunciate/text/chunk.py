"""Sentences and chunks: split normalized tokens at sentence ends, then fit each sentence into the
voice's phoneme budget, breaking at clause punctuation before falling back to word boundaries."""
from __future__ import annotations

from typing import Iterator, Sequence

from .tokens import Token, Word

SENTENCE_END = set(".!?…")
CLAUSE = set(",;:—")
PROSODIC = {",": ",", ";": ";", ":": ":", ".": ".", "!": "!", "?": "?", "…": ".", "—": ","}


def punctuation(token: Token) -> str:
    """The prosodic punctuation a token carries. The normalizer moves each mark onto the spoken
    token before it, so punctuation tokens themselves carry none."""
    marks = [PROSODIC[ch] for ch in token.punct if ch in PROSODIC]
    return marks[-1] if marks else ""


def sentences(tokens: Sequence[Token]) -> Iterator[list[Token]]:
    """Runs of tokens said in one breath: cut after sentence-ending punctuation and after explicit
    breaks, and before a change of speaking rate (one synthesis call has one speed)."""
    current: list[Token] = []
    for tok in tokens:
        if current and tok.rate != current[-1].rate:
            yield current
            current = []
        current.append(tok)
        if punctuation(tok) in SENTENCE_END or tok.pause_after_s > 0:
            yield current
            current = []
    if current:
        yield current


def fit(words: Sequence[Word], lengths: Sequence[int], budget: int) -> Iterator[list[int]]:
    """Group word indices into runs whose summed `lengths` stay within `budget`.

    A run is cut after the last clause punctuation that fits, else after the last word that fits;
    a single word longer than the budget is its own run (the voice truncates it with a warning).
    """
    start = 0
    n = len(words)
    while start < n:
        total, end, last_clause = 0, start, None
        while end < n and (end == start or total + lengths[end] <= budget):
            total += lengths[end]
            if punctuation(words[end].token) in CLAUSE and words[end].token is not (
                    words[end + 1].token if end + 1 < n else None):
                last_clause = end
            end += 1
        if end < n and last_clause is not None and last_clause >= start:
            end = last_clause + 1
        yield list(range(start, end))
        start = end
