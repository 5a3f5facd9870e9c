"""Text -> paragraphs of tokens -> sentences -> phonemes -> chunks -> audio, as generators.

Every chunk carries the words it spoke with their spans in the original input and their times in
the whole output (pauses included), so streaming, captions and reports all come from one pass.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence

import numpy as np

from .errors import EnunciateError
from .options import SpeakOptions
from .text.chunk import CLAUSE, fit, punctuation, sentences
from .text.document import paragraphs
from .text.g2p import G2P
from .text.lexicon import Lexicon
from .text.tokens import MAX_BREAK_S, Paragraph, Token, Word
from .voices.base import AudioChunk, Voice

log = logging.getLogger(__name__)

GUESSED = ("espeak",)


@dataclass
class WordTiming:
    """A spoken word of the original input: `text == input[span[0]:span[1]]`."""

    text: str
    span: tuple[int, int]
    spoken: str
    phonemes: str
    source: str
    start_s: float = 0.0
    end_s: float = 0.0


@dataclass
class Skipped:
    """A span of the input that was not spoken, and why."""

    text: str
    span: tuple[int, int]
    reason: str


@dataclass
class Mark:
    """An SSML <mark name="…"/>: `span` is the tag's in the input; `time_s` is when the first word
    after it starts (the end of the audio when no word follows; None until synthesized)."""

    name: str
    span: tuple[int, int]
    time_s: float | None = None


@dataclass
class Report:
    """Where every word's pronunciation came from, what was not spoken, and the SSML marks."""

    words: list[WordTiming] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    dropped_symbols: dict[str, int] = field(default_factory=dict)
    marks: list[Mark] = field(default_factory=list)
    headings: list[tuple[int, int]] = field(default_factory=list)  # spans of the document's headings

    def by_source(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for w in self.words:
            out.setdefault(w.source, []).append(w.text)
        return out

    def guessed(self) -> list[WordTiming]:
        return [w for w in self.words if w.source in GUESSED]

    def add_paragraph(self, para: Paragraph) -> None:
        self.skipped += [Skipped(text, span, why) for text, span, why in para.skipped]
        self.marks += [Mark(name, span) for name, span in para.marks]
        spoken = [t for t in para.tokens if t.spoken or t.phonemes is not None]
        if para.kind == "heading" and spoken:
            self.headings.append((spoken[0].span[0], spoken[-1].span[1]))

    def time_marks(self, words: Sequence[WordTiming], end_s: float | None = None) -> None:
        """Give the marks before each of `words` (in order) that word's start; with `end_s`, the
        marks still untimed (none follows them) that time."""
        pending = [m for m in self.marks if m.time_s is None]
        for w in words:
            for m in pending:
                if m.time_s is None and m.span[1] <= w.span[0]:
                    m.time_s = w.start_s
        if end_s is not None:
            for m in pending:
                if m.time_s is None:
                    m.time_s = end_s


@functools.lru_cache(maxsize=8)
def frontend(lexicons: tuple[str, ...] = (), lexicon_tsv: str = "") -> G2P:
    """The G2P with the user's lexicon files (and entries given as TSV text) loaded, cached per set."""
    given = [Lexicon.parse(lexicon_tsv, name="request lexicon", source="user")] if lexicon_tsv else []
    return G2P(given + [Lexicon.load(path, source="user") for path in lexicons])


def merge_words(words: Sequence[Word]) -> list[WordTiming]:
    """One WordTiming per token: "35 ms" is one word of the input spoken as three."""
    out: list[WordTiming] = []
    last: Token | None = None
    for w in words:
        if w.token is last:
            out[-1].phonemes += " " + w.phonemes
            continue
        last = w.token
        out.append(WordTiming(w.token.original, w.token.span, w.token.spoken, w.phonemes, w.source))
    return out


def phonemize_tokens(tokens: Sequence[Token], g2p: G2P) -> list[Word]:
    return g2p.tokens([t for t in tokens if t.spoken or t.phonemes])


def _render(words: Sequence[Word], voice: Voice, report: Report) -> tuple[str, list[tuple[int, int]]]:
    """Join the words as the voice spells them (+ punctuation). Returns the string and each word's
    character range, punctuation excluded (a word ends where its sounds end)."""
    parts, ranges, pos = [], [], 0
    for k, w in enumerate(words):
        last_of_token = k + 1 == len(words) or words[k + 1].token is not w.token
        ph, mark = voice.spell(w), (punctuation(w.token) if last_of_token else "")
        kept = "".join(ch for ch in ph if ch in voice.symbols or ch == " ")
        for ch in set(ph) - set(kept):
            report.dropped_symbols[ch] = report.dropped_symbols.get(ch, 0) + ph.count(ch)
            log.warning("voice %s has no symbol %r (in %r); dropped", voice.info.name, ch, w.text)
        mark = mark if mark in voice.symbols else ""
        if pos:
            pos += 1  # the space between words
        ranges.append((pos, pos + len(kept)))
        parts.append(kept + mark)
        pos += len(kept) + len(mark)
    return " ".join(parts), ranges


def _time_words(chunk: AudioChunk, words: Sequence[Word], ranges, t0: float) -> list[WordTiming]:
    timings = merge_words(words)
    if chunk.durations_s is None or not len(chunk.durations_s):
        return timings
    edges = np.concatenate([[0.0], np.cumsum(chunk.durations_s)]) + chunk.offset_s
    last = len(edges) - 1
    by_token: dict[int, tuple[int, int]] = {}
    for (a, b), w in zip(ranges, words):
        lo, hi = by_token.get(id(w.token), (a, b))
        by_token[id(w.token)] = (min(lo, a), max(hi, b))
    tokens = list(dict.fromkeys(id(w.token) for w in words))
    for timing, key in zip(timings, tokens):
        a, b = by_token[key]
        timing.start_s = t0 + float(edges[min(a, last)])
        timing.end_s = t0 + float(edges[min(b, last)])
    return timings


def _break_s(tokens: Sequence[Token]) -> float:
    seconds = sum(t.pause_after_s for t in tokens)
    if seconds > MAX_BREAK_S:
        log.warning("a break of %.1f s was capped at %.0f s", seconds, MAX_BREAK_S)
    return min(seconds, MAX_BREAK_S)


def _runs(words: Sequence[Word], lengths: Sequence[int], budget: int, first: int | None) -> Iterator[list[int]]:
    """Word runs for one sentence; with `first`, the first run is cut at a clause within `first`
    symbols (a shorter first synthesis call: the first audio comes sooner), the rest as usual."""
    if first is None or sum(lengths) <= first:
        yield from fit(words, lengths, budget)
        return
    head = next(fit(words, lengths, min(first, budget)))
    if punctuation(words[head[-1]].token) not in CLAUSE:  # no clause ends in reach: a cut would break a phrase
        yield from fit(words, lengths, budget)
        return
    yield head
    rest = len(head)
    for run in fit(words[rest:], lengths[rest:], budget):
        yield [i + rest for i in run]


@dataclass
class Planned:
    """A chunk ready for a voice: phonemes in the voice's alphabet, the words they say, and what
    follows it (a default pause, or an explicit break to be made exact); the first chunk also
    carries a break that opens the text."""

    phonemes: str
    words: list[Word]
    ranges: list[tuple[int, int]]
    speed: float
    pause_after_s: float = 0.0
    break_after_s: float | None = None
    break_before_s: float | None = None


def check_text(text) -> str:
    """The one gate for input text, shared by the API, the CLI, the server and batch jobs."""
    if not isinstance(text, str):
        raise EnunciateError(f"text must be a string, got {type(text).__name__}")
    if not text.strip():
        raise EnunciateError("the text is empty: nothing to say")
    return text


def plan(text: str, options: SpeakOptions, voice: Voice, report: Report,
         progress: bool = False) -> Iterator[Planned]:
    """Text -> chunks to synthesize, lazily. A chunk is yielded once what follows it is known."""
    check_text(text)
    g2p = frontend(tuple(options.lexicons), options.lexicon_tsv)
    budget = min(options.max_chunk_symbols or voice.max_symbols, voice.max_symbols)
    bar = _progress(len(text)) if progress else None
    pending: Planned | None = None
    opening = 0.0  # breaks before the first word
    markup = "markdown" if options.markup == "ssml" else options.markup
    for para in paragraphs(text, g2p, markup=markup, ssml=options.ssml):
        if bar is not None and para.tokens:
            bar.update(max(0, para.tokens[-1].span[1] - bar.n))
        report.add_paragraph(para)
        for sentence in sentences(para.tokens):
            wanted = _break_s(sentence)
            words = phonemize_tokens(sentence, g2p)
            if not words:
                if wanted and pending is not None:  # a break between sentences
                    pending.break_after_s = (pending.break_after_s or 0.0) + wanted
                elif wanted:
                    opening += wanted
                continue
            lengths = [len(w.phonemes) + 2 for w in words]
            for run in _runs(words, lengths, budget - 2, options.first_chunk_symbols if pending is None else None):
                chunk_words = [words[i] for i in run]
                phonemes, ranges = _render(chunk_words, voice, report)
                first = pending is None
                if pending is not None:
                    yield pending
                pending = Planned(phonemes, chunk_words, ranges, options.speed * sentence[0].rate,
                                  options.sentence_pause_s, break_before_s=opening if first and opening else None)
            if wanted and pending is not None:
                pending.break_after_s = wanted
        if pending is not None:
            pending.pause_after_s = max(pending.pause_after_s, para.pause_s)
    if bar is not None:
        bar.update(len(text) - bar.n)
        bar.close()
    if pending is not None:
        pending.pause_after_s = 0.0  # no default pause at the end; an explicit break stays
        yield pending


def assemble(text: str, synthesized: Iterable[tuple[Planned, AudioChunk]], report: Report) -> Iterator[AudioChunk]:
    """Place synthesized chunks on the output's timeline: word times, spans, pauses and exact breaks.
    A chunk goes out as soon as it is placed, unless an explicit break follows it: then it waits for
    the next chunk, so the break can count both voices' own silence."""
    t = 0.0
    held: AudioChunk | None = None
    held_plan: Planned | None = None
    for planned, chunk in synthesized:
        if held is not None:
            _make_break(held, chunk, held_plan.break_after_s)
            t += held.duration_s + held.pause_after_s
            yield held
            held = None
        if planned.break_before_s is not None:
            _open_with_break(chunk, planned.break_before_s)
        chunk.start_s = t
        chunk.pause_after_s = planned.pause_after_s
        chunk.words = _time_words(chunk, planned.words, planned.ranges, t)
        _end_at_last_sound(chunk)
        for w in chunk.words:
            w.text = text[w.span[0]:w.span[1]]
        chunk.span = (planned.words[0].span[0], planned.words[-1].span[1])
        chunk.text = text[chunk.span[0]:chunk.span[1]]
        report.words += chunk.words
        report.time_marks(chunk.words)
        if planned.break_after_s is not None:
            held, held_plan = chunk, planned
            continue
        t += chunk.duration_s + chunk.pause_after_s
        yield chunk
    if held is not None:
        _make_break(held, None, held_plan.break_after_s)
        t += held.duration_s + held.pause_after_s
        yield held
    report.time_marks([], end_s=t)


def stream(text: str, voice: Voice, options: SpeakOptions = SpeakOptions(), report: Report | None = None,
           progress: bool = False) -> Iterator[AudioChunk]:
    """Synthesize `text` chunk by chunk. Each chunk's `words` carry spans of `text` and times from
    the start of the whole output; `chunk.samples()` is its audio with the pause that follows it.
    Chunk k is synthesized with seed + k, so a whole text repeats exactly with the same seed."""
    report = report if report is not None else Report()
    check_text(text)

    def synthesized():
        plans: list[Planned] = []

        def requests():
            for k, planned in enumerate(plan(text, options, voice, report, progress)):
                plans.append(planned)
                yield planned.phonemes, planned.speed, None if options.seed is None else options.seed + k
        for k, chunk in enumerate(voice.synthesize_many(requests())):
            yield plans[k], chunk
    chunks = assemble(text, synthesized(), report)
    return chunks if options.loudness_lufs is None else _leveled(chunks, options.loudness_lufs)


def _leveled(chunks: Iterator[AudioChunk], target_lufs: float) -> Iterator[AudioChunk]:
    """One gain for every chunk of an output, measured on the first: loudness is normalized without
    waiting for the whole text, and no chunk is louder or softer than its neighbours."""
    from .audio import loudness_gain

    gain = None
    for chunk in chunks:
        if gain is None:
            gain = loudness_gain(chunk.audio, chunk.sample_rate, target_lufs)
        chunk.audio = np.clip(chunk.audio * gain, -1.0, 1.0).astype(np.float32)
        yield chunk


def nothing_speakable(report: Report) -> EnunciateError:
    """The error for a text that gave no word, saying what was found instead."""
    reasons = list(dict.fromkeys(s.reason.removesuffix(" not read aloud") for s in report.skipped))
    if reasons:
        return EnunciateError(f"the text has nothing speakable: it holds only what is not read aloud "
                              f"({', '.join(reasons[:4])})")
    if report.marks:
        return EnunciateError("the text has nothing speakable: it holds only markup (SSML marks or breaks)")
    return EnunciateError("the text has nothing speakable (only punctuation, symbols, emoji or markup)")


def consume(chunks: Iterable[AudioChunk], report: Report, write=None) -> tuple[list[np.ndarray], list[WordTiming]]:
    """The one consumer of chunks: each chunk's samples (audio + its pause) in order, and the words.
    With `write`, samples go to it as they come (nothing is kept); a text that gave no word raises
    before anything is returned, so callers never publish empty output."""
    parts: list[np.ndarray] = []
    words: list[WordTiming] = []
    for chunk in chunks:
        samples = chunk.samples()
        if write is not None:
            write(samples, chunk)
        else:
            parts.append(samples)
        words += chunk.words
    if not words:
        raise nothing_speakable(report)
    return parts, words


def voiced_bounds(audio: np.ndarray, sample_rate: int, threshold: float = 0.01) -> tuple[float, float]:
    """First and last instant of sound: 10 ms frames whose peak passes `threshold` of the clip's peak."""
    frame = max(1, sample_rate // 100)
    n = len(audio) // frame
    if n == 0:
        return 0.0, 0.0
    peaks = np.abs(audio[: n * frame]).reshape(n, frame).max(axis=1)
    loud = np.flatnonzero(peaks > threshold * max(float(peaks.max()), 1e-9))
    if not loud.size:
        return 0.0, 0.0
    return float(loud[0] * frame / sample_rate), float(min(len(audio), (loud[-1] + 1) * frame) / sample_rate)


def _end_at_last_sound(chunk: AudioChunk) -> None:
    """Voices stretch the final vowel's duration past the audible end of a phrase; the last word
    ends where its sound does."""
    if chunk.words:
        _, end = voiced_bounds(chunk.audio, chunk.sample_rate)
        last = chunk.words[-1]
        last.end_s = float(max(last.start_s + 0.01, min(last.end_s, chunk.start_s + end)))


def _open_with_break(chunk: AudioChunk, seconds: float) -> None:
    """A break before the first word: the silence before the chunk's first sound becomes `seconds`,
    by adding silence or trimming the voice's own lead-in (word times move with the audio)."""
    onset, _ = voiced_bounds(chunk.audio, chunk.sample_rate)
    shift = int(round((seconds - onset) * chunk.sample_rate))
    if shift > 0:
        chunk.audio = np.concatenate([np.zeros(shift, np.float32), chunk.audio])
    elif shift < 0:
        chunk.audio = chunk.audio[-shift:]
    chunk.offset_s += shift / chunk.sample_rate


def _make_break(previous: AudioChunk, nxt: AudioChunk | None, seconds: float) -> None:
    """Make the silence between two chunks `seconds` long: the voices' own silence at the end of one
    and the start of the other counts; if it is already longer, the first one's tail is trimmed.
    With no next chunk (a break that ends the text) the silence after the last sound is made so."""
    _, voiced_end = voiced_bounds(previous.audio, previous.sample_rate)
    onset = voiced_bounds(nxt.audio, nxt.sample_rate)[0] if nxt is not None else 0.0
    tail = previous.duration_s - voiced_end
    excess = tail + onset - seconds
    if excess > 0:
        cut = int(round(min(excess, tail) * previous.sample_rate))
        if cut:
            previous.audio = previous.audio[:-cut]
        previous.pause_after_s = 0.0
    else:
        previous.pause_after_s = -excess


def _progress(total: int):
    from tqdm import tqdm

    return tqdm(total=total, unit="char", unit_scale=True, desc="speaking", leave=False)


@dataclass
class Speech:
    """The whole output: audio, per-word timings and the pronunciation report."""

    audio: np.ndarray
    sample_rate: int
    words: list[WordTiming]
    report: Report

    @property
    def duration_s(self) -> float:
        return len(self.audio) / self.sample_rate

    @property
    def marks(self) -> list[Mark]:
        """SSML <mark> names with their times in the audio."""
        return self.report.marks

    def save(self, path, format: str | None = None) -> None:
        """Write atomically; the format follows the suffix (.wav, .flac, .mp3, .ogg, .opus) or `format`."""
        from .audio import write_audio

        write_audio(path, self.audio, self.sample_rate, format)


def speak(text: str, voice: Voice, options: SpeakOptions = SpeakOptions()) -> Speech:
    report = Report()
    parts, words = consume(stream(text, voice, options, report), report)
    return Speech(np.concatenate(parts), voice.sample_rate, words, report)
