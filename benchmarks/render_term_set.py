"""Speak every sentence of a term set into a folder, one WAV per id, for `enunciate eval` (a folder
is an engine) — e.g. to compare two versions of the frontend on the same voice:

    python benchmarks/render_term_set.py --terms tests/data/release_notes.tsv --out /tmp/new
    git worktree add /tmp/old <commit>
    PYTHONPATH=/tmp/old/src python benchmarks/render_term_set.py --terms tests/data/release_notes.tsv --out /tmp/was
    enunciate eval --compare /tmp/new /tmp/was --terms tests/data/release_notes.tsv --asr base
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--terms", required=True, help="term-set TSV (id, text, terms)")
    ap.add_argument("--out", required=True, help="folder for <id>.wav")
    ap.add_argument("--voice", default="heart")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    import enunciate
    from enunciate.evaluate.terms import load_term_set

    print(f"enunciate from {Path(enunciate.__file__).parent}", file=sys.stderr)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for item in load_term_set(args.terms):
        enunciate.speak_to_file(item.text, out / f"{item.id}.wav", voice=args.voice, threads=args.threads)
    print(f"{out}: {len(list(out.glob('*.wav')))} files", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
