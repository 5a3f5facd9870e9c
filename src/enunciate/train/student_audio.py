"""A loss that listens: heart's DSP in torch, so a student's frames can be judged by the sound they make.

heart's waveform is one inverse STFT (n_fft 1200, hop 300, periodic Hann, 24 kHz) of

    S = exp(lh) e^{i pi tanh(theta)} STFT(pulses(f0)) + exp(ln) Z + exp(lr) e^{i phi}

(`enunciate.voices.hibari_dsp`). Here S and its inverse STFT are torch operations, differentiable in
the five spectral parts. The pulse train's spectrum and the noise Z are the same for the student's
frames and the teacher's (the teacher's F0, one noise draw per step): the two waveforms differ only
by what the student's spectral parts change, and the multi-resolution STFT loss between them
(spectral convergence and log-magnitude L1 at three resolutions, as Parallel WaveGAN's) counts
those differences as they sound: across frames, with the branches adding up, at resolutions finer
and coarser than the frames'.
"""
from __future__ import annotations

import numpy as np

from .teacher_frames import BINS, F0_SCALE

RESOLUTIONS = ((512, 128), (1024, 256), (2048, 512))   # (n_fft, hop) of the loss's STFTs, in 24 kHz samples
MAX_LOG = 7.0                                         # heart's DSP clamps exp() here


def excitation(f0_hz: np.ndarray) -> np.ndarray:
    """STFT of heart's band-limited pulse train for an F0 curve ([frames] Hz): complex64 [601, frames]."""
    from hibari.dsp import pulses

    from ..voices.hibari_dsp import stft

    return stft(pulses(np.asarray(f0_hz, np.float32)), len(f0_hz))


def render(frames, pulse_spectrum, noise, window):
    """Waveform [samples] of frames [T, 3006] (the network's layout) through heart's spectrum model."""
    import torch

    lh, th, ln, lr, phi = (frames[:, i * BINS:(i + 1) * BINS].T for i in range(5))

    def magnitude(x):
        return torch.exp(torch.clamp(x, max=MAX_LOG))

    spec = (torch.polar(magnitude(lh), torch.pi * torch.tanh(th)) * pulse_spectrum
            + magnitude(ln) * noise + torch.polar(magnitude(lr), phi))
    n_fft = 2 * (BINS - 1)
    return torch.istft(spec, n_fft, n_fft // 4, window=window, center=True, length=spec.shape[1] * (n_fft // 4))


def mrstft_loss(x, y, eps: float = 1e-5):
    """Multi-resolution STFT loss of waveform x against y ([samples] each): per resolution, spectral
    convergence (|| |Y| - |X| ||_F / || |Y| ||_F) plus the mean absolute log-magnitude difference."""
    import torch

    total = x.new_zeros(())
    for n_fft, hop in RESOLUTIONS:
        window = torch.hann_window(n_fft, device=x.device)
        mx = torch.stft(x, n_fft, hop, window=window, return_complex=True).abs()
        my = torch.stft(y, n_fft, hop, window=window, return_complex=True).abs()
        total = total + torch.linalg.norm(my - mx) / torch.linalg.norm(my).clamp(min=eps)
        total = total + (torch.log(mx + eps) - torch.log(my + eps)).abs().mean()
    return total / len(RESOLUTIONS)


class SpectralLoss:
    """The loss of a batch's scored frames, rendered as heart's DSP would say them."""

    def __init__(self, device):
        import torch

        from hibari.dsp import WIN

        self.window = torch.from_numpy(WIN).to(device)
        self.device = device

    def pairs(self, pred, target, spans, rng: np.random.Generator) -> list:
        """pred, target [B, W, 3006] (F0 in units of 100 Hz); spans: each item's scored frames
        (start, stop) in W. Per item (the student's waveform, heart's waveform), with the same pulses
        and noise; heart's without a gradient."""
        import torch

        from ..voices.hibari_dsp import complex_gaussian

        out = []
        for b, (start, stop) in enumerate(spans):
            t = target[b, start:stop]
            f0 = t[:, -1].detach().cpu().numpy() * F0_SCALE
            pulse = torch.from_numpy(excitation(f0)).to(self.device)
            noise = torch.from_numpy(complex_gaussian(rng, (BINS, stop - start))).to(self.device)
            with torch.no_grad():
                heard = render(t, pulse, noise, self.window)
            out.append((render(pred[b, start:stop], pulse, noise, self.window), heard))
        return out

    @staticmethod
    def loss(pairs):
        """The mean of the items' multi-resolution STFT losses, over `pairs` as `pairs()` gives them."""
        import torch

        return torch.stack([mrstft_loss(x, y) for x, y in pairs]).mean()
