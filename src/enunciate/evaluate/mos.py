"""Predicted MOS without a reference: DistillMOS and DNSMOS (P.835 + P.808), both on 16 kHz mono.

DistillMOS separates neural voices well; DNSMOS was trained on noise suppression and barely
does, but its BAK score flags background noise. Both models ship inside their wheels and load
once per process (and per thread count for DNSMOS's ONNX sessions).

Both score the speech region (`speech_regions.speech_region`): the voiced stretch with every
rendering's silence made the same, because the models hear whether silence is exact zeros, float
noise or dither. Over 30 dev-set clips of heart and joe, a clip and its copy with ±1 LSB of dither
were 0.032 DistillMOS apart on average scored whole (95th percentile 0.138; heart's tech073 4.17
against 4.44) and 0.005 (0.017) on the speech region; DNSMOS OVRL 0.009 (0.022) and 0.005 (0.014).
`speech_only=False` scores the clip as it is, only so the noise-floor study
(`benchmarks/quality_noise_floor.py`) can show the difference.

Input: any sample rate, mono or stereo, at least `MIN_DURATION_S`; NaN/inf raise
`EnunciateError`. Clipped audio is scored as it is. Digital silence is not run through the
models (DistillMOS scales every clip to peak 1, so zeros give an arbitrary number): it scores
the scale's floor, 1.0, like a rendering nobody could listen to.
"""
from __future__ import annotations

import contextlib
import functools
import io
import os
import warnings
from pathlib import Path

import numpy as np

from ..voices.base import default_threads, ort_session
from .intrusive import as_mono, is_silent
from .speech_regions import speech_region

MOS_SAMPLE_RATE = 16000
MIN_DURATION_S = 0.5
MOS_FLOOR = 1.0
DNSMOS_KEYS = {"sig_mos": "sig", "bak_mos": "bak", "ovrl_mos": "ovrl", "p808_mos": "p808"}


def _prepare(audio, sample_rate: int, speech_only: bool) -> np.ndarray:
    """16 kHz mono; its speech region unless `speech_only` is off (a silent clip stays whole)."""
    x = as_mono(audio, sample_rate, MOS_SAMPLE_RATE, min_duration_s=MIN_DURATION_S)
    if not speech_only or is_silent(x):
        return x
    return speech_region(x, MOS_SAMPLE_RATE, MIN_DURATION_S)


def _import_distillmos():
    """Import distillmos (its torchaudio import is stubbed when torchaudio does not load)."""
    from ..voices.torch_runtime import stub_broken_torchaudio

    stub_broken_torchaudio()
    import distillmos

    return distillmos


@functools.lru_cache(maxsize=1)
def load_distillmos():
    """The DistillMOS model (weights from the wheel), in eval mode, loaded once."""
    distillmos = _import_distillmos()
    # it prints a line on load and torch warns about nested tensors; neither helps a user
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = distillmos.ConvTransformerSQAModel()
    return model.eval()


def distillmos_score(audio, sample_rate: int, threads: int | None = None, *, speech_only: bool = True) -> float:
    """DistillMOS (1..5, higher is better) of one clip's speech region (the whole clip if not `speech_only`).

    `threads` (default: ENUNCIATE_THREADS, else up to 4) sets torch's process-wide thread count.
    """
    import torch

    x = _prepare(audio, sample_rate, speech_only)
    if is_silent(x):
        return MOS_FLOOR
    model = load_distillmos()
    torch.set_num_threads(threads or default_threads())
    with torch.no_grad():
        return float(model(torch.from_numpy(np.ascontiguousarray(x))[None]).item())


@functools.cache
def load_dnsmos(threads: int):
    """speechmos's DNSMOS scorer with our ONNX sessions: fixed thread count, quiet logging.

    Its own constructor (and `dnsmos.run`) would open sessions with ONNX Runtime's default of one
    thread per core; the model files are the ones `dnsmos.run` uses, from the speechmos wheel.
    """
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    from speechmos import dnsmos

    models = Path(dnsmos.__file__).parent / "dnsmos_models"
    scorer = object.__new__(dnsmos.DNSMOS)
    scorer.primary_model_path = str(models / "sig_bak_ovr.onnx")
    scorer.onnx_sess = ort_session(scorer.primary_model_path, threads)
    scorer.p808_onnx_sess = ort_session(models / "model_v8.onnx", threads)
    return scorer


def dnsmos_score(audio, sample_rate: int, threads: int | None = None, *,
                 speech_only: bool = True) -> dict[str, float]:
    """DNSMOS P.835 {sig, bak, ovrl} and P.808 {p808}, each 1..5, of one clip's speech region (the
    whole clip if not `speech_only`); clips under 9 s are looped by DNSMOS."""
    x = _prepare(audio, sample_rate, speech_only)
    if is_silent(x):
        return {key: MOS_FLOOR for key in DNSMOS_KEYS.values()}
    # DNSMOS rejects samples outside [-1, 1]; a WAV writer would clip them the same way
    scores = load_dnsmos(threads or default_threads())(np.clip(x, -1.0, 1.0), MOS_SAMPLE_RATE, False)
    return {key: float(scores[name]) for name, key in DNSMOS_KEYS.items()}
