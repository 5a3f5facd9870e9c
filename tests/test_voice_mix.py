"""`enunciate voices mix`: a Kokoro style between two voices, or past one, each half on its own."""
from __future__ import annotations

import json

import numpy as np
import pytest

from enunciate.errors import EnunciateError
from enunciate.speakers.mix import mix_tables


def _tables():
    rng = np.random.default_rng(0)
    return rng.standard_normal((510, 1, 256)).astype(np.float32), rng.standard_normal((510, 1, 256)).astype(np.float32)


def test_each_half_moves_by_its_own_factor():
    a, b = _tables()
    assert np.array_equal(mix_tables(a, b), a)  # both factors 0: BASE to the bit
    m = mix_tables(a, b, timbre=1.0, prosody=0.0)
    np.testing.assert_allclose(m[..., :128], b[..., :128], atol=1e-6)
    assert np.array_equal(m[..., 128:], a[..., 128:])
    m = mix_tables(a, b, prosody=3.0)
    assert np.array_equal(m[..., :128], a[..., :128])
    np.testing.assert_allclose(m[..., 128:], a[..., 128:] + 3 * (b[..., 128:] - a[..., 128:]), atol=1e-5)
    half = mix_tables(a, b, timbre=0.5, prosody=0.5)
    np.testing.assert_allclose(half, (a + b) / 2, atol=1e-6)
    assert half.dtype == np.float32 and half.shape == (510, 1, 256)


def test_bad_factors_and_tables_are_refused():
    a, b = _tables()
    with pytest.raises(EnunciateError, match="prosody factor must be a number between -5 and 5"):
        mix_tables(a, b, prosody=6)
    with pytest.raises(EnunciateError, match="timbre factor"):
        mix_tables(a, b, timbre=float("nan"))
    with pytest.raises(EnunciateError, match=r"\(rows, 1, 256\)"):
        mix_tables(a, b[:, :, :128])


def test_a_mixed_voice_is_a_folder_that_records_both_parents_and_speaks(tmp_path, capsys):
    import enunciate
    from enunciate.cli import main
    from enunciate.voices.folder import read_manifest
    from enunciate.voices.registry import kokoro_style, resolve

    out = tmp_path / "mixed"
    assert main(["voices", "mix", "kokoro-heart", "kokoro-joe", "-o", str(out), "--timbre", "0.5",
                 "--prosody", "1", "--name", "heart-joe"]) == 0
    assert "heart-joe" in capsys.readouterr().out
    m = read_manifest(out)
    assert m.name == "heart-joe" and m.family == "kokoro" and m.base == "kokoro" and set(m.files) == {"style"}
    mix = m.provenance.params["mix"]
    assert (mix["base"], mix["toward"], mix["timbre"], mix["prosody"]) == ("kokoro-heart", "kokoro-joe", 0.5, 1.0)
    assert len(mix["base_style_sha256"]) == 64 and mix["base_style_sha256"] != mix["toward_style_sha256"]
    assert m.provenance.command.startswith("enunciate voices mix kokoro-heart kokoro-joe")
    heart, joe = (kokoro_style(resolve(v)) for v in ("kokoro-heart", "kokoro-joe"))
    np.testing.assert_allclose(np.load(out / "style.npy"), mix_tables(heart, joe, 0.5, 1.0))
    assert json.loads((out / "voice.json").read_text())["metrics"] == {}  # the parents' figures are not its own

    speech = enunciate.speak("Run kubectl.", voice=str(out), seed=0)
    assert speech.sample_rate == 24000 and np.abs(speech.audio).max() > 0.05

    assert main(["voices", "mix", "kokoro-heart", "kokoro-joe", "-o", str(out)]) == 2  # exists, no --force
    assert "already exists" in capsys.readouterr().err
    assert main(["voices", "mix", "kokoro-heart", "joe", "-o", str(tmp_path / "x")]) == 2
    assert "joe' is a piper voice" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.fixture(scope="module")
def kokoro_torch():
    import torch

    from enunciate.voices.kokoro_torch import load_model

    torch.manual_seed(0)
    return load_model("cpu")


def _yin_hz(audio, rate):
    import math

    from enunciate.speakers.clone import mean_log_f0

    return math.exp(mean_log_f0(audio, rate))


