"""`enunciate make-dataset` and `enunciate finetune`: parse, call the API in this package, print.
Nothing heavy (torch, transformers, peft) is imported until a command runs.

    enunciate make-dataset --voice heart --texts corpus.txt -o data/heart --augment-terms 500
    enunciate make-dataset --voice heart --texts corpus.txt -o /shared/heart --executor ray --workers 16
    enunciate finetune joe data/heart -o ./joe-tuned --lora --steps 2000
    enunciate finetune ./speecht5 data/terms -o ./t5-terms --lora --int8 --prune 0.3
    enunciate train student --teacher heart --texts corpus.txt -o ./heart-student --steps 6000
"""
from __future__ import annotations

import argparse
import shlex
import sys


def _shrink(text: str) -> float | None:
    """--f0-shrink: auto (None: estimated at export) or a factor in (0, 1]."""
    if text.strip().lower() == "auto":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected auto or a factor in (0, 1], got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected auto or a factor in (0, 1], got {value}")
    return value


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "make-dataset", help="render a teacher dataset (LJSpeech layout + phonemes, durations, F0), resumable",
        description="Speak every line of a corpus (and --augment-terms sentences built from the technical lexicon) "
                    "with a voice through enunciate's frontend, into DIR/wavs, DIR/metadata.csv and "
                    "DIR/manifest.jsonl, on local worker processes or Ray actors (the batch engine). Rerun the same "
                    "command to resume after a kill. See docs/training.md.")
    p.add_argument("--voice", required=True, help="the teacher voice: a name or a voice folder")
    p.add_argument("--texts", required=True, metavar="CORPUS", help="a UTF-8 text file, one sentence a line")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="the dataset folder (made if missing)")
    p.add_argument("--limit", type=int, metavar="N", help="at most N corpus lines")
    p.add_argument("--augment-terms", type=int, default=0, metavar="K",
                   help="K extra sentences, each a technical-lexicon term in a template (default 0)")
    p.add_argument("--seed", type=int, default=0, help="noise seed of the clips and the augmentation (default 0)")
    p.add_argument("--speed", type=float, default=1.0, help="0.5 .. 2.0 (default 1.0)")
    p.add_argument("--lexicon", action="append", metavar="TSV", help="user lexicon, searched first; repeatable")
    p.add_argument("--threads", type=int, help="CPU threads per worker (default: the cores shared among them)")
    p.add_argument("--executor", default="local", choices=("local", "ray"),
                   help="local worker processes (default), or Ray actors (pip install 'enunciate[ray]')")
    p.add_argument("--workers", type=int, default=1, help="local processes, or Ray actors (default 1)")
    p.add_argument("--ray-address", metavar="ADDRESS",
                   help="the Ray cluster: auto or ray://host:10001; default: Ray on this machine")
    p.add_argument("--num-cpus", type=float, default=1, help="CPUs per Ray actor (default 1; also its threads)")
    p.set_defaults(func=cmd_make_dataset)

    p = subparsers.add_parser(
        "finetune", help="fine-tune joe (Piper VITS) or a SpeechT5 folder on a dataset, full or LoRA",
        description="Train VOICE on DATA (an LJSpeech or LibriTTS folder, or a make-dataset folder) and write the "
                    "result as the voice folder FOLDER. Checkpoints go to FOLDER.train/ (rerun to resume); with "
                    "--lora the adapter alone is saved there too (adapter/). See docs/training.md.")
    p.add_argument("voice", help="joe (or a Piper voice folder), or a SpeechT5 folder")
    p.add_argument("data", help="the dataset folder")
    p.add_argument("-o", "--output", required=True, metavar="FOLDER", help="the new voice folder")
    p.add_argument("--lora", action="store_true", help="train LoRA adapters (peft) instead of every weight")
    p.add_argument("--steps", type=int, default=1000, help="training steps in all (default 1000)")
    p.add_argument("--batch-size", type=int, default=8, help="items per step (default 8)")
    p.add_argument("--lr", type=float, help="learning rate (default: VITS 1e-4, or 5e-4 with --lora; "
                                            "SpeechT5 1e-5, or 1e-4 with --lora)")
    p.add_argument("--rank", type=int, default=8, help="LoRA rank (default 8)")
    p.add_argument("--alpha", type=int, default=16, help="LoRA alpha (default 16)")
    p.add_argument("--checkpoint-every", type=int, default=100, metavar="N", help="steps between checkpoints")
    p.add_argument("--run-dir", metavar="DIR", help="where checkpoints and the log go (default FOLDER.train)")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"), help="cpu (default) or cuda")
    p.add_argument("--seed", type=int, default=0, help="the seed every batch and noise draw derives from")
    p.add_argument("--segment-frames", type=int, default=32,
                   help="VITS: latent frames decoded per item and step (default 32 = 8192 samples)")
    p.add_argument("--discriminator-width", type=float, default=1.0,
                   help="VITS: channel multiplier of the discriminators (default 1.0, as published)")
    p.add_argument("--warmup-steps", type=int, default=200,
                   help="VITS: first steps in which only the parts built from scratch train (default 200)")
    p.add_argument("--posterior-prefit", type=int, default=0, metavar="N",
                   help="VITS: first N steps fit the new posterior encoder to the latents the parent's own "
                        "inference makes from the dataset's texts (default 0)")
    p.add_argument("--freeze-durations", action="store_true",
                   help="VITS: keep the parent's timing (text encoder and duration predictor), adapt the rest")
    p.add_argument("--freeze-decoder", action="store_true",
                   help="VITS: keep the parent's HiFi-GAN decoder (and train no discriminators); adapt the latents")
    p.add_argument("--skip-bad-rows", action="store_true",
                   help="pass over rows whose audio or transcript is refused (logged) instead of stopping")
    p.add_argument("--mlflow", nargs="?", const="", metavar="URI",
                   help="log the run to MLflow (default store ./mlruns; pip install 'enunciate[track]')")
    p.add_argument("--int8", action="store_true",
                   help="SpeechT5: also write FOLDER-int8 (quantize_dynamic on every nn.Linear)")
    p.add_argument("--prune", type=float, metavar="AMOUNT",
                   help="SpeechT5: also write FOLDER-pruned (l1_unstructured AMOUNT, e.g. 0.3, on every nn.Linear)")
    p.add_argument("--force", action="store_true", help="replace existing output folders")
    p.set_defaults(func=cmd_finetune)

    p = subparsers.add_parser("train", help="train a new model: `train student` distils a small student of heart",
                              description="Train a new voice from a teacher. See docs/training.md.")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True)
    s = kinds.add_parser(
        "student", help="distil a smaller network with heart's interface from heart's frame parameters",
        description="Render the teacher's frame parameters for the corpus (cached, resumable; dev-set sentences "
                    "left out), train a student on them and export it as the voice folder FOLDER (ONNX, heart's "
                    "interface and DSP). Checkpoints go to FOLDER.train/. See docs/training.md.")
    s.add_argument("--teacher", default="heart", help="a hibari-family voice (default heart)")
    s.add_argument("--texts", required=True, nargs="+", metavar="CORPUS", help="UTF-8 text files, one sentence a line")
    s.add_argument("-o", "--output", required=True, metavar="FOLDER", help="the new voice folder")
    s.add_argument("--augment-terms", type=int, default=0, metavar="K",
                   help="K extra sentences, each a technical-lexicon term in a template (default 0)")
    s.add_argument("--steps", type=int, default=6000, help="training steps in all (default 6000)")
    s.add_argument("--batch-size", type=int, default=16, help="clips per step (default 16)")
    s.add_argument("--segment-frames", type=int, default=96, help="frames scored per clip and step (default 96)")
    s.add_argument("--lr", type=float, help="peak learning rate (default 1e-3; warm-up, then cosine to a tenth)")
    s.add_argument("--text-dim", type=int, default=128, help="token-rate width (default 128)")
    s.add_argument("--frame-dim", type=int, default=160, help="frame-rate width (default 160)")
    s.add_argument("--frame-layers", type=int, default=4, help="blocks at the frame rate (default 4)")
    s.add_argument("--head-rank", type=int, default=80, help="bottleneck before the output layer (default 80)")
    s.add_argument("--context-layers", type=int, default=0, metavar="N",
                   help="dilated token blocks (dilation 2, 4, 8, ...) for sentence-wide context (default 0)")
    s.add_argument("--checkpoint-every", type=int, default=200, metavar="N", help="steps between checkpoints")
    s.add_argument("--frames-dir", metavar="DIR", help="where the teacher's frames are cached (default FOLDER.train/"
                                                       "teacher; share it between runs)")
    s.add_argument("--quantization", choices=("int8-per-channel", "int8", "none"), default="int8-per-channel",
                   help="the export's MatMuls: int8 with a scale per output column (default), int8 with one per "
                        "matrix (as heart's), or none (float32)")
    s.add_argument("--fp32", action="store_true", help="the same as --quantization none")
    s.add_argument("--resume", action="store_true", help="continue the run in FOLDER.train from its newest checkpoint")
    s.add_argument("--warm-start", metavar="CHECKPOINT",
                   help="start from another student run's checkpoint, or from a student's voice folder (its "
                        "weights recovered from its ONNX file, int8 dequantized) (same widths; a larger --head-rank "
                        "or --context-layers grows the student, what is new starting silent); the step count and "
                        "schedule start afresh")
    s.add_argument("--relative-floor", type=float, metavar="NATS",
                   help="magnitude loss: count each frame only down to its loudest bin less NATS (default: down to "
                        "-12 nats everywhere)")
    s.add_argument("--f0-weight", type=float, default=1.0, help="weight of the F0 loss beside the others (default 1)")
    s.add_argument("--spectral-weight", type=float, default=2.0, metavar="W",
                   help="weight of the rendered sound's multi-resolution STFT loss (heart's DSP in torch; default 2, "
                        "0 turns it off and halves the step time)")
    s.add_argument("--adversarial-weight", type=float, default=0.0, metavar="W",
                   help="weight of HiFi-GAN's discriminators on the rendered sound (least squares and feature "
                        "matching; default 0: none)")
    s.add_argument("--mos-weight", type=float, default=0.0, metavar="W",
                   help="also raise the predicted MOS of the rendered sound, at weight W (the listener is frozen; "
                        "default 0; docs/training.md)")
    s.add_argument("--mos-cap", action="store_true",
                   help="with --mos-weight: count only how far each crop's score falls under heart's score of "
                        "the same crop, so sounding past the teacher earns nothing")
    s.add_argument("--listener", default="distillmos", metavar="NAME[,NAME]",
                   help="with --mos-weight: who listens, distillmos (default), dnsmos (DNSMOS P.835 OVRL) or both "
                        "(distillmos,dnsmos, each at the weight); one left out can judge the student unheard")
    s.add_argument("--discriminator-width", type=float, default=0.1,
                   help="their channels, times HiFi-GAN's (default 0.1)")
    s.add_argument("--f0-shrink", type=_shrink, default=1.0, metavar="K|auto",
                   help="the export pulls each sentence's F0 toward its mean log F0 by K in (0, 1]; auto takes the "
                        "least-squares slope of the teacher's F0 on the student's over the validation clips; default "
                        "1: the F0 as predicted (pulling it measured no gain on unseen sentences; docs/training.md)")
    s.add_argument("--device", default="cpu", choices=("cpu", "cuda"), help="cpu (default) or cuda")
    s.add_argument("--threads", type=int, help="torch and teacher threads (default: torch's choice)")
    s.add_argument("--seed", type=int, default=0, help="the seed every batch derives from")
    s.add_argument("--mlflow", nargs="?", const="", metavar="URI",
                   help="log the run to MLflow (default store ./mlruns; pip install 'enunciate[track]')")
    s.add_argument("--force", action="store_true", help="replace an existing output folder")
    s.set_defaults(func=cmd_train_student)


