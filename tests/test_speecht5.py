"""SpeechT5 voices from a user-supplied Hugging Face folder: loading, the text it is given, timing,
seeds, speed, the CLI, and clear errors for folders that are incomplete."""
from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest

import enunciate
from enunciate import EnunciateError
from enunciate.options import SpeakOptions
from enunciate.pipeline import Report, plan
from enunciate.voices.speecht5 import MAX_LEN_RATIO, monotonic_durations

from .speecht5_tiny import build_tiny_speecht5

pytest.importorskip("transformers")
pytest.importorskip("sentencepiece")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return build_tiny_speecht5(tmp_path_factory.mktemp("speecht5") / "tiny")


@pytest.fixture(scope="module")
def name(folder):
    return f"speecht5:{folder}"


def planned_text(text: str, name: str) -> list[str]:
    return [p.phonemes for p in plan(text, SpeakOptions(), enunciate.load_voice(name), Report())]


def test_speaks_at_16k_with_every_word_timed_inside_the_audio(name):
    text = "Run kubectl in 35 ms."
    speech = enunciate.speak(text, voice=name)
    assert speech.sample_rate == 16000
    # the tiny model never stops by itself: the decoder runs to its limit, 2 frames of 256 samples a step
    chars = len(planned_text(text, name)[0]) + 2  # the leading word boundary and the end token
    steps = int(chars * MAX_LEN_RATIO / 2)
    assert len(speech.audio) == steps * 2 * 256
    assert [w.text for w in speech.words] == ["Run", "kubectl", "in", "35 ms"]
    assert all(text[w.span[0]:w.span[1]] == w.text for w in speech.words)
    starts = [w.start_s for w in speech.words]
    assert starts == sorted(starts) and speech.words[-1].end_s <= speech.duration_s + 1e-6
    assert all(w.end_s > w.start_s for w in speech.words)


def test_chunk_durations_cover_the_audio(name):
    voice = enunciate.load_voice(name)
    chunk = voice.synthesize("hello there", seed=1)
    assert len(chunk.durations_s) == len("hello there")
    total = chunk.offset_s + float(chunk.durations_s.sum())
    assert total <= chunk.duration_s + 1e-6 and total > chunk.duration_s - 0.1  # only the end token is left


def test_known_terms_are_respelled_and_words_kept(name):
    [text] = planned_text("nginx serves Python 3.12 on port 8080.", name)
    assert text.startswith("en-jun eks serves python three point twelve")  # nginx respelled, Python kept
    assert "eighty eighty" in text
    [text] = planned_text("AKS and QXZ.", name)
    assert text == "ay-kay-ess and Q X Z."  # a known acronym respelled, an unknown one letter by letter


def test_same_seed_same_audio_and_speed_shortens(name):
    voice = enunciate.load_voice(name)
    a, b = voice.synthesize("the same words", seed=3), voice.synthesize("the same words", seed=3)
    c = voice.synthesize("the same words", seed=4)
    assert np.array_equal(a.audio, b.audio) and not np.array_equal(a.audio, c.audio)
    fast = voice.synthesize("the same words", speed=2.0, seed=3)
    assert abs(len(fast.audio) / len(a.audio) - 0.5) < 0.01
    assert abs(fast.offset_s + fast.durations_s.sum() - (a.offset_s + a.durations_s.sum()) / 2) < 0.02


def test_monotonic_alignment_follows_the_attention():
    attention = np.full((9, 4), 0.01)
    for t, i in enumerate([0, 0, 1, 1, 1, 2, 3, 3, 3]):
        attention[t, i] = 0.97
    assert monotonic_durations(attention).tolist() == [2, 3, 1, 3]
    noisy = np.random.default_rng(0).random((50, 12))
    counts = monotonic_durations(noisy)
    assert counts.sum() == 50 and counts[0] >= 1 and counts[-1] >= 1


def test_incomplete_folders_name_what_is_missing(folder, tmp_path):
    with pytest.raises(EnunciateError, match="does not exist"):
        enunciate.load_voice(f"speecht5:{tmp_path / 'nowhere'}")
    partial = tmp_path / "partial"
    shutil.copytree(folder, partial, ignore=shutil.ignore_patterns("vocoder", "speaker.npy"))
    with pytest.raises(EnunciateError, match=r"lacks: vocoder config .*speaker .*vocoder weights"):
        enunciate.load_voice(f"speecht5:{partial}")
    wrong = tmp_path / "wrong"
    shutil.copytree(folder, wrong)
    np.save(wrong / "speaker.npy", np.zeros(256, np.float32))  # a GE2E vector is 256 values, not 512
    with pytest.raises(EnunciateError, match="512 finite values"):
        enunciate.load_voice(f"speecht5:{wrong}")
    (wrong / "config.json").write_text("{not json")
    np.save(wrong / "speaker.npy", np.zeros(512, np.float32))
    with pytest.raises(EnunciateError, match="could not load the SpeechT5 checkpoint"):
        enunciate.load_voice(f"speecht5:{wrong}")
    with pytest.raises(EnunciateError, match="compile does not apply"):
        enunciate.load_voice(f"speecht5:{folder}", compile=True)


def test_cli_speaks_with_a_speecht5_folder(name, tmp_path):
    out = tmp_path / "t5.wav"
    proc = subprocess.run([sys.executable, "-m", "enunciate", "speak", "Hello CUDA.", "--voice", name, "-o", str(out)],
                          capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    from enunciate.audio import read_audio

    audio, sr = read_audio(out)
    assert sr == 16000 and len(audio) > 0
    listing = subprocess.run([sys.executable, "-m", "enunciate", "voices"], capture_output=True, timeout=120)
    assert b"SpeechT5 Hugging Face folder" in listing.stdout


def test_bf16_follows_fp32(name):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bf16 is emulated (and said so) on CPUs without AVX-512 BF16
        half = enunciate.load_voice(name, dtype="bf16").synthesize("hello there", seed=1)
    full = enunciate.load_voice(name).synthesize("hello there", seed=1)
    assert half.audio.dtype == np.float32 and len(half.audio) == len(full.audio)
    assert np.corrcoef(half.audio, full.audio)[0, 1] > 0.99
