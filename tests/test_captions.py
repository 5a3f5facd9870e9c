"""Captions from real synthesis, read back by real caption parsers."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import srt
import webvtt

from enunciate.captions import MAX_LINE, build_cues, wrap

ROOT = Path(__file__).resolve().parents[1]
REVIEW = ROOT / "examples" / "product_review.md"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("captions")
    proc = subprocess.run([sys.executable, "-m", "enunciate", "speak", "-f", str(REVIEW), "-o", str(out / "r.wav"),
                           "--captions", str(out / "r.vtt"), "--timestamps", str(out / "r.json")],
                          capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    proc = subprocess.run([sys.executable, "-m", "enunciate", "speak", "-f", str(REVIEW), "-o", str(out / "s.wav"),
                           "--captions", str(out / "r.srt")], capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    return out


def _seconds(stamp: str) -> float:
    h, m, s = stamp.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def test_vtt_parses_and_follows_the_rules(rendered):
    cues = list(webvtt.read(str(rendered / "r.vtt")))
    assert len(cues) > 8
    for a, b in zip(cues, cues[1:]):
        assert _seconds(a.end) <= _seconds(b.start), "cues overlap"
    for c in cues:
        lines = c.text.split("\n")
        assert 1 <= len(lines) <= 2 and all(len(line) <= MAX_LINE for line in lines)
        assert _seconds(c.end) > _seconds(c.start)
    text = " ".join(c.text.replace("\n", " ") for c in cues)
    # the original text, not the expanded spoken form
    assert "35 ms" in text and "RTX 4090" in text and "thirty five" not in text
    assert "**" not in text and "`" not in text


def test_srt_parses(rendered):
    subs = list(srt.parse((rendered / "r.srt").read_text(encoding="utf-8")))
    assert len(subs) > 8 and subs[0].index == 1
    assert all(s.end > s.start for s in subs)


def test_timestamps_json_slices_the_original(rendered):
    words = json.loads((rendered / "r.json").read_text(encoding="utf-8"))
    source = REVIEW.read_text(encoding="utf-8")
    for w in words:
        assert source[w["span"][0]:w["span"][1]] == w["text"]
        assert w["end_s"] > w["start_s"]
        assert round(w["start_s"], 3) == w["start_s"] and round(w["end_s"], 3) == w["end_s"]  # milliseconds


def test_wrap_never_splits_a_unit():
    lines = wrap(["A", "ResNet-50", "epoch", "took", "35 ms", "per", "batch", "of", "256", "images,"])
    assert any("35 ms" in line for line in lines) and len(lines) == 2


def test_bad_captions_suffix_is_refused(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "enunciate", "speak", "hi", "-o", str(tmp_path / "a.wav"),
                           "--captions", str(tmp_path / "a.txt")], capture_output=True, timeout=120)
    assert proc.returncode == 2 and b".vtt or .srt" in proc.stderr and not (tmp_path / "a.wav").exists()


def test_cues_break_at_sentences():
    class W:
        def __init__(self, span, start, end):
            self.span, self.start_s, self.end_s = span, start, end
    source = "One two. Three four."
    words = [W((0, 3), 0.0, 0.2), W((4, 7), 0.2, 0.4), W((9, 14), 0.5, 0.7), W((15, 19), 0.7, 0.9)]
    cues = build_cues(words, source)
    assert [c.text for c in cues] == ["One two.", "Three four."]


def test_unwritable_captions_path_fails_before_any_audio(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "enunciate", "speak", "hi", "-o", str(tmp_path / "a.wav"),
                           "--captions", str(tmp_path / "missing" / "a.vtt")], capture_output=True, timeout=120)
    assert proc.returncode == 2 and b"does not exist" in proc.stderr and not (tmp_path / "a.wav").exists()


def test_chapters_follow_the_headings(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("Some intro words before any heading appear here first.\n\n# One\n\nText one.\n\n"
                   "## Two: the `kubectl` part\n\nText two.\n")
    proc = subprocess.run([sys.executable, "-m", "enunciate", "speak", "-f", str(doc), "-o", str(tmp_path / "d.wav"),
                           "--chapters", str(tmp_path / "d.vtt"), "--timestamps", str(tmp_path / "d.json")],
                          capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    lines = (tmp_path / "d.vtt").read_text().splitlines()
    assert lines[0] == "WEBVTT"
    titles = [lines[k + 1] for k, line in enumerate(lines) if "-->" in line]
    assert titles == ["Some intro words before any heading appear here …", "One", "Two: the kubectl part"]
    assert [c.text for c in webvtt.read(str(tmp_path / "d.vtt"))] == titles  # a real WebVTT parser agrees
    times = [line.split(" --> ") for line in lines if "-->" in line]
    assert times[0][0] == "00:00:00.000" and all(a[1] == b[0] for a, b in zip(times, times[1:]))
    words = json.loads((tmp_path / "d.json").read_text())
    one = next(w for w in words if w["text"] == "One")
    assert times[1][0] == f"00:00:{one['start_s']:06.3f}"  # a chapter starts when its heading is spoken


def test_chapters_must_be_webvtt(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "enunciate", "speak", "# Hi", "-o", str(tmp_path / "a.wav"),
                           "--chapters", str(tmp_path / "a.srt")], capture_output=True, timeout=120)
    assert proc.returncode == 2 and b"chapters file must end in .vtt" in proc.stderr
    assert not (tmp_path / "a.wav").exists()
