"""Evaluation metrics on real speech from the heart voice: intrusive, predicted MOS, speaker similarity."""
from __future__ import annotations

import numpy as np
import pytest

from enunciate import EnunciateError
from enunciate.audio import resample
from enunciate.evaluate import intrusive, mos, similarity
from enunciate.text.phonesets import kokoro_to_espeak

SENTENCE = "ðə kwˈɪk bɹˈWn fˈɑks ʤˈʌmps ˌOvəɹ ðə lˈAzi dˈɑɡ."
OTHER_SENTENCE = "sˈɛvən hˈʌndɹəd ənd fˈɔɹti tˈu."
SNRS_DB = (30, 10, 0)


@pytest.fixture(scope="session")
def speech(heart):
    chunk = heart.synthesize(SENTENCE, seed=0)
    return chunk.audio, chunk.sample_rate


@pytest.fixture(scope="session")
def other_speech(heart):
    return heart.synthesize(OTHER_SENTENCE, seed=0).audio


@pytest.fixture(scope="session")
def noisy(speech):
    """The clean sentence with white noise at each SNR (seeded, so scores are reproducible)."""
    audio, _ = speech
    rng = np.random.default_rng(0)
    power = np.mean(audio ** 2)
    return {snr: (audio + rng.standard_normal(audio.size) * np.sqrt(power / 10 ** (snr / 10)))
            .astype(np.float32) for snr in SNRS_DB}


@pytest.fixture(scope="session")
def noisy_scores(speech, noisy):
    audio, sr = speech
    return {snr: intrusive.compare(audio, noisy[snr], sr) for snr in SNRS_DB}


@pytest.fixture(scope="session")
def stereo_48k(speech):
    audio, sr = speech
    return np.stack([resample(audio, sr, 48000)] * 2, axis=1)  # (samples, channels) as soundfile reads


@pytest.fixture(scope="session")
def clean_mos(speech):
    return mos.distillmos_score(*speech)


# ---------------------------------------------------------------- intrusive

def test_identical_audio_scores_perfectly(speech):
    audio, sr = speech
    scores = intrusive.compare(audio, audio, sr)
    assert scores["pesq_wb"] > 4.5
    assert scores["stoi"] > 0.99
    assert scores["mcd_db"] < 0.1
    assert scores["f0_rmse_hz"] == pytest.approx(0.0, abs=1e-6)
    assert scores["duration_ratio"] == 1.0


def test_noise_lowers_pesq_and_stoi_and_raises_mcd(noisy_scores):
    pesq = [noisy_scores[snr]["pesq_wb"] for snr in SNRS_DB]
    stoi = [noisy_scores[snr]["stoi"] for snr in SNRS_DB]
    mcd = [noisy_scores[snr]["mcd_db"] for snr in SNRS_DB]
    assert pesq == sorted(pesq, reverse=True) and pesq[0] > pesq[-1] + 1.0
    assert stoi == sorted(stoi, reverse=True) and stoi[0] > stoi[-1] + 0.1
    assert mcd == sorted(mcd) and mcd[0] > 0.5


def test_different_sentence_is_much_less_intelligible(speech, other_speech, noisy_scores):
    audio, sr = speech
    score = intrusive.stoi(audio, other_speech, sr)  # different lengths: padded, not an error
    assert score < 0.5 and score < noisy_scores[0]["stoi"] - 0.3


def test_dtw_aligns_a_slower_rendering(heart, speech, other_speech, noisy_scores):
    audio, sr = speech
    slow = heart.synthesize(SENTENCE, seed=0, speed=0.8).audio
    assert intrusive.duration_ratio(audio, slow) > 1.15
    # time-locked STOI collapses, but DTW lines the frames up: MCD stays below a different sentence's
    assert intrusive.mcd_dtw(audio, slow, sr) < intrusive.mcd_dtw(audio, other_speech, sr) - 1.0
    assert intrusive.f0_rmse(audio, slow, sr) < 30.0


def test_dtw_path_of_a_stretched_copy_costs_nothing():
    a = np.random.default_rng(1).standard_normal((20, 3))
    ia, ib = intrusive.dtw_path(a, np.repeat(a, 2, axis=0))
    assert (ia[0], ib[0]) == (0, 0) and (ia[-1], ib[-1]) == (19, 39)
    assert np.all(np.diff(ia) >= 0) and np.all(np.diff(ib) >= 0)
    assert np.array_equal(a[ia], np.repeat(a, 2, axis=0)[ib])


def test_yin_tracks_a_pulse_train():
    sr, f0 = 16000, 200.0
    t = np.arange(sr) / sr
    tone = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 8))  # sawtooth-like, 1 s
    track = intrusive.yin_f0(tone.astype(np.float32), sr)
    assert np.mean(track > 0) > 0.9
    assert np.median(track[track > 0]) == pytest.approx(f0, rel=0.01)


