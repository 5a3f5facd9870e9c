"""Whole jobs on top of the pipeline: a document into a WAV file, and text into a phoneme listing."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .audio import atomic_wav, silence
from .options import SpeakOptions
from .pipeline import Report, WordTiming, frontend, merge_words, phonemize_tokens, stream
from .text.chunk import sentences
from .text.document import paragraphs
from .voices.registry import load_voice


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


def phonemize(text: str, options: SpeakOptions = SpeakOptions(), ssml: bool | None = None) -> Report:
    """The frontend alone (no voice is loaded): every word with its phonemes (Kokoro alphabet) and
    source, and every span that would not be spoken."""
    g2p = frontend(tuple(options.lexicons))
    report = Report()
    for para in paragraphs(text, g2p, markdown=options.markdown, ssml=ssml):
        report.add_paragraph(para)
        for sentence in sentences(para.tokens):
            for w in merge_words(phonemize_tokens(sentence, g2p)):
                w.text = text[w.span[0]:w.span[1]]
                report.words.append(w)
    return report
