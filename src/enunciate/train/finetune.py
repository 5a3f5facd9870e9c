"""Fine-tuning a voice on a dataset: the loop every family shares, and the one entry point.

    finetune("joe", "data/my-speaker", "./joe-me", TrainOptions(steps=2000, lora=True))

A family's `Trainer` (vits.VitsTrainer for Piper voices, speecht5.SpeechT5Trainer) knows its model,
its batches and its losses; `train` runs its steps with what every run needs:

- checkpoints in a run folder (default `<out>.train/`) every `checkpoint_every` steps, written to a
  temporary name and renamed, the last `keep_checkpoints` kept. Rerunning the same command resumes
  from the newest one: step s draws its batch and its noise from (seed, s) alone, so a resumed run
  makes the same updates an uninterrupted one would. A run folder started with other settings
  (another voice, LoRA or not, another rank) is refused rather than mixed.
- divergence: a step whose loss is NaN or infinite stops the run before the weights change, naming
  the step and the last good checkpoint.
- a progress bar (tqdm) with the loss and the time left, `log.jsonl` with every step's losses, and,
  when asked, the run logged to MLflow (`enunciate.track`) with the log attached.

At the end the trained voice is written as a voice folder (provenance: the parent, its hash, the
method `finetune-full` or `finetune-lora`, the parameters and the command); under LoRA the adapter
alone is saved as well (peft's save_pretrained, `<run folder>/adapter`), and `merge_adapter` folds a
saved adapter into a voice folder later.
"""
from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import EnunciateError
from ..voices.folder import VoiceManifest

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "enunciate-train/1"
EXPERIMENT = "enunciate-finetune"


