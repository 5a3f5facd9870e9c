"""OUTDIR as a store: a local folder, or a folder at any fsspec URL (file://, s3://, gs://, az://, memory://).

Every file lands whole or not at all, and a manifest row is written only after its file:

- A local folder: a file is written to a temp name beside it and renamed (POSIX rename is atomic);
  rows are appended, flushed and fsync'ed.
- A URL: a file is made in a local temp folder, uploaded to a temp name beside its place and moved.
  On file:// the move is a rename, as above, and rows are appended and fsync'ed. Object stores
  (s3, gs, az) have no rename: a move is a server-side copy then a delete, and an object appears only
  once its upload or copy is complete, so no reader ever sees part of a file, but a kill between the
  copy and the delete leaves the temp object (the next run removes it). Nor can they append: there
  (and on memory://) the manifest is rewritten whole, by the same upload-and-move, at most every
  FLUSH_S seconds and when the run ends, so a killed driver loses at most the last FLUSH_S seconds of
  rows, and those items are made again on the rerun.

Temp names are `.NAME.DIGITS.part` (manifest.remove_orphans finds them). fsspec is imported only for
a URL: pip install 'enunciate[fsspec]', plus the store's own package (s3fs, gcsfs, adlfs).
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from ..errors import EnunciateError

FLUSH_S = 10.0                    # at most this long between manifest rewrites on a store that cannot append
APPENDING = ("file", "local")     # fsspec protocols whose append is a real, fsync'able append


def is_url(outdir: str | os.PathLike) -> bool:
    return "://" in str(outdir)


def temp_name(name: str) -> str:
    """`dir/.base.DIGITS.part`: the pid and a random part (actors on two nodes can share a pid)."""
    folder, _, base = name.rpartition("/")
    return f"{folder + '/' if folder else ''}.{base}.{os.getpid()}{secrets.randbelow(10 ** 6):06d}.part"


class _Folder:
    """The few calls Store makes, on a local folder, under fsspec's names: one code path serves both."""

    protocol = "local"

    def open(self, path: str, mode: str = "rb"):
        return open(path, mode)

    def mv(self, source: str, target: str) -> None:
        os.replace(source, target)

    def put_file(self, local: str, path: str) -> None:
        shutil.copyfile(local, path)

    def get_file(self, path: str, local: str) -> None:
        shutil.copyfile(path, local)

    def rm_file(self, path: str) -> None:
        Path(path).unlink(missing_ok=True)

    def makedirs(self, path: str, exist_ok: bool = True) -> None:
        os.makedirs(path, exist_ok=exist_ok)

    def isfile(self, path: str) -> bool:
        return os.path.isfile(path)

    def ls(self, path: str, detail: bool = False) -> list[str]:
        return [os.path.join(path, name) for name in os.listdir(path)]


