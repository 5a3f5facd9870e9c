"""reStructuredText is read as Sphinx renders it, offsets kept, and what is not read is reported."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import enunciate
from enunciate.errors import EnunciateError
from enunciate.pipeline import frontend
from enunciate.text.document import paragraphs
from enunciate.text.readers.rst import blocks

GUIDE = Path(__file__).parent / "data" / "guide.rst"
TEXT = GUIDE.read_text(encoding="utf-8")


def _said(text: str) -> list[tuple[str, str]]:
    return [(b.kind, re.sub(r" ([,.;:)])", r"\1", " ".join(b.text.split())))
            for b in blocks(text) if not b.skipped]


def test_a_sphinx_page_reads_as_rendered():
    assert _said(TEXT) == [
        ("heading", "Quickstart"),
        ("paragraph", "Install the package with pip:"),          # "pip::" shows one colon
        ("paragraph", "Then call speak (see the guide) or read the Sphinx docs and Python."),
        ("paragraph", "note, Models load once per process."),   # admonitions: their name first
        ("paragraph", "warning, The GPU path needs CUDA 12."),
        ("paragraph", "versionadded 2.0"),                       # the lexicon says "new in version"
        ("heading", "Options"),
        ("list_item", "--voice picks a voice."),
        ("list_item", "Speed is set with speed, from 0.5 to 2.0."),
        ("paragraph", "param text, the text to speak"),          # a field list
        ("paragraph", "Values outside raise an error."),         # a footnote's text, not its mark
        ("paragraph", "Use for v2.3.1 docs."),                   # |project| is read as its replacement
    ]
    (use,) = [b for b in blocks(TEXT) if b.text.strip().startswith("Use")]
    assert [(TEXT[a:b], said) for a, b, said in use.said_as] == [("|project|", "enunciate")]


def test_skipped_constructs_are_named():
    hidden = [(b.kind, TEXT[b.start:b.end].splitlines()[0]) for b in blocks(TEXT) if b.skipped]
    assert hidden == [
        ("code", "    pip install enunciate"),                  # the literal block "::" announced
        ("code", ".. code-block:: python"),
        ("directive", ".. image:: arch.png"),
        ("link_definition", ".. _guide:"),
        ("rst_comment", ".. This is a comment"),
        ("code", '>>> enunciate.speak("hi")'),
        ("link_definition", ".. |project| replace:: enunciate"),
        ("link_definition", ".. _Python: https://python.org"),
    ]


def test_offsets_hold():
    for b in blocks(TEXT):
        assert len(b.text) == b.end - b.start
        for k, ch in enumerate(b.text):
            assert ch in " ," or TEXT[b.start + k] == ch


@pytest.mark.parametrize("rst, spoken", [
    (":func:`~pkg.mod.load` and :class:`Voice`", "load and Voice"),
    (":ref:`the guide <guide>`", "the guide"),
    ("see `the docs <https://x.io>`__ now", "see the docs now"),
    ("``x = 1`` is `interpreted`", "x = 1 is interpreted"),
    ("the ``__init__`` method and __init__ too", "the __init__ method and __init__ too"),
    ("*em* and **strong** [#]_", "em and strong"),
    ("a\\*b", "a *b"),                                              # the backslash is blanked
])
def test_inline_markup(rst, spoken):
    (block,) = blocks(rst)
    assert " ".join(block.text.split()) == spoken


def test_sections_with_overlines_and_transitions():
    text = "#####\nTitle\n#####\n\nText one.\n\n----\n\nSub\n~~~\n\nText two.\n"
    assert _said(text) == [("heading", "Title"), ("paragraph", "Text one."),
                           ("heading", "Sub"), ("paragraph", "Text two.")]


def test_speech_report_names_what_rst_hides():
    report = enunciate.phonemize(TEXT, markup="rst")
    reasons = {s.reason for s in report.skipped}
    assert {"code block not read aloud", "directive not read aloud", "comment not read aloud",
            "link definition not read aloud"} <= reasons
    k = next(k for k, w in enumerate(report.words) if w.text == "versionadded")
    assert report.words[k].phonemes == "nˈu ɪn vˈɜɹʒən" and report.words[k + 1].spoken == "two point oh"


def test_unknown_markup_is_a_clear_error():
    choices = "markdown, rst, html, notebook, asciidoc, plain"
    with pytest.raises(EnunciateError, match=f"unknown markup 'troff'; choose one of {choices}"):
        enunciate.phonemize("hello", markup="troff")


def test_cli_reads_rst_by_suffix(tmp_path):
    doc = tmp_path / "page.rst"
    doc.write_text("Title\n=====\n\n.. note:: Use *pip*.\n\n.. code-block:: bash\n\n   make clean\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "enunciate", "phonemize", "-f", str(doc)],
                         capture_output=True, text=True, check=True).stdout
    assert out.split()[:3] == ["Title", "(title)", "tˈItᵊl"] and "pip" in out and "clean" not in out
    as_markdown = subprocess.run([sys.executable, "-m", "enunciate", "phonemize", "-f", "-"], input=doc.read_text(),
                                 capture_output=True, text=True, check=True).stdout
    assert "clean" in as_markdown  # read as Markdown, the directive's code is prose


def test_substitutions_read_their_replacement_and_badges_are_reported():
    text = ("|Badge| |CI|\n\nscikit-learn requires Python (>= |PythonMinVersion|) and |deps|.\n\n"
            ".. |Badge| image:: https://x.io/badge.svg\n.. |CI| image:: https://x.io/ci.svg\n"
            ".. |PythonMinVersion| replace:: 3.11\n.. |deps| replace:: NumPy 2.4\n")
    report = enunciate.phonemize(text, markup="rst")
    said = {w.text: w.spoken for w in report.words}
    assert said["|PythonMinVersion|"] == "version three point eleven" and said["|deps|"] == "NumPy two point four"
    assert [(s.text, s.reason) for s in report.skipped][:2] == [("|Badge|", "image not read aloud"),
                                                               ("|CI|", "image not read aloud")]
    words = [w.text for w in report.words]
    assert words[-2:] == ["and", "|deps|"]  # the full stop after |deps| is its own, not "and"'s
    tokens = [t for p in paragraphs(text, frontend(), markup="rst") for t in p.tokens]
    assert [t.punct for t in tokens if t.original == "|deps|"] == ["."]


def test_a_substitution_starting_a_line_is_not_a_table_row():
    text = "Plotting needs Seaborn >=\n|SeabornMinVersion| to run.\n\n.. |SeabornMinVersion| replace:: 0.13.0\n"
    (block,) = [b for b in blocks(text) if not b.skipped]
    assert block.kind == "paragraph" and [s for _, _, s in block.said_as] == ["version 0.13.0"]


def test_an_rst_page_is_spoken_with_its_words_timed(heart, tmp_path):
    """The real voice through the whole path: skipped code is silent, a substitution is heard
    where its reference stands, and every word keeps its span of the .rst source."""
    page = ("Install\n=======\n\nRun this::\n\n    pip install enunciate\n\n"
            "It needs Python |min|.\n\n.. |min| replace:: 3.11\n")
    speech = enunciate.speak(page, markup="rst", voice="heart")
    words = [(w.text, round(w.start_s, 2)) for w in speech.words]
    assert [t for t, _ in words] == ["Install", "Run", "this", "It", "needs", "Python", "|min|"]
    assert all(a[1] < b[1] for a, b in zip(words, words[1:]))  # in order, in time
    assert all(page[w.span[0]:w.span[1]] == w.text for w in speech.words)
    assert speech.duration_s > 2.0 and any("pip install" in s.text for s in speech.report.skipped)


def test_admonition_options_are_not_read():
    text = ".. warning::\n   :class: dropdown\n\n   Back up first.\n"
    assert _said(text) == [("paragraph", "warning, Back up first.")]


def test_a_docstring_reads_its_fields_and_cross_references():
    doc = ("Open the file (see <https://x.io/io>).\n\n:param path: where it is, or ``-1`` for `stdin <sys.stdin>`.\n"
           ":param nargs: ``nargs=-1`` takes all.\n:returns: the handle\n")
    assert _said(doc) == [("paragraph", "Open the file (see https://x.io/io)."),
                          ("paragraph", "param path, where it is, or -1 for stdin."),
                          ("paragraph", "param nargs, nargs=-1 takes all."),
                          ("paragraph", "returns, the handle")]
    said = " ".join(w.spoken for w in enunciate.phonemize(doc, markup="rst").words)
    assert "minus one for stdin" in said and "nargs equals minus one" in said


def test_a_version_note_is_its_own_phrase_before_its_text():
    text = ".. versionchanged:: 1.3\n   Delegates to the estimator.\n"
    assert _said(text) == [("paragraph", "versionchanged 1.3"), ("paragraph", "Delegates to the estimator.")]


def test_captions_show_the_page_as_rendered(tmp_path):
    page = tmp_path / "page.rst"
    page.write_text("Call :func:`~enunciate.speak` now.\n\n.. note:: Use |name| and **bold**.\n\n"
                    ".. |name| replace:: enunciate\n", encoding="utf-8")
    vtt = tmp_path / "page.vtt"
    proc = subprocess.run([sys.executable, "-m", "enunciate", "speak", "-f", str(page), "-o", str(tmp_path / "p.wav"),
                           "--captions", str(vtt)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    cues = [line for line in vtt.read_text(encoding="utf-8").splitlines() if line and "-->" not in line][1:]
    assert cues == ["Call speak now.", "note, Use enunciate and bold."]  # a substitution shows what it stands for


def test_the_example_guide_speaks_with_math_steps_and_notes(heart):
    page = (Path(__file__).parents[1] / "examples" / "api_guide.rst").read_text(encoding="utf-8")
    speech = enunciate.speak(page, markup="rst", voice="heart")
    said = " ".join(w.spoken for w in speech.words)
    assert "softmax Q K transposed over the square root of D sub K V" in said and "O of N squared" in said
    assert "one tokenize the text" in said.lower()
    (changed,) = [w for w in speech.words if w.text == "versionchanged"]
    assert changed.phonemes == "ʧˈAnʤd ɪn vˈɜɹʒən"  # "changed in version"
    assert [s.reason for s in speech.report.skipped] == ["code block not read aloud"]


TABLES = """+-------+------------------+
| key   | meaning          |
+=======+==================+
| voice | the voice, a     |
|       | name             |
+-------+------------------+

