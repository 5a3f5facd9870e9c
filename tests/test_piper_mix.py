"""`enunciate voices mix BASE TOWARD --weights K`: a Piper voice whose every weight lies K of the way
from one voice to another of the same network (a fine-tune's strength)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from enunciate.errors import EnunciateError
from enunciate.train.mix import mix_weights


def _weights():
    rng = np.random.default_rng(0)
    a = {"w": rng.standard_normal((4, 3)).astype(np.float32), "shape": np.array([1, 2], np.int64)}
    b = {"w": rng.standard_normal((4, 3)).astype(np.float32), "shape": np.array([1, 2], np.int64)}
    return a, b


def test_every_float_weight_moves_by_k_and_constants_stay():
    a, b = _weights()
    assert np.array_equal(mix_weights(a, b, 0.0)["w"], a["w"])   # 0: BASE to the bit
    assert np.array_equal(mix_weights(a, b, 1.0)["w"], b["w"])   # 1: TOWARD to the bit
    half = mix_weights(a, b, 0.5)
    np.testing.assert_allclose(half["w"], (a["w"] + b["w"]) / 2, atol=1e-6)
    assert half["w"].dtype == np.float32 and np.array_equal(half["shape"], a["shape"])
    np.testing.assert_allclose(mix_weights(a, b, -0.5)["w"], a["w"] - 0.5 * (b["w"] - a["w"]), atol=1e-6)


def test_two_different_networks_are_refused():
    a, b = _weights()
    with pytest.raises(EnunciateError, match="weights are in only one"):
        mix_weights(a, {**b, "extra": b["w"]}, 0.5)
    with pytest.raises(EnunciateError, match=r"weight w is float32\[4, 3\] in one and float32\[3, 4\]"):
        mix_weights(a, {**b, "w": b["w"].T.copy()}, 0.5)
    with pytest.raises(EnunciateError, match="constant shape differs"):
        mix_weights(a, {**b, "shape": np.array([2, 1], np.int64)}, 0.5)


@pytest.fixture(scope="module")
def joe_and_a_fine_tune(tmp_path_factory):
    """joe, and a voice folder of joe's network with its decoder's first convolution scaled (a fine-tune
    would change many weights; one is enough to follow)."""
    import onnx
    from onnx import numpy_helper

    from enunciate.voices.folder import FileRef, Provenance, write_voice_folder
    from enunciate.voices.registry import resolve

    joe = resolve("joe")
    model = onnx.load(str(joe.path("model")))
    init = max((i for i in model.graph.initializer if i.data_type == onnx.TensorProto.FLOAT),
               key=lambda i: np.prod(i.dims))
    before = numpy_helper.to_array(init)
    init.CopyFrom(numpy_helper.from_array((before * 1.5).astype(np.float32), init.name))
    tmp = tmp_path_factory.mktemp("piper-mix")
    path = tmp / joe.path("model").name
    onnx.save(model, str(path))
    manifest = replace(joe, name="joe-changed", folder=None, base=None,
                       files={role: FileRef(joe.path(role).name) for role in ("model", "config")},
                       provenance=Provenance(source="a test", parent="joe", method="finetune-full"))
    changed = write_voice_folder(tmp / "joe-changed", manifest, {"model": path, "config": joe.path("config")})
    return joe, changed, init.name, before


def test_a_mixed_piper_voice_records_both_and_speaks(joe_and_a_fine_tune, tmp_path, capsys):
    import onnx
    from onnx import numpy_helper

    from enunciate.cli import main
    from enunciate.options import VoiceSpec
    from enunciate.voices.folder import read_manifest

    joe, changed, name, before = joe_and_a_fine_tune
    out = tmp_path / "quarter"
    assert main(["voices", "mix", "joe", str(changed.folder), "--weights", "0.25", "-o", str(out)]) == 0
    assert "joe-changed-mix" in capsys.readouterr().out
    m = read_manifest(out)
    assert (m.family, m.provenance.parent, m.provenance.method) == ("piper", "joe", "mix")
    mix = m.provenance.params["mix"]
    assert (mix["base"], mix["toward"], mix["weights"]) == ("joe", "joe-changed", 0.25)
    from enunciate.cache import sha256_file

    assert mix["base_sha256"] == sha256_file(joe.path("model")) != mix["toward_sha256"]
    assert m.provenance.command.startswith("enunciate voices mix joe")
    weights = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(m.path("model"))).graph.initializer}
    np.testing.assert_allclose(weights[name], before * 1.125, rtol=1e-6)   # 1 + 0.25 x 0.5
    assert main(["voices", "mix", "joe", str(changed.folder), "--weights", "0", "-o", str(tmp_path / "zero")]) == 0
    zero = onnx.load(str(tmp_path / "zero" / joe.path("model").name)).graph.initializer
    original = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(joe.path("model"))).graph.initializer}
    assert all(np.array_equal(numpy_helper.to_array(i), original[i.name]) for i in zero)   # K = 0: joe to the bit
    speech = VoiceSpec(str(out)).load().synthesize("ɹˈʌn kjˈuːb")
    assert speech.audio.size > 4000 and np.isfinite(speech.audio).all()
    assert main(["speak", "Run kubectl in 35 ms.", "--voice", str(out), "-o", str(tmp_path / "q.wav")]) == 0
    assert (tmp_path / "q.wav").stat().st_size > 10000


def test_bad_mixes_are_refused(joe_and_a_fine_tune, tmp_path, capsys):
    from enunciate.cli import main
    from enunciate.train.mix import mix_piper_voice

    _, changed, _, _ = joe_and_a_fine_tune
    with pytest.raises(EnunciateError, match="--weights must be a number from -1 to 2"):
        mix_piper_voice("joe", changed.folder, tmp_path / "x", 3.0)
    with pytest.raises(EnunciateError, match="'kokoro' is a kokoro voice; --weights mixes two Piper voices"):
        mix_piper_voice("joe", "kokoro", tmp_path / "x", 0.5)
    assert main(["voices", "mix", "joe", str(changed.folder), "--timbre", "0.5", "-o", str(tmp_path / "x")]) == 2
    assert "--timbre and --prosody mix two Kokoro voices (two Piper voices mix by --weights)" in capsys.readouterr().err
    assert main(["voices", "mix", "joe", str(changed.folder), "--weights", "0.5", "--prosody", "1",
                 "-o", str(tmp_path / "x")]) == 2
    assert "give one kind" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
