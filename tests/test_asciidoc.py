"""AsciiDoc is read as Asciidoctor renders it, offsets kept, and what is not read is reported."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import enunciate
from enunciate.text.readers.asciidoc import blocks

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "examples" / "deploy_guide.adoc"
TEXT = GUIDE.read_text(encoding="utf-8")


def _read(text: str) -> list[tuple[str, str]]:
    return [(b.kind, " ".join(b.text.split())) for b in blocks(text) if not b.skipped]


def test_a_guide_reads_as_rendered():
    read = _read(TEXT)
    assert read[:3] == [("heading", "Deploying the speech server"),
                        ("paragraph", "This guide deploys enunciate behind nginx on an . See the install guide "
                                      "or Tuning first."),
                        ("paragraph", "NOTE, The server needs CUDA 12.4 and 16 GB of RAM.")]
    assert ("list_item", "Install the package with pip .") in read
    assert ("list_item", "kubectl is configured") in read                 # a checklist's box is not read
    assert ("heading", "Latency by batch size") in read                   # a block title
    assert ("list_item", "Timeout, how long a request may take, 30 s by default.") in read
    assert ("paragraph", "WARNING,") in read                              # "[WARNING]" over a block


def test_attribute_references_read_their_values():
    report = enunciate.phonemize(TEXT, markup="asciidoc")
    spoken = " ".join(w.spoken for w in report.words)
    assert "deploys enunciate two point three point one behind nginx on an H100" in spoken
    assert {w.text for w in report.words} >= {"{version}", "{gpu}"}


def test_tables_read_each_cell_after_its_column_name():
    rows = [b for b in blocks(TEXT) if b.kind == "table_row"]
    assert [[w for _, _, w in r.said_as] for r in rows] == [
        [], ["Batch:", "; p50 latency:", "; Throughput:"], ["Batch:", "; p50 latency:", "; Throughput:"]]
    assert " ".join(rows[0].text.split()) == "Batch, p50 latency, Throughput"
    implicit = "|===\n|a |b\n\n|1 |2\n|===\n"  # a first line followed by a blank line is the header
    assert [[w for _, _, w in b.said_as] for b in blocks(implicit)] == [[], ["a:", "; b:"]]
    plain = "[cols=2*]\n|===\n|x\n|y\n|1\n|2\n|===\n"  # no header; cols= gives the row length
    assert [" ".join(b.text.split()) for b in blocks(plain) if b.kind == "table_row"] == ["x, y", "1, 2"]


def test_what_is_not_read_is_reported():
    report = enunciate.phonemize(TEXT, markup="asciidoc")
    reasons = [s.reason for s in report.skipped]
    assert reasons.count("attribute entry not read aloud") == 3
    assert {"code block not read aloud", "comment not read aloud", "image not read aloud",
            "block attributes not read aloud", "inline footnote not read aloud"} <= set(reasons)
    words = " ".join(w.spoken for w in report.words)
    assert "pip install" not in words and "helm" not in words.lower() and "rotated" not in words.lower()


def test_offsets_hold():
    for b in blocks(TEXT):
        assert len(b.text) == b.end - b.start
        if not b.skipped:
            for k, ch in enumerate(b.text):
                assert ch == " " or TEXT[b.start + k] == ch or ch == ","


def test_cli_reads_adoc_by_suffix(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "enunciate", "speak", "-f", str(GUIDE), "-o", str(tmp_path / "g.wav"),
                           "--captions", str(tmp_path / "g.vtt")], capture_output=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr.decode()
    vtt = (tmp_path / "g.vtt").read_text()
    assert "kubectl" in vtt and "[source" not in vtt and "|===" not in vtt
