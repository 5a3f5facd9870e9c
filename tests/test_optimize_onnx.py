"""`enunciate optimize` with the ONNX Runtime methods, end to end on the real voices with short inputs:
joe for every method that applies to Piper, Kokoro and heart for the methods on int8 graphs."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import enunciate
from enunciate.cache import sha256_file
from enunciate.errors import EnunciateError
from enunciate.optimize import methods, optimize
from enunciate.voices.registry import resolve

pytestmark = pytest.mark.slow

CORPUS = ("Install CUDA 12.4, then run kubectl in 35 ms.", "The parser reads JSON from standard input.")
PIPER_METHODS = sorted(n for n, m in methods().items() if m.engine == "onnx" and "piper" in m.families)
FAST = {"ort-int8-static": {"samples": 2}}  # calibration on two sentences keeps the test short
SAY = "Run kubectl in 35 ms."


@pytest.fixture(scope="module")
def joe_variants(tmp_path_factory):
    """Each Piper method's variant of joe, made once for the module."""
    root, made = tmp_path_factory.mktemp("joe-variants"), {}

    def get(method: str):
        if method not in made:
            made[method] = optimize("joe", method, root / method, FAST.get(method), corpus=CORPUS,
                                    command=f"enunciate optimize joe --method {method}")
        return made[method]
    return get


def weights(path: Path, ops=("Conv", "ConvTranspose", "MatMul", "Gemm")) -> dict[str, np.ndarray]:
    """The weight initializers that feed the given op types, by name."""
    model = onnx.load(str(path))
    names = {n.input[1] for n in model.graph.node if n.op_type in ops and len(n.input) > 1}
    return {i.name: numpy_helper.to_array(i) for i in model.graph.initializer if i.name in names}


def test_every_onnx_method_is_registered_with_the_families_it_applies_to():
    table = methods()
    assert {n for n, m in table.items() if m.engine == "onnx"} >= {
        "ort-int8-dynamic", "ort-int8-matmul", "ort-int8-static", "ort-fp16", "ort-optimize", "ort-prune", "ort-int4"}
    assert set(PIPER_METHODS) == {"ort-int8-dynamic", "ort-int8-static", "ort-fp16", "ort-optimize", "ort-prune"}
    assert "kokoro" in table["ort-int8-matmul"].families and "hibari" in table["ort-int4"].families
    assert table["ort-int8-static"].needs_corpus
    for name in ("ort-int8-dynamic", "ort-int8-matmul", "ort-fp16", "ort-prune", "ort-int4"):
        assert "Not for" in table[name].summary  # says why the other families are left out
    assert "ORT version" in table["ort-optimize"].summary


@pytest.mark.parametrize("method", PIPER_METHODS)
def test_joe_variant_is_a_complete_voice_folder_that_speaks(joe_variants, method):
    manifest = joe_variants(method)
    folder = manifest.folder
    raw = json.loads((folder / "voice.json").read_text(encoding="utf-8"))
    prov, metrics = raw["provenance"], raw["metrics"]
    assert prov["method"] == method and prov["parent"] == "joe"
    assert prov["params"] == {**methods()[method].defaults, **FAST.get(method, {})}
    assert prov["parent_sha256"] == sha256_file(resolve("joe").path("model"))
    assert prov["command"] == f"enunciate optimize joe --method {method}"
    assert {"size_bytes", "parameters", "nonzero", "quantized_tensors"} <= set(metrics)
    for role, ref in raw["files"].items():
        assert sha256_file(folder / ref["path"]) == ref["sha256"], role
        assert (folder / ref["path"]).stat().st_size == ref["bytes"], role
    assert metrics["size_bytes"] == sum(ref["bytes"] for ref in raw["files"].values())
    model = raw["files"]["model"]["path"]
    assert model == f"en_US-joe-medium.{method.removeprefix('ort-')}.onnx"
    assert raw["files"]["config"]["path"] == model + ".json"
    speech = enunciate.speak(SAY, voice=str(folder), seed=1)
    assert speech.sample_rate == 22050 and 0.8 < speech.duration_s < 4
    assert np.isfinite(speech.audio).all() and np.sqrt(np.mean(speech.audio ** 2)) > 1e-2
    assert [w.text for w in speech.words] == ["Run", "kubectl", "in", "35 ms"]


