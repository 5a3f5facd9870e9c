"""ONNX Runtime methods: int8 (dynamic, MatMul-only, static QDQ), fp16, offline graph optimization,
magnitude pruning and 4-bit weight-only MatMuls, each writing a new ONNX file beside the parent's.

What applies where follows from what the three graphs hold (counted from the shipped files):
- joe (piper) is fp32: 129 Conv + 3 ConvTranspose hold its weights; its 26 MatMuls multiply two
  activations (attention), its linear layers being 1x1 Convs. Every float method applies, but
  nothing that needs a MatMul with constant weights (ort-int8-matmul, ort-int4).
- Kokoro is dynamic int8 already: 87 ConvInteger (54% of its time) and 148 MatMulInteger. Dynamic
  int8, fp16 and pruning of float weights have nothing to work on; what applies is choosing which
  ops stay int8 (ort-int8-matmul: its convolutions back to fp32 from their own int8 weights), static
  int8 (from those fp32 weights, calibrated), 4-bit MatMuls and graph optimization.
- heart (hibari) is int8 on its 77 MatMuls; its 23 fp32 Convs are depthwise (9% of its time), where
  int8 kernels gain nothing. Like Kokoro; ort-int8-matmul with ops= (none) makes it fp32.

The loaders rewrite the graph when they load it (graph.py): Piper's RandomNormalLike nodes become a
seeded generator, and each family's duration tensor becomes an extra output. Every method keeps
those nodes and tensor names; the lead module checks that the variant loads and speaks. The graph
surgery the int8 and 4-bit methods share (integer op chains back to float ops) is onnx_graph.py.
"""
from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

import numpy as np

from ..errors import EnunciateError
from ..voices import hibari, kokoro, piper
from . import Job, Method, Result, count_onnx, register
from .onnx_graph import INTEGER_OPS, IntegerOp, constants, float_nodes, integer_ops, replace_chains

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before onnxruntime is first imported

# Tensors the loaders read by name: they must survive every method.
DURATION_TENSORS = {"piper": piper.DURATION_TENSOR, "kokoro": kokoro.DURATION_TENSOR, "hibari": hibari.DURATION_TENSOR}
WEIGHT_OPS = ("Conv", "ConvTranspose", "MatMul", "Gemm")
MIN_QUANTIZED = 4096  # smaller weights (Kokoro's 9x1 projection) gain nothing from fewer bits
# Nodes under this prefix stay fp32 in fp16 and static int8: Piper's stochastic duration predictor,
# whose rational-quadratic spline flows fail their range checks in half precision; it is 4% of
# joe's time, and its durations set the rhythm of everything after it.
KEEP_FP32 = {"piper": "/dp/"}


# --- files -----------------------------------------------------------------------------------------

def _out_path(job: Job, method: str) -> Path:
    """<parent model stem>.<method without 'ort-'>.onnx in the work folder."""
    return job.workdir / f"{job.parent.path('model').stem}.{method.removeprefix('ort-')}.onnx"


def _save(model, path: Path) -> None:
    import onnx

    try:
        onnx.save(model, str(path))
    except OSError as e:
        raise EnunciateError(f"cannot write {path}: {e.strerror or e}") from e


def _result(job: Job, path: Path, keeps_torch: bool = False, packed: dict | None = None) -> Result:
    """The variant's files (piper: its config beside it as <model>.json) and counts (`packed`:
    corrections for weights stored two to a byte). Quantized, fp16 or fused graphs cannot be read
    back into the torch modules: engines become onnx only."""
    files = {"model": path}
    if job.parent.family == "piper":
        config = path.with_name(path.name + ".json")
        config.write_bytes(job.parent.path("config").read_bytes())
        files["config"] = config
    changes = {} if keeps_torch else {"engines": ("onnx",)}
    counts = count_onnx(path)
    for key, delta in (packed or {}).items():
        counts[key] += delta
    return Result(files, changes, counts)


def _onnx(path: Path):
    import onnx

    return onnx.load(str(path))


def _load(job: Job):
    return _onnx(job.parent.path("model"))


