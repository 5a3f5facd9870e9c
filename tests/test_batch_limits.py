"""The batch issue's limits, with the real voice (heart) and no mocks: a 100 MB input read in bounded
memory, an OUTDIR on a full or a read-only disk (a real tmpfs, mounted for the test), and a real Ray
cluster started with `ray start --head`.

A full or read-only disk needs a filesystem of its own: the tests run as root here, and chmod stops no
writes for root, so `disk` mounts a small tmpfs (root with CAP_SYS_ADMIN; elsewhere those tests skip).
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path

import pytest

from enunciate import SpeakOptions, VoiceSpec
from enunciate.batch import BatchJob, run_job
from enunciate.batch.inputs import Source
from enunciate.batch.run import _duplicates
from enunciate.cli import main

ROOT = Path(__file__).resolve().parents[1]
SPEC, OPTIONS = VoiceSpec("heart", threads=1), SpeakOptions(seed=3)
SEED = ["--seed", "3", "--threads", "1"]  # the CLI's flags for SPEC and OPTIONS


def corpus(path: Path, n: int) -> Path:
    path.write_text("".join(f"Item {k} runs in {k} ms.\n" for k in range(1, n + 1)), encoding="utf-8")
    return path


def by_id(outdir: Path) -> dict[str, tuple[float, str]]:
    lines = (outdir / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["id"]: (r["duration_s"], r["audio_sha256"]) for r in map(json.loads, filter(str.strip, lines))}


# --- duplicate ids, from hashes ------------------------------------------------------------------------

def test_duplicate_ids_of_a_manifest_are_named_from_their_hashes_before_any_work(tmp_path, capsys):
    source = tmp_path / "rows.jsonl"
    ids = [f"row-{k}" for k in range(5000)] + ["row-17", "row-4000", "row-17"]
    source.write_text("".join(json.dumps({"id": i, "text": "Hello."}) + "\n" for i in ids), encoding="utf-8")
    assert main(["batch", str(source), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "3 duplicate id(s) ('row-17', 'row-4000')" in err and not (tmp_path / "out").exists()
    # a hash that repeats while its ids differ (a collision, made here by hand) is no duplicate: the input
    # is read again and the ids themselves are counted
    unique = tmp_path / "unique.jsonl"
    unique.write_text("".join(json.dumps({"id": f"u{k}", "text": "Hi."}) + "\n" for k in range(3)), encoding="utf-8")
    assert _duplicates(Source(unique), array("q", [hash("u0"), hash("u1"), hash("u1")])) == {}


def test_a_shard_removes_only_its_own_temp_files(tmp_path):
    """Shards share OUTDIR, so a shard's run removes the temp files of its own items only; it finds them by
    matching the few temp files against its items while checking ids, keeping no name per item."""
    out = tmp_path / "out"
    out.mkdir()
    mine, theirs = [".000003.wav.12.part", ".manifest.shard-0-of-2.jsonl.34.part"], \
        [".000002.wav.56.part", ".manifest.shard-1-of-2.jsonl.78.part"]
    for name in mine + theirs:
        (out / name).write_bytes(b"left by a killed run")
    result = run_job(BatchJob(corpus(tmp_path / "c.txt", 3), out, SPEC, OPTIONS, shard=(0, 2)))
    assert (result.items, result.done, result.orphans_removed) == (2, 2, 2)
    assert sorted(p.name for p in out.glob(".*.part")) == sorted(theirs)


# --- a 100 MB input ----------------------------------------------------------------------------------------

# Runs in a child process: a small job first (the voice loaded, its buffers grown), then the 100 MB one;
# the growth of the peak resident memory (VmHWM) between the two is what the big input costs.
PEAK = """
import json, sys
from enunciate.cli import main

def peak_mb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024

