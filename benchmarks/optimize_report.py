"""Variants of heart, joe and Kokoro with their speed and their quality cost measured: the report the
optimize issue asks for, built only from enunciate's own commands.

    .venv/bin/python benchmarks/optimize_report.py --voices heart,joe,kokoro --sentences 30

For each voice it runs, and records, these commands (VARIANTS below lists the methods):

    enunciate optimize VOICE --method M [-p k=v] --corpus calibration.txt -o WORK/VOICE.M   # each variant
    enunciate bench VOICE WORK/VOICE.* --threads 2 --rounds R --out OUT/VOICE                # speed, interleaved
    enunciate eval --voices VOICE,WORK/VOICE.* --against VOICE --mos --asr base --limit N    # quality
    enunciate report OUT/VOICE/bench.json OUT/VOICE/eval.json -o OUT/VOICE/report

Static int8 is calibrated on dev-set sentences 61-76, which are neither timed nor judged (the bench
times the first 8 dev-set sentences, eval judges the first N). Quality is judged against the parent
on the same sentences with the same noise seed: paired bootstrap intervals for DistillMOS, term hit
rate and WER, and PESQ-WB, STOI, MCD and duration ratio of each clip against the parent's clip.
DistillMOS scores the speech region (docs/evaluation.md: its ±1 LSB noise floor is 0.005, p95 0.017).
Writes benchmarks/results/optimize_report/VOICE/{bench.*,eval.*,report/} and a summary in
benchmarks/results/optimize_report.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
OUT = RESULTS / "optimize_report"
CALIBRATION = slice(60, 76)  # dev-set sentences for static int8: not timed, not judged
CLI = [sys.executable, "-m", "enunciate"]

# (method, parameters) per voice: every method that applies, and the op choices worth measuring.
VARIANTS = {
    "heart": [("ort-int4", {}), ("ort-int8-static", {}), ("ort-int8-static", {"ops": "MatMul,Gemm"}),
              ("ort-optimize", {}), ("ort-int8-matmul", {"ops": ""})],
    "joe": [("ort-fp16", {}), ("ort-int8-dynamic", {}), ("ort-int8-static", {}), ("ort-optimize", {}),
            ("ort-prune", {"sparsity": "0.3"}), ("torch-recipe", {"pointwise": "true"}),
            ("torch-l1-prune", {"amount": "0.25", "layers": "linear+pointwise"})],
    "kokoro": [("ort-int4", {}), ("ort-int8-matmul", {}), ("ort-int8-static", {}), ("ort-optimize", {}),
               ("torch-int8-dynamic", {})],
}
BATCHES = {"heart": "8", "joe": "8", "kokoro": None}  # Kokoro on 2 CPU cores: batches add minutes, not news


def folder_name(voice: str, method: str, params: dict) -> str:
    return f"{voice}.{method}" + "".join(f".{k}-{(v or 'none').replace(',', '+')}" for k, v in params.items())


def run(command: list[str], log: list[str]) -> None:
    """Run one enunciate command, echo it, record it; stop the study on failure."""
    shown = shlex.join(["enunciate", *command[len(CLI):]])
    print(f"$ {shown}", flush=True)
    log.append(shown)
    t0 = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT)
    print(f"  ({time.perf_counter() - t0:.0f} s)", flush=True)


def study(voice: str, args, calibration: Path, log: list[str]) -> dict:
    out = Path(args.out) / voice
    if args.resume and (out / "report" / "report.md").is_file():  # done by an earlier run: read its files
        print(f"{voice}: already measured in {out}", flush=True)
        evaluated = json.loads((out / "eval.json").read_text())
        log += [f"# {voice}: {evaluated['command']}"]
        return {**summarize(voice, out), "rounds": json.loads((out / "bench.json").read_text())["config"]["rounds"],
                "asr": evaluated["asr"]}
    out.mkdir(parents=True, exist_ok=True)
    folders = []
    for method, params in VARIANTS[voice]:
        folder = Path(args.work) / folder_name(voice, method, params)
        if not (args.reuse and (folder / "voice.json").is_file()):
            settings = [a for k, v in params.items() for a in ("-p", f"{k}={v}")]
            run([*CLI, "optimize", voice, "--method", method, *settings,
                 "--corpus", str(calibration), "-o", str(folder), "--force"], log)
        folders.append(str(folder))
    batches = ["--batch", BATCHES[voice]] if BATCHES[voice] else []
    run([*CLI, "bench", voice, *folders, "--threads", str(args.threads), "--rounds", str(args.rounds),
         *batches, "--out", str(out)], log)
    run([*CLI, "eval", "--voices", ",".join([voice, *folders]), "--against", voice, "--mos", "--asr", args.asr,
         "--limit", str(args.sentences), "--threads", str(args.threads), "--json", str(out / "eval.json"),
         "--markdown", str(out / "eval.md")], log)
    run([*CLI, "report", str(out / "bench.json"), str(out / "eval.json"), "-o", str(out / "report")], log)
    return {**summarize(voice, out), "rounds": args.rounds, "asr": args.asr}


def summarize(voice: str, out: Path) -> dict:
    """One row per variant: size, speed (bench) and quality against the parent (eval)."""
    bench = json.loads((out / "bench.json").read_text())
    evals = {e["name"]: e for e in json.loads((out / "eval.json").read_text())["engines"]}
    rows = []
    parent_rtf = None
    for v in bench["variants"]:
        s = v["summary"]
        name = s["voice"]
        e = evals.get(name, {})
        diffs = {m["name"]: m for m in e.get("against", {}).get("differences", [])}
        intrusive = e.get("against", {}).get("intrusive", {})
        if name == voice and s["engine"] == bench["variants"][0]["summary"]["engine"]:
            parent_rtf = s["rtf_p50"]
        rows.append({
            "variant": "parent" if name == voice else Path(name).name.removeprefix(f"{voice}."),
            "folder": name, "engine": s["engine"], "size_mb": s["size_mb"], "rtf_p50": s["rtf_p50"],
            "ttfa_p50_ms": s["ttfa_p50_ms"], "throughput_b8": s.get("throughput_b8"), "peak_rss_mb": s["peak_rss_mb"],
            "distillmos": e.get("distillmos"), "distillmos_ci95": e.get("distillmos_ci95"),
            "term_hit_rate": e.get("term_hit_rate"), "wer": e.get("wer"),
            "d_distillmos": diffs.get("distillmos"), "d_term_hit_rate": diffs.get("term_hit_rate"),
            "d_wer": diffs.get("wer"), "pesq_wb": intrusive.get("pesq_wb"), "stoi": intrusive.get("stoi"),
            "mcd_db": intrusive.get("mcd_db"), "duration_ratio": intrusive.get("duration_ratio")})
    for row in rows:
        row["rtf_vs_parent"] = row["rtf_p50"] / parent_rtf if parent_rtf else None
    return {"voice": voice, "machine": bench["machine"], "threads": bench["threads"], "rows": rows,
            "sentences": json.loads((out / "eval.json").read_text())["sentences"]}


def _ci(m: dict | None, digits: int, pct: bool = False, star: bool = True) -> str:
    if not m:
        return "-"
    value, (low, high) = (m["diff"], m["ci95"]) if "diff" in m else (m["mean"], m["ci95"])
    k = 100 if pct else 1
    text = f"{k * value:+.{digits}f} [{k * low:+.{digits}f}, {k * high:+.{digits}f}]" if "diff" in m else \
        f"{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"
    return text + (" *" if star and m.get("beyond_noise") else "")


def markdown(studies: list[dict], args, log: list[str], folder: str) -> str:
    machine = studies[0]["machine"]
    out = ["# Variants of the shipped voices: size, speed and quality against the parent", "",
           f"CPU: {machine.get('cpu')}; ISA: {', '.join(machine.get('isa', [])) or '-'}; threads fixed at "
           f"{args.threads}. Speed from `enunciate bench` (8 dev-set sentences, interleaved rounds, every variant of "
           "a voice in turn); quality from `enunciate eval --against` on the first dev-set sentences (how many, "
           "and the bench rounds, under each voice), noise seed 0 for parent and variants alike. "
           "Changes are variant minus parent with paired bootstrap 95% intervals; * marks an interval that "
           "excludes 0. PESQ-WB, STOI, MCD and duration ratio compare each clip with the parent's clip of the "
           "same sentence: 4.64 / 1.0 / 0 dB / 1.0 would be identical audio. Static int8 was calibrated on "
           "dev-set sentences 61-76. The dev set is the set the frontend was tuned on: the frontend is the same "
           "for all variants, so the changes measure the weights, not the readings.", ""]
    for st in studies:
        out += [f"## {st['voice']}", "", f"{st['sentences']} sentences judged by Whisper {st['asr']} and DistillMOS; "
                f"bench: {st['rounds']} rounds.", "",
                "| variant | engine | size MB | RTF p50 | x parent | TTFA ms | DistillMOS | DistillMOS change | "
                "term hit change (pts) | WER change (pts) | PESQ-WB | STOI | MCD dB | duration |",
                "|" + "---|" * 14]
        for r in st["rows"]:
            mos = "-" if r["distillmos"] is None else f"{r['distillmos']:.2f}"
            out.append(
                f"| {r['variant']} | {r['engine']} | {r['size_mb']:.1f} | {r['rtf_p50']:.4f} | "
                f"{r['rtf_vs_parent']:.2f}x | {r['ttfa_p50_ms']:.0f} | {mos} | {_ci(r['d_distillmos'], 2)} | "
                f"{_ci(r['d_term_hit_rate'], 1, True)} | {_ci(r['d_wer'], 1, True)} | {_ci(r['pesq_wb'], 2)} | "
                f"{_ci(r['stoi'], 3)} | {_ci(r['mcd_db'], 2)} | {_ci(r['duration_ratio'], 3)} |")
        out += ["", f"Full tables, plots and per-sentence figures: [{folder}/{st['voice']}/report/report.md]"
                f"({folder}/{st['voice']}/report/report.md); every sentence's transcript and scores: "
                f"[{folder}/{st['voice']}/eval.md]({folder}/{st['voice']}/eval.md).", ""]
    out += ["## Commands", "", "```", *log, "```", ""]
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--voices", default="heart,joe,kokoro")
    ap.add_argument("--sentences", type=int, default=30, help="dev-set sentences judged by eval")
    ap.add_argument("--rounds", type=int, default=2, help="bench rounds")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--asr", default="base")
    ap.add_argument("--work", default="/tmp/enunciate-optimize-report", help="folder for the variants")
    ap.add_argument("--reuse", action="store_true", help="keep variants already in --work")
    ap.add_argument("--resume", action="store_true", help="a voice whose report exists in --out is read, not rerun")
    ap.add_argument("--out", default=str(OUT), help="folder for each voice's bench, eval and report")
    args = ap.parse_args()
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    from enunciate.evaluate.terms import DEV_SET, load_term_set

    Path(args.work).mkdir(parents=True, exist_ok=True)
    calibration = Path(args.work) / "calibration.txt"
    calibration.write_text("\n".join(item.text for item in load_term_set(DEV_SET)[CALIBRATION]) + "\n")
    log: list[str] = []
    studies = []
    summary_path = Path(args.out).with_suffix(".json")
    previous = json.loads(summary_path.read_text()) if summary_path.is_file() else {"studies": []}
    for voice in [v.strip() for v in args.voices.split(",") if v.strip()]:
        studies.append(study(voice, args, calibration, log))
    kept = [s for s in previous.get("studies", []) if s["voice"] not in {st["voice"] for st in studies}]
    studies = kept + studies
    summary_path.write_text(json.dumps({"command": shlex.join(["python", *sys.argv]), "commands": log,
                                        "studies": studies}, indent=1) + "\n")
    text = markdown(studies, args, log, Path(args.out).name)
    summary_path.with_suffix(".md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
