"""Cloned voices against issue 25's goals: held-out speaker similarity as benchmarks/clone_study.py
measures it, and WER and DistillMOS from an `enunciate eval` run against the best pack.

Each voice reads the study's four held-out sentences (clone_study.HELD_OUT, which no fit says); each
rendering's GE2E embedding is compared with the reference speaker's rendering of the same sentence
(written by `python benchmarks/clone_study.py prepare`). Mean and 95% bootstrap interval per voice,
and each voice paired against the first. With `--eval FILE` (an `enunciate eval --voices ...
--against PACK --mos --json FILE` of the same voices), each voice's WER, DistillMOS and DNSMOS OVRL
are paired by sentence against PACK's, and the goals checked: similarity >= 0.85, WER within +0.03
and DistillMOS within 0.1 of the pack's.

    python benchmarks/clone_study.py prepare
    enunciate eval --voices kokoro-jm_kumo,kokoro-joe,out/clone_polish/joe-mos0.3 --against kokoro-jm_kumo \
        --mos --asr base --terms benchmarks/data/dev31_60.tsv --json benchmarks/results/clone_polish_dev31-60.json
    python benchmarks/clone_heldout.py joe kokoro-joe out/clone_polish/joe-mos0.3 \
        --eval benchmarks/results/clone_polish_dev31-60.json --name clone_polish_joe

`--set fresh` measures similarity on eight other sentences instead (FRESH: prose, none in the
reference paragraph, the fit, guard or dev sentences, and none that any fit or choice of a voice was
judged on before they were added; the reference speaker's renderings of them are written to
out/clone_study/fresh-SPEAKER-N.wav on first use); `--set both` on all twelve. `--set confirm` on eight
more (CONFIRM), kept for confirming what was chosen on the twelve; `--set twenty` on all three, and
`--set confirm2` on eight more again (CONFIRM2), for confirming what is chosen on the twenty;
`--set twentyeight` and `--set confirm3` (CONFIRM3) the same, one step on.

Writes benchmarks/results/<name>.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
import time

import numpy as np

from clone_study import (GOAL_SIMILARITY, HELD_OUT, MOS_MARGIN, RESULTS, SPEAKERS, WER_MARGIN, WORK, _interval, say,
                         ship_voice)

FRESH = (
    "The ferry left the island an hour late because of the fog.",
    "My uncle repaired old radios in a shed at the bottom of his garden.",
    "They walked along the river until the path disappeared into the reeds.",
    "The baker opened early on Sundays and sold out of bread by noon.",
    "A single candle lit the kitchen while the storm knocked out the power.",
    "We painted the fence twice, and it still looked grey in the morning light.",
    "The old dog slept by the door, waiting for footsteps on the gravel.",
    "Her letter arrived three weeks after she had already come home.",
)
# Eight more, added before any voice was measured on them, for confirming a choice made on the twelve
# above (HELD_OUT and FRESH): nothing may be chosen by looking at these.
CONFIRM = (
    "The fishermen mended their nets on the harbour wall every evening.",
    "He forgot his umbrella on the bus and walked home in the rain.",
    "A flock of geese crossed the valley just before the first snow fell.",
    "The museum closed its doors at five, but the cafe stayed open late.",
    "Our neighbour grows tomatoes and gives half of them away each summer.",
    "The teacher read the last chapter aloud while the class sat very still.",
    "Two boats drifted slowly past the lighthouse as the tide went out.",
    "She kept every postcard her brother sent from his travels abroad.",
)
# And eight more, added once CONFIRM had judged a choice (and so could no longer be kept out of the next):
# for confirming what is chosen on all twenty above.
CONFIRM2 = (
    "The farmer counted his sheep twice before he closed the gate for the night.",
    "We missed the last bus and shared a taxi with two students from Lyon.",
    "The orchestra tuned their instruments while the audience found their seats.",
    "A small boy in a red coat was feeding the ducks beside the pond.",
    "The bridge was closed for repairs, so we took the long road around the lake.",
    "Grandfather wound the clock every Sunday after breakfast.",
    "The librarian stamped the books and reminded us they were due in two weeks.",
    "Snow had covered the cars by morning, and the streets were silent.",
)
# Eight more again, added once CONFIRM2 had judged a choice, for confirming what is chosen on all
# twenty-eight above.
CONFIRM3 = (
    "The painter mixed a deep blue for the sky and left the hills unfinished.",
    "Our train stopped in a small village where nobody seemed to be awake.",
    "He wrapped the old clock in a blanket and carried it down the stairs.",
    "The market smelled of oranges, fresh bread and wet stone after the rain.",
    "She taught her sister to swim in the cold lake behind their cottage.",
    "A gull landed on the railing and stared at our sandwiches.",
    "The nurse smiled, checked the chart, and promised to come back soon.",
    "Every window in the street glowed orange as the sun went down.",
)


SETS = {"held_out": ((HELD_OUT, "heldout"),), "fresh": ((FRESH, "fresh"),),
        "both": ((HELD_OUT, "heldout"), (FRESH, "fresh")), "confirm": ((CONFIRM, "confirm"),),
        "twenty": ((HELD_OUT, "heldout"), (FRESH, "fresh"), (CONFIRM, "confirm")),
        "confirm2": ((CONFIRM2, "confirm2"),),
        "twentyeight": ((HELD_OUT, "heldout"), (FRESH, "fresh"), (CONFIRM, "confirm"), (CONFIRM2, "confirm2")),
        "confirm3": ((CONFIRM3, "confirm3"),)}


def reference_embeddings(speaker: str, which: str) -> tuple[tuple[str, ...], list[np.ndarray]]:
    """The sentences of set `which` (SETS) and the reference speaker's embedding of each: the study's
    held-out set (written by clone_study.py prepare), FRESH (rendered here on first use), or both."""
    from enunciate.audio import read_audio, write_audio
    from enunciate.speakers.ge2e import embed_utterance

    sentences, files = [], []
    for texts, stem in SETS[which]:
        sentences += texts
        files += [WORK / f"{stem}-{speaker}-{i}.wav" for i in range(len(texts))]
        if stem != "heldout":  # the study's own held-out renderings come from clone_study.py prepare
            for text, f in zip(texts, files[-len(texts):]):
                if not f.is_file():
                    write_audio(f, *say(speaker, text))
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise SystemExit(f"missing {', '.join(missing)}: run python benchmarks/clone_study.py prepare first")
    return tuple(sentences), [embed_utterance(*read_audio(f)) for f in files]


def paired_eval(data: dict, rows: list[dict]) -> str:
    """Adds to each row whose voice the eval ran its paired WER, DistillMOS and DNSMOS OVRL changes
    against the eval's --against engine, and the three goals; returns that engine's name."""
    from enunciate.evaluate.stats import bootstrap_ci

    engines = {e["name"]: e for e in data["engines"]}
    pack = engines[data["against"]]
    ids = [item["id"] for item in pack["items"]]
    for r in rows:
        e = engines.get(r["voice"])
        if e is None or e is pack:
            continue
        mine = {item["id"]: item for item in e["items"]}
        r["vs_pack"] = {}
        for key in ("wer", "distillmos", "dnsmos_ovrl"):
            d = np.array([mine[i][key] - item[key] for i, item in zip(ids, pack["items"])])
            low, high = bootstrap_ci(d)
            r["vs_pack"][key] = {"mean": round(float(d.mean()), 4), "ci95": [round(low, 4), round(high, 4)]}
        r["goals"] = {"similarity>=0.85": r["similarity"]["mean"] >= GOAL_SIMILARITY,
                      "wer<=pack+0.03": r["vs_pack"]["wer"]["mean"] <= WER_MARGIN,
                      "distillmos>=pack-0.1": r["vs_pack"]["distillmos"]["mean"] >= -MOS_MARGIN}
    return data["against"]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("speaker", choices=SPEAKERS, help="the reference speaker")
    parser.add_argument("voices", nargs="+", help="voices to measure (names or folders); the first is the baseline")
    parser.add_argument("--eval", metavar="JSON", help="an enunciate eval --json run of these voices with --against "
                        "the best pack")
    parser.add_argument("--ship", metavar="VOICE", help="write this measured voice folder as the built-in "
                        "kokoro-SPEAKER (voices/data), if it meets all three goals against --eval's pack")
    parser.add_argument("--ship-short", action="store_true",
                        help="ship even if a goal is missed (the voice.json lists the goals it misses)")
    parser.add_argument("--set", choices=tuple(SETS), default="held_out",
                        help="similarity on the study's four held-out sentences (default), the eight FRESH ones, "
                        "all twelve, the eight CONFIRM ones, all twenty, the eight CONFIRM2 ones, all "
                        "twenty-eight, or the eight CONFIRM3 ones")
    parser.add_argument("--name", default="clone_heldout")
    args = parser.parse_args(argv)

    from enunciate.evaluate.stats import bootstrap_ci
    from enunciate.hardware import cpu_info
    from enunciate.speakers.ge2e import embed_utterance

    t0 = time.perf_counter()
    sentences, reference = reference_embeddings(args.speaker, args.set)
    sims = {v: np.array([float(embed_utterance(*say(v, text)) @ r) for text, r in zip(sentences, reference)])
            for v in args.voices}
    base = sims[args.voices[0]]
    rows = []
    for voice, values in sims.items():
        low, high = bootstrap_ci(values - base) if voice != args.voices[0] else (0.0, 0.0)
        rows.append({"voice": voice, "similarity": _interval(values),
                     "vs_first": round(float((values - base).mean()), 4),
                     "vs_first_ci95": [round(low, 4), round(high, 4)],
                     "meets_goal": bool(values.mean() >= GOAL_SIMILARITY)})
    pack = paired_eval(json.loads(open(args.eval).read()), rows) if args.eval else None
    result = {"command": shlex.join(["python", *sys.argv]), "speaker": args.speaker,
              "sentence_set": args.set, "sentences": list(sentences),
              "eval": args.eval, "best_pack": pack,
              "machine": cpu_info(), "seconds": round(time.perf_counter() - t0, 1), "rows": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(result, indent=1) + "\n")
    lines = [f"# Held-out GE2E similarity to {args.speaker}", "",
             f"`{result['command']}`: {len(sentences)} sentences ({args.set}), "
             f"each voice's rendering against {args.speaker}'s; mean and 95% bootstrap interval; "
             f"the goal is {GOAL_SIMILARITY}.", "",
             f"| voice | similarity | vs {args.voices[0]} (paired) |", "|---|---|---|"]
    for r in rows:
        s = r["similarity"]
        lines.append(f"| {r['voice']} | {s['mean']:.3f} [{s['ci95'][0]:.3f}, {s['ci95'][1]:.3f}] | "
                     f"{r['vs_first']:+.3f} [{r['vs_first_ci95'][0]:+.3f}, {r['vs_first_ci95'][1]:+.3f}] |")
    if pack:
        lines += ["", f"Against {pack} on the sentences of `{args.eval}` (paired by sentence, 95% bootstrap interval):",
                  "", "| voice | WER change | DistillMOS change | DNSMOS OVRL change | goals met |",
                  "|---|---|---|---|---|"]
        for r in rows:
            if "vs_pack" not in r:
                continue
            v = r["vs_pack"]
            cells = [f"{v[k]['mean']:+.3f} [{v[k]['ci95'][0]:+.3f}, {v[k]['ci95'][1]:+.3f}]"
                     for k in ("wer", "distillmos", "dnsmos_ovrl")]
            met = [k for k, ok in r["goals"].items() if ok]
            lines.append(f"| {r['voice']} | {' | '.join(cells)} | {len(met)} of 3"
                         + ("" if len(met) == 3 else f" (misses {', '.join(k for k in r['goals'] if k not in met)})")
                         + " |")
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    if args.ship:
        ship(args.speaker, next(r for r in rows if r["voice"] == args.ship), json.loads(open(args.eval).read()),
             args.ship_short)


def ship(speaker: str, row: dict, data: dict, short: bool = False) -> None:
    """`row`'s voice folder as the built-in kokoro-<speaker>, with the figures it was measured at."""
    if not row.get("goals") or not (short or all(row["goals"].values())):
        raise SystemExit(f"not shipping {row['voice']}: goals {row.get('goals')}")
    engine = next(e for e in data["engines"] if e["name"] == row["voice"])
    ship_voice(speaker, row["voice"], {
        "heldout_ge2e_similarity": row["similarity"]["mean"], "wer": round(engine["wer"], 4),
        "distillmos": round(engine["distillmos"], 3), "measured_on": data["terms"],
        "goals_missed": [goal for goal, met in row["goals"].items() if not met]}, digits=3)


if __name__ == "__main__":
    main()
