"""Where the frontend's readings come from, over real documentation on disk: the share of words read
from the technical lexicon, the general lexicons, split into known parts (`compound`), spelled, or
left to espeak-ng's guess. Not an accuracy measure (a split can be wrong and a guess right); it shows
how much of real text enunciate reads from knowledge rather than guesses, and which guessed words
are the most common (candidates for the lexicon).

    python benchmarks/reading_sources.py --glob '/usr/share/doc/nodejs/api/*.md' \\
        --glob '/usr/share/cmake-*/Help/**/*.rst' --limit 600

Compare two versions of the frontend side by side (the older from a git worktree):

    PYTHONPATH=/tmp/old/src python benchmarks/reading_sources.py ... --out /tmp/old.json

Prints a table and writes benchmarks/results/reading_sources.json (or --out).
"""
from __future__ import annotations

import argparse
import collections
import glob
import json
import random
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
MARKUPS = {".md": "markdown", ".rst": "rst", ".html": "html", ".adoc": "asciidoc", ".ipynb": "notebook"}


def documents(globs: list[str], limit: int) -> list[str]:
    """The documents the globs match (known markups only), at most `limit`, drawn with a fixed seed."""
    files = sorted({f for g in globs for f in glob.glob(g, recursive=True) if Path(f).suffix in MARKUPS})
    random.Random(0).shuffle(files)
    return sorted(files[:limit])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--glob", action="append", required=True, help="documents to read (repeatable; ** recurses)")
    ap.add_argument("--limit", type=int, default=600, help="at most this many documents, drawn with a fixed seed")
    ap.add_argument("--top", type=int, default=25, help="how many of the most common guessed words to list")
    ap.add_argument("--out", default=str(RESULTS / "reading_sources.json"))
    args = ap.parse_args()

    import enunciate
    from tqdm import tqdm

    files = documents(args.glob, args.limit)
    sources: collections.Counter = collections.Counter()
    guessed: collections.Counter = collections.Counter()  # in how many documents each guessed word occurs
    read, start = 0, time.perf_counter()
    for f in tqdm(files, desc="documents", unit="doc", file=sys.stderr):
        try:
            text = Path(f).read_text(encoding="utf-8")
            report = enunciate.phonemize(text, markup=MARKUPS[Path(f).suffix])
        except (UnicodeDecodeError, enunciate.EnunciateError):
            continue
        read += 1
        sources.update(w.source for w in report.words)
        guessed.update({w.text.lower() for w in report.words if w.source == "espeak"})
    total = sum(sources.values())
    share = {s: round(100 * n / total, 2) for s, n in sources.most_common()}
    result = {"enunciate": str(Path(enunciate.__file__).parent), "documents": read, "words": total,
              "seconds": round(time.perf_counter() - start, 1), "percent_by_source": share,
              "most_common_guesses": guessed.most_common(args.top), "globs": args.glob, "limit": args.limit}
    print(f"{read} documents, {total:,} words, read by {result['enunciate']}")
    print("| source | share of words |\n|---|---|")
    for s, pct in share.items():
        print(f"| {s} | {pct:.2f}% |")
    print("most common guesses (documents):", ", ".join(f"{w} ({n})" for w, n in guessed.most_common(args.top)))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
