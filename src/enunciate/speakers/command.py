"""`enunciate clone`, `enunciate train-encoder` and `enunciate voices map`: parse, call
enunciate.speakers, print. Heavy imports wait inside the handlers, so registering these costs
`enunciate speak` nothing.

    enunciate clone me.wav more-of-me.flac --name me                 # into the voice store
    enunciate clone me.wav --name me -o ./me --device cuda --steps 300
    enunciate clone me.wav --name me --method cmaes --steps 15        # ONNX Runtime only
    enunciate train-encoder LibriTTS/train-clean-100 -o my-encoder --steps 20000
    enunciate voices map -o voices.png --ref me=me.wav
"""
from __future__ import annotations

import argparse
import shlex
import sys

from ..errors import EnunciateError


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {value}")
    return value


def _margin(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of DistillMOS points, got {text!r}") from None
    if not 0 <= value <= 5:
        raise argparse.ArgumentTypeError(f"expected a margin from 0 to 5 DistillMOS points, got {value}")
    return value


def add_parser(subparsers) -> None:
    """Register `clone` and `train-encoder`, and `map` under the existing `voices` command."""
    p = subparsers.add_parser(
        "clone", help="a Kokoro voice fitted to reference clips of one speaker (a voice folder)",
        description="Fit a Kokoro style to 30-90 s of one speaker's speech (WAV, FLAC, MP3 or OGG) and save it as a "
                    "voice folder: into the voice store under --name, or into -o FOLDER. The gradient method runs "
                    "the PyTorch Kokoro (about 10 s a step per fit sentence on 2 CPU cores, a fraction of a second "
                    "on a GPU); cmaes needs only ONNX Runtime. See docs/clone.md.")
    p.add_argument("references", nargs="+", metavar="REF", help="reference clips of one speaker")
    p.add_argument("--name", required=True, help="the voice's name (letters, digits, . _ + -)")
    p.add_argument("-o", "--output", metavar="FOLDER", help="write the voice folder here instead of the voice store")
    p.add_argument("--method", choices=("gradient", "cmaes"), default="gradient")
    p.add_argument("--steps", type=_positive, help="gradient steps (default 60) or CMA-ES generations (default 12)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="cpu or cuda[:N] (gradient method)")
    p.add_argument("--init", choices=("best", "mean"), default="best",
                   help="start from the most similar Japanese pack (default) or from their mean")
    p.add_argument("--timbre-only", action="store_true",
                   help="fit only the decoder half of the style (keep the pack's pitch and rhythm)")
    p.add_argument("--population", type=int, default=8, help="CMA-ES candidates per generation (default 8)")
    p.add_argument("--no-quality-guard", action="store_true",
                   help="keep the fit as it is, even where it sounds rougher than the pack it started from")
    p.add_argument("--quality-margin", type=_margin, default=0.1, metavar="M",
                   help="the quality guard keeps the largest share of the fit whose DistillMOS on its six sentences "
                        "is within M of the starting pack's (default 0.1; other sentences tend to lose a little more)")
    p.add_argument("--budget-s", type=float, help="gradient: stop after this many seconds, keeping the best step")
    p.add_argument("--encoder", metavar="PT", help="a GE2E checkpoint from train-encoder (default: resemblyzer's)")
    p.add_argument("--mos-weight", type=float, default=0.0, metavar="W",
                   help="gradient: also raise DistillMOS of the fit renderings, at weight W beside the similarity "
                        "(default 0; see docs/clone.md)")
    p.add_argument("--prior", type=float, default=0.02, metavar="P",
                   help="gradient: weight of the pull toward the packs (default 0.02; lower lets a fit stray further)")
    p.add_argument("--start-from", metavar="VOICE",
                   help="gradient: continue from a cloned voice's blend and offset (the guard still walks back to "
                        "the most similar pack)")
    p.add_argument("--sentence", action="append", metavar="TEXT",
                   help="a sentence Kokoro says while fitting; repeatable (default: four short dev-set sentences)")
    p.add_argument("--threads", type=int, help="CPU threads")
    p.add_argument("--force", action="store_true", help="replace an existing folder or stored voice")
    p.set_defaults(func=cmd_clone)

    p = subparsers.add_parser(
        "train-encoder", help="train or fine-tune a GE2E speaker encoder on LibriTTS, VCTK or speaker folders",
        description="GE2E training: N speakers x M utterances per step, 1.6 s crops, the softmax GE2E loss. Starts "
                    "from resemblyzer's weights (or --from-scratch); DIR/encoder.pt is saved every "
                    "--checkpoint-every steps, and running again on DIR resumes.")
    p.add_argument("data", help="LibriTTS (speaker/chapter/*.wav), VCTK (wav48/pNNN/*.wav) or one folder per speaker")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="checkpoint folder (DIR/encoder.pt)")
    p.add_argument("--steps", type=_positive, default=1000, help="train up to this step (default 1000)")
    p.add_argument("--speakers-per-batch", type=int, default=16, help="N (default 16)")
    p.add_argument("--utterances-per-speaker", type=int, default=8, help="M (default 8)")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--from-scratch", action="store_true", help="random weights instead of resemblyzer's")
    p.add_argument("--checkpoint-every", type=int, default=100)
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int)
    p.set_defaults(func=cmd_train_encoder)

    voices = subparsers.choices.get("voices")
    if voices is not None:  # `voices` and its subcommands are the CLI's own; `map` joins them
        vsub = next(a for a in voices._actions if isinstance(a, argparse._SubParsersAction))
        q = vsub.add_parser("map", help="a 2-D map (PNG) of voices by GE2E speaker embedding, with references")
        q.add_argument("voices", nargs="*", metavar="VOICE", help="voices to map (default: every built-in and "
                                                                   "stored voice)")
        q.add_argument("--ref", action="append", default=[], metavar="LABEL=FILE",
                       help="a reference clip to place on the map; repeatable (one label may take several files)")
        q.add_argument("-o", "--output", required=True, metavar="PNG")
        q.add_argument("--json", action="store_true", help="print the points as JSON")
        q.set_defaults(func=cmd_voices_map)
        q = vsub.add_parser("mix", help="a voice between two others (or past one), saved as a voice folder: Kokoro "
                                        "voices by each half of the style, Piper voices (joe and a fine-tune of it) "
                                        "by every weight")
        q.add_argument("base", metavar="BASE", help="the voice to start from (a name or a folder)")
        q.add_argument("toward", metavar="TOWARD", help="the voice to move toward (of BASE's family)")
        q.add_argument("-o", "--output", required=True, metavar="FOLDER")
        q.add_argument("--timbre", type=float, default=0.0, metavar="K",
                       help="Kokoro voices: move the timbre half (the decoder's) K of the way: 0 keeps BASE's "
                            "(default), 1 takes TOWARD's, above 1 goes past it")
        q.add_argument("--prosody", type=float, default=0.0, metavar="K",
                       help="the same for the prosody half (durations, pitch, energy)")
        q.add_argument("--weights", type=float, metavar="K",
                       help="Piper voices: every weight moved K of the way, 0 BASE, 1 TOWARD: a fine-tune's "
                            "strength (docs/training.md)")
        q.add_argument("--name", help="the new voice's name (default: TOWARD's with -mix)")
        q.add_argument("--force", action="store_true", help="replace an existing folder")
        q.set_defaults(func=cmd_voices_mix)
        q = vsub.add_parser("pitch", help="a Kokoro voice made lower or higher, its rhythm kept, saved as a voice "
                                          "folder")
        q.add_argument("voice", metavar="VOICE", help="a Kokoro voice (a name or a folder)")
        q.add_argument("-o", "--output", required=True, metavar="FOLDER")
        how = q.add_mutually_exclusive_group(required=True)
        how.add_argument("--hz", type=float, help="the mean F0 to reach, in Hz (50-500)")
        how.add_argument("--semitones", type=float, help="the shift from the voice's own pitch (-12 to 12)")
        how.add_argument("--like", metavar="WAV", help="the mean F0 of this clip's speech (a clone's reference: its "
                                                       "speaker's pitch)")
        q.add_argument("--curve", action="store_true",
                       help="aim the F0 curve's own reading at the goal, not what YIN hears in the speech: nothing is "
                            "rendered (seconds instead of minutes), and the voice comes out 1-3 semitones higher")
        q.add_argument("--name", help="the new voice's name (default: VOICE's with -pitch)")
        q.add_argument("--threads", type=int, help="CPU threads")
        q.add_argument("--force", action="store_true", help="replace an existing folder")
        q.set_defaults(func=cmd_voices_pitch)


