"""Everyday text around technical words: how the frontend reads dates, times, measures, money,
addresses, ordinals, fractions, Roman numerals, ranges and abbreviations (issue 28).

The suite (tests/data/everyday_norm.tsv) is written in the style of NeMo text-processing's English
TN test cases. Each case is run through the real frontend (`enunciate.phonemize`, plain text, the
default lexicons) and its spoken words, lower-cased and stripped of punctuation, are compared with
the expected reading: **right**, a **different but correct style** (one of the row's style_ok
readings), or **wrong** (what a listener would hear wrong). The suite's rows are split once by a
fixed rule into a tuning half and a held-out half that nobody tunes to; both are reported.

    python benchmarks/everyday_norm.py --label before   # at the code before a change
    python benchmarks/everyday_norm.py --label after    # after it: the table shows both

Results go to benchmarks/results/everyday_norm.{json,md}; a run replaces its own label's figures
and keeps the others.
"""
from __future__ import annotations

import argparse
import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "tests" / "data" / "everyday_norm.tsv"
VERDICTS = ("right", "style", "wrong")
SPLITS = ("tune", "heldout", "fresh")


@dataclass(frozen=True)
class Case:
    input: str
    expected: str
    kind: str
    style_ok: tuple[str, ...]
    split: str


@dataclass
class Outcome:
    input: str
    kind: str
    split: str
    spoken: str
    expected: str
    verdict: str


def load_suite(path: Path = SUITE) -> list[Case]:
    """The suite's rows (comment lines start with "#"; the first other line is the header)."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    cases = []
    for line in lines[1:]:
        text, expected, kind, style_ok, split = line.split("\t")
        alternatives = tuple(a.strip() for a in style_ok.split(" | ") if a.strip())
        cases.append(Case(text, expected, kind, alternatives, split))
    return cases


def canonical(words: str) -> str:
    """Lower case, words only: "A M" and "a.m." compare equal; "o'clock" keeps its apostrophe."""
    return " ".join(re.sub(r"[^a-z0-9']+", " ", words.lower()).split())


def spoken_words(text: str) -> str:
    """What the frontend says for `text`: every word's spoken form, in order; a word the G2P says
    letter by letter ("abc" from the gold lexicon, /ˌAbˌisˈi/) is written as its letters ("a b c"),
    so it compares equal to an expected spelling, and "am" said /æm/ does not pass for "a m"."""
    from enunciate import phonemize
    from enunciate.text.g2p import spell

    def bare(phonemes: str) -> str:
        return re.sub(r"[ˈˌ ]", "", phonemes)

    said = []
    for w in phonemize(text, markup="plain").words:
        words, sounds = w.spoken.split(), w.phonemes.split()
        for k, word in enumerate(words):
            spelled = (len(words) == len(sounds) and len(word) > 1 and word.isalpha() and word.isascii()
                       and bare(sounds[k]) == bare(spell(word)))
            said.append(" ".join(word) if spelled else word)
    return " ".join(said)


def judge(case: Case, spoken: str) -> str:
    said = canonical(spoken)
    if said == canonical(case.expected):
        return "right"
    return "style" if said in {canonical(a) for a in case.style_ok} else "wrong"


def run(cases: list[Case]) -> list[Outcome]:
    outcomes = []
    for case in cases:
        spoken = spoken_words(case.input)
        outcomes.append(Outcome(case.input, case.kind, case.split, canonical(spoken), case.expected,
                                judge(case, spoken)))
    return outcomes


def summarize(outcomes: list[Outcome]) -> dict:
    """{split: {kind: {right, style, wrong}}}, with an "all" kind per split."""
    table: dict[str, dict[str, dict[str, int]]] = {}
    for o in outcomes:
        for kind in (o.kind, "all"):
            counts = table.setdefault(o.split, {}).setdefault(kind, dict.fromkeys(VERDICTS, 0))
            counts[o.verdict] += 1
    return table


def markdown(results: dict) -> str:
    """One table per split: per kind, right / style / wrong for every label (before, after)."""
    labels = [label for label in ("before", "after") if label in results] + \
        sorted(label for label in results if label not in ("before", "after"))
    lines = ["# Everyday text around technical words (outside-suite check, issue 28)", "",
             "Cases in the style of NeMo text-processing's English TN tests (tests/data/everyday_norm.tsv), read "
             "by the real frontend. Per kind: right / different but correct style / wrong (a listener hears it "
             "wrong). heldout: every third row, fixed before any fix and never tuned to (its misses were seen in "
             "the first run's list); fresh: rows written after the fixes and scored once. "
             "Command: `python benchmarks/everyday_norm.py --label after`.", ""]
    for split in SPLITS:
        kinds = sorted({k for label in labels for k in results[label]["summary"].get(split, {}) if k != "all"})
        header = " | ".join(f"{label} (right/style/wrong)" for label in labels)
        lines += [f"## {split}", "", f"| kind | {header} |", "|---|" + "---|" * len(labels)]
        for kind in [*kinds, "all"]:
            cells = []
            for label in labels:
                c = results[label]["summary"].get(split, {}).get(kind)
                cells.append(f"{c['right']} / {c['style']} / {c['wrong']}" if c else "")
            name = f"**{kind}**" if kind == "all" else kind
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    last = labels[-1] if labels else None
    if last:
        for verdict, title in (("wrong", "Still wrong"), ("style", "Different but correct style")):
            rows = [o for o in results[last]["cases"] if o["verdict"] == verdict]
            lines += [f"## {title} ({last}: {len(rows)})", "", "| split | kind | input | said | expected |",
                      "|---|---|---|---|---|"]
            lines += [f"| {o['split']} | {o['kind']} | `{o['input']}` | {o['spoken']} | {o['expected']} |"
                      for o in rows]
            lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--label", default="after", help="name of this run in the results (before, after)")
    ap.add_argument("--suite", type=Path, default=SUITE)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "everyday_norm.json",
                    help="results JSON (a Markdown table is written beside it)")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    outcomes = run(load_suite(args.suite))
    results = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
    results[args.label] = {"summary": summarize(outcomes), "cases": [asdict(o) for o in outcomes],
                           "seconds": round(time.perf_counter() - start, 1)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    table = markdown(results)
    args.out.with_suffix(".md").write_text(table + "\n", encoding="utf-8")
    print(table.split("## Still wrong")[0].rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
