"""Device and precision for the PyTorch voices, checked the same way for every voice."""
from __future__ import annotations

import warnings

import torch

from ..errors import EnunciateError

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16,
          "float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def torch_device(device: str | torch.device) -> torch.device:
    """"cpu" or "cuda[:N]", with a clear error for anything else or a CUDA that is not there."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        dev = None
    if dev is None or dev.type not in ("cpu", "cuda"):
        raise EnunciateError(f"unknown device {device!r}; available: cpu, cuda")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise EnunciateError("device 'cuda' was asked for but PyTorch sees no CUDA GPU; use device='cpu'")
    return dev


def torch_dtype(dtype: str | torch.dtype, device: torch.device) -> torch.dtype:
    """fp32 anywhere; bf16 anywhere (fast on CPUs with AVX-512 BF16 or AMX: 1.3-1.6x fp32 on a
    2-core EPYC, emulated and slower elsewhere); fp16 on CUDA only, as PyTorch's CPU fp16 kernels
    are very slow (Kokoro: 226 s for three sentences that take 9 s in fp32)."""
    if isinstance(dtype, torch.dtype):
        if dtype not in DTYPES.values():
            raise EnunciateError(f"unknown dtype {dtype}; available: {', '.join(DTYPES)}")
        name = next(k for k, v in DTYPES.items() if v == dtype)
    elif dtype in DTYPES:
        name = dtype
    else:
        raise EnunciateError(f"unknown dtype {dtype!r}; available: {', '.join(DTYPES)}")
    resolved = DTYPES[name]
    if device.type == "cpu" and resolved == torch.float16:
        raise EnunciateError("dtype 'fp16' needs device='cuda' (PyTorch's CPU fp16 kernels are very slow); "
                             "on the CPU use 'bf16' (fast with AVX-512 BF16 or AMX) or 'fp32'")
    if device.type == "cpu" and resolved == torch.bfloat16 and not _cpu_has_bf16():
        warnings.warn("bf16 on this CPU (no avx512_bf16 or amx_bf16) is emulated and likely slower than fp32",
                      stacklevel=3)
    return resolved


def _cpu_has_bf16() -> bool:
    from ..hardware import cpu_info

    isa = cpu_info()["isa"]
    return not isa or bool({"avx512_bf16", "amx_bf16"} & set(isa))  # no flags read (not Linux): do not guess


def stub_broken_torchaudio() -> None:
    """Put an empty `torchaudio` in sys.modules when the installed one does not load.

    PyPI torchaudio 2.11 fails beside torch 2.13 (its compiled library does not load). distillmos
    and transformers import it at import time but only use it for file I/O, which enunciate does not
    ask of them, so an empty module (with a spec, so importlib's checks pass) lets them import.
    """
    import importlib.machinery
    import sys
    import types

    try:
        import torchaudio  # noqa: F401
    except (ImportError, OSError):  # OSError: its .so does not load beside this torch
        for name in [n for n in sys.modules if n == "torchaudio" or n.startswith("torchaudio.")]:
            del sys.modules[name]
        stub = types.ModuleType("torchaudio")
        stub.__spec__ = importlib.machinery.ModuleSpec("torchaudio", None)
        sys.modules["torchaudio"] = stub


def import_transformers():
    """transformers, with a clear error when it is not installed."""
    stub_broken_torchaudio()
    try:
        import transformers
    except ImportError as e:
        raise EnunciateError("SpeechT5 voices need transformers: pip install 'enunciate[speecht5]'") from e
    return transformers
