"""benchmarks/reading_sources.py: where the frontend's readings come from, over real documents."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_reading_sources_benchmark_counts_where_readings_come_from(tmp_path):
    out = tmp_path / "sources.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "reading_sources.py"),
                           "--glob", str(ROOT / "examples" / "*.md"), "--glob", str(ROOT / "examples" / "*.html"),
                           "--limit", "3", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["documents"] == 3 and result["words"] > 100
    assert abs(sum(result["percent_by_source"].values()) - 100) < 0.1 and "gold" in result["percent_by_source"]
    assert "| source | share of words |" in proc.stdout


def test_reading_diff_lists_what_a_frontend_change_changed(tmp_path):
    """Dump real documents' spoken words, then compare with a dump whose one document reads a
    word differently (as an older frontend would): that change, and only it, is listed."""
    script = str(ROOT / "benchmarks" / "reading_diff.py")
    new = tmp_path / "new.json"
    proc = subprocess.run([sys.executable, script, "--dump", str(new), "--glob", str(ROOT / "examples" / "*.md"),
                           "--limit", "2"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    dumped = json.loads(new.read_text(encoding="utf-8"))
    doc, words = next((f, d["words"]) for f, d in dumped["documents"].items() if "words" in d)
    assert len(words) > 20
    old = json.loads(json.dumps(dumped))
    old["enunciate"] = "old"
    old["documents"][doc]["words"] = [*words[:10], "SAID", "BEFORE", *words[11:]]
    (tmp_path / "old.json").write_text(json.dumps(old), encoding="utf-8")
    out = tmp_path / "diff.json"
    proc = subprocess.run([sys.executable, script, "--compare", str(tmp_path / "old.json"), str(new),
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (change,) = json.loads(out.read_text(encoding="utf-8"))["changes"]
    assert (change["was"], change["now"], change["count"], change["document"]) == ("SAID BEFORE", words[10], 1, doc)
    assert "1 changed stretches" in proc.stdout
