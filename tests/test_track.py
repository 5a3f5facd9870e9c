"""MLflow tracking with the real mlflow package against a temporary file store: runs, metrics read
back through mlflow's own client, artifacts, a bench run logged from the CLI, a voice registered."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from enunciate import EnunciateError
from enunciate.cli import main
from enunciate.track import RunRecord, artifact_paths, fetch_voice, log_run, register_voice, tracking_uri
from enunciate.voices.folder import read_manifest


@pytest.fixture()
def store(tmp_path) -> str:
    return tracking_uri(tmp_path / "mlruns")


def mlflow_client(uri: str) -> MlflowClient:
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def test_uris():
    assert tracking_uri(None) == (Path.cwd() / "mlruns").as_uri()
    assert tracking_uri("http://localhost:5000") == "http://localhost:5000"
    assert tracking_uri("sqlite:///x.db") == "sqlite:///x.db"


def test_a_run_and_its_children_are_logged(store, tmp_path):
    result = tmp_path / "result.json"
    result.write_text(json.dumps({"rtf": 0.02}))
    logged = log_run("enunciate-test", RunRecord("bench", {"threads": 2, "command": "enunciate bench heart"},
                                                 {"variants": 1, "nan": float("nan"), "none": None},
                                                 (result, (result, "copies")), {"kind": "bench"}),
                     [RunRecord("heart", {"engine": "onnx"}, {"rtf_p50": 0.0151, "latency_p50_ms": 82.3})], uri=store)
    client = mlflow_client(store)
    parent = client.get_run(logged.run_id)
    assert parent.info.status == "FINISHED" and parent.info.run_name == "bench"
    assert parent.data.params == {"threads": "2", "command": "enunciate bench heart"}
    assert parent.data.metrics == {"variants": 1.0}  # NaN and None are "not measured": not logged
    assert parent.data.tags["kind"] == "bench"
    assert sorted(a.path for a in client.list_artifacts(logged.run_id)) == ["copies", "result.json"]
    child = client.get_run(logged.children["heart"])
    assert child.data.metrics == {"rtf_p50": 0.0151, "latency_p50_ms": 82.3}
    assert child.data.tags["mlflow.parentRunId"] == logged.run_id
    with pytest.raises(EnunciateError, match="no such file"):
        log_run("enunciate-test", RunRecord("broken", artifacts=(tmp_path / "missing.json",)), uri=store)


@pytest.mark.slow
def test_bench_cli_logs_to_mlflow(tmp_path, capsys):
    folder = tmp_path / "my-heart"
    assert main(["voices", "export", "heart", str(folder)]) == 0
    uri = tmp_path / "mlruns"
    assert main(["bench", str(folder), "--texts", str(_texts(tmp_path)), "--rounds", "1", "--warmup", "0",
                 "--no-rss", "--mlflow-uri", str(uri)]) == 0
    out = capsys.readouterr().out
    run_id = out.split("MLflow: run ")[1].split()[0]
    client = mlflow_client(tracking_uri(uri))
    parent = client.get_run(run_id)
    assert parent.data.params["threads"] == "2" and parent.data.params["rounds"] == "1"
    assert parent.data.params["isa"] is not None and parent.data.params["cpu"]
    assert artifact_paths(run_id, uri) == ["bench.csv", "bench.json", "bench.md", "voices/my-heart/voice.json"]
    children = client.search_runs([parent.info.experiment_id], f"tags.mlflow.parentRunId = '{run_id}'")
    assert [c.info.run_name for c in children] == ["my-heart"]
    metrics = children[0].data.metrics
    assert metrics["rtf_p50"] > 0 and metrics["latency_p90_ms"] >= metrics["latency_p50_ms"]
    assert metrics["size_mb"] == pytest.approx(read_manifest(folder).size_bytes / 1e6)


@pytest.mark.slow
def test_a_voice_folder_is_registered_and_fetched_back(store, tmp_path):
    folder = tmp_path / "heart-copy"
    assert main(["voices", "export", "heart", str(folder)]) == 0
    first = register_voice(folder, "heart-variant", uri=store)
    second = register_voice(folder, "heart-variant", uri=store)
    assert (first.version, second.version) == ("1", "2")
    client = mlflow_client(store)
    version = client.get_model_version("heart-variant", "2")
    assert version.tags["family"] == "hibari" and version.run_id == second.run_id
    assert version.tags["model_sha256"] == read_manifest(folder).files["model"].sha256
    fetched = fetch_voice("heart-variant", 2, tmp_path / "fetched", uri=store)
    assert read_manifest(fetched).files == read_manifest(folder).files  # hashes checked on read
    with pytest.raises(EnunciateError, match="cannot fetch"):
        fetch_voice("heart-variant", 9, tmp_path / "nothing", uri=store)


def _texts(tmp_path: Path) -> Path:
    path = tmp_path / "texts.txt"
    path.write_text("Run kubectl in 35 ms.\n")
    return path
