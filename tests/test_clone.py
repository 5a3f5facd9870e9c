"""enunciate.speakers: GE2E embeddings (and their differentiable path), reference checks, cloning a
Kokoro voice into a folder that speaks, GE2E encoder training on a set the test makes, voice maps.

References are real speech from enunciate's own voices (joe, heart) and espeak-ng; the clone tests
fit with a tiny step budget (the fit's quality is measured by benchmarks/clone_study.py)."""
from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from enunciate.errors import EnunciateError

JOE_TEXT = ("Every morning the baker opens the shop at six, sweeps the floor, and sets out warm bread "
            "for the early customers who wait by the door.")
HEART_TEXT = ("The museum closes at five on weekdays, but on Saturdays the doors stay open until late "
              "and the cafe serves dinner on the roof.")
FIT_SENTENCE = ("Add the SSH key to your GitHub account.",)


def _speech(voice: str, text: str):
    import enunciate

    speech = enunciate.speak(text, voice=voice, seed=0)
    return speech.audio, speech.sample_rate


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Reference clips: joe and heart (8-9 s each), and bad ones made from them."""
    from enunciate.audio import resample, write_audio

    d = tmp_path_factory.mktemp("references")
    joe, joe_sr = _speech("joe", JOE_TEXT)
    heart, heart_sr = _speech("heart", HEART_TEXT)
    out = {"joe": write_audio(d / "joe.wav", joe, joe_sr), "heart": write_audio(d / "heart.flac", heart, heart_sr)}
    out["short"] = write_audio(d / "short.wav", joe[: int(3.0 * joe_sr)], joe_sr)
    quiet = np.zeros(int(12 * joe_sr), np.float32)
    quiet[: int(2.5 * joe_sr)] = joe[: int(2.5 * joe_sr)]
    out["little_speech"] = write_audio(d / "little_speech.wav", quiet, joe_sr)
    out["low_rate"] = write_audio(d / "low_rate.wav", resample(joe, joe_sr, 8000), 8000)
    noise = np.random.default_rng(0).standard_normal(len(joe)).astype(np.float32)
    noisy = joe + noise * (np.sqrt(np.mean(joe ** 2)) / np.sqrt(np.mean(noise ** 2)))  # 0 dB SNR
    out["noisy"] = write_audio(d / "noisy.wav", noisy / np.abs(noisy).max() * 0.9, joe_sr)
    out["not_audio"] = d / "notes.wav"
    out["not_audio"].write_text("these are notes, not audio\n")
    out["missing"] = d / "missing.wav"
    return out


# --- GE2E -----------------------------------------------------------------------------------------------

def test_mel_frontend_and_resampling_match_librosa_and_scipy():
    import librosa
    import torch
    from scipy.signal import resample_poly

    from enunciate.speakers import ge2e

    rng = np.random.default_rng(0)
    wav = (rng.standard_normal(16000) * 0.1).astype(np.float32)
    ref = librosa.feature.melspectrogram(y=wav, sr=16000, n_fft=400, hop_length=160, n_mels=40).T
    mine = ge2e.MelFrontend()(torch.from_numpy(wav)[None])[0].numpy()
    assert mine.shape == ref.shape
    assert np.abs(mine - ref).max() < 1e-5 * ref.max()
    assert np.allclose(ge2e._slaney_mel(16000, 400, 40), librosa.filters.mel(sr=16000, n_fft=400, n_mels=40),
                       atol=1e-7)
    x = rng.standard_normal(24000 + 7).astype(np.float32)
    for rate, (up, down) in ((24000, (2, 3)), (22050, (320, 441))):
        ours = ge2e.resample_torch(torch.from_numpy(x), rate, 16000).numpy()
        theirs = resample_poly(x, up, down)
        assert ours.shape == theirs.shape and np.abs(ours - theirs).max() < 1e-5


@pytest.mark.slow
def test_embeddings_match_resemblyzer_and_are_differentiable(clips):
    import torch

    from enunciate.audio import read_audio
    from enunciate.evaluate.similarity import embed
    from enunciate.speakers.ge2e import Embedder, cosine, embed_speaker, embed_utterance, load_encoder

    audio, rate = read_audio(clips["joe"])
    ours = embed_utterance(audio, rate)
    assert ours.shape == (256,) and abs(np.linalg.norm(ours) - 1) < 1e-5
    assert cosine(ours, embed(audio, rate)) > 0.9999  # resemblyzer's own embed_utterance
    heart, heart_rate = read_audio(clips["heart"])
    assert cosine(ours, embed_utterance(heart, heart_rate)) < 0.8
    half = len(audio) // 2
    speaker = embed_speaker([audio[:half], audio[half:]], rate)
    assert cosine(speaker, ours) > 0.95

    wav = torch.from_numpy(audio[: 3 * rate].copy()).requires_grad_(True)
    e = Embedder(load_encoder())([wav], rate)[0]
    (e @ torch.from_numpy(embed_utterance(heart, heart_rate))).backward()
    assert torch.isfinite(wav.grad).all() and wav.grad.abs().sum() > 0


# --- references and their bad inputs ------------------------------------------------------------------------

@pytest.mark.slow
def test_reference_is_decoded_trimmed_and_measured(clips):
    from enunciate.speakers.reference import load_reference

    clip = load_reference(clips["heart"])  # FLAC, 24 kHz
    assert clip.sample_rate == 16000 and clip.source_rate == 24000
    assert 7 < clip.duration_s < 12 and 5 < clip.speech_s <= clip.duration_s
    assert clip.background > 3.0 and not clip.warnings
    record = clip.record()
    assert record["file"] == "heart.flac" and len(record["sha256"]) == 64


@pytest.mark.parametrize("name, message", [
    ("short", r"has \d+\.\d s of speech in 3\.0 s; a reference needs at least 5 s of speech"),
    ("little_speech", r"has [0-4]\.\d s of speech in 12\.0 s"),
    ("not_audio", r"cannot read notes\.wav as audio .*WAV, FLAC, MP3, OGG"),
    ("missing", r"reference clip not found"),
])
def test_bad_references_are_refused_with_their_reason(clips, name, message):
    from enunciate.speakers.reference import load_reference

    with pytest.raises(EnunciateError, match=message):
        load_reference(clips[name])


@pytest.mark.slow
def test_low_rate_noise_and_different_speakers_warn(clips, caplog):
    from enunciate.speakers.reference import check_references, load_reference

    with caplog.at_level(logging.WARNING, logger="enunciate.speakers.reference"):
        low = load_reference(clips["low_rate"])
        noisy = load_reference(clips["noisy"])
    assert any("8000 Hz, under the encoder's 16000 Hz" in w for w in low.warnings)
    assert noisy.background < 3.0
    assert any(f"DNSMOS background score {noisy.background:.2f}" in w for w in noisy.warnings)
    assert "DNSMOS background score" in caplog.text
    notes = check_references([load_reference(clips["joe"]), load_reference(clips["heart"])])
    assert len(notes) == 1 and "sound like different speakers (GE2E similarity 0." in notes[0]
    joe = load_reference(clips["joe"])
    assert check_references([joe, joe]) == []


def test_clone_refuses_bad_input_before_fitting(clips, capsys):
    from enunciate.cli import main

    assert main(["clone", str(clips["short"]), "--name", "x", "-o", str(clips["short"].parent / "x")]) == 2
    assert "s of speech in 3.0 s" in capsys.readouterr().err
    assert main(["clone", str(clips["joe"]), "--name", "../evil"]) == 2
    assert main(["clone", str(clips["joe"]), "--name", "x", "--method", "cmaes", "--population", "1"]) == 2


def test_clone_quality_margin_option(capsys):
    """--quality-margin sets the guard's floor, --no-quality-guard turns it off, and a margin out of
    range is refused by the parser with its value."""
    from enunciate.cli import build_parser
    from enunciate.speakers.command import clone_config

    parser = build_parser()
    assert clone_config(parser.parse_args(["clone", "me.wav", "--name", "me"])).quality_margin == 0.1
    assert clone_config(parser.parse_args(["clone", "me.wav", "--name", "me", "--quality-margin", "0.05"])
                        ).quality_margin == 0.05
    assert clone_config(parser.parse_args(["clone", "me.wav", "--name", "me", "--no-quality-guard"])
                        ).quality_margin is None
    with pytest.raises(SystemExit):
        parser.parse_args(["clone", "me.wav", "--name", "me", "--quality-margin", "-1"])
    assert "from 0 to 5 DistillMOS points, got -1.0" in capsys.readouterr().err


# --- the style space and CMA-ES --------------------------------------------------------------------------------

def test_style_space_and_cmaes():
    from enunciate.speakers.cmaes import CMAES
    from enunciate.speakers.styles import softmax, style_space

    space = style_space()
    assert space.packs.shape == (5, 510, 256) and space.directions.shape == (8, 256)
    table = space.table(softmax(np.zeros(5)), np.zeros(256))
    assert table.shape == (510, 1, 256) and table.dtype == np.float32
    assert np.allclose(table[:, 0], space.mean, atol=1e-6)
    assert np.allclose(space.table(np.eye(5)[4], np.ones(256))[:, 0], space.packs[4] + 1, atol=1e-6)

    def loss(x):
        return float(np.sum((x - np.arange(5)) ** 2 * np.arange(1, 6)))

    es = CMAES(np.zeros(5), 1.0, seed=0)
    for _ in range(80):
        xs = es.ask()
        es.tell(xs, [loss(x) for x in xs])
    assert es.best_loss < 1e-4


# --- cloning end to end ----------------------------------------------------------------------------------------

def _check_clone_folder(folder, method: str, clip_path):
    import enunciate
    from enunciate.voices.folder import read_manifest
    from enunciate.voices.registry import resolve

    manifest = read_manifest(folder)
    assert manifest.family == "kokoro" and manifest.base == "kokoro" and set(manifest.files) == {"style"}
    style = np.load(manifest.path("style"))
    assert style.shape == (510, 1, 256) and style.dtype == np.float32 and np.isfinite(style).all()
    prov = manifest.provenance
    assert prov.method == "clone" and prov.parent == "kokoro" and prov.params["method"] == method
    ref = prov.params["references"][0]
    assert ref["file"] == clip_path.name and len(ref["sha256"]) == 64 and ref["duration_s"] > 5
    assert prov.params["seed"] == 0 and 0 < manifest.metrics["ge2e_similarity"] <= 1
    assert set(resolve(str(folder)).files) == {"model", "vocab", "style"}
    speech = enunciate.speak("Run kubectl in 35 ms.", voice=str(folder))
    assert speech.sample_rate == 24000 and speech.duration_s > 1 and np.abs(speech.audio).max() > 0.05
    return manifest


def test_the_guard_walks_back_to_the_largest_alpha_that_passes():
    """The guard's search on a known curve: quality falls as alpha (the share of the fit) rises."""
    from enunciate.speakers.clone import walk_back

    calls = []

    def at(alpha):
        calls.append(alpha)
        return 4.0 - 2.0 * alpha, alpha  # passes a floor of 3.0 up to alpha 0.5

    alpha, (score, similarity), tried = walk_back(at, 3.2, steps=4, refine=3)
    assert [a for a, _ in tried[:4]] == [1.0, 0.75, 0.5, 0.25] and calls == [a for a, _ in tried]
    assert 0.375 <= alpha < 0.4 and score >= 3.2 and similarity == alpha  # 0.25 -> 0.375 -> (0.4375 fails) ...
    assert len(tried) == 7
    alpha, _, tried = walk_back(at, 1.0, steps=8, refine=2)
    assert alpha == 1.0 and len(tried) == 1  # the fit itself passes: nothing else is tried
    alpha, _, tried = walk_back(lambda a: (0.0, a), 1.0, steps=2, refine=2)
    assert alpha == 0.0 and [a for a, _ in tried][:3] == [1.0, 0.5, 0.0]  # nothing passes but the start
    assert all(a < 0.5 for a, _ in tried[3:])


