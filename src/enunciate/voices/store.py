"""The user's voice store: voice folders kept under one directory and spoken by name.

$ENUNCIATE_VOICES, else $XDG_DATA_HOME/enunciate/voices, else ~/.local/share/enunciate/voices.
A name is one path component of letters, digits, '.', '_', '-' and '+': it can never point outside
the store ("../../etc/passwd" is refused, not resolved).
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from ..errors import EnunciateError
from .folder import MANIFEST, VoiceManifest, read_manifest

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")


def store_dir() -> Path:
    env = os.environ.get("ENUNCIATE_VOICES")
    if env:
        return Path(env).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "enunciate" / "voices"


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name) or ".." in name:
        raise EnunciateError(f"{name!r} is not a valid voice name: use letters, digits, '.', '_', '-' or '+' "
                             "(a name is never a path)")
    return name


def stored_folder(name: str) -> Path | None:
    """The folder of stored voice `name`, or None when there is none."""
    folder = store_dir() / check_name(name)
    return folder if (folder / MANIFEST).is_file() else None


def stored_voices() -> list[VoiceManifest]:
    """Every voice in the store (unverified: listing does not hash model files)."""
    root = store_dir()
    if not root.is_dir():
        return []
    out = []
    for folder in sorted(root.iterdir()):
        if folder.name.startswith(".") or not (folder / MANIFEST).is_file():
            continue
        try:
            out.append(read_manifest(folder, verify=False))
        except EnunciateError:
            continue  # a damaged entry is reported when it is loaded, not when others are listed
    return out


def add(folder: str | os.PathLike, name: str | None = None, force: bool = False) -> VoiceManifest:
    """Copy a voice folder into the store (its files checked first, the copy checked again), atomically."""
    from .registry import builtin_names

    manifest = read_manifest(folder)
    name = check_name(name or manifest.name)
    if name in builtin_names():
        raise EnunciateError(f"{name!r} is a built-in voice; store the folder under another name (--name)")
    root = store_dir()
    root.mkdir(parents=True, exist_ok=True)
    dest = root / name
    if dest.exists() and not force:
        raise EnunciateError(f"a stored voice named {name!r} exists; remove it first or pass --force")
    tmp = root / f".{name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        shutil.copytree(Path(folder).expanduser(), tmp, ignore=shutil.ignore_patterns(".*"))
        copied = read_manifest(tmp)  # hashes checked on the copy, before it becomes visible
        if copied.name != name:
            import json

            raw = json.loads((tmp / MANIFEST).read_text(encoding="utf-8"))
            raw["name"] = name
            (tmp / MANIFEST).write_text(json.dumps(raw, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    except OSError as e:
        raise EnunciateError(f"cannot copy {folder} into the voice store {root}: {e.strerror or e}") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return read_manifest(dest)


def remove(name: str) -> Path:
    folder = stored_folder(name)
    if folder is None:
        have = ", ".join(v.name for v in stored_voices()) or "none"
        raise EnunciateError(f"no stored voice named {name!r}; stored: {have}")
    trash = folder.with_name(f".{folder.name}.{os.getpid()}.removed")
    os.replace(folder, trash)  # one rename: the name disappears at once, whole
    shutil.rmtree(trash, ignore_errors=True)
    return folder
