"""DNSMOS P.835 in PyTorch: the speechmos wheel's `sig_bak_ovr.onnx`, its weights read from the file.

The ONNX graph is small and plain: 9.01 s of 16 kHz audio cut into 900 frames of 320 samples (hop
160), a learned 161-bin "STFT" (two 1x1 convolutions), log10 power, seven 3x3 convolutions with
three 2x2 max-pools, a global max, three dense layers -> raw SIG, BAK, OVRL; speechmos then maps
each through a fixed polynomial. Here the same arithmetic runs in torch, so the score has a
gradient with respect to the audio (a training loss can listen with it) while `enunciate eval`
keeps using the ONNX file itself. One difference: the power is re^2 + im^2, where the graph takes
sqrt and squares again, whose gradient is 0/0 on silent frames. It agrees with ONNX Runtime to
1e-4 (tests/test_dnsmos_torch.py).
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

RATE = 16000
WINDOW = 144160            # 9.01 s, the model's fixed input
HOP_S = 1                  # longer clips: windows 1 s apart, scores averaged (as speechmos does)
FRAMES, SHIFT = 900, 160
POWER_FLOOR = 1e-12
# speechmos's non-personalized polynomials (highest power first), raw model output -> MOS
POLYNOMIALS = {"sig": (-0.08397278, 1.22083953, 0.0052439),
               "bak": (-0.13166888, 1.60915514, -0.39604546),
               "ovrl": (-0.06766283, 1.11546468, 0.04602535)}
CONVS = ("conv2d", "conv2d_1", "conv2d_2", "conv2d_3", "conv2d_4", "conv2d_5", "conv2d_6")
POOL_AFTER = {"conv2d_3", "conv2d_4", "conv2d_5"}
DENSES = ("dense", "dense_1", "dense_3")


def model_path() -> Path:
    from speechmos import dnsmos

    return Path(dnsmos.__file__).parent / "dnsmos_models" / "sig_bak_ovr.onnx"


def _weights(path: Path) -> dict:
    import onnx
    from onnx import numpy_helper

    return {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}


@functools.cache
def _module_class():
    import torch
    import torch.nn.functional as F

    class DnsmosP835(torch.nn.Module):
        """[N, 144160] at 16 kHz -> [N, 3] MOS (sig, bak, ovrl), as speechmos scores one window."""

        def __init__(self, weights: dict):
            super().__init__()

            def buffer(name, array):
                self.register_buffer(name, torch.from_numpy(array.copy()).float())

            buffer("stft_real", weights["time2freq/stft-real/kernel:0"][:, :, 0])   # [161, 320]
            buffer("stft_imag", weights["time2freq/stft-imag/kernel:0"][:, :, 0])
            for name in CONVS:
                buffer(name + "_w", weights[f"{name}/kernel:0"])
                buffer(name + "_b", weights[f"{name}/bias:0"])
            for name in DENSES:
                prefix = f"mos_estimator_logpow/{name}/"
                buffer(name + "_w", weights[prefix + "MatMul/ReadVariableOp/resource:0"])
                buffer(name + "_b", weights[prefix + "BiasAdd/ReadVariableOp/resource:0"])
            buffer("poly", np.array([POLYNOMIALS[k] for k in ("sig", "bak", "ovrl")]))

        def raw(self, audio):
            n = audio.shape[0]
            frames = torch.cat([audio[:, :FRAMES * SHIFT].reshape(n, FRAMES, SHIFT),
                                audio[:, SHIFT:SHIFT + FRAMES * SHIFT].reshape(n, FRAMES, SHIFT)], dim=2)
            power = (frames @ self.stft_real.T).square() + (frames @ self.stft_imag.T).square()
            x = torch.log10(power.clamp(min=POWER_FLOOR)).unsqueeze(1)        # [N, 1, 900, 161]
            for name in CONVS:
                x = F.relu(F.conv2d(x, getattr(self, name + "_w"), getattr(self, name + "_b"), padding=1))
                if name in POOL_AFTER:
                    x = F.max_pool2d(x, 2)
            x = x.amax(dim=(2, 3))
            for i, name in enumerate(DENSES):
                x = x @ getattr(self, name + "_w") + getattr(self, name + "_b")
                if i < len(DENSES) - 1:
                    x = F.relu(x)
            return x

        def forward(self, audio):
            raw = self.raw(audio)
            a, b, c = self.poly.unbind(1)
            return a * raw.square() + b * raw + c

    return DnsmosP835


@functools.lru_cache(maxsize=1)
def load_dnsmos_torch():
    """The P.835 model in torch (CPU, eval mode, weights frozen), loaded once from the speechmos wheel."""
    model = _module_class()(_weights(model_path())).eval()
    for p in model.buffers():
        p.requires_grad_(False)
    return model


def windows(audio16k):
    """[samples] -> [W, 144160]: the clip looped up to 9.01 s if shorter, then windows 1 s apart,
    as speechmos cuts it."""
    import torch

    x = audio16k
    while x.shape[-1] < WINDOW:
        x = torch.cat([x, x])
    count = int(x.shape[-1] // RATE - WINDOW / RATE) + 1
    return torch.stack([x[i * HOP_S * RATE:i * HOP_S * RATE + WINDOW] for i in range(count)])


def dnsmos_batch(clips: list, model=None):
    """[B, 3] DNSMOS (sig, bak, ovrl) of each 16 kHz waveform in `clips`, with their gradient: every
    clip's windows run as one batch, each clip's scores the mean over its windows, as speechmos
    reports them."""
    import torch

    model = model if model is not None else load_dnsmos_torch()
    cut = [windows(x) for x in clips]
    scores = model(torch.cat(cut))
    return torch.stack([part.mean(0) for part in scores.split([len(c) for c in cut])])


def dnsmos_torch(audio16k, model=None):
    """DNSMOS {sig, bak, ovrl} of one 16 kHz waveform as 0-d tensors with their gradient."""
    return dict(zip(("sig", "bak", "ovrl"), dnsmos_batch([audio16k], model)[0].unbind(0)))
