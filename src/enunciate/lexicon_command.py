"""`enunciate lexicon suggest FILES...`: the words of your documents that enunciate would guess
(espeak-ng) or spell letter by letter, most frequent first, with the reading it would use; correct
the wrong ones in a lexicon (term<TAB>phonemes) and pass it with --lexicon. The work is in
`enunciate.text.suggest`; this module only parses and prints."""
from __future__ import annotations

import json
from dataclasses import asdict

from .errors import EnunciateError
from .options import MARKUPS


def cmd_suggest(args) -> int:
    from .text.suggest import suggest

    found = suggest(args.files, lexicons=args.lexicon or (), markup=args.markup)
    if args.json:
        print(json.dumps([asdict(s) for s in found], ensure_ascii=False, indent=1))
    elif found:
        width = max(len(s.word) for s in found)
        print(f"{'count':>5}  {'word':{width}}  {'reading':8}  spoken / phonemes  (first seen)")
        for s in found:
            spoken = f"{s.spoken} " if s.spoken != s.word else ""
            print(f"{s.count:5d}  {s.word:{width}}  {s.kind:8}  {spoken}/{s.phonemes}/  ({s.first_seen})")
    else:
        print("every word has a reading from a lexicon: nothing to suggest")
    if args.strict and found:
        raise EnunciateError(f"--strict: {len(found)} word(s) would be guessed or spelled; add them to a "
                             "lexicon (term<TAB>phonemes) and pass it with --lexicon")
    return 0


def add_parser(sub) -> None:
    """`enunciate lexicon suggest` under the main parser's subcommands."""
    p = sub.add_parser("lexicon", help="help with pronunciation lexicons: which words need an entry")
    lsub = p.add_subparsers(dest="lexicon_command", required=True)
    q = lsub.add_parser("suggest", help="list the words enunciate would guess or spell in your documents",
                        description="List the words of your documents that enunciate would guess (espeak-ng) "
                        "or spell letter by letter, most frequent first, with the reading it would use. Correct "
                        "the wrong ones in a lexicon (term<TAB>phonemes) and pass it back with --lexicon.")
    q.add_argument("files", nargs="+", metavar="FILE",
                   help="documents: Markdown, reStructuredText, HTML, notebooks, AsciiDoc or text (by suffix)")
    q.add_argument("--lexicon", action="append", metavar="TSV",
                   help="user lexicon (term<TAB>phonemes), searched first; repeatable")
    q.add_argument("--markup", choices=[m for m in MARKUPS if m != "ssml"],
                   help="how to read every file (default: by its suffix, else Markdown)")
    q.add_argument("--json", action="store_true", help="JSON: word, count, kind, spoken, phonemes, source, first_seen")
    q.add_argument("--strict", action="store_true", help="exit 2 if any word would be guessed or spelled (a CI gate)")
    q.set_defaults(func=cmd_suggest)