def _check_kept(job: Job, model) -> None:
    """The loaders' tensors are still produced, and Piper's noise nodes are still there."""
    produced = {o for n in model.graph.node for o in n.output}
    tensor = DURATION_TENSORS.get(job.parent.family)
    if tensor and tensor not in produced:
        raise EnunciateError(f"the variant lost the tensor {tensor} that {job.parent.name!r} loads by name; not saved")
    if job.parent.family == "piper" and not any(n.op_type == "RandomNormalLike" for n in model.graph.node):
        raise EnunciateError("the variant lost Piper's RandomNormalLike nodes (its seeded noise); not saved")


def _expose(job: Job, model) -> None:
    """Make the duration tensor a graph output while a whole-graph pass runs (fusions and type
    conversions leave graph outputs alone); `_unexpose` takes it back out afterwards."""
    import onnx

    tensor = DURATION_TENSORS.get(job.parent.family)
    if tensor and tensor not in [o.name for o in model.graph.output]:
        model.graph.output.append(onnx.helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, None))


def _unexpose(job: Job, model) -> None:
    tensor = DURATION_TENSORS.get(job.parent.family)
    kept = [o for o in model.graph.output if o.name != tensor]
    del model.graph.output[:]
    model.graph.output.extend(kept)


@contextlib.contextmanager
def _quiet():
    """ORT's quantizers warn through the root logger for every tensor they skip: keep that out of
    the user's terminal while they run."""
    level = logging.root.level
    logging.root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logging.root.setLevel(level)


def _ops(value, valid: tuple[str, ...] = WEIGHT_OPS) -> tuple[str, ...]:
    """"MatMul,Gemm" (or a list) -> ("MatMul", "Gemm"); "" or "none" -> ()."""
    items = value if isinstance(value, (list, tuple)) else str(value or "").replace(";", ",").split(",")
    ops = tuple(dict.fromkeys(str(o).strip() for o in items if str(o).strip() and str(o).strip() != "none"))
    bad = [o for o in ops if o not in valid]
    if bad:
        raise EnunciateError(f"unknown op type {', '.join(bad)} in ops; choose from {', '.join(valid)} "
                             "(comma-separated; empty for none)")
    return ops


# --- methods ---------------------------------------------------------------------------------------

def int8_dynamic(job: Job) -> Result:
    """Dynamic int8 of every op type ORT's quantizer supports (Conv, MatMul, Gemm, Gather, ...)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out = _out_path(job, "ort-int8-dynamic")
    # ORT's ConvInteger kernel takes uint8 weights only
    with _quiet():
        quantize_dynamic(job.parent.path("model"), out, per_channel=bool(job.params["per_channel"]),
                         weight_type=QuantType.QUInt8)
    _check_kept(job, _onnx(out))
    return _result(job, out)


def int8_matmul(job: Job) -> Result:
    """int8 on the op types in `ops` only (default MatMul,Gemm): an int8 parent's other integer ops
    go back to fp32 from their own int8 weights (no new rounding); float ops in `ops` with constant
    weights of at least MIN_QUANTIZED elements are quantized dynamically."""
    ops = _ops(job.params["ops"])
    model = _load(job)
    undo = [op for op in integer_ops(model.graph) if INTEGER_OPS[op.node.op_type] not in ops]
    if undo:
        replace_chains(model.graph, float_nodes(undo))
    sizes = {i.name: int(np.prod(i.dims)) for i in model.graph.initializer if i.data_type == 1}
    to_quantize = [n.name for n in model.graph.node
                   if n.op_type in ops and len(n.input) > 1 and sizes.get(n.input[1], 0) >= MIN_QUANTIZED]
    if not undo and not to_quantize:
        have = sorted({n.op_type for n in model.graph.node if n.op_type in (*WEIGHT_OPS, *INTEGER_OPS)})
        raise EnunciateError(f"ops={','.join(ops) or 'none'} changes nothing in {job.parent.name!r}: its graph has "
                             f"{', '.join(have)}, and only ops with constant weights are quantized; "
                             f"choose other ops (from {', '.join(WEIGHT_OPS)}, or none)")
    out = _out_path(job, "ort-int8-matmul")
    _check_kept(job, model)
    _save(model, out)
    if to_quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        with _quiet():  # ORT's ConvInteger takes uint8 weights only
            quantize_dynamic(out, out, op_types_to_quantize=list(ops), nodes_to_quantize=to_quantize,
                             weight_type=QuantType.QUInt8 if "Conv" in ops else QuantType.QInt8)
        _check_kept(job, _onnx(out))
    return _result(job, out)



def int8_static(job: Job) -> Result:
    """Static int8 QDQ: weights per channel, activation ranges calibrated on speech made from the
    corpus by enunciate's own frontend; ORT runs the QDQ groups as QLinearConv, QLinearAdd ... An
    int8 parent (Kokoro, heart) is first turned back to fp32 from its own int8 weights; KEEP_FP32
    stays fp32. `ops` beyond the weight ops (Add, Mul, LeakyRelu) keep the decoder's residual chain in
    int8: with weight ops alone, Quantize/DequantizeLinear around each Conv ate most of the gain."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    ops = list(_ops(job.params["ops"], STATIC_OPS))
    feeds = calibration_feeds(job, int(job.params["samples"]))
    model = _load(job)
    chains = integer_ops(model.graph)
    if chains:
        replace_chains(model.graph, float_nodes(chains))
    source = job.workdir / "float.onnx"
    _save(model, source)
    exclude = [n.name for n in model.graph.node if n.name.startswith(KEEP_FP32.get(job.parent.family, "\0"))]
    out = _out_path(job, "ort-int8-static")

    class Reader:  # onnxruntime.quantization.CalibrationDataReader's interface
        def __init__(self):
            self.items = iter(feeds)

        def get_next(self):
            return next(self.items, None)

        def rewind(self):
            self.items = iter(feeds)

    with _quiet():
        quantize_static(source, out, Reader(), quant_format=QuantFormat.QDQ, op_types_to_quantize=ops,
                        per_channel=bool(job.params["per_channel"]), activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8, nodes_to_exclude=exclude,
                        calibrate_method=CalibrationMethod.MinMax)  # ReduceMin/Max per tensor: little memory
    source.unlink()
    _check_kept(job, _onnx(out))
    return _result(job, out)


