"""Candidates for the technical lexicon from a sweep of Rust documentation and tools that the
reading-sources study (benchmarks/reading_sources.py over the Rust book, the Cargo book, the edition
guide, the embedded book and the rustc book) does not read, so that study stays a held-out measure
of the entries made from this list:

- words espeak-ng guessed in at least --min-docs pages of rust-by-example (its English pages), the
  reference, the nomicon, the error index, the unstable book, rustdoc, clippy and the style guide
  (as rustup installs them);
- std's module, type, trait and macro names (the folders and page names of std/ in the docs);
- the parts of `rustc --print target-list` and the CPUs of `rustc --print target-cpus`;
- the words of rustc's and cargo's --help.

    git worktree add /tmp/old 7f9d259     # the frontend before the entries made from this sweep
    PYTHONPATH=/tmp/old/src .venv/bin/python benchmarks/lexicon_sweep.py --json /tmp/candidates.json
    .venv/bin/python benchmarks/lexicon_sweep.py --candidates /tmp/candidates.json --check --name lexicon_sweep_rust

The first run lists the candidates (what that frontend guessed); the second lists how the frontend
reads each of them now and where the reading comes from, so it shows what is still guessed. A word
counts as guessed where the first word of a token is espeak-ng's guess (as reading_sources.py
counts). With --check, the
entries of the lexicon section that starts with "# Rust words espeak-ng guessed" whose note keeps
espeak-ng's reading or names a product are spoken by heart in a carrier sentence and heard by
Whisper base, and what Whisper wrote is recorded. Writes benchmarks/results/NAME.json and NAME.md.
"""
from __future__ import annotations

import argparse
import collections
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
RUST = Path.home() / ".rustup/toolchains/stable-x86_64-unknown-linux-gnu"
BOOKS = ("rust-by-example", "reference", "nomicon", "error_codes", "unstable-book", "rustdoc", "clippy",
         "style-guide")
SECTION = "# Rust words espeak-ng guessed"


def guessed(text: str, markup: str) -> list[str]:
    """The first word of every token whose reading is espeak-ng's guess, in lower case."""
    import enunciate

    report = enunciate.phonemize(text, markup=markup)
    return [(w.spoken.split() or [w.text])[0].lower() for w in report.words if w.source == "espeak"]


def from_books(html: Path, min_docs: int) -> dict[str, int]:
    docs: collections.Counter = collections.Counter()
    for book in BOOKS:
        for page in sorted((html / book).rglob("*.html")):
            if book == "rust-by-example" and "es" in page.relative_to(html / book).parts[:1]:
                continue  # the Spanish translation
            try:
                docs.update(set(guessed(page.read_text(encoding="utf-8"), "html")))
            except UnicodeDecodeError:
                continue
    return {w: n for w, n in docs.most_common() if n >= min_docs}


def from_names(names: list[str]) -> dict[str, int]:
    found: collections.Counter = collections.Counter()
    for name in names:
        found.update(guessed(name, "plain"))
    return dict(found.most_common())


def rustc_names(rustc: str, what: str) -> list[str]:
    out = subprocess.run([rustc, "--print", what], capture_output=True, text=True, check=True).stdout
    if what == "target-cpus":
        return [line.split()[0] for line in out.splitlines()[1:] if line.strip()]
    return [part for line in out.split() for part in re.split(r"[-.]", line) if part]


def std_names(html: Path) -> list[str]:
    std = html / "std"
    names = [p.name for p in std.iterdir() if p.is_dir()]
    names += [m.group(1) for p in std.rglob("*.html")
              if (m := re.fullmatch(r"(?:macro|struct|enum|trait)\.(\w+)\.html", p.name))]
    return sorted(set(names))


def cli_help(bin_dir: Path) -> str:
    runs = [["rustc", "--help", "-v"], ["rustc", "-C", "help"], ["cargo", "--list"]]
    runs += [["cargo", "help", c] for c in ("build", "check", "test", "run", "doc", "new", "add", "install", "publish")]
    text = []
    for cmd in runs:
        done = subprocess.run([str(bin_dir / cmd[0]), *cmd[1:]], capture_output=True, text=True)
        text.append(re.sub(r".\x08", "", done.stdout))  # man pages overstrike for bold
    return "\n".join(text)


def readings(words) -> dict[str, dict]:
    import enunciate

    out = {}
    for word in words:
        w = enunciate.phonemize(word).words
        out[word] = {"reading": " ".join(x.phonemes for x in w), "source": w[0].source if w else ""}
    return out


