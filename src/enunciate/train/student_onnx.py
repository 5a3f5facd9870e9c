"""A distilled student (student.py) as ONNX with heart's interface, and as a hibari-family voice
folder: inputs ids [1, L] and speed [1]; outputs lh, theta, ln, lr, phi [1, 601, F] and f0 [1, F];
the durations in an inner tensor named /Round_output_0 as in heart's graph, which the loader reads.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

from ..errors import EnunciateError
from .teacher_frames import BRANCHES, DURATION_TENSOR

# The export's dynamic int8 MatMuls: a scale per output column (the default), or one per matrix. On the
# 6000-step student (benchmarks/results/student_export.md) one per matrix cost 0.18 DistillMOS against the
# float export; one per column, at the same speed and size, cost nothing measurable.
QUANTIZATIONS = ("int8-per-channel", "int8")


def export_onnx(model, path: str | Path, quantization: str | None = QUANTIZATIONS[0]) -> Path:
    """The student as an ONNX file with heart's interface (inputs ids, speed; outputs lh, theta, ln,
    lr, phi, f0), its durations in a tensor named /Round_output_0 as in heart's graph. With a
    `quantization` (one of QUANTIZATIONS; None: float32), its MatMuls are quantized dynamically (int8
    weights, activations quantized per call), as heart's are: on 2 cores that took the network from
    15 to 12 us per frame (heart's: 38 in the same run)."""
    if quantization is not None and quantization not in QUANTIZATIONS:
        raise EnunciateError(f"unknown quantization {quantization!r}; available: {', '.join(QUANTIZATIONS)}")
    import onnx
    import torch

    path = Path(path)
    model = model.to("cpu").eval()
    ids = torch.tensor([[0, 50, 83, 156, 43, 0]], dtype=torch.int64)
    speed = torch.tensor([1.0])
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    # the TorchScript exporter: the torch.export-based one needs onnxscript, which enunciate does not install
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, (ids, speed), str(tmp), dynamo=False, opset_version=17,
                          input_names=["ids", "speed"], output_names=[*BRANCHES, "f0", "durations"],
                          dynamic_axes={"ids": {1: "L"}, **{b: {2: "F"} for b in BRANCHES}, "f0": {1: "F"},
                                        "durations": {0: "L"}})
    graph = onnx.load(str(tmp))
    # the durations become an inner tensor named as heart's, which the loader exposes as an output
    names = {DURATION_TENSOR: "/round_before_clamp", "durations": DURATION_TENSOR}  # the exporter names torch.round's
    for node in graph.graph.node:
        node.output[:] = [names.get(o, o) for o in node.output]
        node.input[:] = [names.get(i, i) for i in node.input]
    kept = [o for o in graph.graph.output if o.name != "durations"]
    del graph.graph.output[:]
    graph.graph.output.extend(kept)
    onnx.save(graph, str(tmp))
    if quantization is not None:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(tmp), str(tmp), op_types_to_quantize=["MatMul"], weight_type=QuantType.QInt8,
                         per_channel=quantization == "int8-per-channel")
    os.replace(tmp, path)
    return path


def export_voice(model, out: str | Path, provenance, metrics: dict, force: bool = False,
                 quantization: str | None = QUANTIZATIONS[0], f0_shrink: float = 1.0):
    """The student as a hibari-family voice folder (student.onnx + voice.json); its F0 pulled toward
    each sentence's mean by `f0_shrink` (student_pitch.py; 1: as predicted)."""
    import tempfile

    from ..voices.folder import FileRef, VoiceManifest, write_voice_folder
    from .student import macs_per_frame, parameter_count

    out = Path(out)
    with tempfile.TemporaryDirectory() as tmp:
        model.f0_shrink = f0_shrink
        try:
            onnx_path = export_onnx(model, Path(tmp) / "student.onnx", quantization)
        finally:
            model.f0_shrink = 1.0
        metrics = {**metrics, "int8_matmul": quantization is not None, "quantization": quantization,
                   "f0_shrink": f0_shrink,
                   "parameters": parameter_count(model),
                   "onnx_bytes": onnx_path.stat().st_size, "macs_per_frame": macs_per_frame(model.config)}
        manifest = VoiceManifest(out.name, "hibari", "kokoro", 24000, {"model": FileRef("student.onnx")},
                                 licence="as the teacher's (hibari-tts: Apache-2.0)",
                                 description=f"student distilled from {provenance.parent}",
                                 provenance=provenance, metrics=metrics)
        return write_voice_folder(out, manifest, {"model": onnx_path}, force=force)


def recover_weights(path: str | Path) -> dict:
    """The student's weights (torch state-dict names, float32 numpy arrays) from its ONNX file, as
    `export_onnx` wrote it. Float initializers keep their names; a MatMul's weight, anonymous in the
    graph (and int8 with a scale and zero point per output column when quantized), is named after
    the bias its output is added to, and dequantized: (q - zero_point) x scale, transposed to
    torch's [out, in]."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    try:
        graph = onnx.load(str(path)).graph
    except Exception as e:  # noqa: BLE001 - onnx raises several kinds for a file that is not a model
        raise EnunciateError(f"{path} is not an ONNX model ({type(e).__name__}: {e})") from e
    values = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    weights = {k: v.astype(np.float32) for k, v in values.items() if not k.startswith("onnx::")}
    adds = {i: n for n in graph.node if n.op_type == "Add" for i in n.input}
    dequantizing = {i: n for n in graph.node if n.op_type in ("Cast", "Mul") for i in n.input}

    def bias_after(output: str) -> str:
        """The bias initializer added to `output`, through the dequantizing Cast and Mul if any."""
        node = adds.get(output)
        while node is None:
            nxt = dequantizing.get(output)
            if nxt is None:
                raise EnunciateError(f"{path}: no bias follows the MatMul that writes {output}")
            output = nxt.output[0]
            node = adds.get(output)
        bias = next((i for i in node.input if i in weights and i.endswith(".bias")), None)
        if bias is None:
            raise EnunciateError(f"{path}: the MatMul that writes {output} is added to no named bias")
        return bias

    for node in graph.node:
        if node.op_type == "MatMul" and node.input[1] in values:
            w = values[node.input[1]].astype(np.float32)
        elif node.op_type == "MatMulInteger" and node.input[1] in values:
            name = node.input[1].removesuffix("_quantized")   # onnxruntime's names: NAME_quantized, _scale
            if f"{name}_scale" not in values:
                raise EnunciateError(f"{path}: {node.input[1]} has no {name}_scale beside it")
            q, zero = values[node.input[1]].astype(np.float32), values[node.input[3]].astype(np.float32)
            w = (q - zero) * values[f"{name}_scale"].astype(np.float32)
        else:
            continue
        weights[bias_after(node.output[0])[: -len("bias")] + "weight"] = w.T.copy()
    return weights
