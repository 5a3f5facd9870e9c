"""enunciate's command line: parse arguments, call the Python API, print. No logic of its own."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .audio import check_writable
from .errors import EnunciateError
from .options import MARKUPS
from .evaluate.command import add_parser as add_eval_parsers

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
    """--markup, --plain, --rst or --html, else by the file's suffix (.rst, .rest: reStructuredText; .html,
    .htm, .xhtml: HTML; .ipynb: a Jupyter notebook; .adoc, .asciidoc: AsciiDoc), else Markdown."""
    suffix = Path(args.file).suffix.lower() if args.file else ""
    if getattr(args, "markup", None):
        return args.markup
    if args.plain:
        return "plain"
    if args.rst or suffix in (".rst", ".rest"):
        return "rst"
    if args.html or suffix in (".html", ".htm", ".xhtml"):
        return "html"
    if suffix == ".ipynb":
        return "notebook"
    if suffix in (".adoc", ".asciidoc", ".asc"):
        return "asciidoc"
    return "markdown"


def _options(args):
    from . import SpeakOptions

    fields = {"lexicons": tuple(args.lexicon or ()), "markup": _markup(args)}
    for name in ("voice", "speed", "seed", "threads", "engine", "device", "dtype", "compile"):
        if getattr(args, name, None) is not None:
            fields[name] = getattr(args, name)
    return SpeakOptions(**fields)


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
    from . import phonemize, speak_to_file

    text = _read_text(args)
    if not text.strip():
        raise EnunciateError("the text is empty: nothing to say")
    options = _options(args)
    if args.strict:  # checked before any audio is made, so a failed check writes nothing
        _strict_check(phonemize(text, options, ssml=args.ssml or None), text)
    if args.captions and Path(args.captions).suffix.lower() not in (".vtt", ".srt"):
        raise EnunciateError(f"captions file must end in .vtt or .srt, got {Path(args.captions).name!r}")
    if args.chapters and Path(args.chapters).suffix.lower() != ".vtt":
        raise EnunciateError(f"chapters file must end in .vtt, got {Path(args.chapters).name!r}")
    for extra in (args.captions, args.timestamps, args.chapters):  # fail before synthesis, not after the WAV
        if extra:
            check_writable(extra)
    to_stdout = args.output == "-"
    if options.compile and options.engine == "torch":
        print("compiling the voice: the first sentences take about a minute (--compile pays on long jobs)",
              file=sys.stderr)
    if to_stdout:
        from .synthesize import speak_to_stream

        result = speak_to_stream(text, sys.stdout.buffer, options, ssml=args.ssml or None)
    else:
        result = speak_to_file(text, args.output, options, progress=len(text) > 2000 and sys.stderr.isatty(),
                               ssml=args.ssml or None)
    if not result.words:
        Path(result.path).unlink(missing_ok=True)
        raise EnunciateError("the text has nothing speakable (only punctuation, symbols or emoji)")
    if args.captions or args.chapters:
        from .captions import chapters, write_captions, write_chapters
        from .text.document import rendered

        shown = text if args.ssml else rendered(text, options.markup)
        if args.captions:
            write_captions(args.captions, result.words, text, shown)
        if args.chapters:
            write_chapters(args.chapters, chapters(result.words, result.report.headings, result.audio_s, text, shown))
    if args.timestamps:
        from .captions import words_json, write_text_atomic

        write_text_atomic(args.timestamps, words_json(result.words, result.report.marks))
    info = sys.stderr if to_stdout else sys.stdout  # standard output carries the audio
    print(f"{result.path}: {result.audio_s:.2f} s of audio in {result.wall_s:.2f} s "
          f"(real-time factor {result.rtf:.3f}, voice {options.voice})", file=info)
    if args.report:
        print("\n".join(_report_lines(result.report, text)), file=info)
    return 0


def cmd_phonemize(args) -> int:
    from . import phonemize

    text = _read_text(args)
    report = phonemize(text, _options(args), ssml=args.ssml or None)
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
    from . import list_voices
    from .voices.registry import DEFAULT_VOICE, SPEECHT5, torch_voice_names

    rows, with_torch = list_voices(), set(torch_voice_names())
    runtimes = {v.name: ["onnx", "torch"] if v.name in with_torch else ["onnx"] for v in rows}
    if args.json:
        print(json.dumps([v.__dict__ | {"engines": runtimes[v.name]} for v in rows], indent=1))
        return 0
    print(f"{'name':22s} {'model':11s} {'engines':11s} {'rate':>6s} {'size':>8s}  {'licence':18s} weights / notes")
    for v in rows:
        mark = " (default)" if v.name == DEFAULT_VOICE else ""
        print(f"{v.name + mark:22s} {v.engine:11s} {','.join(runtimes[v.name]):11s} {v.sample_rate:6d} "
              f"{v.size_bytes / 1e6:6.1f}MB  {v.licence:18s} {v.source}; {v.description}")
    print(f"{SPEECHT5 + '<folder>':22s} {'speecht5':11s} {'torch':11s} {16000:6d} {'':>8s}  {'':18s} "
          "a SpeechT5 checkpoint you supply: the model, vocoder/ and speaker.npy (see the README)")
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
    p.add_argument("--voice", help="voice name (see `enunciate voices`), or speecht5:FOLDER for a SpeechT5 "
                                   "checkpoint you supply")
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
                   help="WAV file to write (atomically), or '-' to stream WAV to standard output")
    p.add_argument("--speed", type=float, help="0.5 (slow) .. 2.0 (fast); default 1.0")
    p.add_argument("--seed", type=int, help="noise seed (same seed, same audio)")
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

    p = sub.add_parser("voices", help="list the voices available offline")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_voices)

    p = sub.add_parser("demo", help="speak the README's showcase sentences into a folder")
    p.add_argument("--out", default="out", help="output folder (default: out/)")
    p.add_argument("--voice", default=None, help="voice (default: the default voice)")
    p.set_defaults(func=cmd_demo)

    add_eval_parsers(sub)  # enunciate eval, enunciate listen-test
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="enunciate: %(levelname)s: %(message)s")
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
