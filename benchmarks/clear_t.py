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

Writes benchmarks/results/clear_t.json and clear_t.md.
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, help="only the first N terms (a smoke run)")
    args = ap.parse_args()

    import enunciate
    from tqdm import tqdm

    from enunciate.evaluate.asr import transcribe
    from enunciate.evaluate.compare import paired_bootstrap_diff
    from enunciate.evaluate.mos import distillmos_score
    from enunciate.evaluate.textnorm import normalize_transcript

    voice = enunciate.load_voice("heart", args.threads)
    terms = candidates()[:args.limit] if args.limit else candidates()
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
    result = {"command": ".venv/bin/python benchmarks/clear_t.py" + (f" --limit {args.limit}" if args.limit else ""),
              "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "terms": len(terms), "pairs": len(rows), "rows": rows}
    for metric in ("hit", "distillmos"):
        clear = [float(r["clear"][metric]) for r in rows]
        flapped = [float(r["flapped"][metric]) for r in rows]
        diff, low, high = paired_bootstrap_diff(clear, flapped)
        result[metric] = {"clear": sum(clear) / len(clear), "flapped": sum(flapped) / len(flapped),
                          "diff": diff, "ci95": (low, high)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "clear_t.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    (RESULTS / "clear_t.md").write_text(markdown(result) + "\n", "utf-8")
    print(markdown(result))
    return 0


def markdown(r: dict) -> str:
    h, m = r["hit"], r["distillmos"]
    lines = [f"# Flapped or clear t in technical words ({r['created'][:10]})", "", "```", r["command"], "```", "",
             f"{r['terms']} technical-lexicon terms whose reading has a flap, each in {len(CARRIERS)} carrier "
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
