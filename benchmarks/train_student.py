"""The distilled student's corpus, its training curves and its results table (benchmarks/results/student.*).

    python benchmarks/train_student.py corpus out/student_corpus.txt
    python benchmarks/train_student.py packages out/package_corpus.txt [PER_PACKAGE (default 40)]
    python benchmarks/train_student.py docstrings out/docstring_corpus.txt [SENTENCES (default 6000)]
    enunciate train student --teacher heart --texts out/student_corpus.txt --augment-terms 1600 \\
        -o out/heart-student --steps 6000 --threads 1
    python benchmarks/train_student.py curves out/heart-student.train/log.jsonl benchmarks/results/student.png
    python benchmarks/train_student.py macs heart out/heart-student
    python benchmarks/train_student.py summary benchmarks/results/student.json --voice out/heart-student \
        --bench out/student-bench/bench.json --eval out/student-eval.json

The corpus is the prose of README.md and docs/*.md (code blocks, tables and headings left out), one
sentence a line. `packages OUT` adds more varied technical English: the prose of the long descriptions
of the Python packages installed beside enunciate (their METADATA files, at most 40 sentences from
each, no links, handles or changelog lines), with the packages and versions read in OUT.json; it
depends on the environment (the Makefile pins it through constraints.txt). `docstrings OUT N` takes
N sentences, in equal shares, from the first paragraphs of the installed packages' docstrings. The
term sets in tests/data and the dev set are evaluation material and stay out (`enunciate train
student` also drops any line of the dev set).
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`(\"])")


def prose_sentences(path: Path) -> list[str]:
    """Sentences of a Markdown file's paragraphs: no code blocks, tables, headings or list markers."""
    out, fenced, para = [], False, []
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        stripped = line.strip()
        if fenced or stripped.startswith(("|", "#", "<", ">")):
            stripped = ""
        if stripped:
            para.append(re.sub(r"^([-*]|\d+\.)\s+", "", stripped))
            continue
        text = " ".join(para)
        para = []
        text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links: their words
        text = text.replace("**", "").replace("`", "")
        for sentence in SENTENCE_END.split(text):
            words = sentence.split()
            if 4 <= len(words) <= 40 and sentence[-1:] in ".!?:":
                out.append(sentence.strip())
    return out


def corpus(out: Path) -> None:
    sentences = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        sentences += prose_sentences(path)
    unique = list(dict.fromkeys(sentences))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(unique) + "\n", encoding="utf-8")
    print(f"{out}: {len(unique)} sentences")


NOT_PROSE = re.compile(r"https?://|<[^>]*>|__|@\w|#\d|\.\.\s|:\w+:|\bby @|\[|\]|\{|\}|=|\$|\\")


def package_corpus(out: Path, per_package: int = 40) -> None:
    """Sentences from the long descriptions of the installed Python packages (METADATA, Markdown or
    reST read as Markdown prose), at most `per_package` from each, with the sources in OUT.json."""
    import random
    import site
    import tempfile

    metadata = sorted({p for root in site.getsitepackages() for p in Path(root).glob("*.dist-info/METADATA")})
    sentences, sources = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in metadata:
            text = path.read_text(encoding="utf-8", errors="replace")
            body = Path(tmp) / "body.md"
            body.write_text(text.split("\n\n", 1)[1] if "\n\n" in text else "", encoding="utf-8")
            kept = [s for s in prose_sentences(body) if not NOT_PROSE.search(s) and sum(c.isalpha() for c in s)
                    > 0.7 * len(s)]
            kept = random.Random(path.parent.name).sample(kept, min(per_package, len(kept)))
            if kept:
                sources[path.parent.name.removesuffix(".dist-info")] = len(kept)
                sentences += kept
    unique = list(dict.fromkeys(sentences))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(unique) + "\n", encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps({"sentences": len(unique), "per_package": per_package,
                                                    "packages": sources}, indent=1) + "\n")
    print(f"{out}: {len(unique)} sentences from {len(sources)} packages")


