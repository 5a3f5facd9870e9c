"""The local executor: N worker processes (spawned, so no thread or lock state is inherited), each
loading its voice once per VoiceSpec; one worker runs in the driver itself. The work is a function
`work(tasks, settings) -> records` (`render.render` for `batch`, `make_dataset.render_clips` for
make-dataset); `settings.spec` is the voice each worker loads when it starts.

At most two groups per worker are in flight, so a 100 MB corpus is never queued whole. Workers
ignore Ctrl-C (the driver stops them and keeps what finished) and, on Linux, die with the driver
(PR_SET_PDEATHSIG): a driver killed with SIGKILL leaves at most a temp file per worker, which the
next run removes. A worker that dies mid-item (out of memory) stops the job with an error; the
items it had not finished are redone on the rerun.
"""
from __future__ import annotations

import contextlib
import itertools
import signal
import sys
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterable, Iterator, Sequence

from ..errors import EnunciateError

Work = Callable[[Sequence[Any], Any], list[dict]]
_work: Work | None = None
_settings: Any = None


def _start_worker(work: Work, settings) -> None:
    global _work, _settings
    _work, _settings = work, settings
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    with contextlib.suppress(EnunciateError):
        settings.spec.load()  # the job's voice, while the driver is still reading the input


def _render(tasks: list) -> list[dict]:
    return _work(tasks, _settings)


def execute(groups: Iterable[list], work: Work, settings, workers: int = 1) -> Iterator[dict]:
    """`work`'s records (rows or errors) as groups finish, in any order."""
    if workers <= 1:
        for group in groups:
            yield from work(group, settings)
        return
    import multiprocessing

    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker, initargs=(work, settings))
    groups = iter(groups)
    pending: set[Future] = {pool.submit(_render, g) for g in itertools.islice(groups, 2 * workers)}
    try:
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    rows = future.result()
                except BrokenProcessPool as e:
                    raise EnunciateError("a worker process died (out of memory, or killed); the items finished "
                                         "so far are recorded: rerun the same command to do the rest") from e
                yield from rows
                pending |= {pool.submit(_render, g) for g in itertools.islice(groups, 1)}
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown(wait=True)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop at once (Ctrl-C, an error, or the consumer stopped): running items are abandoned, their
    temp files removed by the next run."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14
    if terminate is not None:
        with contextlib.suppress(Exception):
            terminate()
    else:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            with contextlib.suppress(Exception):
                process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)
