"""enunciate: offline text-to-speech that pronounces technical text correctly.

    import enunciate
    speech = enunciate.speak("Install CUDA 12.4, then run kubectl in 35 ms.")
    speech.save("out.wav")                      # atomic write
    for chunk in enunciate.stream(long_markdown):  # audio + words with spans and times
        ...
    enunciate.phonemize("PostgreSQL on an H100")   # per word: spoken form, phonemes, source
"""
from __future__ import annotations

import os

# onnxruntime starts a telemetry thread that looks up a remote host unless this is set before import.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

from .errors import EnunciateError  # noqa: E402
from .options import SpeakOptions  # noqa: E402

__version__ = "0.1.0"
__all__ = ["EnunciateError", "SpeakOptions", "speak", "stream", "speak_to_file", "speak_batch", "phonemize",
           "load_voice", "list_voices"]


def _options(options: SpeakOptions | None, overrides: dict) -> SpeakOptions:
    from dataclasses import replace

    options = options or SpeakOptions()
    if "lexicons" in overrides:
        overrides["lexicons"] = tuple(str(p) for p in overrides["lexicons"])
    return replace(options, **overrides) if overrides else options


def speak(text: str, options: SpeakOptions | None = None, ssml: bool | None = None, **overrides):
    """Text (plain, Markdown, or SSML starting with <speak>) -> Speech(audio, sample_rate, words, report)."""
    from .pipeline import speak as _speak

    return _speak(text, _options(options, overrides), ssml=ssml)


def stream(text: str, options: SpeakOptions | None = None, ssml: bool | None = None, **overrides):
    """Yield AudioChunks as they are synthesized (append each chunk's pause_after_s of silence)."""
    from .pipeline import stream as _stream

    return _stream(text, _options(options, overrides), ssml=ssml)


def speak_to_file(text: str, path, options: SpeakOptions | None = None, progress: bool = False,
                  ssml: bool | None = None, **overrides):
    """Stream `text` into a WAV file (memory stays bounded; the file appears only when complete)."""
    from .synthesize import speak_to_file as _to_file

    return _to_file(text, path, _options(options, overrides), progress=progress, ssml=ssml)


def speak_batch(texts: list[str], options: SpeakOptions | None = None, batch_size: int | None = None,
                progress: bool = False, **overrides):
    """Many texts -> a Speech each; with engine="torch" chunks run in padded batches of `batch_size`
    (default 16 on a GPU, 1 on the CPU, where batches do not pay). progress: a bar over the chunks."""
    from .synthesize import speak_batch as _batch

    return _batch(list(texts), _options(options, overrides), batch_size, progress)


def phonemize(text: str, options: SpeakOptions | None = None, ssml: bool | None = None, **overrides):
    """Report of every spoken word (original text and span, spoken form, phonemes in the Kokoro
    alphabet, source) and every span not spoken."""
    from .synthesize import phonemize as _phonemize

    return _phonemize(text, _options(options, overrides), ssml=ssml)


def load_voice(name: str = "heart", threads: int | None = None, engine: str = "onnx", device: str = "cpu",
               dtype: str = "fp32", compile: bool = False):
    """A voice object (cached): synthesize(phonemes) -> AudioChunk; engine "torch" for GPU/batches,
    compile=True to torch.compile it (CUDA graphs on a GPU)."""
    from .voices.registry import load_voice as _load

    return _load(name, threads, engine, device, dtype, compile)


def list_voices():
    from .voices.registry import list_voices as _list

    return _list()
