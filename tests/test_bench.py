"""`enunciate bench`: real voices (heart, joe, and joe exported into a folder), two sentences, one round."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from enunciate import EnunciateError
from enunciate.bench.run import BenchConfig, default_texts, load_result, run
from enunciate.cli import main

pytestmark = pytest.mark.slow
THREADS = 2
# two short sentences, the second with a clause for the streamed first chunk to end at
TEXTS = ("Run kubectl in 35 ms.", "Install CUDA 12.4, then check the PostgreSQL logs on the H100.")


@pytest.fixture(scope="module")
def joe_copy(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("voices") / "joe-copy"
    assert main(["voices", "export", "joe", str(folder)]) == 0
    return folder


@pytest.fixture(scope="module")
def result(joe_copy):
    return run(BenchConfig(("heart", "joe", str(joe_copy)), threads=THREADS, texts=TEXTS, rounds=1))


def test_every_column_is_there_and_sane(result, joe_copy):
    rows = {r["name"]: r for r in result.rows()}
    assert list(rows) == ["heart", "joe", "joe-copy"]
    for name, r in rows.items():
        assert r["samples"] == 2
        assert 0 < r["rtf_p50"] <= r["rtf_p90"] and r["rtf_total"] > 0, name
        assert 0 < r["latency_p50_ms"] <= r["latency_p90_ms"], name
        assert 0 < r["ttfa_p50_ms"] <= r["ttfa_p90_ms"], name
        assert 0 < r["peak_rss_mb"] and 0 < r["rss_delta_mb"] < r["peak_rss_mb"], name
        assert r["load_s"] >= 0
        # no native batches on ONNX Runtime, and no GPU figure is ever made up on the CPU
        assert r["throughput_b1"] is None and r["throughput_b8"] is None
        assert r["gpu_mem_peak_mb"] is None and r["gpu_j_per_audio_s"] is None and r["gpu_util_pct"] is None
    for v in result.variants:
        assert all(first < whole for first, whole in zip(v.ttfa_ms, v.stream_ms))
    joe_files = sorted(p for p in joe_copy.iterdir() if p.name != "voice.json")
    assert rows["joe-copy"]["size_mb"] * 1e6 == sum(p.stat().st_size for p in joe_files)
    assert rows["joe"]["size_mb"] == rows["joe-copy"]["size_mb"]
    from hibari.voices import voice_path

    assert rows["heart"]["size_mb"] * 1e6 == Path(voice_path("heart", download_missing=False)).stat().st_size
    copy = next(v for v in result.variants if v.name == "joe-copy")
    assert copy.manifest == str(joe_copy / "voice.json") and copy.family == "piper"


def test_machine_threads_and_settings_are_recorded(result):
    assert result.machine["cpu"] and isinstance(result.machine["isa"], list)
    assert result.threads["onnxruntime_intra_op"] == THREADS
    assert result.config.rounds == 1 and result.config.warmup == 1 and len(result.config.texts) == 2
    table = result.markdown()
    assert "| heart | onnx |" in table and "| joe-copy | onnx |" in table
    assert "ISA:" in table and "intra-op 2" in table


def test_json_csv_and_markdown_are_written(result, tmp_path):
    paths = result.write(tmp_path / "out")
    assert [p.name for p in paths] == ["bench.json", "bench.csv", "bench.md"]
    data = load_result(paths[0])
    assert [v["name"] for v in data["variants"]] == ["heart", "joe", "joe-copy"]
    assert len(data["variants"][0]["latency_ms"]) == 2  # every sample is kept, for the report's plots
    with paths[1].open() as f:
        rows = list(csv.DictReader(f))
    assert [r["name"] for r in rows] == ["heart", "joe", "joe-copy"]
    assert set(rows[0]) == set(result.rows()[0])
    assert float(rows[1]["rtf_p50"]) > 0 and rows[1]["gpu_mem_peak_mb"] == ""
    with pytest.raises(EnunciateError, match="not an `enunciate bench` result"):
        (tmp_path / "other.json").write_text(json.dumps({"mode": "voices"}))
        load_result(tmp_path / "other.json")


def test_native_batches_give_throughput():
    r = run(BenchConfig(("joe",), engines=("torch",), threads=THREADS, texts=TEXTS[:1], rounds=1,
                        warmup=0, batches=(1, 2), peak_rss=False))
    row = r.rows()[0]
    assert row["name"] == "joe/torch" and row["engine"] == "torch"
    assert row["throughput_b1"] > 0 and row["throughput_b2"] > 0
    assert row["peak_rss_mb"] is None  # skipped on request, not guessed


def test_default_texts_come_from_the_dev_set():
    texts = default_texts()
    assert len(texts) == 8 and all(isinstance(t, str) and t for t in texts)


def test_cli_writes_and_refuses_bad_input(tmp_path, capsys):
    texts = tmp_path / "texts.txt"
    texts.write_text("# one sentence\nRun kubectl in 35 ms.\n")
    assert main(["bench", "heart", "--texts", str(texts), "--rounds", "1", "--warmup", "0", "--no-rss",
                 "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "| heart | onnx |" in out and (tmp_path / "out" / "bench.csv").is_file()
    assert main(["bench", "no-such-voice", "--no-rss"]) == 2
    assert "unknown voice 'no-such-voice'" in capsys.readouterr().err
    assert main(["bench", "heart", "--engines", "torch", "--no-rss"]) == 2
    assert "heart: no torch engine" in capsys.readouterr().err
    assert main(["bench", "heart", "--rounds", "0"]) == 2
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    assert main(["bench", "heart", "--texts", str(empty)]) == 2
    assert "holds no sentence" in capsys.readouterr().err