def _progress(message: str) -> None:
    print(f"enunciate: {message}", file=sys.stderr, flush=True)


def clone_config(args):
    """The CloneConfig that `enunciate clone`'s arguments ask for."""
    from .clone import CloneConfig

    steps = args.steps if args.steps is not None else (60 if args.method == "gradient" else 12)
    return CloneConfig(method=args.method, steps=steps, seed=args.seed, device=args.device,
                       prosody=not args.timbre_only, init=args.init, population=args.population,
                       budget_s=args.budget_s, encoder=args.encoder, threads=args.threads,
                       mos_weight=args.mos_weight, start_voice=args.start_from, prior=args.prior,
                       quality_margin=None if args.no_quality_guard else args.quality_margin,
                       **({"sentences": tuple(args.sentence)} if args.sentence else {}))


def cmd_clone(args) -> int:
    from .clone import clone

    config = clone_config(args)
    command = shlex.join(getattr(args, "argv", None) or ["enunciate", *sys.argv[1:]])
    result = clone(args.references, args.name, args.output, config, command=command, force=args.force,
                   progress=_progress)
    for c in result.clips:
        print(f"{c.path}: {c.duration_s:.1f} s, {c.speech_s:.1f} s of speech, {c.source_rate} Hz")
    fit = result.fit
    where = result.manifest.folder
    print(f"{where}: {result.manifest.name}, GE2E similarity {fit.similarity:.3f} on the fit sentences "
          f"(step {fit.step}, {fit.seconds:.0f} s)")
    print(f"try: enunciate speak \"Hello.\" --voice {args.name if args.output is None else where} -o hello.wav")
    return 0


