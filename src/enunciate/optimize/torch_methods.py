"""PyTorch methods on the recovered modules: the source documents' recipe, each variant a voice folder.

    torch-int8-dynamic  quantize_dynamic(model, {nn.Linear, nn.LSTM}, dtype=torch.qint8)  (joe, Kokoro)
    torch-l1-prune      l1_unstructured(amount) per layer, made permanent, written back into the ONNX (joe)
    torch-recipe        both: l1_unstructured 0.3 on Linear, then quantize_dynamic (joe)

Piper's VITS has no nn.Linear and no LSTM (measured on joe: 129 Conv1d, 3 ConvTranspose1d, one
Embedding), so the documents' calls, written for Linear layers, change nothing in it. Its Linear
layers in all but name are the 69 pointwise (1x1) Conv1d — attention q/k/v/o, the flow's
res/skip and pre/post, the duration predictor's 1x1s: 2.67 M of 15.65 M parameters, and they run
in the text encoder, duration predictor and flow, not in the HiFi-GAN decoder, which takes about
60% of the time. `pointwise=true` rewrites them as nn.Linear first, so the same calls reach them.
Kokoro has 83 Linear and 6 LSTMs (23 M of 81 M parameters, in ALBERT, the prosody predictor and
the decoder's style projections); its time too goes to the convolutional decoder.

A dynamically quantized module has no plain ONNX form, so the int8 variants run on the torch engine:
the folder keeps its ONNX file (the fp32 weights the transform starts from) and, as role
`torch_state`, a safetensors record of the int8 weights with their scales and zero points.
voice.json's options name the transform; the loader applies it and checks the result against the
record (`apply_transform`), so what runs is what was measured, and no pickle is ever loaded.
Pruning only zeroes weights, so a pruned variant is the parent's ONNX file with the pruned tensors
written into its initializers: the graph (and its seeded-noise rewrite) is untouched and it runs
on both engines.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.ao.nn.quantized import dynamic as nnqd

from ..errors import EnunciateError
from ..voices.torch_transforms import (DYNAMIC_TYPES, STATE_FILE, TRANSFORMS, Pointwise,  # noqa: F401
    QuantizedPackedLSTM, _quantized_modules, apply_transform, int8_weights, is_pointwise, pointwise_as_linear,
    quantize_dynamic, transform)
from . import Job, Method, Result, count_onnx, register

log = logging.getLogger(__name__)


PRUNE_LAYERS = ("linear", "linear+pointwise", "linear+conv")


def load_torch_model(parent) -> nn.Module:
    """The parent voice's PyTorch modules in fp32 on the CPU, weights recovered from its ONNX file."""
    if parent.family == "kokoro":
        from ..voices.kokoro_torch.model import load_model

        return load_model("cpu", "fp32", str(parent.path("model")))
    return load_vits(parent.path("model"))


def load_vits(onnx_path: Path) -> nn.Module:
    from ..voices.vits.model import Vits, VitsConfig
    from ..voices.vits.recover import load_weights

    state = load_weights(onnx_path)
    model = Vits(VitsConfig.from_state_dict(state))
    model.load_state_dict(state, strict=True)
    return model.eval().requires_grad_(False)


def initializer_names(graph) -> dict[str, str]:
    """model.Vits parameter name -> ONNX initializer name: recover.py's mapping, reversed."""
    from ..voices.vits.recover import FOLDED, package_name, reference_name

    consumers: dict[str, list[tuple[str, str, int]]] = {}
    for node in graph.node:
        for i, name in enumerate(node.input):
            consumers.setdefault(name, []).append((node.op_type, node.name, i))
    out = {}
    for init in graph.initializer:
        if init.name in FOLDED:
            continue
        if reference := reference_name(init.name, consumers.get(init.name, [])):
            out[package_name(reference)] = init.name
    return out