def test_pruned_joe_has_the_stated_sparsity_in_every_weight(joe_variants):
    manifest = joe_variants("ort-prune")
    pruned = weights(manifest.path("model"))
    assert len(pruned) > 100
    for name, w in pruned.items():
        assert np.count_nonzero(w == 0) / w.size == pytest.approx(0.3, abs=1.0 / w.size + 1e-9), name
    original = weights(resolve("joe").path("model"))
    total = sum(w.size for w in original.values())
    zeros = sum(int(np.count_nonzero(w == 0)) for w in pruned.values())
    assert zeros / total == pytest.approx(0.3, abs=0.001)
    assert manifest.metrics["parameters"] - manifest.metrics["nonzero"] >= zeros
    assert manifest.engines == ("onnx", "torch")  # same names and dtypes: the torch modules still read it


@pytest.mark.parametrize("method, op", [("ort-int8-dynamic", "ConvInteger"), ("ort-int8-static", "QuantizeLinear")])
def test_quantized_joe_holds_int8_weights(joe_variants, method, op):
    manifest = joe_variants(method)
    model = onnx.load(str(manifest.path("model")))
    assert any(n.op_type == op for n in model.graph.node)
    int8 = sum(int(np.prod(i.dims)) for i in model.graph.initializer if i.data_type in (2, 3))  # uint8, int8
    conv_params = sum(w.size for w in weights(resolve("joe").path("model"), ("Conv",)).values())
    assert int8 >= 0.9 * conv_params
    assert manifest.metrics["quantized_tensors"] > 100 and manifest.engines == ("onnx",)
    assert manifest.metrics["size_bytes"] < 0.35 * resolve("joe").path("model").stat().st_size


def test_fp16_joe_is_half_the_size_and_keeps_the_duration_predictor_fp32(joe_variants):
    manifest = joe_variants("ort-fp16")
    model = onnx.load(str(manifest.path("model")))
    halves = sum(int(np.prod(i.dims)) for i in model.graph.initializer if i.data_type == onnx.TensorProto.FLOAT16)
    assert halves > 0.8 * manifest.metrics["parameters"]
    dp = [n for n in model.graph.node if n.name.startswith("/dp/") and n.op_type == "Conv"]
    dp_weights = {i.name: i.data_type for i in model.graph.initializer}
    assert dp and all(dp_weights.get(n.input[1], onnx.TensorProto.FLOAT) == onnx.TensorProto.FLOAT for n in dp)
    assert [i.type.tensor_type.elem_type for i in model.graph.output] == [onnx.TensorProto.FLOAT]


def test_offline_optimized_joe_says_the_same_as_joe(joe_variants):
    """Graph optimization reorders float arithmetic, nothing more: same seed, same audio within rounding."""
    folder = joe_variants("ort-optimize").folder
    ours = enunciate.speak(SAY, voice=str(folder), seed=3).audio
    parent = enunciate.speak(SAY, voice="joe", seed=3).audio
    assert len(ours) == len(parent) and np.max(np.abs(ours - parent)) < 1e-3


def test_kokoro_int8_only_on_matmul_turns_its_convolutions_back_to_fp32(tmp_path):
    manifest = optimize("kokoro", "ort-int8-matmul", tmp_path / "kokoro-mm")
    model = onnx.load(str(manifest.path("model")))
    ops = {n.op_type for n in model.graph.node}
    assert "MatMulInteger" in ops and "ConvInteger" not in ops and "Conv" in ops
    assert manifest.files["model"].path == "kokoro-v1.0.int8.int8-matmul.onnx"
    assert set(manifest.files) == {"model", "vocab", "styles"} and manifest.options == {"style": "mean"}
    assert manifest.engines == ("onnx",) and manifest.metrics["quantized_tensors"] > 100
    speech = enunciate.speak("Run kubectl.", voice=str(manifest.folder))
    assert speech.sample_rate == 24000 and np.isfinite(speech.audio).all() and speech.duration_s > 0.5


