"""heart's own DSP (voices/hibari_dsp.py) against hibari-tts's: the deterministic branches are
bit-identical, the noise is the same distribution from other draws, threads change nothing, and the
audio is as close to hibari's as another of hibari's seeds is."""
from __future__ import annotations

import numpy as np
import pytest
from hibari import dsp

from enunciate import SpeakOptions, VoiceSpec
from enunciate.errors import EnunciateError
from enunciate.evaluate.intrusive import mcd_dtw
from enunciate.pipeline import Report, plan
from enunciate.voices import hibari_dsp
from enunciate.voices.hibari import HibariVoice, model_file

TEXT = "Use kubectl to apply the manifest, then check the pods in about 35 ms."


@pytest.fixture(scope="module")
def parts():
    """The network's outputs for one sentence: lh, theta, ln, lr, phi, f0."""
    voice = VoiceSpec("heart", threads=2).load()
    (planned,) = plan(TEXT, SpeakOptions(), voice, Report())
    _, outputs = voice._model(planned.phonemes, 1.0)
    return [outputs[k][0] for k in ("lh", "theta", "ln", "lr", "phi", "f0")]


def test_complex_gaussian_has_standard_independent_parts():
    z = hibari_dsp.complex_gaussian(np.random.default_rng(0), (400, 500))
    assert z.dtype == np.complex64 and np.isfinite(z).all()
    for part in (z.real.ravel(), z.imag.ravel()):
        assert abs(part.mean()) < 0.01 and abs(part.std() - 1) < 0.01
        assert 0.0022 < np.mean(np.abs(part) > 3) < 0.0032  # two-sided tail beyond 3 sd: 0.0027
    assert abs(np.corrcoef(z.real.ravel(), z.imag.ravel())[0, 1]) < 0.01
    assert abs(np.corrcoef(z.real.ravel()[:-1], z.real.ravel()[1:])[0, 1]) < 0.01
    again = hibari_dsp.complex_gaussian(np.random.default_rng(0), (400, 500))
    assert np.array_equal(z, again)


def test_without_noise_the_waveform_is_hibaris_bit_for_bit(parts):
    quiet = list(parts)
    quiet[2] = np.full_like(parts[2], -80.0)  # exp(-80): the noise branch vanishes in float32
    ours = hibari_dsp.synth(*quiet, np.random.default_rng(0))
    theirs = dsp.synth(*quiet, np.random.default_rng(0))
    assert np.array_equal(ours, theirs)


def test_threads_change_nothing_and_the_noise_is_another_seeds(parts):
    from concurrent.futures import ThreadPoolExecutor

    one = hibari_dsp.synth(*parts, np.random.default_rng(7))
    with ThreadPoolExecutor(2) as pool:
        two = hibari_dsp.synth(*parts, np.random.default_rng(7), 2, pool)
    assert np.array_equal(one, two)
    hibari0, hibari1 = (dsp.synth(*parts, np.random.default_rng(s)) for s in (0, 1))
    reseeded = mcd_dtw(hibari0, hibari1, 24000)
    assert 0 < mcd_dtw(hibari0, one, 24000) < 2 * reseeded + 0.01
    rms = [float(np.sqrt(np.mean(x ** 2))) for x in (hibari0, one)]
    assert rms[1] == pytest.approx(rms[0], rel=0.01)


def test_the_voice_runs_either_dsp(parts):
    """The shipped heart runs enunciate's DSP; dsp="hibari" (voice.json options) gives the package's samples."""
    voice = VoiceSpec("heart", threads=2).load()
    assert voice.dsp == "fast"
    exact = HibariVoice(model_file("heart"), 2, voice.info, dsp="hibari")
    (planned,) = plan(TEXT, SpeakOptions(), voice, Report())
    assert np.array_equal(exact.synthesize(planned.phonemes, seed=3).audio,
                          dsp.synth(*parts, np.random.default_rng(3)))
    with pytest.raises(EnunciateError, match="unknown DSP 'gpu'.*fast, hibari"):
        HibariVoice(model_file("heart"), 2, voice.info, dsp="gpu")