=====  ==========
col    value
=====  ==========
speed  0.5 to 2.0
       or so
=====  ==========

=====  =====
no     header
=====  =====

.. list-table:: Options
   :header-rows: 1

   * - name
     - kind
   * - seed
     - an ``int``,
       or none
"""


def _table_said(text: str) -> list[tuple[str, list[str]]]:
    return [(" ".join(b.text.split()), [w for _, _, w in b.said_as]) for b in blocks(text) if b.kind == "table_row"]


def test_tables_read_each_cell_after_its_column_name():
    assert _table_said(TABLES) == [
        ("key, meaning", []),                                      # a header row is read as it is
        ("voice the voice, a name", ["key:", "; meaning:"]),      # grid: a cell on two lines is one cell
        ("col, value", []),
        ("speed 0.5 to 2.0 or so", ["; value:"]),                 # simple: the first column names the row
        ("no, header", []),                                        # two borders: no header row
        ("name, kind", []),
        ("seed an int , or none", ["name:", "; kind:"]),          # list-table: the "-" marks carry the names
    ]
    for b in blocks(TABLES):
        assert len(b.text) == b.end - b.start
        for a, z, _ in b.said_as:
            assert TABLES[a:z] in ("|", " ", "-")


def test_table_rows_are_spoken_with_their_names():
    report = enunciate.phonemize(TABLES, markup="rst")
    spoken = " ".join(w.spoken for w in report.words)
    assert "key voice meaning the voice a name" in spoken
    assert "speed value zero point five to two point zero or so" in spoken
    assert "options name kind name seed kind an int or none" in spoken.lower()


def test_an_indented_shell_command_without_its_double_colon_is_code():
    text = ("The following command creates a job:\n\n    aws iot create-job \\\n        --job-id \"job-04\" \\\n"
            "        --target-selection CONTINUOUS\n\nFor more, see the guide.\n")
    report = enunciate.phonemize(text, markup="rst")
    assert "backslash" not in " ".join(w.spoken for w in report.words)
    assert [s.reason for s in report.skipped] == ["code block not read aloud"]
    quoted = "Said before:\n\n    A quoted line,\n    and another.\n"  # a block quote is still read
    assert "quoted" in " ".join(w.spoken for w in enunciate.phonemize(quoted, markup="rst").words)
