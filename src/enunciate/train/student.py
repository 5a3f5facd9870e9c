"""A distilled student of heart: a smaller network with heart's ONNX interface, trained on heart's
own frame parameters, so the result is a hibari-family voice folder that heart's DSP speaks.

    enunciate train student --teacher heart --texts corpus.txt -o ./heart-student --steps 6000

heart's network (hibari-tts, 6.2 M parameters, int8 MatMuls) maps Kokoro-alphabet ids to, per
12.5 ms frame (300 samples at 24 kHz), a harmonic filter (lh, theta), a noise envelope (ln), a
free-phase branch (lr, phi), each over 601 bins, and an F0; its durations count 600-sample units
(2 frames) per token. The student reads the same `ids` and `speed`, gives the same six outputs and
the same `/Round_output_0` durations tensor the loader asks for, so `HibariVoice`, bench, eval and
optimize take it unchanged.

Data (teacher_frames.py): each corpus line through enunciate's frontend and the teacher's ONNX;
every clip's ids, durations and frames cached in a folder, resumably, the dev set left out.

The model (`Student`, config `StudentConfig`), all from scratch: token embedding -> ConvNeXt-style
1-D blocks -> a duration head (log-duration, MSE against the teacher's) -> length regulation (the
teacher's durations in training, the rounded prediction at inference) with each frame's position
inside its token -> a few blocks at the frame rate -> a low-rank head (a bottleneck, then one
Linear to the 3006 values, initialised from the principal components of the teacher's frames, so
step 0 already predicts the mean spectrum and its main directions). Losses: L1 on lh, ln and lr
(floored at -12 nats, where exp() is inaudible), the filter and free-phase angles as the distance
between unit phasors weighted by the branch's magnitude, L1 on F0 (per 100 Hz), MSE on log
durations, a multi-resolution STFT loss on the sound the frames make through heart's DSP
(student_audio.py; `StudentLoss`) and, on request, HiFi-GAN's discriminators on that sound.
Training runs frame crops (`segment_frames` per clip plus context) through the loop of finetune.py:
checkpoints that resume to the bit, a NaN loss that ends the run naming the step and the last good
checkpoint, a progress bar with the loss and time left, log.jsonl, MLflow on request.
The export to ONNX and to a voice folder is student_onnx.py.
"""
from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import EnunciateError
from .finetune import Trainer, TrainOptions, check_finite
from .student_onnx import QUANTIZATIONS, export_voice
from .student_pitch import f0_slope, shrink_f0
from .teacher_frames import (BINS, BRANCHES, COLUMNS, F0_SCALE, FRAMES_PER_UNIT, Rendered,
                             TeacherFrames, principal_head, render_teacher, teacher_manifest)

log = logging.getLogger(__name__)

LOG_FLOOR = -12.0                            # exp(-12) = 6e-6: below it a magnitude is inaudible
RATE = 24000                                 # heart's DSP renders at 24 kHz
CONTEXT_FRAMES = 16                          # each side of a crop: more than the frame stack's receptive field
METHOD = "distil-student"


@dataclass(frozen=True)
class StudentConfig:
    vocab: int = 178
    text_dim: int = 128
    text_layers: int = 3
    frame_dim: int = 160
    frame_layers: int = 4
    expand: int = 2          # hidden width of a block's pointwise layers, x dim
    kernel: int = 7
    head_rank: int = 80      # the bottleneck before the output layer
    context_layers: int = 0  # dilated token blocks (dilation 2, 4, 8, ...) after the text blocks: sentence-wide context


# --- the model -------------------------------------------------------------------------------------

def _torch():
    import torch
    from torch import nn

    return torch, nn


