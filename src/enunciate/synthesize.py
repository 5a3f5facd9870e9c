"""Whole jobs on top of the pipeline: a document into a WAV file, and text into a phoneme listing."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .audio import atomic_wav, pcm16, silence, streaming_wav_header
from .errors import EnunciateError
from .options import SpeakOptions
from .pipeline import (Planned, Report, Speech, WordTiming, assemble, frontend, merge_words, phonemize_tokens, plan,
                       stream)
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


def speak_to_file(text: str, path, options: SpeakOptions = SpeakOptions(), progress: bool = False,
                  ssml: bool | None = None) -> FileResult:
    voice = options.load_voice()
    report = Report()
    words: list[WordTiming] = []
    samples = chunks = 0
    start = time.perf_counter()
    with atomic_wav(path, voice.sample_rate) as f:
        for chunk in stream(text, options, report, progress=progress, ssml=ssml):
            pause = silence(chunk.pause_after_s, chunk.sample_rate)
            f.write(chunk.audio)
            f.write(pause)
            samples += len(chunk.audio) + len(pause)
            chunks += 1
            words += chunk.words
    wall = time.perf_counter() - start
    return FileResult(Path(path), samples / voice.sample_rate, wall, chunks, words, report)


def speak_to_stream(text: str, out: BinaryIO, options: SpeakOptions = SpeakOptions(),
                    ssml: bool | None = None) -> FileResult:
    """Write a WAV stream to a binary file object (e.g. standard output) chunk by chunk, flushing
    after each, so a player can start before the document is finished. Nothing is written until the
    first chunk with a word is ready: text with nothing speakable raises EnunciateError with the
    output untouched."""
    voice = options.load_voice()
    report = Report()
    words: list[WordTiming] = []
    samples = chunks = 0
    start = time.perf_counter()
    held: list[bytes] = [streaming_wav_header(voice.sample_rate)]  # until a word is spoken
    for chunk in stream(text, options, report, ssml=ssml):
        audio = np.concatenate([chunk.audio, silence(chunk.pause_after_s, chunk.sample_rate)])
        samples += len(audio)
        chunks += 1
        words += chunk.words
        held.append(pcm16(audio))
        if words:
            out.write(b"".join(held))
            out.flush()
            held.clear()
    if not words:
        raise EnunciateError("the text has nothing speakable (only punctuation, symbols or emoji)")
    return FileResult(Path("-"), samples / voice.sample_rate, time.perf_counter() - start, chunks, words, report)


def phonemize(text: str, options: SpeakOptions = SpeakOptions(), ssml: bool | None = None) -> Report:
    """The frontend alone (no voice is loaded): every word with its phonemes (Kokoro alphabet) and
    source, and every span that would not be spoken."""
    g2p = frontend(tuple(options.lexicons))
    report = Report()
    for para in paragraphs(text, g2p, markup=options.markup, ssml=ssml):
        report.add_paragraph(para)
        for sentence in sentences(para.tokens):
            for w in merge_words(phonemize_tokens(sentence, g2p)):
                w.text = text[w.span[0]:w.span[1]]
                report.words.append(w)
    return report


def default_batch_size(voice) -> int:
    """16 on a GPU: on the H100, batch 8 and 32 gave joe (fp32) 1,224 and 2,291 audio-s/s and Kokoro
    398 and 660 (benchmarks/results/gpu_throughput_cuda_h100.md); 16 keeps memory to a few GiB on smaller
    cards. 1 on the CPU, where padded batches are slower per item: one at a time joe made
    20.8 audio-s/s and Kokoro 4.5, in batches of 8 11.9 and 2.5 (benchmarks/results/
    gpu_throughput_cpu.md, 2 threads). Larger activations fall out of cache, so convolutions and
    the elementwise passes cost more than the batch saves."""
    device = getattr(voice, "device", None)
    return 16 if device is not None and device.type == "cuda" else 1


def speak_batch(texts: list[str], options: SpeakOptions = SpeakOptions(),
                batch_size: int | None = None, progress: bool = False) -> list[Speech]:
    """Many texts at once. Voices with `synthesize_batch` (the torch engine) run each group of up to
    `batch_size` chunks (default: `default_batch_size`) in one padded forward pass, chunks sorted
    by length so that little is padding; others synthesize chunk by chunk. Each result equals what
    `speak` gives for that text (within floating-point tolerance). progress: a bar over the chunks."""
    if batch_size is not None and batch_size < 1:
        raise EnunciateError(f"batch_size must be at least 1, got {batch_size}")
    voice = options.load_voice()
    batch_size = batch_size or default_batch_size(voice)
    reports = [Report() for _ in texts]
    plans = [list(plan(text, options, voice, report)) for text, report in zip(texts, reports)]
    flat: list[tuple[int, int, Planned]] = [(i, k, p) for i, ps in enumerate(plans) for k, p in enumerate(ps)]
    chunks: dict[tuple[int, int], object] = {}
    batched = getattr(voice, "synthesize_batch", None)
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
            if batched is not None:
                out = batched([p.phonemes for _, _, p in group], speed, None if options.seed is None else seeds)
            else:
                out = [voice.synthesize(p.phonemes, speed, s) for (_, _, p), s in zip(group, seeds)]
            for (i, k, _), chunk in zip(group, out):
                chunks[(i, k)] = chunk
            if bar is not None:
                bar.update(len(group))
    if bar is not None:
        bar.close()
    results = []
    for i, (text, report) in enumerate(zip(texts, reports)):
        parts, words = [], []
        for chunk in assemble(text, ((p, chunks[(i, k)]) for k, p in enumerate(plans[i])), report):
            parts += [chunk.audio, silence(chunk.pause_after_s, chunk.sample_rate)]
            words += chunk.words
        audio = np.concatenate(parts) if parts else np.zeros(0, np.float32)
        results.append(Speech(audio, voice.sample_rate, words, report))
    return results
