"""enunciate's command line: parse arguments, call the Python API, print. No logic of its own."""
from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
from pathlib import Path

from .audio import check_writable
from .errors import EnunciateError
from .options import MARKUPS
from .evaluate.command import add_parser as add_eval_parsers
from .lexicon_command import add_parser as add_lexicon_parsers
from .bench.command import add_parser as add_bench_parsers
from .batch.command import add_parser as add_batch_parsers
from .train.command import add_parser as add_train_parsers
from .speakers.command import add_parser as add_speaker_parsers

EXIT_BAD_INPUT = 2


def _read_text(args) -> str:
    if args.file:
        if args.file == "-":
            data = sys.stdin.buffer.read()
            name = "standard input"
        else:
            path = Path(args.file)
            try:
                data = path.read_bytes()
            except OSError as e:
                raise EnunciateError(f"cannot read {path}: {e.strerror}") from e
            name = str(path)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise EnunciateError(f"{name} is not valid UTF-8 (byte {e.start}): save it as UTF-8") from e
    if args.text is None:
        if sys.stdin.isatty():
            raise EnunciateError("no text: give it as an argument, with -f FILE, or on standard input")
        return _read_text(argparse.Namespace(file="-", text=None))
    return args.text


def _markup(args) -> str:
    """--markup, --plain, --rst or --html, else by the file's suffix (text.document.markup_of), else Markdown."""
    from .text.document import markup_of

    if getattr(args, "markup", None):
        return args.markup
    if args.plain:
        return "plain"
    if args.rst:
        return "rst"
    if args.html:
        return "html"
    return markup_of(args.file) if args.file else "markdown"


def _options(args):
    """(VoiceSpec, SpeakOptions) from the flags: how the voice runs, and how this text is spoken."""
    from .options import split

    fields = {"lexicons": tuple(args.lexicon or ()), "markup": "ssml" if args.ssml else _markup(args)}
    for name in ("voice", "speed", "seed", "threads", "engine", "device", "dtype", "compile", "loudness_lufs"):
        if getattr(args, name, None) is not None:
            fields[name] = getattr(args, name)
    return split(None, None, fields)


def _report_lines(report, text: str) -> list[str]:
    from .text.tokens import line_col

    lines = []
    for source, words in sorted(report.by_source().items()):
        lines.append(f"{source:8s} {len(words):5d}  {' '.join(sorted(set(words)))[:200]}")
    for s in report.skipped:
        line, col = line_col(text, s.span[0])
        lines.append(f"skipped  {line}:{col}  {s.text[:40]!r}  ({s.reason})")
    for ch, n in report.dropped_symbols.items():
        lines.append(f"dropped  symbol {ch!r} x{n} (not in the voice's phoneme set)")
    return lines


def _strict_check(report, text: str) -> None:
    """--strict: guessed pronunciations and unspoken spans are errors, each with line:column."""
    from .text.tokens import line_col

    problems = [(w.span[0], f"{w.text!r} has no known pronunciation (espeak-ng guessed /{w.phonemes}/)")
                for w in report.guessed()]
    problems += [(s.span[0], f"{s.text[:40]!r} is not spoken ({s.reason})") for s in report.skipped]
    if problems:
        lines = [f"{':'.join(map(str, line_col(text, pos)))}: {msg}" for pos, msg in sorted(problems)]
        raise EnunciateError("--strict: " + f"{len(lines)} problem(s)\n  " + "\n  ".join(lines))


