"""Static int8 of a Piper voice's HiFi-GAN decoder through PyTorch's PT2E flow, calibrated (or trained
with fake quantization) on latents spoken through enunciate's frontend, saved back as a QDQ ONNX graph;
and torchao weight-only int8/int4 of its 1x1 convs for the torch engine.

    enunciate optimize joe --method torch-ptq-static -o joe-ptq          # calibration only, about 1 min
    enunciate optimize joe --method torch-qat -p steps=200 -o joe-qat    # + quantization-aware distillation
    enunciate optimize joe --method torch-weight-only -p dtype=int8 -o joe-wo8

The decoder (20 Conv1d, 3 ConvTranspose1d) is where joe spends about 60% of its time, and the part
whose shapes follow the audio's length; it is what the PT2E methods quantize. It is exported with
`torch.export` (batch and frame axes dynamic) and annotated by `conv_quantizer`, a PT2E quantizer of
its own: torch's X86InductorQuantizer annotates conv2d and linear only, so on joe's Conv1d it marks
nothing (measured: zero observers). Each conv gets uint8 per-tensor activations on its input and
output (HistogramObserver after calibration, moving-average fake quant in QAT) and int8 symmetric
per-channel weights (axis 1 for the transposed convs); with `stream` (the default) the residual
adds and the stage sums' divisions get uint8 outputs too. `convert_pt2e` then gives the int8 weights
and every scale and zero point.

Those numbers are written into the parent's ONNX file as QDQ: Quantize/DequantizeLinear after each
quantized tensor, each weight an int8 initializer behind a per-channel DequantizeLinear and each
bias int32 at scale input x weight, as ONNX Runtime's own static quantizer writes them. ONNX Runtime
fuses them into QLinearConv, QLinearAdd and QLinearLeakyRelu. Quantizing the convs alone left a
Quantize/Dequantize pair around each conv, which ate the gain (measured: 0.99x joe's time, against
about 0.7x with the stream int8). The variant keeps the loaders' rewrites (seeded noise, the durations
output); the text encoder, duration predictor and flow stay fp32, as in ort-int8-static (the
duration predictor's splines fail in reduced precision).

QAT starts from the same annotation with fake quantization, calibrates it on whole utterances,
then fine-tunes the decoder's weights for `steps` against the parent's audio on latent crops: the
distillation data and loss of torch-channel-prune (channel_prune.py), without its feature term. On
held-out crops that loss is 1.15 after calibration (PTQ) and 1.27 -> 0.70 over QAT's 200 steps.
"""
from __future__ import annotations

import copy
import logging
import math
import os
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads OpenMP: see channel_prune.py

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from ..errors import EnunciateError  # noqa: E402
from . import Job, Method, Result, count_onnx, register  # noqa: E402

log = logging.getLogger(__name__)

CONV_OPS = ("aten.conv1d.default", "aten.conv_transpose1d.default")
CALIBRATION_SENTENCES = 16   # corpus sentences whose latents calibrate the activation ranges (and QAT's crops)


def _pt2e():
    """torchao's PT2E API (torch.ao.quantization.quantize_pt2e moved there)."""
    from ..voices.torchao_weights import quiet_import

    with quiet_import():
        from torchao.quantization import pt2e
        from torchao.quantization.pt2e import quantize_pt2e
    return pt2e, quantize_pt2e


# --- the quantizer ---------------------------------------------------------------------------------

def _specs(qat: bool):
    """(activation spec, weight spec by channel axis): uint8 per-tensor affine activations, int8
    per-channel symmetric weights in [-127, 127], observers for PTQ and fake quantization for QAT."""
    pt2e, _ = _pt2e()
    from torchao.quantization.pt2e.quantizer import QuantizationSpec

    act_ctr = (pt2e.FakeQuantize.with_args(observer=pt2e.MovingAverageMinMaxObserver) if qat
               else pt2e.HistogramObserver.with_args(eps=2 ** -12))

    def weight_ctr(axis: int):
        if qat:  # ch_axis in the constructor too: prepare_qat_pt2e kept axis 0 otherwise (scales per input
            # channel on the transposed convs)
            return pt2e.FakeQuantize.with_args(observer=pt2e.MovingAveragePerChannelMinMaxObserver, ch_axis=axis)
        return pt2e.PerChannelMinMaxObserver.with_args(eps=2 ** -12)

    act = QuantizationSpec(dtype=torch.uint8, quant_min=0, quant_max=255, qscheme=torch.per_tensor_affine,
                           is_dynamic=False, observer_or_fake_quant_ctr=act_ctr)

    def weight(axis: int) -> QuantizationSpec:
        return QuantizationSpec(dtype=torch.int8, quant_min=-127, quant_max=127, qscheme=torch.per_channel_symmetric,
                                ch_axis=axis, is_dynamic=False,
                                observer_or_fake_quant_ctr=weight_ctr(axis))

    return act, weight


