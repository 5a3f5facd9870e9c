"""Flapped or clear t in technical words: is a technical-lexicon term heard better when its flap
(ɾ, the "d"-like t of American "water") is said as a clear t, and does predicted quality drop?

Every default row of the technical lexicon whose reading has a flap is said by heart in two carrier
sentences, once as the lexicon has it and once with each ɾ replaced by t (through inline phoneme
overrides, so nothing else changes); Whisper base transcribes each clip and DistillMOS scores it.
A term is heard when its normalized form (enunciate.evaluate.textnorm, spaces removed) is in the
normalized transcript. Paired bootstrap over the term-carrier pairs (enunciate.evaluate.compare).
The number words (thirty, forty, ...) already use a clear t for the same reason; this asks the
question for the other technical words.

    .venv/bin/python benchmarks/clear_t.py

Writes benchmarks/results/clear_t.json and clear_t.md. With `--general N`, the same test for the N
words of the general lexicon (misaki's us_gold) with a flap that are most frequent in the docstrings
of Python's standard library (`--corpus`, a technical text no term set draws from) and that no
technical-lexicon row has; writes clear_t_general.json and .md:

    .venv/bin/python benchmarks/clear_t.py --general 40 --corpus /usr/lib/python3.11
"""
from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
CARRIERS = ("The next word is {}.", "We rely on {} every day.")


def candidates() -> list[tuple[str, str]]:
    from enunciate.text.lexicon import tech_lexicon

    return [(e.term, e.phonemes) for e in tech_lexicon() if e.is_default and "ɾ" in e.phonemes]


def general_candidates(corpus: Path, n: int) -> list[tuple[str, str]]:
    """The `n` general-lexicon words with a flap that are most frequent in the docstrings under `corpus`."""
    import ast
    import collections

    from enunciate.text.g2p import _entry, general_lexicon
    from enunciate.text.lexicon import tech_lexicon

    gold, _ = general_lexicon()
    tech = {e.term.lower() for e in tech_lexicon()}
    counts: collections.Counter = collections.Counter()
    for path in sorted(corpus.rglob("*.py")):
        if "test" in path.as_posix() or "site-packages" in path.parts or "dist-packages" in path.parts:
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                counts.update(w.lower() for w in re.findall(r"\b[A-Za-z]{3,}\b", ast.get_docstring(node) or ""))
    out = []
    for word, _count in counts.most_common():
        phonemes = _entry(gold.get(word))
        if phonemes and "ɾ" in phonemes and word not in tech:
            out.append((word, phonemes))
            if len(out) == n:
                break
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, help="only the first N terms (a smoke run)")
    ap.add_argument("--general", type=int, help="measure the N most frequent general words with a flap instead")
    ap.add_argument("--corpus", default="/usr/lib/python3.11", help="with --general: where to count words")
    ap.add_argument("--skip", type=int, default=0, help="with --general: leave out the N most frequent first")
    args = ap.parse_args()

    import enunciate
    from tqdm import tqdm

    from enunciate.evaluate.asr import transcribe
    from enunciate.evaluate.compare import paired_bootstrap_diff
    from enunciate.evaluate.mos import distillmos_score
    from enunciate.evaluate.textnorm import normalize_transcript

    voice = enunciate.load_voice("heart", args.threads)
    found = (general_candidates(Path(args.corpus), args.skip + args.general)[args.skip:] if args.general
             else candidates())
    terms = found[:args.limit] if args.limit else found
    out_name = ("clear_t_general" + (f"_from{args.skip + 1}" if args.skip else "")) if args.general else "clear_t"
    rows = []
    for term, phonemes in tqdm(terms, desc="terms", unit="term", file=sys.stderr):
        want = re.sub(r"\s", "", normalize_transcript(term))
        for carrier in CARRIERS:
            row = {"term": term, "carrier": carrier}
            for name, reading in (("flapped", phonemes), ("clear", phonemes.replace("ɾ", "t"))):
                text = carrier.format(f"[{term}](kokoro:{reading})")
                speech = enunciate.speak(text, voice=voice)
                heard = transcribe(speech.audio, speech.sample_rate, "base", args.threads)
                row[name] = {"reading": reading, "heard": heard.strip(),
                             "hit": want in re.sub(r"\s", "", normalize_transcript(heard)),
                             "distillmos": distillmos_score(speech.audio, speech.sample_rate, args.threads)}
            rows.append(row)
    result = {"command": ".venv/bin/python benchmarks/clear_t.py" + (f" --limit {args.limit}" if args.limit else "")
              + (f" --general {args.general} --corpus {args.corpus}" if args.general else "")
              + (f" --skip {args.skip}" if args.skip else ""),
              "what": "general-lexicon words" if args.general else "technical-lexicon terms",
              "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "terms": len(terms), "pairs": len(rows), "rows": rows}
    for metric in ("hit", "distillmos"):
        clear = [float(r["clear"][metric]) for r in rows]
        flapped = [float(r["flapped"][metric]) for r in rows]
        diff, low, high = paired_bootstrap_diff(clear, flapped)
        result[metric] = {"clear": sum(clear) / len(clear), "flapped": sum(flapped) / len(flapped),
                          "diff": diff, "ci95": (low, high)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{out_name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    (RESULTS / f"{out_name}.md").write_text(markdown(result) + "\n", "utf-8")
    print(markdown(result))
    return 0


def markdown(r: dict) -> str:
    h, m = r["hit"], r["distillmos"]
    lines = [f"# Flapped or clear t in technical words ({r['created'][:10]})", "", "```", r["command"], "```", "",
             f"{r['terms']} {r.get('what', 'technical-lexicon terms')} whose reading has a flap, each in "
             f"{len(CARRIERS)} carrier "
             f"sentences ({r['pairs']} pairs), said by heart as the lexicon has it and with a clear t; Whisper base, "
             "DistillMOS on the speech region; paired bootstrap 95% intervals (clear - flapped).", "",
             "| measure | flapped | clear t | clear - flapped [95% CI] |", "|---|---|---|---|",
             f"| term heard | {100 * h['flapped']:.1f}% | {100 * h['clear']:.1f}% | {100 * h['diff']:+.1f} "
             f"[{100 * h['ci95'][0]:+.1f}, {100 * h['ci95'][1]:+.1f}] |",
             f"| DistillMOS | {m['flapped']:.3f} | {m['clear']:.3f} | {m['diff']:+.3f} "
             f"[{m['ci95'][0]:+.3f}, {m['ci95'][1]:+.3f}] |", "",
             "Where the two differ in what was heard:", "", "| term | carrier | flapped heard | clear heard |",
             "|---|---|---|---|"]
    for row in r["rows"]:
        if row["flapped"]["hit"] != row["clear"]["hit"]:
            lines.append(f"| {row['term']} | {row['carrier']} | {row['flapped']['heard']} | {row['clear']['heard']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