@pytest.mark.parametrize("pack", ["kokoro", "kokoro-jf_tebukuro"])
def test_the_fits_pitch_reading_is_near_what_yin_hears(kokoro_torch, pack):
    """Kokoro's F0 curve sits at 10-100 Hz between voiced stretches. Counting every frame above 10 Hz
    read jf_tebukuro (~320 Hz by YIN) 9 semitones low, and clones fitted with that reading spoke far
    above their references. From 50 Hz the reading is within 2.5 semitones; what is left is why
    `voices pitch` listens to the sound itself."""
    import math

    import torch

    from enunciate.speakers.clone import kokoro_phonemes, token_ids
    from enunciate.speakers.render import StyleRenderer, voiced_log_f0
    from enunciate.voices.registry import kokoro_style, resolve

    renderer = StyleRenderer(kokoro_torch, [list(x) for x in token_ids(kokoro_phonemes(
        ("A warm breeze carried the smell of rain across the square.",)))])
    table = kokoro_style(resolve(pack))
    styles = torch.from_numpy(table[renderer.rows.numpy(), 0])
    with torch.no_grad():
        out = renderer.render(styles)
    sound = _yin_hz(out.items()[0].numpy(), 24000)
    now = 12 * math.log2(math.exp(float(voiced_log_f0(out.f0, out.f0_mask))) / sound)
    above_10 = (out.f0 > 10).float() * out.f0_mask
    old_reading = math.exp(float((torch.log(out.f0.clamp(min=10)) * above_10).sum() / above_10.sum()))
    before = 12 * math.log2(old_reading / sound)
    assert abs(now) < 2.5 and abs(before) > abs(now) + 1.5, (now, before)


def test_the_fit_takes_the_pitch_yin_hears_and_the_curves_slope(kokoro_torch):
    """`as_heard`: the clone fit's pitch term has YIN's value on the rendered sound and the F0 curve's
    gradient, so a fit aims at the pitch its reference was measured at."""
    import torch

    from enunciate.speakers.clone import kokoro_phonemes, mean_log_f0, token_ids
    from enunciate.speakers.render import PROSODY, StyleRenderer, as_heard, voiced_log_f0
    from enunciate.voices.registry import kokoro_style, resolve

    renderer = StyleRenderer(kokoro_torch, [list(x) for x in token_ids(kokoro_phonemes(
        ("Turn left at the second light.", "Please leave the package at the desk.")))])
    table = kokoro_style(resolve("kokoro-jf_tebukuro"))
    styles = torch.from_numpy(table[renderer.rows.numpy(), 0])
    with torch.no_grad():
        renderer.align(styles)
        items = renderer.render(styles).items()
    prosody = styles[:, PROSODY].clone().requires_grad_(True)
    f0, mask, _ = renderer.prosody(prosody)
    curve = voiced_log_f0(f0, mask)
    heard = as_heard(curve, items, 24000)
    yin = mean_log_f0(np.concatenate([x.numpy() for x in items]), 24000)
    assert abs(heard.item() - yin) < 1e-5 and abs(curve.item() - yin) > 0.05  # YIN's value, not the curve's
    g_heard, = torch.autograd.grad(heard, prosody, retain_graph=True)
    g_curve, = torch.autograd.grad(curve, prosody)
    assert float(g_curve.abs().sum()) > 0 and torch.allclose(g_heard, g_curve)


def test_pitch_by_the_curve_alone_reaches_the_curves_goal(kokoro_torch, tmp_path):
    """--curve (listen=False): nothing rendered; the F0 curve's own reading lands on the goal."""
    import math

    import torch

    from enunciate.speakers.clone import kokoro_phonemes, token_ids
    from enunciate.speakers.mix import pitch_voice
    from enunciate.speakers.render import PROSODY, StyleRenderer, voiced_log_f0

    sentences = ("Turn left at the second light.", "Please leave the package at the desk.")
    m, shift = pitch_voice("kokoro-heart", tmp_path / "c", hz=250.0, sentences=sentences, model=kokoro_torch,
                           listen=False)
    assert m.provenance.params["pitch"]["aimed_at"] == "the F0 curve from 50 Hz"
    renderer = StyleRenderer(kokoro_torch, [list(x) for x in token_ids(kokoro_phonemes(sentences))])
    styles = torch.from_numpy(shift.table[renderer.rows.numpy(), 0])
    with torch.no_grad():
        renderer.align(styles)
        f0, mask, _ = renderer.prosody(styles[:, PROSODY])
    reading = math.exp(float(voiced_log_f0(f0, mask)))
    assert abs(12 * math.log2(reading / 250)) < 0.1 and abs(reading - shift.after_hz) < 0.5


