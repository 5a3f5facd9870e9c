"""Recover float PyTorch weights from the int8 Kokoro ONNX graph, once per model file.

The only offline Kokoro weights are an ORT-optimized int8 graph. Every weight-bearing node names
the module it came from, so walking the nodes gives a state dict in Kokoro's own module names
(`bert`, `bert_encoder`, `predictor`, `text_encoder`, `decoder`):

- MatMulInteger (Linear): int8 (in, out), per-output-channel scale, zero point 0.
- ConvInteger (Conv1d): uint8, per-tensor scale and zero point. The weight is already
  `g * v / |v|` (weight norm folded at export), so the modules here are plain convolutions and
  the all-zero output channels int8 left in 18 of them need no care (re-deriving g, v would
  divide by their zero norm).
- DynamicQuantizeLSTM: int8 per direction, gates (i, o, f, c), bias [input | recurrent].
- Gather + DequantizeLinear (Embedding): int8, per-tensor scale.
- Transposed convolutions, `conv_post`, biases and norms are float already.

The result is saved as safetensors in `cache_dir()/torch/<stem>.<sha256[:16]>.safetensors`, with
the source file's SHA-256 in its metadata, and reused by later loads.
"""
from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import numpy as np

from ...cache import cached_safetensors

log = logging.getLogger(__name__)

# Bump when the recovery changes, so stale caches are rebuilt.
FORMAT = "enunciate-kokoro-1"

# Module paths in ONNX node names -> Kokoro's module names.
_NODE_PREFIXES = (
    ("/encoder/predictor/", "predictor."), ("/encoder/shared/", "predictor.shared."),
    ("/encoder/F0_proj/", "predictor.F0_proj."), ("/encoder/N_proj/", "predictor.N_proj."),
    ("/encoder/F0.", "predictor.F0."), ("/encoder/N.", "predictor.N."),
    ("/encoder/bert_encoder/", "bert_encoder."), ("/encoder/bert/", "bert."),
    ("/encoder/text_encoder/", "text_encoder."), ("/decoder/decoder/", "decoder."),
)
# Initializer names -> Kokoro's module names.
_INIT_PREFIXES = (("encoder.", ""), ("decoder.decoder.", "decoder."))
# Float initializers of the original model that the graph keeps under their own names.
_FLOAT_SUFFIXES = (".bias", ".gamma", ".beta", ".weight", ".alpha1.0", ".alpha1.1", ".alpha1.2",
                   ".alpha2.0", ".alpha2.1", ".alpha2.2", ".inverse_basis")


def _module(node_name: str) -> str:
    """'/encoder/F0.1/conv1/Conv_quant' -> 'predictor.F0.1.conv1'."""
    path = node_name.rsplit("/", 1)[0] + "/"
    for onnx_prefix, prefix in _NODE_PREFIXES:
        if path.startswith(onnx_prefix):
            parts = [p for p in path[len(onnx_prefix):].split("/") if p]
            # A Sequential repeats its own name ('cnn.0/cnn.0.0'), and the 12 passes through
            # ALBERT's one shared layer are numbered ('query_3'): keep the module's own name.
            parts = [p for p, nxt in zip(parts, parts[1:] + [""]) if not nxt.startswith(p + ".")]
            parts = [re.sub(r"_\d+$", "", p) for p in parts]
            return (prefix + ".".join(parts)).rstrip(".")
    raise ValueError(f"unexpected node {node_name!r} in the Kokoro graph")


def _lstm_gates(w: np.ndarray, hidden: int) -> np.ndarray:
    """ONNX gate blocks (i, o, f, c) along axis 0 -> torch's (i, f, g, o)."""
    i, o, f, c = (w[k * hidden:(k + 1) * hidden] for k in range(4))
    return np.concatenate([i, f, c, o])


