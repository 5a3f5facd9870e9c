"""The distilled student (enunciate.train.student, teacher_frames): real teacher frames from heart,
real training steps on CPU with a tiny model, checkpoints, export to a voice folder that speaks."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from enunciate.errors import EnunciateError

pytest.importorskip("torch")

TINY = dict(text_dim=32, text_layers=1, frame_dim=32, frame_layers=1, head_rank=8)
SENTENCES = ["Install CUDA 12.4 first.", "Our data lives in PostgreSQL now.", "It peaked at 12 ms under load."]


def tiny_config():
    from enunciate.train.student import StudentConfig

    return StudentConfig(**TINY)


def options(**kw):
    from enunciate.train.finetune import TrainOptions

    return TrainOptions(**{"batch_size": 2, "segment_frames": 32, "learning_rate": 3e-3, "checkpoint_every": 2,
                           "steps": 4, **kw})


@pytest.fixture(scope="module")
def frames(tmp_path_factory) -> Path:
    from enunciate.train.make_dataset import Sentence
    from enunciate.train.teacher_frames import render_teacher

    folder = tmp_path_factory.mktemp("student") / "frames"
    render_teacher("heart", [Sentence(f"s{i}", t) for i, t in enumerate(SENTENCES)], folder, threads=1)
    return folder


def trainer(frames: Path, **kw):
    import torch

    from enunciate.train.student import StudentTrainer
    from enunciate.train.teacher_frames import TeacherFrames, teacher_manifest

    torch.set_num_threads(1)
    return StudentTrainer(teacher_manifest("heart"), TeacherFrames(frames), options(**kw), tiny_config())


def test_teacher_frames_match_heart_durations_and_leave_out_the_dev_set(frames, tmp_path):
    from enunciate.train.make_dataset import Sentence
    from enunciate.train.teacher_frames import COLUMNS, FRAMES_PER_UNIT, TeacherFrames, dev_texts, render_teacher

    data = TeacherFrames(frames)
    assert len(data) == 3
    for row in data.rows:
        x = data.frames(row)
        assert x.shape == (row["frames"], COLUMNS) and np.isfinite(x).all()
        assert FRAMES_PER_UNIT * sum(row["durations"]) == row["frames"] and len(row["durations"]) == len(row["ids"])
    dev = sorted(dev_texts())[0]
    again = render_teacher("heart", [Sentence("s0", SENTENCES[0]), Sentence("d", dev)], frames, threads=1)
    assert again.rendered == 0 and again.held_out == 1  # resumed; the dev line left out
    assert again.ids == {"s0-0"} and again.clips == 1 and len(TeacherFrames(frames, again.ids)) == 1


def test_a_shared_frames_folder_renders_a_changed_sentence_again(frames, tmp_path):
    """A clip id cached from another text (an edited corpus line) is rendered again, and a run reads
    only its own sentences' clips from a folder that holds others."""
    import shutil

    from enunciate.train.make_dataset import Sentence
    from enunciate.train.teacher_frames import TeacherFrames, render_teacher

    folder = tmp_path / "frames"
    shutil.copytree(frames, folder)
    edited = "Redis answered in 3 ms."
    result = render_teacher("heart", [Sentence("s1", edited), Sentence("s2", SENTENCES[2])], folder, threads=1)
    assert result.rendered == 1 and result.ids == {"s1-0", "s2-0"}
    data = TeacherFrames(folder, result.ids)
    texts = {row["id"]: row["text"] for row in data.rows + data.validation}
    assert texts == {"s1-0": edited, "s2-0": SENTENCES[2]}
    assert len(TeacherFrames(folder)) == 3  # s0 stays in the folder for the runs that ask for it
    row = next(r for r in data.rows if r["id"] == "s1-0")
    assert data.frames(row).shape[0] == row["frames"] == 2 * sum(row["durations"])
    assert render_teacher("heart", [Sentence("s1", edited)], folder, threads=1).rendered == 0  # cached now


