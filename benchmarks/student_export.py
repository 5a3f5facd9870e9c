"""What the student's int8 export costs, and which quantization keeps its quality.

The student (`enunciate train student`) is exported to ONNX with its MatMuls quantized dynamically,
as heart's are. This script exports one checkpoint several ways and measures, side by side in one
run: DistillMOS over dev-set sentences (never trained on; each variant against the float export,
paired, the same DSP noise seed per sentence) and the network's time per output frame on the CPU
(the DSP after it is the same for all), heart's network timed in the same rounds.

    python benchmarks/student_export.py out/heart-student-6k.train/checkpoint-0006000.pt --limit 16

Writes benchmarks/results/student_export.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from student_ablation import PARTS, load_student  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def variants(model, folder: Path) -> dict[str, Path]:
    """The float export and its quantized versions, each an ONNX file in `folder`."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from enunciate.train.student_onnx import QUANTIZATIONS, export_onnx

    paths = {"float32": export_onnx(model, folder / "float32.onnx", quantization=None)}
    for name in QUANTIZATIONS:
        paths[name] = export_onnx(model, folder / f"{name}.onnx", quantization=name)
    # for reference: every MatMul per channel but the last layer's, which stays float
    head = [n.name for n in __import__("onnx").load(str(paths["float32"])).graph.node
            if n.op_type == "MatMul" and "head" in n.name]
    quantize_dynamic(str(paths["float32"]), str(folder / "no-head.onnx"), op_types_to_quantize=["MatMul"],
                     weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=head)
    paths["int8 per channel, head float"] = folder / "no-head.onnx"
    return paths


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint", help="a student run's checkpoint-*.pt")
    parser.add_argument("--limit", type=int, default=16, help="dev-set sentences")
    parser.add_argument("--rounds", type=int, default=5, help="timing rounds (each times every variant once)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--name", default="student_export")
    args = parser.parse_args(argv)

    import onnxruntime as ort
    import torch
    from tqdm import tqdm

    from enunciate.evaluate.command import DEFAULT_TERMS
    from enunciate.evaluate.mos import distillmos_score
    from enunciate.evaluate.stats import bootstrap_ci
    from enunciate.hardware import cpu_info, describe
    from enunciate.evaluate.terms import load_term_set
    from enunciate.options import SpeakOptions, VoiceSpec
    from enunciate.pipeline import Report, plan
    from enunciate.voices import hibari_dsp

    torch.set_num_threads(args.threads)
    heart = VoiceSpec("heart", threads=args.threads).load()
    model, step = load_student(Path(args.checkpoint))
    texts = [item.text for item in load_term_set(DEFAULT_TERMS)][:args.limit]
    chunks = [c.phonemes for t in texts for c in plan(t, SpeakOptions(markup="plain"), heart, Report())]
    feeds = [heart.feeds(c) for c in chunks]
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = args.threads, 1
    heart_session = heart.engine.sess  # heart's network as the voice runs it, at the same thread count
    with tempfile.TemporaryDirectory() as tmp:
        paths = variants(model, Path(tmp))
        sizes = {name: p.stat().st_size for name, p in paths.items()}
        sessions = {name: ort.InferenceSession(str(p), options, providers=["CPUExecutionProvider"])
                    for name, p in paths.items()}
        mos = {name: [] for name in sessions}
        for i, feed in enumerate(tqdm(feeds, desc="DistillMOS", unit="chunk")):
            for name, session in sessions.items():
                out = dict(zip([o.name for o in session.get_outputs()], session.run(None, feed)))
                audio = hibari_dsp.synth(*[out[k][0] for k in PARTS], np.random.default_rng([0, i]), 1, None)
                mos[name].append(distillmos_score(np.asarray(audio, np.float32), heart.sample_rate))
        timed = {name: [] for name in ["heart", *sessions]}
        frames = {}
        for _ in tqdm(range(args.rounds), desc="timing", unit="round"):
            for name, session in [("heart", heart_session), *sessions.items()]:
                t0 = time.perf_counter()
                total = 0
                for feed in feeds:
                    out = session.run(["f0"], feed)[0]
                    total += out.shape[-1]
                timed[name].append((time.perf_counter() - t0) / total * 1e6)
                frames[name] = total
    base = np.asarray(mos["float32"])
    rows = []
    for name in ["heart", *sessions]:
        row = {"variant": name, "us_per_frame": round(float(np.median(timed[name])), 2),
               "us_per_frame_rounds": [round(v, 2) for v in timed[name]], "frames": frames[name]}
        if name in mos:
            values = np.asarray(mos[name])
            low, high = bootstrap_ci(values - base) if name != "float32" else (0.0, 0.0)
            row |= {"bytes": sizes[name], "distillmos": round(float(values.mean()), 3),
                    "vs_float32": round(float((values - base).mean()), 3), "ci95": [round(low, 3), round(high, 3)],
                    "values": [round(float(v), 3) for v in values]}
        rows.append(row)
    result = {"command": shlex.join(["python", *sys.argv]), "checkpoint": args.checkpoint, "step": step,
              "machine": cpu_info(), "threads": args.threads, "chunks": len(feeds), "rounds": args.rounds, "rows": rows}
    (RESULTS / f"{args.name}.json").write_text(json.dumps(result, indent=1) + "\n")
    heart_us = rows[0]["us_per_frame"]
    lines = [f"# The student's export: quantization against quality (step {step})", "",
             f"`{result['command']}`; {describe(args.threads)}. DistillMOS over {len(feeds)} "
             "chunks of dev-set sentences (never trained on), against the float export, paired, 95% bootstrap "
             f"interval; network time per 12.5 ms frame, median of {args.rounds} rounds run side by side (the DSP "
             "after the network, the same for all, is not in it).", "",
             "| export | file | DistillMOS | vs float32 | network us/frame | vs heart's network |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        if r["variant"] == "heart":
            lines.append(f"| heart's network (int8 MatMuls) | | | | {r['us_per_frame']:.1f} | 1.00x |")
            continue
        lines.append(f"| {r['variant']} | {r['bytes'] / 1e6:.2f} MB | {r['distillmos']:.2f} | {r['vs_float32']:+.2f} "
                     f"[{r['ci95'][0]:+.2f}, {r['ci95'][1]:+.2f}] | {r['us_per_frame']:.1f} | "
                     f"{r['us_per_frame'] / heart_us:.2f}x |")
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