@pytest.mark.slow
def test_clone_with_cmaes_saves_a_folder_that_speaks(clips, tmp_path):
    from enunciate.speakers.clone import CloneConfig, clone

    config = CloneConfig(method="cmaes", steps=1, population=2, init="mean", sentences=FIT_SENTENCE, threads=2,
                         guard_steps=1, guard_refine=0, guard_sentences=("Turn left at the second light.",))
    result = clone([clips["joe"]], "joe-clone", tmp_path / "joe-clone", config, command="test")
    assert len(result.fit.history) == 1 and result.fit.step in (0, 1)
    assert result.fit.guard["alpha"] in (0.0, 1.0) and result.fit.guard["start_distillmos"] > 2
    manifest = _check_clone_folder(tmp_path / "joe-clone", "cmaes", clips["joe"])
    assert manifest.provenance.command == "test" and manifest.name == "joe-clone"
    assert manifest.provenance.params["quality_guard"] == result.fit.guard


@pytest.mark.heavy
def test_clone_by_gradient_raises_similarity_and_speaks(clips, tmp_path):
    """Two gradient steps through the PyTorch Kokoro on the CPU (about 2 minutes on 2 cores)."""
    from enunciate.speakers.clone import CloneConfig, clone

    config = CloneConfig(steps=2, init="mean", prosody=False, sentences=FIT_SENTENCE, threads=2, quality_margin=None)
    result = clone([clips["heart"]], "heart-clone", tmp_path / "heart-clone", config, command="test")
    history = result.fit.history
    assert [h["step"] for h in history] == [0, 1, 2]
    assert history[-1]["loss"] < history[0]["loss"]
    assert result.fit.similarity >= history[0]["similarity"]
    _check_clone_folder(tmp_path / "heart-clone", "gradient", clips["heart"])


