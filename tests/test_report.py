"""`enunciate report`: a real bench result (heart and joe) with a real `enunciate eval` result
(benchmarks/results/eval_dev.json) -> Markdown, self-contained HTML and real PNG plots."""
from __future__ import annotations

import base64
import copy
import json
import re
from pathlib import Path

import pytest

from enunciate import EnunciateError
from enunciate.bench.run import BenchConfig, run
from enunciate.cli import main
from enunciate.report import build_report, pareto_front

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "benchmarks" / "results" / "eval_dev.json"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def bench_json(tmp_path_factory) -> Path:
    result = run(BenchConfig(("heart", "joe"), threads=2, texts=("Run kubectl in 35 ms.",), rounds=2, warmup=0,
                             peak_rss=False))
    return result.write(tmp_path_factory.mktemp("bench"))[0]


@pytest.mark.slow
def test_report_writes_markdown_html_and_pngs(bench_json, tmp_path):
    files = build_report([bench_json, EVAL], tmp_path / "report")
    assert sorted(p.name for p in files.images) == ["latency.png", "quality_vs_rtf.png", "sizes.png"]
    for image in files.images:
        assert image.read_bytes().startswith(PNG) and image.stat().st_size > 2000
    md = files.markdown.read_text()
    for title in ("## Runs", "## Size on disk", "## CPU time", "## GPU time", "## Quality"):
        assert title in md
    heart_mos = next(e for e in json.loads(EVAL.read_text())["engines"] if e["name"] == "heart")["distillmos"]
    assert re.search(rf"\| heart \| {heart_mos:.2f} \[", md)  # eval's figure in the quality table
    assert "Pending: no variant in these results ran on CUDA" in md
    assert "![Size on disk](sizes.png)" in md
    page = files.html.read_text()
    inline = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(inline) == 3 and all(base64.b64decode(data).startswith(PNG) for data in inline)
    assert {base64.b64decode(data) for data in inline} == {p.read_bytes() for p in files.images}
    assert "http://" not in page and "https://" not in page and "<script" not in page  # nothing fetched
    assert "<td>heart</td>" in page


@pytest.mark.slow
def test_report_without_quality_or_plots(bench_json, tmp_path, capsys):
    files = build_report([bench_json], tmp_path / "plain", plots=False)
    assert files.images == [] and "## Quality" not in files.markdown.read_text()
    assert "data:image" not in files.html.read_text()
    assert main(["report", str(bench_json), "-o", str(tmp_path / "cli")]) == 0
    assert (tmp_path / "cli" / "report.html").is_file() and not (tmp_path / "cli" / "quality_vs_rtf.png").exists()
    capsys.readouterr()


@pytest.mark.slow
def test_gpu_columns_fill_when_a_variant_ran_on_cuda(bench_json, tmp_path):
    data = json.loads(bench_json.read_text())
    gpu = copy.deepcopy(data["variants"][1])  # figures as an H200 run of joe's torch engine gave them
    gpu.update(name="joe/torch@cuda", engine="torch", device="cuda", default_engine=False)
    gpu["summary"].update(gpu_mem_peak_mb=3853.0, gpu_util_pct=22.0, gpu_j_per_audio_s=0.671, throughput_b8=970.1,
                          gpu_util_pct_b8=31.0, gpu_j_per_audio_s_b8=0.238)
    data["variants"].append(gpu)
    data["machine"]["gpu"] = "NVIDIA H200"
    (tmp_path / "gpu.json").write_text(json.dumps(data))
    md = build_report([tmp_path / "gpu.json"], tmp_path / "report", plots=False).markdown.read_text()
    section = md.split("## GPU time")[1].split("##")[0]
    assert "| joe/torch@cuda | fp32 | " in section and "| 0.671 | 31 | 0.238 |" in section
    assert "Pending" not in md and "NVIDIA H200" in md
    assert "joe/torch@cuda" not in md.split("## CPU time")[1].split("##")[0]


def test_report_refuses_what_it_cannot_read(tmp_path, capsys):
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"hello": 1}))
    with pytest.raises(EnunciateError, match="neither an `enunciate bench` result"):
        build_report([other], tmp_path / "out")
    with pytest.raises(EnunciateError, match="at least one bench result"):
        build_report([EVAL], tmp_path / "out")
    assert main(["report", str(tmp_path / "missing.json"), "-o", str(tmp_path / "out")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_pareto_front():
    # (RTF, quality): lower RTF and higher quality are better
    points = [(0.02, 4.6), (0.03, 4.5), (0.1, 4.7), (0.2, 4.4), (0.02, 4.5), (0.5, 4.7)]
    assert pareto_front(points) == [0, 2]
    assert pareto_front([(1.0, 1.0)]) == [0]


def test_report_of_variants_against_their_parent(tmp_path):
    """The committed heart study (benchmarks/optimize_report.py): bench and `eval --against` results
    give a table of each variant's change against the parent, with the eval's own figures."""
    study = ROOT / "benchmarks" / "results" / "optimize_report" / "heart"
    files = build_report([study / "bench.json", study / "eval.json"], tmp_path / "r", plots=False)
    md = files.markdown.read_text()
    assert "## Against the parent (heart)" in md
    md = md.split("## Against the parent (heart)")[1].split("\n## ")[0]
    evaluated = json.loads((study / "eval.json").read_text())["engines"]
    variants = [e for e in evaluated if "against" in e]
    assert len(variants) >= 5
    for e in variants:
        label = Path(e["name"]).name
        pesq = e["against"]["intrusive"]["pesq_wb"]["mean"]
        row = next(line for line in md.splitlines() if line.startswith(f"| {label} |") and f"{pesq:.2f} [" in line)
        mos = next(m for m in e["against"]["differences"] if m["name"] == "distillmos")
        assert f"{mos['diff']:.2f} [" in row
