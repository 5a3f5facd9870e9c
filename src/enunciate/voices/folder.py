"""A voice is a folder: `voice.json` beside its model files.

    my-voice/voice.json            name, family, alphabet, sample rate, language, licence,
                                   files (role -> path, SHA-256, bytes), provenance (parent voice and
                                   its hash, method, parameters, command), measured metrics
    my-voice/<model files>         whatever the family's loader needs (see FAMILY_FILES); with
                                   "base": "kokoro", the roles the folder lacks come from that
                                   built-in voice (a fitted style table needs no copy of the model)

Every voice, shipped or made (optimized, cloned, fine-tuned, distilled), has this form; the shipped
ones are described by the same record with files inside their packages. A folder is checked when
it loads: every file must exist and match its SHA-256, or the error names the file.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import EnunciateError

MANIFEST = "voice.json"
FORMAT = "enunciate-voice/1"

# The files each family reads, by role (optional roles in brackets are not required).
FAMILY_FILES = {
    "piper": ("model", "config"),          # <name>.onnx, <name>.onnx.json
    "hibari": ("model",),                  # hibari.onnx (the DSP comes from the hibari-tts package)
    "kokoro": ("model", "vocab", "style"),  # kokoro.onnx, vocab.json, style .npy (510, 1, 256) or .npz + options.style
    "speecht5": ("config", "weights", "tokenizer", "vocoder_config", "vocoder_weights", "speaker"),
}


@dataclass(frozen=True)
class FileRef:
    path: str            # relative to the folder (absolute for the shipped voices' package files)
    sha256: str = ""     # empty for package files, whose packages check them
    bytes: int = 0


@dataclass(frozen=True)
class Provenance:
    """Where a voice came from: a shipped source, or a parent voice and what was done to it."""

    source: str = ""
    parent: str | None = None
    parent_sha256: str | None = None
    method: str | None = None
    params: dict = field(default_factory=dict)
    command: str | None = None


@dataclass(frozen=True)
class VoiceManifest:
    """The contents of voice.json. `folder` is where it was read from (None: a shipped voice)."""

    name: str
    family: str
    alphabet: str
    sample_rate: int
    files: dict[str, FileRef]
    language: str = "en-US"
    licence: str = ""
    description: str = ""
    engines: tuple[str, ...] = ("onnx",)
    options: dict = field(default_factory=dict)   # family-specific (kokoro: "style" inside an .npz)
    provenance: Provenance = Provenance()
    metrics: dict = field(default_factory=dict)
    base: str | None = None       # a built-in voice whose files fill the roles this folder lacks
    folder: Path | None = None

    def path(self, role: str) -> Path:
        """Absolute path of the file with `role`."""
        if role not in self.files:
            raise EnunciateError(f"voice {self.name!r} has no {role!r} file (its voice.json lists "
                                 f"{', '.join(self.files) or 'none'})")
        p = Path(self.files[role].path)
        return p if p.is_absolute() or self.folder is None else self.folder / p

    @property
    def size_bytes(self) -> int:
        return sum(f.bytes for f in self.files.values())

    @property
    def builtin(self) -> bool:
        return self.folder is None

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("folder")
        data["engines"] = list(self.engines)
        return json.dumps({"format": FORMAT, **data}, indent=1, ensure_ascii=False) + "\n"


def sha256_file(path: Path) -> str:
    from ..cache import sha256_file as _sha

    return _sha(path)


def file_ref(folder: Path, path: Path) -> FileRef:
    """A FileRef for `path` (inside `folder`), hashed."""
    rel = path.relative_to(folder) if path.is_absolute() else path
    full = folder / rel
    return FileRef(rel.as_posix(), sha256_file(full), full.stat().st_size)


def read_manifest(folder: str | os.PathLike, verify: bool = True) -> VoiceManifest:
    """The voice in `folder`, its files checked (present, inside the folder, hash matching)."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise EnunciateError(f"voice folder {str(folder)!r} does not exist")
    path = folder / MANIFEST
    if not path.is_file():
        from .speecht5 import looks_like_speecht5, speecht5_manifest

        if looks_like_speecht5(folder):  # a plain Hugging Face folder: its manifest is inferred
            return speecht5_manifest(folder)
        raise EnunciateError(f"{str(folder)!r} is not a voice folder: it has no {MANIFEST} "
                             "(see docs/voices.md for the format)")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise EnunciateError(f"cannot read {path}: {e}") from e
    manifest = _parse(raw, folder, path)
    if verify:
        check_files(manifest)
    return manifest