def test_a_clone_restarts_from_its_own_blend_and_offset():
    """--start-from: a cloned voice's recorded blend and its table less that blend rebuild its table;
    a voice that is not a clone is refused."""
    from enunciate.speakers.styles import clone_start
    from enunciate.speakers.styles import style_space
    from enunciate.voices.registry import resolve

    space = style_space()
    weights, offset = clone_start("kokoro-joe", space)
    assert weights.shape == (len(space.names),) and abs(weights.sum() - 1) < 1e-9 and weights.argmax() == 4
    table = np.load(resolve("kokoro-joe").path("style"))
    assert np.abs(space.table(weights, offset) - table).max() < 1e-3   # the blend is recorded to 4 places
    assert np.linalg.norm(offset) > 0.1
    with pytest.raises(EnunciateError, match="not a cloned Kokoro voice"):
        clone_start("kokoro-jm_kumo", space)


def test_the_listener_scores_as_distillmos_with_a_finite_gradient(clips):
    """DistillMOS in the fit's loss: the wheel's model, whose gradient is NaN on the zeros it pads a
    short clip with, and the fit's listener, which scores the same and differentiates."""
    import torch

    from enunciate.audio import read_audio
    from enunciate.evaluate.mos import load_distillmos
    from enunciate.speakers.listener import Listener
    from enunciate.speakers.ge2e import resample_torch

    audio, rate = read_audio(clips["joe"])
    x = resample_torch(torch.from_numpy(np.asarray(audio[: 3 * rate], np.float32)), rate, 16000)[None]
    plain = x.clone().requires_grad_(True)
    load_distillmos()(plain).mean().backward()
    assert not torch.isfinite(plain.grad).all()
    x.requires_grad_(True)
    score = Listener("cpu")(x).mean()
    score.backward()
    with torch.no_grad():
        assert abs(float(score) - float(load_distillmos()(x).mean())) < 1e-2
    assert torch.isfinite(x.grad).all() and x.grad.abs().max() > 0
    assert not any(p.requires_grad for p in load_distillmos().parameters())


