"""Draw term-set sentences of five more genres by a fixed rule from real text on disk, none of it read
while writing readings: manual pages (shell and CLI help), cloud and DevOps API docs, database
client docs, ML papers' abstracts and changelogs (the packages sample_readme_sentences.py leaves out
and the Rust material of the lexicon sweep are none of these sources). tests/data/genre_<genre>.tsv
were drawn with

    .venv/bin/python benchmarks/sample_genres.py --genre cli --limit 36
    .venv/bin/python benchmarks/sample_genres.py --genre cloud --site /tmp/genre_src/site --limit 36
    .venv/bin/python benchmarks/sample_genres.py --genre database --site /tmp/genre_src/site --limit 36
    .venv/bin/python benchmarks/sample_genres.py --genre abstracts --diffusers /tmp/diffusers --limit 36
    .venv/bin/python benchmarks/sample_genres.py --genre changelogs --limit 36

where /tmp/genre_src/site holds these wheels unpacked (`pip download --no-deps botocore==1.44.8
ansible-core==2.19.14 docker==7.2.0 kubernetes==37.0.2 sqlalchemy==2.1.9 redis==8.2.0
pymongo==4.20.1 psycopg==3.3.9`, then `unzip` each) and the diffusers folder is a git clone of
huggingface/diffusers at commit 58eb52c (read with `git show`, so a bare clone will do). The
machine's packages: Debian 12 with the Google Cloud CLI and PostgreSQL 15 client installed (the
man pages and changelogs are those of whatever is installed, so another machine draws other rows).

The sources of each genre (the documents):

- cli: the pages in /usr/share/man/man1 (the manual pages of this machine's Debian packages,
  section 1; a link and its target are one page) but gcloud's subcommand pages and PostgreSQL's,
  rendered by `man` without hyphenation or justification, read from DESCRIPTION on (NAME and
  SYNOPSIS left out);
- cloud: the service documentation of each AWS service in botocore's data, gcloud's subcommand
  manual pages (/usr/share/man/man1/gcloud_*), the `description` of each ansible-core module, and
  the docstrings of docker's and kubernetes' public classes and functions;
- database: PostgreSQL 15's manual pages (/usr/share/postgresql/15/man, its client programs and SQL
  commands) and the docstrings of sqlalchemy's, redis's, pymongo's and psycopg's public classes and
  functions;
- abstracts: the paper abstract quoted in each page of diffusers' API docs
  (docs/source/en/api/**.md, the paragraph after "The abstract from the paper is:");
- changelogs: /usr/share/doc/PACKAGE/changelog.gz (upstream), else changelog.Debian.gz, each bullet
  or paragraph an item.

Rule: within a source, documents in the order of the SHA-256 of their id (so a sample spreads over
the alphabet); a genre's sources are taken in rotation (the first document of each, then the second...).
From each document the first sentence of 8-30 words is taken that holds no URL, e-mail address or
tab and holds a technical token (a digit, two capitals in a word, a dot, underscore or slash inside
a word, or an option such as `-v` or `--all`); one sentence per document, and a sentence already
taken (up to its digits) is not taken again; the first `--limit` are kept. A row's id is
GENRE.DOCUMENT (a slash in the document's name made a dot, so that the id names a file): the
tune/test split hashes the id (`enunciate.evaluate.terms.split_of`), and hashing the bare document
name would put every row in the tuning split, since the draw takes the smallest hashes first. The
terms column is written by hand afterwards, before anything speaks the sentences.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import html
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sample_readme_sentences import docstrings, sentences  # noqa: E402

_TECHNICAL = re.compile(r"\d|\b\w*[A-Z]\w*[A-Z]\w*\b|\w[._/]\w|(?<![\w-])--?[A-Za-z]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"'(])")
MAN1 = Path("/usr/share/man/man1")
POSTGRES = Path("/usr/share/postgresql/15/man")
DOC = Path("/usr/share/doc")

Document = tuple[str, str, str]  # (id, source, text as plain sentences joined by newlines)


def plain_sentences(paragraphs: list[str]) -> list[str]:
    out = []
    for paragraph in paragraphs:
        flat = re.sub(r"\s+", " ", paragraph).strip()
        out += [s.strip() for s in _SENTENCE.split(flat) if s.strip()]
    return out


def pick(candidates: list[str]) -> str | None:
    for s in candidates:
        words = s.split()
        if 8 <= len(words) <= 30 and not re.search(r"https?:|www\.|\S@\S|\t", s) and _TECHNICAL.search(s):
            return s
    return None


def by_hash(ids: list[str]) -> list[str]:
    return sorted(ids, key=lambda i: hashlib.sha256(i.encode()).hexdigest())


# --- cli: manual pages ---------------------------------------------------------------------------

def man_paragraphs(path: Path) -> list[str]:
    """The page from DESCRIPTION on, cut into paragraphs where a blank line or the indentation
    changes (a tagged option is a paragraph of its own)."""
    env = {**os.environ, "MANWIDTH": "4000", "LC_ALL": "C.UTF-8"}
    done = subprocess.run(["man", "--nh", "--nj", "-l", "-P", "cat", str(path)], capture_output=True,
                          text=True, env=env, timeout=60)
    lines = re.sub(r".\x08", "", done.stdout).splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "DESCRIPTION"), None)
    if start is None:
        return []
    paragraphs, current, indent = [], [], None
    for line in lines[start + 1:]:
        if not line.strip() or (line[:1].strip() and line.isupper()):
            if current:
                paragraphs.append(" ".join(current))
            current, indent = [], None
            continue
        here = len(line) - len(line.lstrip())
        if indent is not None and here != indent and current:
            paragraphs.append(" ".join(current))
            current = []
        current.append(line.strip())
        indent = here
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def man_documents(pages: list[Path]) -> Iterator[Document]:
    """Manual pages by name (a link and its target are one page)."""
    by_name: dict[str, Path] = {}
    for page in sorted(pages):
        target = page.resolve()
        if target.is_file() and target not in by_name.values():
            by_name.setdefault(page.name.split(".")[0], target)
    for name in by_hash(list(by_name)):
        yield name, f"man/{by_name[name].parent.name}/{by_name[name].name}", \
            "\n".join(plain_sentences(man_paragraphs(by_name[name])))


def cli_documents() -> Iterator[Document]:
    postgres = {p.name for p in POSTGRES.glob("man1/*")}
    yield from man_documents([p for p in MAN1.iterdir() if not p.name.startswith("gcloud_")
                              and p.name not in postgres])


# --- cloud and database: API docs ----------------------------------------------------------------

def botocore_documents(site: Path) -> Iterator[Document]:
    data = site / "botocore" / "data"
    services = {p.name: p for p in data.iterdir() if p.is_dir()}
    for name in by_hash(list(services)):
        versions = sorted(services[name].glob("*/service-2.json*"))
        if not versions:
            continue
        raw = versions[-1].read_bytes()
        model = json.loads(gzip.decompress(raw) if versions[-1].suffix == ".gz" else raw)
        doc = model.get("documentation", "")
        paragraphs = [html.unescape(re.sub(r"<[^>]+>", " ", p)) for p in re.split(r"</?p>|<li>|</li>", doc)]
        yield f"aws.{name}", f"botocore {versions[-1].parent.name}/{name}", "\n".join(plain_sentences(paragraphs))


def ansible_documents(site: Path) -> Iterator[Document]:
    import ast

    import yaml

    modules = {p.stem: p for p in (site / "ansible" / "modules").glob("*.py") if not p.name.startswith("_")}
    for name in by_hash(list(modules)):
        tree = ast.parse(modules[name].read_text("utf-8"))
        doc = next((n.value.value for n in tree.body if isinstance(n, ast.Assign)
                    and any(getattr(t, "id", "") == "DOCUMENTATION" for t in n.targets)), "")
        try:
            description = (yaml.safe_load(doc) or {}).get("description", "")
        except yaml.YAMLError:
            continue
        paragraphs = description if isinstance(description, list) else [description]
        # Ansible's markup: C(code), O(option), V(value), M(module), I(italic), B(bold), L(text, url)
        paragraphs = [re.sub(r"\b[COVMIBPRE]\(([^()]*)\)", r"\1", str(p)) for p in paragraphs]
        yield f"ansible.{name}", "ansible-core modules", "\n".join(plain_sentences(paragraphs))


def docstring_documents(site: Path, package: str) -> Iterator[Document]:
    sys.path.insert(0, str(site))
    try:
        found = dict(docstrings(package))
    finally:
        sys.path.remove(str(site))
    for name in by_hash(list(found)):
        yield name, package, "\n".join(sentences(found[name], "rst"))


# --- abstracts: diffusers' API docs --------------------------------------------------------------

def abstract_documents(repo: Path) -> Iterator[Document]:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout

    pages = [p for p in git("ls-tree", "-r", "--name-only", "HEAD", "docs/source/en/api").splitlines()
             if p.endswith(".md")]
    for page in by_hash(pages):
        text = git("show", f"HEAD:{page}")
        m = re.search(r"^[^\n]*\babstract\b[^\n]*:\s*\n\s*\n(.+?)(?:\n\s*\n|\Z)", text, re.I | re.M | re.S)
        if m:
            body = m.group(1).strip().strip("*_").strip()
            yield page.removeprefix("docs/source/en/api/").removesuffix(".md"), "diffusers docs", \
                "\n".join(sentences(body, "markdown"))


# --- changelogs ----------------------------------------------------------------------------------

_DEBIAN_HEADER = re.compile(r"^\S.*\(.*\).*;\s*urgency=|^ -- |^\d{4}-\d\d-\d\d\s|^\w+ \w+ +\d+ .*\d{4}")


def changelog_items(text: str) -> list[str]:
    """Bullets (`*`, `-`, `+`, `o`) and paragraphs, with dated headers and sign-off lines left out."""
    items, current = [], []
    for line in text.splitlines():
        if not line.strip() or _DEBIAN_HEADER.match(line) or re.match(r"^\s*[=-]{3,}\s*$", line):
            if current:
                items.append(" ".join(current))
            current = []
            continue
        m = re.match(r"^\s*(?:[*+o-]|\[[^]]*\])\s+(.*)", line)
        if m:
            if current:
                items.append(" ".join(current))
            current = [m.group(1).strip()]
        else:
            current.append(line.strip())
    if current:
        items.append(" ".join(current))
    return items


def changelog_documents() -> Iterator[Document]:
    packages = {}
    for folder in DOC.iterdir():
        for name in ("changelog.gz", "changelog.Debian.gz"):
            if (folder / name).is_file() and not (folder / name).is_symlink():
                packages[folder.name] = folder / name
                break
    for name in by_hash(list(packages)):
        try:
            text = gzip.decompress(packages[name].read_bytes()).decode("utf-8", "replace")
        except (OSError, EOFError):
            continue
        yield name, f"/usr/share/doc/{name}/{packages[name].name}", "\n".join(plain_sentences(changelog_items(text)))


def genre_sources(args: argparse.Namespace) -> list[Callable[[], Iterator[Document]]]:
    site = Path(args.site)
    return {
        "cli": [cli_documents],
        "cloud": [lambda: botocore_documents(site), lambda: man_documents(list(MAN1.glob("gcloud_*"))),
                  lambda: ansible_documents(site),
                  lambda: docstring_documents(site, "docker"), lambda: docstring_documents(site, "kubernetes")],
        "database": [lambda: man_documents([*POSTGRES.glob("man1/*"), *POSTGRES.glob("man7/*")]),
                     *(lambda p=p: docstring_documents(site, p)
                       for p in ("sqlalchemy", "redis", "pymongo", "psycopg"))],
        "abstracts": [lambda: abstract_documents(Path(args.diffusers))],
        "changelogs": [changelog_documents],
    }[args.genre]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--genre", required=True, choices=("cli", "cloud", "database", "abstracts", "changelogs"))
    ap.add_argument("--limit", type=int, default=36)
    ap.add_argument("--site", default="/tmp/genre_src/site", help="folder with the wheels unpacked")
    ap.add_argument("--diffusers", default="/work/.mirror/huggingface+diffusers/repo", help="a diffusers git folder")
    args = ap.parse_args()
    streams = [source() for source in genre_sources(args)]
    print("id\ttext\tsource")
    taken: set[str] = set()
    n = 0
    while streams and n < args.limit:
        for stream in list(streams):
            for doc_id, source, text in stream:
                sentence = pick(text.split("\n"))
                shape = sentence and re.sub(r"\d+", "#", sentence)
                if sentence and shape not in taken and ">>>" not in sentence:
                    taken.add(shape)
                    print(f"{args.genre}.{doc_id.replace('/', '.')}\t{sentence}\t{source}", flush=True)
                    n += 1
                    break
            else:
                streams.remove(stream)
            if n == args.limit:
                break
    return 0


if __name__ == "__main__":
    sys.exit(main())
