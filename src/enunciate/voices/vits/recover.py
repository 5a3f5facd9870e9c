"""PyTorch weights for `model.Vits`, recovered from a Piper ONNX export once per model file.

The exporter kept most module paths as initializer names, but not all of them: the text embedding
is called `sid`, the duration predictor's affine flow kept only exp(-logs) as a folded constant, and
the flow's weight-normalised WaveNet convs became anonymous `onnx::Conv_*` tensors (weight norm
folded into a plain weight), named here by the Conv node that consumes them. The recovered state
dict is cached as safetensors in the user cache, keyed and tagged by the ONNX file's SHA-256.
"""
from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import numpy as np
import torch

from ...cache import cached_safetensors

log = logging.getLogger(__name__)

# Bump when the mapping below changes, so stale caches are rebuilt.
FORMAT = "enunciate-vits-1"
MODULE_PREFIX = re.compile(r"(enc_p|dp|flow|dec)\.")
# Constants the exporter folded: tensor name -> (reference parameter, inverse of the folding).
FOLDED = {"/dp/flows.0/Exp_output_0": ("dp.flows.0.logs", lambda v: -np.log(v))}
# Which input of a consuming node is which parameter.
PARAM_BY_INPUT = {("Conv", 1): "weight", ("Conv", 2): "bias", ("ConvTranspose", 1): "weight",
                  ("ConvTranspose", 2): "bias", ("Gather", 0): "weight"}


def _reference_flow_index(m: re.Match, first: int) -> str:
    return str((int(m.group(1)) - first) // 2)


# The reference VITS layout (as exported) -> this package's modules. Flips have no weights; the
# duration predictor's flows are [affine, (spline, flip) x 4] of which spline 1 is unused at
# inference and not exported; the flow is [(coupling, flip) x 4].
RENAMES = [
    (r"^enc_p\.encoder\.attn_layers\.(\d+)\.", r"enc_p.layers.\1.attn."),
    (r"^enc_p\.encoder\.norm_layers_1\.(\d+)\.", r"enc_p.layers.\1.norm_1."),
    (r"^enc_p\.encoder\.ffn_layers\.(\d+)\.", r"enc_p.layers.\1.ffn."),
    (r"^enc_p\.encoder\.norm_layers_2\.(\d+)\.", r"enc_p.layers.\1.norm_2."),
    (r"^dp\.flows\.0\.(m|logs)$", r"dp.affine_\1"),
    (r"^dp\.flows\.(\d+)\.", lambda m: f"dp.spline_flows.{_reference_flow_index(m, 3)}."),
    (r"^flow\.flows\.(\d+)\.", lambda m: f"flow.couplings.{_reference_flow_index(m, 0)}."),
]


def _module_path(node_name: str) -> str:
    """'/flow/flows.6/enc/in_layers.0/Conv' -> 'flow.flows.6.enc.in_layers.0'."""
    return ".".join(node_name.strip("/").split("/")[:-1])


def reference_name(name: str, consumers: list[tuple[str, str, int]]) -> str | None:
    """The reference VITS parameter an initializer holds, or None for the graph's own constants.
    consumers: (op_type, node name, input index) of every node that reads it."""
    if MODULE_PREFIX.match(name):
        return name
    params = {f"{_module_path(node)}.{PARAM_BY_INPUT[(op, i)]}" for op, node, i in consumers
              if (op, i) in PARAM_BY_INPUT and MODULE_PREFIX.match(_module_path(node) + ".")}
    return params.pop() if len(params) == 1 else None


def package_name(reference: str) -> str:
    for pattern, repl in RENAMES:
        reference = re.sub(pattern, repl, reference)
    return reference


def recover_state_dict(onnx_path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Read every initializer of a Piper ONNX model and name it for `model.Vits`."""
    import onnx
    from onnx import numpy_helper
    from tqdm import tqdm

    graph = onnx.load(str(onnx_path)).graph
    consumers: dict[str, list[tuple[str, str, int]]] = {}
    for node in graph.node:
        for i, name in enumerate(node.input):
            consumers.setdefault(name, []).append((node.op_type, node.name, i))

    state: dict[str, torch.Tensor] = {}
    for init in tqdm(graph.initializer, desc="recovering VITS weights", unit="tensor", disable=None):
        if init.name in FOLDED:
            reference, unfold = FOLDED[init.name]
            array = unfold(numpy_helper.to_array(init))
        elif reference := reference_name(init.name, consumers.get(init.name, [])):
            array = numpy_helper.to_array(init)
        else:
            continue
        state[package_name(reference)] = torch.from_numpy(np.array(array, dtype=np.float32))
    return state


def weights_file(onnx_path: str | os.PathLike) -> Path:
    """Path of the cached safetensors for `onnx_path`, converting (once) if it is missing or stale."""
    from safetensors.torch import save_file

    return cached_safetensors(onnx_path, lambda: recover_state_dict(onnx_path), save_file, FORMAT)


def load_weights(onnx_path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The state dict for `model.Vits`, from the cache (built on first use)."""
    from safetensors.torch import load_file

    return load_file(str(weights_file(onnx_path)))
