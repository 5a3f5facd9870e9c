"""Kokoro's decoder: AdaIN residual blocks, then an iSTFTNet generator driven by a harmonic source.

Deterministic, like the exported graph: the Apache-2.0 source adds a random initial phase and
noise to the harmonic source; the ONNX export (and so this module) has neither.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .modules import AdaIN1d, AdainResBlk1d, length_mask, masked

SAMPLE_RATE = 24000


def _padding(kernel_size: int, dilation: int = 1) -> int:
    return (kernel_size * dilation - dilation) // 2


def _adain_snake(norm: AdaIN1d, alpha: torch.Tensor, x: torch.Tensor, s: torch.Tensor,
                 mask: torch.Tensor | None) -> torch.Tensor:
    """Snake(AdaIN(x)) = y + sin(alpha y)^2 / alpha, y = x * scale + shift, in few passes over x:
    elementwise passes over the long high-rate tensors dominate CPU time after the convolutions."""
    scale, shift = norm.coefficients(x, s, mask)
    y = torch.addcmul(shift, x, scale)
    t = torch.addcmul(shift * alpha, x, scale * alpha).sin_().square_()
    return masked(y.addcmul_(t, 1 / alpha), mask)


class AdaINResBlock1(nn.Module):
    """HiFi-GAN residual block with AdaIN and Snake activations (three dilations)."""

    def __init__(self, channels: int, kernel_size: int, dilations: tuple[int, ...], style_dim: int):
        super().__init__()
        self.convs1 = nn.ModuleList([nn.Conv1d(channels, channels, kernel_size, 1, _padding(kernel_size, d), d)
                                     for d in dilations])
        self.convs2 = nn.ModuleList([nn.Conv1d(channels, channels, kernel_size, 1, _padding(kernel_size))
                                     for _ in dilations])
        self.adain1 = nn.ModuleList([AdaIN1d(style_dim, channels) for _ in dilations])
        self.adain2 = nn.ModuleList([AdaIN1d(style_dim, channels) for _ in dilations])
        self.alpha1 = nn.ParameterList([nn.Parameter(torch.ones(1, channels, 1)) for _ in dilations])
        self.alpha2 = nn.ParameterList([nn.Parameter(torch.ones(1, channels, 1)) for _ in dilations])

    def forward(self, x: torch.Tensor, s: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        for c1, c2, n1, n2, a1, a2 in zip(self.convs1, self.convs2, self.adain1, self.adain2,
                                          self.alpha1, self.alpha2):
            h = c1(_adain_snake(n1, a1, x, s, mask))
            h = c2(_adain_snake(n2, a2, h, s, mask))
            x = x + masked(h, mask)
        return x


class SourceModule(nn.Module):
    """F0 (B, frames) -> harmonic excitation (B, frames * upsample): 9 sines merged by a linear layer.

    Unvoiced samples (F0 <= 10 Hz) get no sine; only tanh(bias) remains there.
    """

    def __init__(self, upsample: int, harmonics: int = 9, sine_amp: float = 0.1, voiced_threshold: float = 10):
        super().__init__()
        self.upsample, self.sine_amp, self.voiced_threshold = upsample, sine_amp, voiced_threshold
        self.register_buffer("harmonic", torch.arange(1, harmonics + 1, dtype=torch.float32)[None, :, None],
                             persistent=False)
        self.l_linear = nn.Linear(harmonics, 1)

    def forward(self, f0: torch.Tensor, frames: torch.Tensor) -> torch.Tensor:
        up = self.upsample
        f0_up = f0[:, None].repeat_interleave(up, -1)  # nearest, (B, 1, N)
        # The phase advance per sample, integrated per frame and interpolated back: cheap and smooth.
        # The reference model downsamples the nearest-upsampled advance linearly by 1/up, which reads
        # two samples of the same frame: that is the frame's own value, computed here per frame.
        # (interpolate(scale_factor=1/up) also made inductor's CUDA kernels assert: it derives the
        # length as trunc(0.00333333333333333 * 300 * n), one short.)
        rad = (f0[:, None] * self.harmonic / SAMPLE_RATE) % 1
        phase = torch.cumsum(rad, -1) * (2 * math.pi * up)
        # Linear upsampling reads one frame past the end: repeat each item's last real frame there,
        # as a lone item's edge clamp would.
        last = (frames - 1).clamp(min=0)[:, None, None]
        index = torch.minimum(torch.arange(phase.shape[-1], device=f0.device)[None, None, :], last)
        phase = phase.gather(-1, index.expand_as(phase))
        sines = torch.sin(F.interpolate(phase, scale_factor=up, mode="linear")) * self.sine_amp
        sines = sines * (f0_up > self.voiced_threshold)
        return torch.tanh(self.l_linear(sines.transpose(1, 2)))[..., 0]


def stft_mag_phase(x: torch.Tensor, lengths: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    """|STFT| and phase (B, n_fft + 2, frames) of a padded batch, reflect-padding each item at its
    own end (torch.stft(center=True) would reflect the batch padding instead)."""
    pad = n_fft // 2
    t = torch.arange(x.shape[-1] + 2 * pad, device=x.device)[None, :] - pad
    n = lengths[:, None]
    index = torch.where(t < 0, -t, torch.where(t >= n, 2 * (n - 1) - t, t)).clamp(0, x.shape[-1] - 1)
    window = torch.hann_window(n_fft, device=x.device, dtype=x.dtype)
    spec = torch.stft(x.gather(-1, index), n_fft, hop, window=window, center=False, return_complex=True)
    return torch.cat([spec.abs(), _phase(spec.real, spec.imag)], 1)


def _phase(re: torch.Tensor, im: torch.Tensor) -> torch.Tensor:
    """atan2 with an imaginary part of exactly 0 (the DC and Nyquist bins, always) giving +pi for a
    negative real part, whatever the zero's sign. torch.atan2 follows the sign bit, which rounding
    sets differently in a batch. The graph's own STFT leaves noise there, mostly positive in the DC
    bin, so +pi matches it best (-pi, its formula's answer for an exact 0, doubles the log-mel
    distance to it). 0/0 gives 0, not NaN."""
    base = torch.atan(im / re)
    phase = torch.where(re < 0, torch.where(im >= 0, base + math.pi, base - math.pi), base)
    return torch.nan_to_num(phase, nan=0.0)


class Generator(nn.Module):
    """iSTFTNet: upsample (conv-transpose + AdaIN blocks, with the harmonic source's spectrum
    injected at each scale) to STFT frames, predict magnitude and phase, inverse STFT."""

    def __init__(self, style_dim: int, resblock_kernel_sizes, upsample_rates, upsample_initial_channel: int,
                 resblock_dilation_sizes, upsample_kernel_sizes, gen_istft_n_fft: int, gen_istft_hop_size: int):
        super().__init__()
        self.n_fft, self.hop = gen_istft_n_fft, gen_istft_hop_size
        self.upsample_rates = list(upsample_rates)
        self.num_kernels = len(resblock_kernel_sizes)
        self.m_source = SourceModule(math.prod(upsample_rates) * gen_istft_hop_size)
        self.ups, self.resblocks = nn.ModuleList(), nn.ModuleList()
        self.noise_convs, self.noise_res = nn.ModuleList(), nn.ModuleList()
        for i, (u, k) in enumerate(zip(upsample_rates, upsample_kernel_sizes)):
            ch = upsample_initial_channel // 2 ** (i + 1)
            self.ups.append(nn.ConvTranspose1d(2 * ch, ch, k, u, padding=(k - u) // 2))
            for rk, rd in zip(resblock_kernel_sizes, resblock_dilation_sizes):
                self.resblocks.append(AdaINResBlock1(ch, rk, rd, style_dim))
            if i + 1 < len(upsample_rates):
                stride = math.prod(upsample_rates[i + 1:])
                self.noise_convs.append(nn.Conv1d(self.n_fft + 2, ch, stride * 2, stride, (stride + 1) // 2))
                self.noise_res.append(AdaINResBlock1(ch, 7, (1, 3, 5), style_dim))
            else:
                self.noise_convs.append(nn.Conv1d(self.n_fft + 2, ch, 1))
                self.noise_res.append(AdaINResBlock1(ch, 11, (1, 3, 5), style_dim))
        self.conv_post = nn.Conv1d(ch, self.n_fft + 2, 7, 1, padding=3)
        # the export's inverse-DFT basis (window folded in), applied as a transposed convolution
        self.register_buffer("istft_inverse_basis", torch.zeros(self.n_fft + 2, 1, self.n_fft))

    def forward(self, x: torch.Tensor, s: torch.Tensor, f0: torch.Tensor, frames: torch.Tensor) -> torch.Tensor:
        """x (B, C, T2), F0 (B, T2), frames (B,) real T2 per item -> audio (B, T2 * 300)."""
        source = self.m_source(f0.float(), frames)  # float32 whatever the dtype: phases need it
        har_frames = frames * math.prod(self.upsample_rates) + 1
        har = stft_mag_phase(source, frames * self.m_source.upsample, self.n_fft, self.hop)
        har = masked(har, length_mask(har_frames, har.shape[-1])).to(x.dtype)
        scale = 1
        for i, up in enumerate(self.upsample_rates):
            scale *= up
            x = self.ups[i](F.leaky_relu(x, 0.1))
            last = i == len(self.upsample_rates) - 1
            if last:
                x = F.pad(x, (1, 0), mode="reflect")
            # Each scale's mask comes from the lengths (the last scale gains the reflected sample):
            # upsampling the mask instead trips an inductor bug under torch.compile.
            mask = length_mask(frames * scale + last, x.shape[-1], x.dtype)
            x = masked(x, mask)
            x = x + self.noise_res[i](masked(self.noise_convs[i](har), mask), s, mask)
            blocks = self.resblocks[i * self.num_kernels:(i + 1) * self.num_kernels]
            x = sum(block(x, s, mask) for block in blocks) / self.num_kernels
        x = self.conv_post(F.leaky_relu(x, 0.01).to(self.conv_post.weight.dtype)).float()
        magnitude = masked(torch.exp(x[:, :self.n_fft // 2 + 1]), mask)  # exp(0) = 1: mask after exp
        return self.inverse_stft(magnitude, torch.sin(x[:, self.n_fft // 2 + 1:]))

    def inverse_stft(self, magnitude: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
        """Overlap-add with the export's basis and scaling, as ORT runs it. The exported window
        normalisation was traced with one frame and covers only the first n_fft samples, so ORT's
        inverse STFT has 1.5x the gain of torch.istft: this keeps ORT's loudness. (That stray
        normalisation of ORT's first 10 output samples, 0.4 ms of near-silence, is left out.)"""
        spec = torch.cat([magnitude * torch.cos(phase), magnitude * torch.sin(phase)], 1)
        audio = F.conv_transpose1d(spec, self.istft_inverse_basis, stride=self.hop)[:, 0]
        audio = audio * (self.n_fft / self.hop)
        return audio[:, self.n_fft // 2:-(self.n_fft // 2)]


class Decoder(nn.Module):
    """Aligned text features + F0 + energy + style -> 24 kHz audio."""

    def __init__(self, dim_in: int, style_dim: int, istftnet: dict):
        super().__init__()
        self.encode = AdainResBlk1d(dim_in + 2, 1024, style_dim)
        self.decode = nn.ModuleList([AdainResBlk1d(1024 + 2 + 64, 1024, style_dim) for _ in range(3)])
        self.decode.append(AdainResBlk1d(1024 + 2 + 64, 512, style_dim, upsample=True))
        self.F0_conv = nn.Conv1d(1, 1, 3, 2, 1)
        self.N_conv = nn.Conv1d(1, 1, 3, 2, 1)
        self.asr_res = nn.Sequential(nn.Conv1d(512, 64, 1))
        self.generator = Generator(style_dim, **istftnet)

    def forward(self, asr: torch.Tensor, f0: torch.Tensor, energy: torch.Tensor, s: torch.Tensor,
                frames: torch.Tensor) -> torch.Tensor:
        """asr (B, C, F), f0 / energy (B, 2F), frames (B,) real F per item -> audio (B, 600 F)."""
        mask = length_mask(frames, asr.shape[-1], asr.dtype)
        f0_down = masked(self.F0_conv(f0[:, None]), mask)
        energy_down = masked(self.N_conv(energy[:, None]), mask)
        x = self.encode(torch.cat([asr, f0_down, energy_down], 1), s, mask)
        asr_res = masked(self.asr_res(asr), mask)
        for block in self.decode:
            x = block(torch.cat([x, asr_res, f0_down, energy_down], 1), s, mask)
        return self.generator(x, s, f0, frames * 2)