def test_clone_mos_weight_and_start_options(capsys):
    from enunciate.cli import build_parser
    from enunciate.speakers.clone import CloneConfig
    from enunciate.speakers.command import clone_config

    parser = build_parser()
    config = clone_config(parser.parse_args(["clone", "me.wav", "--name", "me", "--mos-weight", "0.3",
                                             "--start-from", "kokoro-joe", "--prior", "0.005"]))
    assert config.mos_weight == 0.3 and config.start_voice == "kokoro-joe" and config.prior == 0.005
    assert clone_config(parser.parse_args(["clone", "me.wav", "--name", "me"])).prior == 0.02
    with pytest.raises(EnunciateError, match="must be 0 or more"):
        CloneConfig(mos_weight=-1).check()
    with pytest.raises(EnunciateError, match="prior's weight must be 0 or more"):
        CloneConfig(prior=-0.1).check()
    with pytest.raises(EnunciateError, match="need the gradient method"):
        CloneConfig(method="cmaes", mos_weight=0.5).check()


@pytest.mark.heavy
def test_clone_from_a_clone_with_distillmos_in_the_loss(clips, tmp_path):
    """One gradient step from kokoro-joe toward joe's clip with DistillMOS in the loss (about 2 minutes
    on 2 cores): it starts where kokoro-joe is (already close to joe), logs DistillMOS, stays finite."""
    from enunciate.speakers.clone import CloneConfig, clone

    config = CloneConfig(steps=1, init="mean", prosody=False, sentences=FIT_SENTENCE, threads=2, quality_margin=None,
                         mos_weight=0.5, start_voice="kokoro-joe")
    result = clone([clips["joe"]], "joe-polish", tmp_path / "joe-polish", config, command="test")
    history = result.fit.history
    assert [h["step"] for h in history] == [0, 1]
    assert all(np.isfinite(h["loss"]) and 2 < h["distillmos"] <= 5 for h in history)
    assert all(h["loss"] < 0 for h in history)  # every other term is >= 0: the -0.5 x DistillMOS is in the loss
    assert history[0]["similarity"] > 0.8
    manifest = _check_clone_folder(tmp_path / "joe-polish", "gradient", clips["joe"])
    assert manifest.provenance.params["mos_weight"] == 0.5
    assert manifest.provenance.params["start_voice"] == "kokoro-joe"
    assert len(manifest.provenance.params["start_style_sha256"]) == 64


