"""Who listened, who judges: students trained with one MOS model in the loss, scored by every MOS model
at hand on sentences none of them trained on (benchmarks/results/student_listeners.*).

    python benchmarks/student_listeners.py --voices heart,benchmarks/results/student,out/student/cap1,out/student/dns1 \
        --against benchmarks/results/student --terms benchmarks/data/dev61_82.tsv

Each voice says each sentence of the term set (`enunciate.speak`, as `enunciate eval` does); its speech
region is scored by DistillMOS, DNSMOS P.835 (SIG, BAK, OVRL) and DNSMOS P.808, and each voice is
paired against `--against` sentence by sentence (bootstrap over sentences, 2000 resamples). A loss
that listened with one model can then be judged by the models it never heard.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
JUDGES = ("distillmos", "sig", "bak", "ovrl", "p808")
NAMES = {"distillmos": "DistillMOS", "sig": "DNSMOS SIG", "bak": "DNSMOS BAK", "ovrl": "DNSMOS OVRL",
         "p808": "DNSMOS P.808"}


def scores(voice: str, texts: list[str], threads: int) -> dict[str, list[float]]:
    import enunciate
    from enunciate.evaluate.mos import distillmos_score, dnsmos_score

    out = {judge: [] for judge in JUDGES}
    for text in texts:
        speech = enunciate.speak(text, voice=voice)
        out["distillmos"].append(distillmos_score(speech.audio, speech.sample_rate, threads))
        for key, value in dnsmos_score(speech.audio, speech.sample_rate, threads).items():
            out[key].append(value)
    return out


def main(argv: list[str] | None = None) -> None:
    from enunciate.evaluate.stats import bootstrap_ci
    from enunciate.evaluate.terms import load_term_set
    from enunciate.hardware import cpu_info

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voices", required=True, help="comma-separated voice names or folders")
    parser.add_argument("--against", required=True, help="the voice every other is paired against")
    parser.add_argument("--terms", default="benchmarks/data/dev61_82.tsv", help="the sentences (a term-set TSV)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--name", default="student_listeners", help="results file stem")
    args = parser.parse_args(argv)

    voices = args.voices.split(",")
    if args.against not in voices:
        voices.append(args.against)
    texts = [item.text for item in load_term_set(args.terms)]
    started = time.time()
    table = {}
    for voice in voices:
        table[voice] = scores(voice, texts, args.threads)
        print(f"{voice}: " + ", ".join(f"{NAMES[j]} {np.mean(v):.3f}" for j, v in table[voice].items()), flush=True)
    result = {"command": "python benchmarks/student_listeners.py " + " ".join(sys.argv[1:] if argv is None else argv),
              "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": cpu_info(),
              "threads": args.threads, "sentences": len(texts), "terms": args.terms, "against": args.against,
              "seconds": round(time.time() - started), "voices": {}}
    base = table[args.against]
    for voice, per_judge in table.items():
        row = {}
        for judge, values in per_judge.items():
            row[judge] = {"mean": float(np.mean(values)), "ci95": list(bootstrap_ci(values)), "per_sentence": values}
            if voice != args.against:
                diff = np.asarray(values) - np.asarray(base[judge])
                row[judge]["change"] = float(diff.mean())
                row[judge]["change_ci95"] = list(bootstrap_ci(diff))
        result["voices"][voice] = row
    lines = [f"# Who listened, who judges ({len(texts)} sentences of {args.terms})", "",
             f"`{result['command']}`", "",
             f"{result['created']}; {args.threads} threads; change against {args.against}, paired over sentences, "
             "mean [95% CI], * where the interval excludes 0", "",
             "| voice | " + " | ".join(NAMES[j] for j in JUDGES) + " |", "|---" * (len(JUDGES) + 1) + "|"]
    for voice, row in result["voices"].items():
        cells = []
        for judge in JUDGES:
            r = row[judge]
            cell = f"{r['mean']:.2f}"
            if "change" in r:
                low, high = r["change_ci95"]
                star = " *" if low > 0 or high < 0 else ""
                cell += f" ({r['change']:+.2f} [{low:+.2f}, {high:+.2f}]{star})"
            cells.append(cell)
        lines.append(f"| {voice} | " + " | ".join(cells) + " |")
    markdown = "\n".join(lines) + "\n"
    print(markdown)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(result, indent=1) + "\n")
    (RESULTS / f"{args.name}.md").write_text(markdown)


if __name__ == "__main__":
    main()
