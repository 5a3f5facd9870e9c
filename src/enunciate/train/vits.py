"""What training a Piper VITS voice needs beyond the ONNX file, and one training step.

The ONNX export holds the generator's inference path (text encoder, stochastic duration predictor
in its sampling direction, flow, HiFi-GAN decoder); `voices/vits` recovers those weights. Training
(Kim et al. 2021) also needs, built here from scratch:

- the posterior encoder: linear spectrogram -> latent z (a 16-layer WaveNet, as VITS);
- the duration predictor's training parts: its posterior flows (which make durations continuous,
  "variational dequantization") and the first spline flow, which inference skips;
- the discriminators (`discriminators.py`);
- the losses: mel L1 (x45), KL between the flowed posterior and the text prior, the duration
  predictor's negative log-likelihood, least-squares adversarial losses and feature matching (x2).

Alignment is VITS's monotonic alignment search between text and frames. The generator is updated
as a whole (full fine-tuning) or through LoRA adapters on its Conv1d layers (`lora.py`); the parts
built from scratch always train fully, at the learning rate VITS trains them with. The folded
`dp.affine_logs` (stored in the ONNX as exp(-logs)) stays frozen, so every trained weight can be
written back into the ONNX file (`optimize.torch_methods.write_onnx_weights`).
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..voices.vits.model import (DilatedDepthSeparableConv, SplineCoupling, Vits, VitsConfig, WaveNet,
                                 sequence_mask)
from .discriminators import Discriminators, discriminator_loss, feature_loss, generator_loss
from .features import SpectrogramConfig, linear_spectrogram, log_mel
from .finetune import Trainer

log = logging.getLogger(__name__)

MEL_WEIGHT, KL_WEIGHT, FM_WEIGHT = 45.0, 1.0, 2.0
SCRATCH_LR = 2e-4         # VITS's learning rate, for the parts that start from scratch
BETAS, EPS = (0.8, 0.99), 1e-9
FROZEN = ("dp.affine_logs",)  # folded into a constant in the ONNX: not written back, so not trained
# The durations come from the duration predictor reading the text encoder's output: keeping the
# parent's timing keeps both (a run that froze the predictor alone spoke in 0.55x joe's time).
TIMING = ("enc_p.", "dp.")
DECODER = ("dec.",)


def kept_parts(freeze_durations: bool = False, freeze_decoder: bool = False) -> tuple[str, ...]:
    """Name prefixes of the recovered parts a run keeps as they are."""
    return (TIMING if freeze_durations else ()) + (DECODER if freeze_decoder else ())


# --- posterior encoder ---------------------------------------------------------------------------

class PosteriorEncoder(nn.Module):
    """Linear spectrogram [b, bins, frames] -> z, mean, log-scale [b, inter, frames]."""

    def __init__(self, bins: int, cfg: VitsConfig, kernel_size: int = 5, layers: int = 16):
        super().__init__()
        self.inter = cfg.inter_channels
        self.pre = nn.Conv1d(bins, cfg.hidden_channels, 1)
        self.enc = WaveNet(cfg.hidden_channels, kernel_size, layers)
        self.proj = nn.Conv1d(cfg.hidden_channels, 2 * cfg.inter_channels, 1)

    def forward(self, spec: torch.Tensor, mask: torch.Tensor):
        h = self.enc(self.pre(spec) * mask, mask)
        m, logs = (self.proj(h) * mask).split(self.inter, dim=1)
        z = (m + torch.randn_like(m) * torch.exp(logs)) * mask
        return z, m, logs


def flow_forward(model: Vits, z: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The flow in its training direction (posterior latent -> prior space): each mean-only coupling
    shifts the second half of the channels, then the channels are flipped (`Flow.reverse` undoes it)."""
    for coupling in model.flow.couplings:
        z0, z1 = z.chunk(2, dim=1)
        shift = coupling.post(coupling.enc(coupling.pre(z0) * mask, mask)) * mask
        z = torch.cat([z0, (z1 + shift) * mask], dim=1).flip(1)
    return z


# --- the duration predictor's likelihood ---------------------------------------------------------

