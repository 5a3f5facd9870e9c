"""The record that flows through the frontend: a piece of the original input and how it is spoken."""
from __future__ import annotations

from dataclasses import dataclass, field

MAX_BREAK_S = 10.0  # an explicit pause longer than this is capped (with a warning)

# Sources of a pronunciation, best first. "compound": a run-together name split into two known
# parts ("gpustat"); "letters": spelled letter by letter.
SOURCES = ("override", "user", "tech", "gold", "silver", "compound", "letters", "espeak")


@dataclass
class Token:
    """One unit of the original input.

    `span` is [start, end) in the original input, so `input[span[0]:span[1]] == original`.
    `spoken` is what is said, words separated by spaces ("thirty five milliseconds"); a single
    upper-case letter in it is read as the letter's name. Empty `spoken` means nothing is said
    (pure punctuation). `phonemes` is a fixed pronunciation in the Kokoro (misaki) alphabet, set by
    inline overrides or SSML, bypassing the lexicons. `punct` is prosodic punctuation that follows.
    `pause_after_s` is an explicit silence after the token (SSML <break>: kind "break", nothing
    spoken); `rate` multiplies the speaking speed (SSML <prosody rate>).
    """

    original: str
    span: tuple[int, int]
    spoken: str
    kind: str = "word"
    phonemes: str | None = None
    punct: str = ""
    pause_after_s: float = 0.0
    rate: float = 1.0


@dataclass
class Paragraph:
    """A unit of narration with its tokens, the silence after it, and spans not read aloud."""

    kind: str
    tokens: list[Token]
    pause_s: float = 0.5
    skipped: list[tuple[str, tuple[int, int], str]] = field(default_factory=list)  # text, span, why
    marks: list[tuple[str, tuple[int, int]]] = field(default_factory=list)  # SSML <mark>: name, span of the tag


@dataclass
class Word:
    """A phonemized spoken word, tied back to the token (and so the original span) it came from."""

    text: str
    phonemes: str
    source: str
    token: Token = field(repr=False)
    everyday: bool = False  # a word of general English (in the gold lexicon), whatever its source here

    @property
    def span(self) -> tuple[int, int]:
        return self.token.span


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset, for messages people can jump to."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