class Store:
    """OUTDIR: names inside it are relative, '/'-separated ("manifest.jsonl", "raw/ch1.wav")."""

    def __init__(self, outdir: str | os.PathLike):
        self.outdir = str(outdir)
        if is_url(outdir):
            fsspec = _import_fsspec()
            try:
                self.fs, root = fsspec.core.url_to_fs(self.outdir)
            except (ImportError, ValueError) as e:  # an unknown protocol, or its package is missing
                raise EnunciateError(f"cannot open the output {self.outdir}: {e}") from e
            self.root = root.rstrip("/") or "/"
            self.local: Path | None = None
        else:
            self.fs, self.root, self.local = _Folder(), str(Path(outdir)), Path(outdir)
        protocols = self.fs.protocol if isinstance(self.fs.protocol, (tuple, list)) else (self.fs.protocol,)
        self.appends = self.local is not None or any(p in APPENDING for p in protocols)
        self.shared = "memory" not in protocols  # memory:// lives in one process

    def __str__(self) -> str:
        return self.outdir

    def path(self, name: str = "") -> str:
        return f"{self.root.rstrip('/')}/{name}" if name else self.root

    def where(self, name: str) -> Path | str:
        """What to show a user for `name`: a Path in a local folder, else its URL."""
        return self.local / name if self.local is not None else f"{self.outdir.rstrip('/')}/{name}"

    def makedirs(self, name: str = "") -> None:
        self.fs.makedirs(self.path(name), exist_ok=True)

    def is_file(self, name: str) -> bool:
        return self.fs.isfile(self.path(name))

    def names(self, folder: str = "") -> list[str]:
        """The names of what `folder` holds (no path), [] when it does not exist."""
        try:
            entries = self.fs.ls(self.path(folder), detail=False)
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [str(e).rstrip("/").rsplit("/", 1)[-1] for e in entries]

    def remove(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(self.path(name))

    def sha256(self, name: str) -> str:
        h = hashlib.sha256()
        with self.fs.open(self.path(name), "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()

    def read_text(self, name: str) -> str:
        with self.fs.open(self.path(name), "rb") as f:
            return f.read().decode("utf-8")

    def lines(self, name: str) -> Iterator[str]:
        """The lines of a text file, streamed; none when it does not exist."""
        try:
            f = self.fs.open(self.path(name), "rb")
        except FileNotFoundError:
            return
        with f:
            for line in f:
                yield line.decode("utf-8", errors="replace")

    def append(self, name: str, line: str) -> None:
        """Append a line and make it durable (only where `appends`)."""
        with self.fs.open(self.path(name), "ab") as f:
            _write_durably(f, [line])

    def rewrite(self, name: str, lines: Iterable[str]) -> None:
        """Replace a text file by `lines`, atomically (a temp file, then a move)."""
        tmp = temp_name(name)
        try:
            with self.fs.open(self.path(tmp), "wb") as f:
                _write_durably(f, lines)
            self.fs.mv(self.path(tmp), self.path(name))
        except BaseException:
            self.remove(tmp)
            raise

    def put(self, local: str | os.PathLike, name: str) -> None:
        """Upload a finished local file to `name`: to a temp name, then moved into place."""
        tmp = temp_name(name)
        try:
            self.fs.put_file(str(local), self.path(tmp))
            self.fs.mv(self.path(tmp), self.path(name))
        except BaseException:
            self.remove(tmp)
            raise

    @contextlib.contextmanager
    def writing(self, name: str) -> Iterator[Path]:
        """A local path to make `name` at: in a local folder the file itself (its writer renames it into
        place); at a URL a file in a temp folder, put into place when the block ends without error."""
        if self.local is not None:
            yield self.local / name
            return
        with tempfile.TemporaryDirectory(prefix="enunciate-") as tmp:
            path = Path(tmp) / name.rsplit("/", 1)[-1]
            yield path
            self.put(path, name)

    @contextlib.contextmanager
    def workspace(self, inputs: Sequence[str], last: Sequence[str] = ()) -> Iterator[Path]:
        """A local folder standing for OUTDIR: the folder itself, or (a URL) a temp folder holding a copy
        of `inputs`, whose new files are put into place when the block ends without error (`last`
        after the others: the file that says the rest is complete)."""
        if self.local is not None:
            yield self.local
            return
        with tempfile.TemporaryDirectory(prefix="enunciate-") as tmp:
            folder = Path(tmp)
            for name in inputs:
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                self.fs.get_file(self.path(name), str(folder / name))
            yield folder
            made = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                          if p.is_file() and not p.name.startswith("."))
            for name in sorted((n for n in made if n not in inputs), key=lambda n: n in last):
                self.put(folder / name, name)


@functools.lru_cache(maxsize=8)
def open_store(outdir: str) -> Store:
    """One Store per OUTDIR per process (workers and actors open the job's once)."""
    return Store(outdir)


def _write_durably(f, lines: Iterable[str]) -> None:
    for line in lines:
        f.write((line + "\n").encode("utf-8"))
    f.flush()
    try:
        descriptor = f.fileno()
    except (AttributeError, OSError, ValueError):  # a remote file has none: its upload is its commit
        return
    os.fsync(descriptor)


def _import_fsspec():
    try:
        import fsspec
    except ImportError as e:
        raise EnunciateError("an output URL needs fsspec: pip install 'enunciate[fsspec]' (and the store's "
                             "package: s3fs, gcsfs or adlfs), or give a folder path") from e
    return fsspec
