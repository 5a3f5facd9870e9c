"""The Ray executor: Ray Data `from_items` -> `map_batches` over a fixed pool of actors, each loading
the voice once, writing audio files to OUTDIR (a filesystem every node sees, or an fsspec URL they
all reach) and returning manifest rows, which the driver appends exactly as the local executor's: the
same files, manifest and resume. The work is a function `work(tasks, settings) -> records`, as in
`local.execute`; tasks travel pickled, records as JSON.

Ray is imported here only (the `ray` extra). Tasks go in windows of `window` items, so the driver
never holds a whole 100 MB corpus; each window is one Ray Data job (its actors start again: about a
second each on 2 cores). Blocks hold 4 groups (fewer when that would leave an actor idle), so a
killed driver loses at most a few blocks' rows (their files are made again on the rerun), and Ray
retries an item whose actor died.
"""
from __future__ import annotations

import itertools
import json
import logging
import math
import os
import pickle
import socket
from typing import Iterable, Iterator

import numpy as np

from ..errors import EnunciateError
from .local import Work

log = logging.getLogger(__name__)


def import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as e:
        raise EnunciateError("--executor ray needs Ray: pip install 'enunciate[ray]'") from e
    return ray


class Synthesizer:
    """A Ray Data actor: loads the job's voice once, then does the work on batches of tasks."""

    def __init__(self, work: Work, settings):
        self.work, self.settings = work, settings
        try:
            settings.spec.load()
        except EnunciateError:
            pass  # each task reports it

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        records = self.work([pickle.loads(t) for t in batch["task"]], self.settings)
        return {"result": np.array([json.dumps(r, ensure_ascii=False) for r in records], dtype=object)}


def connect(address: str | None, num_cpus: int | None = None) -> bool:
    """Join the cluster at `address` ("auto": the one `ray start --head` made; "host:6379": a head's
    GCS; "ray://host:10001": Ray Client), or start Ray on this machine; an already running `ray.init` is
    used as it is. Returns True when this call started Ray (and so should shut it down)."""
    ray = import_ray()
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address:
        check_reachable(address)
    kwargs = {"address": address} if address else {"num_cpus": num_cpus, "include_dashboard": False}
    try:
        ray.init(log_to_driver=False, **kwargs)
    except ConnectionError as e:
        raise EnunciateError(f"cannot join the Ray cluster at {address}: {e}. Check the address (the head's "
                             "`ray start` prints it); a cluster with token authentication (Ray's default once a token "
                             "exists) needs its token here too: RAY_AUTH_TOKEN_PATH, RAY_AUTH_TOKEN or "
                             "~/.ray/auth_token") from e
    return True


def check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail at once when nothing listens at a host:port address: Ray itself retries for minutes. ("auto"
    and an address without a port are left to Ray.)"""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as e:
        raise EnunciateError(f"nothing answers at the Ray address {address} ({e.strerror or e}): start the cluster "
                             "with `ray start --head --port PORT`, or leave out --ray-address to run Ray on this "
                             "machine") from e


def execute(groups: Iterable[list], work: Work, settings, actors: int = 2, num_cpus: float = 1,
            num_gpus: float = 0, address: str | None = None, window: int = 10_000) -> Iterator[dict]:
    """`work`'s records (rows or errors) as blocks finish, in any order."""
    ray = import_ray()
    started = connect(address)
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # the job draws one bar for both executors
        groups = iter(groups)
        while True:
            window_groups = list(itertools.islice(groups, max(1, window)))
            if not window_groups:
                break
            batch_size = max(len(g) for g in window_groups)
            tasks = [{"task": pickle.dumps(t)} for g in window_groups for t in g]
            blocks = min(len(tasks), max(2 * actors, math.ceil(len(tasks) / (4 * batch_size))))  # every actor busy
            dataset = ray.data.from_items(tasks, override_num_blocks=blocks).map_batches(
                Synthesizer, fn_constructor_kwargs={"work": work, "settings": settings}, batch_size=batch_size,
                batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=num_cpus,
                num_gpus=num_gpus or None)  # Ray Data restarts a dead actor and retries its block
            for row in dataset.iter_rows():
                yield json.loads(row["result"])
    finally:
        if started:
            ray.shutdown()