STATIC_OPS = (*WEIGHT_OPS, "Add", "Mul", "LeakyRelu", "Relu", "Sigmoid", "Tanh", "Concat", "Pad", "Transpose",
              "Reshape")


def fp16(job: Job) -> Result:
    """fp16 weights and activations with fp32 inputs and outputs. Kept fp32: KEEP_FP32, the noise
    sources, and shape arithmetic (Range, Shape, CumSum ...). ORT's CPU EP has few fp16 kernels: it
    wraps the others in casts back to fp32 (InsertedPrecisionFreeCast in a profile)."""
    from onnxruntime.transformers.float16 import DEFAULT_OP_BLOCK_LIST, convert_float_to_float16

    model = _load(job)
    keep = [n.name for n in model.graph.node if n.name.startswith(KEEP_FP32.get(job.parent.family, "\0"))]
    block = [*DEFAULT_OP_BLOCK_LIST, "RandomNormalLike", "Range", "Shape", "ConstantOfShape", "CumSum", "Ceil",
             "Clip", "NonZero", "Expand"]
    _expose(job, model)  # so the duration tensor stays float32 under its own name
    with _quiet():
        model = convert_float_to_float16(model, keep_io_types=True, op_block_list=block, node_block_list=keep)
    _unexpose(job, model)
    out = _out_path(job, "ort-fp16")
    _check_kept(job, model)
    _save(model, out)
    return _result(job, out)



def graph_optimize(job: Job) -> Result:
    """ORT's extended graph optimizations (constant folding, Conv+activation and attention fusions)
    done once and saved. The duration tensor is made a graph output while optimizing so no fusion
    can swallow it, then taken back out of the outputs."""
    import onnxruntime as ort

    model = _load(job)
    _expose(job, model)
    marked = job.workdir / "marked.onnx"
    _save(model, marked)
    out = _out_path(job, "ort-optimize")
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    opts.optimized_model_filepath = str(out)
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 3
    ort.InferenceSession(str(marked), opts, providers=["CPUExecutionProvider"])
    marked.unlink()
    optimized = _onnx(out)
    _unexpose(job, optimized)
    _check_kept(job, optimized)
    _save(optimized, out)
    return _result(job, out)


