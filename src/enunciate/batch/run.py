"""The batch job: read INPUT, refuse duplicate ids before any work, resume from OUTDIR's manifest,
send what is left to an executor, append each row as its file lands, and (for a book) assemble it.

    result = run_job(BatchJob("corpus.txt", "out/", workers=2))          # local processes
    result = run_job(BatchJob("book.epub", "out/", executor="ray"))       # Ray actors, a book

Items of a text file or manifest, or a folder's documents, each become OUTDIR/ID.FORMAT; OUTDIR is a
folder or an fsspec URL (`store.Store`). A book (an EPUB, or a folder with book=True) renders its
chapters as raw/ID.wav and then `book.assemble` levels them to one loudness and writes the chapter
files, chapters.vtt, book.mp3 and book.m4b.

`execute` is the engine under both `batch` and `make-dataset`: groups of tasks -> a work function on
local processes or Ray actors -> records, in any order.
"""
from __future__ import annotations

import errno
import hashlib
import itertools
import logging
import os
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import EnunciateError
from ..options import SpeakOptions, VoiceSpec
from .inputs import Item, Source
from .local import Work
from .manifest import Manifest, Row, file_name, remove_orphans, shard_suffix, temp_files, text_sha256
from .render import Settings, Task, render
from .store import Store, open_store

log = logging.getLogger(__name__)

EXECUTORS = ("local", "ray")
RAW = "raw"  # a book's chapter renderings, before leveling


@dataclass(frozen=True)
class BatchJob:
    """A batch job: what to read, where to write, with which voice, on which executor."""

    input: str | os.PathLike
    outdir: str | os.PathLike          # a folder, or an fsspec URL: file:///shared/out, s3://bucket/out
    spec: VoiceSpec = field(default_factory=VoiceSpec)        # threads None: the cores shared among workers
    options: SpeakOptions = field(default_factory=SpeakOptions)  # loudness_lufs: per item, or a book's target
    format: str = "wav"
    executor: str = "local"
    workers: int = 1                   # local processes, or Ray actors
    shard: tuple[int, int] = (0, 1)    # (i, n): the items whose index % n == i
    ray_address: str | None = None     # None: Ray on this machine (or the running ray.init); "auto"; "ray://..."
    num_cpus: float = 1                # per Ray actor
    num_gpus: float = 0                # per Ray actor
    batch_size: int | None = None      # items per call (None: 16 for the torch engine on a GPU, else 1)
    book: bool | None = None           # None: an EPUB is a book, anything else is not
    whole_book: bool = True            # a book also gets book.mp3
    progress: bool = False             # a tqdm bar: items/s and audio-s/s

    def __post_init__(self):
        check_executor(self.executor, self.workers)
        index, count = self.shard
        if count < 1 or not 0 <= index < count:
            raise EnunciateError(f"shard must be i/n with 0 <= i < n, got {index}/{count}")
        if self.batch_size is not None and self.batch_size < 1:
            raise EnunciateError(f"batch_size must be at least 1, got {self.batch_size}")


@dataclass
class JobResult:
    outdir: Path | str      # a folder, or the URL
    items: int = 0          # in this shard
    done: int = 0           # spoken in this run
    skipped: int = 0        # finished by an earlier run (resumed)
    failed: int = 0         # in errors.jsonl
    empty: int = 0          # blank lines, rows or documents skipped
    audio_s: float = 0.0    # spoken in this run
    wall_s: float = 0.0
    orphans_removed: int = 0
    manifest: Path | str | None = None
    errors: Path | str | None = None
    book: object | None = None  # book.Book for a book

    @property
    def audio_s_per_s(self) -> float:
        return self.audio_s / self.wall_s if self.wall_s else 0.0


class JobInterrupted(KeyboardInterrupt):
    """Ctrl-C: the finished items are recorded; `result` says how far the job got."""

    def __init__(self, result: JobResult):
        super().__init__()
        self.result = result