def _parse(raw: dict, folder: Path, path: Path) -> VoiceManifest:
    if not isinstance(raw, dict):
        raise EnunciateError(f"{path} must hold a JSON object")
    missing = [k for k in ("name", "family", "alphabet", "sample_rate", "files") if k not in raw]
    if missing:
        raise EnunciateError(f"{path} lacks {', '.join(missing)}")
    try:
        files = {role: FileRef(str(f["path"]), str(f.get("sha256", "")), int(f.get("bytes", 0)))
                 for role, f in dict(raw["files"]).items()}
        prov = Provenance(**{k: v for k, v in dict(raw.get("provenance") or {}).items()
                             if k in Provenance.__dataclass_fields__})
        return VoiceManifest(str(raw["name"]), str(raw["family"]), str(raw["alphabet"]), int(raw["sample_rate"]),
                             files, str(raw.get("language", "en-US")), str(raw.get("licence", "")),
                             str(raw.get("description", "")), tuple(raw.get("engines", ("onnx",))),
                             dict(raw.get("options") or {}), prov, dict(raw.get("metrics") or {}),
                             raw.get("base"), folder.resolve())
    except (TypeError, ValueError, KeyError) as e:
        raise EnunciateError(f"{path} is not a valid voice manifest: {e}") from e


_verified: dict[tuple, bool] = {}


def check_files(manifest: VoiceManifest) -> None:
    """Every file present, inside the folder, and matching its SHA-256 (hashes are checked once per
    file version in a process: a server or batch worker does not re-hash on every load)."""
    folder = manifest.folder
    for role, ref in manifest.files.items():
        p = manifest.path(role)
        if folder is not None:
            inside = p.resolve()
            if Path(ref.path).is_absolute() or folder.resolve() not in (inside, *inside.parents):
                raise EnunciateError(f"voice {manifest.name!r}: file {ref.path!r} ({role}) lies outside its folder")
        if not p.is_file():
            raise EnunciateError(f"voice {manifest.name!r} is missing its {role} file {ref.path!r} (in {folder})")
        if not ref.sha256:
            continue
        st = p.stat()
        key = (str(p), st.st_size, st.st_mtime_ns, ref.sha256)
        if key in _verified:
            continue
        if sha256_file(p) != ref.sha256:
            raise EnunciateError(f"voice {manifest.name!r}: file {ref.path!r} ({role}) does not match the SHA-256 "
                                 "in voice.json (changed or damaged); restore it or rewrite the manifest")
        _verified[key] = True


def write_voice_folder(out: str | os.PathLike, manifest: VoiceManifest, files: dict[str, Path],
                       force: bool = False) -> VoiceManifest:
    """Copy `files` (role -> source path) into a new folder `out` with a voice.json, atomically:
    everything is built in a temporary folder beside `out` and renamed into place, so a failure
    (a full disk, Ctrl-C) leaves no half-written voice. An existing `out` is refused unless `force`."""
    out = Path(out).expanduser()
    if out.exists() and not force:
        raise EnunciateError(f"{out} already exists; choose another folder or pass --force to replace it")
    if not out.parent.is_dir():
        raise EnunciateError(f"cannot write {out}: folder {out.parent} does not exist")
    rels = {role: Path(manifest.files[role].path) if role in manifest.files else Path(Path(src).name)
            for role, src in files.items()}
    for role, rel in rels.items():   # a file named outside the folder would be written there
        if rel.is_absolute() or ".." in rel.parts:
            raise EnunciateError(f"voice {manifest.name!r}: file {str(rel)!r} ({role}) lies outside its folder; "
                                 "name files by their path inside it")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        refs = {}
        for role, src in files.items():
            rel = rels[role]
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, tmp / rel)
            refs[role] = file_ref(tmp, rel)
        from dataclasses import replace

        final = replace(manifest, files=refs, folder=None)
        (tmp / MANIFEST).write_text(final.to_json(), encoding="utf-8")
        if out.exists():
            old = out.with_name(f".{out.name}.{os.getpid()}.old")
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except OSError as e:
        raise EnunciateError(f"cannot write voice folder {out}: {e.strerror or e}") from e
    finally:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(tmp)
    return read_manifest(out)