def test_a_pitch_shift_moves_the_sound_and_keeps_the_rhythm(kokoro_torch, tmp_path):
    import enunciate
    from enunciate.speakers.mix import pitch_voice
    from enunciate.voices.registry import kokoro_style, resolve

    sentences = ("Lower the DNS TTL before you rotate the TLS certificate.", "Please leave the package at the desk.")
    m, shift = pitch_voice("kokoro-heart", tmp_path / "lower", semitones=-5, sentences=sentences, model=kokoro_torch,
                           name="heart-lower", command="enunciate voices pitch kokoro-heart --semitones -5")
    assert abs(12 * np.log2(shift.after_hz / shift.before_hz) + 5) < 0.25  # as YIN hears the renderings
    assert abs(shift.duration_change - 1) < 0.03 and shift.offset_norm > 0
    table = kokoro_style(resolve("kokoro-heart"))
    assert np.array_equal(shift.table[..., :128], table[..., :128])  # the timbre half is untouched
    offset = shift.table[..., 128:] - table[..., 128:]
    np.testing.assert_allclose(offset, np.broadcast_to(offset[:1], offset.shape), atol=1e-5)  # one offset, every row
    assert m.name == "heart-lower" and m.provenance.method == "pitch" and m.provenance.parent == "kokoro-heart"
    assert m.provenance.params["pitch"]["semitones"] == -5 and m.provenance.params["blend"]  # the clone's record kept

    # through the ONNX engine, as the folder is spoken: YIN hears about 5 semitones less, in about the same time
    text = "Please leave the package at the front desk before noon."
    before = enunciate.speak(text, voice="kokoro-heart", seed=0)
    after = enunciate.speak(text, voice=str(tmp_path / "lower"), seed=0)
    heard = 12 * np.log2(_yin_hz(after.audio, after.sample_rate) / _yin_hz(before.audio, before.sample_rate))
    assert -7 < heard < -3, heard
    assert abs(len(after.audio) / len(before.audio) - 1) < 0.08


def test_pitch_cli_writes_the_folder_and_refuses_bad_requests(tmp_path, capsys):
    from enunciate.cli import main

    assert main(["voices", "pitch", "kokoro-heart", "-o", str(tmp_path / "x"), "--semitones", "13"]) == 2
    assert "within 12 semitones" in capsys.readouterr().err
    assert main(["voices", "pitch", "kokoro-heart", "-o", str(tmp_path / "x"), "--hz", "20"]) == 2
    assert "between 50 and 500 Hz" in capsys.readouterr().err
    assert main(["voices", "pitch", "joe", "-o", str(tmp_path / "x"), "--semitones", "2"]) == 2
    assert "piper voice" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    with pytest.raises(SystemExit):  # --hz or --semitones, one of them
        main(["voices", "pitch", "kokoro-heart", "-o", str(tmp_path / "x")])


def test_pitch_like_a_reference_clip(tmp_path, capsys):
    """--like: the clip's mean F0 (YIN over its speech) is the goal; a clone's pitch put at its speaker's."""
    import math

    import enunciate
    from enunciate.audio import write_audio
    from enunciate.cli import main
    from enunciate.speakers.clone import mean_log_f0
    from enunciate.voices.folder import read_manifest

    speech = enunciate.speak("The ferry left the island an hour late because of the fog. My uncle repaired old "
                             "radios in a shed at the bottom of his garden.", voice="heart", seed=0)
    write_audio(tmp_path / "heart.wav", speech.audio, speech.sample_rate)
    assert main(["voices", "pitch", "kokoro-heart", "--like", str(tmp_path / "heart.wav"), "-o",
                 str(tmp_path / "v"), "--threads", "2"]) == 0
    err = capsys.readouterr().err
    record = read_manifest(tmp_path / "v").provenance.params["pitch"]
    assert f"mean F0 {record['hz']:.1f} Hz" in err
    assert abs(record["hz"] - math.exp(mean_log_f0(speech.audio, speech.sample_rate))) < 5  # 16 kHz, trimmed
    assert abs(12 * math.log2(record["to_hz"] / record["hz"])) < 0.2 < abs(12 * math.log2(record["from_hz"] /
                                                                                          record["hz"]))