def docstring_sentences(package: Path) -> list[str]:
    """The first paragraph of each module, class and function docstring under `package` (parsed, not
    imported), split into sentences; test files, parameter sections, examples and code-like sentences
    left out."""
    import ast

    out = []
    for path in sorted(package.rglob("*.py")):
        if "test" in path.name or any(part in ("tests", "test", "testing") for part in path.parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            doc = ast.get_docstring(node) or ""
            first = re.split(r"\n\s*\n", doc)[0]
            if re.search(r"^\s*(Parameters|Args|Returns|>>>)", first, re.M):
                continue
            for sentence in SENTENCE_END.split(" ".join(line.strip() for line in first.splitlines())):
                words = sentence.split()
                letters = sum(c.isalpha() for c in sentence)
                if (5 <= len(words) <= 35 and sentence.endswith(".") and not NOT_PROSE.search(sentence)
                        and not set("`*_") & set(sentence) and letters > 0.75 * len(sentence)):
                    out.append(sentence.strip())
    return list(dict.fromkeys(out))


def docstring_corpus(out: Path, total: int = 6000) -> None:
    """`total` sentences from the docstrings of the installed packages (each package's share equal,
    a package with fewer giving all it has; seeded), with the sources in OUT.json."""
    import random
    import site

    roots = [Path(r) for r in site.getsitepackages()]
    packages = sorted({p for r in roots for p in r.iterdir() if (p / "__init__.py").is_file()
                       and p.name != "enunciate" and not p.name.startswith("_")}, key=lambda p: p.name)
    found = {p.name: docstring_sentences(p) for p in packages}
    found = {name: random.Random(name).sample(s, len(s)) for name, s in found.items() if s}
    share, taken = {}, 0
    while taken < total and any(len(s) > share.get(n, 0) for n, s in found.items()):  # equal shares, water-filled
        for name, sentences in found.items():
            if taken < total and len(sentences) > share.get(name, 0):
                share[name] = share.get(name, 0) + 1
                taken += 1
    unique = list(dict.fromkeys(s for name, k in share.items() for s in found[name][:k]))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(unique) + "\n", encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps({"sentences": len(unique), "packages": share}, indent=1) + "\n")
    print(f"{out}: {len(unique)} sentences from the docstrings of {len(share)} packages")


STUDENT_LOSSES = ["loss", "duration", "lh", "ln", "lr", "theta", "phi", "f0", "spectral"]


