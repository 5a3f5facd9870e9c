"""Nothing heard changes unless a change means it to: the dev set's phonemes, word by word, as the
frontend gave them at commit fd3f932 (tests/data/dev_phonemes.tsv). A frontend change that moves
one of these readings must update the file in the same commit and say why."""
from __future__ import annotations

from pathlib import Path

from enunciate import phonemize
from enunciate.evaluate.terms import load_term_set

DATA = Path(__file__).parent / "data"


def test_dev_set_phonemes_are_held():
    held = {}
    for line in (DATA / "dev_phonemes.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, phonemes = line.split("\t")
            held[key] = phonemes
    from enunciate.evaluate.terms import DEV_SET

    items = load_term_set(DEV_SET)
    assert len(items) == len(held) == 82
    changed = []
    for item in items:
        now = " | ".join(w.phonemes for w in phonemize(item.text).words)
        if now != held[item.id]:
            changed.append(f"{item.id}: {item.text}\n  held: {held[item.id]}\n  now:  {now}")
    assert not changed, "dev-set readings changed:\n" + "\n".join(changed)
