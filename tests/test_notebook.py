"""Jupyter notebooks are read as they show: Markdown cells spoken, code cells and outputs reported,
every span an offset in the .ipynb file itself."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import enunciate
from enunciate.errors import EnunciateError
from enunciate.text.readers.notebook import blocks

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "quickstart.ipynb"
TEXT = NOTEBOOK.read_text(encoding="utf-8")


def _read(text: str) -> list[tuple[str, str]]:
    return [(b.kind, " ".join(b.text.split())) for b in blocks(text)]


def test_markdown_cells_are_read_and_code_cells_skipped():
    read = _read(TEXT)
    assert [k for k, _ in read] == ["heading", "paragraph", "code cell and its output", "heading", "table_row",
                                    "table_row", "table_row", "quote", "code cell"]
    assert read[0][1] == "Quickstart: speak technical text"
    assert read[1][1].startswith('Install the package with pip , then load the "heart" voice')
    report = enunciate.phonemize(TEXT, markup="notebook")
    assert [s.reason for s in report.skipped] == ["code cell and its output not read aloud", "code cell not read aloud"]


def test_spans_point_into_the_notebook_file():
    for b in blocks(TEXT):
        assert len(b.text) == b.end - b.start
        if not b.skipped:
            for k, ch in enumerate(b.text):
                # an escape holds its character; a table's bar is read as a pause
                assert ch == " " or TEXT[b.start + k] in (ch, "\\") or (ch, TEXT[b.start + k]) == (",", "|")
    report = enunciate.phonemize(TEXT, markup="notebook")
    for w in report.words:
        assert TEXT[w.span[0]:w.span[1]] == w.text
    assert "kubectl" in [w.text for w in report.words]
    table = [w for w in report.words if w.text == "|"]
    assert [w.spoken for w in table[:3]] == ["voice", "WER", "size"]  # column names, as in Markdown


def test_escapes_and_string_sources():
    source = "It\u2019s a \"quoted\" path: C:\\\\tmp and caf\u00e9."
    cells = [{"cell_type": "markdown", "metadata": {}, "source": source},
             {"cell_type": "raw", "metadata": {}, "source": ["not read"]}]
    text = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, ensure_ascii=True)
    assert "\\u2019" in text  # written with escapes, as ensure_ascii writers do
    report = enunciate.phonemize(text, markup="notebook")
    spoken = [w.spoken for w in report.words]
    assert spoken[:2] == ["it's", "a"] and "quoted" in spoken and "café" in " ".join(spoken).lower()
    assert [s.reason for s in report.skipped] == ["raw cell not read aloud"]
    assert [w.text for w in report.words if w.spoken.lower() == "café"] == ["caf\\u00e9"]  # the whole escape


def test_a_symbol_written_as_an_escape_is_placed_over_it():
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "Launch \U0001F680 now \u2192 done."}]
    text = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, ensure_ascii=True)
    report = enunciate.phonemize(text, markup="notebook")
    assert [s.text for s in report.skipped] == ["\\ud83d\\ude80"]  # the emoji, reported over its surrogate pair
    assert [(w.text, w.spoken) for w in report.words][1:3] == [("now", "now"), ("\\u2192", "to")]


@pytest.mark.parametrize("text, message", [
    ("{not json", "invalid JSON at line 1"),
    ('{"nbformat": 4}', 'no "cells" list'),
])
def test_a_file_that_is_not_a_notebook_is_a_clear_error(text, message):
    with pytest.raises(EnunciateError, match=message):
        enunciate.phonemize(text, markup="notebook")


def test_cli_speaks_a_notebook_by_its_suffix(tmp_path):
    out = tmp_path / "nb.wav"
    proc = subprocess.run([sys.executable, "-m", "enunciate", "speak", "-f", str(NOTEBOOK), "-o", str(out),
                           "--captions", str(tmp_path / "nb.vtt")], capture_output=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr.decode()
    vtt = (tmp_path / "nb.vtt").read_text()
    assert "kubectl" in vtt and '\\n"' not in vtt and "cell_type" not in vtt


def test_a_notebook_piped_in_without_its_name_is_read_as_one():
    report = enunciate.phonemize(TEXT)  # markup defaults to Markdown: the JSON is seen for what it is
    assert [s.reason for s in report.skipped] == ["code cell and its output not read aloud", "code cell not read aloud"]
    assert "cell_type" not in [w.text for w in report.words]
