"""make-dataset on the batch engine: the teacher's F0 through the Voice interface, the same dataset from
one worker, two local workers and two Ray actors (byte for byte), and a kill of a two-worker run
then a rerun leaving every clip exactly once. Real voice (heart), real processes, a real local Ray.

The resume after an injected kill and after a SIGKILL of a one-worker run is in test_train.py."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from enunciate import SpeakOptions, VoiceSpec
from enunciate.cli import main

ROOT = Path(__file__).resolve().parents[1]
LINES = ["Install CUDA 12.4 first.", "Run kubectl in 35 ms.", "The API returns JSON.",
         "Call the REST endpoint, then check the logs for HTTP 503 errors before you retry the request.",
         "Our PostgreSQL query takes 12 ms.", "Deploy it on Kubernetes."]
FILES = ("manifest.jsonl", "metadata.csv", "dataset.json")


def manifest_ids(folder: Path) -> list[str]:
    return [json.loads(line)["id"] for line in (folder / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]


def same_dataset(a: Path, b: Path) -> None:
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert sorted(p.name for p in (a / "wavs").iterdir()) == sorted(p.name for p in (b / "wavs").iterdir())


def test_heart_exposes_its_f0_and_joe_says_it_has_none(heart, joe):
    from enunciate.pipeline import Report, plan

    (planned,) = plan("Install CUDA 12.4 first.", SpeakOptions(), heart, Report())
    chunk = heart.synthesize_with_f0(planned.phonemes, 1.0, 7)
    assert np.array_equal(chunk.audio, heart.synthesize(planned.phonemes, 1.0, 7).audio)  # the same samples
    rate = heart.capabilities.f0_rate_hz
    assert rate == 80.0 and abs(len(chunk.f0_hz) / rate - chunk.duration_s) <= 1 / rate
    voiced = chunk.f0_hz[chunk.f0_hz > 0]
    assert len(voiced) > len(chunk.f0_hz) / 3 and 80 < np.median(voiced) < 400  # a speaking voice's pitch
    assert joe.capabilities.f0_rate_hz == 0
    with pytest.raises(NotImplementedError, match="no F0"):
        joe.synthesize_with_f0("hɛloʊ", 1.0, 0)


@pytest.fixture(scope="module")
def texts(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def one_worker(texts) -> Path:
    """The reference: one worker, in this process, one thread (so worker processes can match it)."""
    from enunciate.train.make_dataset import make_dataset

    out = texts.parent / "one"
    result = make_dataset(VoiceSpec("heart", threads=1), texts, out, augment_terms=2)
    assert result.rows == result.rendered >= len(LINES) + 2 and result.f0
    return out


@pytest.mark.slow
def test_two_local_workers_make_the_dataset_one_worker_makes(texts, one_worker, tmp_path, capsys):
    out = tmp_path / "two"
    assert main(["make-dataset", "--voice", "heart", "--texts", str(texts), "-o", str(out), "--augment-terms", "2",
                 "--workers", "2", "--threads", "1"]) == 0
    assert "F0 stored" in capsys.readouterr().out
    same_dataset(out, one_worker)  # rows put back in corpus order: nothing depends on which worker was first


@pytest.mark.slow
def test_ray_actors_make_the_dataset_one_worker_makes(texts, one_worker, tmp_path):
    ray = pytest.importorskip("ray")
    from enunciate.train.make_dataset import make_dataset

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        result = make_dataset(VoiceSpec("heart", threads=1), texts, tmp_path / "ray", augment_terms=2,
                              executor="ray", workers=2)
        again = make_dataset(VoiceSpec("heart", threads=1), texts, tmp_path / "ray", augment_terms=2,
                             executor="ray", workers=2)
    finally:
        ray.shutdown()
    assert result.rendered == result.rows and (again.rendered, again.kept) == (0, result.rows)
    same_dataset(tmp_path / "ray", one_worker)


@pytest.mark.slow
def test_two_workers_killed_then_rerun_leave_every_clip_once(tmp_path):
    from enunciate.train.make_dataset import make_dataset

    texts, out = tmp_path / "long.txt", tmp_path / "killed"
    texts.write_text("".join(f"Step {i}: run kubectl apply on node {i}.\n" for i in range(24)), encoding="utf-8")
    command = [sys.executable, "-m", "enunciate", "make-dataset", "--voice", "heart", "--texts", str(texts),
               "-o", str(out), "--workers", "2", "--threads", "1"]
    proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            if (out / "manifest.jsonl").is_file() and len(manifest_ids(out)) >= 4:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the job ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    time.sleep(0.5)  # the workers die with the driver (PR_SET_PDEATHSIG)
    result = make_dataset(VoiceSpec("heart", threads=1), texts, out, workers=2)
    ids = manifest_ids(out)
    assert ids == [f"{i:06d}-0" for i in range(24)]  # every clip once, in corpus order
    assert result.kept >= 3 and result.rendered == 24 - result.kept
    assert sorted(p.name for p in (out / "wavs").iterdir()) == sorted(f"{i}.wav" for i in ids)
    metadata = (out / "metadata.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split("|")[0] for line in metadata] == ids
