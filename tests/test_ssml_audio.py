"""SSML through the real default voice: breaks are real silences between the right words, rates change
the length, and every word's span slices the SSML source."""
from __future__ import annotations

import logging

import numpy as np
import pytest

import enunciate
from enunciate import EnunciateError


def _silent_runs(audio: np.ndarray, sample_rate: int, threshold: float = 0.01) -> list[tuple[float, float]]:
    """(start_s, end_s) of runs of 10 ms frames whose peak is under `threshold` of the clip's peak."""
    frame = sample_rate // 100
    peaks = np.abs(audio[: len(audio) // frame * frame]).reshape(-1, frame).max(axis=1)
    quiet = peaks < threshold * peaks.max()
    runs, start = [], None
    for k, q in enumerate(np.append(quiet, False)):
        if q and start is None:
            start = k
        elif not q and start is not None:
            runs.append((start * frame / sample_rate, k * frame / sample_rate))
            start = None
    return runs


@pytest.mark.parametrize("seconds", [1.0, 2.0])
def test_break_is_a_silence_of_that_length_between_the_words(heart, seconds):
    ssml = f'<speak>Deploy the service now.<break time="{seconds:g}s"/>Then check the logs.</speak>'
    speech = enunciate.speak(ssml)
    words = {w.text: w for w in speech.words}
    before, after = words["now"], words["Then"]
    gap = [r for r in _silent_runs(speech.audio, speech.sample_rate)
           if r[0] >= before.start_s and r[1] <= after.end_s]
    longest = max(gap, key=lambda r: r[1] - r[0])
    assert 0.9 * seconds <= longest[1] - longest[0] <= 1.1 * seconds + 0.05
    assert longest[0] >= before.end_s - 0.06 and longest[1] <= after.start_s + 0.06


def test_breaks_that_open_and_close_the_text_are_kept(heart):
    """A break before the first word is silence before it; one after the last word is silence after
    it (a default pause at the end is still trimmed)."""
    plain = enunciate.speak("<speak>Deploy now.</speak>")
    opened = enunciate.speak('<speak><break time="1s"/>Deploy now.</speak>')
    closed = enunciate.speak('<speak>Deploy now.<break time="1s"/></speak>')
    first_run = _silent_runs(opened.audio, opened.sample_rate)[0]
    assert first_run[0] == 0.0 and 0.9 <= first_run[1] <= 1.1
    assert 0.9 <= opened.words[0].start_s <= 1.15
    assert abs(opened.duration_s - plain.duration_s - (1.0 - plain.words[0].start_s)) < 0.05
    assert 0.95 <= closed.duration_s - closed.words[-1].end_s <= 1.05
    assert closed.duration_s > plain.duration_s + 0.5  # the voice's own tail counts toward the break


def test_spans_slice_the_ssml_source(heart):
    ssml = ('<speak><p>Install <sub alias="Compute Unified Device Architecture">CUDA</sub> 12.4.</p>'
            '<p><s>Run <say-as interpret-as="characters">abc</say-as> now</s>'
            '<prosody rate="slow">and <phoneme alphabet="ipa" ph="kjuːb kənˈtɹoʊl">kubectl</phoneme></prosody>.</p>'
            '</speak>')
    speech = enunciate.speak(ssml)
    for w in speech.words:
        assert ssml[w.span[0]:w.span[1]] == w.text
    by_text = {w.text: w for w in speech.words}
    assert by_text["CUDA"].spoken == "compute unified device architecture"
    assert by_text["abc"].spoken == "A B C"
    assert by_text["kubectl"].source == "override"
    assert all(b.start_s >= a.start_s for a, b in zip(speech.words, speech.words[1:]))


def test_prosody_rate_changes_duration(heart):
    sentence = "The cluster scales to ten nodes."
    normal = enunciate.speak(f"<speak>{sentence}</speak>").duration_s
    slow = enunciate.speak(f'<speak><prosody rate="x-slow">{sentence}</prosody></speak>').duration_s
    fast = enunciate.speak(f'<speak><prosody rate="150%">{sentence}</prosody></speak>').duration_s
    assert slow > 1.3 * normal and fast < 0.85 * normal


def test_phoneme_changes_the_audio(heart):
    plain = enunciate.speak("<speak>tomato</speak>")
    other = enunciate.speak('<speak><phoneme alphabet="kokoro" ph="təmˈɑtO">tomato</phoneme></speak>')
    assert plain.words[0].phonemes != other.words[0].phonemes == "təmˈɑtO"
    assert len(plain.audio) != len(other.audio) or not np.array_equal(plain.audio, other.audio)


def test_unknown_element_is_spoken_with_a_warning(heart, caplog):
    with caplog.at_level(logging.WARNING):
        speech = enunciate.speak("<speak>Hello <foo>there</foo> friend.</speak>")
    assert [w.text for w in speech.words] == ["Hello", "there", "friend"]
    assert any("foo" in r.getMessage() for r in caplog.records)


def test_hour_long_break_is_capped(heart, caplog):
    with caplog.at_level(logging.WARNING):
        speech = enunciate.speak('<speak>One.<break time="3600s"/>Two.</speak>')
    assert speech.duration_s < 15 and any("capped" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("ssml, message", [
    ("<speak>Hello <s>world</speak>", "malformed SSML at line 1"),
    ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
     "<speak>&lol2;</speak>", "DOCTYPE"),
    ('<speak><break time="forever"/></speak>', "line 1"),
])
def test_malformed_ssml_is_a_clear_error(ssml, message):
    with pytest.raises(EnunciateError, match=message):
        enunciate.speak(ssml)


def test_ssml_cli_exit_code(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "enunciate", "speak", "<speak>oops</spek>", "-o",
                           str(tmp_path / "x.wav")], capture_output=True, timeout=120)
    assert proc.returncode == 2 and b"line 1, column" in proc.stderr and not (tmp_path / "x.wav").exists()


def test_marks_are_timed_at_the_word_after_them(heart, tmp_path, caplog):
    ssml = ('<speak><mark name="start"/>Install CUDA 12.4.<break time="500ms"/><mark name="then"/> Then run '
            '<mark name="tool"/>kubectl. <mark name="end"/><mark/></speak>')
    with caplog.at_level(logging.WARNING):
        speech = enunciate.speak(ssml, threads=2)
    assert "<mark> at line 1" in caplog.text  # the one without a name
    starts = {w.text: w.start_s for w in speech.words}
    marks = {m.name: m for m in speech.marks}
    assert list(marks) == ["start", "then", "tool", "end"]
    assert marks["start"].time_s == starts["Install"] and marks["then"].time_s == starts["Then"]
    assert marks["tool"].time_s == starts["kubectl"]
    assert marks["end"].time_s == pytest.approx(speech.duration_s, abs=1e-6)
    assert ssml[slice(*marks["tool"].span)] == '<mark name="tool"/>'
    import json
    import subprocess
    import sys

    out = tmp_path / "m.json"
    proc = subprocess.run([sys.executable, "-m", "enunciate", "speak", ssml, "-o", str(tmp_path / "m.wav"),
                           "--timestamps", str(out)], capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    entries = json.loads(out.read_text())
    assert [e.get("mark") or e["text"] for e in entries] == ["start", "Install", "CUDA", "12.4", "then", "Then",
                                                            "run", "tool", "kubectl", "end"]
    tool = next(e for e in entries if e.get("mark") == "tool")
    assert tool["time_s"] == next(e for e in entries if e.get("text") == "kubectl")["start_s"]
