"""Training: dataset readers and their checks, make-dataset's resume, the training loop (checkpoints,
resume, divergence), one real step of each mode (VITS full, VITS LoRA, SpeechT5 LoRA), adapters
saved, loaded and merged, and SpeechT5's int8 and pruned variants. Inputs are tiny: a few short
clips, batch 1-2, narrow discriminators."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from enunciate.errors import EnunciateError

from .speecht5_tiny import build_tiny_speecht5

REPO = Path(__file__).resolve().parents[1]


def write_ljspeech(root: Path, rows: list[tuple[str, str, np.ndarray | None, int]]) -> Path:
    """An LJSpeech folder: (id, text, audio or None for no file, sample rate) per row."""
    (root / "wavs").mkdir(parents=True, exist_ok=True)
    for row_id, _, audio, rate in rows:
        if audio is not None:
            sf.write(root / "wavs" / f"{row_id}.wav", audio, rate)
    (root / "metadata.csv").write_text("".join(f"{r}|{t}|{t}\n" for r, t, _, _ in rows), encoding="utf-8")
    return root


def tone(seconds: float, rate: int, hz: float = 220.0, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * hz * t * (1 + 0.5 * t))).astype(np.float32)


# --- data ------------------------------------------------------------------------------------------

def test_ljspeech_rows_are_checked_and_refusals_name_the_row(tmp_path):
    from enunciate.train.data import DataError, open_dataset

    clipped = np.clip(tone(0.5, 16000, level=3.0), -1, 1)
    root = write_ljspeech(tmp_path / "lj", [
        ("good", "Run the tests.", tone(0.5, 16000), 16000),
        ("resampled", "At another rate.", tone(0.5, 22050), 22050),
        ("nofile", "Its audio is missing.", None, 16000),
        ("quiet", "Silence.", np.zeros(8000, np.float32), 16000),
        ("loud", "Clipped audio.", clipped, 16000),
        ("symbols", "Snowman \u2603 here.", tone(0.5, 16000), 16000),
        ("signs", "It is ≈3× faster, ±2 ms (§ 4).", tone(0.5, 16000), 16000),  # signs the frontend names
    ])
    data = open_dataset(root, sample_rate=16000)
    assert data.layout == "ljspeech" and len(data) == 7
    assert data.item(0).sample_rate == 16000
    item = data.item(1)
    assert item.sample_rate == 16000 and abs(item.duration_s - 0.5) < 0.01  # resampled from 22.05 kHz
    problems = {e.row_id: e.problem for e in data.validate()}
    assert set(problems) == {"nofile", "quiet", "loud", "symbols"}
    assert "missing" in problems["nofile"] and "silent" in problems["quiet"]
    assert "clipped" in problems["loud"] and "U+2603" in problems["symbols"]
    with pytest.raises(DataError, match=r"row 'nofile' \(metadata.csv line 3\)"):
        list(data)
    with pytest.raises(DataError, match="'resampled'.*22050 Hz, not 16000"):
        data.with_checks(resample=False).item(1)
    skipping = open_dataset(root, sample_rate=16000, skip_bad=True)
    assert [i.id for i in skipping] == ["good", "resampled", "signs"] and len(skipping.problems) == 4


def test_metadata_lines_and_libritts_layout(tmp_path):
    from enunciate.train.data import DataError, open_dataset

    root = write_ljspeech(tmp_path / "lj", [("a", "One.", tone(0.3, 16000), 16000)])
    with open(root / "metadata.csv", "a", encoding="utf-8") as f:
        f.write("a|Again.|Again.\nbroken line without bars\n")
    with pytest.raises(DataError, match=r"row 'a' \(metadata.csv line 2\): repeats the id of line 1"):
        open_dataset(root)
    assert len(open_dataset(root, skip_bad=True).problems) == 2

    libri = tmp_path / "libri"
    for speaker, chapter, n in (("84", "121123", 2), ("1272", "128104", 1)):
        folder = libri / speaker / chapter
        folder.mkdir(parents=True)
        for k in range(n):
            stem = f"{speaker}_{chapter}_{k:06d}_000000"
            sf.write(folder / f"{stem}.wav", tone(0.3, 24000), 24000)
            (folder / f"{stem}.normalized.txt").write_text(f"Sentence {k} of {speaker}.", encoding="utf-8")
    (libri / "84" / "121123" / "84_121123_000001_000000.wav").unlink()
    data = open_dataset(libri, sample_rate=22050, skip_bad=True)
    assert data.layout == "libritts" and len(data) == 3
    items = list(data)
    assert {i.speaker for i in items} == {"84", "1272"} and all(i.sample_rate == 22050 for i in items)
    assert [e.row_id for e in data.problems] == ["84_121123_000001_000000"]
    with pytest.raises(EnunciateError, match="neither an LJSpeech folder"):
        open_dataset(tmp_path / "lj" / "wavs")


# --- make-dataset --------------------------------------------------------------------------------------

CORPUS = "Install CUDA 12.4 first.\nRun kubectl in 35 ms.\nThe API returns JSON.\nCall the REST endpoint.\n"


def manifest_rows(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text(CORPUS, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def clean_dataset(corpus, tmp_path_factory) -> Path:
    from enunciate.train.make_dataset import make_dataset

    out = tmp_path_factory.mktemp("clean") / "heart"
    result = make_dataset("heart", corpus, out, augment_terms=2)
    assert result.rendered == result.rows == 6 and result.f0
    return out


def test_make_dataset_writes_ljspeech_with_phonemes_durations_and_f0(clean_dataset):
    from enunciate.train.data import open_dataset

    rows = manifest_rows(clean_dataset)
    assert [r["id"] for r in rows] == ["000000-0", "000001-0", "000002-0", "000003-0", "aug-00000-0", "aug-00001-0"]
    for row in rows:
        audio, rate = sf.read(clean_dataset / row["path"])
        assert rate == row["sample_rate"] == 24000 and row["alphabet"] == "kokoro"
        assert len(row["durations_s"]) == len(row["phonemes"])
        assert abs(row["offset_s"] + sum(row["durations_s"]) - len(audio) / rate) < 0.1
        assert abs(len(row["f0_hz"]) * 300 - len(audio)) <= 300 and max(row["f0_hz"]) > 80
    settings = json.loads((clean_dataset / "dataset.json").read_text())
    assert settings["voice"] == "heart" and settings["f0"]["rate_hz"] == 80.0
    data = open_dataset(clean_dataset)
    assert len(data) == 6 and data.item(0).phonemes == rows[0]["phonemes"]


def test_make_dataset_resumes_after_an_injected_kill(clean_dataset, corpus, tmp_path, monkeypatch):
    from enunciate.train import make_dataset as md

    out = tmp_path / "heart"
    real_render, calls = md._render, []

    def render_then_die(*args, **kwargs):
        calls.append(1)
        row = real_render(*args, **kwargs)  # the audio file is in place...
        if len(calls) == 3:
            raise KeyboardInterrupt  # ...and the process dies before its row is written
        return row

    monkeypatch.setattr(md, "_render", render_then_die)
    with pytest.raises(KeyboardInterrupt):
        md.make_dataset("heart", corpus, out, augment_terms=2)
    monkeypatch.setattr(md, "_render", real_render)
    assert len(manifest_rows(out)) == 2 and (out / "wavs" / "000002-0.wav").exists()  # a file without a row
    (out / "wavs" / ".000003-0.wav.999.part").write_bytes(b"half")                   # a temp file
    (out / "wavs" / "000001-0.wav").write_bytes(b"damaged")                         # a row with a bad file
    with open(out / "manifest.jsonl", "a", encoding="utf-8") as f:
        f.write('{"id": "000003-0", "pa')                                            # a torn last line

    result = md.make_dataset("heart", corpus, out, augment_terms=2)
    assert (result.kept, result.dropped, result.removed_files) == (1, 2, 3)
    assert result.rendered == 5 and result.rows == 6
    rows, clean = manifest_rows(out), manifest_rows(clean_dataset)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) and sorted(ids) == sorted(r["id"] for r in clean)
    assert {r["id"]: r["audio_sha256"] for r in rows} == {r["id"]: r["audio_sha256"] for r in clean}
    assert sorted(p.name for p in (out / "wavs").iterdir()) == sorted(f"{i}.wav" for i in ids)
    metadata = (out / "metadata.csv").read_text(encoding="utf-8").splitlines()
    assert sorted(line.split("|")[0] for line in metadata) == sorted(ids)
    with pytest.raises(EnunciateError, match="seed 0 \\(now 1\\)"):
        md.make_dataset("heart", corpus, out, seed=1)


@pytest.mark.slow
def test_make_dataset_resumes_after_sigkill(corpus, tmp_path):
    from enunciate.train.make_dataset import make_dataset

    lines = [f"Step {i}: run kubectl apply on node {i}." for i in range(24)]
    texts = tmp_path / "long.txt"
    texts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "killed"
    code = f"from enunciate.train.make_dataset import make_dataset; make_dataset('heart', {str(texts)!r}, {str(out)!r})"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            path = out / "manifest.jsonl"
            if path.exists() and len(path.read_text(encoding="utf-8").splitlines()) >= 3:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the child finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    before = len(manifest_rows(out))
    result = make_dataset("heart", texts, out)
    ids = [r["id"] for r in manifest_rows(out)]
    assert result.kept >= before - 1 and result.rendered == 24 - result.kept
    assert sorted(ids) == [f"{i:06d}-0" for i in range(24)]


def test_augmentation_builds_sentences_from_lexicon_terms():
    from enunciate.train.make_dataset import augmentation_sentences
    from enunciate.text.lexicon import tech_lexicon

    first, again = augmentation_sentences(40, seed=3), augmentation_sentences(40, seed=3)
    assert first == again and len({s.text for s in first}) == 40
    terms = {e.term for e in tech_lexicon()}
    assert all(any(t in s.text for t in terms) for s in first)
    assert augmentation_sentences(40, seed=4) != first


# --- the loop: checkpoints, resume, divergence ---------------------------------------------------------

class CountingTrainer:
    """A stand-in trainer whose loss turns NaN at a chosen step."""

    family = "fake"

    def __init__(self, nan_at: int | None = None):
        from types import SimpleNamespace

        self.manifest = SimpleNamespace(name="fake")
        self.nan_at, self.weight = nan_at, 0.0

    def run_config(self):
        return {"family": "fake"}

    def train_step(self, step):
        from enunciate.train.finetune import check_finite

        loss = float("nan") if step == self.nan_at else 1.0 / step
        check_finite(step, {"loss": loss})
        self.weight += 1
        return {"loss": loss}

    def state_dict(self):
        import torch

        return {"weight": torch.tensor(self.weight)}

    def load_state_dict(self, state):
        self.weight = float(state["weight"])


def test_a_diverging_run_names_the_step_and_the_last_good_checkpoint(tmp_path):
    from enunciate.train.finetune import TrainOptions, train

    options = TrainOptions(steps=10, checkpoint_every=2)
    with pytest.raises(EnunciateError, match=r"diverged at step 5 \(loss nan\).*checkpoint-0000004.pt \(step 4\)"):
        train(CountingTrainer(nan_at=5), tmp_path, options)
    trainer = CountingTrainer()
    result = train(trainer, tmp_path, options)  # resumes from step 4: steps 5..10, nothing redone
    assert result.start_step == 4 and trainer.weight == 10
    log = [json.loads(line)["step"] for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert log == list(range(1, 11))
    assert [p.name for p in sorted(tmp_path.glob("checkpoint-*.pt"))] == ["checkpoint-0000008.pt",
                                                                          "checkpoint-0000010.pt"]


# --- SpeechT5 ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def speecht5(tmp_path_factory) -> Path:
    pytest.importorskip("peft")
    return build_tiny_speecht5(tmp_path_factory.mktemp("speecht5") / "tiny")


@pytest.fixture(scope="module")
def t5_data(tmp_path_factory) -> Path:
    return write_ljspeech(tmp_path_factory.mktemp("t5data") / "lj", [
        ("a1", "Hello world.", tone(0.6, 16000, 200), 16000), ("a2", "Run the tests.", tone(0.6, 16000, 300), 16000)])


def speecht5_trainer(speecht5, t5_data, **options):
    from enunciate.train.finetune import TrainOptions, make_trainer

    return make_trainer(str(speecht5), t5_data, TrainOptions(batch_size=2, **options))


def test_speecht5_lora_steps_lower_the_loss(speecht5, t5_data):
    trainer = speecht5_trainer(speecht5, t5_data, lora=True, learning_rate=1e-2)
    trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    assert 0 < trainable < 0.5 * sum(p.numel() for p in trainer.model.parameters())
    before = trainer.measure(1)
    for _ in range(3):
        trainer.train_step(1)
    assert trainer.measure(1) < before


def test_speecht5_adapter_saved_loaded_and_merged_gives_the_same_outputs(speecht5, t5_data, tmp_path):
    import torch

    from enunciate.train.lora import load_adapter, merge, save_adapter
    from enunciate.train.speecht5 import load_model
    from enunciate.voices.folder import read_manifest

    trainer = speecht5_trainer(speecht5, t5_data, lora=True, learning_rate=1e-2)
    for step in (1, 2):
        trainer.train_step(step)
    batch = trainer.batch(1)

    def spectrogram(model):
        model.eval()
        with torch.no_grad(), torch.random.fork_rng():
            torch.manual_seed(0)
            return model(**batch).spectrogram

    before = spectrogram(trainer.model)
    save_adapter(trainer.peft, tmp_path / "adapter")
    merged = merge(load_adapter(load_model(read_manifest(speecht5)), tmp_path / "adapter"))
    assert torch.allclose(spectrogram(merged), before, atol=1e-5)
    assert not torch.allclose(spectrogram(load_model(read_manifest(speecht5))), before, atol=1e-5)


def test_a_resumed_run_makes_the_same_weights_as_an_uninterrupted_one(speecht5, t5_data, tmp_path):
    import torch

    from enunciate.train.finetune import TrainOptions, make_trainer, train

    results = []

    def run(run_dir, steps):
        options = TrainOptions(steps=steps, batch_size=1, lora=True, learning_rate=1e-2, checkpoint_every=2)
        trainer = make_trainer(str(speecht5), t5_data, options)
        results.append(train(trainer, run_dir, options))
        return {k: v.clone() for k, v in trainer.state_dict()["model"].items()}

    straight = run(tmp_path / "straight", 4)
    run(tmp_path / "split", 2)
    resumed = run(tmp_path / "split", 4)
    assert straight.keys() == resumed.keys() and all(torch.equal(straight[k], resumed[k]) for k in straight)
    # a finished run rerun trains nothing and still reports its last step's losses, from the log
    again = run(tmp_path / "split", 4)
    assert all(torch.equal(again[k], resumed[k]) for k in resumed)
    assert results[-1].start_step == 4 and not results[-1].first
    assert results[-1].last == results[-2].last and results[-1].last["step"] == 4
    with pytest.raises(EnunciateError, match="lora_rank 8 \\(now 4\\)"):
        options = TrainOptions(steps=6, batch_size=1, lora=True, lora_rank=4)
        train(make_trainer(str(speecht5), t5_data, options), tmp_path / "split", options)


def test_speecht5_finetune_then_int8_and_pruned_variants_speak(speecht5, t5_data, tmp_path):
    from enunciate import cli
    from enunciate.voices.folder import read_manifest
    from enunciate.voices.speecht5 import SpeechT5Voice

    out = tmp_path / "tuned"
    assert cli.main(["finetune", str(speecht5), str(t5_data), "-o", str(out), "--lora", "--steps", "2",
                     "--batch-size", "2", "--lr", "1e-2", "--int8", "--prune", "0.3"]) == 0
    tuned = read_manifest(out)
    assert tuned.provenance.method == "finetune-lora" and tuned.provenance.parent == "tiny"
    assert (tmp_path / "tuned.train" / "adapter" / "adapter_config.json").is_file()
    int8, pruned = read_manifest(tmp_path / "tuned-int8"), read_manifest(tmp_path / "tuned-pruned")
    assert int8.options["torch_transform"] == "int8-dynamic" and int8.metrics["quantized_tensors"] > 0
    assert int8.provenance.method == "torch-int8-dynamic" and int8.provenance.parent == "tuned"
    assert pruned.provenance.params["amount"] == 0.3 and 0.29 < pruned.metrics["pruned_sparsity"] < 0.31
    lengths = set()
    for manifest in (tuned, int8, pruned):
        voice = SpeechT5Voice(manifest)
        chunk = voice.synthesize("hello", seed=1)
        assert chunk.audio.ndim == 1 and np.isfinite(chunk.audio).all() and voice.sample_rate == 16000
        lengths.add(len(chunk.audio))
    assert len(lengths) == 1  # the tiny model never stops by itself: every variant runs the full length


# --- VITS (joe) --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def joe_data(tmp_path_factory) -> Path:
    pytest.importorskip("peft")
    from enunciate.train.make_dataset import make_dataset

    texts = tmp_path_factory.mktemp("joe") / "corpus.txt"
    texts.write_text("Run the tests.\nInstall it.\n", encoding="utf-8")
    out = texts.parent / "data"
    make_dataset("joe", texts, out)
    return out


def vits_trainer(joe_data, **options):
    from enunciate.train.finetune import TrainOptions, make_trainer

    return make_trainer("joe", joe_data, TrainOptions(batch_size=1, segment_frames=16, discriminator_width=0.25,
                                                      posterior_warmup_steps=0, **options))


@pytest.mark.parametrize("lora", [False, True], ids=["full", "lora"])
def test_vits_steps_lower_the_loss(joe_data, lora):
    trainer = vits_trainer(joe_data, lora=lora)
    before = trainer.measure(1)
    for _ in range(3):
        losses = trainer.train_step(1)
    assert set(losses) >= {"loss", "mel", "kl", "duration", "adversarial", "feature_matching", "disc"}
    assert trainer.measure(1) < 0.9 * before


KEPT = {"durations": ("dp.", "enc_p."), "decoder": ("dec.",)}


@pytest.mark.parametrize("lora,kept", [(False, ("durations",)), (True, ("durations",)),
                                       (False, ("durations", "decoder")), (True, ("decoder",))],
                         ids=["full-timing", "lora-timing", "full-timing-decoder", "lora-decoder"])
def test_kept_parts_do_not_move(joe_data, lora, kept):
    import torch

    trainer = vits_trainer(joe_data, lora=lora, freeze_durations="durations" in kept,
                           freeze_decoder="decoder" in kept)
    model = trainer.voice.model
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    losses = trainer.train_step(1)
    after = model.state_dict()
    moved = {k for k in before if not torch.equal(before[k], after[k])}
    assert moved, "nothing trained"
    prefixes = tuple(p for part in kept for p in KEPT[part])
    assert not [k for k in moved if k.startswith(prefixes)], f"a kept part moved: {kept}"
    if lora:
        assert all("lora_" in k for k in moved)
    if "decoder" in kept:  # nothing for discriminators to teach: none are built, and the loss has no GAN terms
        assert trainer.disc is None and set(losses) == {"loss", "mel", "kl", "duration"}
        assert "disc" not in trainer.state_dict()


def test_the_posterior_prefit_learns_the_parents_latents_and_moves_nothing_else(joe_data, tmp_path):
    import torch

    from enunciate.train.finetune import TrainOptions, train

    trainer = vits_trainer(joe_data, posterior_prefit_steps=2)
    generator = {k: v.detach().clone() for k, v in trainer.voice.model.state_dict().items()}
    scores = []
    for _ in range(4):
        torch.manual_seed(0)  # the same speech each time: only the encoder's fit to it changes
        scores.append(trainer.train_step(1)["prefit"])
    assert scores[-1] < scores[0] - 0.1, scores
    after = trainer.voice.model.state_dict()
    assert all(torch.equal(generator[k], after[k]) for k in generator), "the prefit moved the generator"
    assert "mel" in trainer.train_step(3), "after the prefit the run trains as before"
    # a run that starts with the prefit reports each loss from the first step that logged it
    result = train(vits_trainer(joe_data, posterior_prefit_steps=1, steps=2), tmp_path / "run",
                   TrainOptions(steps=2, checkpoint_every=2))
    assert result.first["step"] == 1 and "prefit" in result.first and "loss" in result.first
    assert result.first["loss"] == json.loads((tmp_path / "run" / "log.jsonl").read_text().splitlines()[1])["loss"]


def test_a_run_folder_is_not_resumed_with_other_kept_parts(joe_data, tmp_path):
    from enunciate.train.finetune import train

    kept = vits_trainer(joe_data, steps=1, checkpoint_every=1, freeze_decoder=True)
    train(kept, tmp_path, kept.options)
    assert (tmp_path / "checkpoint-0000001.pt").is_file()
    trained = vits_trainer(joe_data, steps=2, checkpoint_every=1)
    with pytest.raises(EnunciateError, match=r"freeze_decoder True \(now False\)"):
        train(trained, tmp_path, trained.options)


def test_the_duration_spline_inverts_the_recovered_one():
    import torch

    from enunciate.train.vits import monotonic_alignment, rational_quadratic_spline
    from enunciate.voices.vits.model import inverse_rational_quadratic_spline

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(3, 9, generator=gen, dtype=torch.float64) * 3
    w, h, d = (torch.randn(3, 9, n, generator=gen, dtype=torch.float64) for n in (10, 10, 9))
    y, logdet = rational_quadratic_spline(x, w, h, d, 5.0)
    assert torch.allclose(inverse_rational_quadratic_spline(y, w, h, d, 5.0), x, atol=1e-9)
    eps = 1e-6
    numeric = torch.log((rational_quadratic_spline(x + eps, w, h, d, 5.0)[0]
                         - rational_quadratic_spline(x - eps, w, h, d, 5.0)[0]) / (2 * eps))
    assert torch.allclose(logdet, numeric, atol=1e-6)
    path = monotonic_alignment(np.random.default_rng(0).normal(size=(20, 6)))
    assert (path.sum(1) == 1).all() and path[0, 0] == path[-1, -1] == 1
    assert (np.diff(path.argmax(1)) >= 0).all() and (np.diff(path.argmax(1)) <= 1).all()


def test_vits_adapter_saved_loaded_and_merged_gives_the_same_audio(joe_data, tmp_path):
    import torch

    from enunciate.optimize.torch_methods import load_vits
    from enunciate.train.lora import load_adapter, merge, save_adapter
    from enunciate.voices.registry import resolve

    trainer = vits_trainer(joe_data, lora=True, learning_rate=1e-2)
    for step in (1, 2):
        trainer.train_step(step)
    ids, lengths = torch.tensor([[1, 20, 30, 40, 50, 60, 2]]), torch.tensor([7])

    def audio(model):
        with torch.no_grad():
            return model.infer(ids, lengths, noise_scale=0.0, noise_w=0.0).audio

    before = audio(trainer.voice.model)
    save_adapter(trainer.peft, tmp_path / "adapter")
    merged = merge(load_adapter(load_vits(resolve("joe").path("model")), tmp_path / "adapter"))
    assert torch.allclose(audio(merged), before, atol=1e-4)
    dilated = [m for n, m in merged.named_modules() if n == "dec.resblocks.1.convs.1"]
    assert dilated and dilated[0].dilation == (6,)


def test_vits_finetune_writes_a_voice_that_speaks_and_its_adapter_merges_to_it(joe_data, tmp_path):
    import torch

    from enunciate import load_voice
    from enunciate.train.finetune import TrainOptions, finetune, merge_adapter
    from enunciate.voices.registry import resolve
    from enunciate.voices.vits.recover import load_weights

    out = tmp_path / "joe-tuned"
    options = TrainOptions(steps=1, batch_size=1, segment_frames=16, discriminator_width=0.25,
                           posterior_warmup_steps=0, lora=True, learning_rate=1e-2)
    result = finetune("joe", joe_data, out, options, command="test")
    assert result.voice.family == "piper" and result.voice.provenance.method == "finetune-lora"
    assert result.voice.provenance.parent == "joe" and result.adapter.is_dir()
    chunk = load_voice(str(out), threads=2).synthesize("ɹˈʌn ðə tˈɛsts.", seed=0)
    assert len(chunk.audio) > 0.3 * chunk.sample_rate and np.isfinite(chunk.audio).all()

    merged = merge_adapter("joe", result.adapter, tmp_path / "merged", command="test")
    tuned, again = load_weights(out / "en_US-joe-medium.onnx"), load_weights(merged.path("model"))
    parent = load_weights(resolve("joe").path("model"))
    assert all(torch.allclose(tuned[k], again[k], atol=1e-6) for k in tuned)
    changed = [k for k in tuned if not torch.equal(tuned[k], parent[k])]
    assert "enc_p.layers.0.attn.conv_q.weight" in changed and "dec.ups.0.weight" not in changed


def test_the_finetune_command_names_the_half_strength_mix_and_it_runs(joe_data, tmp_path, capsys):
    import shlex

    import onnx
    from onnx import numpy_helper

    from enunciate import cli
    from enunciate.voices.registry import resolve

    out = tmp_path / "joe-kept"
    assert cli.main(["finetune", "joe", str(joe_data), "-o", str(out), "--steps", "2", "--batch-size", "1",
                     "--segment-frames", "16", "--warmup-steps", "0", "--freeze-decoder", "--lr", "1e-2"]) == 0
    hint = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("at part strength"))
    command = shlex.split(hint.split(": ", 1)[1])
    assert command[:3] == ["enunciate", "voices", "mix"] and command[-1] == f"{out}-half"
    assert cli.main(command[1:]) == 0

    def weights(path):
        return {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}

    joe, tuned = weights(resolve("joe").path("model")), weights(out / "en_US-joe-medium.onnx")
    half = weights(tmp_path / "joe-kept-half" / "en_US-joe-medium.onnx")
    moved = [k for k in joe if joe[k].dtype.kind == "f" and not np.array_equal(joe[k], tuned[k])]
    assert moved and all(np.allclose(half[k], (joe[k] + tuned[k]) / 2, atol=1e-6) for k in moved)