def prune(job: Job) -> Result:
    """Zero the smallest |w| of each Conv/ConvTranspose/MatMul/Gemm weight until `sparsity` of it is
    zero. ORT runs dense kernels, so this saves no time: only compressibility (and a start for
    sparse formats or a fine-tune)."""
    from onnx import numpy_helper

    sparsity = float(job.params["sparsity"])
    if not 0.0 <= sparsity < 1.0:
        raise EnunciateError(f"sparsity must be in [0, 1), got {sparsity}")
    model = _load(job)
    weights = {n.input[1] for n in model.graph.node if n.op_type in WEIGHT_OPS and len(n.input) > 1}
    pruned = 0
    for k, init in enumerate(model.graph.initializer):
        if init.name not in weights or init.data_type != 1:  # float32 only
            continue
        w = numpy_helper.to_array(init).copy()
        n = int(round(sparsity * w.size))
        if n:
            flat = w.reshape(-1)
            flat[np.argpartition(np.abs(flat), n - 1)[:n]] = 0.0
            model.graph.initializer[k].CopyFrom(numpy_helper.from_array(w, init.name))
            pruned += 1
    if not pruned:
        raise EnunciateError(f"{job.parent.name!r} has no float32 Conv/MatMul/Gemm weights to prune")
    out = _out_path(job, "ort-prune")
    _save(model, out)
    return _result(job, out, keeps_torch=True)  # same names and dtypes: the torch modules still read it


def int4(job: Job) -> Result:
    """4-bit block-wise weights (MatMulNBits) for MatMuls with constant 2-D weights: float MatMuls,
    and int8 MatMulInteger chains requantized from their dequantized weights."""
    from onnx import helper, numpy_helper

    block = int(job.params["block_size"])
    if block < 16 or block & (block - 1):
        raise EnunciateError(f"block_size must be a power of two of at least 16, got {block}")
    model = _load(job)
    graph = model.graph
    values = constants(graph)
    chains = [op for op in integer_ops(graph) if op.node.op_type == "MatMulInteger" and op.weight.ndim == 2]
    for n in graph.node:  # float MatMuls with a constant weight, as one-node chains
        w = values.get(n.input[1]) if n.op_type == "MatMul" else None
        if w is not None and w.ndim == 2 and w.dtype == np.float32 and w.size >= MIN_QUANTIZED:
            chains.append(IntegerOp(n, n.input[0], w, None, n.output[0], [n], (n.input[1],)))
    if not chains:
        raise EnunciateError(f"{job.parent.name!r} has no MatMul with constant weights to hold in 4 bits")
    made: dict[tuple, list[str]] = {}
    replacements, packed_counts = [], {"parameters": 0, "nonzero": 0}
    for op in chains:
        rows, cols = op.weight.shape  # K, N
        inits = []
        if op.source not in made:
            arrays, params, nonzero = pack_4bit(op.weight, block)
            packed_counts["parameters"] += params - arrays["weight"].size
            packed_counts["nonzero"] += nonzero - int(np.count_nonzero(arrays["weight"]))
            stem = f"{op.source[0]}.q4.{len(made)}"
            inits = [numpy_helper.from_array(a, f"{stem}.{part}") for part, a in arrays.items()]
            made[op.source] = [i.name for i in inits]
        name = (op.node.name.removesuffix("_quant") or op.y) + ".q4"
        node = helper.make_node("MatMulNBits", [op.x, *made[op.source]], [op.y], name, domain="com.microsoft",
                                K=rows, N=cols, bits=4, block_size=block,
                                accuracy_level=int(job.params["accuracy_level"]))
        replacements.append((op, [node], inits))
    replace_chains(graph, replacements)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    out = _out_path(job, "ort-int4")
    _check_kept(job, model)
    _save(model, out)
    return _result(job, out, packed=packed_counts)