def state_dict_from_onnx(model_path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Dequantize the Kokoro int8 ONNX graph into a float32 state dict (Kokoro module names)."""
    import onnx
    from onnx import numpy_helper
    from tqdm import tqdm

    graph = onnx.load(str(model_path)).graph
    inits = {t.name: t for t in graph.initializer}

    def arr(name: str) -> np.ndarray:
        return numpy_helper.to_array(inits[name])

    def scale_of(quantized: str) -> np.ndarray:
        return arr(quantized.removesuffix("_quantized") + "_scale").astype(np.float32)

    state: dict[str, np.ndarray] = {}
    for node in tqdm(graph.node, desc="Recovering Kokoro weights", unit="node", leave=False):
        op, ins = node.op_type, list(node.input)
        if op == "MatMulInteger" and ins[1] in inits:
            key = _module(node.name) + ".weight"
            if key not in state:  # ALBERT shares one layer 12 times: the first node is enough
                w = arr(ins[1]).astype(np.float32) - arr(ins[3]).astype(np.float32)
                state[key] = (w * scale_of(ins[1])).T
        elif op == "ConvInteger":
            w = arr(ins[1]).astype(np.float32) - arr(ins[3]).astype(np.float32)
            state[_module(node.name) + ".weight"] = w * scale_of(ins[1])
        elif op in ("Conv", "ConvTranspose") and ins[1] in inits and "istft" not in node.name:
            state[_module(node.name) + ".weight"] = arr(ins[1])
        elif op == "MatMul" and ins[1] in inits:  # the harmonic source's 9 -> 1 merge
            state[_module(node.name) + ".weight"] = arr(ins[1]).T
        elif op == "DynamicQuantizeLSTM":
            prefix = _module(node.name)
            w, r, b = arr(ins[1]), arr(ins[2]), arr(ins[3])
            w_scale, r_scale = arr(ins[8]), arr(ins[10])
            w_zero, r_zero = arr(ins[9]).astype(np.float32), arr(ins[11]).astype(np.float32)
            hidden = r.shape[1]
            for d, suffix in enumerate(("", "_reverse")):
                wd = (w[d].astype(np.float32) - w_zero[d]) * w_scale[d]  # (in, 4H)
                rd = (r[d].astype(np.float32) - r_zero[d]) * r_scale[d]  # (H, 4H)
                state[f"{prefix}.weight_ih_l0{suffix}"] = _lstm_gates(wd.T, hidden)
                state[f"{prefix}.weight_hh_l0{suffix}"] = _lstm_gates(rd.T, hidden)
                state[f"{prefix}.bias_ih_l0{suffix}"] = _lstm_gates(b[d, :4 * hidden], hidden)
                state[f"{prefix}.bias_hh_l0{suffix}"] = _lstm_gates(b[d, 4 * hidden:], hidden)
        elif op == "DequantizeLinear" and node.name.endswith("Gather_quant_DequantizeLinear"):
            table = node.name.removesuffix("/Gather_quant_DequantizeLinear").strip("/").replace("/", ".")
            q = "encoder." + table.removeprefix("encoder.") + ".weight_quantized"
            w = arr(q).astype(np.float32) - arr(ins[2]).astype(np.float32)
            state[_module(node.name) + ".weight"] = w * scale_of(q)

    for name, t in inits.items():
        if t.data_type != onnx.TensorProto.FLOAT or not name.endswith(_FLOAT_SUFFIXES):
            continue
        for onnx_prefix, prefix in _INIT_PREFIXES:
            if name.startswith(onnx_prefix):
                key = prefix + name[len(onnx_prefix):]
                state.setdefault(key.replace("stft.istft.stft.", "istft_"), arr(name))
                break
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in state.items()}


def recovered_weights(model_path: str | os.PathLike) -> Path:
    """Path of the float safetensors recovered from `model_path`, made once and then reused."""
    from safetensors.numpy import save_file

    return cached_safetensors(model_path, lambda: state_dict_from_onnx(model_path), save_file, FORMAT)