def run_job(job: BatchJob) -> JobResult:
    from ..audio import audio_format
    from ..voices.registry import resolve

    start = time.perf_counter()
    source = Source(job.input)
    is_book = source.is_book if job.book is None else job.book
    if is_book and source.kind not in ("epub", "documents"):
        raise EnunciateError("a book is an EPUB or a folder of documents; a text file or manifest is a corpus")
    if is_book and job.shard[1] > 1:
        raise EnunciateError("a book is assembled by one run: --shard applies to corpora")
    fmt = audio_format(None, job.format)
    resolve(job.spec.voice)  # an unknown --voice fails now; a row's unknown voice fails that row only
    target_lufs = None
    if is_book:
        from .book import DEFAULT_LUFS, check_loudness_meter

        check_loudness_meter()
        target_lufs = job.options.loudness_lufs if job.options.loudness_lufs is not None else DEFAULT_LUFS
    store = open_store(str(job.outdir))
    if not store.shared and (job.executor == "ray" or job.workers > 1):
        raise EnunciateError(f"{store} lives in this process's memory: use it with --workers 1 and the local "
                             "executor, or write to a folder or store every worker reaches")
    result = JobResult(store.local if store.local is not None else store.outdir)
    names = _check_ids(source, job.shard, result, temp_files(store) if job.shard[1] > 1 else {})
    _make_dir(store, RAW if is_book else "")
    suffix = shard_suffix(job.shard)
    own = (names | {f"manifest{suffix}.jsonl", f"errors{suffix}.jsonl"}) if job.shard[1] > 1 else None
    result.orphans_removed = remove_orphans(store, RAW if is_book else "", own) + \
        (remove_orphans(store, "", own) if is_book else 0)
    manifest = Manifest(store, job.shard)
    result.manifest, result.errors = manifest.path, manifest.errors_path

    item_format = "wav" if is_book else fmt
    options = replace(job.options, loudness_lufs=None) if is_book else job.options
    settings = Settings(store.outdir, item_format, worker_spec(job.spec, job.executor, job.workers, job.num_cpus),
                        options)
    common = {"seed": options.seed, "loudness_lufs": options.loudness_lufs,
              "lexicons": [_sha256_file(p) for p in options.lexicons] + ([text_sha256(options.lexicon_tsv)]
                                                                         if options.lexicon_tsv else [])}
    chapters: list[tuple[str, str, str]] = []  # a book's (id, title, rendering), in reading order

    def tasks() -> Iterator[Task]:
        for item in _shard(source.items(), job.shard):
            path = f"{RAW}/{file_name(item.id)}.wav" if is_book else f"{file_name(item.id)}.{item_format}"
            if is_book:
                chapters.append((item.id, item.title or item.id, path))
            task = Task(item.id, item.text, path, item.voice or job.spec.voice,
                        {"speed": _speed(item, options), "markup": item.markup or options.markup, **common})
            if manifest.finished(task.id, task.path, text_sha256(task.text), task.voice, task.settings):
                result.skipped += 1
                if bar is not None:
                    bar.update(1)
                continue
            yield task

    bar = _bar(result.items) if job.progress else None
    try:
        for record in execute(_groups(tasks(), job, settings), render, settings, job.executor, job.workers,
                              job.ray_address, job.num_cpus, job.num_gpus):
            if "error" in record:
                manifest.error(record["id"], record["error"])
                result.failed += 1
                _check_room(store, record)
            else:
                manifest.append(Row(**record))
                result.done += 1
                result.audio_s += record["duration_s"]
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"{result.audio_s / max(1e-9, time.perf_counter() - start):.1f} audio-s/s"
                                    + (f", {result.failed} failed" if result.failed else ""), refresh=False)
    except KeyboardInterrupt:
        manifest.compact()
        result.wall_s = time.perf_counter() - start
        raise JobInterrupted(result) from None
    finally:
        if bar is not None:
            bar.close()
    manifest.compact()
    if is_book and not result.failed:
        from .book import assemble

        parts = [(i, title, path, (manifest.row(i) or {}).get("audio_sha256")) for i, title, path in chapters]
        result.book = assemble(store, parts, fmt, target_lufs, job.whole_book)
    elif is_book:
        log.warning("%d chapter(s) failed: the book is assembled once every chapter is spoken", result.failed)
    result.wall_s = time.perf_counter() - start
    return result


def _check_ids(source: Source, shard: tuple[int, int], result: JobResult, temps: dict[str, str]) -> set[str]:
    """The first pass over the input: duplicate ids are an error before any work. `temps` maps the temp
    files in OUTDIR to the files they were to become; returns those that belong to this shard's items
    (a sharded run removes only its own: the other shards' runs may be live).

    Memory grows with the number of items, not with their size, and by 8 bytes an item: each id is kept
    as its 64-bit hash (8 MB for a million rows, where a set of the ids took 95 MB), and only the ids
    whose hash repeats are counted, in a third pass. A text file keeps nothing: its ids are line numbers."""
    hashes = array("q")
    keep = source.kind != "lines"
    stems: dict[str, list[str]] = {}
    for name in temps.values():
        stems.setdefault(name.rpartition(".")[0] or name, []).append(name)
    names: set[str] = set()
    index, count = shard
    seen = 0
    for item in source.items():
        seen += 1
        if keep:
            hashes.append(hash(item.id))
        if item.index % count == index:
            result.items += 1
            if stems:
                names.update(stems.get(file_name(item.id), ()))
    result.empty = source.empty
    duplicates = _duplicates(source, hashes)
    if duplicates:
        shown = ", ".join(repr(d) for d in list(duplicates)[:5])
        raise EnunciateError(f"{source.path}: {sum(duplicates.values()) - len(duplicates)} duplicate id(s) "
                             f"({shown}); each id must be unique. Nothing was done")
    if source.empty:
        log.info("%s: %d empty line(s) or document(s) skipped", source.path, source.empty)
    if not seen:
        raise EnunciateError(f"{source.path} holds nothing to speak ({source.empty} empty line(s) or document(s))")
    return names