def cmd_train_encoder(args) -> int:
    from .train_encoder import TrainConfig, train_encoder

    config = TrainConfig(steps=args.steps, speakers_per_batch=args.speakers_per_batch,
                         utterances_per_speaker=args.utterances_per_speaker, lr=args.lr,
                         init="scratch" if args.from_scratch else "pretrained", checkpoint_every=args.checkpoint_every,
                         seed=args.seed, device=args.device, threads=args.threads)
    result = train_encoder(args.data, args.output, config, progress=_progress)
    b, a = result.before, result.after
    print(f"{result.checkpoint}: {result.layout} data, {result.speakers} speakers, {result.utterances} utterances; "
          f"steps {result.first_step} -> {result.steps} in {result.seconds:.0f} s")
    if result.losses:
        print(f"loss {result.losses[0]:.4f} (first step) -> {result.losses[-1]:.4f} (last)")
    print(f"same-speaker minus different-speaker similarity: {b.gap:.3f} -> {a.gap:.3f}; "
          f"EER {b.eer:.3f} -> {a.eer:.3f}")
    return 0


def cmd_voices_map(args) -> int:
    import json

    from .voicemap import voice_map

    references: dict[str, list[str]] = {}
    for item in args.ref:
        label, sep, path = item.partition("=")
        if not sep or not label or not path:
            raise EnunciateError(f"--ref takes LABEL=FILE, got {item!r}")
        references.setdefault(label, []).append(path)
    result = voice_map(args.voices or None, references, out=args.output, progress=_progress)
    if args.json:
        print(json.dumps(result.to_json(), indent=1))
    else:
        for name, kind, (x, y) in zip(result.names, result.kinds, result.points):
            print(f"{name:28s} {kind:9s} {x:+.3f} {y:+.3f}")
        print(f"wrote {args.output}")
    return 0


def cmd_voices_mix(args) -> int:
    from .mix import mix_voice

    command = shlex.join(getattr(args, "argv", None) or ["enunciate", *sys.argv[1:]])
    if args.weights is not None:
        from ..train.mix import mix_piper_voice

        if args.timbre or args.prosody:
            raise EnunciateError("--weights mixes Piper voices, --timbre and --prosody Kokoro voices: give one kind")
        m = mix_piper_voice(args.base, args.toward, args.output, args.weights, name=args.name, command=command,
                            force=args.force)
    else:
        m = mix_voice(args.base, args.toward, args.output, timbre=args.timbre, prosody=args.prosody, name=args.name,
                      command=command, force=args.force)
    print(f"{m.folder}: {m.name} ({m.description})")
    print(f'try: enunciate speak "Hello." --voice {m.folder} -o hello.wav')
    return 0


def cmd_voices_pitch(args) -> int:
    import torch

    from .mix import pitch_voice, reference_hz

    if args.threads:
        torch.set_num_threads(args.threads)
    hz = args.hz
    if args.like:
        hz = reference_hz(args.like)
        _progress(f"{args.like}: mean F0 {hz:.1f} Hz over its speech")
    m, shift = pitch_voice(args.voice, args.output, hz=hz, semitones=args.semitones, name=args.name,
                           command=shlex.join(getattr(args, "argv", None) or ["enunciate", *sys.argv[1:]]),
                           force=args.force, progress=_progress, listen=not args.curve)
    print(f"{m.folder}: {m.name}: mean F0 {shift.before_hz:.1f} -> {shift.after_hz:.1f} Hz, "
          f"durations x{shift.duration_change:.3f}")
    print(f'try: enunciate speak "Hello." --voice {m.folder} -o hello.wav')
    return 0