def curves(log_path: Path, png: Path, keys: list[str] = STUDENT_LOSSES) -> None:
    """The training log's losses against the step (a moving mean), the total apart from its parts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in log_path.read_text(encoding="utf-8").splitlines()]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    window = max(1, len(rows) // 60)
    for key in keys:  # a phase of the run (a prefit) may log other losses: each curve has the steps it has
        points = [(r["step"], r[key]) for r in rows if key in r]
        if not points:  # a loss this run did not use
            continue
        steps, values = zip(*points)
        smooth = [sum(values[max(0, i - window + 1):i + 1]) / len(values[max(0, i - window + 1):i + 1])
                  for i in range(len(values))]
        (axes[0] if key == "loss" else axes[1]).plot(steps, smooth, label=key)
    val = [(r["step"], r["validation_loss"]) for r in rows if "validation_loss" in r]
    if val:
        axes[0].plot(*zip(*val), "o-", label="validation (held-back clips, whole)")
    for name, label in (("distillmos", "DistillMOS"), ("dnsmos", "DNSMOS OVRL")):
        listened = [(r["step"], r[name]) for r in rows if name in r]
        if not listened:  # --mos-weight: the listener's score of the crops goes beside the total
            continue
        twin = axes[0].twinx()
        steps, values = zip(*listened)
        twin.plot(steps, [sum(values[max(0, i - window + 1):i + 1]) / len(values[max(0, i - window + 1):i + 1])
                          for i in range(len(values))], color="tab:green", label=f"{label} of the crops")
        twin.set_ylabel(label)
        twin.legend(fontsize=8, loc="lower right")
    positive = all(r.get("loss", 1) > 0 for r in rows)
    for ax, title in zip(axes, ("total loss", "parts")):
        ax.set_xlabel("step")
        ax.set_yscale("log" if positive or ax is axes[1] else "linear")
        ax.set_title(title)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)
    print(png)


def macs(voice: str, sentence: str = "Install CUDA 12.4 and run kubectl get pods to check the cluster.") -> dict:
    """Multiply-adds of a hibari-family network on one sentence, per output frame: every MatMul,
    MatMulInteger, Gemm and Conv, from the shapes ONNX Runtime gives its inputs and outputs."""
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx.helper import make_tensor_value_info

    from enunciate.options import SpeakOptions, VoiceSpec
    from enunciate.pipeline import Report, plan

    loaded = VoiceSpec(voice, threads=1).load()
    phonemes = list(plan(sentence, SpeakOptions(markup="plain"), loaded, Report()))[0].phonemes
    model = onnx.load(loaded.engine.model_path)
    ops = [n for n in model.graph.node if n.op_type in ("MatMul", "MatMulInteger", "Gemm", "Conv")]
    inits = {i.name: list(i.dims) for i in model.graph.initializer}
    exposed = {o.name for o in model.graph.output} | set(inits)
    integer = onnx.TensorProto.UINT8, onnx.TensorProto.INT32  # MatMulInteger: uint8 activations, int32 out
    for n in ops:
        kinds = integer if n.op_type == "MatMulInteger" else (onnx.TensorProto.FLOAT,) * 2
        for name, kind in ((n.input[0], kinds[0]), (n.input[1], kinds[0]), (n.output[0], kinds[1])):
            if name not in exposed:
                exposed.add(name)
                model.graph.output.append(make_tensor_value_info(name, kind, None))
    runner = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in runner.get_outputs()]
    values = dict(zip(names, runner.run(None, loaded.feeds(phonemes))))
    shape = {k: list(np.shape(v)) for k, v in values.items()} | inits
    total = 0
    for n in ops:
        out = shape[n.output[0]]
        if n.op_type == "Conv":
            w = shape[n.input[1]]
            total += int(np.prod(out)) * int(np.prod(w[1:]))
        else:
            total += int(np.prod(out)) * shape[n.input[0]][-1]
    frames = int(np.shape(values["f0"])[-1])
    return {"voice": voice, "frames": frames, "macs": total, "macs_per_frame": round(total / frames)}


def summary(out: Path, voice: str, bench: Path, evals: list[Path]) -> None:
    """student.json: sizes and multiply-adds of heart and the student, the training log's first and
    last 50 steps and validation losses, the bench ratios (paired per sentence and round) and the evals."""
    import platform
    from dataclasses import asdict

    import numpy as np

    from enunciate.voices.folder import read_manifest

    manifest = read_manifest(voice)
    log = manifest.folder.with_name(manifest.folder.name + ".train") / "log.jsonl"
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]

    def mean_of(part):
        return {k: round(float(np.mean([r[k] for r in part if k in r])), 4) for k in STUDENT_LOSSES
                if any(k in r for r in part)}

    timed = json.loads(bench.read_text(encoding="utf-8"))
    heart, student = timed["variants"]
    rtf = [(np.asarray(v["latency_ms"]) / 1000 / np.asarray(v["audio_s"])) for v in (heart, student)]
    paired = rtf[1] / rtf[0]
    ttfa = np.asarray(student["ttfa_ms"]) / np.asarray(heart["ttfa_ms"])
    result = {
        "what": "enunciate train student: a student of heart with heart's ONNX interface, trained on heart's frames",
        "machine": {**timed["machine"], "platform": platform.platform()},
        "voice": {"folder": voice, "bytes": manifest.size_bytes, "provenance": asdict(manifest.provenance),
                  "metrics": manifest.metrics},
        "macs": [macs("heart"), macs(voice)],
        "training": {"steps": len(rows), "step_seconds_sum": round(sum(r["seconds"] for r in rows), 1),
                     "step_seconds_median": float(np.median([r["seconds"] for r in rows])),
                     "first_50_steps": mean_of(rows[:50]), "last_50_steps": mean_of(rows[-50:]),
                     "validation_loss": [[r["step"], r["validation_loss"]] for r in rows if "validation_loss" in r]},
        "bench": {"command": timed["command"], "heart": heart["summary"], "student": student["summary"],
                  "rtf_p50_ratio": student["summary"]["rtf_p50"] / heart["summary"]["rtf_p50"],
                  "paired_rtf_ratio_median": float(np.median(paired)),
                  "paired_rtf_ratio_quartiles": np.percentile(paired, [25, 75]).tolist(),
                  "paired_ttfa_ratio_median": float(np.median(ttfa)),
                  "audio_duration_ratio": float(np.sum(student["audio_s"]) / np.sum(heart["audio_s"]))},
        "eval": [],
    }
    for path in evals:
        judged = json.loads(path.read_text(encoding="utf-8"))
        result["eval"].append({"command": judged["command"], "engines": judged["engines"],
                               "against": judged.get("against")})
    out.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    print(out)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "summary":
        import argparse

        parser = argparse.ArgumentParser()
        parser.add_argument("out", type=Path)
        parser.add_argument("--voice", required=True)
        parser.add_argument("--bench", required=True, type=Path)
        parser.add_argument("--eval", nargs="+", type=Path, default=[])
        args = parser.parse_args(sys.argv[2:])
        summary(args.out, args.voice, args.bench, args.eval)
    elif len(sys.argv) == 3 and sys.argv[1] == "corpus":
        corpus(Path(sys.argv[2]))
    elif len(sys.argv) in (3, 4) and sys.argv[1] == "docstrings":
        docstring_corpus(Path(sys.argv[2]), *(int(a) for a in sys.argv[3:]))
    elif len(sys.argv) in (3, 4) and sys.argv[1] == "packages":
        package_corpus(Path(sys.argv[2]), *(int(a) for a in sys.argv[3:]))
    elif len(sys.argv) == 4 and sys.argv[1] == "curves":
        curves(Path(sys.argv[2]), Path(sys.argv[3]))
    elif len(sys.argv) >= 3 and sys.argv[1] == "macs":
        for name in sys.argv[2:]:
            print(json.dumps(macs(name)))
    else:
        sys.exit(__doc__)