@pytest.mark.slow
def test_clone_cli_into_the_voice_store(clips, tmp_path, monkeypatch, capsys):
    from enunciate.cli import main

    monkeypatch.setenv("ENUNCIATE_VOICES", str(tmp_path / "store"))
    (tmp_path / "store").mkdir()
    argv = ["clone", str(clips["joe"]), "--name", "my-joe", "--method", "cmaes", "--steps", "0", "--init", "mean",
            "--sentence", FIT_SENTENCE[0], "--no-quality-guard", "--threads", "2"]
    monkeypatch.setattr("sys.argv", ["enunciate", *argv])
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "GE2E similarity" in out and "--voice my-joe" in out
    manifest = json.loads((tmp_path / "store" / "my-joe" / "voice.json").read_text())
    assert manifest["provenance"]["command"].startswith("enunciate clone ")
    assert manifest["provenance"]["params"]["sentences"] == list(FIT_SENTENCE)
    assert main(["speak", "Hello there.", "--voice", "my-joe", "-o", str(tmp_path / "hello.wav")]) == 0
    assert (tmp_path / "hello.wav").stat().st_size > 10_000


# --- the shipped English Kokoro voices ---------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("name", ["kokoro-heart", "kokoro-joe"])
def test_shipped_clones_are_built_in_voices_that_speak(name):
    import enunciate
    from enunciate.voices.registry import builtin_names, resolve

    if name not in builtin_names():
        pytest.skip(f"{name} is not shipped (benchmarks/clone_study.py measure --ship)")
    m = resolve(name)
    assert m.provenance.method in ("clone", "pitch") and m.metrics["heldout_ge2e_similarity"] > 0.5
    assert m.provenance.params["blend"] and m.provenance.params["references"]  # the fit's record
    speech = enunciate.speak("The cache hit rate climbed after the fix.", voice=name)
    assert speech.duration_s > 1
    if m.provenance.method == "pitch":  # put near its reference's pitch (before, kokoro-heart was 9.5 semitones over)
        import math

        from enunciate.speakers.clone import mean_log_f0

        goal = m.provenance.params["pitch"]["hz"]
        heard = math.exp(mean_log_f0(speech.audio, speech.sample_rate))
        assert abs(12 * math.log2(heard / goal)) < 4, (heard, goal)  # aimed by the curve, YIN hears 1-3 higher


