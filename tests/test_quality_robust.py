"""Quality scores hear the speech, not the digital silence around it (issue 23).

The failure: DistillMOS gave 4.08 and 4.33 to two renderings of one sentence whose samples differ by
at most 2 LSB; what differed was how many exact zeros their silences held. Here heart says two short
sentences (the pause between them is exact zeros, as AudioChunk.samples() inserts it), and two copies
change only the low bits: ±1 LSB of dither everywhere, and dither in the pauses only. Measured on this
clip (2026-12-04, 2 threads): scored whole, DistillMOS 4.485 / 4.409 / 4.470 and DNSMOS OVRL 3.292 /
3.312 / 3.268; on the speech region 4.409 / 4.409 / 4.409 and 3.312 / 3.309 / 3.312. PESQ of the
clip against its dithered copy: 4.519 as it was, 4.639 with canonical silence (4.644 against itself).
Bounds: 0.02 for the robust spread of both predictors (the dev-set study's 95th percentile for ±1 LSB
is 0.017 for DistillMOS and 0.014 for DNSMOS: benchmarks/results/quality_noise_floor.md), and the naive
spread must clearly exceed it (0.04 for DistillMOS, measured 0.076; 0.03 for DNSMOS, measured 0.044), so
the test fails if the failure stops reproducing as well as if the fix stops working.
"""
from __future__ import annotations

import numpy as np
import pytest

import enunciate
from enunciate.evaluate import intrusive, mos
from enunciate.evaluate.speech_regions import (LSB, fill_digital_silence, fill_quiet_frames, speech_region,
                                               trim_edges)

TEXT = "Run pip install numpy. Then reboot."
ROBUST_BOUND = 0.02
NAIVE_MIN = {"distillmos": 0.04, "dnsmos": 0.03}


def zero_runs(x: np.ndarray, min_length: int) -> list[tuple[int, int]]:
    """(start, end) of every run of exact zeros at least `min_length` samples long."""
    edges = np.diff(np.concatenate([[0], (x == 0).astype(np.int8), [0]]))
    return [(s, e) for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)) if e - s >= min_length]


@pytest.fixture(scope="module")
def takes(heart):
    """The clip and its two copies that differ only in the low bits."""
    speech = enunciate.speak(TEXT, voice=heart, seed=0)
    audio, sr = np.asarray(speech.audio, np.float32), speech.sample_rate
    pauses = zero_runs(audio, sr // 100)
    assert pauses, "the sentence pause should be exact zeros"
    rng = np.random.default_rng(1)
    dithered = (audio + rng.choice([-1.0, 1.0], audio.size) * LSB).astype(np.float32)
    pauses_dithered = audio.copy()
    for start, end in pauses:
        pauses_dithered[start:end] = rng.choice([-1.0, 1.0], end - start) * LSB
    assert np.max(np.abs(dithered - audio)) <= 1.01 * LSB
    return sr, {"exact-zero pauses": audio, "±1 LSB everywhere": dithered, "dithered pauses": pauses_dithered}


def spread(scores: dict[str, float]) -> float:
    return max(scores.values()) - min(scores.values())


@pytest.mark.slow
def test_distillmos_of_the_speech_region_ignores_the_low_bits(takes):
    sr, clips = takes
    robust = {name: mos.distillmos_score(x, sr) for name, x in clips.items()}
    naive = {name: mos.distillmos_score(x, sr, speech_only=False) for name, x in clips.items()}
    assert spread(robust) <= ROBUST_BOUND, robust
    assert spread(naive) >= NAIVE_MIN["distillmos"], naive  # the failure this guards against still reproduces
    assert all(4.0 < score < 5.0 for score in robust.values())


@pytest.mark.slow
def test_dnsmos_of_the_speech_region_ignores_the_low_bits(takes):
    sr, clips = takes
    robust = {name: mos.dnsmos_score(x, sr)["ovrl"] for name, x in clips.items()}
    naive = {name: mos.dnsmos_score(x, sr, speech_only=False)["ovrl"] for name, x in clips.items()}
    assert spread(robust) <= ROBUST_BOUND, robust
    assert spread(naive) >= NAIVE_MIN["dnsmos"], naive


def test_pesq_does_not_count_dither_in_digital_silence_as_noise(takes):
    sr, clips = takes
    reference = clips["exact-zero pauses"]
    for name in ("±1 LSB everywhere", "dithered pauses"):
        assert intrusive.pesq_wb(reference, clips[name], sr) > 4.6
        assert intrusive.pesq_wb(clips[name], reference, sr) > 4.6
    assert intrusive.pesq_wb(reference, clips["±1 LSB everywhere"], sr, canonical_silence=False) < 4.6
    # STOI needs no such care: it drops the reference's silent frames itself
    assert intrusive.stoi(reference, clips["±1 LSB everywhere"], sr) > 0.999


# ---------------------------------------------------------------- the pieces, on synthetic signals

def test_silence_of_any_kind_becomes_the_same_fill():
    sr = 16000
    rng = np.random.default_rng(0)
    tone = (0.5 * np.sin(2 * np.pi * 220 * np.arange(sr) / sr)).astype(np.float32)
    zeros = np.concatenate([tone, np.zeros(sr // 2, np.float32), tone])
    float_noise = zeros.copy()
    float_noise[sr:sr + sr // 2] = rng.standard_normal(sr // 2) * 1e-9
    lsb = zeros.copy()
    lsb[sr:sr + sr // 2] = rng.choice([-1.0, 1.0], sr // 2) * LSB
    filled = [fill_quiet_frames(x, sr) for x in (zeros, float_noise, lsb)]
    assert np.array_equal(filled[0], filled[1]) and np.array_equal(filled[0], filled[2])
    assert np.array_equal(filled[0][:sr], tone)  # the speech frames are left as they were
    assert np.std(filled[0][sr:sr + sr // 2]) == pytest.approx(0.5e-4, rel=0.05)  # 80 dB below the 0.5 peak
    pesq_ready = [fill_digital_silence(x, sr) for x in (zeros, lsb)]
    assert np.array_equal(pesq_ready[0], pesq_ready[1]) and np.array_equal(pesq_ready[0][:sr], tone)


def test_trimming_keeps_the_voiced_stretch_and_a_minimum_length():
    sr = 16000
    burst = (0.5 * np.sin(2 * np.pi * 220 * np.arange(sr // 5) / sr)).astype(np.float32)  # 0.2 s
    clip = np.concatenate([np.zeros(sr, np.float32), burst, np.zeros(sr, np.float32)])
    assert len(trim_edges(clip, sr)) == pytest.approx(0.3 * sr, abs=sr // 100)  # 0.2 s + 50 ms each side
    widened = trim_edges(clip, sr, min_duration_s=0.5)
    onset = int(0.15 * sr)  # 0.3 s widened by 0.1 s each side
    assert len(widened) == sr // 2 and np.array_equal(widened[onset:onset + len(burst)], burst)
    assert len(speech_region(clip, sr, 0.5)) == sr // 2
    silent = np.zeros(sr, np.float32)
    assert np.array_equal(trim_edges(silent, sr), silent)