def test_a_training_step_on_cpu_lowers_the_loss(frames):
    t = trainer(frames)
    before = t.measure(1)
    for _ in range(3):
        losses = t.train_step(1)  # the same batch and crops each time
    assert set(losses) >= {"loss", "duration", "lh", "ln", "lr", "theta", "phi", "f0"}
    assert t.measure(1) < before


def test_resume_continues_at_the_checkpoint_and_matches_an_uninterrupted_run(frames, tmp_path):
    import torch

    from enunciate.train.finetune import train

    first = train(trainer(frames, steps=6), tmp_path / "run", options(steps=4))  # a 6-step run cut at 4
    assert first.steps == 4 and first.checkpoint.name == "checkpoint-0000004.pt"
    resumed_trainer = trainer(frames, steps=6)
    resumed = train(resumed_trainer, tmp_path / "run", options(steps=6))
    assert resumed.start_step == 4 and resumed.steps == 6
    logged = [json.loads(line)["step"] for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert logged == [1, 2, 3, 4, 5, 6]
    straight = trainer(frames, steps=6)
    train(straight, tmp_path / "straight", options(steps=6))
    for name, value in straight.model.state_dict().items():
        assert torch.equal(value, resumed_trainer.model.state_dict()[name]), name


def test_a_warm_start_grows_the_head_and_keeps_the_output(frames, tmp_path):
    """A student started from another run's checkpoint with a larger head rank and new dilated context
    blocks says exactly what the old one said, then trains what is new; other widths are refused."""
    import torch

    from enunciate.train.finetune import train
    from enunciate.train.student import StudentConfig, StudentTrainer
    from enunciate.train.teacher_frames import TeacherFrames, teacher_manifest

    old = trainer(frames, steps=2)
    checkpoint = train(old, tmp_path / "run", options(steps=2)).checkpoint
    grown = StudentTrainer(teacher_manifest("heart"), TeacherFrames(frames), options(steps=4),
                           StudentConfig(**{**TINY, "head_rank": 12, "context_layers": 2}), warm_start=checkpoint)
    assert grown.warm_start["head_rank_from"] == 8 and grown.warm_start["step"] == 2
    assert grown.warm_start["context_layers_to"] == 2 and len(grown.model.text) == 3
    assert grown.model.text[2].dw.dilation == (4,)
    assert grown.run_config()["warm_start_sha256"] == grown.warm_start["sha256"]
    ids = torch.tensor([[0, 50, 51, 52, 0]])
    old.model.eval()
    grown.model.eval()
    with torch.no_grad():
        for a, b in zip(old.model(ids, torch.ones(1)), grown.model(ids, torch.ones(1))):
            assert torch.allclose(a, b, atol=1e-6)
    before = grown.measure(3)
    for _ in range(3):
        grown.train_step(3)
    assert grown.measure(3) < before
    assert grown.model.bottleneck.weight[8:].abs().sum() > 0  # the new directions opened
    assert grown.model.text[2].down.weight.abs().sum() > 0    # and the context blocks
    with pytest.raises(EnunciateError, match="frame_dim 32 .checkpoint. vs 48"):
        StudentTrainer(teacher_manifest("heart"), TeacherFrames(frames), options(),
                       StudentConfig(**{**TINY, "frame_dim": 48}), warm_start=checkpoint)
    with pytest.raises(EnunciateError, match="context_layers -1"):
        StudentTrainer(teacher_manifest("heart"), TeacherFrames(frames), options(),
                       StudentConfig(**{**TINY, "context_layers": -1}))
    deeper = train(grown, tmp_path / "grown", options(steps=4)).checkpoint
    with pytest.raises(EnunciateError, match="context_layers 2 .checkpoint. > 0"):
        StudentTrainer(teacher_manifest("heart"), TeacherFrames(frames), options(),
                       StudentConfig(**{**TINY, "head_rank": 12}), warm_start=deeper)
    with pytest.raises(EnunciateError, match="not a student checkpoint"):
        (tmp_path / "x.pt").write_bytes(b"not torch")
        StudentTrainer(teacher_manifest("heart"), TeacherFrames(frames), options(), tiny_config(),
                       warm_start=tmp_path / "x.pt")


def test_the_relative_floor_ignores_what_the_frame_masks():
    import torch

    from enunciate.train.student import frame_losses
    from enunciate.train.teacher_frames import BINS, COLUMNS

    target = torch.full((4, COLUMNS), -6.0)
    target[:, 0] = 2.0                        # every branch's loudest bin: 2 nats
    pred = target.clone()
    pred[:, 300:BINS] = -9.0                  # lh wrong only 8-11 nats under its loudest bin
    assert frame_losses(pred, target)["lh"] > 0.5
    assert frame_losses(pred, target, relative_floor=7.0)["lh"] == 0
    assert frame_losses(pred, target, relative_floor=9.0)["lh"] > 0  # -6 and -9 differ above 2 - 9 = -7
    pred[:, 0] = 0.0                          # a loud bin wrong counts either way
    assert frame_losses(pred, target, relative_floor=7.0)["lh"] > 0


def test_the_f0_weight_counts_in_the_loss_and_in_the_run_config(frames):
    import numpy as np
    import torch

    from enunciate.train.student import StudentLoss, StudentTrainer
    from enunciate.train.teacher_frames import TeacherFrames, teacher_manifest

    plain = trainer(frames)
    weighted = StudentTrainer(teacher_manifest("heart"), TeacherFrames(frames), options(), tiny_config(),
                              loss=StudentLoss(f0_weight=3.0))
    assert plain.run_config()["loss"]["f0_weight"] == 1.0 and weighted.run_config()["loss"]["f0_weight"] == 3.0
    rows = plain.rows_of(1)
    with torch.no_grad():
        a = plain.losses(rows, np.random.default_rng(0))
        b = weighted.losses(rows, np.random.default_rng(0))  # the same initial weights: the seed builds both
    assert torch.allclose(a["f0"], b["f0"]) and torch.allclose(b["loss"], a["loss"] + 2 * a["f0"])


def test_heart_dsp_in_torch_says_what_heart_says(frames):
    """The differentiable render of heart's own frames is heart's DSP to float precision, given the
    same noise; the spectral loss trains (a tiny student, three steps on one batch)."""
    import torch
    from hibari.dsp import WIN

    from enunciate.train.student import StudentLoss, StudentTrainer
    from enunciate.train.student_audio import excitation, render
    from enunciate.train.teacher_frames import F0_SCALE, TeacherFrames, teacher_manifest
    from enunciate.voices import hibari_dsp

    data = TeacherFrames(frames)
    x = np.asarray(data.frames(data.rows[0]), np.float32)[:120]
    parts = [np.ascontiguousarray(x[:, i * 601:(i + 1) * 601].T) for i in range(5)] + [x[:, -1].copy()]
    heard = hibari_dsp.synth(*parts, np.random.default_rng(3), 1, None)
    noise = hibari_dsp.complex_gaussian(np.random.default_rng(3), parts[0].shape)
    y = x.copy()
    y[:, -1] /= F0_SCALE
    ours = render(torch.from_numpy(y), torch.from_numpy(excitation(parts[5])), torch.from_numpy(noise),
                  torch.from_numpy(WIN)).numpy()
    assert ours.shape == heard.shape and np.abs(ours - heard).max() < 1e-5 * max(1.0, np.abs(heard).max())
    t = StudentTrainer(teacher_manifest("heart"), data, options(), tiny_config(), loss=StudentLoss(spectral_weight=1))
    before = t.measure(1)
    for _ in range(3):
        losses = t.train_step(1)
    assert losses["spectral"] > 0 and t.measure(1) < before


def test_the_adversarial_loss_trains_both_sides_and_resumes(frames, tmp_path):
    """With --adversarial-weight the discriminators learn to tell heart's rendering from the student's
    (their loss falls on one batch), the student gets the adversarial and feature-matching terms, and a
    checkpoint holds the discriminators, so a resumed run matches an uninterrupted one."""
    import torch

    from enunciate.train.finetune import train
    from enunciate.train.student import StudentLoss, StudentTrainer
    from enunciate.train.teacher_frames import TeacherFrames, teacher_manifest

    def make(**kw):
        torch.set_num_threads(1)
        return StudentTrainer(teacher_manifest("heart"), TeacherFrames(frames), options(**kw), tiny_config(),
                              loss=StudentLoss(spectral_weight=1, adversarial_weight=0.5, discriminator_width=0.05))

    t = make()
    first = t.train_step(1)
    for _ in range(4):
        last = t.train_step(1)
    assert {"adversarial", "feature", "discriminator", "spectral"} <= set(last)
    assert last["discriminator"] < first["discriminator"] and last["feature"] > 0
    assert t.run_config()["loss"]["adversarial_weight"] == 0.5
    base = t.losses(t.rows_of(1), np.random.default_rng([0, 1, 1]), audio=True)
    fake, real = base["audio"]
    assert fake.shape == real.shape and fake.shape[:2] == (2, 1) and fake.requires_grad and not real.requires_grad
    total = t.adversarial(dict(base), 1)
    assert torch.allclose(total["loss"], base["loss"] + 0.5 * (total["adversarial"] + total["feature"]))
    train(make(steps=4), tmp_path / "run", options(steps=2))
    resumed = make(steps=4)
    train(resumed, tmp_path / "run", options(steps=4))
    straight = make(steps=4)
    train(straight, tmp_path / "straight", options(steps=4))
    for a, b in ((straight.model, resumed.model), (straight.discriminator, resumed.discriminator)):
        for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
            assert torch.equal(x, y), name


def test_the_export_pulls_the_f0_toward_each_sentence_mean(frames, tmp_path):
    """shrink_f0 scales each voiced frame's log-F0 deviation from the sentence mean and leaves the
    unvoiced ones; the slope estimate is the least-squares one; the ONNX export does what torch does."""
    import onnxruntime as ort
    import torch

    from enunciate.train.student_onnx import export_onnx
    from enunciate.train.student_pitch import SLOPE_RANGE, contour_slope, f0_slope, shrink_f0

    f0 = torch.tensor([[0.0, 100.0, 200.0, 400.0, 30.0]])
    pulled = shrink_f0(f0, 0.5)[0]
    assert pulled[0] == 0 and pulled[4] == 30  # unvoiced frames (under 40 Hz) stay as they are
    assert torch.allclose(pulled[1:4], torch.tensor([200 / 2 ** 0.5, 200.0, 200 * 2 ** 0.5]))
    assert torch.allclose(shrink_f0(f0, 1.0), f0)

    teacher = 180 * np.exp(0.2 * np.sin(np.arange(80) / 6))
    student = 150 * (teacher / 180) ** 2.0            # twice the teacher's swing, another mean
    student[:5] = teacher[70:75] = 0                  # frames voiced by one side only do not count
    slope, counted = contour_slope([(teacher, student)])
    assert slope == pytest.approx(0.5, abs=0.02) and counted == 70

    t = trainer(frames)
    estimate = f0_slope(t.model, t.dataset)
    assert SLOPE_RANGE[0] <= estimate["factor"] <= SLOPE_RANGE[1] and estimate["clips"] == 3
    assert estimate["on"].startswith("training clips")  # three clips: none held back

    model = t.model.eval()
    ids = torch.tensor([[0, 50, 83, 156, 43, 61, 62, 0]])
    with torch.no_grad():
        plain = model(ids, torch.ones(1))[5]
        model.f0_shrink = 0.5
        shrunk = model(ids, torch.ones(1))[5]
        path = export_onnx(model, tmp_path / "s.onnx", quantization=None)
    model.f0_shrink = 1.0
    voiced = plain[0] > 40
    assert voiced.sum() > 2
    log_dev = torch.log(plain[0, voiced]) - torch.log(plain[0, voiced]).mean()
    assert torch.allclose(torch.log(shrunk[0, voiced]) - torch.log(shrunk[0, voiced]).mean(), 0.5 * log_dev,
                          atol=1e-5)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    out = dict(zip([o.name for o in session.get_outputs()],
                   session.run(None, {"ids": ids.numpy(), "speed": np.ones(1, np.float32)})))
    assert np.allclose(out["f0"], shrunk.numpy(), rtol=1e-4)


def test_a_nan_loss_ends_the_run_naming_the_step_and_the_last_good_checkpoint(frames, tmp_path):
    from enunciate.train.finetune import train

    train(trainer(frames, steps=4), tmp_path / "run", options(steps=2))
    # resumed with a learning rate far too high: step 3 throws the weights out, step 4's loss is not finite
    with pytest.raises(EnunciateError, match=r"diverged at step 4 .*checkpoint-0000002\.pt \(step 2\).*--lr"):
        train(trainer(frames, steps=4, learning_rate=1e30), tmp_path / "run", options(steps=4, learning_rate=1e30))
    assert sorted(p.name for p in (tmp_path / "run").glob("checkpoint-*.pt")) == ["checkpoint-0000002.pt"]


def test_cli_trains_exports_and_the_folder_speaks(tmp_path, capsys):
    import enunciate
    from enunciate.cli import main
    from enunciate.voices.folder import read_manifest

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(SENTENCES[:2]) + "\n", encoding="utf-8")
    out = tmp_path / "student"
    args = ["train", "student", "--teacher", "heart", "--texts", str(corpus), "-o", str(out), "--steps", "3",
            "--batch-size", "2", "--segment-frames", "32", "--text-dim", "32", "--frame-dim", "32",
            "--frame-layers", "1", "--head-rank", "8", "--checkpoint-every", "2", "--threads", "1"]
    assert main(args) == 0
    assert "student of heart" in capsys.readouterr().out
    manifest = read_manifest(out)
    assert manifest.family == "hibari" and manifest.provenance.parent == "heart"
    assert manifest.provenance.method == "distil-student" and len(manifest.provenance.parent_sha256) == 64
    assert manifest.metrics["parameters"] > 0 and manifest.metrics["int8_matmul"] is True
    assert manifest.metrics["quantization"] == "int8-per-channel"
    shrink = manifest.provenance.params["f0_shrink"]  # the slope is measured and recorded; F0 left as predicted
    assert manifest.metrics["f0_shrink"] == shrink["factor"] == 1.0 and shrink["given"] and shrink["clips"] == 2
    assert np.isfinite(shrink["slope"]) and shrink["frames"] > 0
    import onnx

    scales = [t for t in onnx.load(str(out / "student.onnx")).graph.initializer if t.name.endswith("_scale")]
    assert any(len(t.dims) == 1 and t.dims[0] > 1 for t in scales)  # weight scales per output column, not one
    speech = enunciate.speak("Run kubectl in 35 ms.", voice=str(out), seed=1)
    assert speech.sample_rate == 24000 and np.isfinite(speech.audio).all()
    assert np.abs(speech.audio).max() > 1e-3 and speech.words[-1].end_s > speech.words[0].start_s
    # the run folder resumes only when asked
    assert main([*args, "--force"]) == 2
    assert "pass --resume" in capsys.readouterr().err
    assert main([*args, "--force", "--resume", "--steps", "4", "--f0-shrink", "auto"]) == 0
    assert "resumed at step 3" in capsys.readouterr().out
    shrink = read_manifest(out).provenance.params["f0_shrink"]
    assert read_manifest(out).metrics["f0_shrink"] == shrink["factor"] == max(0.25, min(1.0, shrink["slope"]))
    with pytest.raises(SystemExit):
        main([*args, "--f0-shrink", "1.5"])
    assert "expected auto or a factor in (0, 1]" in capsys.readouterr().err
    # a student's voice folder is a warm start too: its weights come back from the ONNX file
    again = tmp_path / "again"
    assert main([*args[:7], str(again), args[8], "1", *args[10:], "--warm-start", str(out)]) == 0
    warm = read_manifest(again).provenance.params["warm_start"]
    assert warm["checkpoint"] == str(out) and warm["sha256"] == read_manifest(out).files["model"].sha256