@dataclass(frozen=True)
class TrainOptions:
    """How a fine-tune runs. learning_rate None: the family's default (full or LoRA)."""

    steps: int = 1000
    batch_size: int = 8
    learning_rate: float | None = None
    lora: bool = False
    lora_rank: int = 8
    lora_alpha: int = 16
    checkpoint_every: int = 100
    keep_checkpoints: int = 2
    seed: int = 0
    device: str = "cpu"
    segment_frames: int = 32         # VITS: latent frames decoded per item and step (x hop = samples)
    discriminator_width: float = 1.0  # VITS: channel multiplier of the discriminators (from scratch)
    posterior_warmup_steps: int = 200  # VITS: first steps in which only the parts built from scratch train
    posterior_prefit_steps: int = 0  # VITS: first steps that fit the posterior encoder to the parent's own latents
    freeze_durations: bool = False   # VITS: text encoder and duration predictor keep the parent's timing
    freeze_decoder: bool = False     # VITS: the HiFi-GAN decoder stays as recovered (no discriminators)
    skip_bad_rows: bool = False      # pass over refused dataset rows (logged) instead of stopping
    mlflow: str | None = None        # a tracking URI (or "" for ./mlruns); None: no MLflow
    progress: bool = False

    def __post_init__(self):
        for name in ("steps", "batch_size", "checkpoint_every", "keep_checkpoints", "lora_rank", "segment_frames"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise EnunciateError(f"{name.replace('_', '-')} must be a whole number of at least 1, got {value!r}")
        for name in ("posterior_warmup_steps", "posterior_prefit_steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise EnunciateError(f"{name.replace('_', ' ')} must be 0 or more, got {value!r}")
        if self.learning_rate is not None and not (self.learning_rate > 0 and math.isfinite(self.learning_rate)):
            raise EnunciateError(f"the learning rate must be a positive number, got {self.learning_rate!r}")
        if not 0 < self.discriminator_width <= 4:
            raise EnunciateError(f"discriminator width must be in (0, 4], got {self.discriminator_width!r}")


class Diverged(Exception):
    """Raised by a trainer's step, before any weight changes, when a loss is not finite."""

    def __init__(self, step: int, losses: dict[str, float]):
        super().__init__(f"step {step}: {losses}")
        self.step, self.losses = step, losses


def check_finite(step: int, losses: dict) -> None:
    values = {k: float(v.detach()) if hasattr(v, "detach") else float(v) for k, v in losses.items()}
    if not all(math.isfinite(v) for v in values.values()):
        raise Diverged(step, values)


class Trainer:
    """What `train` drives. Subclasses set `family`, `sample_rate`, `voice` (the loaded voice whose
    alphabet the frontend spells for) and implement the step, the state and the saving."""

    family = ""
    method_defaults: dict[bool, float] = {}   # lora? -> default learning rate

    def __init__(self, manifest: VoiceManifest, dataset, options: TrainOptions):
        self.manifest, self.dataset, self.options = manifest, dataset, options
        self._phonemes: dict[int, str] = {}
        self._bad: set[int] = set()
        if not len(dataset):
            raise EnunciateError(f"dataset {dataset.root} has no rows")

    @property
    def learning_rate(self) -> float:
        return self.options.learning_rate or self.method_defaults[self.options.lora]

    # --- data, shared by the families ---

    def indices(self, step: int) -> list[int]:
        """The rows of step `step`'s batch: drawn from (seed, step) alone, so a resumed run sees
        the batches an uninterrupted one would."""
        rng = np.random.default_rng([self.options.seed, step])
        n = len(self.dataset)
        return [int(i) for i in rng.choice(n, size=self.options.batch_size, replace=n < self.options.batch_size)]

    def items(self, step: int) -> list[tuple[int, object]]:
        """(row index, Item) for the step's batch. A refused row stops the run (naming it), or with
        skip_bad_rows is logged once and replaced by the next usable row."""
        from .data import DataError

        out = []
        for index in self.indices(step):
            for offset in range(len(self.dataset)):
                j = (index + offset) % len(self.dataset)
                if j in self._bad:
                    continue
                try:
                    out.append((j, self.dataset.item(j)))
                    break
                except DataError as e:
                    if not self.options.skip_bad_rows:
                        raise
                    log.warning("skipping %s", e)
                    self._bad.add(j)
            else:
                raise EnunciateError(f"no usable row in {self.dataset.root}: every row was refused")
        return out

    def phonemes(self, index: int, item) -> str:
        """The row's text as the voice reads it: the dataset's phonemes when they are in the voice's
        alphabet (a make-dataset folder), else spelled by enunciate's frontend, as `speak` would."""
        if index not in self._phonemes:
            if item.phonemes and item.alphabet == self.voice.alphabet:
                self._phonemes[index] = item.phonemes
            else:
                from ..options import SpeakOptions
                from ..pipeline import Report, plan

                try:
                    chunks = plan(item.text, SpeakOptions(markup="plain"), self.voice, Report())
                    self._phonemes[index] = " ".join(c.phonemes for c in chunks)
                except EnunciateError as e:
                    from .data import DataError

                    raise DataError(item.id, self.dataset.rows[index].where, f"its transcript cannot be spoken: {e}")
        return self._phonemes[index]

    # --- what a family implements ---

    def run_config(self) -> dict:
        """What must match for a run folder to be resumed."""
        return {"family": self.family, "voice": self.manifest.name, "lora": self.options.lora,
                "lora_rank": self.options.lora_rank if self.options.lora else None,
                "lora_alpha": self.options.lora_alpha if self.options.lora else None,
                "batch_size": self.options.batch_size, "seed": self.options.seed}

    def train_step(self, step: int) -> dict[str, float]:
        raise NotImplementedError

    def measure(self, step: int) -> float:
        """The loss on step `step`'s batch with fixed noise and no update (to compare before/after)."""
        raise NotImplementedError

    def state_dict(self) -> dict:
        raise NotImplementedError

    def load_state_dict(self, state: dict) -> None:
        raise NotImplementedError

    def save_adapter(self, folder: Path) -> Path:
        raise NotImplementedError

    def save_voice(self, out: Path, provenance, metrics: dict, force: bool) -> VoiceManifest:
        raise NotImplementedError


# --- the loop --------------------------------------------------------------------------------------

@dataclass
class TrainResult:
    run_dir: Path
    start_step: int          # where this run began (0, or the checkpoint it resumed)
    steps: int               # the step count reached
    first: dict = field(default_factory=dict)   # each loss at this run's first step that logged it
    last: dict = field(default_factory=dict)    # the last step's losses (from the log when none ran)
    checkpoint: Path | None = None
    seconds: float = 0.0

    @property
    def checkpoint_step(self) -> int | None:
        return int(self.checkpoint.stem.split("-")[1]) if self.checkpoint else None


def checkpoints(run_dir: Path) -> list[Path]:
    """The run folder's checkpoints, newest first."""
    return sorted(run_dir.glob("checkpoint-*.pt"), reverse=True)


def _save_checkpoint(run_dir: Path, step: int, trainer: Trainer, keep: int) -> Path:
    import torch

    path = run_dir / f"checkpoint-{step:07d}.pt"
    tmp = run_dir / f".{path.name}.{os.getpid()}.part"
    torch.save({"format": CHECKPOINT_FORMAT, "step": step, "config": trainer.run_config(),
                "trainer": trainer.state_dict()}, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
    for old in checkpoints(run_dir)[keep:]:
        old.unlink(missing_ok=True)
    return path


def _resume(run_dir: Path, trainer: Trainer) -> tuple[int, Path | None]:
    """Load the newest readable checkpoint; (its step, its path), or (0, None)."""
    import torch

    for stray in run_dir.glob(".checkpoint-*.part"):
        stray.unlink(missing_ok=True)  # a checkpoint a kill cut short
    for path in checkpoints(run_dir):
        try:
            saved = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:  # a damaged file: fall back to the one before
            log.warning("checkpoint %s cannot be read (%s); trying an older one", path, e)
            continue
        if saved.get("format") != CHECKPOINT_FORMAT:
            continue
        wanted = trainer.run_config()
        differ = [k for k in wanted if saved["config"].get(k) != wanted[k]]
        if differ:
            shown = ", ".join(f"{k} {saved['config'].get(k)!r} (now {wanted[k]!r})" for k in differ)
            raise EnunciateError(f"run folder {run_dir} holds a run with {shown}; rerun with its settings to "
                                 "resume it, or choose another output folder")
        trainer.load_state_dict(saved["trainer"])
        return int(saved["step"]), path
    return 0, None


def _trim_log(path: Path, step: int) -> list[dict]:
    """Keep the log's records up to the checkpoint resumed from (later ones are redone); the kept ones."""
    if not path.is_file():
        return []
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
            if record["step"] <= step:
                kept.append(record)
        except (ValueError, KeyError, TypeError):
            continue
    path.write_text("".join(json.dumps(record) + "\n" for record in kept), encoding="utf-8")
    return kept


def step_seed(seed: int, step: int) -> int:
    return (seed * 1_000_003 + step * 7919 + 17) % (2 ** 63)


def train(trainer: Trainer, run_dir: Path, options: TrainOptions) -> TrainResult:
    """Run the trainer's steps up to options.steps, resuming and checkpointing in `run_dir`."""
    import torch

    run_dir.mkdir(parents=True, exist_ok=True)
    start, last_checkpoint = _resume(run_dir, trainer)
    log_path = run_dir / "log.jsonl"
    kept = _trim_log(log_path, start)
    if start:
        log.info("resuming %s from step %d (%s)", run_dir, start, last_checkpoint.name)
    # a run resumed with no steps left still reports (and writes into its voice) its last losses
    result = TrainResult(run_dir, start, start, last=kept[-1] if kept else {}, checkpoint=last_checkpoint)
    bar = None
    if options.progress:
        from tqdm import tqdm

        bar = tqdm(total=options.steps, initial=start, unit="step", desc=f"finetune {trainer.manifest.name}",
                   dynamic_ncols=True)
    began = time.perf_counter()
    try:
        for step in range(start + 1, options.steps + 1):
            torch.manual_seed(step_seed(options.seed, step))
            t0 = time.perf_counter()
            try:
                losses = trainer.train_step(step)
            except Diverged as e:
                where = (f"the last good checkpoint is {last_checkpoint} (step {result.checkpoint_step})"
                         if last_checkpoint else "there is no checkpoint yet")
                shown = ", ".join(f"{k} {v:.4g}" for k, v in e.losses.items())
                raise EnunciateError(f"training diverged at step {e.step} ({shown}); nothing of that step was "
                                     f"saved; {where}. Lower the learning rate (--lr) and rerun to resume") from None
            record = {"step": step, **{k: round(float(v), 6) for k, v in losses.items()},
                      "seconds": round(time.perf_counter() - t0, 3)}
            with open(log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
            result.first = {**record, **result.first}  # each value from the first step that logged it
            result.last, result.steps = record, step
            if bar is not None:
                bar.update(1)
                shown = "loss" if "loss" in losses else next(iter(losses))  # a phase may report another
                bar.set_postfix({shown: f"{losses[shown]:.4f}"})
            if step % options.checkpoint_every == 0 or step == options.steps:
                last_checkpoint = _save_checkpoint(run_dir, step, trainer, options.keep_checkpoints)
                result.checkpoint = last_checkpoint
    finally:
        if bar is not None:
            bar.close()
    result.seconds = round(time.perf_counter() - began, 2)
    return result


# --- the entry point ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class FinetuneResult:
    voice: VoiceManifest
    train: TrainResult
    adapter: Path | None
    mlflow_run: str | None = None


TRAINERS = {"piper": ("vits", "VitsTrainer"), "speecht5": ("speecht5", "SpeechT5Trainer")}


def make_trainer(voice: str, data: str | Path, options: TrainOptions) -> Trainer:
    """The trainer for a voice's family, on the dataset in `data` (at the voice's sample rate)."""
    import importlib

    from ..voices.registry import resolve
    from .data import open_dataset

    manifest = resolve(voice)
    if manifest.family not in TRAINERS:
        raise EnunciateError(f"voice {manifest.name!r} is of family {manifest.family!r}, which cannot be "
                             f"fine-tuned here; families that can: {', '.join(TRAINERS)} (joe, SpeechT5 folders)")
    dataset = open_dataset(data, sample_rate=manifest.sample_rate, skip_bad=options.skip_bad_rows)
    module, name = TRAINERS[manifest.family]
    cls = getattr(importlib.import_module(f".{module}", __package__), name)
    import torch

    torch.manual_seed(options.seed)  # the parts built from scratch and the adapters start the same each run
    return cls(manifest, dataset, options)


def parent_sha256(manifest: VoiceManifest) -> str:
    """The parent's main weights file hash (the ONNX model, or SpeechT5's weights)."""
    from ..cache import sha256_file

    role = "model" if "model" in manifest.files else "weights"
    ref = manifest.files.get(role)
    return (ref.sha256 or sha256_file(manifest.path(role))) if ref else ""


def output_folders(out: str | Path, run_dir: str | Path | None, force: bool) -> tuple[Path, Path]:
    """The voice folder a run writes (refused if it exists, unless forced) and its run folder
    (checkpoints, log; FOLDER.train beside it by default)."""
    out = Path(out).expanduser()
    if out.exists() and not force:
        raise EnunciateError(f"{out} already exists; choose another folder or pass --force to replace it")
    if not out.parent.is_dir():
        raise EnunciateError(f"cannot write {out}: folder {out.parent} does not exist")
    return out, Path(run_dir) if run_dir else out.with_name(out.name + ".train")


def finetune(voice: str, data: str | Path, out: str | Path, options: TrainOptions = TrainOptions(),
             run_dir: str | Path | None = None, force: bool = False, command: str | None = None) -> FinetuneResult:
    """Fine-tune `voice` on the dataset in `data`; the result is the voice folder `out`."""
    import shlex
    import sys

    from ..voices.folder import Provenance

    out, run_dir = output_folders(out, run_dir, force)
    trainer = make_trainer(voice, data, options)
    result = train(trainer, run_dir, options)
    adapter = trainer.save_adapter(run_dir / "adapter") if options.lora else None
    method = "finetune-lora" if options.lora else "finetune-full"
    params = {"data": str(data), "rows": len(trainer.dataset), "steps": options.steps,
              "batch_size": options.batch_size, "learning_rate": trainer.learning_rate, "seed": options.seed,
              **({"lora_rank": options.lora_rank, "lora_alpha": options.lora_alpha} if options.lora else {}),
              **({"segment_frames": options.segment_frames, "discriminator_width": options.discriminator_width,
                  "warmup_steps": options.posterior_warmup_steps, "prefit_steps": options.posterior_prefit_steps,
                  "freeze_durations": options.freeze_durations,
                  "freeze_decoder": options.freeze_decoder}
                 if trainer.family == "piper" else {})}
    parent = trainer.manifest
    provenance = Provenance(parent.provenance.source, parent.name, parent_sha256(parent), method, params,
                            command or shlex.join(["enunciate", *sys.argv[1:]]))
    metrics = {f"final_{k}": v for k, v in result.last.items() if k not in ("step", "seconds")}
    manifest = trainer.save_voice(out, provenance, metrics, force)
    run_id = None
    if options.mlflow is not None:
        run_id = log_to_mlflow(out.name, params, result, options.mlflow, adapter)
    return FinetuneResult(manifest, result, adapter, run_id)


def log_to_mlflow(name: str, params: dict, result: TrainResult, uri: str, adapter: Path | None) -> str:
    """The run's parameters, its first and last losses and its log (and adapter) in MLflow."""
    from .. import track

    metrics = {**{f"first_{k}": v for k, v in result.first.items() if k != "step"},
               **{f"final_{k}": v for k, v in result.last.items() if k != "step"},
               "steps": result.steps, "seconds": result.seconds}
    artifacts = [result.run_dir / "log.jsonl", *([(adapter, "adapter")] if adapter else [])]
    logged = track.log_run(EXPERIMENT, track.RunRecord(name, params, metrics, tuple(artifacts)), uri=uri or None)
    return logged.run_id


def merge_adapter(voice: str, adapter: str | Path, out: str | Path, force: bool = False,
                  command: str | None = None) -> VoiceManifest:
    """A LoRA adapter saved by a fine-tune, folded into its parent voice and written as a voice folder."""
    import shlex
    import sys

    from ..voices.folder import Provenance
    from ..voices.registry import resolve

    manifest = resolve(voice)
    config_path = Path(adapter) / "adapter_config.json"
    if not config_path.is_file():
        raise EnunciateError(f"{adapter} is not a LoRA adapter folder (no adapter_config.json)")
    if manifest.family not in TRAINERS:
        raise EnunciateError(f"voice {manifest.name!r} is of family {manifest.family!r}; adapters merge into "
                             f"{', '.join(TRAINERS)} voices")
    import importlib

    module = importlib.import_module(f".{TRAINERS[manifest.family][0]}", __package__)
    provenance = Provenance(manifest.provenance.source, manifest.name, parent_sha256(manifest), "finetune-lora",
                            {"adapter": str(adapter)}, command or shlex.join(["enunciate", *sys.argv[1:]]))
    return module.merge_adapter_folder(manifest, Path(adapter), Path(out), provenance, force)