small, big, out, shard_small, shard_big = sys.argv[1:]
assert main(["batch", small, "-o", out + "/small", "--shard", shard_small]) == 0
before = peak_mb()
rc = main(["batch", big, "-o", out + "/big", "--shard", shard_big])
print(json.dumps({"rc": rc, "before_mb": before, "after_mb": peak_mb()}))
"""


def _rows_file(path: Path, rows: int) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for k in range(rows):
            f.write(f'{{"id": "doc-{k:07d}", "text": "Sentence {k} says the install step runs in {k % 97} ms '
                    'on this machine."}\n')
    return path


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads VmHWM from /proc")
def test_a_100_mb_jsonl_is_streamed_and_its_id_check_is_bounded(tmp_path):
    """A million rows (102 MB) are read twice, the duplicate-id check and the work, with --shard picking 4
    of them to speak (speaking 100 MB would take a day): the peak memory grows by 8 bytes a row for the
    id hashes and nothing for the rows themselves. A set of the ids (the check before) grew it by 95 MB."""
    rows = 1_000_000
    big, small = _rows_file(tmp_path / "big.jsonl", rows), _rows_file(tmp_path / "small.jsonl", 1000)
    assert big.stat().st_size > 100e6
    run = subprocess.run([sys.executable, "-c", PEAK, str(small), str(big), str(tmp_path / "out"), "0/250",
                          f"0/{rows // 4}"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.splitlines()[-1])
    assert report["rc"] == 0
    manifest = tmp_path / "out" / "big" / f"manifest.shard-0-of-{rows // 4}.jsonl"
    spoken = [json.loads(line)["id"] for line in manifest.read_text(encoding="utf-8").splitlines()]
    assert spoken == [f"doc-{k:07d}" for k in range(0, rows, rows // 4)]
    grown_mb = report["after_mb"] - report["before_mb"]
    bound_mb = 16 + 10 * rows / 2 ** 20  # 8 bytes a row of hashes, 1 while they are compared, and 16 MB of slack
    assert grown_mb < bound_mb, f"the 100 MB input grew the peak by {grown_mb:.1f} MB (bound {bound_mb:.0f} MB)"


# --- a full or read-only disk ---------------------------------------------------------------------------

class Disk:
    """A tmpfs mounted at `path`; `remount("size=16m")`, `remount("ro")` change it in place."""

    def __init__(self, path: Path):
        self.path = path

    def remount(self, options: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{options}", str(self.path)], check=True, capture_output=True)


@pytest.fixture
def disk(tmp_path):
    point = tmp_path / "disk"
    point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(point)], capture_output=True,
                             text=True) if shutil.which("mount") else None
    if mounted is None or mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip() if mounted else 'no mount command'}); a "
                    "full or read-only disk needs one (chmod stops no writes for root)")
    try:
        yield Disk(point)
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


@pytest.mark.parametrize("case", ["folder", "file-url", "row-does-not-fit"])
def test_a_full_disk_stops_the_job_with_only_whole_files_recorded_and_a_rerun_finishes(tmp_path, disk, capsys,
                                                                                       case):
    """folder, file-url: room for two files, a page each for the manifest and errors.jsonl, and one more:
    the third file does not fit. row-does-not-fit: room for the first file alone: it is written whole but
    its row cannot be appended, so it is not recorded, and the rerun makes it again."""
    source = corpus(tmp_path / "c.txt", 4)
    run_job(BatchJob(source, tmp_path / "ref", SPEC, OPTIONS))
    reference = by_id(tmp_path / "ref")
    page = os.sysconf("SC_PAGE_SIZE")
    pages = [-(-(tmp_path / "ref" / f"00000{k}.wav").stat().st_size // page) for k in (1, 2)]
    disk.remount(f"size={(pages[0] if case == 'row-does-not-fit' else sum(pages) + 3) * page}")
    out = disk.path / "out"
    command = ["batch", str(source), "-o", out.as_uri() if case == "file-url" else str(out), *SEED]

    assert main(command) == 2  # the job stops at the first write that does not fit, not after every item failed
    err = capsys.readouterr().err
    recorded = ("000001", "000002") if case != "row-does-not-fit" else ()
    if recorded:
        assert "is full (cannot write" in err and "000003.wav: No space left on device" in err and "rerun" in err
    else:
        assert f"cannot write {out}/manifest.jsonl: No space left on device" in err and "rerun" in err
    assert by_id(out) == {i: reference[i] for i in recorded}  # rows only for whole files, with the same audio
    files = [f"{i}.wav" for i in recorded or ("000001",)]
    assert sorted(p.name for p in out.iterdir()) == [*files, "errors.jsonl", "manifest.jsonl"]  # no temp file

    disk.remount("size=16m")  # room again: the same command does the rest
    assert main(command) == 0
    assert f"{4 - len(recorded)} spoken" in capsys.readouterr().out and by_id(out) == reference


def test_a_read_only_disk_is_refused_before_any_work_and_the_job_resumes_once_writable(tmp_path, disk, capsys):
    out = disk.path / "out"
    assert main(["batch", str(corpus(tmp_path / "two.txt", 2)), "-o", str(out), *SEED]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    disk.remount("ro")
    source = corpus(tmp_path / "c.txt", 3)
    for target, says in ((str(out), "cannot write in the output folder"), (out.as_uri(), "Read-only file system"),
                         (str(disk.path / "new"), "cannot make the output folder")):
        assert main(["batch", str(source), "-o", target, *SEED]) == 2
        err = capsys.readouterr().err
        assert says in err and "read-only" in err.lower() and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before and not (disk.path / "new").exists()
    disk.remount("rw")
    result = run_job(BatchJob(source, out, SPEC, OPTIONS))
    assert (result.done, result.skipped, result.failed) == (1, 2, 0) and len(by_id(out)) == 3


# --- a cluster started with `ray start --head` ------------------------------------------------------------

def _free_ports(n: int) -> list[int]:
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(n)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def _session(sid: int) -> list[int]:
    """The processes of session `sid`: the head and everything it started (Ray's workers have process
    groups of their own, but stay in the session)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[3]) == sid:
                pids.append(int(stat.parent.name))
    return pids


