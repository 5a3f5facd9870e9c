"""Spelled or said: acronyms no lexicon knows, by the rule derived from the known ones
(enunciate.text.acronyms; its error on held-out known acronyms: benchmarks/acronym_rule.py)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import enunciate
from enunciate.text.acronyms import RULE, said_as_word, shape

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("acronym, said", [
    ("LUN", True), ("NUL", True), ("MIPS", True), ("SPARC", True), ("FOSS", True), ("PASETO", True),
    ("XSS", False), ("MSVC", False), ("API", False), ("CLI", False), ("IAM", False), ("FAQ", False),
    ("RTEMS", False), ("UPGMA", False), ("UPGMC", False), ("ECDSA", False), ("GPIOA", False),
])
def test_said_when_it_reads_as_an_english_word(acronym, said):
    assert said_as_word(acronym) is said


def test_shape_of_a_word():
    s = shape("SPARQL")
    assert (s.vowels, s.syllables, s.onset_ok, s.coda_ok, s.first_break_ok) == (1, 1, True, False, False)
    assert shape("GYM").vowels == 1 and shape("YAML").onset_ok  # Y: a vowel between consonants, else not
    assert shape("XYZ").onset_ok is False


@pytest.mark.parametrize("text, spoken", [
    ("a LUN on the array", "a lun on the array"),
    ("the BPF maps", "the B P F maps"),
    ("the RTEMS port", "the R T E M S port"),
    ("the NAT gateway", "the NAT gateway"),        # known to the lexicon: its own reading
    ("set OMP_NUM_THREADS", "set O M P num threads"),
])
def test_the_frontend_applies_the_rule_only_where_no_lexicon_knows_the_word(text, spoken):
    assert " ".join(w.spoken for w in enunciate.phonemize(text).words) == spoken


def test_the_documented_error_rate_is_what_the_rule_gives():
    spec = importlib.util.spec_from_file_location("acronym_rule", ROOT / "benchmarks" / "acronym_rule.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = [r for r in bench.known_acronyms() if r["label"] != "mixed" and not (r["is_word"] and len(r["term"]) >= 3)]
    held = [r for r in rows if r["held_out"] and r["lexicon"] == "tech"]
    errors = sum(bench.errors(RULE, held))
    docs = (ROOT / "docs" / "pronunciation.md").read_text(encoding="utf-8")
    assert f"{errors} of {len(held)}" in docs


@pytest.mark.parametrize("text, spoken", [
    ("It returns EINVAL.", "it returns E inval"),
    ("It fails with ENOENT.", "it fails with E no ent"),
    ("Retry on EAGAIN.", "retry on E again"),
    ("The call gives ECONNREFUSED.", "the call gives E conn refused"),
    ("Then ENOTTY.", "then E no T T Y"),         # the cut that spells fewest letters: no + TTY
    ("Send SIGSEGV.", "send sig seg V"),
    ("Send SIGUSR1.", "send sig user one"),
    ("Open with O_RDONLY.", "open with O read only"),
    ("Open with O_CLOEXEC.", "open with O close exec"),
    ("Both EIO and EROFS.", "both E I O and E R O F S"),  # stems no one says as words are spelled
])
def test_errno_signal_and_flag_names_are_read_as_engineers_say_them(text, spoken):
    assert " ".join(w.spoken for w in enunciate.phonemize(text).words) == spoken


def test_only_the_names_linux_defines_are_read_so():
    import errno
    import os
    import signal
    import sys

    from enunciate.text.sysnames import ERRNO_NAMES, OPEN_FLAGS, SIGNAL_NAMES, system_name

    if sys.platform == "linux":  # the lists are Linux's, as Python's modules give them there
        assert set(errno.errorcode.values()) <= ERRNO_NAMES
        assert {s.name for s in signal.Signals} <= SIGNAL_NAMES
        assert {n for n in dir(os) if n.startswith("O_")} <= OPEN_FLAGS
    assert system_name("ENOENT") == "E no ent" and system_name("EXAMPLE") is None
    assert " ".join(w.spoken for w in enunciate.phonemize("An EXTRA ELEMENT").words) == "an extra element"
