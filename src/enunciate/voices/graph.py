"""Expose a model's internal duration tensor as an extra ONNX output, once per model file.

All three ONNX voices predict per-phoneme durations inside the graph but only output audio.
Appending the tensor to `graph.output` gives the durations with no second pass and no change to the
audio. The edited copy lives in the user cache, keyed by the source file's SHA-256: files inside
installed packages are never modified.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..cache import derived_path, write_atomically


def with_extra_output(model_path: str | os.PathLike, tensor: str) -> Path:
    """Path of a copy of `model_path` that also outputs `tensor` (declared float32)."""
    import onnx

    out, _ = derived_path(model_path, "graphs", f".{tensor.strip('/').replace('/', '_')}.onnx")
    if out.exists():
        return out
    model = onnx.load(str(model_path))
    if not any(tensor in node.output for node in model.graph.node):
        raise ValueError(f"{model_path} has no tensor {tensor!r}")
    if tensor not in [o.name for o in model.graph.output]:
        # The real element type (float) must be declared, or ONNX Runtime refuses the session.
        model.graph.output.append(onnx.helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, None))
    return write_atomically(out, lambda tmp: onnx.save(model, str(tmp)))
