"""A fine-tune's strength: a Piper voice whose every weight lies between two voices of one network
(`enunciate voices mix BASE TOWARD --weights K`).

    mix_piper_voice("joe", "./joe-me", "./joe-me-half", 0.5)

Each float weight becomes base + K x (toward - base): K = 0 is BASE to the bit, 1 is TOWARD, 0.5
halfway. The usual pair is a voice and its fine-tune: a fine-tune that moves far toward its target
speaker often pays in sound quality, and the voices between trade the one for the other (weights
taken part of the way from a model to its fine-tune keep much of each, the observation behind
"model soups" and WiSE-FT). docs/training.md measures the curve for joe adapted toward jm_kumo.
Both voices must be the same network: the same initializers with the same shapes, and the same
phoneme map and sample rate.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import EnunciateError

LIMITS = (-1.0, 2.0)  # past these the weights are far outside anything either voice was trained to


def mix_weights(base: dict[str, np.ndarray], toward: dict[str, np.ndarray], k: float) -> dict[str, np.ndarray]:
    """The float tensors of `base` moved k of the way to `toward`'s (computed in float64, stored in
    each tensor's own type); other tensors must be equal and are kept."""
    if set(base) != set(toward):
        extra = sorted(set(base) ^ set(toward))
        raise EnunciateError(f"the two voices are not the same network: {len(extra)} weights are in only one "
                             f"(first: {extra[0]})")
    out = {}
    for name, a in base.items():
        b = toward[name]
        if a.shape != b.shape or a.dtype != b.dtype:
            raise EnunciateError(f"the two voices are not the same network: weight {name} is {a.dtype}{list(a.shape)} "
                                 f"in one and {b.dtype}{list(b.shape)} in the other")
        if a.dtype.kind == "f":
            out[name] = (a.astype(np.float64) + k * (b.astype(np.float64) - a)).astype(a.dtype)
        elif not np.array_equal(a, b):
            raise EnunciateError(f"the two voices are not the same network: their constant {name} differs")
        else:
            out[name] = a
    return out


def _initializers(path: Path) -> tuple[object, dict[str, np.ndarray]]:
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    return model, {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}


def _same_speech(base, toward) -> None:
    """Refuses two Piper configs that read phonemes or sound differently."""
    configs = [json.loads(m.path("config").read_text(encoding="utf-8")) for m in (base, toward)]
    if base.sample_rate != toward.sample_rate:
        raise EnunciateError(f"{base.name} speaks at {base.sample_rate} Hz and {toward.name} at "
                             f"{toward.sample_rate} Hz: not the same network")
    if configs[0].get("phoneme_id_map") != configs[1].get("phoneme_id_map"):
        raise EnunciateError(f"{base.name} and {toward.name} number their phonemes differently: not the same network")


def mix_piper_voice(base: str, toward: str, out: str | os.PathLike, k: float, name: str | None = None,
                    command: str | None = None, force: bool = False):
    """Writes the Piper voice whose weights lie k of the way from BASE's to TOWARD's (names or
    folders) as a voice folder at `out`; returns its manifest. The manifest is TOWARD's (a fine-tune's
    provenance stays on record) with the mix in its provenance: both voices by name and SHA-256 of
    their model files, and k."""
    from onnx import numpy_helper

    from ..voices.folder import FileRef, Provenance, write_voice_folder
    from ..voices.registry import resolve
    from .finetune import parent_sha256

    if not np.isfinite(k) or not LIMITS[0] <= k <= LIMITS[1]:
        raise EnunciateError(f"--weights must be a number from {LIMITS[0]:g} to {LIMITS[1]:g} (0: BASE, 1: TOWARD), "
                             f"got {k}")
    voices = [resolve(str(v)) for v in (base, toward)]
    for v in voices:
        if v.family != "piper":
            raise EnunciateError(f"voice {v.name!r} is a {v.family} voice; --weights mixes two Piper voices "
                                 "(Kokoro voices mix by --timbre and --prosody)")
    base_m, toward_m = voices
    _same_speech(base_m, toward_m)
    _, base_w = _initializers(base_m.path("model"))
    graph, toward_w = _initializers(toward_m.path("model"))
    mixed = mix_weights(base_w, toward_w, float(k))
    for init in graph.graph.initializer:
        init.CopyFrom(numpy_helper.from_array(mixed[init.name], init.name))
    record = {"base": base_m.name, "base_sha256": parent_sha256(base_m), "toward": toward_m.name,
              "toward_sha256": parent_sha256(toward_m), "weights": float(k)}
    params = {**(toward_m.provenance.params if toward_m.provenance else {}), "mix": record}
    model_name = toward_m.path("model").name
    files = {"model": model_name, "config": toward_m.path("config").name}
    manifest = replace(toward_m, name=name or f"{toward_m.name}-mix", folder=None, base=None, metrics={},
                       files={role: FileRef(file) for role, file in files.items()},
                       description=f"{base_m.name}'s weights moved {k:g} of the way to {toward_m.name}'s",
                       provenance=Provenance(source="enunciate voices mix", parent=base_m.name,
                                             parent_sha256=record["base_sha256"], method="mix",
                                             params=params, command=command))
    with tempfile.TemporaryDirectory(prefix="enunciate-mix-") as tmp:
        import onnx

        path = Path(tmp) / model_name
        onnx.save(graph, str(path))
        return write_voice_folder(out, manifest, {"model": path, "config": toward_m.path("config")}, force=force)
