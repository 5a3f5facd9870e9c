"""How well respellings carry enunciate's readings to a voice that reads letters (SpeechT5).

Each term of the technical lexicon is written two ways, as written and respelled from its
phonemes (enunciate.text.respell), and read back by espeak-ng, a letter-to-sound reader standing in
for a voice that learned English spelling. Reported: the share of terms read back exactly as the
lexicon says (stress and near-identical vowels aside) and the phoneme error rate. espeak-ng is a
proxy, and a generous one for the spellings (its own dictionary knows some terms, "nginx" among
them, that a voice trained on books would not): how a SpeechT5 checkpoint reads them is not
measured here (none can be downloaded offline).

    python benchmarks/respell_roundtrip.py [--out benchmarks/results]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from enunciate.text.espeak import phonemize_ipa
from enunciate.text.lexicon import tech_lexicon
from enunciate.text.phonesets import espeak_to_kokoro
from enunciate.text.respell import edit_distance, respell, sounds


def terms() -> list[tuple[str, str]]:
    """(term, phonemes) for every default reading of the technical lexicon (no context rows)."""
    return [(e.term, e.phonemes) for e in tech_lexicon() if not e.prev and not e.next]


def measure(rows: list[tuple[str, str]]) -> dict:
    forms = {"as written": lambda t, p: t, "respelled": lambda t, p: respell(p)}
    out = {}
    for name, form in forms.items():
        errors = length = exact = 0
        misses = []
        for term, phonemes in rows:
            text = form(term, phonemes)
            got, want = sounds(espeak_to_kokoro(phonemize_ipa(text))), sounds(phonemes)
            e = edit_distance(got, want)
            errors, length, exact = errors + e, length + len(want), exact + (e == 0)
            if e > 1:
                misses.append({"term": term, "written": text, "distance": e})
        out[name] = {"exact": exact / len(rows), "per": errors / length, "terms": len(rows),
                     "worst": sorted(misses, key=lambda m: -m["distance"])[:10]}
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = ap.parse_args(argv)
    start = time.perf_counter()
    result = measure(terms())
    lines = ["| written | read back exactly | phoneme error rate |", "|---|---|---|"]
    lines += [f"| {name} | {r['exact']:.1%} | {r['per']:.3f} |" for name, r in result.items()]
    table = "\n".join(lines)
    print(table)
    n = result["respelled"]["terms"]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "respell_roundtrip.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    (args.out / "respell_roundtrip.md").write_text(
        f"# Respellings read back by espeak-ng ({n} terms of the technical lexicon)\n\n{table}\n\n"
        "espeak-ng stands in for a voice that reads letters; a SpeechT5 checkpoint was not measured.\n"
        f"Command: `python benchmarks/respell_roundtrip.py` ({time.perf_counter() - start:.0f} s).\n")


if __name__ == "__main__":
    main()