# --- encoder training -----------------------------------------------------------------------------------------

SENTENCES = [
    "The river runs past the mill and under the old stone bridge.",
    "Please bring the blue folder to the meeting on Tuesday morning.",
    "Seven small boats waited in the harbour for the wind to change.",
    "He forgot his umbrella again and walked home in the rain.",
    "The recipe needs two cups of flour and a pinch of salt.",
]
# espeak-ng speakers: one voice variant at five pitches. Different variants (m1, f2, klatt ...) the
# pretrained encoder already tells apart (GE2E loss 0.27 on them); at one variant's pitches it does
# not (loss 0.9-1.9, same-speaker 0.90 vs different 0.86), so there is something to learn.
ESPEAK_SPEAKERS = {f"p{pitch}": ("m1", pitch) for pitch in (30, 45, 60, 75, 90)}


def _espeak_speaker(variant: str, pitch: int, texts):
    from enunciate.evaluate import espeak_audio
    from enunciate.text import espeak

    def setup(voice: bytes, value: int):
        with espeak._LOCK:
            lib = espeak._library()
            lib.espeak_SetVoiceByName(voice)
            lib.espeak_SetParameter(3, value, 0)  # espeakPITCH, absolute

    setup(f"en-us+{variant}".encode(), pitch)
    try:
        return [espeak_audio.synthesize(t) for t in texts]
    finally:
        setup(b"en-us", 50)  # espeak-ng's defaults, which phonemizing shares


@pytest.fixture(scope="module")
def speaker_set(tmp_path_factory):
    """A tiny VCTK-layout corpus: 5 espeak-ng speakers x 5 sentences."""
    from enunciate.audio import write_audio

    root = tmp_path_factory.mktemp("vctk")
    for speaker, (variant, pitch) in ESPEAK_SPEAKERS.items():
        folder = root / "wav48" / speaker
        folder.mkdir(parents=True)
        for i, (audio, rate) in enumerate(_espeak_speaker(variant, pitch, SENTENCES)):
            write_audio(folder / f"{speaker}_{i:03d}.wav", audio, rate)
    return root


