"""A fine-tune's strength: joe, its fine-tune toward another speaker, and the voices whose weights lie
between (`enunciate voices mix joe FINETUNE --weights K`), judged as the fine-tune study judges them
(benchmarks/results/finetune_mix_*.md, .json, .png; docs/training.md).

    python benchmarks/finetune_mix.py --finetune out/ft/joe-kokoro-jm_kumo-kept-decoder-prefit300 \\
        --reference out/ft/kokoro-jm_kumo_ref.wav --name finetune_mix_kumo

The fine-tune and the reference come from `finetune_speaker.py --speaker kokoro-jm_kumo` (the
reference is the target reading release-note sentences that no training clip holds). Every voice
says the first 20 dev sentences; `enunciate eval` measures GE2E similarity to the reference, Whisper
base WER and term hits and DistillMOS, with paired bootstrap intervals against joe. A voice keeps
joe's quality and moves toward the target when (the rule, fixed before the first run):
its similarity interval lies above joe's, its WER change interval reaches 0 or below, and its
DistillMOS falls by no more than 0.25, what training on joe's own speech cost (the control run).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from finetune_speaker import enunciate

RESULTS = Path(__file__).resolve().parent / "results"
MOS_COST = 0.25   # the control's DistillMOS loss: training joe on its own speech, decoder kept, after a prefit


def change(engine: dict, name: str) -> dict | None:
    return next((d for d in engine.get("against", {}).get("differences", []) if d["name"] == name), None)


def verdict(engine: dict, joe: dict) -> bool:
    wer, mos = change(engine, "wer"), change(engine, "distillmos")
    return engine["similarity_ci95"][0] > joe["similarity_ci95"][1] and wer["low"] <= 0 and mos["diff"] >= -MOS_COST


def table(result: dict, weights: dict[str, float]) -> list[str]:
    joe = next(e for e in result["engines"] if e["name"] == "joe")
    lines = ["| K | voice | similarity | WER change | terms hit change | DistillMOS | change | kept and moved |",
             "|---|---|---|---|---|---|---|---|"]
    for e in result["engines"]:
        k = weights.get(e["name"], 0.0)
        sim = f"{e['similarity']:.2f} [{e['similarity_ci95'][0]:.2f}, {e['similarity_ci95'][1]:.2f}]"
        if e["name"] == "joe":
            lines.append(f"| 0 | joe | {sim} | – | – | {e['distillmos']:.2f} | – | – |")
            continue
        wer, hit, mos = change(e, "wer"), change(e, "term_hit_rate"), change(e, "distillmos")
        lines.append(f"| {k:g} | {Path(e['name']).name} | {sim} | {100 * wer['diff']:+.1f} [{100 * wer['low']:+.1f}, "
                     f"{100 * wer['high']:+.1f}] | {100 * hit['diff']:+.1f} [{100 * hit['low']:+.1f}, "
                     f"{100 * hit['high']:+.1f}] | {e['distillmos']:.2f} | {mos['diff']:+.2f} [{mos['low']:+.2f}, "
                     f"{mos['high']:+.2f}] | {'yes' if verdict(e, joe) else 'no'} |")
    return lines


def plot(result: dict, weights: dict[str, float], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    engines = sorted(result["engines"], key=lambda e: weights.get(e["name"], 0.0))
    ks = [weights.get(e["name"], 0.0) for e in engines]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for axis, key, label in ((left, "similarity", "GE2E similarity to the target's reference"),
                             (right, "distillmos", "DistillMOS")):
        values = [e[key] for e in engines]
        errors = [[v - e[f"{key}_ci95"][0] for v, e in zip(values, engines)],
                  [e[f"{key}_ci95"][1] - v for v, e in zip(values, engines)]]
        axis.errorbar(ks, values, yerr=errors, marker="o", capsize=3)
        axis.set_xlabel("K: joe's weights moved K of the way to the fine-tune's")
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
    joe = next(e for e in engines if e["name"] == "joe")
    right.axhline(joe["distillmos"] - MOS_COST, color="grey", linestyle="--", linewidth=1,
                  label=f"joe − {MOS_COST} (the rule)")
    right.legend(loc="lower left")
    fig.suptitle(f"joe → {Path(result['similarity_ref']).stem}: dev sentences 1-20, 95% intervals")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--finetune", type=Path, required=True, help="a fine-tune of joe (a voice folder)")
    parser.add_argument("--reference", type=Path, required=True, help="the target speaker's held-out reference clip")
    parser.add_argument("--weights", default="0.25,0.5,0.75", help="the K of the mixes")
    parser.add_argument("--name", default="finetune_mix", help="results file stem")
    args = parser.parse_args(argv)

    weights = {}   # the engine names eval gives (the folders as passed) -> K
    for k in map(float, args.weights.split(",")):
        folder = args.finetune.with_name(f"{args.finetune.name}-mix{round(100 * k)}")
        if not (folder / "voice.json").exists():
            enunciate("voices", "mix", "joe", str(args.finetune), "--weights", f"{k:g}", "-o", str(folder),
                      "--name", folder.name)
        weights[str(folder)] = k
    weights[str(args.finetune)] = 1.0
    voices = ["joe", *weights]
    out_json, out_md = RESULTS / f"{args.name}.json", RESULTS / f"{args.name}.md"
    enunciate("eval", "--voices", ",".join(voices), "--against", "joe", "--mos", "--asr", "base", "--limit", "20",
              "--threads", "2", "--similarity-ref", str(args.reference), "--json", str(out_json),
              "--markdown", str(out_md))
    result = json.loads(out_json.read_text(encoding="utf-8"))
    lines = table(result, weights)
    with out_md.open("a", encoding="utf-8") as f:
        f.write("\n## The mixes (K: joe's weights moved K of the way to the fine-tune's)\n\n" + "\n".join(lines) + "\n")
    plot(result, weights, RESULTS / f"{args.name}.png")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
