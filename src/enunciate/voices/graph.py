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


SEED_INPUT = "seed"
_P = 2147483647  # 2^31 - 1: squares of values below it fit in int64


def with_seeded_noise(model_path: str | os.PathLike) -> Path:
    """Path of a copy of `model_path` whose RandomNormalLike nodes draw from a `seed` input (int64 scalar).

    ONNX Runtime's random ops take no seed per run, so a Piper voice could not repeat a take.
    Each such node becomes a counter-based generator: element i of node k hashes (seed, k, i) by
    four rounds of x -> (x*x + c + i) mod (2^31 - 1) in int64 arithmetic (opset 13+ ops only),
    and two such uniforms make a normal value by Box-Muller. Same seed, same samples; the values'
    mean, spread and independence match a normal source (checked in tests/test_voices.py)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    out, _ = derived_path(model_path, "graphs", ".seeded.onnx")
    if out.exists():
        return out
    model = onnx.load(str(model_path))
    graph = model.graph
    all_nodes = list(graph.node)
    randoms = [i for i, n in enumerate(all_nodes) if n.op_type == "RandomNormalLike"]
    if not randoms:
        raise ValueError(f"{model_path} has no RandomNormalLike node to seed")

    def const(name: str, value, dtype=np.int64):
        return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.array(value, dtype), name))

    shared = [const("_sn_zero", 0), const("_sn_one", 1), const("_sn_two", 2), const("_sn_p", _P),
              const("_sn_k", 1000003), const("_sn_c1", 777767777), const("_sn_c2", 1234567),
              const("_sn_pf", float(_P), np.float32), const("_sn_half", 0.5, np.float32),
              const("_sn_m2", -2.0, np.float32), const("_sn_2pi", 2 * np.pi, np.float32)]
    replaced = {}
    for k, index in enumerate(randoms):
        node = all_nodes[index]
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        p = f"_sn{k}_"
        x = node.input[0]
        nodes = [helper.make_node("Shape", [x], [p + "shape"]),
                 helper.make_node("ReduceProd", [p + "shape"], [p + "n"], keepdims=0),
                 helper.make_node("Mul", [p + "n", "_sn_two"], [p + "n2"]),
                 helper.make_node("Range", ["_sn_zero", p + "n2", "_sn_one"], [p + "i"]),
                 const(p + "salt", 99991 * (k + 1)),
                 helper.make_node("Mul", [SEED_INPUT, "_sn_k"], [p + "s"]),
                 helper.make_node("Add", [p + "s", p + "salt"], [p + "s2"]),
                 helper.make_node("Add", [p + "i", p + "s2"], [p + "a"]),
                 helper.make_node("Mod", [p + "a", "_sn_p"], [p + "x0"])]
        prev = p + "x0"
        for r, c in enumerate(("_sn_c1", "_sn_c2", "_sn_c1", "_sn_c2")):
            nodes += [helper.make_node("Mul", [prev, prev], [f"{p}sq{r}"]),
                      helper.make_node("Add", [f"{p}sq{r}", c], [f"{p}b{r}"]),
                      helper.make_node("Add", [f"{p}b{r}", p + "i"], [f"{p}c{r}"]),
                      helper.make_node("Mod", [f"{p}c{r}", "_sn_p"], [f"{p}x{r + 1}"])]
            prev = f"{p}x{r + 1}"
        nodes += [helper.make_node("Cast", [prev], [p + "f"], to=TensorProto.FLOAT),
                  helper.make_node("Add", [p + "f", "_sn_half"], [p + "fh"]),
                  helper.make_node("Div", [p + "fh", "_sn_pf"], [p + "u"]),
                  const(p + "rows", [2, -1]),
                  helper.make_node("Reshape", [p + "u", p + "rows"], [p + "u2"])]
        # u2: [2, n]; Box-Muller on its rows
        nodes += [helper.make_node("Gather", [p + "u2", "_sn_zero"], [p + "ua"], axis=0),
                  helper.make_node("Gather", [p + "u2", "_sn_one"], [p + "ub"], axis=0),
                  helper.make_node("Log", [p + "ua"], [p + "la"]),
                  helper.make_node("Mul", [p + "la", "_sn_m2"], [p + "lb"]),
                  helper.make_node("Sqrt", [p + "lb"], [p + "r"]),
                  helper.make_node("Mul", [p + "ub", "_sn_2pi"], [p + "th"]),
                  helper.make_node("Cos", [p + "th"], [p + "cs"]),
                  helper.make_node("Mul", [p + "r", p + "cs"], [p + "z"]),
                  helper.make_node("Reshape", [p + "z", p + "shape"], [p + "zs"])]
        out_name = node.output[0]
        scale, mean = float(attrs.get("scale", 1.0)), float(attrs.get("mean", 0.0))
        nodes += [const(p + "scale", scale, np.float32), const(p + "mean", mean, np.float32),
                  helper.make_node("Mul", [p + "zs", p + "scale"], [p + "zm"]),
                  helper.make_node("Add", [p + "zm", p + "mean"], [out_name])]
        replaced[index] = nodes
    ordered = list(shared)  # each generator takes the random node's place: the graph stays sorted
    for index, node in enumerate(all_nodes):
        ordered += replaced.get(index, [node])
    del graph.node[:]
    graph.node.extend(ordered)
    graph.input.append(helper.make_tensor_value_info(SEED_INPUT, TensorProto.INT64, []))
    return write_atomically(out, lambda tmp: onnx.save(model, str(tmp)))