def _duplicates(source: Source, hashes: array) -> Counter:
    """id -> count of the ids that occur more than once, from the first pass's hashes: sorted in place, a
    hash that repeats is a duplicate or a collision (about one in 37 million for a million ids), so the input
    is read again for the ids with those hashes, which are counted."""
    import numpy as np

    keys = np.frombuffer(hashes, dtype=np.int64)  # a view: sorted without a copy
    keys.sort()
    repeated = set(keys[1:][keys[1:] == keys[:-1]].tolist())
    del keys  # the array cannot be freed while a view holds it
    if not repeated:
        return Counter()
    counts = Counter(item.id for item in source.items() if hash(item.id) in repeated)
    return Counter({item_id: n for item_id, n in counts.items() if n > 1})


# A failed write's errno that says OUTDIR takes nothing more (EACCES is left out: reading a lexicon or a
# voice folder raises it too, and a store that refuses every write fails at the start, on the manifest).
UNWRITABLE = {errno.ENOSPC: "full", errno.EDQUOT: "over its quota", errno.EROFS: "read-only"}


def _check_room(store: Store, record: dict) -> None:
    """After a failed item: a full or read-only OUTDIR stops the job (every item would fail the same), as
    the error's errno says (a URL's store, a folder), or the folder's free space and permissions (libsndfile
    reports a full disk without one)."""
    why = UNWRITABLE.get(record.get("errno"))
    if why is None and store.local is not None:
        import shutil

        try:
            full = shutil.disk_usage(store.local).free < 1 << 20
        except OSError:
            full = False
        why = "full" if full else None if os.access(store.local, os.W_OK) else "read-only"
    if why is not None:
        remedy = "make it writable" if why == "read-only" else "free some room"
        raise EnunciateError(f"{store} is {why} ({record['error']}); the items finished so far are recorded: "
                             f"{remedy} and rerun the same command")


def _make_dir(store: Store, name: str) -> None:
    try:
        store.makedirs(name)
    except OSError as e:
        raise EnunciateError(f"cannot make the output folder {store.where(name)}: {e.strerror or e}") from e
    if store.local is not None and not os.access(store.local / name, os.W_OK):
        raise EnunciateError(f"cannot write in the output folder {store.where(name)} (read-only)")


def _shard(items: Iterator[Item], shard: tuple[int, int]) -> Iterator[Item]:
    index, count = shard
    return (item for item in items if item.index % count == index)


def _speed(item: Item, options: SpeakOptions):
    if item.speed is None:
        return options.speed
    try:
        return float(item.speed)
    except (TypeError, ValueError):
        return item.speed  # render reports it


def _sha256_file(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError as e:
        raise EnunciateError(f"cannot read the lexicon {path}: {e.strerror}") from e


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def worker_spec(spec: VoiceSpec, executor: str = "local", workers: int = 1, num_cpus: float = 1) -> VoiceSpec:
    """Threads per worker: the cores shared among the local workers, or a Ray actor's CPUs."""
    if spec.threads is not None:
        return spec
    if executor == "ray":
        return replace(spec, threads=max(1, int(num_cpus)))
    return spec if workers == 1 else replace(spec, threads=max(1, _cores() // workers))


def _groups(tasks: Iterator[Task], job: BatchJob, settings: Settings) -> Iterator[list[Task]]:
    size = job.batch_size or (16 if settings.spec.device.startswith("cuda") else 1)
    while True:
        group = list(itertools.islice(tasks, size))
        if not group:
            return
        yield group


def check_executor(executor: str, workers: int) -> None:
    if executor not in EXECUTORS:
        raise EnunciateError(f"unknown executor {executor!r}; available: {', '.join(EXECUTORS)}")
    if workers < 1:
        raise EnunciateError(f"workers must be at least 1, got {workers}")


def execute(groups: Iterable[list], work: Work, settings, executor: str = "local", workers: int = 1,
            ray_address: str | None = None, num_cpus: float = 1, num_gpus: float = 0) -> Iterator[dict]:
    """`work(group, settings)` for each group, on `workers` local processes (one: in this process) or
    Ray actors, each loading `settings.spec` once: the records, in any order."""
    check_executor(executor, workers)
    if executor == "ray":
        from . import ray_executor

        return ray_executor.execute(groups, work, settings, actors=workers, num_cpus=num_cpus, num_gpus=num_gpus,
                                    address=ray_address)
    from . import local

    return local.execute(groups, work, settings, workers)


def _bar(total: int):
    from tqdm import tqdm

    return tqdm(total=total, unit="item", desc="batch", dynamic_ncols=True)


__all__ = ["BatchJob", "JobResult", "JobInterrupted", "run_job", "execute", "check_executor", "worker_spec",
           "EXECUTORS"]