def test_a_corpus_that_normalizes_to_nothing_is_a_clear_error(tmp_path):
    from enunciate.train.make_dataset import Sentence
    from enunciate.train.teacher_frames import render_teacher

    lines = [Sentence("a", "..."), Sentence("b", "— — —"), Sentence("c", "()")]
    with pytest.raises(EnunciateError, match="no speakable sentence"):
        render_teacher("heart", lines, tmp_path / "frames", threads=1)


def test_the_student_is_smaller_and_cheaper_than_heart():
    from enunciate.train.student import StudentConfig, build_student, macs_per_frame, parameter_count

    config = StudentConfig()
    assert parameter_count(build_student(config)) < 1.2e6  # heart: 6.2 M
    assert macs_per_frame(config) < 1e6                    # heart: 5.3 M (benchmarks/train_student.py macs)


def test_the_distillmos_term_listens_to_the_rendered_sound(frames):
    """With --mos-weight W the loss subtracts W x DistillMOS of the student's renderings, and the
    term's gradient reaches the student's weights: a step along it alone raises the score."""
    import torch

    from enunciate.train.student import StudentLoss, StudentTrainer
    from enunciate.train.teacher_frames import TeacherFrames, teacher_manifest

    torch.set_num_threads(1)
    t = StudentTrainer(teacher_manifest("heart"), TeacherFrames(frames), options(), tiny_config(),
                       loss=StudentLoss(spectral_weight=1, mos_weight=0.5))
    plain = StudentTrainer(teacher_manifest("heart"), TeacherFrames(frames), options(), tiny_config(),
                           loss=StudentLoss(spectral_weight=1))
    plain.model.load_state_dict(t.model.state_dict())
    rows = t.rows_of(1)
    with_term = t.losses(rows, np.random.default_rng([0, 1, 1]))
    without = plain.losses(rows, np.random.default_rng([0, 1, 1]))
    score = with_term["distillmos"]
    assert 1.0 < float(score.detach()) < 5.0 and "distillmos" not in without
    assert torch.allclose(with_term["loss"], without["loss"] - 0.5 * score)
    t.model.zero_grad()
    score.backward()
    grads = [p.grad for p in t.model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads) and any(g.abs().sum() > 0 for g in grads)
    with torch.no_grad():
        norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
        for p in t.model.parameters():
            if p.grad is not None:
                p.add_(p.grad, alpha=0.05 / float(norm))
    after = t.losses(rows, np.random.default_rng([0, 1, 1]))["distillmos"]
    assert float(after) > float(score.detach())
    assert t.run_config()["loss"]["mos_weight"] == 0.5
    assert "listener" not in t.run_config()["loss"]   # the default: checkpoints from before --listener resume
    # --mos-cap: only the shortfall under heart's score of the same crop counts
    capped = StudentTrainer(teacher_manifest("heart"), TeacherFrames(frames), options(), tiny_config(),
                            loss=StudentLoss(spectral_weight=1, mos_weight=0.5, mos_cap=True))
    capped.model.load_state_dict(plain.model.state_dict())
    parts = capped.losses(rows, np.random.default_rng([0, 1, 1]))
    assert torch.allclose(parts["distillmos"], score.detach())
    assert float(parts["distillmos_short"]) > 0   # an untrained student sounds worse than heart
    assert torch.allclose(parts["loss"], without["loss"] + 0.5 * parts["distillmos_short"])
    with pytest.raises(EnunciateError, match="give it a --mos-weight"):
        StudentLoss(mos_cap=True)
    # --listener dnsmos: DNSMOS P.835's OVRL listens instead, so DistillMOS can judge unheard
    dnsmos = StudentTrainer(teacher_manifest("heart"), TeacherFrames(frames), options(), tiny_config(),
                            loss=StudentLoss(spectral_weight=1, mos_weight=0.5, mos_cap=True, listener="dnsmos"))
    dnsmos.model.load_state_dict(plain.model.state_dict())
    parts = dnsmos.losses(rows, np.random.default_rng([0, 1, 1]))
    assert "distillmos" not in parts and 1.0 < float(parts["dnsmos"]) < 5.0
    assert float(parts["dnsmos_short"]) > 0
    assert torch.allclose(parts["loss"], without["loss"] + 0.5 * parts["dnsmos_short"])
    dnsmos.model.zero_grad()
    parts["dnsmos_short"].backward()
    grads = [p.grad for p in dnsmos.model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads) and any(g.abs().sum() > 0 for g in grads)
    assert dnsmos.run_config()["loss"]["listener"] == "dnsmos"
    # both listeners: each one's shortfall at the weight
    both = StudentTrainer(teacher_manifest("heart"), TeacherFrames(frames), options(), tiny_config(),
                          loss=StudentLoss(spectral_weight=1, mos_weight=0.5, mos_cap=True,
                                           listener="distillmos,dnsmos"))
    both.model.load_state_dict(plain.model.state_dict())
    two = both.losses(rows, np.random.default_rng([0, 1, 1]))
    assert torch.allclose(two["dnsmos_short"], parts["dnsmos_short"])
    assert torch.allclose(two["distillmos"], score.detach())
    assert torch.allclose(two["loss"], without["loss"] + 0.5 * (two["distillmos_short"] + two["dnsmos_short"]))
    with pytest.raises(EnunciateError, match="unknown listener 'pesq'"):
        StudentLoss(mos_weight=1, listener="pesq")


