"""HiFi-GAN's discriminators and the least-squares adversarial losses that VITS training uses.

They are not part of a Piper ONNX file, so fine-tuning builds them from scratch
(`train/vits.py`): multi-period (periods 2, 3, 5, 7, 11, as VITS and HiFi-GAN) and multi-scale
(raw, x2 and x4 average-pooled audio, as HiFi-GAN; VITS itself uses one scale).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm, weight_norm

from ..voices.vits.model import LRELU_SLOPE


def _scaled(channels: int, width: float) -> int:
    return max(1, int(round(channels * width)))


def _score(convs: nn.ModuleList, conv_post: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """A discriminator's convolutions, each followed by a leaky ReLU, then its output convolution:
    (the flattened scores, every layer's output as a feature map for the feature-matching loss)."""
    features = []
    for conv in convs:
        x = F.leaky_relu(conv(x), LRELU_SLOPE)
        features.append(x)
    x = conv_post(x)
    features.append(x)
    return x.flatten(1), features


class PeriodDiscriminator(nn.Module):
    """HiFi-GAN's period discriminator: audio folded into [t / p, p] and read by 2-D convolutions."""

    def __init__(self, period: int, width: float = 1.0):
        super().__init__()
        self.period = period
        sizes = [1, *(_scaled(c, width) for c in (32, 128, 512, 1024, 1024))]
        self.convs = nn.ModuleList(
            weight_norm(nn.Conv2d(a, b, (5, 1), (3 if i < 4 else 1, 1), padding=(2, 0)))
            for i, (a, b) in enumerate(zip(sizes, sizes[1:])))
        self.conv_post = weight_norm(nn.Conv2d(sizes[-1], 1, (3, 1), 1, padding=(1, 0)))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        b, c, t = x.shape
        if t % self.period:
            pad = self.period - t % self.period
            x = F.pad(x, (0, pad), "reflect")
            t += pad
        return _score(self.convs, self.conv_post, x.view(b, c, t // self.period, self.period))


class ScaleDiscriminator(nn.Module):
    """HiFi-GAN's scale discriminator: strided, grouped 1-D convolutions over the waveform."""

    LAYERS = ((16, 15, 1, 1), (64, 41, 4, 4), (256, 41, 4, 16), (1024, 41, 4, 64), (1024, 41, 4, 256),
              (1024, 5, 1, 1))  # (channels, kernel, stride, groups)

    def __init__(self, width: float = 1.0, spectral: bool = False):
        super().__init__()
        norm = spectral_norm if spectral else weight_norm
        convs, channels = [], 1
        for out, kernel, stride, groups in self.LAYERS:
            out = _scaled(out, width)
            groups = math.gcd(math.gcd(channels, out), groups)
            convs.append(norm(nn.Conv1d(channels, out, kernel, stride, groups=groups, padding=kernel // 2)))
            channels = out
        self.convs = nn.ModuleList(convs)
        self.conv_post = norm(nn.Conv1d(channels, 1, 3, 1, padding=1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        return _score(self.convs, self.conv_post, x)


class Discriminators(nn.Module):
    """Multi-scale (HiFi-GAN: the first on raw audio with spectral norm, then x2 and x4 pooled) and
    multi-period discriminators, all from scratch; width scales their channels (1.0 as published)."""

    def __init__(self, periods: tuple[int, ...] = (2, 3, 5, 7, 11), scales: int = 3, width: float = 1.0):
        super().__init__()
        self.scales = nn.ModuleList(ScaleDiscriminator(width, spectral=i == 0) for i in range(scales))
        self.pool = nn.AvgPool1d(4, 2, padding=2)
        self.periods = nn.ModuleList(PeriodDiscriminator(p, width) for p in periods)

    def forward(self, audio: torch.Tensor) -> tuple[list[torch.Tensor], list[list[torch.Tensor]]]:
        """audio [b, 1, samples] -> (a score tensor per discriminator, their feature maps)."""
        scores, features = [], []
        x = audio
        for i, disc in enumerate(self.scales):
            if i:
                x = self.pool(x)
            score, fmap = disc(x)
            scores.append(score)
            features.append(fmap)
        for disc in self.periods:
            score, fmap = disc(audio)
            scores.append(score)
            features.append(fmap)
        return scores, features


def discriminator_loss(real: list[torch.Tensor], fake: list[torch.Tensor]) -> torch.Tensor:
    return sum(torch.mean((1 - r) ** 2) + torch.mean(f ** 2) for r, f in zip(real, fake))


def generator_loss(fake: list[torch.Tensor]) -> torch.Tensor:
    return sum(torch.mean((1 - f) ** 2) for f in fake)


def feature_loss(real: list[list[torch.Tensor]], fake: list[list[torch.Tensor]]) -> torch.Tensor:
    return sum(torch.mean(torch.abs(r.detach() - g)) for rs, gs in zip(real, fake) for r, g in zip(rs, gs))
