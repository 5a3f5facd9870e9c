"""joe's PT2E int8 decoders (torch-ptq-static, torch-qat) and torchao weight-only int8
(torch-weight-only), timed beside joe on both engines and judged against joe, in one run each.

    .venv/bin/python benchmarks/torch_quant.py --sentences 20 --rounds 3

Runs and records, with the helpers of optimize_report.py:

    enunciate optimize joe --method M [-p k=v] -o WORK/joe.M                         # each variant
    enunciate bench joe WORK/joe.* --engines onnx,torch --threads 2 --rounds R --batch 1 --out OUT
    enunciate eval --voices joe,joe-torch,WORK/joe.* --against joe --mos --asr base --limit N

The PT2E variants are QDQ ONNX graphs (ONNX Runtime); the weight-only variant runs on the torch
engine, so joe's torch engine is timed and judged too: that variant's speed is read against it.
Calibration and distillation use the dev set past its first 30 sentences (the methods' default);
eval judges the first N <= 30. Writes benchmarks/results/torch_quant.{json,md} and the bench and
eval files under benchmarks/results/torch_quant/.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from optimize_report import CLI, RESULTS, _ci, folder_name, run  # noqa: E402

OUT = RESULTS / "torch_quant"
VARIANTS = [("torch-ptq-static", {"stream": "false"}), ("torch-ptq-static", {}), ("torch-qat", {}),
            ("torch-weight-only", {"dtype": "int8"})]
GPU_COMMAND = "\n".join([
    "enunciate optimize joe --method torch-weight-only -p dtype=int4 -p device=cuda -o joe-wo4",
    "enunciate optimize joe --method torch-weight-only -p dtype=int8 -o joe-wo8",
    "enunciate bench joe joe-wo8 joe-wo4 --engines torch --device cuda --threads 2 --rounds 3 --out bench-gpu",
    "enunciate bench joe --engines torch --device cuda --dtype bf16 --out bench-gpu-bf16",
    "enunciate bench joe --engines torch --device cuda --dtype fp16 --out bench-gpu-fp16"])


def paired(latency: list[float], parent: list[float]) -> list[float]:
    """Median and quartiles of the per-sentence ratio variant / parent (same sentence, same round):
    on a shared machine the load moves both alike, so the ratio is steadier than either RTF."""
    ratios = sorted(a / b for a, b in zip(latency, parent))
    at = lambda q: ratios[min(len(ratios) - 1, round(q * (len(ratios) - 1)))]  # noqa: E731
    return [at(0.5), at(0.25), at(0.75)]


def rows(out: Path) -> list[dict]:
    """One row per (voice, engine): size, speed against joe on the same engine, quality against joe."""
    bench = json.loads((out / "bench.json").read_text())
    evals = {e["name"]: e for e in json.loads((out / "eval.json").read_text())["engines"]}
    parent = {v["summary"]["engine"]: v["summary"] for v in bench["variants"] if v["summary"]["voice"] == "joe"}
    latency = {v["engine"]: v["latency_ms"] for v in bench["variants"] if v["voice"] == "joe"}
    table = []
    for v in bench["variants"]:
        s = v["summary"]
        name = "joe-torch" if s["voice"] == "joe" and s["engine"] == "torch" else s["voice"]
        e = evals.get(name, {})
        diffs = {m["name"]: m for m in e.get("against", {}).get("differences", [])}
        intrusive = e.get("against", {}).get("intrusive", {})
        table.append({
            "variant": Path(name).name, "engine": s["engine"], "size_mb": s["size_mb"], "rtf_p50": s["rtf_p50"],
            "x_joe_onnx": s["rtf_p50"] / parent["onnx"]["rtf_p50"],
            "x_joe_same_engine": s["rtf_p50"] / parent[s["engine"]]["rtf_p50"],
            "paired_x_joe_onnx": paired(v["latency_ms"], latency["onnx"]),
            "paired_x_joe_same_engine": paired(v["latency_ms"], latency[s["engine"]]),
            "ttfa_p50_ms": s["ttfa_p50_ms"], "peak_rss_mb": s["peak_rss_mb"], "distillmos": e.get("distillmos"),
            "d_distillmos": diffs.get("distillmos"), "d_term_hit_rate": diffs.get("term_hit_rate"),
            "d_wer": diffs.get("wer"), "pesq_wb": intrusive.get("pesq_wb"), "mcd_db": intrusive.get("mcd_db"),
            "duration_ratio": intrusive.get("duration_ratio")})
    return table


def markdown(table: list[dict], machine: dict, args, log: list[str], metrics: dict) -> str:
    out = ["# joe: PT2E static int8 and QAT of the decoder, torchao weight-only int8", "",
           f"CPU: {machine.get('cpu')}; ISA: {', '.join(machine.get('isa', [])) or '-'}; threads fixed at "
           f"{args.threads}; {args.rounds} interleaved bench rounds over 8 dev-set sentences; quality on the first "
           f"{args.sentences} dev-set sentences (Whisper {args.asr}, DistillMOS), noise seed 0 for all. Changes are "
           "variant minus joe (ONNX) with paired bootstrap 95% intervals, * where the interval excludes 0. "
           "PESQ-WB and MCD compare each clip with joe's clip of the same sentence; joe-torch is joe on the torch "
           "engine, whose noise is drawn differently (its PESQ shows that alone). The time column is each "
           "sentence's latency over joe's in the same round (median and quartiles): the machine was shared "
           "(load average 3-5), which moves every RTF but the pairs alike. An earlier run of the convs-only "
           "decoder, QAT at 200 and 1000 steps among them, is in torch_quant/conv_only_bench.md "
           "(0.99-1.06x joe: no faster).", "",
           "| variant | engine | size MB | RTF p50 | time vs joe onnx, paired [quartiles] | vs joe same engine | "
           "TTFA ms | DistillMOS | DistillMOS change | term hit change (pts) | WER change (pts) | PESQ-WB vs joe | "
           "MCD dB | duration |",
           "|" + "---|" * 14]
    for r in table:
        mos = "-" if r["distillmos"] is None else f"{r['distillmos']:.2f}"
        ratio, low, high = r["paired_x_joe_onnx"]
        out.append(f"| {r['variant']} | {r['engine']} | {r['size_mb']:.1f} | {r['rtf_p50']:.4f} | "
                   f"{ratio:.2f}x [{low:.2f}, {high:.2f}] | {r['paired_x_joe_same_engine'][0]:.2f}x | "
                   f"{r['ttfa_p50_ms']:.0f} | {mos} | "
                   f"{_ci(r['d_distillmos'], 2)} | {_ci(r['d_term_hit_rate'], 1, True)} | "
                   f"{_ci(r['d_wer'], 1, True)} | {_ci(r['pesq_wb'], 2)} | {_ci(r['mcd_db'], 2)} | "
                   f"{_ci(r['duration_ratio'], 3)} |")
    out += ["", "What each variant's voice.json measured when it was made:", "",
            "| variant | metrics |", "|---|---|"]
    out += [f"| {name} | {', '.join(f'{k}={v}' for k, v in m.items())} |" for name, m in metrics.items()]
    out += ["", "GPU rows (bf16, fp16, int4 weight-only on CUDA) are pending a CUDA run:", "", "```",
            GPU_COMMAND, "```", "", "## Commands", "", "```", *log, "```", ""]
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sentences", type=int, default=20, help="dev-set sentences judged by eval (at most 30)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--asr", default="base")
    ap.add_argument("--work", default="/tmp/enunciate-torch-quant", help="folder for the variants")
    ap.add_argument("--reuse", action="store_true", help="keep variants already in --work")
    ap.add_argument("--summarize", action="store_true", help="only rewrite the summary from the files in OUT")
    args = ap.parse_args()
    if args.summarize:
        previous = json.loads((RESULTS / "torch_quant.json").read_text())
        folders = [Path(args.work) / folder_name("joe", m, p) for m, p in VARIANTS]
        return write_summary(previous["commands"], args, folders, previous["command"])
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    OUT.mkdir(parents=True, exist_ok=True)
    Path(args.work).mkdir(parents=True, exist_ok=True)
    log: list[str] = []
    folders = []
    for method, params in VARIANTS:
        folder = Path(args.work) / folder_name("joe", method, params)
        settings = [a for k, v in params.items() for a in ("-p", f"{k}={v}")]
        command = [*CLI, "optimize", "joe", "--method", method, *settings, "-o", str(folder), "--force"]
        if args.reuse and (folder / "voice.json").is_file():
            log.append(shlex.join(["enunciate", *command[len(CLI):]]) + "   # made by an earlier run (--reuse)")
        else:
            run(command, log)
        folders.append(folder)
    run([*CLI, "bench", "joe", *map(str, folders), "--engines", "onnx,torch", "--threads", str(args.threads),
         "--rounds", str(args.rounds), "--batch", "1", "--out", str(OUT)], log)
    run([*CLI, "eval", "--voices", ",".join(["joe", "joe-torch", *map(str, folders)]), "--against", "joe", "--mos",
         "--asr", args.asr, "--limit", str(args.sentences), "--threads", str(args.threads),
         "--json", str(OUT / "eval.json"), "--markdown", str(OUT / "eval.md")], log)
    return write_summary(log, args, folders)


def write_summary(log: list[str], args, folders: list[Path], command: str | None = None) -> int:
    """torch_quant.{json,md} from the bench and eval files in OUT and the variants' voice.json."""
    table = rows(OUT)
    machine = json.loads((OUT / "bench.json").read_text())["machine"]
    metrics = {f.name: json.loads((f / "voice.json").read_text()).get("metrics", {}) for f in folders}
    summary = RESULTS / "torch_quant.json"
    record = {"command": command or shlex.join(["python", *sys.argv]), "commands": log, "rows": table,
              "metrics": metrics, "machine": machine, "gpu_pending": GPU_COMMAND}
    summary.write_text(json.dumps(record, indent=1) + "\n")
    text = markdown(table, machine, args, log, metrics)
    summary.with_suffix(".md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