def cmd_speak(args) -> int:
    from .audio import audio_format
    from .pipeline import check_text
    from .synthesize import phonemize, speak_to_file

    text = check_text(_read_text(args))
    spec, options = _options(args)
    to_stdout = args.output == "-"
    fmt = audio_format(None if to_stdout else args.output, args.format)  # a bad suffix fails before synthesis
    if args.strict:  # checked before any audio is made, so a failed check writes nothing
        _strict_check(phonemize(text, options), text)
    if args.captions and Path(args.captions).suffix.lower() not in (".vtt", ".srt"):
        raise EnunciateError(f"captions file must end in .vtt or .srt, got {Path(args.captions).name!r}")
    if args.chapters and Path(args.chapters).suffix.lower() != ".vtt":
        raise EnunciateError(f"chapters file must end in .vtt, got {Path(args.chapters).name!r}")
    for extra in (args.captions, args.timestamps, args.chapters):  # fail before synthesis, not after the WAV
        if extra:
            check_writable(extra)
    voice = spec.load()
    if spec.compile:
        print("compiling the voice: the first sentences take about a minute (--compile pays on long jobs)",
              file=sys.stderr)
    if to_stdout:
        from .synthesize import speak_to_stream

        result = speak_to_stream(text, sys.stdout.buffer, voice, options, format=fmt)
    else:
        result = speak_to_file(text, args.output, voice, options, format=fmt,
                               progress=len(text) > 2000 and sys.stderr.isatty())
    if args.captions or args.chapters:
        from .captions import chapters, write_captions, write_chapters
        from .text.document import rendered

        shown = text if options.markup == "ssml" else rendered(text, options.markup)
        if args.captions:
            write_captions(args.captions, result.words, text, shown)
        if args.chapters:
            write_chapters(args.chapters, chapters(result.words, result.report.headings, result.audio_s, text, shown))
    if args.timestamps:
        from .captions import words_json, write_text_atomic

        write_text_atomic(args.timestamps, words_json(result.words, result.report.marks))
    info = sys.stderr if to_stdout else sys.stdout  # standard output carries the audio
    print(f"{result.path}: {result.audio_s:.2f} s of audio in {result.wall_s:.2f} s "
          f"(real-time factor {result.rtf:.3f}, voice {voice.info.name})", file=info)
    if args.report:
        print("\n".join(_report_lines(result.report, text)), file=info)
    return 0


def cmd_phonemize(args) -> int:
    from .synthesize import phonemize

    text = _read_text(args)
    report = phonemize(text, _options(args)[1])
    if args.json:
        rows = [{"text": w.text, "span": list(w.span), "spoken": w.spoken, "phonemes": w.phonemes,
                 "source": w.source} for w in report.words]
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        for w in report.words:
            spoken = f" ({w.spoken})" if w.spoken != w.text else ""
            print(f"{w.text}{spoken}\t{w.phonemes}\t{w.source}")
    if args.report:
        print("\n".join(_report_lines(report, text)), file=sys.stderr)
    if args.guessed_lexicon:
        from .captions import write_text_atomic
        from .text.lexicon import starter_lexicon

        content, n = starter_lexicon((w.text, w.phonemes) for w in report.guessed())
        write_text_atomic(args.guessed_lexicon, content)
        print(f"{args.guessed_lexicon}: {n} guessed word(s) to check", file=sys.stderr)
    if args.strict:
        _strict_check(report, text)
    return 0


def cmd_voices(args) -> int:
    from .voices.registry import DEFAULT_VOICE, info_of, manifests

    rows = manifests()
    if args.json:
        print(json.dumps([{**info_of(m).__dict__, "family": m.family, "engines": list(m.engines),
                           "folder": str(m.folder) if m.folder else None, "parent": m.provenance.parent,
                           "method": m.provenance.method} for m in rows], indent=1))
        return 0
    print(f"{'name':22s} {'family':8s} {'engines':11s} {'rate':>6s} {'size':>8s}  {'parent / method':22s} "
          "licence; weights / notes")
    for m in rows:
        info = info_of(m)
        mark = " (default)" if m.name == DEFAULT_VOICE else ""
        made = f"{m.provenance.parent} / {m.provenance.method}" if m.provenance.parent else "-"
        print(f"{m.name + mark:22s} {m.family:8s} {','.join(m.engines):11s} {m.sample_rate:6d} "
              f"{info.size_bytes / 1e6:6.1f}MB  {made:22s} {info.licence}; {info.source}; {info.description}")
    print(f"{'./FOLDER':22s} {'any':8s} {'':11s} {'':>6s} {'':>8s}  {'':22s} a voice folder by path (voice.json beside "
          "its files), or a SpeechT5 Hugging Face folder (the model, vocoder/ and speaker.npy); see docs/voices.md")
    return 0


def cmd_voices_add(args) -> int:
    from .voices.store import add, store_dir

    manifest = add(args.folder, args.name, force=args.force)
    print(f"added {manifest.name} ({manifest.family}, {manifest.size_bytes / 1e6:.1f} MB) to {store_dir()}")
    return 0


