"""Term hit rate on the tuning and the untuned test split of enunciate's term sets
(`enunciate.evaluate.terms.split_of`: a fixed hash of each sentence's id), each with a bootstrap 95%
interval over sentences, and the paired difference of every engine against the first on each split
(`enunciate.evaluate.compare.paired_bootstrap_diff`): the frontend against the voice's own G2P, or
this frontend against an older one rendered into a folder.

    .venv/bin/python benchmarks/term_splits.py --engines heart,heart-own-g2p --asr base --threads 2 \\
        --name term_splits

An older frontend is a folder of WAVs (an engine like any other), rendered from a git worktree:

    git worktree add /tmp/old <commit>
    PYTHONPATH=/tmp/old/src .venv/bin/python benchmarks/render_term_set.py --terms T.tsv --out /tmp/old-wavs/T

`--terms` is repeatable (default: the dev set); folder engines hold one sub-folder per term set,
named after its file (`/tmp/old-wavs/tech_sentences/tech001.wav`). A clip that is bit for bit one
already heard is not transcribed again (Whisper decodes deterministically), so an unchanged
sentence costs nothing the second time, also across runs with `--cache FILE`. With several term
sets, a pooled table follows (each sentence split by its own id). Writes benchmarks/results/NAME.json
(with every transcript) and NAME.md.
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import shlex
import sys
import time
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

from enunciate.evaluate.terms import DEV_SET, SPLITS, TermItem, load_term_set, score_terms, split_of  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def transcripts(engine, items: list[TermItem], asr: str, threads: int, heard: dict[str, str],
                failed: list[str]) -> dict[str, str]:
    """id -> what Whisper heard; `heard` caches transcripts by the clip's SHA-256; a sentence the
    engine could not say is appended to `failed` and scored as unheard."""
    from tqdm import tqdm

    from enunciate.evaluate.asr import transcribe

    out = {}
    for item in tqdm(items, desc=engine.name[:40], unit="sentence", file=sys.stderr, leave=False):
        try:
            audio, rate = engine.synth(item.text)
        except Exception as e:  # hibari's own G2P raises on some inputs ("10⁻³"): nothing was heard
            failed.append(f"{engine.name}: {item.id} ({type(e).__name__}: {e})")
            print(f"{failed[-1]}; scored as unheard", file=sys.stderr)
            out[item.id] = ""
            continue
        key = hashlib.sha256(np.asarray(audio, np.float32).tobytes() + str(rate).encode()).hexdigest()
        if key not in heard:
            heard[key] = transcribe(audio, rate, asr, threads)
        out[item.id] = heard[key]
    return out


def per_sentence(items: list[TermItem], heard: dict[str, str]) -> dict[str, tuple[float, int]]:
    """id -> (hit rate of the sentence's terms, number of terms)."""
    report = score_terms(items, heard)
    hits: dict[str, list[bool]] = {}
    for row in report.rows:
        hits.setdefault(row.id, []).append(row.hit)
    return {i: (sum(h) / len(h), len(h)) for i, h in hits.items()}


def split_figures(items: list[TermItem], runs: dict[str, dict[str, str]], splits: dict[str, str]) -> dict:
    """For each split and engine: hit rate [95% CI], and every engine minus the first, paired.
    `splits`: item id -> its split."""
    from enunciate.evaluate.compare import paired_bootstrap_diff

    names = list(runs)
    out = {}
    for split in (*SPLITS, "all"):
        part = [i for i in items if split == "all" or splits[i.id] == split]
        figures = {"sentences": len(part), "terms": sum(len(i.terms) for i in part), "engines": {}, "paired": {}}
        for name, heard in runs.items():
            report = score_terms(part, heard)
            figures["engines"][name] = {"hit_rate": report.hit_rate, "ci95": report.ci(), "hits": report.n_hits,
                                        "misses": [(r.id, r.term, r.transcript) for r in report.failures]}
        base = per_sentence(part, runs[names[0]])
        for name in names[1:]:
            other = per_sentence(part, runs[name])
            ids = sorted(base)
            diff, low, high = paired_bootstrap_diff([base[i][0] for i in ids], [other[i][0] for i in ids],
                                                    weights=[base[i][1] for i in ids])
            figures["paired"][f"{names[0]} - {name}"] = {"diff": diff, "ci95": (low, high),
                                                         "beyond_noise": bool(low > 0 or high < 0)}
        out[split] = figures
    return out


def markdown(result: dict) -> str:
    names = result["engines"]
    lines = [f"# Term hit rate on the tuning and the untuned test split ({result['created'][:10]})", "",
             "Splits fixed by `enunciate.evaluate.terms.split_of` (first byte of the SHA-256 of the sentence id: "
             "128 or more is test). Readings may be written for the tuning split's failures, never for the test "
             f"split's. Whisper {result['asr']}, {result['threads']} threads; bootstrap 95% intervals over "
             "sentences (2000 resamples); paired differences resample the same sentences for both engines.", "",
             *([result["describe"], ""] if result.get("describe") else []), "```", result["command"], "```", "",
             *([f"Sentences an engine could not say (scored as unheard): {'; '.join(result['failed'])}.", ""]
               if result.get("failed") else [])]
    for term_set, splits in result["term_sets"].items():
        lines += [f"## {term_set}", "", "| split | sentences | terms | "
                  + " | ".join(f"{n} [95% CI]" for n in names)
                  + "".join(f" | {p} [95% CI]" for p in splits["all"]["paired"]) + " |",
                  "|---" * (3 + len(names) + len(splits["all"]["paired"])) + "|"]
        for split, f in splits.items():
            cells = [split, str(f["sentences"]), str(f["terms"])]
            cells += [f"{100 * e['hit_rate']:.1f}% [{100 * e['ci95'][0]:.1f}, {100 * e['ci95'][1]:.1f}]"
                      for e in f["engines"].values()]
            cells += [f"{100 * p['diff']:+.1f} [{100 * p['ci95'][0]:+.1f}, {100 * p['ci95'][1]:+.1f}]"
                      + (" *" if p["beyond_noise"] else "") for p in f["paired"].values()]
            lines.append("| " + " | ".join(cells) + " |")
        lines += ["", "\\* the 95% interval of the paired difference excludes 0.", ""]
        for name in names if "pooled" not in term_set else ():
            misses = splits["test"]["engines"][name]["misses"]
            if misses:
                lines += [f"Test-split misses, {name}: "
                          + "; ".join(f"`{t}` ({i}: \"{heard}\")" for i, t, heard in misses), ""]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engines", default="heart,heart-own-g2p",
                    help="comma-separated engines (names as for enunciate eval, or folders), each optionally "
                         "LABEL=ENGINE; the first is A")
    ap.add_argument("--terms", action="append", help="term-set TSV (repeatable; default: the dev set)")
    ap.add_argument("--asr", default="base", help="Whisper model (default base)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, help="only the first N sentences of each set (a smoke run)")
    ap.add_argument("--name", default="term_splits", help="results/NAME.json and NAME.md")
    ap.add_argument("--cache", help="a JSON file of transcripts by clip hash, read and updated")
    ap.add_argument("--describe", default="", help="what the engines are, for the Markdown (e.g. the commits)")
    args = ap.parse_args()

    from enunciate.evaluate.compare import resolve_engine
    from enunciate.hardware import cpu_info

    start = time.perf_counter()
    specs = {}  # label -> engine
    for label, _, spec in (n.strip().rpartition("=") for n in args.engines.split(",") if n.strip()):
        specs[label or spec] = spec
    names = list(specs)
    sets = args.terms or [str(DEV_SET)]
    result = {"command": shlex.join([".venv/bin/python", *sys.argv]),
              "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "asr": args.asr, "threads": args.threads, "engines": names, "describe": args.describe,
              "term_sets": {}, "failed": []}
    heard: dict[str, str] = json.loads(Path(args.cache).read_text("utf-8")) if args.cache and \
        Path(args.cache).is_file() else {}
    engines = {}
    pooled_items: list[TermItem] = []
    pooled_runs: dict[str, dict[str, str]] = {name: {} for name in names}
    pooled_splits: dict[str, str] = {}
    result["transcripts"] = {}
    for path in sets:
        items = load_term_set(path)[:args.limit] if args.limit else load_term_set(path)
        runs = {}
        for name in names:
            folder = Path(specs[name]) / Path(path).stem
            spec = str(folder) if folder.is_dir() else specs[name]
            if spec not in engines:
                engines[spec] = resolve_engine(spec, items, args.threads)
            runs[name] = transcripts(engines[spec], items, args.asr, args.threads, heard, result["failed"])
            if args.cache:
                Path(args.cache).write_text(json.dumps(heard, ensure_ascii=False), "utf-8")
        stem = Path(path).stem
        result["term_sets"][stem] = split_figures(items, runs, {i.id: split_of(i.id) for i in items})
        result["transcripts"][stem] = runs
        for item in items:
            key = f"{stem}/{item.id}"
            pooled_items.append(TermItem(key, item.text, item.terms))
            pooled_splits[key] = split_of(item.id)
            for name in names:
                pooled_runs[name][key] = runs[name][item.id]
        for split, f in result["term_sets"][Path(path).stem].items():
            print(f"{Path(path).stem} {split}: " + ", ".join(
                f"{n} {100 * e['hit_rate']:.1f}%" for n, e in f["engines"].items()), file=sys.stderr)
    if len(sets) > 1:
        result["term_sets"] = {"all sets, pooled": split_figures(pooled_items, pooled_runs, pooled_splits),
                               **result["term_sets"]}
    result["seconds"] = round(time.perf_counter() - start, 1)
    result["machine"] = cpu_info()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                                               encoding="utf-8")
    (RESULTS / f"{args.name}.md").write_text(markdown(result) + "\n", encoding="utf-8")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
