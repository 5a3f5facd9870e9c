"""The record of a batch job in OUTDIR: `manifest.jsonl` (one row per finished item) and `errors.jsonl`
(one row per failed item, this run's), and the resume rule.

A row is appended, flushed and fsync'ed only after its audio file has been renamed into place, so a
row always names a complete file; a file without a row (the driver was killed between the two) is
simply made again. On a rerun an item is skipped when its row's text hash, voice and settings match
the input and the file's SHA-256 still matches the row; anything else is redone. The manifest is
rewritten (atomically) with one row per id when a run starts and ends, so a row superseded by a redo
does not linger. With `--shard i/n` each shard keeps its own `manifest.shard-i-of-n.jsonl`, so shards
sharing an OUTDIR never write one file; every shard reads all of them to know what is done.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

from ..errors import EnunciateError

MANIFEST, ERRORS = "manifest.jsonl", "errors.jsonl"
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}")
_PART = re.compile(r"^\.(?P<name>.+)\.\d+\.part$")  # audio.atomic_audio's temp name: .NAME.PID.part


@dataclass
class Row:
    """One finished item. `path` is relative to OUTDIR; `seconds` is the wall time spent on it."""

    id: str
    path: str
    text_sha256: str
    voice: str
    settings: dict
    sample_rate: int
    duration_s: float
    audio_sha256: str
    engine: str
    seconds: float

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=False)


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_sha256(path: str | os.PathLike) -> str:
    from ..cache import sha256_file

    return sha256_file(path)


def file_name(item_id: str) -> str:
    """A file name for an id: the id itself when it is a plain name, else a slug and a short hash (so
    "guide/install" and "guide_install" never share a file, and no id can name a path outside OUTDIR)."""
    if _SAFE.fullmatch(item_id) and not item_id.endswith(".part"):
        return item_id
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", item_id).strip("._-")[:60] or "item"
    return f"{slug}-{hashlib.sha1(item_id.encode('utf-8')).hexdigest()[:8]}"


def shard_suffix(shard: tuple[int, int]) -> str:
    index, count = shard
    return "" if count == 1 else f".shard-{index}-of-{count}"


def _durable_append(path: Path, line: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def _rewrite(path: Path, lines: Iterable[str]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    with open(tmp, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _rows(path: Path) -> dict[str, str]:
    """id -> the last row's JSON text (kept as text: a million rows stay a few hundred MB at most).
    A torn last line (a crash mid-write, on a filesystem without atomic appends) is dropped."""
    rows: dict[str, str] = {}
    try:
        f = open(path, encoding="utf-8")
    except FileNotFoundError:
        return rows
    with f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                item_id = json.loads(line)["id"]
            except (ValueError, KeyError, TypeError):
                continue
            rows.pop(item_id, None)  # re-inserted at the end: file order follows the latest row
            rows[item_id] = line
    return rows


class Manifest:
    """The rows of OUTDIR (all shards' manifests), and this run's own file to append to."""

    def __init__(self, outdir: Path, shard: tuple[int, int] = (0, 1)):
        self.outdir = outdir
        self.path = outdir / f"manifest{shard_suffix(shard)}.jsonl"
        self.errors_path = outdir / f"errors{shard_suffix(shard)}.jsonl"
        self.own = _rows(self.path)
        self.others: dict[str, str] = {}
        for other in sorted(outdir.glob("manifest*.jsonl")):
            if other != self.path:
                self.others.update(_rows(other))
        try:
            _rewrite(self.path, self.own.values())  # one row per id from here on
            _rewrite(self.errors_path, ())          # errors are this run's
        except OSError as e:
            raise EnunciateError(f"cannot write in {outdir}: {e.strerror or e}") from e
        self.errors = 0

    def finished(self, item_id: str, path: str, text_hash: str, voice: str, settings: dict) -> bool:
        """True when the item's row matches what the input asks for and its file is still that file."""
        line = self.own.get(item_id) or self.others.get(item_id)
        if line is None:
            return False
        row = json.loads(line)
        if (row.get("path"), row.get("text_sha256"), row.get("voice"), row.get("settings")) != \
                (path, text_hash, voice, settings):
            return False
        try:
            return file_sha256(self.outdir / path) == row.get("audio_sha256")
        except OSError:
            return False

    def row(self, item_id: str) -> dict | None:
        line = self.own.get(item_id) or self.others.get(item_id)
        return json.loads(line) if line else None

    def append(self, row: Row) -> None:
        line = row.to_json()
        self.own.pop(row.id, None)
        self.own[row.id] = line
        self._write(self.path, line)

    def error(self, item_id: str, reason: str, **extra) -> None:
        self.errors += 1
        self._write(self.errors_path, json.dumps({"id": item_id, "error": reason, **extra}, ensure_ascii=False))

    def _write(self, path: Path, line: str) -> None:
        try:
            _durable_append(path, line)
        except OSError as e:
            raise EnunciateError(f"cannot write {path}: {e.strerror or e}; items finished so far are recorded, "
                                 "rerun to resume once there is room") from e

    def compact(self) -> None:
        """Rewrite this run's manifest with one row per id (a redone item's row replaces its old one)."""
        _rewrite(self.path, self.own.values())


def remove_orphans(folder: Path, names: set[str] | None = None) -> int:
    """Remove the temp files (.NAME.PID.part) a killed run left: all of them, or (a shard's run, which
    may share OUTDIR with the other shards' live runs) only those for the files named in `names`."""
    removed = 0
    if not folder.is_dir():
        return 0
    for entry in folder.iterdir():
        m = _PART.match(entry.name)
        if m and (names is None or m.group("name") in names) and entry.is_file():
            entry.unlink(missing_ok=True)
            removed += 1
    return removed