def test_stereo_48k_and_8k_inputs_work(speech, stereo_48k):
    audio, sr = speech
    wide = intrusive.compare(audio, stereo_48k, sr, deg_sr=48000)
    assert wide["pesq_wb"] > 4.5 and wide["stoi"] > 0.99 and wide["duration_ratio"] == pytest.approx(1.0)
    assert intrusive.stoi(audio, stereo_48k.T, sr, deg_sr=48000) > 0.99  # (channels, samples) too
    narrow = intrusive.compare(audio, resample(audio, sr, 8000), sr, deg_sr=8000)
    assert 1.0 < narrow["pesq_wb"] < wide["pesq_wb"] and narrow["stoi"] > 0.95
    assert 1.0 <= mos.distillmos_score(resample(audio, sr, 8000), 8000) <= 5.0


def test_silent_audio_cannot_be_compared(speech):
    audio, sr = speech
    with pytest.raises(EnunciateError, match="silent"):
        intrusive.compare(audio, np.zeros_like(audio), sr)
    with pytest.raises(EnunciateError, match="silent"):
        similarity.embed(np.zeros_like(audio), sr)


# ---------------------------------------------------------------- predicted MOS

def test_distillmos_prefers_clean_speech(speech, noisy, clean_mos):
    _, sr = speech
    assert clean_mos > 3.5
    assert mos.distillmos_score(noisy[0], sr) < clean_mos - 0.5


def test_mos_of_stereo_48k_matches_mono(stereo_48k, clean_mos):
    assert mos.distillmos_score(stereo_48k, 48000) == pytest.approx(clean_mos, abs=0.15)


def test_clipped_audio_is_scored_and_silence_scores_the_floor(speech):
    audio, sr = speech
    loud = audio * 4.0  # peaks past 1.0: scored as if clipped by a WAV writer
    assert 1.0 <= mos.distillmos_score(np.clip(loud, -1, 1), sr) <= 5.0
    assert set(mos.dnsmos_score(loud, sr)) == {"sig", "bak", "ovrl", "p808"}
    assert mos.distillmos_score(np.zeros(sr), sr) == mos.MOS_FLOOR
    assert set(mos.dnsmos_score(np.zeros(sr), sr).values()) == {mos.MOS_FLOOR}


def test_dnsmos_returns_four_scores_in_range(speech):
    scores = mos.dnsmos_score(*speech)
    assert set(scores) == {"sig", "bak", "ovrl", "p808"}
    assert all(1.0 <= v <= 5.0 for v in scores.values())


# ---------------------------------------------------------------- speaker similarity

def test_same_voice_is_more_similar_than_another_voice(speech, other_speech, joe, stereo_48k):
    audio, sr = speech
    joe_chunk = joe.synthesize(kokoro_to_espeak(SENTENCE))
    vector = similarity.embed(audio, sr)
    assert vector.shape == (256,) and np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    same = similarity.similarity(audio, sr, other_speech, sr)
    different = similarity.similarity(audio, sr, joe_chunk.audio, joe_chunk.sample_rate)
    assert same > different + 0.1
    assert similarity.similarity(audio, sr, stereo_48k, 48000) > 0.95


# ---------------------------------------------------------------- bad input

METRICS = {
    "pesq_wb": lambda good, bad, sr: intrusive.pesq_wb(good, bad, sr),
    "stoi": lambda good, bad, sr: intrusive.stoi(bad, good, sr),
    "mcd_dtw": lambda good, bad, sr: intrusive.mcd_dtw(good, bad, sr),
    "f0_rmse": lambda good, bad, sr: intrusive.f0_rmse(good, bad, sr),
    "compare": lambda good, bad, sr: intrusive.compare(good, bad, sr),
    "distillmos": lambda good, bad, sr: mos.distillmos_score(bad, sr),
    "dnsmos": lambda good, bad, sr: mos.dnsmos_score(bad, sr),
    "embed": lambda good, bad, sr: similarity.embed(bad, sr),
}
BAD_INPUTS = {
    "empty": (lambda audio: audio[:0], "empty"),
    "too short": (lambda audio: audio[:2400], r"too short \(0\.10 s\)"),
    "nan": (lambda audio: np.where(np.arange(audio.size) == 500, np.nan, audio), "NaN"),
}


@pytest.mark.parametrize("bad", BAD_INPUTS)
@pytest.mark.parametrize("metric", METRICS)
def test_bad_input_raises_one_clear_error(speech, metric, bad):
    audio, sr = speech
    make_bad, message = BAD_INPUTS[bad]
    with pytest.raises(EnunciateError, match=message):
        METRICS[metric](audio, make_bad(audio), sr)


def test_snr_db_of_known_noise_and_its_errors():
    from enunciate.evaluate.intrusive import snr_db

    rng = np.random.default_rng(0)
    ref = np.sin(np.linspace(0, 200 * np.pi, 16000)).astype(np.float32)
    noise = rng.standard_normal(16000).astype(np.float32)
    noise *= np.sqrt(np.sum(ref.astype(np.float64) ** 2) / np.sum(noise.astype(np.float64) ** 2) / 100)  # 20 dB
    assert snr_db(ref, ref.copy()) == float("inf")
    assert abs(snr_db(ref, ref + noise) - 20) < 0.05
    with pytest.raises(EnunciateError, match="equal lengths"):
        snr_db(ref, ref[:-1])
