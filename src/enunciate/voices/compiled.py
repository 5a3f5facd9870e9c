"""torch.compile for the PyTorch voices: padded to length buckets, so a few fixed shapes are
compiled once each and, on a GPU, replayed as CUDA graphs.

Each item of a padded batch is masked to its own length, so padding a batch further (to the next
bucket) changes no item's audio; it only bounds how many shapes the compiler ever sees.
"""
from __future__ import annotations

from typing import Callable

import torch

# Lengths are padded to multiples of these when compiling (a few shapes for a whole document).
TOKEN_BUCKET = 16
FRAME_BUCKET = 64
RECOMPILE_LIMIT = 64  # distinct (batch, bucket) shapes kept per compiled function


def bucketed(n: int, bucket: int) -> int:
    """n rounded up to a multiple of bucket (bucket 1: n itself)."""
    return -(-n // bucket) * bucket


def compiled(fn: Callable, device: torch.device) -> Callable:
    """`fn` compiled for fixed shapes; on CUDA as CUDA graphs (mode "reduce-overhead"), which
    removes the kernel-launch cost that bounds small batches on a GPU."""
    import torch._dynamo

    config = torch._dynamo.config
    for name in ("recompile_limit", "cache_size_limit"):  # renamed across torch versions
        if hasattr(config, name):
            setattr(config, name, max(getattr(config, name), RECOMPILE_LIMIT))
    mode = "reduce-overhead" if device.type == "cuda" else None
    return torch.compile(fn, dynamic=False, mode=mode)


def begin_step(device: torch.device) -> None:
    """Mark a new call: CUDA-graph outputs of the previous one may then be overwritten (each
    synthesis copies its audio off the device before returning)."""
    if device.type == "cuda":
        torch.compiler.cudagraph_mark_step_begin()