def write_onnx_weights(source: Path, weights: dict[str, torch.Tensor], out: Path) -> None:
    """A copy of `source` with the named Vits parameters' initializers replaced by `weights`."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(source))
    names = initializer_names(model.graph)
    missing = sorted(set(weights) - set(names))
    if missing:
        raise EnunciateError(f"{source.name} has no initializer for {', '.join(missing[:3])}")
    by_init = {names[k]: v for k, v in weights.items()}
    for init in model.graph.initializer:
        if init.name in by_init:
            old = numpy_helper.to_array(init)
            new = by_init[init.name].detach().cpu().numpy().astype(old.dtype).reshape(old.shape)
            init.CopyFrom(numpy_helper.from_array(new, init.name))
    onnx.save(model, str(out))


def onnx_tensors(path: Path, params: list[str]) -> dict[str, np.ndarray]:
    """The named Vits parameters as stored in an ONNX file (for checking a pruned export)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    names = initializer_names(model.graph)
    wanted = {names[p]: p for p in params}
    return {wanted[i.name]: numpy_helper.to_array(i) for i in model.graph.initializer if i.name in wanted}


# --- pruning ---------------------------------------------------------------------------------------

def prune_targets(model: nn.Module, layers: str) -> dict[str, nn.Module]:
    """Modules whose weight is pruned: Linear (the documents), plus pointwise Conv1d, or all convs."""
    kinds = {"linear": (nn.Linear,), "linear+pointwise": (nn.Linear,),
             "linear+conv": (nn.Linear, nn.Conv1d, nn.ConvTranspose1d)}[layers]
    return {name: m for name, m in model.named_modules()
            if type(m) in kinds or (layers == "linear+pointwise" and is_pointwise(m))}


def l1_prune(model: nn.Module, amount: float, layers: str) -> dict[str, torch.Tensor]:
    """l1_unstructured(amount) on each target's weight, made permanent (prune.remove), as the
    documents do: per layer, so every pruned tensor loses the same share. -> pruned weights by name."""
    from torch.nn.utils import prune

    pruned = {}
    for name, module in prune_targets(model, layers).items():
        prune.l1_unstructured(module, "weight", amount=amount)
        prune.remove(module, "weight")
        pruned[f"{name}.weight"] = module.weight.detach()
    return pruned


# --- counting ----------------------------------------------------------------------------------------

def torch_counts(model: nn.Module) -> dict:
    """Parameters, non-zeros and int8 tensors of a (partly) quantized module tree."""
    quantized = _quantized_modules(model)
    inside = tuple(f"{name}." for name in quantized)
    floats = [t for k, t in model.state_dict().items()
              if not k.startswith(inside) and isinstance(t, torch.Tensor) and t.is_floating_point()]
    for module in quantized.values():
        biases = [module.bias()] if isinstance(module, nnqd.Linear) else list(module.get_bias().values())
        floats += [b for b in biases if b is not None]
    record = int8_weights(model)
    int8 = [k for k in record if not k.endswith((".scale", ".zero_point"))]
    nonzero = sum(int(torch.count_nonzero(t)) for t in floats)
    nonzero += sum(int((record[k].to(torch.int64) != record[f"{k}.zero_point"]).sum()) for k in int8)
    return {"parameters": sum(t.numel() for t in floats) + sum(record[k].numel() for k in int8),
            "nonzero": nonzero, "quantized_tensors": len(int8)}


def _sparsity(pruned: dict[str, torch.Tensor]) -> dict:
    n = sum(t.numel() for t in pruned.values())
    zeros = sum(int((t == 0).sum()) for t in pruned.values())
    return {"pruned_tensors": len(pruned), "pruned_sparsity": round(zeros / n, 4) if n else 0.0}


# --- the methods -------------------------------------------------------------------------------------

def _amount(job: Job) -> float:
    amount = job.params["amount"]
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not 0 < amount < 1:
        raise EnunciateError(f"amount is the share of weights to prune, between 0 and 1 (e.g. 0.3); got {amount!r}")
    return float(amount)


