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


def test_readme_states_the_lexicon_size():
    from enunciate.text.lexicon import tech_lexicon

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"a technical lexicon of {len(tech_lexicon()):,} terms" in readme


def test_readme_reading_table_is_what_the_frontend_says():
    import enunciate

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### How technical text is read", 1)[1].split("###", 1)[0]
    rows = re.findall(r"^\| (`.*?) \| (.*?) \|$", section, flags=re.M)
    assert len(rows) >= 8
    for written, spoken in rows:
        # `text` is read as written; `` `code` `` as a Markdown code span
        cells = [code or text for code, text in re.findall(r"`` (`[^`]+`) ``|`([^`]+)`", written)]
        for text, said in zip(cells, spoken.split(", "), strict=True):
            assert " ".join(w.spoken for w in enunciate.phonemize(text).words) == said, text