def cmd_voices_export(args) -> int:
    from .voices.registry import export_builtin

    manifest = export_builtin(args.name, args.folder, force=args.force)
    print(f"{manifest.folder}: {manifest.name} ({manifest.family}, {manifest.size_bytes / 1e6:.1f} MB) with voice.json")
    return 0


def cmd_voices_remove(args) -> int:
    from .voices.store import remove

    print(f"removed {args.name} ({remove(args.name)})")
    return 0


def cmd_optimize(args) -> int:
    from .optimize import methods, optimize, parse_params

    if args.auto:
        from .optimize.auto import auto

        if not args.voice or not args.output:
            raise EnunciateError("--auto needs a voice and -o FOLDER")
        result = auto(args.voice, args.output, args.budget_mos, args.budget_hit, args.limit,
                      methods=args.only.split(",") if args.only else None, force=args.force,
                      say=lambda message: print(message, file=sys.stderr))
        print("\n".join(result.lines()))
        return 0
    if args.list or not args.voice:
        for m in sorted(methods().values(), key=lambda m: m.name):
            params = " ".join(f"{k}={v}" for k, v in m.defaults.items())
            extra = f"  [{params}]" if params else ""
            print(f"{m.name:22s} {m.engine:5s} {','.join(m.families):14s} {m.summary}{extra}")
        return 0
    if not args.method or not args.output:
        raise EnunciateError("give --method M and -o FOLDER (see `enunciate optimize --list`)")
    corpus: tuple[str, ...] = ()
    if args.corpus:
        try:
            corpus = tuple(line.strip() for line in Path(args.corpus).read_text(encoding="utf-8").splitlines()
                           if line.strip())
        except (OSError, UnicodeDecodeError) as e:
            raise EnunciateError(f"cannot read the corpus {args.corpus}: {e}") from e
    manifest = optimize(args.voice, args.method, args.output, parse_params(args.param or []), force=args.force,
                        corpus=corpus, command=shlex.join(["enunciate", *sys.argv[1:]]))
    metrics = manifest.metrics
    print(f"{manifest.folder}: {args.method} of {manifest.provenance.parent}, "
          f"{metrics.get('size_bytes', 0) / 1e6:.1f} MB on disk"
          + (f", {metrics['nonzero']:,} of {metrics['parameters']:,} parameters non-zero" if "parameters" in metrics
             else ""))
    return 0