def is_stream_op(node: torch.fx.Node) -> bool:
    """An add of two tensors or a division: the residual stream between the decoder's convs (a
    Python sum's `0 + x` is left out: the ONNX graph has no node for it)."""
    target = str(node.target)
    return node.op == "call_function" and (
        target == "aten.div.Tensor"
        or (target == "aten.add.Tensor" and all(isinstance(a, torch.fx.Node) for a in node.args[:2])))


def conv_quantizer(qat: bool = False, stream: bool = True):
    """A PT2E Quantizer that annotates every conv1d and conv_transpose1d (input, weight and output)
    and, with `stream`, the output of every `is_stream_op`, so the residual chain stays int8."""
    from torchao.quantization.pt2e.quantizer import QuantizationAnnotation, Quantizer

    act, weight = _specs(qat)

    class ConvQuantizer(Quantizer):
        def annotate(self, model: torch.fx.GraphModule) -> torch.fx.GraphModule:
            for node in model.graph.nodes:
                if node.op == "call_function" and str(node.target) in CONV_OPS:
                    axis = 1 if "transpose" in str(node.target) else 0  # ConvTranspose weights are [in, out, k]
                    node.meta["quantization_annotation"] = QuantizationAnnotation(
                        input_qspec_map={node.args[0]: act, node.args[1]: weight(axis)}, output_qspec=act,
                        _annotated=True)
                elif stream and is_stream_op(node):
                    node.meta["quantization_annotation"] = QuantizationAnnotation(output_qspec=act, _annotated=True)
            return model

        def validate(self, model: torch.fx.GraphModule) -> None:
            pass

    return ConvQuantizer()


def export_decoder(dec: nn.Module) -> torch.fx.GraphModule:
    """The decoder as an FX graph (torch.export, batch and frame axes dynamic), a copy: training it
    leaves `dec` as it was."""
    dec = copy.deepcopy(dec).eval()
    example = torch.zeros(2, dec.conv_pre.in_channels, 32)
    dims = ({0: torch.export.Dim("batch", max=64), 2: torch.export.Dim("frames", min=8, max=1 << 16)},)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.export.export(dec, (example,), dynamic_shapes=dims).module()


# --- what convert_pt2e gives, per conv ---------------------------------------------------------------

@dataclass(frozen=True)
class QuantizedConv:
    """One conv's int8 form: input and output (scale, zero point), int8 weight with per-channel scales
    along `axis`, float bias (None: none)."""

    module: str
    input: tuple[float, int]
    output: tuple[float, int]
    weight: torch.Tensor
    weight_scale: torch.Tensor
    axis: int
    bias: torch.Tensor | None


def _value(gm: torch.fx.GraphModule, arg):
    """A constant argument of a converted graph: a literal, or the tensor a get_attr node names."""
    if isinstance(arg, torch.fx.Node):
        obj = gm
        for part in arg.target.split("."):
            obj = getattr(obj, part)
        return obj
    return arg


def _qparams(gm, node: torch.fx.Node) -> tuple[float, int]:
    scale, zero_point = (_value(gm, a) for a in node.args[1:3])
    return float(scale), int(zero_point)


def _module_name(node: torch.fx.Node) -> str:
    """The conv's module path inside the decoder, from the graph's nn_module_stack."""
    stack = node.meta.get("nn_module_stack") or {}
    path = list(stack.values())[-1][0] if stack else ""
    return path.removeprefix("L['self'].").replace("[", ".").replace("]", "")


