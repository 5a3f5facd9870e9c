"""`enunciate bench` and `enunciate report`: parse, call bench.run / report, print. Heavy imports wait
inside the handlers, so registering these subcommands costs `enunciate speak` nothing.

    enunciate bench heart joe ./joe-int8 --threads 2 --rounds 3 --out bench-out --report
    enunciate bench joe --engines torch --device cuda --batch 1,8,32 --out gpu-out --mlflow
    enunciate report bench-out/bench.json eval.json -o report/
"""
from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from pathlib import Path

from ..errors import EnunciateError


def _ints(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"batch sizes must be whole numbers of at least 1, got {text!r}")
    return values


def _engines(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


def add_parser(subparsers) -> None:
    """Register `bench` and `report` on the CLI's subparsers."""
    p = subparsers.add_parser(
        "bench", help="voices and variants side by side: latency, RTF, time to first audio, throughput, memory, size",
        description="Time voices and their variants side by side in one run, interleaved (each round runs every "
                    "variant on every text in turn). Prints a Markdown table; --out writes bench.json (every "
                    "sample), bench.csv and bench.md.")
    p.add_argument("voices", nargs="+", metavar="VOICE|FOLDER", help="voice names or voice folders")
    p.add_argument("--engines", type=_engines, metavar="LIST",
                   help="comma-separated: onnx, torch (default: each voice's default engine); a voice without an "
                        "engine is skipped for it")
    p.add_argument("--device", default="cpu", help="cpu or cuda[:N], for the torch engine (default cpu)")
    p.add_argument("--dtype", default="fp32", choices=("fp32", "bf16", "fp16"), help="torch engine precision")
    p.add_argument("--threads", type=int, default=2, help="CPU threads, fixed for every engine (default 2)")
    p.add_argument("--texts", metavar="FILE", help="sentences to time: one a line, or a term-set .tsv "
                                                   "(default: 8 dev-set sentences)")
    p.add_argument("--rounds", type=int, default=3, help="timed rounds (default 3)")
    p.add_argument("--warmup", type=int, default=1, help="untimed calls per variant first (default 1)")
    p.add_argument("--batch", type=_ints, default=(1, 8), metavar="SIZES",
                   help="batch sizes for throughput, engines with native batches only (default 1,8)")
    p.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    p.add_argument("--no-rss", action="store_true", help="skip peak RSS (one child process per variant)")
    p.add_argument("--out", metavar="DIR", help="write bench.json, bench.csv and bench.md here")
    p.add_argument("--report", action="store_true", help="also write the report (Markdown, HTML, plots) to "
                                                         "DIR/report")
    p.add_argument("--mlflow", action="store_true", help="log the run to MLflow (./mlruns unless --mlflow-uri)")
    p.add_argument("--mlflow-uri", metavar="URI", help="MLflow store: a folder or a tracking URI (implies --mlflow)")
    p.set_defaults(func=cmd_bench)

    p = subparsers.add_parser("report", help="bench (and eval) results -> Markdown + self-contained HTML with plots")
    p.add_argument("results", nargs="+", metavar="RESULTS.json",
                   help="bench.json files from `enunciate bench --out`, and optionally `enunciate eval --json` files")
    p.add_argument("-o", "--out", required=True, metavar="DIR", help="folder for report.md, report.html, *.png")
    p.add_argument("--title", default="enunciate: size, speed and quality of voices")
    p.add_argument("--no-plots", action="store_true", help="tables only (no matplotlib needed)")
    p.set_defaults(func=cmd_report)


def cmd_bench(args) -> int:
    from ..hardware import describe
    from .run import BenchConfig, read_texts, run

    mlflow = args.mlflow or args.mlflow_uri is not None
    if mlflow:
        from ..track import client

        client(args.mlflow_uri)  # MLflow missing or the store unusable: say so before the timing, not after
    if args.report and not args.out:
        raise EnunciateError("--report writes into --out DIR/report: give --out DIR")
    config = BenchConfig(tuple(args.voices), args.engines, args.device, args.dtype, args.threads,
                         read_texts(args.texts) if args.texts else (), args.rounds, args.warmup, args.batch,
                         args.seed, peak_rss=not args.no_rss)
    print(describe(args.threads), file=sys.stderr)
    command = shlex.join(getattr(args, "argv", None) or ["enunciate", *sys.argv[1:]])
    result = run(config, command, progress=lambda message: print(f"bench: {message}", file=sys.stderr))
    print(result.markdown())
    with tempfile.TemporaryDirectory(prefix="enunciate-bench-") as tmp:
        out = Path(args.out) if args.out else Path(tmp)
        files = result.write(out) if (args.out or mlflow) else []
        if args.out:
            print(f"wrote {', '.join(str(f) for f in files)}")
        if args.report:
            from ..report import build_report

            report = build_report([out / "bench.json"], out / "report")
            files.append(report.markdown.parent)
            print(f"wrote {report.html} and {report.markdown}")
        if mlflow:
            from ..track import log_run
            from .run import mlflow_records

            parent, children = mlflow_records(result, files)
            logged = log_run("enunciate-bench", parent, children, uri=args.mlflow_uri)
            print(f"MLflow: run {logged.run_id} in {logged.uri} (experiment enunciate-bench)")
    return 0


def cmd_report(args) -> int:
    from ..report import build_report

    files = build_report(args.results, args.out, plots=not args.no_plots, title=args.title)
    print(f"wrote {files.markdown}, {files.html}" + "".join(f", {p}" for p in files.images))
    return 0