def test_heart_int4_holds_four_bit_matmul_weights(tmp_path):
    manifest = optimize("heart", "ort-int4", tmp_path / "heart-int4", {"block_size": 32})
    model = onnx.load(str(manifest.path("model")))
    nbits = [n for n in model.graph.node if n.op_type == "MatMulNBits"]
    assert len(nbits) > 50 and "MatMulInteger" not in {n.op_type for n in model.graph.node}
    inits = {i.name: i for i in model.graph.initializer}
    for node in nbits:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        assert attrs["bits"] == 4 and attrs["block_size"] == 32
        packed = inits[node.input[1]]
        assert packed.data_type == onnx.TensorProto.UINT8
        assert int(np.prod(packed.dims)) * 2 >= attrs["K"] * attrs["N"]  # two weights to a byte
    assert manifest.metrics["parameters"] > manifest.metrics["size_bytes"]  # more weights than bytes on disk
    speech = enunciate.speak(SAY, voice=str(manifest.folder), seed=0)
    assert np.isfinite(speech.audio).all() and speech.duration_s > 0.8


# --- bad input -----------------------------------------------------------------------------------------

def test_unknown_method_names_the_valid_ones(tmp_path):
    with pytest.raises(EnunciateError, match=r"unknown method 'ort-int3'; available: .*ort-int4.*ort-int8-dynamic"):
        optimize("joe", "ort-int3", tmp_path / "x")


def test_method_for_another_family_names_the_ones_that_apply(tmp_path):
    with pytest.raises(EnunciateError, match=r"does not apply to 'joe'.*ort-fp16.*ort-int8-dynamic") as e:
        optimize("joe", "ort-int4", tmp_path / "x")
    assert "ort-int4" not in str(e.value).split("methods for it:")[1]
    with pytest.raises(EnunciateError, match=r"does not apply to 'heart'.*ort-int4"):
        optimize("heart", "ort-prune", tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_calibration_corpus_with_nothing_speakable_is_refused(tmp_path):
    corpus = ("```python\nimport os\nprint(os.sep)\n```", "!!! ... --- ???")
    with pytest.raises(EnunciateError, match="calibration corpus has nothing speakable"):
        optimize("joe", "ort-int8-static", tmp_path / "x", corpus=corpus)
    with pytest.raises(EnunciateError, match="needs calibration text"):
        optimize("joe", "ort-int8-static", tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_unknown_or_bad_parameters_are_refused(tmp_path):
    with pytest.raises(EnunciateError, match=r"takes no parameter bits; its parameters: sparsity=0.3"):
        optimize("joe", "ort-prune", tmp_path / "x", {"bits": 4})
    with pytest.raises(EnunciateError, match=r"sparsity must be in \[0, 1\)"):
        optimize("joe", "ort-prune", tmp_path / "x", {"sparsity": 1.5})
    with pytest.raises(EnunciateError, match=r"unknown op type Softmax in ops; choose from Conv, ConvTranspose"):
        optimize("kokoro", "ort-int8-matmul", tmp_path / "x", {"ops": "MatMul,Softmax"})
    with pytest.raises(EnunciateError, match="changes nothing in 'heart'"):
        optimize("heart", "ort-int8-matmul", tmp_path / "x")  # heart is int8 on exactly its MatMuls already
    with pytest.raises(EnunciateError, match="block_size must be a power of two"):
        optimize("heart", "ort-int4", tmp_path / "x", {"block_size": 48})
    assert not (tmp_path / "x").exists()


def test_cli_makes_a_variant_and_refuses_an_existing_folder_unless_forced(tmp_path):
    out = tmp_path / "joe-sparse"
    cmd = [sys.executable, "-m", "enunciate", "optimize", "joe", "--method", "ort-prune", "-p", "sparsity=0.5",
           "-o", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "ort-prune of joe" in done.stdout and "non-zero" in done.stdout
    raw = json.loads((out / "voice.json").read_text(encoding="utf-8"))
    assert raw["provenance"]["params"] == {"sparsity": 0.5}
    assert raw["provenance"]["command"].startswith("enunciate optimize joe --method ort-prune")
    m = raw["metrics"]
    assert 0.49 < 1 - m["nonzero"] / m["parameters"] < 0.51  # almost every parameter is a Conv weight
    before = (out / "voice.json").read_bytes()
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert again.returncode == 2 and "already exists" in again.stderr and "--force" in again.stderr
    assert "Traceback" not in again.stderr and (out / "voice.json").read_bytes() == before
    forced = subprocess.run([*cmd[:-4], "-p", "sparsity=0.2", "--force", "-o", str(out)], capture_output=True,
                            text=True, timeout=600)
    assert forced.returncode == 0, forced.stderr
    assert json.loads((out / "voice.json").read_text(encoding="utf-8"))["provenance"]["params"] == {"sparsity": 0.2}