def rational_quadratic_spline(x: torch.Tensor, width_logits: torch.Tensor, height_logits: torch.Tensor,
                              derivative_logits: torch.Tensor, bound: float, min_bin: float = 1e-3,
                              min_derivative: float = 1e-3) -> tuple[torch.Tensor, torch.Tensor]:
    """y = spline(x) and log|dy/dx| for the monotonic rational-quadratic spline whose inverse is
    `model.inverse_rational_quadratic_spline` (same knots; identity tails outside [-bound, bound])."""
    bins = width_logits.shape[-1]

    def knots(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        sizes = min_bin + (1 - min_bin * bins) * F.softmax(logits, dim=-1)
        edges = F.pad(torch.cumsum(sizes, dim=-1), (1, 0)) * (2 * bound) - bound
        edges = torch.cat([edges[..., :-1], torch.full_like(edges[..., -1:], bound)], dim=-1)
        return edges, edges[..., 1:] - edges[..., :-1]

    x_edges, widths = knots(width_logits)
    y_edges, heights = knots(height_logits)
    tail_logit = math.log(math.expm1(1 - min_derivative))
    derivatives = min_derivative + F.softplus(F.pad(derivative_logits, (1, 1), value=tail_logit))
    inside = (x >= -bound) & (x <= bound)
    xc = x.clamp(-bound, bound)  # outside values take the tail; clamping keeps their branch finite
    k = (torch.sum(xc[..., None] >= x_edges, dim=-1) - 1).clamp(0, bins - 1)[..., None]

    def at_k(t: torch.Tensor) -> torch.Tensor:
        return t.gather(-1, k)[..., 0]

    x_k, w_k, y_k, h_k = at_k(x_edges), at_k(widths), at_k(y_edges), at_k(heights)
    d_k, d_k1 = at_k(derivatives), at_k(derivatives[..., 1:])
    slope = h_k / w_k
    theta = ((xc - x_k) / w_k).clamp(0, 1)
    t1m = theta * (1 - theta)
    denominator = slope + (d_k + d_k1 - 2 * slope) * t1m
    y = y_k + h_k * (slope * theta ** 2 + d_k * t1m) / denominator
    slope_num = slope ** 2 * (d_k1 * theta ** 2 + 2 * slope * t1m + d_k * (1 - theta) ** 2)
    logdet = torch.log(slope_num) - 2 * torch.log(denominator)
    return torch.where(inside, y, x), torch.where(inside, logdet, torch.zeros_like(logdet))


def coupling_forward(flow: SplineCoupling, z: torch.Tensor, mask: torch.Tensor,
                     cond: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A spline coupling in its training direction: (z, log-determinant per item)."""
    z0, z1 = z[:, :1], z[:, 1:]
    h = (flow.proj(flow.convs(flow.pre(z0), mask, cond)) * mask).transpose(1, 2)
    n = flow.bins
    z1, logdet = rational_quadratic_spline(z1[:, 0], h[..., :n] / flow.scale, h[..., n:2 * n] / flow.scale,
                                           h[..., 2 * n:], flow.tail_bound)
    return torch.cat([z0, z1[:, None]], dim=1) * mask, torch.sum(logdet * mask[:, 0], dim=1)


class DurationTraining(nn.Module):
    """The stochastic duration predictor's parts that only training uses, from scratch: the first
    spline flow (skipped at inference) and the posterior q(u, nu | d, text) that dequantizes
    durations."""

    def __init__(self, cfg: VitsConfig, posterior_flows: int = 4):
        super().__init__()
        ch, k = cfg.hidden_channels, cfg.dp_kernel_size

        def spline() -> SplineCoupling:  # its projection starts at zero, as VITS's: a near-identity flow
            flow = SplineCoupling(ch, k, cfg.spline_bins, cfg.spline_tail_bound)
            nn.init.zeros_(flow.proj.weight)
            nn.init.zeros_(flow.proj.bias)
            return flow

        self.first_flow = spline()
        self.post_pre = nn.Conv1d(1, ch, 1)
        self.post_convs = DilatedDepthSeparableConv(ch, k)
        self.post_proj = nn.Conv1d(ch, ch, 1)
        self.post_affine_m = nn.Parameter(torch.zeros(2, 1))
        self.post_affine_logs = nn.Parameter(torch.zeros(2, 1))
        self.post_flows = nn.ModuleList(spline() for _ in range(posterior_flows))

    def nll(self, model: Vits, x: torch.Tensor, mask: torch.Tensor, durations: torch.Tensor) -> torch.Tensor:
        """-log p(durations | text) per item (a variational bound), as VITS's
        StochasticDurationPredictor(reverse=False). x: text encoder states (not back-propagated into)."""
        dp = model.dp
        x = x.detach()
        cond = dp.proj(dp.convs(dp.pre(x), mask)) * mask
        h_w = self.post_proj(self.post_convs(self.post_pre(durations), mask)) * mask
        e_q = torch.randn(durations.shape[0], 2, durations.shape[2], device=x.device, dtype=x.dtype) * mask
        z_q = (self.post_affine_m + torch.exp(self.post_affine_logs) * e_q) * mask
        logdet_q = torch.sum(self.post_affine_logs * mask, dim=(1, 2))
        for flow in self.post_flows:
            z_q, logdet = coupling_forward(flow, z_q, mask, cond + h_w)
            z_q, logdet_q = z_q.flip(1), logdet_q + logdet
        z_u, z1 = z_q[:, :1], z_q[:, 1:]
        u = torch.sigmoid(z_u) * mask
        z0 = (durations - u) * mask
        logdet_q = logdet_q + torch.sum((F.logsigmoid(z_u) + F.logsigmoid(-z_u)) * mask, dim=(1, 2))
        log_q = torch.sum(-0.5 * (math.log(2 * math.pi) + e_q ** 2) * mask, dim=(1, 2)) - logdet_q

        z0 = torch.log(torch.clamp_min(z0, 1e-5)) * mask  # the log flow
        logdet = torch.sum(-z0, dim=(1, 2))
        z = (dp.affine_m + torch.exp(dp.affine_logs) * torch.cat([z0, z1], dim=1)) * mask
        logdet = logdet + torch.sum(dp.affine_logs * mask, dim=(1, 2))
        for flow in (self.first_flow, *dp.spline_flows):
            z, step = coupling_forward(flow, z, mask, cond)
            z, logdet = z.flip(1), logdet + step
        nll = torch.sum(0.5 * (math.log(2 * math.pi) + z ** 2) * mask, dim=(1, 2)) - logdet
        return nll + log_q


# --- alignment -----------------------------------------------------------------------------------

def monotonic_alignment(score: np.ndarray) -> np.ndarray:
    """VITS's monotonic alignment search: the path through score [frames, phonemes] that starts at
    (0, 0), ends at the last phoneme, and at each frame stays or moves one phoneme on, with the
    highest total score. Returns a 0/1 matrix [frames, phonemes]. Needs frames >= phonemes."""
    frames, phonemes = score.shape
    value = np.full((frames, phonemes), -np.inf)
    value[0, 0] = score[0, 0]
    for t in range(1, frames):
        stay = value[t - 1]
        move = np.concatenate([[-np.inf], value[t - 1, :-1]])
        value[t] = np.maximum(stay, move) + score[t]
        value[t, t + 1:] = -np.inf  # cannot be past phoneme t at frame t
    path = np.zeros((frames, phonemes), np.float32)
    index = phonemes - 1
    for t in range(frames - 1, -1, -1):
        path[t, index] = 1
        if index > 0 and (index == t or value[t - 1, index] < value[t - 1, index - 1]):
            index -= 1
    return path


def align(z_p: torch.Tensor, m_p: torch.Tensor, logs_p: torch.Tensor, x_lengths: list[int],
          y_lengths: list[int]) -> torch.Tensor:
    """attention [b, frames, phonemes]: the log-likelihood of each frame's z_p under each phoneme's
    prior Gaussian, aligned monotonically (no gradient)."""
    with torch.no_grad():
        inv_var = torch.exp(-2 * logs_p)
        score = (torch.sum(-0.5 * math.log(2 * math.pi) - logs_p, dim=1, keepdim=True)
                 + (-0.5 * z_p ** 2).transpose(1, 2) @ inv_var
                 + z_p.transpose(1, 2) @ (m_p * inv_var)
                 + torch.sum(-0.5 * m_p ** 2 * inv_var, dim=1, keepdim=True))
        attn = torch.zeros_like(score)
        scores = score.float().cpu().numpy()
        for i, (tx, ty) in enumerate(zip(x_lengths, y_lengths)):
            attn[i, :ty, :tx] = torch.from_numpy(monotonic_alignment(scores[i, :ty, :tx]))
    return attn


# --- losses --------------------------------------------------------------------------------------

def kl_loss(z_p: torch.Tensor, logs_q: torch.Tensor, m_p: torch.Tensor, logs_p: torch.Tensor,
            mask: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || p(z|text)) per frame and channel, estimated at the sample z_p."""
    kl = logs_p - logs_q - 0.5 + 0.5 * (z_p - m_p) ** 2 * torch.exp(-2 * logs_p)
    return torch.sum(kl * mask) / torch.sum(mask)


# --- one training step ---------------------------------------------------------------------------

@dataclass
class Batch:
    ids: torch.Tensor          # [b, phonemes]
    id_lengths: list[int]
    audio: torch.Tensor        # [b, samples], a whole number of hops
    frame_lengths: list[int]
    rows: list[str]


@dataclass
class Forward:
    """What the generator's training pass gives."""

    audio_hat: torch.Tensor    # [b, 1, segment samples]
    audio: torch.Tensor        # [b, 1, segment samples]: the same slices of the real audio
    kl: torch.Tensor
    duration: torch.Tensor


@dataclass
class Latents:
    """What the text prior and the posterior make of a batch (`VitsTraining.latents`)."""

    x: torch.Tensor            # the text encoder's output [b, hidden, phonemes]
    x_mask: torch.Tensor
    y_mask: torch.Tensor       # [b, 1, frames]
    z: torch.Tensor            # the posterior's latents [b, inter, frames]
    logs_q: torch.Tensor
    z_p: torch.Tensor          # z through the flow
    attn: torch.Tensor         # the monotonic alignment [b, frames, phonemes]
    m_p: torch.Tensor          # the text prior along the alignment [b, inter, frames]
    logs_p: torch.Tensor


class VitsTraining(nn.Module):
    """The recovered generator with the parts training adds (posterior encoder, duration posterior)."""

    def __init__(self, model: Vits, spectrogram: SpectrogramConfig):
        super().__init__()
        self.model = model
        self.spectrogram = spectrogram
        self.enc_q = PosteriorEncoder(spectrogram.bins, model.cfg)
        self.duration = DurationTraining(model.cfg)

    def latents(self, batch: Batch, sample: bool = True) -> Latents:
        """The text prior, the posterior (a sample of it, or its mean) and the alignment of the two."""
        model, device = self.model, batch.ids.device
        x_mask = sequence_mask(torch.tensor(batch.id_lengths, device=device), batch.ids.shape[1])
        y_mask = sequence_mask(torch.tensor(batch.frame_lengths, device=device), max(batch.frame_lengths))
        x, m_p, logs_p = model.enc_p(batch.ids, x_mask)
        spec = linear_spectrogram(batch.audio, self.spectrogram)[..., :y_mask.shape[2]]
        z, m_q, logs_q = self.enc_q(spec, y_mask)
        z = z if sample else m_q * y_mask
        z_p = flow_forward(model, z, y_mask)
        attn = align(z_p, m_p, logs_p, batch.id_lengths, batch.frame_lengths)  # [b, frames, phonemes]
        m_p, logs_p = (attn @ m_p.transpose(1, 2)).transpose(1, 2), (attn @ logs_p.transpose(1, 2)).transpose(1, 2)
        return Latents(x, x_mask, y_mask, z, logs_q, z_p, attn, m_p, logs_p)

    def forward(self, batch: Batch, segment_frames: int) -> Forward:
        model, lat = self.model, self.latents(batch)
        durations = lat.attn.sum(1)[:, None]  # [b, 1, phonemes]
        duration = torch.sum(self.duration.nll(model, lat.x, lat.x_mask, durations)) / torch.sum(lat.x_mask)
        kl = kl_loss(lat.z_p, lat.logs_q, lat.m_p, lat.logs_p, lat.y_mask)

        segment = min(segment_frames, min(batch.frame_lengths))
        hop = self.spectrogram.hop_length
        starts = [int(torch.randint(0, n - segment + 1, ())) for n in batch.frame_lengths]
        z_slice = torch.stack([lat.z[i, :, s:s + segment] for i, s in enumerate(starts)])
        audio = torch.stack([batch.audio[i, s * hop:(s + segment) * hop] for i, s in enumerate(starts)])[:, None]
        return Forward(model.dec(z_slice), audio, kl, duration)

    def mel_loss(self, out: Forward) -> torch.Tensor:
        return F.l1_loss(log_mel(out.audio_hat[:, 0], self.spectrogram), log_mel(out.audio[:, 0], self.spectrogram))


def config_of(model: Vits, sample_rate: int) -> SpectrogramConfig:
    return SpectrogramConfig(sample_rate=sample_rate, hop_length=model.cfg.hop_length)


def lora_layers(model: Vits, kept: tuple[str, ...] = ()) -> list[str]:
    """Where VITS takes LoRA adapters: every ungrouped Conv1d of the generator (attention and
    feed-forward of the text encoder, the duration predictor's pointwise and spline convolutions,
    the flow's WaveNets, the decoder's input, residual and output convolutions), less the parts a run
    keeps (`kept_parts`). The decoder's ConvTranspose1d upsamplers have no peft LoRA and stay as
    recovered."""
    from .lora import lora_targets

    return lora_targets(model, (nn.Conv1d,), exclude=kept)


def scratch_parameters(training: VitsTraining) -> list[nn.Parameter]:
    return [*training.enc_q.parameters(), *training.duration.parameters()]


def generator_parameters(model: Vits) -> list[nn.Parameter]:
    """The recovered weights that train (full fine-tuning, or the adapters under LoRA)."""
    return [p for name, p in model.named_parameters() if p.requires_grad and name not in FROZEN]


def freeze_folded(model: Vits) -> None:
    for name, p in model.named_parameters():
        if name in FROZEN:
            p.requires_grad_(False)


def is_finite_module(module: nn.Module) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in module.parameters())


def recovered_weights(model: Vits) -> dict[str, torch.Tensor]:
    """Every weight that goes back into the ONNX file (all but the frozen, folded ones)."""
    return {k: v for k, v in model.state_dict().items() if k not in FROZEN}


def write_onnx(parent_onnx: Path, model: Vits, out: Path) -> None:
    from ..optimize.torch_methods import write_onnx_weights

    write_onnx_weights(parent_onnx, recovered_weights(model), out)


# --- the trainer ---------------------------------------------------------------------------------

class VitsTrainer(Trainer):
    """Fine-tunes a Piper voice (its ONNX weights recovered into `Vits`), full or with LoRA."""

    family = "piper"
    method_defaults = {False: 1e-4, True: 5e-4}

    def __init__(self, manifest, dataset, options):
        from ..voices.torch_runtime import torch_device
        from ..voices.vits import TorchPiperVoice

        super().__init__(manifest, dataset, options)
        self.device = torch_device(options.device)
        self.voice = TorchPiperVoice(manifest.path("model"), manifest.path("config"), device=options.device)
        model = self.voice.model
        self.peft = None
        kept = kept_parts(options.freeze_durations, options.freeze_decoder)
        if options.lora:
            from .lora import add_lora

            self.peft = add_lora(model, lora_layers(model, kept), options.lora_rank, options.lora_alpha)
        else:
            model.requires_grad_(True)
            freeze_folded(model)
            for name in kept:
                getattr(model, name.rstrip(".")).requires_grad_(False)
        self.training = VitsTraining(model, config_of(model, self.voice.sample_rate)).to(self.device)
        self.opt_g = torch.optim.AdamW([{"params": generator_parameters(model), "lr": self.learning_rate},
                                        {"params": scratch_parameters(self.training), "lr": SCRATCH_LR}],
                                       betas=BETAS, eps=EPS)
        # a kept decoder has nothing for discriminators to teach: the latents learn from the mel loss
        self.disc = self.opt_d = None
        if not options.freeze_decoder:
            self.disc = Discriminators(width=options.discriminator_width).to(self.device)
            self.opt_d = torch.optim.AdamW(self.disc.parameters(), SCRATCH_LR, betas=BETAS, eps=EPS)

    def run_config(self) -> dict:
        return {**super().run_config(), "freeze_durations": self.options.freeze_durations,
                "freeze_decoder": self.options.freeze_decoder, "prefit_steps": self.options.posterior_prefit_steps}

    def batch(self, step: int) -> Batch:
        from ..voices.piper import keep_known
        from .data import DataError

        hop = self.voice.hop_length
        ids, clips, rows = [], [], []
        for index, item in self.items(step):
            seq = self.voice.phoneme_ids(keep_known(self.phonemes(index, item), self.voice.symbols))
            samples = len(item.audio) // hop * hop
            if samples // hop < len(seq):
                raise DataError(item.id, self.dataset.rows[index].where,
                                f"its audio ({item.duration_s:.2f} s) is too short for its {len(seq)} phoneme ids")
            ids.append(seq)
            clips.append(item.audio[:samples])
            rows.append(item.id)
        id_tensor = torch.zeros(len(ids), max(map(len, ids)), dtype=torch.long)
        audio = torch.zeros(len(clips), max(map(len, clips)))
        for i, (seq, clip) in enumerate(zip(ids, clips)):
            id_tensor[i, :len(seq)] = torch.tensor(seq)
            audio[i, :len(clip)] = torch.from_numpy(np.ascontiguousarray(clip))
        return Batch(id_tensor.to(self.device), [len(s) for s in ids], audio.to(self.device),
                     [len(c) // hop for c in clips], rows)

    def train_step(self, step: int) -> dict[str, float]:
        from .finetune import check_finite

        if step <= self.options.posterior_prefit_steps:
            return self.prefit_step(step)
        batch = self.batch(step)
        self.training.train()
        out = self.training(batch, self.options.segment_frames)
        mel = self.training.mel_loss(out)
        loss = MEL_WEIGHT * mel + KL_WEIGHT * out.kl + out.duration
        losses = {"loss": loss, "mel": mel, "kl": out.kl, "duration": out.duration}
        check_finite(step, losses)
        if self.disc is not None:
            losses.update(self.adversarial_step(step, out))
            loss = losses["loss"] = loss + losses["adversarial"] + FM_WEIGHT * losses["feature_matching"]
        check_finite(step, losses)
        # while the posterior encoder is new, the recovered generator is held: its z would be noise
        self.opt_g.param_groups[0]["lr"] = 0.0 if step <= self.options.posterior_warmup_steps else self.learning_rate
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        return {k: float(v.detach()) for k, v in losses.items()}

    def prefit_step(self, step: int) -> dict[str, float]:
        """Fits the posterior encoder alone to latents whose decoding is known: the parent says the
        batch's texts, and the encoder learns the z its decoder was given from the spectrogram of the
        speech it made (Gaussian negative log-likelihood per latent value, constant dropped). A
        posterior encoder built from scratch otherwise learns joe's latent space from the mel loss
        alone, and finds latents the decoder renders worse (docs/training.md, the control run)."""
        from .finetune import check_finite

        batch, model, enc_q = self.batch(step), self.training.model, self.training.enc_q
        given = []
        hook = model.dec.register_forward_pre_hook(lambda module, args: given.append(args[0]))
        try:
            with torch.no_grad():
                model.eval()
                said = model.infer(batch.ids, torch.tensor(batch.id_lengths, device=batch.ids.device))
        finally:
            hook.remove()
        z = given[0]
        frames = said.audio_lengths // self.voice.hop_length
        y_mask = sequence_mask(frames, z.shape[2])
        spec = linear_spectrogram(said.audio, self.training.spectrogram)[..., :z.shape[2]]
        enc_q.train()
        _, m_q, logs_q = enc_q(spec, y_mask)
        nll = torch.sum((logs_q + 0.5 * ((z - m_q) * torch.exp(-logs_q)) ** 2) * y_mask) \
            / (torch.sum(y_mask) * z.shape[1])
        check_finite(step, {"prefit": nll})
        self.opt_g.param_groups[0]["lr"] = 0.0
        self.opt_g.zero_grad(set_to_none=True)
        nll.backward()
        self.opt_g.step()
        return {"prefit": float(nll.detach())}

    def adversarial_step(self, step: int, out: Forward) -> dict[str, torch.Tensor]:
        """Trains the discriminators on this batch; returns the generator's adversarial and
        feature-matching losses against them, and theirs."""
        from .finetune import check_finite

        self.disc.train()
        real, _ = self.disc(out.audio)
        fake, _ = self.disc(out.audio_hat.detach())
        loss_d = discriminator_loss(real, fake)
        check_finite(step, {"disc": loss_d})
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()

        real, real_features = self.disc(out.audio)
        fake, fake_features = self.disc(out.audio_hat)
        return {"adversarial": generator_loss(fake), "feature_matching": feature_loss(real_features, fake_features),
                "disc": loss_d}

    def measure(self, step: int) -> float:
        """45 x mel L1 + KL + duration NLL on step `step`'s batch, noise fixed, nothing updated."""
        from .finetune import step_seed

        batch = self.batch(step)
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(step_seed(self.options.seed, step))
            out = self.training(batch, self.options.segment_frames)
            return float(MEL_WEIGHT * self.training.mel_loss(out) + KL_WEIGHT * out.kl + out.duration)

    def _trainable(self) -> set[str]:
        return {name for name, p in self.training.named_parameters() if p.requires_grad}

    def state_dict(self) -> dict:
        names = self._trainable()
        state = {"generator": {k: v for k, v in self.training.state_dict().items() if k in names},
                 "opt_g": self.opt_g.state_dict()}
        if self.disc is not None:
            state.update(disc=self.disc.state_dict(), opt_d=self.opt_d.state_dict())
        return state

    def load_state_dict(self, state: dict) -> None:
        missing = self._trainable() - set(state["generator"])
        if missing:
            raise ValueError(f"checkpoint lacks {sorted(missing)[:3]}")
        self.training.load_state_dict(state["generator"], strict=False)
        self.opt_g.load_state_dict(state["opt_g"])
        if self.disc is not None:
            self.disc.load_state_dict(state["disc"])
            self.opt_d.load_state_dict(state["opt_d"])

    def save_adapter(self, folder: Path) -> Path:
        from .lora import save_adapter

        return save_adapter(self.peft, folder)

    def save_voice(self, out: Path, provenance, metrics: dict, force: bool):
        from .lora import merge

        model = merge(self.peft) if self.peft is not None else self.voice.model
        return write_voice(self.manifest, model.eval(), out, provenance, metrics, force)


def write_voice(parent, model: Vits, out: Path, provenance, metrics: dict, force: bool):
    """A Piper voice folder: the parent's ONNX graph with `model`'s weights, and its config."""
    import tempfile
    from dataclasses import replace

    from ..errors import EnunciateError
    from ..voices.folder import FileRef, write_voice_folder

    if not is_finite_module(model):
        raise EnunciateError("the trained weights hold NaN or infinite values; not saved")
    with tempfile.TemporaryDirectory(prefix="enunciate-finetune-") as tmp:
        onnx_out = Path(tmp) / parent.path("model").name
        write_onnx(parent.path("model"), model, onnx_out)
        files = {"model": onnx_out, "config": parent.path("config")}
        refs = {role: FileRef(Path(p).name) for role, p in files.items()}
        manifest = replace(parent, name=Path(out).name, files=refs, folder=None, base=None,
                           engines=("onnx", "torch"), provenance=provenance, metrics=metrics,
                           description=f"{parent.description or parent.name}, fine-tuned ({provenance.method})")
        return write_voice_folder(out, manifest, files, force=force)


def merge_adapter_folder(parent, adapter: Path, out: Path, provenance, force: bool):
    """Fold a saved VITS adapter into the parent's recovered weights and write the voice folder."""
    from ..optimize.torch_methods import load_vits
    from .lora import load_adapter, merge

    model = merge(load_adapter(load_vits(parent.path("model")), adapter))
    return write_voice(parent, model.eval(), out, provenance, {}, force)