def pack_4bit(weight: np.ndarray, block: int) -> tuple[dict[str, np.ndarray], int, int]:
    """A [K, N] weight as MatMulNBits stores it (4-bit values with a zero point per block of `block`
    rows of a column, two to a byte), with its parameter count and how many of them are non-zero
    (a value equal to its block's zero point is zero)."""
    from onnxruntime.capi._pybind_state import quantize_matmul_4bits

    rows, cols = weight.shape
    k_blocks = (rows + block - 1) // block
    padded = np.ascontiguousarray(np.pad(weight.astype(np.float32), ((0, k_blocks * block - rows), (0, 0))))
    packed = np.zeros((cols, k_blocks, block // 2), np.uint8)
    scales = np.zeros((cols, k_blocks), np.float32)
    zeros = np.zeros((cols, (k_blocks + 1) // 2), np.uint8)
    quantize_matmul_4bits(packed, padded, scales, zeros, block, cols, rows, False)
    values = np.stack([packed & 15, packed >> 4], axis=-1).reshape(cols, k_blocks * block)
    points = np.stack([zeros & 15, zeros >> 4], axis=-1).reshape(cols, -1)[:, :k_blocks]
    nonzero = int(np.count_nonzero((values != np.repeat(points, block, axis=1))[:, :rows]))
    return {"weight": packed, "scales": scales.reshape(-1), "zeros": zeros.reshape(-1)}, rows * cols, nonzero


# --- calibration data: text -> the frontend -> the model's own input feeds ------------------------

def calibration_feeds(job: Job, samples: int) -> list[dict]:
    """Up to `samples` input feeds for the parent's ONNX model, one per chunk that enunciate's
    frontend plans from the corpus, built by the voice class as it builds its own."""
    from ..options import SpeakOptions, VoiceSpec
    from ..pipeline import Report, plan
    from ..voices.registry import load

    if samples < 1:
        raise EnunciateError(f"samples must be at least 1, got {samples}")
    voice = load(VoiceSpec(job.parent.name, engine="onnx", threads=2), job.parent)
    text = "\n".join(t for t in job.corpus if t.strip())
    if not text.strip():
        raise EnunciateError("the calibration corpus is empty; give sentences of the kind the voice will read")
    feeds = []
    for chunk in plan(text, SpeakOptions(), voice, Report()):
        if chunk.phonemes.strip():
            feeds.append(voice.feeds(chunk.phonemes))  # Piper's with its noise on, as it speaks
        if len(feeds) >= samples:
            break
    if not feeds:
        raise EnunciateError("the calibration corpus has nothing speakable (only code, punctuation or markup); "
                             "give sentences of the kind the voice will read")
    return feeds


ALREADY_INT8 = "Kokoro and heart (int8 already)"
register(Method("ort-int8-dynamic", "onnx", ("piper",), int8_dynamic, {"per_channel": False},
                "dynamic int8 of every supported op (Conv, MatMul, Gemm, Gather); int8 Convs are often slower "
                f"than fp32 on CPU. Not for {ALREADY_INT8}"))
register(Method("ort-int8-matmul", "onnx", ("kokoro", "hibari"), int8_matmul, {"ops": "MatMul,Gemm"},
                "int8 only on the op types in ops: Kokoro's int8 Convs back to fp32 from their own weights; "
                "ops= (none) gives fp32. Not for piper: joe has no MatMul with constant weights (1x1 Convs)"))
register(Method("ort-int8-static", "onnx", ("piper", "kokoro", "hibari"), int8_static,
                {"samples": 16, "per_channel": True, "ops": "Conv,ConvTranspose,MatMul,Gemm,Add,Mul,LeakyRelu"},
                "static int8 QDQ calibrated on --corpus through enunciate's frontend (int8 parents are first "
                "dequantized from their own weights); Piper's duration predictor stays fp32", needs_corpus=True))
register(Method("ort-fp16", "onnx", ("piper",), fp16, {},
                "fp16 weights, fp32 I/O; duration predictor, noise and shape ops fp32. Half the size; ORT's CPU "
                f"EP casts most fp16 ops back to fp32, so no faster. Not for {ALREADY_INT8}"))
register(Method("ort-optimize", "onnx", ("piper", "kokoro", "hibari"), graph_optimize, {},
                "ORT's extended graph optimizations saved offline: tied to this ORT version and the CPU EP; "
                "saves load time, run time as ORT optimizes at load anyway"))
register(Method("ort-prune", "onnx", ("piper",), prune, {"sparsity": 0.3},
                "zero the smallest |w| of each Conv/MatMul/Gemm weight; ORT runs dense kernels: no faster, "
                "only more compressible. Not for Kokoro and heart: int8 weights with zero points"))
register(Method("ort-int4", "onnx", ("kokoro", "hibari"), int4, {"block_size": 32, "accuracy_level": 4},
                "4-bit block-wise MatMul weights (MatMulNBits), requantized from the int8 MatMuls. Not for piper: "
                "joe has no MatMul with constant weights"))
