"""Transforms of a recovered PyTorch voice that a voice folder can name (options.torch_transform),
applied when it loads: dynamic int8 of Linear/LSTM modules (optionally of 1x1 convs rewritten as
Linear), checked bit for bit against the folder's safetensors record, so what runs is what was
measured and no pickle is ever loaded. `enunciate optimize` (optimize/torch_methods.py) makes them.
"""
from __future__ import annotations

import logging
import warnings
from pathlib import Path

import torch
from torch import nn
from torch.ao.nn.quantized import dynamic as nnqd

from ..errors import EnunciateError

log = logging.getLogger(__name__)

STATE_FILE = "torch_int8.safetensors"
TRANSFORMS = ("int8-dynamic", "int8-dynamic-pointwise")
DYNAMIC_TYPES = {nn.Linear, nn.LSTM}  # what the documents pass to quantize_dynamic


class Pointwise(nn.Module):
    """A 1x1 Conv1d as the nn.Linear it is ([b, c, t] in and out), so quantize_dynamic reaches it."""

    def __init__(self, conv: nn.Conv1d):
        super().__init__()
        self.linear = nn.Linear(conv.in_channels, conv.out_channels, bias=conv.bias is not None)
        with torch.no_grad():
            self.linear.weight.copy_(conv.weight[:, :, 0])
            if conv.bias is not None:
                self.linear.bias.copy_(conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x.transpose(1, 2)).transpose(1, 2).contiguous()


def is_pointwise(module: nn.Module) -> bool:
    return (type(module) is nn.Conv1d and module.kernel_size == (1,) and module.groups == 1
            and module.padding == (0,))


def pointwise_as_linear(model: nn.Module) -> int:
    """Replace every pointwise Conv1d by `Pointwise` in place; returns how many."""
    n = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if is_pointwise(child):
                setattr(parent, name, Pointwise(child))
                n += 1
    return n


class QuantizedPackedLSTM(nnqd.LSTM):
    """Kokoro's PackedLSTM (an nn.LSTM run over each item's own length), dynamically quantized:
    torch's converter accepts only the exact nn.LSTM type, so the weights go through a plain one."""

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:  # (B, T, C) -> (B, T, 2H)
        from .kokoro_torch.modules import run_packed

        return run_packed(super().forward, x, lengths)

    @classmethod
    def from_float(cls, mod: nn.LSTM, use_precomputed_fake_quant: bool = False) -> QuantizedPackedLSTM:
        plain = nn.LSTM(mod.input_size, mod.hidden_size, mod.num_layers, mod.bias, mod.batch_first,
                        bidirectional=mod.bidirectional)
        plain.load_state_dict(mod.state_dict())
        plain.qconfig = mod.qconfig
        quantized = nnqd.LSTM.from_float(plain)
        quantized.__class__ = cls
        return quantized


def quantize_dynamic(model: nn.Module) -> nn.Module:
    """The documents' call, quantize_dynamic(model, {nn.Linear, nn.LSTM}, dtype=torch.qint8), in place.

    Two additions for Kokoro: its PackedLSTM subclass maps to QuantizedPackedLSTM, and its
    `bert_encoder` Linear stays float (the model reads its device from that weight). torch marks
    eager-mode quantization deprecated (towards torchao); it is still the API the recipe names, so
    the warning is silenced here only."""
    from torch.ao.quantization import default_dynamic_qconfig

    from ..voices.kokoro_torch.modules import PackedLSTM

    spec = {kind: default_dynamic_qconfig for kind in (*DYNAMIC_TYPES, PackedLSTM)}
    mapping = {nn.Linear: nnqd.Linear, nn.LSTM: nnqd.LSTM, PackedLSTM: QuantizedPackedLSTM}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        return torch.ao.quantization.quantize_dynamic(model, {**spec, "bert_encoder": None}, dtype=torch.qint8,
                                                      mapping=mapping, inplace=True)


def _quantized_modules(model: nn.Module) -> dict[str, nn.Module]:
    return {name: m for name, m in model.named_modules() if isinstance(m, (nnqd.Linear, nnqd.LSTM))}


def int8_weights(model: nn.Module) -> dict[str, torch.Tensor]:
    """Every int8 weight of the quantized modules as plain tensors: "<module>.<weight>" -> int8
    values, with ".scale" and ".zero_point" beside it (per-tensor, as quantize_dynamic makes them)."""
    out = {}
    for name, module in _quantized_modules(model).items():
        weights = {"weight": module.weight()} if isinstance(module, nnqd.Linear) else module.get_weight()
        for key, q in weights.items():
            out[f"{name}.{key}"] = q.int_repr().contiguous()
            out[f"{name}.{key}.scale"] = torch.tensor([q.q_scale()], dtype=torch.float64)
            out[f"{name}.{key}.zero_point"] = torch.tensor([q.q_zero_point()], dtype=torch.int64)
    return out


def transform(model: nn.Module, name: str) -> nn.Module:
    """Apply a saved variant's transform to fp32 modules, in place."""
    if name not in TRANSFORMS:
        raise EnunciateError(f"unknown torch transform {name!r}; this enunciate knows {', '.join(TRANSFORMS)}")
    if name == "int8-dynamic-pointwise":
        pointwise_as_linear(model)
    return quantize_dynamic(model)


def apply_transform(model: nn.Module, name: str, record: Path, spec) -> None:
    """What the loader does for a folder whose options name a `torch_transform`: transform the
    modules built from its ONNX file, and check the int8 weights are the ones the variant was made
    (and measured) with. The record is safetensors, not a pickle: loading a voice runs no code."""
    if spec.device != "cpu" or spec.dtype != "fp32" or spec.compile:
        raise EnunciateError(f"this voice is a {name} variant, which runs eager in fp32 on the CPU; "
                             "load it with device='cpu', dtype='fp32' and no compile")
    transform(model, name)
    check_record(record, int8_weights(model), name, "torch")


def check_record(record: Path, ours: dict[str, torch.Tensor], name: str, maker: str) -> None:
    """The quantized weights made at load time must equal the ones the variant was measured with:
    another torch (or torchao) may round differently, and then the voice is not the one measured."""
    from safetensors.torch import load_file

    saved = load_file(str(record))
    differ = sorted(k for k in saved.keys() | ours.keys() if k not in saved or k not in ours
                    or not torch.equal(saved[k], ours[k]))
    if differ:
        raise EnunciateError(f"{record.name} does not match the {name} weights this {maker} makes "
                             f"({len(differ)} tensors differ, e.g. {differ[0]}); re-make the variant here")


# --- the recovered model and its ONNX file ---------------------------------------------------------