def stream_key(module: str, op: str, index: int) -> str:
    """How a stream op is named on both sides: module path, op, occurrence in that module
    ("resblocks.0/Add_1"; the decoder's own: "Div"), as torch.onnx names the ONNX nodes."""
    name = f"{op}_{index}" if index else op
    return f"{module}/{name}" if module else name


def quantized_streams(gm: torch.fx.GraphModule) -> dict[str, tuple[float, int]]:
    """(scale, zero point) of every quantized stream op's output in a converted graph, by `stream_key`."""
    out, seen = {}, {}
    for node in gm.graph.nodes:
        if not is_stream_op(node):
            continue
        module, op = _module_name(node), "Div" if "div" in str(node.target) else "Add"
        index = seen[(module, op)] = seen.get((module, op), -1) + 1
        users = [u for u in node.users if "quantize_per_tensor" in str(u.target)]
        if users:
            out[stream_key(module, op, index)] = _qparams(gm, users[0])
    return out


def quantized_convs(gm: torch.fx.GraphModule) -> dict[str, QuantizedConv]:
    """Read every conv of a converted (convert_pt2e, weights folded) graph: module name -> QuantizedConv."""
    out = {}
    for node in gm.graph.nodes:
        if node.op != "call_function" or str(node.target) not in CONV_OPS:
            continue
        x_dq, w_dq = node.args[0], node.args[1]
        bias = node.args[2] if len(node.args) > 2 else None
        users = [u for u in node.users if "quantize_per_tensor" in str(u.target)]
        if "dequantize" not in str(x_dq.target) or "dequantize_per_channel" not in str(w_dq.target) or not users:
            raise EnunciateError(f"PT2E left conv {node.name} unquantized; this torch/torchao pairing is not supported")
        weight, scale = _value(gm, w_dq.args[0]), _value(gm, w_dq.args[1])
        out[_module_name(node)] = QuantizedConv(
            _module_name(node), _qparams(gm, x_dq), _qparams(gm, users[0]), weight.detach().clone(),
            scale.detach().float().clone(), int(w_dq.args[3]),
            None if bias is None else _value(gm, bias).detach().float().clone())
    return out


# --- writing the QDQ graph ------------------------------------------------------------------------------