@contextlib.contextmanager
def ray_head(num_cpus: int = 2):
    """`ray start --head --block` in a session of its own, on ports of its own and with its own token
    (Ray 2.60 turns token authentication on when a token exists), so it cannot meet another Ray on this
    machine. Yields its address and the environment a driver needs. Stopped by its own processes' ids:
    SIGTERM to the head (which stops what it started), then SIGKILL to whatever of its session is left.
    `ray stop --force` would kill every Ray process on the machine, other jobs' too."""
    temp = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))  # short: Ray's socket paths must fit 107 bytes
    (temp / "token").write_text(secrets.token_hex(32))
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(temp / "token"), RAY_USAGE_STATS_ENABLED="0")
    ports = dict(zip(("port", "ray-client-server-port", "node-manager-port", "object-manager-port", "dashboard-port",
                      "dashboard-agent-listen-port", "dashboard-agent-grpc-port", "runtime-env-agent-port",
                      "metrics-export-port"), _free_ports(9)))
    command = [str(Path(sys.executable).with_name("ray")), "start", "--head", "--block", "--num-cpus", str(num_cpus),
               "--disable-usage-stats", "--include-dashboard", "false", "--object-store-memory", str(200 << 20),
               "--temp-dir", str(temp), *(f"--{k}={v}" for k, v in ports.items())]
    address = f"127.0.0.1:{ports['port']}"
    with open(temp / "head.log", "wb") as log:
        head = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while subprocess.run([command[0], "status", "--address", address], capture_output=True, env=env,
                             timeout=60).returncode:
            assert head.poll() is None, (temp / "head.log").read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the head did not answer `ray status` in 120 s"
            time.sleep(1)
        yield address, env, temp
    finally:
        head.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            head.wait(20)
        for pid in _session(head.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            head.wait(10)
        shutil.rmtree(temp, ignore_errors=True)


@pytest.mark.slow
def test_a_cluster_started_with_ray_start_head_makes_the_local_executors_files(tmp_path):
    """`enunciate batch --executor ray --ray-address HOST:PORT` against a head started apart from the job,
    as on a cluster: the same ids, durations and audio as the local executor, and the rerun resumes."""
    pytest.importorskip("ray")
    source = corpus(tmp_path / "c.txt", 8)
    run_job(BatchJob(source, tmp_path / "local", SPEC, OPTIONS))
    out = tmp_path / "ray"

    def batch(address: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "enunciate", "batch", str(source), "-o", str(out), "--executor",
                               "ray", "--ray-address", address, "--workers", "2", *SEED], capture_output=True,
                              text=True, env=env, timeout=240, cwd=ROOT)

    wrong = batch(f"127.0.0.1:{_free_ports(1)[0]}")  # nothing listens there: an error at once, not Ray's retries
    assert wrong.returncode == 2 and "nothing answers at the Ray address" in wrong.stderr, wrong.stderr[-2000:]
    with ray_head() as (address, env, temp):
        first = batch(address, env)
        assert first.returncode == 0, first.stderr[-3000:]
        assert by_id(out) == by_id(tmp_path / "local")  # ids, durations and audio hashes
        assert list(temp.glob("session_*/logs/ray-data")), "the job did not run on the head's cluster"
        again = batch(address, env)
        assert again.returncode == 0 and "0 spoken" in again.stdout and "8 already done" in again.stdout