def test_data_layouts_are_recognised(speaker_set, tmp_path):
    import shutil

    from enunciate.speakers.train_encoder import find_speakers

    layout, speakers = find_speakers(speaker_set)
    assert layout == "vctk" and len(speakers) == 5 and all(len(v) == 5 for v in speakers.values())
    libri = tmp_path / "train-clean-100"
    for speaker, files in speakers.items():
        chapter = libri / speaker.removeprefix("p") / "1"
        chapter.mkdir(parents=True)
        for f in files[:3]:
            shutil.copy(f, chapter / f.name)
            (chapter / f.name).with_suffix(".normalized.txt").write_text("text\n")
    layout, found = find_speakers(libri)
    assert layout == "libritts" and len(found) == 5 and all(len(v) == 3 for v in found.values())
    (tmp_path / "one" / "a").mkdir(parents=True)
    with pytest.raises(EnunciateError, match="needs at least 2"):
        find_speakers(tmp_path / "one")


@pytest.mark.slow
def test_train_encoder_lowers_the_loss_separates_speakers_and_resumes(speaker_set, tmp_path, capsys):
    import torch

    from enunciate.cli import main
    from enunciate.speakers.ge2e import SpeakerEncoder
    from enunciate.speakers.train_encoder import TrainConfig, ge2e_loss, train_encoder

    # the loss: perfectly separated embeddings score near 0, identical ones near log(N)
    separated = torch.eye(4)[:, None, :].expand(4, 3, 4).contiguous()
    assert float(ge2e_loss(separated, torch.tensor([10.0]), torch.tensor([-5.0]))[0]) < 0.01
    same = torch.ones(4, 3, 4) / 2
    assert abs(float(ge2e_loss(same, torch.tensor([10.0]), torch.tensor([-5.0]))[0]) - np.log(4)) < 1e-4

    config = TrainConfig(steps=25, speakers_per_batch=4, utterances_per_speaker=3, lr=1e-3, checkpoint_every=10,
                         threads=2)
    result = train_encoder(speaker_set, tmp_path / "enc", config)
    assert result.layout == "vctk" and result.speakers == 5 and len(result.losses) == 25
    assert np.mean(result.losses[-5:]) < 0.7 * np.mean(result.losses[:5])
    assert result.after.gap > result.before.gap + 0.05
    assert result.after.eer <= result.before.eer

    assert main(["train-encoder", str(speaker_set), "-o", str(tmp_path / "enc"), "--steps", "28",
                 "--speakers-per-batch", "4", "--utterances-per-speaker", "3", "--lr", "1e-3", "--threads", "2"]) == 0
    out = capsys.readouterr()
    assert "steps 25 -> 28" in out.out and "resuming" in out.err
    checkpoint = torch.load(tmp_path / "enc" / "encoder.pt", weights_only=False)
    assert checkpoint["step"] == 28 and len(checkpoint["losses"]) == 28
    SpeakerEncoder.load(tmp_path / "enc" / "encoder.pt")  # and loads as an encoder for clone --encoder


# --- voice maps -------------------------------------------------------------------------------------------

def test_voice_map_png_is_a_real_png(tmp_path):
    import matplotlib.image

    from enunciate.speakers.voicemap import draw, project

    rng = np.random.default_rng(0)
    e = np.abs(rng.standard_normal((5, 256)))
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    m = project(["a", "b", "c", "ref", "clone"], ["voice", "voice", "pack", "reference", "clone"], e,
                links=[("clone", "ref")])
    assert m.points.shape == (5, 2) and sum(m.explained) <= 1
    png = draw(m, tmp_path / "map.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(png)
    assert image.shape[0] > 400 and image.shape[1] > 400
    with pytest.raises(EnunciateError, match="at least 3"):
        project(["a", "b"], ["voice", "voice"], e[:2])


@pytest.mark.slow
def test_voices_map_cli(clips, tmp_path, capsys):
    from enunciate.cli import main

    out = tmp_path / "voices.png"
    assert main(["voices", "map", "heart", "joe", "--ref", f"joe-reference={clips['joe']}", "-o", str(out),
                 "--json"]) == 0
    points = json.loads(capsys.readouterr().out)
    assert points["names"] == ["heart", "joe", "joe-reference"] and len(points["points"]) == 3
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert main(["voices", "map", "--ref", "bad", "-o", str(out)]) == 2
