"""`enunciate batch`: parse, call `run_job`, print. Nothing heavy is imported until the command runs
(Ray only with --executor ray), so registering it costs `enunciate speak` nothing.

    enunciate batch corpus.txt -o out/ --workers 2
    enunciate batch rows.jsonl -o out/ --format flac --shard 0/4
    enunciate batch book.epub -o book/ --format mp3 --loudness -18
    enunciate batch corpus.txt -o /shared/out --executor ray --ray-address auto --workers 8
    enunciate batch corpus.txt -o s3://bucket/out --executor ray --workers 8
"""
from __future__ import annotations

import argparse
import sys

EXIT_FAILED_ITEMS = 1


def _shard(text: str) -> tuple[int, int]:
    try:
        index, count = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected i/n (e.g. 0/4), got {text!r}") from None
    if count < 1 or not 0 <= index < count:
        raise argparse.ArgumentTypeError(f"shard i/n needs 0 <= i < n, got {text!r}")
    return index, count


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "batch", help="a corpus, a folder of documents or an EPUB -> one audio file per item, resumable",
        description="Speak every item of INPUT into OUTDIR: one audio file per item, manifest.jsonl (id, path, "
                    "hashes, duration, voice, engine, seconds) and errors.jsonl. Rerun the same command to resume: "
                    "finished items are skipped, changed ones redone. An EPUB (or a folder with --book) is a book: "
                    "a file per chapter at one loudness, chapters.vtt, and book.mp3 and book.m4b with chapter marks. "
                    "See docs/batch.md.")
    p.add_argument("input", metavar="INPUT",
                   help="a text file (one utterance per line), a .jsonl/.csv manifest (id, text[, voice, speed]), "
                        "a folder of .md/.txt/.rst documents, or an .epub")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR",
                   help="the output folder (made if missing), or an fsspec URL: file:///shared/out, s3://bucket/out "
                        "(pip install 'enunciate[fsspec]' and the store's package)")
    p.add_argument("--voice", default=None, help="voice for items that name none (default heart): a name, a stored "
                                                 "voice or a folder")
    p.add_argument("--format", default="wav", choices=("wav", "flac", "mp3", "ogg", "opus"),
                   help="audio format of each file (default wav)")
    p.add_argument("--executor", default="local", choices=("local", "ray"),
                   help="local worker processes (default), or Ray actors (pip install 'enunciate[ray]')")
    p.add_argument("--workers", type=int, default=1, help="local processes, or Ray actors (default 1)")
    p.add_argument("--shard", type=_shard, default=(0, 1), metavar="i/n",
                   help="only the items whose index %% n == i (run n of these, on n machines)")
    p.add_argument("--ray-address", metavar="ADDRESS",
                   help="the Ray cluster: auto (the one `ray start --head` started) or ray://host:10001; "
                        "default: Ray on this machine")
    p.add_argument("--num-cpus", type=float, default=1, help="CPUs per Ray actor (default 1; also its threads)")
    p.add_argument("--num-gpus", type=float, default=0, help="GPUs per Ray actor (with --engine torch --device cuda)")
    p.add_argument("--batch-size", type=int, help="items per voice call (default 16 with --device cuda, else 1)")
    p.add_argument("--loudness", type=float, metavar="LUFS",
                   help="normalize loudness (ITU-R BS.1770), e.g. -16: each item on its own; a book's chapters "
                        "all to this one target (default -18 for books)")
    p.add_argument("--book", action="store_true",
                   help="read a folder of documents as a book's chapters (an EPUB always is one)")
    p.add_argument("--speed", type=float, help="0.5 .. 2.0 for items that name none (default 1.0)")
    p.add_argument("--seed", type=int, help="noise seed (default 0: a rerun gives the same audio)")
    p.add_argument("--lexicon", action="append", metavar="TSV", help="user lexicon, searched first; repeatable")
    p.add_argument("--threads", type=int, help="CPU threads per worker (default: the cores shared among them)")
    p.add_argument("--engine", choices=("onnx", "torch"))
    p.add_argument("--device", choices=("cpu", "cuda"))
    p.add_argument("--dtype", choices=("fp32", "bf16", "fp16"))
    p.set_defaults(func=cmd_batch)


def cmd_batch(args) -> int:
    from ..options import split
    from .run import BatchJob, JobInterrupted, run_job

    fields = {"lexicons": tuple(args.lexicon or ())}
    for name, value in (("voice", args.voice), ("speed", args.speed), ("seed", args.seed), ("threads", args.threads),
                        ("engine", args.engine), ("device", args.device), ("dtype", args.dtype),
                        ("loudness_lufs", args.loudness)):
        if value is not None:
            fields[name] = value
    spec, options = split(None, None, fields)
    job = BatchJob(args.input, args.output, spec, options, format=args.format, executor=args.executor,
                   workers=args.workers, shard=args.shard, ray_address=args.ray_address, num_cpus=args.num_cpus,
                   num_gpus=args.num_gpus, batch_size=args.batch_size, book=True if args.book else None,
                   progress=sys.stderr.isatty())
    try:
        result = run_job(job)
    except JobInterrupted as e:
        r = e.result
        print(f"enunciate: interrupted: {r.done} item(s) finished in this run are kept in {r.manifest}; "
              "rerun the same command to do the rest", file=sys.stderr)
        return 130
    rate = f"{result.audio_s:.1f} s of audio in {result.wall_s:.1f} s, {result.audio_s_per_s:.1f} audio-s/s"
    parts = [f"{result.done} spoken ({rate})", f"{result.skipped} already done"]
    if result.empty:
        parts.append(f"{result.empty} empty skipped")
    if result.orphans_removed:
        parts.append(f"{result.orphans_removed} unfinished temp file(s) of an earlier run removed")
    print(f"{result.outdir}: {result.items} item(s): " + ", ".join(parts))
    if result.book is not None:
        book = result.book
        made = [name for name in (book.mp3, book.m4b) if name]
        whole = [f"{name} (chapter marks: {book.chapter_marks[name]})" for name in made]
        print(f"book: {len(book.chapters)} chapter(s) at {book.target_lufs:g} LUFS, "
              + ", ".join([book.chapters_vtt, *whole]))
        for name, note in book.chapter_marks.items():
            if name not in made:
                print(f"{name}: {note}")
    if result.failed:
        print(f"enunciate: {result.failed} item(s) failed; reasons in {result.errors}", file=sys.stderr)
        return EXIT_FAILED_ITEMS
    return 0