def cmd_make_dataset(args) -> int:
    from ..options import VoiceSpec
    from .make_dataset import make_dataset

    result = make_dataset(VoiceSpec(args.voice, threads=args.threads), args.texts, args.output, limit=args.limit,
                          augment_terms=args.augment_terms, seed=args.seed, speed=args.speed,
                          lexicons=tuple(args.lexicon or ()), progress=sys.stderr.isatty(), executor=args.executor,
                          workers=args.workers, ray_address=args.ray_address, num_cpus=args.num_cpus)
    resumed = (f"; resumed: {result.kept} rows kept, {result.dropped} dropped, {result.removed_files} stray files "
               "removed" if result.kept or result.dropped or result.removed_files else "")
    print(f"{result.out}: {result.rows} clips ({result.rendered} rendered now, {result.audio_s:.1f} s of audio)"
          f"{resumed}; F0 {'stored' if result.f0 else 'not exposed by this voice'}")
    return 0


def cmd_finetune(args) -> int:
    from ..errors import EnunciateError
    from ..voices.registry import resolve
    from .finetune import TrainOptions, finetune

    if (args.int8 or args.prune is not None) and resolve(args.voice).family != "speecht5":
        raise EnunciateError("--int8 and --prune apply to SpeechT5 folders; for joe use `enunciate optimize`")
    options = TrainOptions(steps=args.steps, batch_size=args.batch_size, learning_rate=args.lr, lora=args.lora,
                           lora_rank=args.rank, lora_alpha=args.alpha, checkpoint_every=args.checkpoint_every,
                           seed=args.seed, device=args.device, segment_frames=args.segment_frames,
                           discriminator_width=args.discriminator_width, posterior_warmup_steps=args.warmup_steps,
                           posterior_prefit_steps=args.posterior_prefit,
                           freeze_durations=args.freeze_durations, freeze_decoder=args.freeze_decoder,
                           skip_bad_rows=args.skip_bad_rows, mlflow=args.mlflow, progress=sys.stderr.isatty())
    result = finetune(args.voice, args.data, args.output, options, run_dir=args.run_dir, force=args.force)
    train = result.train
    first, last = train.first.get("loss"), train.last.get("loss")
    losses = f"; loss {first:.4f} -> {last:.4f}" if first is not None and last is not None else ""
    resumed = f" (resumed at step {train.start_step})" if train.start_step else ""
    print(f"{result.voice.folder}: {result.voice.provenance.method} of {result.voice.provenance.parent}, "
          f"{train.steps} steps{resumed}{losses}, {train.seconds:.0f} s; checkpoints in {train.run_dir}")
    if result.adapter:
        print(f"adapter: {result.adapter}")
    if result.mlflow_run:
        print(f"MLflow run: {result.mlflow_run}")
    if result.voice.family == "piper":
        mix = ["enunciate", "voices", "mix", args.voice, str(result.voice.folder), "--weights", "0.5",
               "-o", f"{result.voice.folder}-half"]
        print(f"at part strength (similarity traded for quality): {shlex.join(mix)}")
    if args.int8 or args.prune is not None:
        from .speecht5 import prune_folder, quantize_folder

        folder = result.voice.folder
        if args.int8:
            variant = quantize_folder(str(folder), f"{args.output}-int8", force=args.force)
            print(f"{variant.folder}: quantize_dynamic on Linear ({variant.metrics.get('quantized_tensors')} tensors)")
        if args.prune is not None:
            variant = prune_folder(str(folder), f"{args.output}-pruned", args.prune, force=args.force)
            print(f"{variant.folder}: l1_unstructured {args.prune} on Linear "
                  f"(sparsity {variant.metrics.get('pruned_sparsity')})")
    return 0