def build_student(config: StudentConfig):
    """The student network (torch), randomly initialised."""
    bad = [f"{k} {v}" for k, v in asdict(config).items() if v < (0 if k == "context_layers" else 1)]
    if bad:
        raise EnunciateError("a student's sizes are whole numbers from 1 up (--context-layers from 0): got "
                             + ", ".join(bad))
    torch, nn = _torch()
    F = torch.nn.functional

    class Block(nn.Module):
        """ConvNeXt in 1-D: depthwise conv, LayerNorm, pointwise up, GELU, pointwise down, residual."""

        def __init__(self, dim: int, kernel: int, expand: int, dilation: int = 1):
            super().__init__()
            self.dw = nn.Conv1d(dim, dim, kernel, padding=dilation * (kernel // 2), dilation=dilation, groups=dim)
            self.norm = nn.LayerNorm(dim)
            self.up = nn.Linear(dim, dim * expand)
            self.down = nn.Linear(dim * expand, dim)

        def forward(self, x):  # [B, T, C]
            y = self.dw(x.transpose(1, 2)).transpose(1, 2)
            return x + self.down(F.gelu(self.up(self.norm(y))))

    class Student(nn.Module):
        def __init__(self, c: StudentConfig):
            super().__init__()
            self.config = c
            self.embed = nn.Embedding(c.vocab, c.text_dim)
            self.text = nn.Sequential(*[Block(c.text_dim, 5, c.expand) for _ in range(c.text_layers)],
                                      *[Block(c.text_dim, 5, c.expand, 2 ** (i + 1)) for i in range(c.context_layers)])
            self.duration = nn.Sequential(Block(c.text_dim, 3, c.expand), nn.LayerNorm(c.text_dim),
                                          nn.Linear(c.text_dim, 1))
            self.frame_in = nn.Linear(c.text_dim + 1, c.frame_dim)
            self.frames = nn.Sequential(*[Block(c.frame_dim, c.kernel, c.expand) for _ in range(c.frame_layers)])
            self.norm = nn.LayerNorm(c.frame_dim)
            self.bottleneck = nn.Linear(c.frame_dim, c.head_rank)
            self.head = nn.Linear(c.head_rank, COLUMNS)
            self.f0_shrink = 1.0  # set at export (student_pitch.py): 1 leaves the F0 as predicted

        def encode(self, ids):
            """ids [B, L] -> token features [B, L, D], log durations (in 600-sample units) [B, L]."""
            h = self.text(self.embed(ids))
            return h, self.duration(h).squeeze(-1)

        def decode(self, x):
            """Frame inputs [B, T, D + 1] (token features and the position inside the token) -> [B, T, 3006]."""
            return self.head(self.bottleneck(self.norm(self.frames(self.frame_in(x)))))

        def forward(self, ids, speed):
            """heart's interface, one sentence: ids [1, L], speed [1] -> lh, theta, ln, lr, phi [1, 601, F],
            f0 [1, F], durations [L] (600-sample units)."""
            h, log_d = self.encode(ids)
            durations = torch.clamp(torch.round(torch.exp(log_d[0]) / speed), min=1.0)
            frames = durations * FRAMES_PER_UNIT
            ends = torch.cumsum(frames, 0)
            t = torch.arange(ends[-1].long(), dtype=torch.float32).unsqueeze(1)
            token = (t >= ends.unsqueeze(0)).sum(1)
            length = frames[token]
            position = (t.squeeze(1) - (ends[token] - length) + 0.5) / length
            x = torch.cat([h[0, token], position.unsqueeze(1)], 1).unsqueeze(0)
            y = self.decode(x).transpose(1, 2)
            parts = [y[:, i * BINS:(i + 1) * BINS] for i in range(len(BRANCHES))]
            f0 = y[:, COLUMNS - 1] * F0_SCALE
            if self.f0_shrink != 1.0:
                f0 = shrink_f0(f0, self.f0_shrink)
            return (*parts, f0, durations)

    return Student(config)


def parameter_count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def macs_per_frame(config: StudentConfig) -> int:
    """Multiply-adds per output frame at the frame rate (the token-rate part is a few % of it)."""
    c = config
    block = c.frame_dim * c.kernel + 2 * c.frame_dim * c.frame_dim * c.expand
    return ((c.text_dim + 1) * c.frame_dim + c.frame_layers * block + c.frame_dim * c.head_rank
            + c.head_rank * COLUMNS)


@dataclass(frozen=True)
class StudentLoss:
    """What the loss counts besides the L1 terms on the frame parameters and the durations."""

    relative_floor: float | None = None  # magnitudes: count only down to the frame's loudest bin less this (nats)
    f0_weight: float = 1.0               # the F0 term's weight beside the others (each about 0.1-0.4)
    spectral_weight: float = 2.0         # the rendered sound's multi-resolution STFT loss (student_audio.py; 0: off)
    adversarial_weight: float = 0.0      # HiFi-GAN's discriminators on the rendered sound (LSGAN + feature matching)
    discriminator_width: float = 0.1     # their channels, x HiFi-GAN's (1.0: 58 M parameters)
    discriminator_samples: int = 8192    # what they hear of each item: a random window of the rendered crop
    mos_weight: float = 0.0              # minus W x the listener's MOS of the rendered crops (0: off)
    mos_cap: bool = False                # count only the shortfall under the teacher's score of the same crop
    listener: str = "distillmos"         # who listens: distillmos, dnsmos or "distillmos,dnsmos" (listener.py)

    def __post_init__(self):
        from ..speakers.listener import LISTENERS

        if self.mos_cap and not self.mos_weight:
            raise EnunciateError("--mos-cap caps the listener's term: give it a --mos-weight above 0")
        for name in self.listener.split(","):
            if name not in LISTENERS:
                raise EnunciateError(f"unknown listener {name!r}: choose from {', '.join(LISTENERS)}")


# --- training ---------------------------------------------------------------------------------------

def frame_losses(pred, target, relative_floor: float | None = None):
    """Per-branch losses of predicted against teacher frames ([..., 3006], F0 in Hz/100). Magnitudes
    count from LOG_FLOOR up, and with `relative_floor` (nats) from the teacher frame's loudest bin of
    that branch less `relative_floor` up: what lies further under it is masked by the rest of the frame."""
    torch, _ = _torch()

    def branch(y, i):
        return y[..., i * BINS:(i + 1) * BINS]

    lh_p, th_p, ln_p, lr_p, phi_p = (branch(pred, i) for i in range(5))
    lh_t, th_t, ln_t, lr_t, phi_t = (branch(target, i) for i in range(5))

    def magnitude_l1(p, t):
        floor = LOG_FLOOR
        if relative_floor is not None:
            floor = torch.clamp(t.amax(-1, keepdim=True) - relative_floor, min=LOG_FLOOR)
        return (torch.maximum(p, torch.as_tensor(floor)) - torch.maximum(t, torch.as_tensor(floor))).abs().mean()

    def phasor_distance(angle_p, angle_t, log_magnitude):
        # |e^{ia} - e^{ib}| = 2 |sin((a - b) / 2)|, weighted by the branch's magnitude (each frame's weights mean 1)
        weight = torch.exp(log_magnitude - log_magnitude.amax(-1, keepdim=True))
        weight = weight / weight.mean(-1, keepdim=True).clamp(min=1e-6)
        return (2 * torch.sin((angle_p - angle_t) / 2).abs() * weight).mean()

    return {
        "lh": magnitude_l1(lh_p, lh_t),
        "ln": magnitude_l1(ln_p, ln_t),
        "lr": magnitude_l1(lr_p, lr_t),
        "theta": phasor_distance(math.pi * torch.tanh(th_p), math.pi * torch.tanh(th_t), lh_t),
        "phi": phasor_distance(phi_p, phi_t, lr_t),
        "f0": (pred[..., -1] - target[..., -1]).abs().mean(),
    }


class StudentTrainer(Trainer):
    """Drives `finetune.train` for a student: batches of frame crops from the teacher's cache."""

    family = "student"

    def __init__(self, manifest, dataset: TeacherFrames, options: TrainOptions, config: StudentConfig,
                 warm_start: str | Path | None = None, loss: StudentLoss = StudentLoss()):
        super().__init__(manifest, dataset, options)
        self.loss = loss
        self._spectral, self._listeners = None, {}
        torch, _ = _torch()
        self.config = config
        self.device = torch.device(options.device)
        torch.manual_seed(options.seed)
        self.model = build_student(config)
        mean, components = principal_head(dataset, config.head_rank, seed=options.seed)
        with torch.no_grad():
            self.model.head.bias.copy_(torch.from_numpy(mean))
            self.model.head.weight.copy_(torch.from_numpy(components.T.copy()))
            self.model.bottleneck.weight.mul_(0.1)  # start near the mean frame, not at random components
        self.warm_start = None
        if warm_start is not None:
            self.warm_start = {"checkpoint": str(warm_start), "sha256": _warm_start_sha256(Path(warm_start)),
                               **grow_from(self.model, warm_start)}
        self.model.to(self.device)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=self.learning_rate, betas=(0.9, 0.98),
                                           weight_decay=0.01)
        self.discriminator = self.d_optimizer = None
        if loss.adversarial_weight:
            from .discriminators import Discriminators

            self.discriminator = Discriminators(width=loss.discriminator_width).to(self.device)
            self.d_optimizer = torch.optim.AdamW(self.discriminator.parameters(), lr=2e-4, betas=(0.8, 0.99))

    @property
    def learning_rate(self) -> float:
        return self.options.learning_rate or 1e-3

    def lr_at(self, step: int) -> float:
        """Linear warm-up over 200 steps, then cosine to a tenth."""
        warm = min(200, max(1, self.options.steps // 10))
        if step <= warm:
            return self.learning_rate * step / warm
        progress = (step - warm) / max(1, self.options.steps - warm)
        return self.learning_rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))

    def run_config(self) -> dict:
        config = {"family": self.family, "teacher": self.manifest.name, "config": asdict(self.config),
                  "batch_size": self.options.batch_size, "seed": self.options.seed,
                  "segment_frames": self.options.segment_frames}
        if self.warm_start:
            config["warm_start_sha256"] = self.warm_start["sha256"]
        loss = asdict(self.loss)
        if loss["listener"] == StudentLoss.listener:   # runs from before --listener resume as they were
            del loss["listener"]
        return config | {"loss": loss}

    def batch(self, rows: list[dict], rng: np.random.Generator | None):
        """Tensors for `rows`: padded ids and log durations, and frame inputs and targets of one crop
        per clip (a random crop with `rng`, else the whole clip)."""
        torch, _ = _torch()
        n_ids = max(len(r["ids"]) for r in rows)
        ids = np.zeros((len(rows), n_ids), np.int64)
        log_d = np.zeros((len(rows), n_ids), np.float32)
        mask = np.zeros((len(rows), n_ids), np.float32)
        crops = []
        for b, row in enumerate(rows):
            n = len(row["ids"])
            ids[b, :n], mask[b, :n] = row["ids"], 1
            durations = np.maximum(np.asarray(row["durations"], np.float32), 1)
            log_d[b, :n] = np.log(durations)
            frames = np.repeat(np.arange(n), (durations * FRAMES_PER_UNIT).astype(int))
            total = min(len(frames), row["frames"])
            size = min(self.options.segment_frames, total) if rng is not None else total
            start = int(rng.integers(0, total - size + 1)) if rng is not None else 0
            crops.append((b, frames, start, size, total, durations))
        width = max(c[3] for c in crops) + 2 * CONTEXT_FRAMES
        token = np.zeros((len(rows), width), np.int64)
        position = np.zeros((len(rows), width), np.float32)
        inside = np.zeros((len(rows), width), np.float32)   # frames that exist (context may run off the clip)
        scored = np.zeros((len(rows), width), np.float32)   # frames the loss counts
        target = np.zeros((len(rows), width, COLUMNS), np.float32)
        for b, frames, start, size, total, durations in crops:
            lo, hi = max(0, start - CONTEXT_FRAMES), min(total, start + size + CONTEXT_FRAMES)
            at = lo - (start - CONTEXT_FRAMES)
            span = np.arange(lo, hi)
            token[b, at:at + len(span)] = frames[span]
            lengths = durations * FRAMES_PER_UNIT
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            tok = frames[span]
            position[b, at:at + len(span)] = (span - starts[tok] + 0.5) / lengths[tok]
            inside[b, at:at + len(span)] = 1
            scored[b, CONTEXT_FRAMES:CONTEXT_FRAMES + size] = 1
            target[b, at:at + len(span)] = self.dataset.frames(rows[b])[lo:hi]
        target[..., -1] /= F0_SCALE

        def t(a):
            return torch.from_numpy(a).to(self.device)

        return t(ids), t(log_d), t(mask), t(token), t(position), t(inside), t(scored), t(target)

    def losses(self, rows: list[dict], rng: np.random.Generator | None, audio: bool = False) -> dict:
        """The batch's losses ("loss" their weighted sum); with `audio`, also "audio": the student's and
        heart's renderings of the scored frames, [B, 1, samples] each (cut to the shortest item)."""
        torch, _ = _torch()
        ids, log_d, mask, token, position, inside, scored, target = self.batch(rows, rng)
        h, log_d_pred = self.model.encode(ids)
        duration = (((log_d_pred - log_d) ** 2) * mask).sum() / mask.sum()
        gathered = torch.gather(h, 1, token.unsqueeze(-1).expand(-1, -1, h.shape[-1]))
        x = torch.cat([gathered, position.unsqueeze(-1)], -1) * inside.unsqueeze(-1)
        pred = self.model.decode(x)
        keep = scored.bool()
        parts = frame_losses(pred[keep], target[keep], self.loss.relative_floor)
        loss = duration + sum(parts.values()) + (self.loss.f0_weight - 1) * parts["f0"]
        out = {}
        if self.loss.spectral_weight or self.loss.mos_weight or audio:
            from .student_audio import SpectralLoss

            self._spectral = self._spectral or SpectralLoss(self.device)
            spans = [(int(row.nonzero()[0]), int(row.nonzero()[-1]) + 1) for row in scored]
            pairs = self._spectral.pairs(pred, target, spans, rng or np.random.default_rng(0))
            if self.loss.spectral_weight:
                parts["spectral"] = SpectralLoss.loss(pairs)
                loss = loss + self.loss.spectral_weight * parts["spectral"]
            for name in self.loss.listener.split(",") if self.loss.mos_weight else []:   # each at the weight
                scores = self.listen(pairs, name)
                parts[name] = scores.mean()
                if self.loss.mos_cap:   # no reward for sounding "better" than heart to this listener
                    with torch.no_grad():
                        teacher = self.listen([(y, None) for _, y in pairs], name)
                    parts[name + "_short"] = torch.relu(teacher - scores).mean()
                    loss = loss + self.loss.mos_weight * parts[name + "_short"]
                else:
                    loss = loss - self.loss.mos_weight * parts[name]
            if audio:
                n = min(len(x) for x, _ in pairs)
                out["audio"] = tuple(torch.stack([pair[i][:n] for pair in pairs]).unsqueeze(1) for i in (0, 1))
        return {"loss": loss, "duration": duration, **parts, **out}

    def listen(self, pairs, name: str):
        """The named listener's MOS of each item's student rendering, [B], with a gradient to the frames."""
        from ..speakers.ge2e import resample_torch
        from ..speakers.listener import listener

        if name not in self._listeners:
            self._listeners[name] = listener(name, self.device)
        return self._listeners[name].batch([resample_torch(x, RATE, 16000) for x, _ in pairs])

    def adversarial(self, losses: dict, step: int) -> dict:
        """One discriminator step on a window of the batch's renderings (the same for every item, drawn
        from the step), then the student's adversarial terms (least squares, as HiFi-GAN's, and feature
        matching) added to losses["loss"]."""
        torch, _ = _torch()
        from .discriminators import discriminator_loss, feature_loss, generator_loss

        fake, real = losses.pop("audio")
        window = self.loss.discriminator_samples
        if fake.shape[-1] > window:
            start = int(np.random.default_rng([self.options.seed, step, 2]).integers(0, fake.shape[-1] - window + 1))
            fake, real = fake[..., start:start + window], real[..., start:start + window]
        scores_real, features_real = self.discriminator(real)
        scores_fake, _ = self.discriminator(fake.detach())
        d_loss = discriminator_loss(scores_real, scores_fake)
        check_finite(step, {"discriminator": d_loss})
        self.d_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        torch.nn.utils.clip_grad_norm_(self.discriminator.parameters(), 1.0)
        self.d_optimizer.step()
        scores_fake, features_fake = self.discriminator(fake)
        with torch.no_grad():
            _, features_real = self.discriminator(real)
        adversarial, feature = generator_loss(scores_fake), feature_loss(features_real, features_fake)
        loss = losses["loss"] + self.loss.adversarial_weight * (adversarial + feature)
        return losses | {"loss": loss, "adversarial": adversarial, "feature": feature, "discriminator": d_loss.detach()}

    def rows_of(self, step: int) -> list[dict]:
        return [self.dataset.rows[i] for i in self.indices(step)]

    def train_step(self, step: int) -> dict[str, float]:
        torch, _ = _torch()
        self.model.train()
        rng = np.random.default_rng([self.options.seed, step, 1])
        losses = self.losses(self.rows_of(step), rng, audio=self.discriminator is not None)
        if self.discriminator is not None:
            losses = self.adversarial(losses, step)
        check_finite(step, losses)
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr_at(step)
        self.optimizer.zero_grad(set_to_none=True)
        losses["loss"].backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        out = {k: float(v.detach()) for k, v in losses.items()}
        if self.dataset.validation and step % self.options.checkpoint_every == 0:
            out["validation_loss"] = self.validation_loss()
        return out

    def measure(self, step: int) -> float:
        """Step `step`'s batch loss (its crops), without an update."""
        torch, _ = _torch()
        self.model.eval()
        with torch.no_grad():
            return float(self.losses(self.rows_of(step), np.random.default_rng([self.options.seed, step, 1]))["loss"])

    def validation_loss(self) -> float:
        """The loss over the held-back clips, whole (teacher durations for the frames)."""
        torch, _ = _torch()
        self.model.eval()
        with torch.no_grad():
            total = [float(self.losses([row], None)["loss"]) for row in self.dataset.validation]
        return round(sum(total) / len(total), 6)

    def state_dict(self) -> dict:
        state = {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict()}
        if self.discriminator is not None:
            state |= {"discriminator": self.discriminator.state_dict(), "d_optimizer": self.d_optimizer.state_dict()}
        return state

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.discriminator is not None:
            self.discriminator.load_state_dict(state["discriminator"])
            self.d_optimizer.load_state_dict(state["d_optimizer"])

    def save_voice(self, out: Path, provenance, metrics: dict, force: bool,
                   quantization: str | None = QUANTIZATIONS[0], f0_shrink: float = 1.0):
        return export_voice(self.model, out, provenance, metrics, force, quantization, f0_shrink)


def read_checkpoint(checkpoint: str | Path) -> tuple[StudentConfig, dict, int]:
    """A student run's checkpoint -> (its StudentConfig, the model's weights, its step). A student's
    voice folder works too: the weights are recovered from its ONNX file (int8 MatMuls dequantized,
    student_onnx.recover_weights) and the sizes and steps read from its voice.json."""
    torch, _ = _torch()
    path = Path(checkpoint)
    if path.is_dir():
        return _from_voice_folder(path)
    if not path.is_file():
        raise EnunciateError(f"student checkpoint not found: {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
        return StudentConfig(**state["config"]["config"]), state["trainer"]["model"], int(state.get("step", 0))
    except Exception as e:  # noqa: BLE001 - torch raises many kinds for a file that is not a checkpoint
        raise EnunciateError(f"{path} is not a student checkpoint ({type(e).__name__}: {e})") from e


def _warm_start_sha256(path: Path) -> str:
    """A checkpoint file's SHA-256, or a student folder's model file's."""
    if path.is_dir():
        from ..voices.folder import read_manifest

        return read_manifest(path).files["model"].sha256
    from ..cache import sha256_file

    return sha256_file(path)


def _from_voice_folder(folder: Path) -> tuple[StudentConfig, dict, int]:
    torch, _ = _torch()
    from ..voices.folder import read_manifest
    from .student_onnx import recover_weights

    manifest = read_manifest(folder)
    params = manifest.provenance.params
    if manifest.provenance.method != METHOD or "config" not in params or "model" not in manifest.files:
        raise EnunciateError(f"{folder} is not a student's voice folder (its voice.json names no student config)")
    config = StudentConfig(**params["config"])
    weights = {k: torch.from_numpy(v) for k, v in recover_weights(folder / manifest.files["model"].path).items()}
    missing = sorted(set(build_student(config).state_dict()) - set(weights))
    if missing:
        raise EnunciateError(f"{folder}: its ONNX file holds no weights named {', '.join(missing[:5])}"
                             + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""))
    return config, weights, int(params.get("steps", 0))


GROWABLE = ("head_rank", "context_layers")


def grow_from(model, checkpoint: str | Path) -> dict:
    """Start `model` from another student run's checkpoint: every weight copied, the widths and
    depths being the same, except that the head rank and the context blocks may grow. The new
    bottleneck rows and the new context blocks' output layers start at zero, so the grown student's
    output is the old one's to the bit; the new head columns keep the teacher's next principal
    components `model` was initialised with, for the gradient to open them along. Returns what was
    taken (the step, and the old and new rank and context depth)."""
    torch, _ = _torch()
    path = Path(checkpoint)
    old_config, weights, step = read_checkpoint(path)
    new = asdict(model.config)
    differs = [f"{k} {v} (checkpoint) vs {new[k]}" for k, v in asdict(old_config).items()
               if k not in GROWABLE and v != new[k]]
    differs += [f"{k} {getattr(old_config, k)} (checkpoint) > {new[k]}" for k in GROWABLE
                if getattr(old_config, k) > new[k]]
    if differs:
        raise EnunciateError(f"cannot warm-start from {path.name}: " + "; ".join(differs)
                             + " (only the head rank and the context layers may grow)")
    r = old_config.head_rank
    own = model.state_dict()
    with torch.no_grad():
        for name, value in weights.items():
            if name.startswith("bottleneck."):
                own[name].zero_()
                own[name][:r] = value
            elif name == "head.weight":
                own[name][:, :r] = value
            else:
                own[name].copy_(value)
        first = model.config.text_layers + old_config.context_layers
        for block in list(model.text)[first:]:
            block.down.weight.zero_()
            block.down.bias.zero_()
    return {"step": step, "head_rank_from": r, "head_rank_to": model.config.head_rank,
            "context_layers_from": old_config.context_layers, "context_layers_to": model.config.context_layers}


# --- the entry point --------------------------------------------------------------------------------

@dataclass(frozen=True)
class StudentResult:
    voice: object            # the VoiceManifest written
    rendered: Rendered
    train: object            # finetune.TrainResult
    mlflow_run: str | None = None


def distil_student(teacher: str, texts: list[str | Path], out: str | Path, options: TrainOptions,
                   config: StudentConfig = StudentConfig(), augment_terms: int = 0,
                   frames_dir: str | Path | None = None,
                   run_dir: str | Path | None = None, resume: bool = False, force: bool = False,
                   threads: int | None = None, quantization: str | None = QUANTIZATIONS[0], command: str | None = None,
                   warm_start: str | Path | None = None, loss: StudentLoss = StudentLoss(),
                   f0_shrink: float | None = 1.0) -> StudentResult:
    """Render the teacher's frames for the corpus (and K lexicon sentences), train a student on
    them, and write it as the voice folder `out`. `warm_start`: another student run's checkpoint to
    start from (`grow_from`). `f0_shrink`: the export's pull of F0 toward each sentence's mean
    (student_pitch.py): 1 (the default) for none, None for the slope measured on the validation
    clips, which is recorded either way."""
    if f0_shrink is not None and not 0 < f0_shrink <= 1:
        raise EnunciateError(f"--f0-shrink is a factor in (0, 1] (1: F0 as predicted), not {f0_shrink}")
    import shlex
    import sys

    from ..voices.folder import Provenance
    from .finetune import checkpoints, log_to_mlflow, output_folders, parent_sha256, train
    from .make_dataset import Sentence, augmentation_sentences, corpus_sentences

    out, run_dir = output_folders(out, run_dir, force)
    existing = checkpoints(run_dir) if run_dir.is_dir() else []
    if existing and not resume:
        raise EnunciateError(f"run folder {run_dir} holds checkpoints (newest {existing[0].name}); pass --resume to "
                             "continue that run, or choose another output folder")
    sentences = []
    for n, path in enumerate(texts):
        sentences += [Sentence(f"c{n}-{s.id}", s.text) for s in corpus_sentences(path)]
    sentences += augmentation_sentences(augment_terms, options.seed)
    manifest = teacher_manifest(teacher)
    rendered = render_teacher(teacher, sentences, Path(frames_dir) if frames_dir else run_dir / "teacher",
                              threads=threads, progress=options.progress)
    data = TeacherFrames(rendered.folder, rendered.ids)
    if config.vocab <= max(max(r["ids"]) for r in data.rows):
        raise EnunciateError(f"the teacher's ids reach {max(max(r['ids']) for r in data.rows)}; "
                             f"the student's vocabulary ({config.vocab}) must exceed it")
    trainer = StudentTrainer(manifest, data, options, config, warm_start, loss)
    result = train(trainer, run_dir, options)
    shrink = f0_slope(trainer.model, data)
    if f0_shrink is not None:
        shrink = {**shrink, "factor": float(f0_shrink), "given": True}
    params = {"texts": [str(t) for t in texts], "augment_terms": augment_terms, "clips": rendered.clips,
              "teacher_frames": rendered.frames, "held_out_dev_lines": rendered.held_out, "steps": options.steps,
              "batch_size": options.batch_size, "segment_frames": options.segment_frames,
              "learning_rate": trainer.learning_rate, "seed": options.seed, "device": options.device,
              "quantization": quantization, "config": asdict(config), "warm_start": trainer.warm_start,
              "loss": asdict(loss), "f0_shrink": shrink}
    provenance = Provenance(manifest.provenance.source, manifest.name, parent_sha256(manifest), METHOD, params,
                            command or shlex.join(["enunciate", *sys.argv[1:]]))
    metrics = {f"final_{k}": v for k, v in result.last.items() if k not in ("step", "seconds")}
    voice = trainer.save_voice(out, provenance, metrics, force, quantization, shrink["factor"])
    run_id = None
    if options.mlflow is not None:
        run_id = log_to_mlflow(out.name, params, result, options.mlflow, None)
    return StudentResult(voice, rendered, result, run_id)