def write_qdq(source: Path, convs: dict[str, QuantizedConv], out: Path,
              streams: dict[str, tuple[float, int]] | None = None, prefix: str = "dec.") -> int:
    """A copy of the ONNX file `source` in which each conv of `convs` (module names under `prefix`)
    reads int8 weights and runs between Quantize/DequantizeLinear pairs, and each Add/Div named in
    `streams` (by `stream_key`) is followed by one. -> convs written."""
    import onnx
    from onnx import helper, numpy_helper

    from .torch_methods import initializer_names

    model = onnx.load(str(source))
    graph = model.graph
    names = initializer_names(graph)
    by_weight = {}
    for name, conv in convs.items():
        key = f"{prefix}{name}.weight"
        if key not in names:
            raise EnunciateError(f"{source.name} has no initializer for {key}")
        by_weight[names[key]] = conv
    dropped = set()
    inits, nodes, done_inputs = [], [], {}

    def constant(name: str, array: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(array, name))
        return name

    def qdq(tensor: str, scale: float, zero_point: int, out_name: str) -> list:
        s = constant(f"{tensor}/qdq_scale", np.array(scale, np.float32))
        z = constant(f"{tensor}/qdq_zero_point", np.array(zero_point, np.uint8))
        return [helper.make_node("QuantizeLinear", [tensor, s, z], [f"{tensor}/q"], name=f"{tensor}/QuantizeLinear"),
                helper.make_node("DequantizeLinear", [f"{tensor}/q", s, z], [out_name],
                                 name=f"{tensor}/DequantizeLinear")]

    streams, scope = dict(streams or {}), f"/{prefix.rstrip('.')}/"
    written = 0
    for node in graph.node:
        key = node.name.removeprefix(scope) if node.name.startswith(scope) else None
        if key is not None and node.op_type in ("Add", "Div") and key in streams:
            y = node.output[0]
            node.output[0] = f"{y}/float"
            nodes.extend([node, *qdq(f"{y}/float", *streams.pop(key), y)])
            continue
        is_conv = node.op_type in ("Conv", "ConvTranspose") and len(node.input) > 1
        conv = by_weight.get(node.input[1]) if is_conv else None
        if conv is None:
            nodes.append(node)
            continue
        x, w = node.input[0], node.input[1]
        if x not in done_inputs:  # ONNX shares one LeakyRelu output between a stage's first resblock convs
            done_inputs[x] = f"{x}/dq"
            nodes.extend(qdq(x, *conv.input, done_inputs[x]))
        node.input[0] = done_inputs[x]
        w_scale = conv.weight_scale.numpy().astype(np.float32)
        pre = [helper.make_node("DequantizeLinear", [constant(f"{w}/int8", conv.weight.numpy().astype(np.int8)),
                                                     constant(f"{w}/scale", w_scale),
                                                     constant(f"{w}/zero_point", np.zeros_like(w_scale, np.int8))],
                                [f"{w}/dq"], name=f"{w}/DequantizeLinear", axis=conv.axis)]
        dropped.add(w)
        node.input[1] = f"{w}/dq"
        if conv.bias is not None:
            b = node.input[2]
            b_scale = (conv.input[0] * w_scale.astype(np.float64)).astype(np.float32)
            b_int = np.round(conv.bias.numpy().astype(np.float64) / b_scale).clip(-2 ** 31, 2 ** 31 - 1)
            inputs = [constant(f"{b}/int32", b_int.astype(np.int32)), constant(f"{b}/scale", b_scale),
                      constant(f"{b}/zero_point", np.zeros(len(b_scale), np.int32))]
            pre.append(helper.make_node("DequantizeLinear", inputs, [f"{b}/dq"], name=f"{b}/DequantizeLinear", axis=0))
            dropped.add(b)
            node.input[2] = f"{b}/dq"
        y = node.output[0]
        node.output[0] = f"{y}/float"
        nodes.extend([*pre, node, *qdq(f"{y}/float", *conv.output, y)])
        written += 1
    if streams:  # the two graphs did not name the same ops: the torch model and the ONNX file differ
        raise EnunciateError(f"{source.name} has no Add/Div node for {', '.join(sorted(streams)[:3])}")
    kept = [i for i in graph.initializer if i.name not in dropped]
    del graph.initializer[:]
    graph.initializer.extend(kept + inits)
    del graph.node[:]
    graph.node.extend(nodes)
    if max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0) < 13:
        raise EnunciateError(f"{source.name} is ONNX opset < 13, which has no per-channel DequantizeLinear")
    onnx.checker.check_model(model)
    onnx.save(model, str(out))
    return written


# --- the methods -------------------------------------------------------------------------------------

