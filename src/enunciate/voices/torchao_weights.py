"""Weight-only quantization of a recovered Piper voice by torchao, as a voice folder's transform
(options.torch_transform "weight-only-int8" or "weight-only-int4"), applied when the folder loads.

torchao's weight-only tensors implement `linear` and not `convolution` (Int8Tensor raises
NotImplementedError on aten.convolution), so what they reach in Piper's VITS are its 69 pointwise
(1x1) Conv1d, rewritten as nn.Linear first (torch_transforms.Pointwise): 2.67 M of its 15.65 M
parameters, in the text encoder, duration predictor and flow. int8 (per-row scales) runs on the CPU
and on CUDA; int4 (tinygemm groups) needs a CUDA GPU and torchao's CUDA kernels. As with the dynamic
int8 variants, the folder keeps the fp32 ONNX file the transform starts from and a safetensors
record of the quantized values, checked bit for bit at load, so what runs is what was measured and
no pickle is loaded.
"""
from __future__ import annotations

import contextlib
import logging
import warnings
from pathlib import Path
from typing import Iterator

import torch
from torch import nn

from ..errors import EnunciateError

WEIGHT_ONLY = {"weight-only-int8": "int8", "weight-only-int4": "int4"}
CUDA_ONLY = {"int4"}
STATE_FILE = "torchao_weights.safetensors"
GROUP = 32


@contextlib.contextmanager
def quiet_import() -> Iterator[None]:
    """Import torchao without its noise: on a CPU build it logs that its CUDA-only kernels do not
    load, and torch logs a deprecation in its import. A missing torchao is a user error."""
    names = ("torchao", "torch.utils._pytree")
    levels = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except ImportError as e:
        raise EnunciateError("torchao is not installed: pip install 'enunciate[optimize]'") from e
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _torchao():
    with quiet_import():
        import torchao.quantization as tq
    return tq


def check_device(dtype: str, device: str | torch.device) -> None:
    """int4 weight-only runs only on CUDA: say so before anything is built."""
    if dtype in CUDA_ONLY and torch.device(device).type != "cuda":
        raise EnunciateError(f"{dtype} weight-only needs a CUDA GPU (torchao's {dtype} kernels are CUDA-only); "
                             f"make and load it with device='cuda', or use dtype=int8 on the CPU")


def weight_only(model: nn.Module, dtype: str, device: str | torch.device = "cpu") -> int:
    """Rewrite the pointwise convs as Linear and quantize their weights in place; -> how many were quantized."""
    from .torch_transforms import pointwise_as_linear

    check_device(dtype, device)
    tq = _torchao()
    pointwise_as_linear(model)
    model.to(device)
    config = tq.Int8WeightOnlyConfig() if dtype == "int8" else tq.Int4WeightOnlyConfig(group_size=GROUP)
    # int4 groups GROUP inputs; int8's per-row scales fail on a 1-input layer (the duration
    # predictor's flows read one channel), which has nothing to gain anyway
    reached = [name for name, m in model.named_modules() if isinstance(m, nn.Linear)
               and (m.in_features % GROUP == 0 if dtype == "int4" else m.in_features > 1)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tq.quantize_(model, config, filter_fn=lambda _, fqn: fqn in reached)
    return len(reached)


def quantized_record(model: nn.Module) -> dict[str, torch.Tensor]:
    """The plain tensors inside every torchao weight: "<module>.weight.<part>" -> values on the CPU."""
    out = {}
    for name, module in model.named_modules():
        weight = getattr(module, "weight", None)
        if isinstance(module, nn.Linear) and type(weight) is not nn.Parameter and hasattr(weight, "__tensor_flatten__"):
            for part in weight.__tensor_flatten__()[0]:
                out[f"{name}.weight.{part}"] = getattr(weight, part).detach().cpu().contiguous()
    return out


def apply_weight_only(model: nn.Module, name: str, record: Path, spec) -> None:
    """What the loader does for a weight-only folder: quantize the modules built from its ONNX file
    on the spec's device and check the values against the record."""
    if spec.dtype != "fp32" or spec.compile:
        raise EnunciateError(f"this voice is a {name} variant, which runs eager with fp32 activations; "
                             "load it with dtype='fp32' and no compile")
    from .torch_transforms import check_record

    weight_only(model, WEIGHT_ONLY[name], spec.device)
    check_record(record, quantized_record(model), name, "torchao")