def cmd_train_student(args) -> int:
    from .finetune import TrainOptions
    from .student import StudentConfig, StudentLoss, distil_student

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    options = TrainOptions(steps=args.steps, batch_size=args.batch_size, learning_rate=args.lr,
                           checkpoint_every=args.checkpoint_every, seed=args.seed, device=args.device,
                           segment_frames=args.segment_frames, mlflow=args.mlflow, progress=sys.stderr.isatty())
    config = StudentConfig(text_dim=args.text_dim, frame_dim=args.frame_dim, frame_layers=args.frame_layers,
                           head_rank=args.head_rank, context_layers=args.context_layers)
    result = distil_student(args.teacher, args.texts, args.output, options, config, augment_terms=args.augment_terms,
                            frames_dir=args.frames_dir, resume=args.resume, force=args.force, threads=args.threads,
                            quantization=None if args.fp32 or args.quantization == "none" else args.quantization,
                            warm_start=args.warm_start,
                            loss=StudentLoss(relative_floor=args.relative_floor, f0_weight=args.f0_weight,
                                             spectral_weight=args.spectral_weight,
                                             adversarial_weight=args.adversarial_weight,
                                             discriminator_width=args.discriminator_width,
                                             mos_weight=args.mos_weight, mos_cap=args.mos_cap,
                                             listener=args.listener),
                            f0_shrink=args.f0_shrink)
    train, voice = result.train, result.voice
    first, last = train.first.get("loss"), train.last.get("loss")
    losses = f"; loss {first:.4f} -> {last:.4f}" if first is not None and last is not None else ""
    resumed = f" (resumed at step {train.start_step})" if train.start_step else ""
    print(f"{voice.folder}: student of {voice.provenance.parent}, {voice.metrics['parameters']} parameters, "
          f"{voice.metrics['onnx_bytes'] / 1e6:.2f} MB; {result.rendered.clips} teacher clips "
          f"({result.rendered.held_out} dev-set lines left out); {train.steps} steps{resumed}{losses}, "
          f"{train.seconds:.0f} s; checkpoints in {train.run_dir}")
    if result.mlflow_run:
        print(f"MLflow run: {result.mlflow_run}")
    return 0
