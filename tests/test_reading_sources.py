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
