"""The student's adversarial phase on a lent GPU, inside one device call: the teacher's frames are
made there from staged rows, a short probe times a step, and the student trains for what is left of
the time budget; its voice folder, a weights-only checkpoint and the step log come back.

A lent machine has no package index, a call carries at most 64 MiB with the tree and may run 10
minutes, and a task gets 15 minutes of device time in all. So nothing large travels: the rows of
heart's frame cache (phonemes and token ids, no frames) and the hibari-tts wheel (the teacher's
network) are staged here; there, heart's network remakes the 4 GB of frames on the CPU cores.

Here, once (the rows come from the frame cache of the CPU runs, `train_student.py`):

    python benchmarks/gpu_student.py stage --frames out/student/frames --texts out/student_corpus.txt \\
        --augment-terms 1200

There (the device tool's command; --budget-s counts from the start, rendering included):

    python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/hibari_tts-*.whl && \\
        PYTHONPATH=/tmp/site:src python3 benchmarks/gpu_student.py run --device cuda --budget-s 420 --out $OUT

Back here, the returned folder is judged like every student:

    enunciate eval --voices heart,benchmarks/results/student,RETURNED/heart-student-gpu \\
        --against benchmarks/results/student --mos --asr base --terms benchmarks/data/dev61_82.tsv --threads 2

The run's settings are the ones docs/training.md gives for the GPU ("Training it properly"): from
the committed student, batch 32, 128-frame crops, lr 5e-4, spectral weight 2, F0 weight 3, HiFi-GAN's
discriminators at half width and weight 0.1. On the CPU the same command is a smoke test:
`run --device cpu --limit 24 --budget-s 120 --batch-size 4 --segment-frames 32 --out out/gpu_student_cpu`.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGE = ROOT / ".gpu" / "student"
WHEELS = ROOT / ".whl"
WARM_START = ROOT / "benchmarks" / "results" / "student"
_voice = None


def stage(args) -> None:
    """rows.jsonl (the frame cache's index), corpus.txt and stage.json into .gpu/student; the
    hibari-tts wheel into .whl (both git-ignored; name them in the device call's carry)."""
    from importlib.metadata import version

    from enunciate.train.make_dataset import augmentation_sentences, corpus_sentences
    from enunciate.train.teacher_frames import dev_texts

    texts = {f"c0-{s.id}": s.text for s in corpus_sentences(args.texts)}
    texts |= {s.id: s.text for s in augmentation_sentences(args.augment_terms, 0)}
    rows = [line for line in (args.frames / "index.jsonl").read_text(encoding="utf-8").splitlines()
            if texts.get((row := json.loads(line))["id"].rsplit("-", 1)[0]) == row["text"]]
    cached = {json.loads(line)["id"].rsplit("-", 1)[0] for line in rows}
    missing = [k for k, text in texts.items() if k not in cached and text.strip() not in dev_texts()]
    if missing:  # the GPU machine has no frontend to phonemize them
        sys.exit(f"{len(missing)} sentences of the corpus have no clip in {args.frames} (first: {missing[0]}); "
                 "render them first (`enunciate train student ... --frames-dir` with these texts)")
    STAGE.mkdir(parents=True, exist_ok=True)
    (STAGE / "rows.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    shutil.copyfile(args.texts, STAGE / "corpus.txt")
    (STAGE / "stage.json").write_text(json.dumps({"augment_terms": args.augment_terms, "rows": len(rows),
                                                  "frames": str(args.frames), "texts": str(args.texts)}) + "\n")
    hibari = f"hibari-tts=={version('hibari-tts')}"
    if not list(WHEELS.glob("hibari_tts-*.whl")):
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d",
                        str(WHEELS), hibari], check=True)
    size = sum(f.stat().st_size for f in [*STAGE.iterdir(), *WHEELS.glob("hibari_tts-*.whl")])
    print(f"staged {len(rows)} rows and {hibari}: {size / 2 ** 20:.1f} MiB to carry (.gpu/student, .whl)")


def _load_teacher() -> None:
    global _voice
    from enunciate.options import VoiceSpec

    _voice = VoiceSpec("heart", threads=1).load()


def _render_row(job: tuple[str, dict]) -> dict | None:
    from enunciate.train.teacher_frames import write_clip

    folder, row = job
    return write_clip(_voice, Path(folder), row["id"], row["text"], row["phonemes"])


def render(rows: list[dict], folder: Path, workers: int) -> dict:
    """The rows' frames remade by heart's network on `workers` processes into a frame cache at
    `folder`; counts the clips whose frame count or durations differ from the staged row's."""
    folder.mkdir(parents=True, exist_ok=True)
    started, made = time.perf_counter(), []
    with Pool(workers, initializer=_load_teacher) as pool:
        for row in pool.imap(_render_row, [(str(folder), r) for r in rows], chunksize=8):
            if row is not None:
                made.append(row)
    by_id = {r["id"]: r for r in rows}
    differ = sum(by_id[r["id"]]["frames"] != r["frames"] or by_id[r["id"]]["durations"] != r["durations"]
                 for r in made)
    (folder / "index.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in made),
                                        encoding="utf-8")
    return {"clips": len(made), "differ_from_staged": differ, "render_s": round(time.perf_counter() - started, 1)}


def train_for(args, steps: int, out: Path, corpus: Path, frames: Path, augment_terms: int):
    from enunciate.train.finetune import TrainOptions
    from enunciate.train.student import StudentLoss, distil_student, read_checkpoint

    config, _, _ = read_checkpoint(WARM_START)
    options = TrainOptions(steps=steps, batch_size=args.batch_size, learning_rate=args.lr, device=args.device,
                           segment_frames=args.segment_frames, checkpoint_every=args.checkpoint_every)
    loss = StudentLoss(spectral_weight=2.0, f0_weight=3.0, adversarial_weight=args.adversarial_weight,
                       discriminator_width=args.discriminator_width)
    return distil_student("heart", [corpus], out, options, config, augment_terms=augment_terms,
                          frames_dir=frames, force=True, warm_start=WARM_START, loss=loss,
                          command="benchmarks/gpu_student.py run " + " ".join(sys.argv[2:]))


def seconds_per_step(run_dir: Path, skip: int) -> float:
    """The mean step time after the first `skip` steps (warm-up, autotuning), from log.jsonl."""
    seconds = [json.loads(line)["seconds"] for line in (run_dir / "log.jsonl").read_text().splitlines()]
    return sum(seconds[skip:]) / len(seconds[skip:])


def run(args) -> None:
    import torch

    started = time.perf_counter()
    work = Path(args.work)
    rows = [json.loads(line) for line in (STAGE / "rows.jsonl").read_text(encoding="utf-8").splitlines()]
    staged = json.loads((STAGE / "stage.json").read_text())
    corpus = STAGE / "corpus.txt"
    if args.limit:  # a smoke test: the first corpus lines and the clips they gave, no augmentation
        from enunciate.train.make_dataset import corpus_sentences

        work.mkdir(parents=True, exist_ok=True)
        corpus = work / "corpus.txt"
        lines = (STAGE / "corpus.txt").read_text(encoding="utf-8").splitlines()[:args.limit]
        corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
        wanted = {f"c0-{s.id}" for s in corpus_sentences(corpus)}
        rows = [r for r in rows if r["id"].rsplit("-", 1)[0] in wanted]
    # the frames first: the worker processes fork before CUDA is initialised
    rendered = render(rows, work / "frames", args.workers or max(1, (os.cpu_count() or 2) - 2))
    summary = {"device": torch.cuda.get_device_name() if args.device == "cuda" else args.device,
               "torch": torch.__version__, "budget_s": args.budget_s, **rendered}
    print(json.dumps(summary), flush=True)
    augment = 0 if args.limit else staged["augment_terms"]
    probe = train_for(args, args.probe_steps, work / "heart-student-probe", corpus, work / "frames", augment)
    per_step = seconds_per_step(Path(str(probe.voice.folder) + ".train"), skip=args.probe_steps // 2)
    spent = time.perf_counter() - started
    steps = max(args.probe_steps, int((args.budget_s - spent - args.export_s) / per_step))
    summary.update(probe_s_per_step=round(per_step, 4), steps=steps, started_training_at_s=round(spent, 1))
    print(json.dumps(summary), flush=True)
    result = train_for(args, steps, work / "heart-student-gpu", corpus, work / "frames", augment)
    out = Path(args.out)
    shutil.copytree(result.voice.folder, out / "heart-student-gpu", dirs_exist_ok=True)
    run_dir = Path(str(result.voice.folder) + ".train")
    shutil.copyfile(run_dir / "log.jsonl", out / "log.jsonl")
    from enunciate.train.finetune import checkpoints

    state = torch.load(checkpoints(run_dir)[0], map_location="cpu", weights_only=False)
    slim = {"format": state["format"], "step": state["step"], "config": state["config"],
            "trainer": {"model": state["trainer"]["model"]}}   # no optimizer or discriminators: 16 MiB a file
    torch.save(slim, out / "student.pt")
    summary.update(total_s=round(time.perf_counter() - started, 1), last=result.train.last)
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps(summary), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    s = sub.add_parser("stage", help="here: the rows and the wheel the GPU call carries")
    s.add_argument("--frames", type=Path, default=Path("out/student/frames"))
    s.add_argument("--texts", type=Path, default=Path("out/student_corpus.txt"))
    s.add_argument("--augment-terms", type=int, default=1200)
    r = sub.add_parser("run", help="there: render the frames, probe, train, bring back the voice")
    r.add_argument("--device", default="cuda")
    r.add_argument("--budget-s", type=float, default=420)
    r.add_argument("--export-s", type=float, default=45, help="kept back for the ONNX export at the end")
    r.add_argument("--out", required=True)
    r.add_argument("--work", default="/tmp/gpu_student")
    r.add_argument("--workers", type=int, default=0, help="processes rendering frames (default: cores - 2)")
    r.add_argument("--limit", type=int, default=0, help="smoke test: only the first N corpus lines")
    r.add_argument("--probe-steps", type=int, default=40)
    r.add_argument("--batch-size", type=int, default=32)
    r.add_argument("--segment-frames", type=int, default=128)
    r.add_argument("--lr", type=float, default=5e-4)
    r.add_argument("--adversarial-weight", type=float, default=0.1)
    r.add_argument("--discriminator-width", type=float, default=0.5)
    r.add_argument("--checkpoint-every", type=int, default=500)
    args = parser.parse_args(argv)
    stage(args) if args.verb == "stage" else run(args)


if __name__ == "__main__":
    main()
