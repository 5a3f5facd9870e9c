"""What a change to the frontend changes in real documents: every document is read by two versions
of enunciate and the spoken words are compared, so a fix shows what else it touched.

    python benchmarks/reading_diff.py --dump /tmp/new.json --glob '/usr/share/doc/nodejs/api/*.md' --limit 400
    git worktree add /tmp/old <commit>
    PYTHONPATH=/tmp/old/src python benchmarks/reading_diff.py --dump /tmp/old.json --glob ... --limit 400
    python benchmarks/reading_diff.py --compare /tmp/old.json /tmp/new.json

--compare prints each changed stretch of words (before -> after, with the words around it), most
common first, and writes benchmarks/results/reading_diff.json (or --out).
"""
from __future__ import annotations

import argparse
import collections
import difflib
import json
import sys
from pathlib import Path

from reading_sources import MARKUPS, RESULTS, documents


def dump(files: list[str]) -> dict:
    """Each document's spoken words in order (or the error that stopped it)."""
    import enunciate
    from tqdm import tqdm

    out = {}
    for f in tqdm(files, desc="documents", unit="doc", file=sys.stderr):
        try:
            report = enunciate.phonemize(Path(f).read_text(encoding="utf-8"), markup=MARKUPS[Path(f).suffix])
        except (UnicodeDecodeError, enunciate.EnunciateError) as e:
            out[f] = {"error": repr(e)}
            continue
        out[f] = {"words": " ".join(w.spoken for w in sorted(report.words, key=lambda w: w.span)).split()}
    return {"enunciate": str(Path(enunciate.__file__).parent), "documents": out}


def compare(old: dict, new: dict, context: int = 3) -> list[dict]:
    """Changed stretches of words, counted over all documents, most common first."""
    counts: collections.Counter = collections.Counter()
    example: dict[tuple[str, str], dict] = {}
    for f, doc in new["documents"].items():
        before = old["documents"].get(f, {})
        if "words" not in doc or "words" not in before:
            continue
        a, b = before["words"], doc["words"]
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
            if op == "equal":
                continue
            change = (" ".join(a[i1:i2]), " ".join(b[j1:j2]))
            counts[change] += 1
            example.setdefault(change, {"document": f, "before": " ".join(a[max(0, i1 - context):i2 + context]),
                                        "after": " ".join(b[max(0, j1 - context):j2 + context])})
    return [{"was": was, "now": now, "count": n, **example[was, now]} for (was, now), n in counts.most_common()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dump", metavar="JSON", help="read the documents and write their spoken words here")
    ap.add_argument("--glob", action="append", default=[], help="documents to read (repeatable; ** recurses)")
    ap.add_argument("--limit", type=int, default=400, help="at most this many documents, drawn with a fixed seed")
    ap.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), help="two dumps to compare")
    ap.add_argument("--out", default=str(RESULTS / "reading_diff.json"))
    args = ap.parse_args()
    if args.dump:
        if not args.glob:
            ap.error("--dump needs --glob")
        Path(args.dump).write_text(json.dumps(dump(documents(args.glob, args.limit)), ensure_ascii=False))
        print(f"wrote {args.dump}", file=sys.stderr)
        return 0
    if not args.compare:
        ap.error("give --dump or --compare")
    old, new = (json.loads(Path(p).read_text(encoding="utf-8")) for p in args.compare)
    changes = compare(old, new)
    print(f"{sum(c['count'] for c in changes)} changed stretches, {len(changes)} distinct "
          f"({old['enunciate']} -> {new['enunciate']})")
    for c in changes:
        print(f"{c['count']:5d}  [{c['was']}] -> [{c['now']}]    {c['before']!r} => {c['after']!r}")
    Path(args.out).write_text(json.dumps({"old": old["enunciate"], "new": new["enunciate"], "changes": changes},
                                         indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
