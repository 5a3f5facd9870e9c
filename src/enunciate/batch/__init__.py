"""Batch synthesis: a corpus, a folder of documents or a book -> one audio file per item, a resumable
manifest, and the errors, on local worker processes or a Ray cluster.

    from enunciate.batch import BatchJob, run_job
    result = run_job(BatchJob("corpus.txt", "out/", workers=2))

Data flow: `inputs` (INPUT -> items) -> `manifest` (which are done, what a row says) -> an executor
(`local` processes or `ray_executor` actors, both calling `render`) -> rows appended by the driver ->
`book` (loudness, chapter files, chapters VTT, an MP3 and an M4B with chapter marks) for EPUBs and
books. OUTDIR is a `store.Store`: a folder or an fsspec URL. `run.execute` is the engine alone, which
`train.make_dataset` runs on too. Ray is imported only by `ray_executor` and `ray_serve`, fsspec only
for a URL.
"""
from __future__ import annotations

__all__ = ["BatchJob", "JobResult", "JobInterrupted", "run_job"]


def __getattr__(name: str):
    """Loaded on first use: the CLI imports `batch.command` for every command, `speak` included."""
    if name in __all__:
        from . import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