def test_a_students_weights_come_back_from_its_onnx_file(frames, tmp_path):
    """recover_weights: a float export gives the model's weights back exactly; an int8 one within half
    a quantization step of each output column's scale; a file that is not a model is a clear error."""
    import torch

    from enunciate.train.student_onnx import export_onnx, recover_weights

    model = trainer(frames).model
    with torch.no_grad():   # identical initial values (norms at 1, biases at 0) would share one initializer
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    own = {k: v.numpy() for k, v in model.state_dict().items()}
    exact = recover_weights(export_onnx(model, tmp_path / "f.onnx", quantization=None))
    assert set(exact) == set(own) and all(np.array_equal(exact[k].reshape(own[k].shape), own[k]) for k in own)
    near = recover_weights(export_onnx(model, tmp_path / "q.onnx"))
    assert set(near) == set(own)
    for name, value in own.items():
        w = near[name].reshape(value.shape)
        if value.ndim == 2 and name != "embed.weight":     # a MatMul's: int8, a scale per output row
            step = np.abs(value).max(1, keepdims=True) / 127
            assert np.all(np.abs(w - value) <= step / 2 + 1e-6), name
        else:
            assert np.array_equal(w, value), name
    loaded = trainer(frames).model
    loaded.load_state_dict({k: torch.from_numpy(v).reshape(own[k].shape) for k, v in near.items()})
    (tmp_path / "bad.onnx").write_bytes(b"not a model")
    with pytest.raises(EnunciateError, match="not an ONNX model"):
        recover_weights(tmp_path / "bad.onnx")
