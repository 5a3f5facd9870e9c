"""The words of a user's documents that enunciate would guess or spell: what to put in a lexicon.

`suggest(paths)` reads each document as `enunciate speak` would (its markup from the file's suffix),
runs the frontend without a voice, and returns one `Suggestion` per word whose reading is a guess
of espeak-ng ("guessed") or a spelling letter by letter because no lexicon knows the acronym
("spelled"), most frequent first, with the reading enunciate would use. A user corrects the wrong
ones in a lexicon file, passes it back (`lexicons=`), and the list shrinks; `enunciate lexicon
suggest --strict` makes that a gate in CI.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import EnunciateError
from .chunk import sentences
from .document import markup_of, paragraphs
from .g2p import G2P
from .lexicon import Lexicon
from .tokens import Token, Word, line_col

_ACRONYM_KINDS = ("acronym", "acronym_plural")


@dataclass
class Suggestion:
    """A word enunciate has no sure reading for, with the reading it would use."""

    word: str       # as written where first seen (a spelled plural without its "s": "XYZs" -> "XYZ")
    count: int      # occurrences over all the documents
    kind: str       # "guessed" (espeak-ng) or "spelled" (letter by letter)
    spoken: str     # the words the normalizer gave it
    phonemes: str   # its reading, Kokoro alphabet
    source: str     # where the reading came from: "espeak" or "letters"
    first_seen: str  # "path:line:column"


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as e:
        raise EnunciateError(f"cannot read {path}: {e.strerror}") from e
    except UnicodeDecodeError as e:
        raise EnunciateError(f"{path} is not valid UTF-8 (byte {e.start}): save it as UTF-8") from e


def _unsure(token: Token, words: Sequence[Word]) -> list[tuple[str, str, str, str, str]]:
    """(key, word, spoken, phonemes, source) for each unsure reading in one token: every guessed word,
    and a whole acronym spelled because no lexicon knows it ("QQRT": Q Q R T)."""
    found = [(w.text.lower(), w.text, w.text, w.phonemes, w.source) for w in words if w.source == "espeak"]
    if token.kind in _ACRONYM_KINDS and words and all(w.source == "letters" for w in words):
        letters = "".join(token.spoken.split())
        found.append((letters, letters, token.spoken, " ".join(w.phonemes for w in words), "letters"))
    elif not found:
        found = [(w.text, w.text, w.text, w.phonemes, w.source) for w in words
                 if w.source == "letters" and len(w.text) > 1]  # an upper-case word the G2P spelled
    return found


def suggest(paths: Iterable[str | Path], lexicons: Sequence[str | Path] = (),
            markup: str | None = None) -> list[Suggestion]:
    """Guessed and spelled words over `paths`, most frequent first (then alphabetically). `lexicons`:
    user lexicon files searched first, as with `--lexicon`; `markup`: how to read every file
    (default: by its suffix, else Markdown)."""
    g2p = G2P([Lexicon.load(p, source="user") for p in lexicons])
    found: dict[str, Suggestion] = {}
    for path in map(Path, paths):
        text = _read(path)
        for para in paragraphs(text, g2p, markup=markup or markup_of(path)):
            for sentence in sentences(para.tokens):
                words = g2p.tokens([t for t in sentence if t.spoken or t.phonemes is not None])
                by_token: dict[int, tuple[Token, list[Word]]] = {}
                for w in words:
                    by_token.setdefault(id(w.token), (w.token, []))[1].append(w)
                for token, token_words in by_token.values():
                    for key, word, spoken, phonemes, source in _unsure(token, token_words):
                        if key in found:
                            found[key].count += 1
                            continue
                        line, col = line_col(text, token.span[0])
                        kind = "guessed" if source == "espeak" else "spelled"
                        found[key] = Suggestion(word, 1, kind, spoken, phonemes, source, f"{path}:{line}:{col}")
    return sorted(found.values(), key=lambda s: (-s.count, s.word.lower()))
