"""Held-out speaker similarity of cloned voices, the way benchmarks/clone_study.py measures it.

Each voice reads the study's four held-out sentences (clone_study.HELD_OUT, which no fit says); each
rendering's GE2E embedding is compared with the reference speaker's rendering of the same sentence
(written by `python benchmarks/clone_study.py prepare`). Mean and 95% bootstrap interval per voice,
and each voice paired against the first.

    python benchmarks/clone_study.py prepare
    python benchmarks/clone_heldout.py joe kokoro-joe out/clone_polish/joe-mos0.3 --name clone_polish_heldout

Writes benchmarks/results/<name>.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
import time

import numpy as np

from clone_study import GOAL_SIMILARITY, HELD_OUT, RESULTS, SPEAKERS, WORK, _interval, say


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("speaker", choices=SPEAKERS, help="the reference speaker")
    parser.add_argument("voices", nargs="+", help="voices to measure (names or folders); the first is the baseline")
    parser.add_argument("--name", default="clone_heldout")
    args = parser.parse_args(argv)

    from enunciate.audio import read_audio
    from enunciate.evaluate.stats import bootstrap_ci
    from enunciate.hardware import cpu_info
    from enunciate.speakers.ge2e import embed_utterance

    t0 = time.perf_counter()
    files = [WORK / f"heldout-{args.speaker}-{i}.wav" for i in range(len(HELD_OUT))]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise SystemExit(f"missing {', '.join(missing)}: run python benchmarks/clone_study.py prepare first")
    reference = [embed_utterance(*read_audio(f)) for f in files]
    sims = {v: np.array([float(embed_utterance(*say(v, text)) @ r) for text, r in zip(HELD_OUT, reference)])
            for v in args.voices}
    base = sims[args.voices[0]]
    rows = []
    for voice, values in sims.items():
        low, high = bootstrap_ci(values - base) if voice != args.voices[0] else (0.0, 0.0)
        rows.append({"voice": voice, "similarity": _interval(values),
                     "vs_first": round(float((values - base).mean()), 4),
                     "vs_first_ci95": [round(low, 4), round(high, 4)],
                     "meets_goal": bool(values.mean() >= GOAL_SIMILARITY)})
    result = {"command": shlex.join(["python", *sys.argv]), "speaker": args.speaker, "sentences": list(HELD_OUT),
              "machine": cpu_info(), "seconds": round(time.perf_counter() - t0, 1), "rows": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(result, indent=1) + "\n")
    lines = [f"# Held-out GE2E similarity to {args.speaker}", "",
             f"`{result['command']}`: {len(HELD_OUT)} held-out sentences, each voice's rendering against "
             f"{args.speaker}'s; mean and 95% bootstrap interval; the goal is {GOAL_SIMILARITY}.", "",
             f"| voice | similarity | vs {args.voices[0]} (paired) |", "|---|---|---|"]
    for r in rows:
        s = r["similarity"]
        lines.append(f"| {r['voice']} | {s['mean']:.3f} [{s['ci95'][0]:.3f}, {s['ci95'][1]:.3f}] | "
                     f"{r['vs_first']:+.3f} [{r['vs_first_ci95'][0]:+.3f}, {r['vs_first_ci95'][1]:+.3f}] |")
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