def _flag(job: Job, key: str) -> bool:
    value = job.params[key]
    if value not in (True, False):
        raise EnunciateError(f"{key} is true or false; got {value!r}")
    return bool(value)


def _saved_int8(job: Job, model: nn.Module, pointwise: bool, model_file: Path | None, extra: dict) -> Result:
    """Quantize, record the int8 weights, and describe a torch-engine variant."""
    from safetensors.torch import save_file

    name = "int8-dynamic-pointwise" if pointwise else "int8-dynamic"
    transform(model, name)
    counts = torch_counts(model)
    if counts["quantized_tensors"] == 0:
        log.warning("%s has no nn.Linear or nn.LSTM: quantize_dynamic changed nothing (pointwise=true "
                    "quantizes its 1x1 convolutions)", job.parent.name)
    state = job.workdir / STATE_FILE
    save_file(int8_weights(model), str(state), metadata={"transform": name, "torch": torch.__version__})
    files = {"torch_state": state, **({"model": model_file} if model_file else {})}
    return Result(files, {"engines": ("torch",), "options": {**job.parent.options, "torch_transform": name}},
                  {**counts, **extra})


def _int8_dynamic(job: Job) -> Result:
    pointwise = _flag(job, "pointwise")
    if pointwise and job.parent.family != "piper":
        raise EnunciateError(f"pointwise=true applies to Piper voices; {job.parent.name!r} has nn.Linear "
                             "layers of its own: leave it out")
    return _saved_int8(job, load_torch_model(job.parent), pointwise, None, {})


def _pruned_onnx(job: Job, model: nn.Module, amount: float, layers: str) -> tuple[Path | None, dict]:
    pruned = l1_prune(model, amount, layers)
    if not pruned:
        log.warning("%s has no layers of kind %r: nothing was pruned", job.parent.name, layers)
        return None, _sparsity(pruned)
    out = job.workdir / job.parent.path("model").name
    write_onnx_weights(job.parent.path("model"), pruned, out)
    return out, _sparsity(pruned)


def _l1_prune(job: Job) -> Result:
    amount, layers = _amount(job), job.params["layers"]
    if layers not in PRUNE_LAYERS:
        raise EnunciateError(f"layers must be one of {', '.join(PRUNE_LAYERS)}; got {layers!r}")
    out, sparsity = _pruned_onnx(job, load_vits(job.parent.path("model")), amount, layers)
    files = {"model": out} if out else {}
    return Result(files, {}, {**count_onnx(out or job.parent.path("model")), **sparsity})


def _recipe(job: Job) -> Result:
    amount, pointwise = _amount(job), _flag(job, "pointwise")
    model = load_vits(job.parent.path("model"))
    out, sparsity = _pruned_onnx(job, model, amount, "linear+pointwise" if pointwise else "linear")
    return _saved_int8(job, model, pointwise, out, sparsity)


POINTWISE_NOTE = "pointwise=true treats 1x1 Conv1d as Linear (Piper's VITS has no nn.Linear)"

register(Method("torch-int8-dynamic", "torch", ("piper", "kokoro"), _int8_dynamic, {"pointwise": False},
                "quantize_dynamic(model, {Linear, LSTM}, qint8) on the recovered modules; torch engine. "
                + POINTWISE_NOTE))
register(Method("torch-l1-prune", "torch", ("piper",), _l1_prune, {"amount": 0.3, "layers": "linear"},
                "l1_unstructured(amount) per layer on Linear weights (layers=linear+pointwise adds 1x1 convs, "
                "linear+conv every Conv1d/ConvTranspose1d), written back into the ONNX: both engines"))
register(Method("torch-recipe", "torch", ("piper",), _recipe, {"amount": 0.3, "pointwise": False},
                "the documents' recipe: l1_unstructured(amount) on Linear, then quantize_dynamic; torch engine. "
                + POINTWISE_NOTE))
