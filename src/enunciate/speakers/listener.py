"""Differentiable listeners: DistillMOS and DNSMOS P.835, for losses that raise predicted quality.

`enunciate clone --mos-weight W` subtracts W times the DistillMOS of the fit's renderings from the
loss. DistillMOS (the `distillmos` wheel) is a PyTorch model, so its score has a gradient with
respect to the audio, and so with respect to the style; its own weights stay frozen.
`enunciate train student --mos-weight W --listener dnsmos` listens with DNSMOS instead, so that
DistillMOS, which the loss never heard, can judge the result.
"""
from __future__ import annotations

import copy
import sys


class Listener:
    """DistillMOS as a differentiable listener: the wheel's model with its own weights frozen, run with
    a spectral magnitude whose gradient is finite. The model computes |X| as sqrt(re^2 + im^2), whose
    gradient is 0/0 on the exact zeros it pads a short clip with, and one NaN spoils the whole step;
    here |X| is sqrt(re^2 + im^2 + 1e-12), which changes nothing above -120 dB. The swap lasts only
    for the call (distillmos looks the function up in its module at each forward)."""

    def __init__(self, device):
        from ..evaluate.mos import load_distillmos

        model = load_distillmos()
        if str(device) != "cpu":
            model = copy.deepcopy(model).to(device)
        for p in model.parameters():
            p.requires_grad_(False)
        self.model, self.module = model, sys.modules[type(model).__module__]

    @staticmethod
    def _compressed(x, hop_length, win_length):
        import torch
        import torch.nn.functional as F

        side = (win_length - hop_length) // 2
        x = F.pad(x, (side, side), mode="reflect")
        spec = torch.view_as_real(torch.stft(x, n_fft=win_length, hop_length=hop_length, win_length=win_length,
                                             center=False, return_complex=True,
                                             window=torch.hann_window(win_length, device=x.device)))
        magnitude = (spec.square().sum(dim=-1, keepdim=True) + 1e-12).sqrt()
        return magnitude ** 0.3 * spec / magnitude

    def __call__(self, audio16k):
        original = self.module._complex_compressed
        self.module._complex_compressed = self._compressed
        try:
            return self.model(audio16k)
        finally:
            self.module._complex_compressed = original

    def score(self, audio, rate: int):
        """DistillMOS of one waveform ([samples] at `rate`), resampled to the model's 16 kHz, as a
        0-d tensor with its gradient."""
        from .ge2e import resample_torch

        return self(resample_torch(audio, rate, 16000)[None]).mean()

    def batch(self, audio16k: list):
        """DistillMOS of each 16 kHz waveform in the list, [B] (each clip on its own: their lengths differ)."""
        import torch

        return torch.stack([self(x[None]).mean() for x in audio16k])


class DnsmosListener:
    """DNSMOS P.835's OVRL as a differentiable listener (evaluate/dnsmos_torch.py: the speechmos wheel's
    ONNX weights run in torch), with DistillMOS's interface. A loss that listens with one model can be
    judged by the other, which never heard it."""

    def __init__(self, device):
        from ..evaluate.dnsmos_torch import load_dnsmos_torch

        self.model = load_dnsmos_torch()
        if str(device) != "cpu":
            self.model = copy.deepcopy(self.model).to(device)

    def batch(self, audio16k: list):
        """OVRL of each 16 kHz waveform in the list, [B]: every clip's 9.01 s windows run as one batch."""
        from ..evaluate.dnsmos_torch import dnsmos_batch

        return dnsmos_batch(audio16k, self.model)[:, 2]

    def score(self, audio, rate: int):
        """OVRL of one waveform ([samples] at `rate`), as a 0-d tensor with its gradient."""
        from .ge2e import resample_torch

        return self.batch([resample_torch(audio, rate, 16000)])[0]


LISTENERS = {"distillmos": Listener, "dnsmos": DnsmosListener}


def listener(name: str, device):
    """The named listener ("distillmos" or "dnsmos") on `device`."""
    from ..errors import EnunciateError

    if name not in LISTENERS:
        raise EnunciateError(f"unknown listener {name!r}: choose one of {', '.join(LISTENERS)}")
    return LISTENERS[name](device)
