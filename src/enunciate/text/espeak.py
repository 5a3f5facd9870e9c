"""espeak-ng through ctypes, from the `espeakng-loader` wheel (library and data inside it).

Used as the last resort of the G2P chain and as the raw baseline. espeak-ng is not thread-safe:
calls are serialized with a lock.
"""
from __future__ import annotations

import ctypes
import functools
import threading

from ..errors import EnunciateError

_LOCK = threading.Lock()
_IPA = 0x02  # espeakPHONEMES_IPA: UTF-8 IPA output
_AUDIO_OUTPUT_SYNCHRONOUS = 0x02


@functools.lru_cache(maxsize=1)
def _library(voice: str = "en-us") -> ctypes.CDLL:
    try:
        import espeakng_loader
    except ImportError as e:  # pragma: no cover - a declared dependency
        raise EnunciateError("espeak-ng is missing: pip install espeakng-loader") from e
    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    data = espeakng_loader.get_data_path()
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    if lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data.encode(), 0) <= 0:
        raise EnunciateError(f"espeak-ng failed to initialize with data at {data}")
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    if lib.espeak_SetVoiceByName(voice.encode()) != 0:
        raise EnunciateError(f"espeak-ng has no voice {voice!r}")
    lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
    lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
    return lib


def phonemize_ipa(text: str) -> str:
    """Text -> espeak-ng IPA (en-us), clauses joined with spaces; punctuation is not kept."""
    text = text.strip()
    if not text:
        return ""
    with _LOCK:
        lib = _library()
        buf = ctypes.c_char_p(text.encode("utf-8"))
        ptr = ctypes.pointer(buf)
        parts = []
        while ptr.contents.value:
            out = lib.espeak_TextToPhonemes(ptr, 1, _IPA)  # textmode 1: UTF-8 input
            if out:
                parts.append(out.decode("utf-8"))
    return " ".join(p.strip() for p in parts if p.strip())