def check(entries: list[tuple[str, str]], threads: int) -> list[dict]:
    """Each term spoken by heart in a carrier sentence and heard by Whisper base."""
    import enunciate
    from enunciate.evaluate.asr import transcribe

    voice = enunciate.load_voice("heart", threads)
    out = []
    for term, note in entries:
        speech = enunciate.speak(f"The next word is {term}.", voice=voice)
        heard = transcribe(speech.audio, speech.sample_rate, "base", threads)
        said = re.sub(r"[^a-z]", "", heard.lower().removeprefix("the next word is"))
        out.append({"term": term, "note": note, "heard": heard.strip(),
                    "heard_right": re.sub(r"[^a-z]", "", term.lower()) in said})
    return out


def section_entries() -> list[tuple[str, str]]:
    """The sweep's entries whose reading is espeak-ng's or a product's name (not letters or an
    abbreviation's expansion, which a listener writes in many ways)."""
    from importlib import resources

    lines = resources.files("enunciate.text").joinpath("data", "tech_lexicon.tsv").read_text("utf-8").splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith(SECTION))
    picked = []
    for line in lines[start + 1:]:
        if line.startswith("#") and not line.startswith("# "):
            continue
        cols = line.split("\t")
        if line.startswith("#") or len(cols) < 2:
            continue
        note = cols[4] if len(cols) > 4 else ""
        if "espeak-ng's" in note or (cols[0][:1].isupper() and cols[2] in ("os", "company", "hardware", "tool")
                                     and not cols[0].isupper()):
            picked.append((cols[0], note))
    return picked


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--toolchain", default=str(RUST), help="a rustup toolchain folder")
    ap.add_argument("--min-docs", type=int, default=3)
    ap.add_argument("--check", action="store_true", help="also hear the sweep's espeak-ng and product entries")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--name", default="lexicon_sweep_rust")
    ap.add_argument("--json", help="only list the candidates, into this file")
    ap.add_argument("--candidates", help="the candidates from an earlier run's --json, instead of sweeping")
    args = ap.parse_args()

    toolchain = Path(args.toolchain)
    html, bin_dir = toolchain / "share/doc/rust/html", toolchain / "bin"
    if args.candidates:
        sources = json.loads(Path(args.candidates).read_text(encoding="utf-8"))["sources"]
    else:
        rustc = str(bin_dir / "rustc") if (bin_dir / "rustc").exists() else shutil.which("rustc")
        sources = {"books": from_books(html, args.min_docs), "std names": from_names(std_names(html)),
                   "target-list": from_names(rustc_names(rustc, "target-list")),
                   "target-cpus": from_names(rustc_names(rustc, "target-cpus")),
                   "cli help": dict(collections.Counter(guessed(cli_help(bin_dir), "plain")).most_common())}
    if args.json:
        import enunciate

        Path(args.json).write_text(json.dumps({"enunciate": str(Path(enunciate.__file__).parent), "sources": sources},
                                              indent=2, ensure_ascii=False) + "\n", "utf-8")
        return 0
    result = {"command": " ".join([".venv/bin/python", *sys.argv]), "toolchain": str(toolchain), "books": BOOKS,
              "min_docs": args.min_docs, "candidates_from": args.candidates,
              "sources": {name: {"candidates": found, "now": readings(found)} for name, found in sources.items()}}
    if args.check:
        result["check"] = check(section_entries(), args.threads)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    lines = ["# Lexicon sweep: Rust documentation and tools outside the reading-sources study", "",
             "```", result["command"], "```", "",
             "Candidates are the words the frontend before the sweep's entries (commit 7f9d259) left to "
             "espeak-ng; `still guessed` are those the frontend leaves to it now. Left out on purpose: "
             "people's names and words with no reading to cite, two-letter register names, and fragments.", "",
             "| source | candidates | still guessed now | still guessed |", "|---|---|---|---|"]
    for name, data in result["sources"].items():
        left = [w for w, r in data["now"].items() if r["source"] == "espeak"]
        lines.append(f"| {name} | {len(data['candidates'])} | {len(left)} | {', '.join(left[:40])}"
                     f"{' ...' if len(left) > 40 else ''} |")
    if "check" in result:
        right = sum(c["heard_right"] for c in result["check"])
        lines += ["", f"Heard through Whisper base (heart, \"The next word is TERM.\"): {right} of "
                  f"{len(result['check'])} written as the term.", "", "| term | heard | note |", "|---|---|---|"]
        lines += [f"| {c['term']} | {c['heard']} | {c['note']} |" for c in result["check"]]
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines) + "\n", "utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
