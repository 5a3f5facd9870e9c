"""Speaker similarity: cosine of GE2E speaker embeddings (resemblyzer, weights in its wheel).

Same voice, different sentences: about 0.88-0.91; different voices: about 0.45-0.65. Used to
check that a compressed or cloned voice still sounds like its speaker.
"""
from __future__ import annotations

import contextlib
import functools
import io
import warnings

import numpy as np

from ..errors import EnunciateError
from ..voices.base import default_threads
from .intrusive import as_mono

ENCODER_SAMPLE_RATE = 16000   # resemblyzer's hparams.sampling_rate
MIN_DURATION_S = 0.5
MIN_SPEECH_S = 0.3            # what must be left after resemblyzer's VAD trims long silences


@functools.lru_cache(maxsize=1)
def load_encoder():
    """The GE2E VoiceEncoder on CPU, loaded once."""
    # resemblyzer imports scipy.ndimage.morphology and webrtcvad imports pkg_resources, both of
    # which warn at import; the encoder prints its load time unless told not to
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        from resemblyzer import VoiceEncoder

        return VoiceEncoder("cpu", verbose=False).eval()


def embed(audio, sample_rate: int, threads: int | None = None) -> np.ndarray:
    """Unit-norm 256-d speaker embedding of one clip (any rate, mono or stereo, at least 0.5 s).

    `threads` (default: ENUNCIATE_THREADS, else up to 4) sets torch's process-wide thread count.
    """
    x = as_mono(audio, sample_rate, ENCODER_SAMPLE_RATE, min_duration_s=MIN_DURATION_S,
                allow_silence=False)
    encoder = load_encoder()
    import torch
    from resemblyzer import preprocess_wav

    # no source_sr: we resampled already, and resemblyzer would resample again with librosa
    speech = preprocess_wav(x)
    if speech.size < MIN_SPEECH_S * ENCODER_SAMPLE_RATE:
        raise EnunciateError(f"found only {speech.size / ENCODER_SAMPLE_RATE:.2f} s of speech in the audio; "
                             f"a speaker embedding needs at least {MIN_SPEECH_S:g} s")
    torch.set_num_threads(threads or default_threads())
    vector = encoder.embed_utterance(speech.astype(np.float32))
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def similarity(a, sr_a: int, b, sr_b: int, threads: int | None = None) -> float:
    """Cosine similarity (-1..1, in practice 0..1) of the speakers of two clips."""
    return float(np.dot(embed(a, sr_a, threads), embed(b, sr_b, threads)))
