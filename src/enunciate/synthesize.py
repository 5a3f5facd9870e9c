"""Whole jobs on top of the pipeline: a document into an audio file or stream, many texts in batches,
and text into a phoneme listing. Every audio path goes through `pipeline.consume`."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .audio import atomic_audio, audio_format, encode, pcm16, streaming_wav_header
from .errors import EnunciateError
from .options import SpeakOptions
from .pipeline import (Planned, Report, Speech, WordTiming, assemble, check_text, consume, frontend, merge_words,
                       phonemize_tokens, plan, stream)
from .voices.base import Voice
from .text.chunk import sentences
from .text.document import paragraphs


@dataclass
class FileResult:
    path: Path
    audio_s: float
    wall_s: float
    chunks: int
    words: list[WordTiming] = field(default_factory=list)
    report: Report = field(default_factory=Report)

    @property
    def rtf(self) -> float:
        """Real-time factor: seconds of compute per second of audio (lower is faster)."""
        return self.wall_s / self.audio_s if self.audio_s else float("nan")


def speak_to_file(text: str, path, voice: Voice, options: SpeakOptions = SpeakOptions(), progress: bool = False,
                  format: str | None = None) -> FileResult:
    """Stream `text` into an audio file (memory stays bounded). The file appears only when complete
    and only if something was spoken: on any error an existing file at `path` is left as it was."""
    audio_format(path, format)  # an unknown suffix fails before any synthesis
    report = Report()
    samples = chunks = 0
    start = time.perf_counter()
    with atomic_audio(path, voice.sample_rate, format) as f:
        def write(part, chunk):
            nonlocal samples, chunks
            f.write(part)
            samples += len(part)
            chunks += 1
        _, words = consume(stream(text, voice, options, report, progress=progress), report, write)
    wall = time.perf_counter() - start
    return FileResult(Path(path), samples / voice.sample_rate, wall, chunks, words, report)


def speak_to_stream(text: str, out: BinaryIO, voice: Voice, options: SpeakOptions = SpeakOptions(),
                    format: str = "wav") -> FileResult:
    """Write audio to a binary file object (e.g. standard output). WAV goes chunk by chunk, flushed
    after each, so a player can start before the document is finished; other formats are encoded
    whole at the end. Nothing is written until a chunk with a word is ready: text with nothing
    speakable raises EnunciateError with the output untouched."""
    report = Report()
    samples = chunks = 0
    start = time.perf_counter()
    held: list[bytes] = [streaming_wav_header(voice.sample_rate)]  # until a word is spoken
    whole: list[np.ndarray] = []

    def write(part, chunk):
        nonlocal samples, chunks
        samples += len(part)
        chunks += 1
        if format != "wav":
            whole.append(part)
            return
        held.append(pcm16(part))
        if chunk.words:
            out.write(b"".join(held))
            out.flush()
            held.clear()
    _, words = consume(stream(text, voice, options, report), report, write)
    if format != "wav":
        out.write(encode(np.concatenate(whole), voice.sample_rate, format))
    elif held[1:]:
        out.write(b"".join(held))  # trailing silence after the last word
    out.flush()
    return FileResult(Path("-"), samples / voice.sample_rate, time.perf_counter() - start, chunks, words, report)


def phonemize(text: str, options: SpeakOptions = SpeakOptions()) -> Report:
    """The frontend alone (no voice is loaded): every word with its phonemes (Kokoro alphabet) and
    source, and every span that would not be spoken."""
    check_text(text)
    g2p = frontend(tuple(options.lexicons), options.lexicon_tsv)
    report = Report()
    markup = "markdown" if options.markup == "ssml" else options.markup
    for para in paragraphs(text, g2p, markup=markup, ssml=options.ssml):
        report.add_paragraph(para)
        for sentence in sentences(para.tokens):
            for w in merge_words(phonemize_tokens(sentence, g2p)):
                w.text = text[w.span[0]:w.span[1]]
                report.words.append(w)
    return report


def default_batch_size(voice: Voice) -> int:
    """16 on a GPU: on the H100, batch 8 and 32 gave joe (fp32) 1,224 and 2,291 audio-s/s and Kokoro
    398 and 660 (benchmarks/results/gpu_throughput_cuda_h100.md); 16 keeps memory to a few GiB on smaller
    cards. 1 on the CPU, where padded batches are slower per item: one at a time joe made
    20.8 audio-s/s and Kokoro 4.5, in batches of 8 11.9 and 2.5 (benchmarks/results/
    gpu_throughput_cpu.md, 2 threads). Larger activations fall out of cache, so convolutions and
    the elementwise passes cost more than the batch saves."""
    native = voice.capabilities.batches and str(voice.device).startswith("cuda")
    return 16 if native else 1


def speak_batch(texts: list[str], voice: Voice, options: SpeakOptions = SpeakOptions(),
                batch_size: int | None = None, progress: bool = False) -> list[Speech]:
    """Many texts at once. Each group of up to `batch_size` chunks (default: `default_batch_size`)
    goes to `voice.synthesize_batch`: one padded forward pass for voices with native batches (the
    torch engine), chunk by chunk for the others; chunks are sorted by length so that little is
    padding. Each result equals what `speak` gives for that text (within floating-point tolerance).
    progress: a bar over the chunks."""
    if batch_size is not None and batch_size < 1:
        raise EnunciateError(f"batch_size must be at least 1, got {batch_size}")
    for text in texts:
        check_text(text)
    batch_size = batch_size or default_batch_size(voice)
    reports = [Report() for _ in texts]
    plans = [list(plan(text, options, voice, report)) for text, report in zip(texts, reports)]
    flat: list[tuple[int, int, Planned]] = [(i, k, p) for i, ps in enumerate(plans) for k, p in enumerate(ps)]
    chunks: dict[tuple[int, int], object] = {}
    by_speed: dict[float, list[tuple[int, int, Planned]]] = {}
    for item in sorted(flat, key=lambda item: len(item[2].phonemes)):
        by_speed.setdefault(item[2].speed, []).append(item)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(flat), unit="chunk", desc="speaking", leave=False)
    for speed, items in by_speed.items():
        for start in range(0, len(items), batch_size):
            group = items[start:start + batch_size]
            # chunk k of a text gets seed + k, as in speak(), so batched and single runs agree
            seeds = [None if options.seed is None else options.seed + k for _, k, _ in group]
            out = voice.synthesize_batch([p.phonemes for _, _, p in group], speed, seeds)
            for (i, k, _), chunk in zip(group, out):
                chunks[(i, k)] = chunk
            if bar is not None:
                bar.update(len(group))
    if bar is not None:
        bar.close()
    results = []
    for i, (text, report) in enumerate(zip(texts, reports)):
        parts, words = consume(assemble(text, ((p, chunks[(i, k)]) for k, p in enumerate(plans[i])), report), report)
        results.append(Speech(np.concatenate(parts), voice.sample_rate, words, report))
    return results
