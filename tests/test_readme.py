"""The README's Python examples run as written, in order, in one namespace (docs that cannot rot)."""
from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_blocks_run(tmp_path, heart, capsys):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert blocks
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "product_review.md").write_text(
        (ROOT / "examples" / "product_review.md").read_text(encoding="utf-8"), encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        namespace: dict = {}
        for code in blocks:
            exec(compile(code, "README.md", "exec"), namespace)
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    assert "real-time factor" in out and "kubectl" in out
    assert (tmp_path / "query.wav").stat().st_size > 10_000 and (tmp_path / "review.wav").exists()