def cmd_serve(args) -> int:
    from .serve import api_key, serve

    voice_map = None
    if args.voice_map:
        try:
            voice_map = json.loads(Path(args.voice_map).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise EnunciateError(f"cannot read the voice map {args.voice_map}: {e}") from e
        if not isinstance(voice_map, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                      for k, v in voice_map.items()):
            raise EnunciateError(f"{args.voice_map} must be a JSON object of name -> voice")
    config = {"default_voice": args.voice, "workers": args.workers, "max_queue": args.max_queue,
              "timeout_s": args.timeout, "max_input_chars": args.max_input, "api_key": api_key(args.api_key_file),
              "threads": args.threads, "loudness_lufs": args.loudness}
    if voice_map is not None:
        config["voice_map"] = voice_map
    if args.ray:  # Ray Serve: the same app on N replicas behind Ray's proxy
        from .batch.ray_serve import serve_forever

        return serve_forever(config, args.replicas, args.host, args.port)
    serve(args.host, args.port, **config)
    return 0


def cmd_demo(args) -> int:
    from .demo import run_demo

    for line in run_demo(Path(args.out), args.voice):
        print(line)
    return 0


def _speech_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", nargs="?", help="text to speak (or use -f FILE, or standard input)")
    p.add_argument("-f", "--file", help="read a plain-text, Markdown, reStructuredText (.rst), HTML (.html), "
                                        "Jupyter notebook (.ipynb) or AsciiDoc (.adoc) file ('-' for standard input)")
    p.add_argument("--voice", help="voice name (see `enunciate voices`), a stored voice, or a voice folder's path "
                                   "(./my-voice; a SpeechT5 Hugging Face folder works too)")
    p.add_argument("--lexicon", action="append", metavar="TSV",
                   help="user lexicon (term<TAB>phonemes), searched first; repeatable")
    markup = p.add_mutually_exclusive_group()
    markup.add_argument("--plain", action="store_true", help="treat the input as plain text, not Markdown")
    markup.add_argument("--rst", action="store_true",
                        help="read the input as reStructuredText (auto for .rst files)")
    markup.add_argument("--html", action="store_true", help="read the input as an HTML page (auto for .html files)")
    markup.add_argument("--markup", choices=MARKUPS,
                        help="how to read the input, whatever its name (piped AsciiDoc: --markup asciidoc); "
                             "default: by the file's suffix, else Markdown")
    p.add_argument("--ssml", action="store_true", help="parse the input as SSML (auto when it starts with <speak>)")
    p.add_argument("--report", action="store_true",
                   help="list words by pronunciation source and every span not spoken")
    p.add_argument("--strict", action="store_true",
                   help="exit 2 if a word's pronunciation is guessed (espeak-ng) or a span is not spoken")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="enunciate",
                                     description="Offline text-to-speech that says technical text right.")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("speak", help="text or a document -> WAV")
    _speech_args(p)
    p.add_argument("-o", "--output", required=True,
                   help="audio file to write (atomically; .wav, .flac, .mp3, .ogg or .opus by its suffix), or '-' "
                        "for standard output (WAV, streamed, unless --format says otherwise)")
    p.add_argument("--format", choices=("wav", "flac", "mp3", "ogg", "opus"),
                   help="audio format, whatever the output's suffix")
    p.add_argument("--speed", type=float, help="0.5 (slow) .. 2.0 (fast); default 1.0")
    p.add_argument("--seed", type=int, help="noise seed (same seed, same audio)")
    p.add_argument("--loudness", dest="loudness_lufs", type=float, metavar="LUFS",
                   help="normalize loudness, e.g. -16 (ITU-R BS.1770; one gain for the whole output)")
    p.add_argument("--threads", type=int, help="CPU threads (ONNX Runtime or torch)")
    p.add_argument("--engine", choices=("onnx", "torch"), help="onnx (default, CPU) or torch (PyTorch modules)")
    p.add_argument("--device", choices=("cpu", "cuda"), help="device for the torch engine (default cpu)")
    p.add_argument("--dtype", choices=("fp32", "fp16", "bf16"),
                   help="precision for the torch engine: fp32; bf16 (cuda, or a CPU with AVX-512 BF16/AMX); "
                   "fp16 (cuda only)")
    p.add_argument("--compile", action="store_true", default=None,
                   help="torch.compile the torch engine's voice (CUDA graphs on cuda): faster once compiled, "
                        "but the first calls spend a minute or two compiling; for long jobs")
    p.add_argument("--captions", metavar="FILE", help="write captions: .vtt (WebVTT) or .srt (SubRip)")
    p.add_argument("--chapters", metavar="VTT",
                   help="write WebVTT chapters, one per heading of the document, titled as it shows")
    p.add_argument("--timestamps", metavar="JSON",
                   help="write word timings (original text and span), and SSML <mark> times")
    p.set_defaults(func=cmd_speak)

    p = sub.add_parser("phonemize", help="per word: phonemes and where they came from")
    _speech_args(p)
    p.add_argument("--json", action="store_true", help="JSON: text, span, spoken, phonemes, source")
    p.add_argument("--guessed-lexicon", metavar="TSV",
                   help="write the words espeak-ng had to guess, with its guess, as a lexicon to correct "
                        "and pass back with --lexicon")
    p.set_defaults(func=cmd_phonemize)

    p = sub.add_parser("voices", help="list, add or remove voices (built-in and stored voice folders)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_voices)
    vsub = p.add_subparsers(dest="voices_command")
    q = vsub.add_parser("list", help="list built-in and stored voices (the default)")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_voices)
    q = vsub.add_parser("add", help="copy a voice folder into the voice store ($ENUNCIATE_VOICES), checking its hashes")
    q.add_argument("folder", help="a folder with voice.json beside its files")
    q.add_argument("--name", help="store it under this name (default: the name in its voice.json)")
    q.add_argument("--force", action="store_true", help="replace a stored voice of the same name")
    q.set_defaults(func=cmd_voices_add)
    q = vsub.add_parser("export", help="copy a built-in voice into a folder with voice.json (to move or modify it)")
    q.add_argument("name", help="a built-in voice (heart, joe, kokoro, kokoro-STYLE)")
    q.add_argument("folder", help="the new folder (refused if it exists, unless --force)")
    q.add_argument("--force", action="store_true", help="replace an existing folder")
    q.set_defaults(func=cmd_voices_export)
    q = vsub.add_parser("remove", help="remove a stored voice")
    q.add_argument("name")
    q.set_defaults(func=cmd_voices_remove)

    p = sub.add_parser("optimize", help="make a smaller or faster variant of a voice, saved as a voice folder")
    p.add_argument("voice", nargs="?", help="the voice to start from: a name or a folder")
    p.add_argument("--method", help="see --list")
    p.add_argument("-p", "--param", action="append", metavar="KEY=VALUE", help="a method parameter; repeatable")
    p.add_argument("-o", "--output", help="the new voice folder (built aside and renamed into place)")
    p.add_argument("--corpus", metavar="TXT",
                   help="text, one sentence a line: static int8 calibrates on it, torch-channel-prune distils on it")
    p.add_argument("--force", action="store_true", help="replace an existing output folder")
    p.add_argument("--list", action="store_true", help="list the methods, their engine, families and parameters")
    p.add_argument("--auto", action="store_true",
                   help="try every method that applies, time them here and keep the fastest within the budget")
    p.add_argument("--budget-mos", type=float, default=0.05, help="--auto: DistillMOS a variant may lose (0.05)")
    p.add_argument("--budget-hit", type=float, default=0.01, help="--auto: term hit rate it may lose (0.01)")
    p.add_argument("--limit", type=int, default=12, help="--auto: dev-set sentences to judge on (12)")
    p.add_argument("--only", metavar="M[:k=v],…", help="--auto: only these methods (with parameters)")
    p.set_defaults(func=cmd_optimize)

    p = sub.add_parser("serve", help="an OpenAI-compatible speech server (/v1/audio/speech) with a web page")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    p.add_argument("--port", type=int, default=8880)
    p.add_argument("--voice", default="heart", help="voice for requests that name none")
    p.add_argument("--voice-map", metavar="JSON", help="OpenAI voice names -> voices, replacing the built-in table")
    p.add_argument("--workers", type=int, default=1, help="synthesis threads (default 1: one voice call at a time)")
    p.add_argument("--max-queue", type=int, default=8, help="requests that may wait for a worker; beyond: 429")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per request before synthesis stops")
    p.add_argument("--max-input", type=int, default=20_000, help="characters per request at most")
    p.add_argument("--threads", type=int, help="ONNX Runtime threads per voice")
    p.add_argument("--loudness", type=float, metavar="LUFS", help="normalize every response to this loudness, "
                   "e.g. -16 (ITU-R BS.1770)")
    p.add_argument("--api-key-file", help="require this key (Authorization: Bearer); or set ENUNCIATE_API_KEY")
    p.add_argument("--ray", action="store_true", help="deploy on Ray Serve (pip install 'enunciate[ray]')")
    p.add_argument("--replicas", type=int, default=2, help="with --ray: replicas of the app")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="speak the README's showcase sentences into a folder")
    p.add_argument("--out", default="out", help="output folder (default: out/)")
    p.add_argument("--voice", default=None, help="voice (default: the default voice)")
    p.set_defaults(func=cmd_demo)

    add_eval_parsers(sub)  # enunciate eval, enunciate listen-test
    add_lexicon_parsers(sub)  # enunciate lexicon suggest
    add_bench_parsers(sub)  # enunciate bench, enunciate report
    add_batch_parsers(sub)  # enunciate batch
    add_train_parsers(sub)  # enunciate make-dataset, enunciate finetune
    add_speaker_parsers(sub)  # enunciate clone, enunciate train-encoder, enunciate voices map
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = ["enunciate", *(sys.argv[1:] if argv is None else argv)]  # what a voice.json records as its command
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="enunciate: %(levelname)s: %(message)s")
    # torchao (the optimize extra, also imported by peft) warns at import about CUDA-only kernels and a missing
    # triton, and torch about its pytree registry: nothing a CPU user can act on, so only their errors show.
    for name in ("torchao", "torch.utils._pytree"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        return args.func(args)
    except EnunciateError as e:
        print(f"enunciate: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("enunciate: interrupted; no partial output was left", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
