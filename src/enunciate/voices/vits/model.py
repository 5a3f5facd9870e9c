"""VITS (Kim et al. 2021) inference as small nn.Modules, laid out for Piper's voices.

ids -> TextEncoder (prior mean/log-scale per phoneme) -> StochasticDurationPredictor (frames per
phoneme) -> expand to frames -> Flow, reversed (prior latent -> decoder latent) -> Generator (HiFi-GAN)
-> audio. Training-only parts (posterior encoder, the duration predictor's posterior flows,
discriminators) are not here. Every module is batch-safe: padded positions never reach real ones,
so a batched item sounds like the same item alone.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..compiled import bucketed

LRELU_SLOPE = 0.1


@dataclass(frozen=True)
class VitsConfig:
    """Hyper-parameters; the defaults are Piper's "medium" quality (en_US-joe-medium)."""

    n_vocab: int = 256
    hidden_channels: int = 192
    inter_channels: int = 192  # latent channels between encoder, flow and decoder
    filter_channels: int = 768
    n_heads: int = 2
    n_layers: int = 6
    kernel_size: int = 3
    window_size: int = 4  # relative attention sees offsets -4..4
    dp_kernel_size: int = 3
    dp_spline_flows: int = 3  # the trained model has 4; its first is unused at inference
    spline_bins: int = 10
    spline_tail_bound: float = 5.0
    flow_couplings: int = 4
    flow_kernel_size: int = 5
    flow_wavenet_layers: int = 4
    resblock_kernel_sizes: tuple[int, ...] = (3, 5, 7)
    resblock_dilation_sizes: tuple[tuple[int, ...], ...] = ((1, 2), (2, 6), (3, 12))
    upsample_rates: tuple[int, ...] = (8, 8, 4)
    upsample_kernel_sizes: tuple[int, ...] = (16, 16, 8)
    upsample_initial_channel: int = 256
    # conv_pre's output, then each upsampler's output; () = halving from upsample_initial_channel, as
    # trained. Structured pruning (optimize/channel_prune.py) narrows them.
    decoder_channels: tuple[int, ...] = ()

    @property
    def hop_length(self) -> int:
        """Audio samples per latent frame."""
        return math.prod(self.upsample_rates)

    @property
    def decoder_widths(self) -> tuple[int, ...]:
        """Channels of the decoder's input stage and of each upsampling stage."""
        ch = self.upsample_initial_channel
        return self.decoder_channels or tuple(ch // 2 ** i for i in range(len(self.upsample_rates) + 1))

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor]) -> VitsConfig:
        """Read the sizes from the weights' shapes (Piper's x_low/low/medium differ only in those).

        Upsample rates are taken as kernel // 2 and resblock dilations as the defaults: the weights
        do not record them, and every Piper voice with "type 2" resblocks uses these.
        """
        if any(".convs1." in k for k in state):
            raise ValueError("HiFi-GAN 'type 1' resblocks (Piper 'high' quality) are not supported")

        def count(pattern: str) -> int:
            return len({m.group(1) for k in state if (m := re.fullmatch(pattern, k))})

        n_vocab, hidden = state["enc_p.emb.weight"].shape
        ffn = state["enc_p.layers.0.ffn.conv_1.weight"]
        rel = state["enc_p.layers.0.attn.emb_rel_k"]
        ups = [state[f"dec.ups.{i}.weight"].shape[2] for i in range(count(r"dec\.ups\.(\d+)\.weight"))]
        n_kernels = count(r"dec\.resblocks\.(\d+)\.convs\.0\.weight") // len(ups)
        kernels = tuple(state[f"dec.resblocks.{j}.convs.0.weight"].shape[2] for j in range(n_kernels))
        pre = state["dec.conv_pre.weight"].shape[0]
        widths = (pre, *(state[f"dec.ups.{i}.weight"].shape[1] for i in range(len(ups))))
        halving = tuple(pre // 2 ** i for i in range(len(ups) + 1))
        return cls(
            n_vocab=n_vocab, hidden_channels=hidden, inter_channels=state["enc_p.proj.weight"].shape[0] // 2,
            filter_channels=ffn.shape[0], kernel_size=ffn.shape[2], n_heads=hidden // rel.shape[2],
            n_layers=count(r"enc_p\.layers\.(\d+)\.attn\.conv_q\.weight"), window_size=(rel.shape[1] - 1) // 2,
            dp_kernel_size=state["dp.convs.convs_sep.0.weight"].shape[2],
            dp_spline_flows=count(r"dp\.spline_flows\.(\d+)\.pre\.weight"),
            spline_bins=(state["dp.spline_flows.0.proj.weight"].shape[0] + 1) // 3,
            flow_couplings=count(r"flow\.couplings\.(\d+)\.pre\.weight"),
            flow_kernel_size=state["flow.couplings.0.enc.in_layers.0.weight"].shape[2],
            flow_wavenet_layers=count(r"flow\.couplings\.0\.enc\.in_layers\.(\d+)\.weight"),
            resblock_kernel_sizes=kernels, resblock_dilation_sizes=cls.resblock_dilation_sizes[:n_kernels],
            upsample_rates=tuple(k // 2 for k in ups), upsample_kernel_sizes=tuple(ups),
            upsample_initial_channel=pre, decoder_channels=() if widths == halving else widths,
        )


def sequence_mask(lengths: torch.Tensor, max_length: int) -> torch.Tensor:
    """[b] lengths -> [b, 1, max_length] float mask."""
    return (torch.arange(max_length, device=lengths.device) < lengths[:, None]).unsqueeze(1).float()


def masked(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    return x if mask is None else x * mask


# --- text encoder -------------------------------------------------------------------------------

class LayerNorm(nn.Module):
    """Layer norm over the channel axis of [b, c, t]."""

    def __init__(self, channels: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.gamma = nn.Parameter(torch.ones(channels))
        self.beta = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.layer_norm(x.transpose(1, -1), self.gamma.shape, self.gamma, self.beta, self.eps)
        return x.transpose(1, -1)


class RelativeSelfAttention(nn.Module):
    """Multi-head self-attention with learned relative-position terms for keys and values over
    offsets -window..window, shared by all heads (Shaw et al. 2018); farther pairs get none."""

    def __init__(self, channels: int, n_heads: int, window: int):
        super().__init__()
        self.n_heads, self.window = n_heads, window
        self.conv_q, self.conv_k, self.conv_v, self.conv_o = (nn.Conv1d(channels, channels, 1) for _ in range(4))
        head_channels = channels // n_heads
        self.emb_rel_k = nn.Parameter(torch.zeros(1, 2 * window + 1, head_channels))
        self.emb_rel_v = nn.Parameter(torch.zeros(1, 2 * window + 1, head_channels))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, c, t = x.shape
        h, w = self.n_heads, self.window

        def heads(y: torch.Tensor) -> torch.Tensor:  # [b, c, t] -> [b, h, t, c/h]
            return y.view(b, h, c // h, t).transpose(2, 3)

        q = heads(self.conv_q(x)) / math.sqrt(c // h)
        k, v = heads(self.conv_k(x)), heads(self.conv_v(x))

        pos = torch.arange(t, device=x.device)
        offset = pos[None, :] - pos[:, None] + w  # [query, key] -> index into the 2w+1 embeddings
        near = (offset >= 0) & (offset <= 2 * w)
        rel_logits = q @ self.emb_rel_k.transpose(1, 2)  # [b, h, t, 2w+1]
        rel_scores = rel_logits.gather(-1, offset.clamp(0, 2 * w).expand(b, h, t, t))
        scores = q @ k.transpose(2, 3) + torch.where(near, rel_scores, 0.0)
        pair_mask = mask.unsqueeze(2) * mask.unsqueeze(3)  # [b, 1, t, t]
        p = F.softmax(scores.masked_fill(pair_mask == 0, -1e4), dim=-1)

        # weight of offset r for query i is p[i, i + r - w], zero outside the sequence
        key = pos[:, None] + torch.arange(2 * w + 1, device=x.device)[None, :] - w  # [t, 2w+1]
        rel_p = p.gather(-1, key.clamp(0, t - 1).expand(b, h, t, 2 * w + 1))
        rel_p = torch.where((key >= 0) & (key < t), rel_p, 0.0)
        out = p @ v + rel_p @ self.emb_rel_v
        return self.conv_o(out.transpose(2, 3).reshape(b, c, t))


class FeedForward(nn.Module):
    def __init__(self, channels: int, filter_channels: int, kernel_size: int):
        super().__init__()
        self.conv_1 = nn.Conv1d(channels, filter_channels, kernel_size, padding=kernel_size // 2)
        self.conv_2 = nn.Conv1d(filter_channels, channels, kernel_size, padding=kernel_size // 2)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.conv_1(x * mask))
        return self.conv_2(x * mask) * mask


class EncoderLayer(nn.Module):
    """Post-norm transformer block."""

    def __init__(self, cfg: VitsConfig):
        super().__init__()
        self.attn = RelativeSelfAttention(cfg.hidden_channels, cfg.n_heads, cfg.window_size)
        self.norm_1 = LayerNorm(cfg.hidden_channels)
        self.ffn = FeedForward(cfg.hidden_channels, cfg.filter_channels, cfg.kernel_size)
        self.norm_2 = LayerNorm(cfg.hidden_channels)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.norm_1(x + self.attn(x, mask))
        return self.norm_2(x + self.ffn(x, mask))


class TextEncoder(nn.Module):
    """Phoneme ids -> hidden states and the prior's per-phoneme mean and log-scale."""

    def __init__(self, cfg: VitsConfig):
        super().__init__()
        self.inter_channels = cfg.inter_channels
        self.emb = nn.Embedding(cfg.n_vocab, cfg.hidden_channels)
        self.layers = nn.ModuleList(EncoderLayer(cfg) for _ in range(cfg.n_layers))
        self.proj = nn.Conv1d(cfg.hidden_channels, 2 * cfg.inter_channels, 1)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor):
        x = self.emb(ids).transpose(1, 2) * math.sqrt(self.emb.embedding_dim) * mask
        for layer in self.layers:
            x = layer(x, mask)
        x = x * mask
        m, logs = (self.proj(x) * mask).split(self.inter_channels, dim=1)
        return x, m, logs


# --- stochastic duration predictor ---------------------------------------------------------------

class DilatedDepthSeparableConv(nn.Module):
    """Residual stack of depthwise convs (dilation kernel**i) each followed by a 1x1 conv."""

    def __init__(self, channels: int, kernel_size: int, n_layers: int = 3):
        super().__init__()
        dilations = [kernel_size ** i for i in range(n_layers)]
        self.convs_sep = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, groups=channels, dilation=d, padding=d * (kernel_size - 1) // 2)
            for d in dilations)
        self.convs_1x1 = nn.ModuleList(nn.Conv1d(channels, channels, 1) for _ in dilations)
        self.norms_1 = nn.ModuleList(LayerNorm(channels) for _ in dilations)
        self.norms_2 = nn.ModuleList(LayerNorm(channels) for _ in dilations)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        if cond is not None:
            x = x + cond
        for sep, pointwise, norm_1, norm_2 in zip(self.convs_sep, self.convs_1x1, self.norms_1, self.norms_2):
            y = F.gelu(norm_1(sep(x * mask)))
            x = x + F.gelu(norm_2(pointwise(y)))
        return x * mask


def inverse_rational_quadratic_spline(y: torch.Tensor, width_logits: torch.Tensor, height_logits: torch.Tensor,
                                      derivative_logits: torch.Tensor, bound: float,
                                      min_bin: float = 1e-3, min_derivative: float = 1e-3) -> torch.Tensor:
    """x with spline(x) = y for a monotonic rational-quadratic spline on [-bound, bound] and the
    identity outside it (Durkan et al. 2019, "Neural Spline Flows", linear tails).

    y: [...]; width/height logits: [..., bins]; derivative logits: [..., bins - 1] (inner knots).
    """
    bins = width_logits.shape[-1]

    def knots(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        sizes = min_bin + (1 - min_bin * bins) * F.softmax(logits, dim=-1)
        edges = F.pad(torch.cumsum(sizes, dim=-1), (1, 0)) * (2 * bound) - bound
        edges[..., -1] = bound  # cumsum may miss 1 by an ulp
        return edges, edges[..., 1:] - edges[..., :-1]

    x_edges, widths = knots(width_logits)
    y_edges, heights = knots(height_logits)
    # end-knot logits chosen so the end derivatives are exactly 1: the spline meets the identity tails
    tail_logit = math.log(math.expm1(1 - min_derivative))
    derivatives = min_derivative + F.softplus(F.pad(derivative_logits, (1, 1), value=tail_logit))

    k = (torch.sum(y[..., None] >= y_edges, dim=-1) - 1).clamp(0, bins - 1)[..., None]

    def at_k(t: torch.Tensor) -> torch.Tensor:
        return t.gather(-1, k)[..., 0]

    x_k, w_k, y_k, h_k = at_k(x_edges), at_k(widths), at_k(y_edges), at_k(heights)
    d_k, d_k1 = at_k(derivatives), at_k(derivatives[..., 1:])
    slope = h_k / w_k
    dy = y - y_k
    bend = d_k + d_k1 - 2 * slope
    # solve a*theta^2 + b*theta + c = 0 for the position theta in bin k (the stable root)
    a = dy * bend + h_k * (slope - d_k)
    b = h_k * d_k - dy * bend
    c = -slope * dy
    theta = 2 * c / (-b - torch.sqrt((b * b - 4 * a * c).clamp_min(0)))
    inside = (y >= -bound) & (y <= bound)
    return torch.where(inside, theta * w_k + x_k, y)


class SplineCoupling(nn.Module):
    """Coupling flow on 2 channels: channel 1 goes through a spline whose knots are predicted from
    channel 0 and the text."""

    def __init__(self, channels: int, kernel_size: int, bins: int, tail_bound: float):
        super().__init__()
        self.bins, self.tail_bound, self.scale = bins, tail_bound, math.sqrt(channels)
        self.pre = nn.Conv1d(1, channels, 1)
        self.convs = DilatedDepthSeparableConv(channels, kernel_size)
        self.proj = nn.Conv1d(channels, 3 * self.bins - 1, 1)

    def reverse(self, z: torch.Tensor, mask: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        z0, z1 = z[:, :1], z[:, 1:]
        h = (self.proj(self.convs(self.pre(z0), mask, cond)) * mask).transpose(1, 2)  # [b, t, 3*bins-1]
        n = self.bins
        z1 = inverse_rational_quadratic_spline(z1[:, 0], h[..., :n] / self.scale, h[..., n:2 * n] / self.scale,
                                               h[..., 2 * n:], self.tail_bound)
        return torch.cat([z0, z1[:, None]], dim=1) * mask


class StochasticDurationPredictor(nn.Module):
    """Log-durations by running noise backwards through a text-conditioned normalizing flow.

    Under reduced precision the spline's quadratic solve leaves its valid range: run it in fp32.
    """

    def __init__(self, cfg: VitsConfig):
        super().__init__()
        ch = cfg.hidden_channels
        self.pre = nn.Conv1d(ch, ch, 1)
        self.convs = DilatedDepthSeparableConv(ch, cfg.dp_kernel_size)
        self.proj = nn.Conv1d(ch, ch, 1)
        self.spline_flows = nn.ModuleList(
            SplineCoupling(ch, cfg.dp_kernel_size, cfg.spline_bins, cfg.spline_tail_bound)
            for _ in range(cfg.dp_spline_flows))
        self.affine_m = nn.Parameter(torch.zeros(2, 1))
        self.affine_logs = nn.Parameter(torch.zeros(2, 1))

    def forward(self, x: torch.Tensor, mask: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """x: encoder states [b, c, t]; noise: [b, 2, t] already scaled by noise_w -> log-durations [b, 1, t]."""
        cond = self.proj(self.convs(self.pre(x), mask)) * mask
        z = noise
        for flow in reversed(self.spline_flows):  # each coupling was followed by a channel flip
            z = flow.reverse(z.flip(1), mask, cond)
        z = (z.flip(1) - self.affine_m) * torch.exp(-self.affine_logs) * mask
        return z[:, :1]


# --- flow ----------------------------------------------------------------------------------------

class WaveNet(nn.Module):
    """Non-causal WaveNet: gated dilated convs with residual and skip outputs."""

    def __init__(self, channels: int, kernel_size: int, n_layers: int, dilation_rate: int = 1):
        super().__init__()
        self.channels = channels
        self.in_layers = nn.ModuleList(
            nn.Conv1d(channels, 2 * channels, kernel_size, dilation=dilation_rate ** i,
                      padding=dilation_rate ** i * (kernel_size - 1) // 2)
            for i in range(n_layers))
        # the last layer only feeds the skip sum
        self.res_skip_layers = nn.ModuleList(
            nn.Conv1d(channels, (2 if i < n_layers - 1 else 1) * channels, 1) for i in range(n_layers))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        skip = torch.zeros_like(x)
        c = self.channels
        for in_layer, res_skip in zip(self.in_layers, self.res_skip_layers):
            h = in_layer(x)
            out = res_skip(torch.tanh(h[:, :c]) * torch.sigmoid(h[:, c:]))
            if out.shape[1] == 2 * c:
                x = (x + out[:, :c]) * mask
                skip = skip + out[:, c:]
            else:
                skip = skip + out
        return skip * mask


class ResidualCoupling(nn.Module):
    """Mean-only affine coupling: shifts the second half of the channels by a function of the first."""

    def __init__(self, cfg: VitsConfig):
        super().__init__()
        half = cfg.inter_channels // 2
        self.pre = nn.Conv1d(half, cfg.hidden_channels, 1)
        self.enc = WaveNet(cfg.hidden_channels, cfg.flow_kernel_size, cfg.flow_wavenet_layers)
        self.post = nn.Conv1d(cfg.hidden_channels, half, 1)

    def reverse(self, z: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        z0, z1 = z.chunk(2, dim=1)
        shift = self.post(self.enc(self.pre(z0) * mask, mask)) * mask
        return torch.cat([z0, (z1 - shift) * mask], dim=1)


class Flow(nn.Module):
    def __init__(self, cfg: VitsConfig):
        super().__init__()
        self.couplings = nn.ModuleList(ResidualCoupling(cfg) for _ in range(cfg.flow_couplings))

    def reverse(self, z: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        for coupling in reversed(self.couplings):  # each coupling was followed by a channel flip
            z = coupling.reverse(z.flip(1), mask)
        return z


# --- decoder -------------------------------------------------------------------------------------

class ResBlock(nn.Module):
    """HiFi-GAN's lighter "type 2" residual block: one dilated conv per dilation."""

    def __init__(self, channels: int, kernel_size: int, dilations: tuple[int, ...]):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, dilation=d, padding=d * (kernel_size - 1) // 2)
            for d in dilations)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        for conv in self.convs:
            x = x + conv(masked(F.leaky_relu(x, LRELU_SLOPE), mask))
        return masked(x, mask)


class Generator(nn.Module):
    """HiFi-GAN: latent frames -> waveform, upsampling by prod(upsample_rates)."""

    def __init__(self, cfg: VitsConfig):
        super().__init__()
        ch = cfg.decoder_widths
        self.rates = cfg.upsample_rates
        self.n_kernels = len(cfg.resblock_kernel_sizes)
        self.conv_pre = nn.Conv1d(cfg.inter_channels, ch[0], 7, padding=3)
        self.ups = nn.ModuleList(
            nn.ConvTranspose1d(ch[i], ch[i + 1], k, u, padding=(k - u) // 2)
            for i, (u, k) in enumerate(zip(cfg.upsample_rates, cfg.upsample_kernel_sizes)))
        self.resblocks = nn.ModuleList(
            ResBlock(ch[i + 1], k, d)
            for i in range(len(self.ups))
            for k, d in zip(cfg.resblock_kernel_sizes, cfg.resblock_dilation_sizes))
        self.conv_post = nn.Conv1d(ch[-1], 1, 7, padding=3, bias=False)

    def forward(self, z: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """z: [b, c, frames]; mask: [b, 1, frames] for padded batches, None for one item -> [b, 1, samples]."""
        x = self.conv_pre(z)
        for i, (up, rate) in enumerate(zip(self.ups, self.rates)):
            x = up(masked(F.leaky_relu(x, LRELU_SLOPE), mask))
            if mask is not None:
                mask = mask.repeat_interleave(rate, dim=2)
            blocks = self.resblocks[i * self.n_kernels:(i + 1) * self.n_kernels]
            x = sum(block(x, mask) for block in blocks) / self.n_kernels
        return torch.tanh(self.conv_post(masked(F.leaky_relu(x), mask)))  # default slope 0.01 here, as trained


# --- the whole voice -------------------------------------------------------------------------------

def batch_noise(channels: int, lengths: list[int], generators: list[torch.Generator] | None,
                device: torch.device, width: int | None = None) -> torch.Tensor:
    """Standard normal noise [b, channels, width or max(lengths)]. With one generator per item each
    item draws only its own length, so its noise does not depend on the rest of the batch."""
    width = width or max(lengths)
    if generators is None:
        return torch.randn(len(lengths), channels, width, device=device)
    noise = torch.zeros(len(lengths), channels, width, device=device)
    for i, (n, gen) in enumerate(zip(lengths, generators)):
        noise[i, :, :n] = torch.randn(channels, n, generator=gen, device=gen.device).to(device)
    return noise


@dataclass
class VitsOutput:
    audio: torch.Tensor  # [b, samples], valid up to audio_lengths
    audio_lengths: torch.Tensor  # [b]
    frames: torch.Tensor  # [b, ids]: latent frames given to each id (0 past its length)


class Vits(nn.Module):
    def __init__(self, cfg: VitsConfig):
        super().__init__()
        self.cfg = cfg
        self.enc_p = TextEncoder(cfg)
        self.dp = StochasticDurationPredictor(cfg)
        self.flow = Flow(cfg)
        self.dec = Generator(cfg)

    def log_durations(self, ids: torch.Tensor, x_mask: torch.Tensor, dp_noise: torch.Tensor):
        """Text side: the prior's mean and log-scale per phoneme, and log-durations. It runs in fp32
        even under autocast: it is a small share of the work, and a bf16 text encoder shifts the
        durations, so an utterance's length and timing would depend on the dtype."""
        with torch.autocast(ids.device.type, enabled=False):
            x, m_p, logs_p = self.enc_p(ids, x_mask)
            logw = self.dp(x, x_mask, dp_noise)
        return m_p, logs_p, logw

    def decode(self, z_p: torch.Tensor, y_mask: torch.Tensor, padded: bool) -> torch.Tensor:
        """Acoustic side: prior samples [b, c, frames] -> flow -> HiFi-GAN -> audio [b, samples]."""
        z = self.flow.reverse(z_p * y_mask, y_mask)
        return self.dec(z * y_mask, y_mask if padded else None)[:, 0]

    def infer(self, ids: torch.Tensor, lengths: torch.Tensor, noise_scale: float = 0.667,
              length_scale: float = 1.0, noise_w: float = 0.8,
              generators: list[torch.Generator] | None = None, frame_bucket: int = 1) -> VitsOutput:
        """ids: [b, t] padded phoneme ids; lengths: [b]. Under autocast the text side (encoder and
        duration predictor) still runs in fp32. generators: one per item for reproducible noise, or
        None for the global RNG.
        frame_bucket: pad the frame axis to a bucket size (`compiled.bucketed`: few shapes for torch.compile)."""
        device = ids.device
        x_mask = sequence_mask(lengths, ids.shape[1])
        text_lengths = lengths.tolist()
        dp_noise = (batch_noise(2, text_lengths, generators, device, ids.shape[1]) * noise_w if noise_w
                    else torch.zeros(ids.shape[0], 2, ids.shape[1], device=device))
        m_p, logs_p, logw = self.log_durations(ids, x_mask, dp_noise)
        frames = torch.ceil(torch.exp(logw.float()) * x_mask * length_scale)[:, 0]  # [b, t]

        frame_lengths = frames.sum(dim=1).clamp_min(1).long()
        n_frames = frame_lengths.tolist()
        width = bucketed(max(n_frames), frame_bucket)
        y_mask = sequence_mask(frame_lengths, width)
        # frame j belongs to the phoneme whose cumulative frame span [end_{i-1}, end_i) contains j
        ends = torch.cumsum(frames, dim=1)
        frame_pos = torch.arange(width, device=device, dtype=ends.dtype).expand(len(n_frames), -1)
        owner = torch.searchsorted(ends, frame_pos.contiguous(), right=True).clamp_max(ids.shape[1] - 1)
        owner = owner[:, None, :].expand(-1, m_p.shape[1], -1)
        m_p, logs_p = m_p.gather(2, owner), logs_p.gather(2, owner)

        z_p = m_p
        if noise_scale:
            noise = batch_noise(m_p.shape[1], n_frames, generators, device, width)
            z_p = m_p + noise * torch.exp(logs_p) * noise_scale
        audio = self.decode(z_p, y_mask, padded=ids.shape[0] > 1 or width > n_frames[0])
        return VitsOutput(audio, frame_lengths * self.cfg.hop_length, frames)
