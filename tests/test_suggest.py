"""`enunciate lexicon suggest`: the words of a user's documents that would be guessed or spelled,
found by the real frontend in small files written here."""
from __future__ import annotations

import json

import pytest

from enunciate.cli import main
from enunciate.text.suggest import suggest

DOC = """# Release notes

The flurbix daemon now talks to QQRT. Restart flurbix after the upgrade.

Run `flurbix --check` on CUDA hosts; see the GPU guide and the XYZs.
"""


@pytest.fixture
def docs(tmp_path):
    md = tmp_path / "notes.md"
    md.write_text(DOC, encoding="utf-8")
    txt = tmp_path / "more.txt"
    txt.write_text("The frobnicator feeds flurbix.\n", encoding="utf-8")
    return md, txt


def test_guessed_and_spelled_words_most_frequent_first(docs):
    md, txt = docs
    found = suggest([md, txt])
    words = [s.word for s in found]
    assert words[0] == "flurbix" and found[0].count == 4 and found[0].kind == "guessed"
    assert found[0].source == "espeak" and found[0].phonemes and found[0].first_seen == f"{md}:3:5"
    spelled = {s.word: s for s in found if s.kind == "spelled"}
    assert set(spelled) == {"QQRT", "XYZ"}  # unknown acronyms; "XYZs" counts as XYZ
    assert spelled["QQRT"].spoken == "Q Q R T" and spelled["QQRT"].source == "letters"
    assert "frobnicator" in words
    assert not {"CUDA", "GPU", "daemon", "upgrade", "release"} & set(words)  # lexicon words are not listed


def test_a_user_lexicon_entry_removes_the_word(docs, tmp_path):
    md, _ = docs
    lexicon = tmp_path / "mine.tsv"
    lexicon.write_text("flurbix\tflˈɜɹbɪks\nQQRT\tkjˈuɑɹt\n", encoding="utf-8")
    assert [s.word for s in suggest([md], lexicons=[lexicon])] == ["XYZ"]


def test_cli_lists_prints_json_and_strict_fails(docs, capsys):
    md, txt = docs
    assert main(["lexicon", "suggest", str(md), str(txt)]) == 0
    out = capsys.readouterr().out
    assert "flurbix" in out and "guessed" in out and "Q Q R T" in out
    assert out.index("flurbix") < out.index("frobnicator")

    assert main(["lexicon", "suggest", "--json", str(txt)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["word"] for r in rows} == {"flurbix", "frobnicator"}
    assert set(rows[0]) == {"word", "count", "kind", "spoken", "phonemes", "source", "first_seen"}

    assert main(["lexicon", "suggest", "--strict", str(txt)]) == 2
    assert "--strict: 2 word(s)" in capsys.readouterr().err


def test_strict_passes_when_every_word_is_known(tmp_path, capsys):
    plain = tmp_path / "ok.md"
    plain.write_text("Install CUDA and run the tests on the GPU.\n", encoding="utf-8")
    assert main(["lexicon", "suggest", "--strict", str(plain)]) == 0
    assert "nothing to suggest" in capsys.readouterr().out


def test_unreadable_file_is_one_clear_error(tmp_path, capsys):
    assert main(["lexicon", "suggest", str(tmp_path / "missing.md")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_help(capsys):
    with pytest.raises(SystemExit) as done:
        main(["lexicon", "suggest", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "--strict" in out and "--json" in out and "--lexicon" in out and "guess" in out
