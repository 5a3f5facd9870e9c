"""enunciate: offline text-to-speech that pronounces technical text correctly.

    import enunciate
    speech = enunciate.speak("Install CUDA 12.4, then run kubectl in 35 ms.")
    speech.save("out.mp3")                         # atomic write, format from the suffix
    for chunk in enunciate.stream(long_markdown, voice="joe"):  # audio + words with spans and times
        ...
    enunciate.phonemize("PostgreSQL on an H100")   # per word: spoken form, phonemes, source
    voice = enunciate.load_voice("./my-voice")     # a voice folder, a stored voice, or a built-in name

`voice` is a name, a folder path, a `VoiceSpec` (how it runs: engine, device, dtype, threads) or a
loaded voice; per-request choices (speed, seed, markup, lexicons) are `SpeakOptions` fields, and
both can be given as keywords: speak(text, voice="joe", engine="torch", speed=1.1, seed=3).
"""
from __future__ import annotations

import os

# onnxruntime starts a telemetry thread that looks up a remote host unless this is set before import.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

from .errors import EnunciateError  # noqa: E402
from .options import SpeakOptions, VoiceSpec  # noqa: E402

__version__ = "0.1.0"
__all__ = ["EnunciateError", "SpeakOptions", "VoiceSpec", "speak", "stream", "speak_to_file", "speak_batch",
           "phonemize", "load_voice", "list_voices"]


def _resolve(options: SpeakOptions | None, overrides: dict, ssml: bool | None = None):
    """(loaded voice, SpeakOptions) from the keywords of a public call."""
    from .options import split
    from .voices.base import Voice

    voice = overrides.pop("voice", None)
    if isinstance(voice, Voice):
        given = {k for k, v in overrides.items() if v is not None}
        spec_keys = {"engine", "device", "dtype", "compile", "threads"} & given
        if spec_keys:
            raise EnunciateError(f"{', '.join(sorted(spec_keys))} cannot change a voice that is already loaded")
        _, options = split(None, options, overrides, ssml)
        return voice, options
    spec, options = split(voice if isinstance(voice, VoiceSpec) else None, options,
                          {**overrides, **({"voice": voice} if isinstance(voice, str) else {})}, ssml)
    return spec.load(), options


def speak(text: str, options: SpeakOptions | None = None, ssml: bool | None = None, **overrides):
    """Text (plain, Markdown, or SSML starting with <speak>) -> Speech(audio, sample_rate, words, report)."""
    from .pipeline import speak as _speak

    voice, options = _resolve(options, overrides, ssml)
    return _speak(text, voice, options)


def stream(text: str, options: SpeakOptions | None = None, ssml: bool | None = None, **overrides):
    """Yield AudioChunks as they are synthesized; `chunk.samples()` is its audio and the pause after it."""
    from .pipeline import stream as _stream

    voice, options = _resolve(options, overrides, ssml)
    return _stream(text, voice, options)


def speak_to_file(text: str, path, options: SpeakOptions | None = None, progress: bool = False,
                  ssml: bool | None = None, format: str | None = None, **overrides):
    """Stream `text` into an audio file (.wav, .flac, .mp3, .ogg or .opus by its suffix, or `format`);
    memory stays bounded and the file appears only when complete."""
    from .synthesize import speak_to_file as _to_file

    voice, options = _resolve(options, overrides, ssml)
    return _to_file(text, path, voice, options, progress=progress, format=format)


def speak_batch(texts: list[str], options: SpeakOptions | None = None, batch_size: int | None = None,
                progress: bool = False, **overrides):
    """Many texts -> a Speech each; with engine="torch" chunks run in padded batches of `batch_size`
    (default 16 on a GPU, 1 on the CPU, where batches do not pay). progress: a bar over the chunks."""
    from .synthesize import speak_batch as _batch

    voice, options = _resolve(options, overrides)
    return _batch(list(texts), voice, options, batch_size, progress)


def phonemize(text: str, options: SpeakOptions | None = None, ssml: bool | None = None, **overrides):
    """Report of every spoken word (original text and span, spoken form, phonemes in the Kokoro
    alphabet, source) and every span not spoken. No voice is loaded."""
    from .options import split
    from .synthesize import phonemize as _phonemize

    overrides.pop("voice", None)
    _, options = split(None, options, overrides, ssml)
    return _phonemize(text, options)


def load_voice(name: str | VoiceSpec = "heart", threads: int | None = None, engine: str | None = None,
               device: str = "cpu", dtype: str = "fp32", compile: bool = False):
    """A voice object (cached by spec): synthesize(phonemes) -> AudioChunk. `name` is a built-in
    voice, a stored voice or a voice folder's path; engine "torch" for GPU/batches, compile=True to
    torch.compile it (CUDA graphs on a GPU)."""
    from .voices.registry import load_voice as _load

    return _load(name, threads, engine, device, dtype, compile)


def list_voices():
    """Built-in and stored voices (VoiceInfo records)."""
    from .voices.registry import list_voices as _list

    return _list()
