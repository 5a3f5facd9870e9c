"""The record of a batch job in OUTDIR: `manifest.jsonl` (one row per finished item) and `errors.jsonl`
(one row per failed item, this run's), and the resume rule.

A row is appended, flushed and fsync'ed only after its audio file has been renamed into place, so a
row always names a complete file; a file without a row (the driver was killed between the two) is
simply made again. On a rerun an item is skipped when its row's text hash, voice and settings match
the input and the file's SHA-256 still matches the row; anything else is redone. The manifest is
rewritten (atomically) with one row per id when a run starts and ends, so a row superseded by a redo
does not linger. With `--shard i/n` each shard keeps its own `manifest.shard-i-of-n.jsonl`, so shards
sharing an OUTDIR never write one file; every shard reads all of them to know what is done.

OUTDIR is a `store.Store`, a folder or an fsspec URL. On a store that cannot append (an object store)
the manifest is rewritten whole at most every FLUSH_S seconds instead: a killed driver loses the rows
of those seconds, and their items are made again on the rerun, so a row still never names a missing file.
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import time
from dataclasses import asdict, dataclass

from ..errors import EnunciateError
from .store import FLUSH_S, Store

MANIFEST, ERRORS = "manifest.jsonl", "errors.jsonl"
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}")
_PART = re.compile(r"^\.(?P<name>.+)\.\d+\.part$")  # the temp names of atomic_audio and store: .NAME.DIGITS.part


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


def _rows(store: Store, name: str) -> dict[str, str]:
    """id -> the last row's JSON text (kept as text: a million rows stay a few hundred MB at most).
    A torn last line (a crash mid-write, on a filesystem without atomic appends) is dropped."""
    rows: dict[str, str] = {}
    for line in store.lines(name):
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
    """The rows of OUTDIR (all shards' manifests), and this run's own file to append to. On a store
    that cannot append (an object store) the file is rewritten whole at most every FLUSH_S seconds."""

    def __init__(self, store: Store, shard: tuple[int, int] = (0, 1)):
        self.store = store
        self.name, self.errors_name = f"manifest{shard_suffix(shard)}.jsonl", f"errors{shard_suffix(shard)}.jsonl"
        self.path, self.errors_path = store.where(self.name), store.where(self.errors_name)
        self.own = _rows(store, self.name)
        self.others: dict[str, str] = {}
        for other in sorted(store.names()):
            if other != self.name and fnmatch.fnmatchcase(other, "manifest*.jsonl"):
                self.others.update(_rows(store, other))
        self.failures: list[str] = []  # this run's errors.jsonl lines
        self.errors = 0
        self._unwritten, self._written_at = False, time.monotonic()
        try:
            store.rewrite(self.name, self.own.values())  # one row per id from here on
            store.rewrite(self.errors_name, ())          # errors are this run's
        except OSError as e:
            raise EnunciateError(f"cannot write in {store}: {e.strerror or e}") from e

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
            return self.store.sha256(path) == row.get("audio_sha256")
        except OSError:
            return False

    def row(self, item_id: str) -> dict | None:
        line = self.own.get(item_id) or self.others.get(item_id)
        return json.loads(line) if line else None

    def append(self, row: Row) -> None:
        line = row.to_json()
        self.own.pop(row.id, None)
        self.own[row.id] = line
        self._write(self.name, line)

    def error(self, item_id: str, reason: str, **extra) -> None:
        self.errors += 1
        line = json.dumps({"id": item_id, "error": reason, **extra}, ensure_ascii=False)
        self.failures.append(line)
        self._write(self.errors_name, line)

    def _write(self, name: str, line: str) -> None:
        try:
            if self.store.appends:
                self.store.append(name, line)
            else:
                self._unwritten = True
                if time.monotonic() - self._written_at >= FLUSH_S:
                    self.flush()
        except OSError as e:
            raise EnunciateError(f"cannot write {self.store.where(name)}: {e.strerror or e}; items finished so far "
                                 "are recorded, rerun to resume once there is room") from e

    def flush(self) -> None:
        """Write what a store that cannot append holds back (the rows and this run's errors)."""
        if self._unwritten:
            self.store.rewrite(self.name, self.own.values())
            self.store.rewrite(self.errors_name, self.failures)
            self._unwritten, self._written_at = False, time.monotonic()

    def compact(self) -> None:
        """Rewrite this run's manifest with one row per id (a redone item's row replaces its old one)."""
        try:
            self.store.rewrite(self.name, self.own.values())
            if not self.store.appends:
                self.store.rewrite(self.errors_name, self.failures)
        except OSError as e:
            raise EnunciateError(f"cannot write {self.path}: {e.strerror or e}; rerun to resume once it can be "
                                 "written") from e
        self._unwritten = False


def temp_files(store: Store, folder: str = "") -> dict[str, str]:
    """The temp files (.NAME.DIGITS.part) in `folder`: each one's name -> the NAME it was to become."""
    return {entry: m.group("name") for entry in store.names(folder) if (m := _PART.match(entry))}


def remove_orphans(store: Store, folder: str = "", names: set[str] | None = None) -> int:
    """Remove the temp files (.NAME.DIGITS.part) a killed run left in `folder`: all of them, or (a
    shard's run, which may share OUTDIR with the other shards' live runs) only those for the files
    named in `names`."""
    removed = 0
    for entry, name in temp_files(store, folder).items():
        if names is None or name in names:
            store.remove(f"{folder}/{entry}" if folder else entry)
            removed += 1
    return removed