def _int(job: Job, key: str, low: int) -> int:
    value = job.params[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise EnunciateError(f"{key} is a whole number >= {low}; got {value!r}")
    return value


def _flag(job: Job, key: str) -> bool:
    if job.params[key] not in (True, False):
        raise EnunciateError(f"{key} is true or false; got {job.params[key]!r}")
    return bool(job.params[key])


def _parent_and_pool(job: Job, sentences: int):
    """The parent's modules and the decoder inputs it makes for corpus sentences (the dev set past the
    sentences `eval` judges when no --corpus is given), spoken through enunciate's frontend."""
    from .channel_prune import default_corpus, latents
    from .onnx_methods import calibration_feeds
    from .torch_methods import load_vits

    try:
        parent = load_vits(job.parent.path("model"))
    except ValueError as e:  # a Piper "high" voice: HiFi-GAN type 1 resblocks
        raise EnunciateError(f"{job.parent.name!r} cannot be read into PyTorch: {e}") from e
    corpus = job.corpus or default_corpus()
    pool = latents(parent, calibration_feeds(replace(job, corpus=corpus), sentences), _int(job, "seed", 0))
    return parent, pool


def _save(job: Job, quantized: tuple[dict, dict], kind: str, extra: dict) -> Result:
    """The QDQ ONNX file (<parent>.<kind>.onnx) and Piper's config beside it; counts."""
    source = job.parent.path("model")
    out = job.workdir / f"{source.stem}.{kind}.onnx"
    convs, streams = quantized
    written = write_qdq(source, convs, out, streams)
    files = {"model": out}
    config = out.with_name(out.name + ".json")
    config.write_bytes(job.parent.path("config").read_bytes())
    files["config"] = config
    counts = count_onnx(out)
    biases = [c.bias for c in convs.values() if c.bias is not None]  # int32: count_onnx counts float and 8-bit
    counts["parameters"] += sum(b.numel() for b in biases)
    counts["nonzero"] += sum(int(torch.count_nonzero(b)) for b in biases)
    return Result(files, {"engines": ("onnx",)}, {**counts, "int8_convs": written, "int8_stream_ops": len(streams),
                                                  **extra})


def calibrate(dec: nn.Module, pool: list[torch.Tensor], qat: bool = False, stream: bool = True) -> torch.fx.GraphModule:
    """The exported decoder, annotated and prepared (observers or fake quant), run once over every latent."""
    _, quantize_pt2e = _pt2e()
    gm = export_decoder(dec)
    prepare = quantize_pt2e.prepare_qat_pt2e if qat else quantize_pt2e.prepare_pt2e
    prepared = prepare(gm, conv_quantizer(qat, stream))
    with torch.no_grad():
        for z in pool:
            prepared(z[None])
    return prepared


def convert(prepared: torch.fx.GraphModule) -> tuple[dict[str, QuantizedConv], dict[str, tuple[float, int]]]:
    """convert_pt2e, then what it decided: the convs' int8 forms and the stream ops' output qparams."""
    _, quantize_pt2e = _pt2e()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        converted = quantize_pt2e.convert_pt2e(prepared, fold_quantize=True)
    return quantized_convs(converted), quantized_streams(converted)


def _ptq_static(job: Job) -> Result:
    start = time.perf_counter()
    parent, pool = _parent_and_pool(job, _int(job, "samples", 1))
    convs = convert(calibrate(parent.dec, pool, stream=_flag(job, "stream")))
    return _save(job, convs, "ptq-int8",
                 {"calibration_utterances": len(pool), "quantize_s": round(time.perf_counter() - start, 1)})


def qat_distill(teacher: nn.Module, student: torch.fx.GraphModule, pool: list[torch.Tensor], steps: int, lr: float,
                seed: int, progress: bool = True) -> tuple[float, float, float]:
    """Fine-tune the fake-quantized `student` decoder towards `teacher` on random latent crops (channel
    prune's loss on the audio, Adam on a cosine). -> (loss before, loss after on held-out crops, seconds)."""
    from tqdm import tqdm

    from .channel_prune import BATCH, EVAL_CROPS, _crops, distill_loss

    pt2e, _ = _pt2e()
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    held = _crops(pool, EVAL_CROPS, torch.Generator().manual_seed(seed + 1))

    def held_loss() -> float:
        student.apply(pt2e.disable_observer)
        with torch.no_grad():
            loss = float(distill_loss(student(held)[:, 0], teacher(held)[:, 0]))
        student.apply(pt2e.enable_observer)
        return loss

    before = held_loss()
    params = [p for p in student.parameters() if p.is_floating_point()]
    for p in params:
        p.requires_grad_(True)
    optimizer = torch.optim.Adam(params, lr=lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda i: 0.5 * (1 + math.cos(math.pi * i / max(steps, 1))))
    start = time.perf_counter()
    bar = tqdm(range(steps), desc="quantization-aware distillation", unit="step", disable=None if progress else True)
    for _ in bar:
        z = _crops(pool, BATCH, gen)
        with torch.no_grad():
            target = teacher(z)[:, 0]
        loss = distill_loss(student(z)[:, 0], target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        bar.set_postfix(loss=f"{loss.item():.4f}")
    for p in params:
        p.requires_grad_(False)
    return before, held_loss(), time.perf_counter() - start


def _qat(job: Job) -> Result:
    from .channel_prune import SEGMENT_FRAMES

    steps = _int(job, "steps", 0)
    lr = job.params["lr"]
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < 1:
        raise EnunciateError(f"lr is Adam's learning rate, above 0 and below 1 (e.g. 1e-4); got {lr!r}")
    parent, pool = _parent_and_pool(job, _int(job, "samples", 1))
    crops = [z for z in pool if z.shape[1] >= SEGMENT_FRAMES]
    if steps and not crops:
        raise EnunciateError(f"the corpus gives no utterance of {SEGMENT_FRAMES} latent frames or more "
                             "(about 0.3 s); give whole sentences")
    prepared = calibrate(parent.dec, pool, qat=True, stream=_flag(job, "stream"))
    before, after, seconds = qat_distill(parent.dec, prepared, crops, steps, float(lr), job.params["seed"])
    log.info("QAT %d steps in %.0f s: loss %.4f -> %.4f", steps, seconds, before, after)
    convs = convert(prepared)
    return _save(job, convs, "qat-int8",
                 {"distill_loss_before": round(before, 5), "distill_loss_after": round(after, 5),
                  "distill_s": round(seconds, 1), "distill_utterances": len(crops)})


WEIGHT_DTYPES = ("int8", "int4", "bf16", "fp16")


def _weight_only(job: Job) -> Result:
    """torchao weight-only int8 (CPU or CUDA) or int4 (CUDA) of the pointwise convs, recorded for the
    loader (voices/torchao_weights.py); bf16 and fp16 are the torch engine's load-time dtypes."""
    from safetensors.torch import save_file

    from ..voices.torch_runtime import torch_device
    from ..voices.torchao_weights import STATE_FILE, check_device, quantized_record, weight_only
    from .torch_methods import load_vits

    dtype, device = job.params["dtype"], job.params["device"]
    if dtype not in WEIGHT_DTYPES:
        raise EnunciateError(f"dtype must be one of {', '.join(WEIGHT_DTYPES)}; got {dtype!r}")
    if dtype in ("bf16", "fp16"):
        where = ("needs a CUDA GPU: PyTorch's CPU fp16 kernels are very slow" if dtype == "fp16"
                 else "runs on CUDA, and on CPUs with AVX-512 BF16 or AMX")
        raise EnunciateError(f"{dtype} needs no variant folder: it is a load-time dtype of every torch voice "
                             f"(enunciate speak --engine torch --dtype {dtype}); {dtype} {where}")
    check_device(dtype, device)
    torch_device(device)  # a CUDA that is not there is named before anything is built
    model = load_vits(job.parent.path("model"))
    n = weight_only(model, dtype, device)
    record = quantized_record(model)
    state = job.workdir / STATE_FILE
    save_file(record, str(state), metadata={"transform": f"weight-only-{dtype}", "torch": torch.__version__})
    float_params = sum(p.numel() for p in model.parameters() if type(p) is nn.Parameter)
    qdata = [t for k, t in record.items() if k.endswith(".qdata")]
    return Result({"torch_state": state},
                  {"engines": ("torch",), "options": {**job.parent.options, "torch_transform": f"weight-only-{dtype}"}},
                  {"parameters": float_params + sum(t.numel() for t in qdata),
                   "nonzero": sum(int(torch.count_nonzero(p)) for p in model.parameters() if type(p) is nn.Parameter)
                   + sum(int(torch.count_nonzero(t)) for t in qdata),
                   "quantized_tensors": len(qdata), "quantized_layers": n})


register(Method("torch-ptq-static", "torch", ("piper",), _ptq_static,
                {"samples": CALIBRATION_SENTENCES, "stream": True, "seed": 0},
                "static int8 of the HiFi-GAN decoder's convolutions by PT2E (torch.export + a conv quantizer), "
                "calibrated on --corpus latents (default: the dev set past its first 30); saved as a QDQ ONNX "
                "graph (ONNX Runtime runs it)"))
register(Method("torch-qat", "torch", ("piper",), _qat,
                {"steps": 200, "lr": 1e-4, "samples": CALIBRATION_SENTENCES, "stream": True, "seed": 0},
                "quantization-aware training of the decoder's convolutions (PT2E fake quant), distilled against "
                "the parent for steps; saved as a QDQ ONNX graph like torch-ptq-static"))
register(Method("torch-weight-only", "torch", ("piper",), _weight_only, {"dtype": "int8", "device": "cpu"},
                "torchao weight-only int8 (CPU, CUDA) or int4 (CUDA only) of the 1x1 convs as Linear (torchao "
                "has no conv kernels); torch engine. bf16/fp16 are load-time dtypes (--dtype)"))
