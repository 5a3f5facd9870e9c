"""Smaller and faster variants of a voice, each saved as a voice folder with its provenance.

    enunciate optimize joe --method ort-int8-matmul -o ./joe-int8
    optimize("joe", "ort-int8-matmul", "./joe-int8")      # -> VoiceManifest of the new folder

A method (`Method`) applies to some families on one engine; it turns the parent's files into new
ones in a work folder. `optimize` checks that the method applies, runs it, checks the variant still
speaks (audio neither silent nor NaN), and writes the folder atomically with voice.json recording
the method, its parameters, the parent and its hash, size on disk, parameter and non-zero counts,
and the command. Methods register themselves in METHODS (onnx_methods.py, torch_methods.py, channel_prune.py,
torch_quant.py).
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import EnunciateError
from ..voices.folder import FileRef, Provenance, VoiceManifest

CHECK_TEXT = "Install CUDA 12.4, then run kubectl in 35 ms."


@dataclass(frozen=True)
class Job:
    """What a method gets: the parent's manifest, a folder to write new files in, its parameters,
    and a calibration corpus (texts) for methods that need one."""

    parent: VoiceManifest
    workdir: Path
    params: dict
    corpus: tuple[str, ...] = ()


@dataclass(frozen=True)
class Result:
    """What a method returns: new files by role (others are copied from the parent), manifest
    fields to change (engines, options, family), and counts it measured."""

    files: dict[str, Path]
    changes: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)   # parameters, nonzero, quantized_tensors, ...


@dataclass(frozen=True)
class Method:
    name: str
    engine: str                      # "onnx" or "torch": the engine the method works on
    families: tuple[str, ...]        # voice families it applies to
    apply: Callable[[Job], Result]
    defaults: dict = field(default_factory=dict)
    summary: str = ""
    needs_corpus: bool = False


METHODS: dict[str, Method] = {}


def register(method: Method) -> Method:
    METHODS[method.name] = method
    return method


def _load_methods() -> None:
    from . import onnx_methods  # noqa: F401
    try:
        from . import channel_prune, torch_methods  # noqa: F401
    except ImportError:  # torch not installed: its methods are simply not offered
        return
    import importlib.util

    if importlib.util.find_spec("torchao") is not None:  # the PT2E and weight-only methods need torchao
        from . import torch_quant  # noqa: F401


def methods() -> dict[str, Method]:
    _load_methods()
    return METHODS


def parse_params(pairs: list[str]) -> dict:
    """["sparsity=0.3", "ops=MatMul,Gemm"] -> {"sparsity": 0.3, "ops": "MatMul,Gemm"}."""
    import json

    out = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key:
            raise EnunciateError(f"a parameter is KEY=VALUE, got {pair!r}")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def optimize(voice: str, method: str, out: str | Path, params: dict | None = None, force: bool = False,
             corpus: tuple[str, ...] = (), command: str | None = None, check: bool = True) -> VoiceManifest:
    """Make a variant of `voice` (a name or folder) by `method` and save it as a voice folder `out`."""
    from ..voices.folder import write_voice_folder
    from ..voices.registry import resolve

    table = methods()
    if method not in table:
        raise EnunciateError(f"unknown method {method!r}; available: {', '.join(sorted(table))}")
    m = table[method]
    parent = resolve(voice)
    if parent.family not in m.families:
        applicable = sorted(n for n, x in table.items() if parent.family in x.families)
        raise EnunciateError(f"method {method!r} does not apply to {parent.name!r} (family {parent.family}); "
                             f"methods for it: {', '.join(applicable) or 'none'}")
    if m.engine not in parent.engines:
        raise EnunciateError(f"method {method!r} works on the {m.engine} engine, which {parent.name!r} lacks")
    if m.needs_corpus and not corpus:
        raise EnunciateError(f"method {method!r} needs calibration text: pass --corpus FILE")
    out = Path(out).expanduser()
    if out.exists() and not force:
        raise EnunciateError(f"{out} already exists; choose another folder or pass --force to replace it")
    merged = {**m.defaults, **(params or {})}
    unknown = set(merged) - set(m.defaults)
    if unknown:
        raise EnunciateError(f"method {method!r} takes no parameter {', '.join(sorted(unknown))}; "
                             f"its parameters: {', '.join(f'{k}={v}' for k, v in m.defaults.items()) or 'none'}")
    with tempfile.TemporaryDirectory(prefix="enunciate-optimize-") as tmp:
        result = m.apply(Job(parent, Path(tmp), merged, tuple(corpus)))
        files = {role: parent.path(role) for role in parent.files}
        files.update(result.files)
        refs = {role: FileRef(Path(p).name) for role, p in files.items()}
        model_ref = parent.files.get("model")
        name = out.name
        manifest = replace(parent, name=name, files=refs, folder=None, **result.changes,
                           provenance=Provenance(source=parent.provenance.source, parent=parent.name,
                                                 parent_sha256=_parent_hash(parent), method=method, params=merged,
                                                 command=command),
                           metrics={"size_bytes": sum(Path(p).stat().st_size for p in files.values()),
                                    **result.counts})
        if model_ref is not None and check:
            _check_speaks(manifest, files)
        return write_voice_folder(out, manifest, files, force=force)


def _parent_hash(parent: VoiceManifest) -> str:
    from ..cache import sha256_file

    return parent.files["model"].sha256 or sha256_file(parent.path("model")) if "model" in parent.files else ""


def _check_speaks(manifest: VoiceManifest, files: dict[str, Path]) -> None:
    """The variant must still speak: audio of a sensible length, finite, not silent."""
    from ..options import SpeakOptions, VoiceSpec
    from ..pipeline import speak
    from ..voices.registry import load

    staged = replace(manifest, files={r: FileRef(str(Path(p).resolve())) for r, p in files.items()}, folder=None)
    voice = load(VoiceSpec(manifest.name, engine=manifest.engines[0], threads=2), staged)
    audio = speak(CHECK_TEXT, voice, SpeakOptions(seed=0)).audio
    if not np.isfinite(audio).all():
        raise EnunciateError(f"the {manifest.provenance.method} variant makes NaN or infinite samples; not saved")
    if len(audio) < 0.5 * voice.sample_rate or float(np.sqrt(np.mean(audio ** 2))) < 1e-3:
        raise EnunciateError(f"the {manifest.provenance.method} variant is silent; not saved")


def count_onnx(path: Path) -> dict:
    """Parameters, non-zero parameters and quantized (int8/uint8/int4) tensors of an ONNX file."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    total = nonzero = quantized = 0
    for init in model.graph.initializer:
        arr = numpy_helper.to_array(init)
        if arr.dtype.kind in "fc" or arr.dtype in (np.int8, np.uint8) or init.data_type in (16, 21, 22):
            total += arr.size
            nonzero += int(np.count_nonzero(arr))
        if arr.dtype in (np.int8, np.uint8) or init.data_type in (21, 22):  # INT4 / UINT4
            quantized += 1
    return {"parameters": total, "nonzero": nonzero, "quantized_tensors": quantized}
