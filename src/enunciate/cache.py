"""The user cache: files derived once from installed model files (edited ONNX graphs, recovered
PyTorch weights, joined Whisper parts), keyed by the source's SHA-256 and written atomically, so
installed packages are never modified and an interrupted conversion leaves nothing half-written."""
from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import Callable


def cache_dir() -> Path:
    """$ENUNCIATE_CACHE, else ~/.cache/enunciate (created)."""
    d = Path(os.environ.get("ENUNCIATE_CACHE") or Path.home() / ".cache" / "enunciate")
    d.mkdir(parents=True, exist_ok=True)
    return d


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def derived_path(source: str | os.PathLike, folder: str, suffix: str) -> tuple[Path, str]:
    """(cache path for a file derived from `source`, the source's SHA-256)."""
    digest = sha256_file(source)
    return cache_dir() / folder / f"{Path(source).stem}.{digest[:16]}{suffix}", digest


def write_atomically(out: Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp)` on a temp file beside `out`, then rename it into place."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return out


def cached_safetensors(source: str | os.PathLike, build: Callable[[], dict], save_file: Callable,
                       fmt: str) -> Path:
    """Recovered weights of `source` as safetensors, built once by `build()` and reused while the
    file's metadata names the same source SHA-256 and format (a stale or truncated file is rebuilt)."""
    out, digest = derived_path(source, "torch", ".safetensors")
    if out.exists():
        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(str(out), framework="numpy") as f:
                meta = f.metadata() or {}
            if meta.get("source_sha256") == digest and meta.get("format") == fmt:
                return out
        except (OSError, SafetensorError):
            pass  # unreadable: rebuild it
    state = build()
    meta = {"source_sha256": digest, "source": Path(source).name, "format": fmt}
    return write_atomically(out, lambda tmp: save_file(state, str(tmp), metadata=meta))
