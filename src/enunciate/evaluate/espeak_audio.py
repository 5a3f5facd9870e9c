"""espeak-ng's own voice as a baseline engine: text -> espeak-ng audio (formant synthesis, en-us).

It shares the one process-wide espeak-ng initialization of `enunciate.text.espeak` (synchronous
output, voice en-us), so phonemizing and synthesizing never re-initialize each other; both run
under that module's lock. Only the synth callback is ours: it collects the int16 samples.
"""
from __future__ import annotations

import ctypes

import numpy as np

from ..errors import EnunciateError
from ..text import espeak as _espeak
from .engines import Engine

_CHARS_UTF8 = 1              # espeakCHARS_UTF8
_POS_CHARACTER = 1           # espeak_POSITION_TYPE.POS_CHARACTER
_EE_OK = 0
DEFAULT_SAMPLE_RATE = 22050  # what espeak-ng's voices run at; asked from the library when it can say

# int t_espeak_callback(short *wav, int numsamples, espeak_EVENT *events); return 0 to go on
_CALLBACK_TYPE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)
_chunks: list[np.ndarray] = []   # filled by the callback, only while _espeak._LOCK is held


def _collect(wav, numsamples, _events) -> int:
    if wav and numsamples > 0:
        _chunks.append(np.ctypeslib.as_array(wav, shape=(numsamples,)).copy())
    return 0


_CALLBACK = _CALLBACK_TYPE(_collect)  # module-level: the library keeps a pointer to it
_configured: list[ctypes.CDLL] = []


def _synth_library() -> ctypes.CDLL:
    """The shared library with our callback installed (once); call with the lock held."""
    lib = _espeak._library()
    if not _configured:
        lib.espeak_SetSynthCallback.argtypes = [_CALLBACK_TYPE]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                     ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_SetSynthCallback(_CALLBACK)
        _configured.append(lib)
    return lib


def sample_rate() -> int:
    """espeak-ng's output rate in Hz (22050 for its voices)."""
    with _espeak._LOCK:
        lib = _espeak._library()
        try:
            lib.espeak_ng_GetSampleRate.restype = ctypes.c_int
            rate = int(lib.espeak_ng_GetSampleRate())
        except AttributeError:  # an espeak-ng older than 1.49 lacks the call
            rate = 0
    return rate if rate > 0 else DEFAULT_SAMPLE_RATE


def synthesize(text: str) -> tuple[np.ndarray, int]:
    """espeak-ng's rendering of `text` (en-us, default rate and pitch) as float32 mono and its rate."""
    rate = sample_rate()
    data = text.strip().encode("utf-8")
    if not data:
        return np.zeros(0, np.float32), rate
    buffer = ctypes.create_string_buffer(data)
    with _espeak._LOCK:
        lib = _synth_library()
        _chunks.clear()
        try:
            status = lib.espeak_Synth(buffer, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            samples = np.concatenate(_chunks) if _chunks else np.zeros(0, np.int16)
        finally:
            _chunks.clear()
    if status != _EE_OK:
        raise EnunciateError(f"espeak-ng could not synthesize the text (error {status}); "
                             "check that the espeakng-loader wheel is intact.")
    return samples.astype(np.float32) / 32768.0, rate


def espeak_engine() -> Engine:
    """Baseline: espeak-ng speaks the raw text with its own formant voice (no enunciate frontend)."""
    sample_rate()  # load the library now, so the first timed sentence does not pay for it
    return Engine("espeak-ng", synthesize)
