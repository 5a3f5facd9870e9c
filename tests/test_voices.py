"""Each real voice synthesizes from phonemes and reports durations that add up to its audio."""
from __future__ import annotations

import numpy as np
import pytest

from enunciate import EnunciateError, list_voices, load_voice
from enunciate.text.phonesets import kokoro_to_espeak

PHONEMES = "ðə kwˈɪk bɹˈWn fˈɑks ʤˈʌmps ˌOvəɹ ðə lˈAzi dˈɑɡ."


def _say(voice, phonemes=PHONEMES, **kw):
    return voice.synthesize(kokoro_to_espeak(phonemes) if voice.alphabet == "espeak" else phonemes, **kw)


@pytest.mark.parametrize("name", ["heart", "joe", "kokoro"])
def test_voice_speaks_and_durations_cover_audio(voices, name):
    voice = voices[name]
    chunk = _say(voice)
    assert chunk.sample_rate == voice.sample_rate
    assert chunk.audio.dtype == np.float32 and 1.0 < chunk.duration_s < 6.0
    assert np.sqrt(np.mean(chunk.audio ** 2)) > 0.01, "audio is silent"
    assert len(chunk.durations_s) == len(chunk.phonemes)
    spoken = chunk.offset_s + float(chunk.durations_s.sum())
    # the voice's own trailing pad is the only time not owned by a phoneme
    assert 0 <= chunk.duration_s - spoken < 0.2


def test_hibari_same_seed_same_audio(heart):
    a, b = _say(heart, seed=7), _say(heart, seed=7)
    c = _say(heart, seed=8)
    assert np.array_equal(a.audio, b.audio)
    assert not np.array_equal(a.audio, c.audio)


def test_speed_changes_length(heart):
    slow, fast = _say(heart, speed=0.7), _say(heart, speed=1.5)
    assert slow.duration_s > 1.6 * fast.duration_s


def test_unknown_symbols_are_dropped_with_warning(heart, caplog):
    chunk = heart.synthesize("hˈɛlO ☃ wˈɜɹld", seed=0)
    assert "☃" not in chunk.phonemes
    assert any("☃" in r.getMessage() for r in caplog.records)


def test_registry_lists_every_voice_with_licence_and_size():
    rows = {v.name: v for v in list_voices()}
    assert {"heart", "joe", "kokoro"} <= set(rows)
    for v in rows.values():
        # a shipped style-only voice (kokoro-joe) lists its own 0.5 MB; it takes the model from its base
        assert v.licence and v.size_bytes > 100_000 and v.sample_rate in (22050, 24000) and v.source


def test_unknown_voice_names_the_available_ones():
    with pytest.raises(EnunciateError, match="available: .*heart.*joe"):
        load_voice("jo")


def test_hibari_voice_that_would_need_a_download_is_refused_clearly():
    with pytest.raises(EnunciateError, match="not installed.*installed: heart"):
        load_voice("hibari-emma")


def test_edited_graph_cached_outside_the_package(heart):
    import hibari

    from enunciate.cache import cache_dir

    path = heart.engine.model_path
    assert str(cache_dir()) in path and hibari.__file__.rsplit("/", 1)[0] not in path
