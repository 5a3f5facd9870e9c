"""Draw a neutral sample of technical sentences from the READMEs of installed Python packages (the
long description in each `*.dist-info/METADATA`), by a fixed rule, for a term set that nobody
wrote around enunciate's readings. tests/data/package_readmes.tsv was drawn with (the excluded
READMEs are those read while writing readings):

    python benchmarks/sample_readme_sentences.py --limit 40 --exclude anyio,onnx,requests,\
        onnxruntime,urllib3,librosa,httpx2,faster_whisper,ctranslate2,transformers,tokenizers,\
        rich,typer,huggingface_hub,pooch

Rule: packages in alphabetical order, those whose description is Markdown; each README is read
as Markdown (code blocks, images and link targets dropped, as enunciate reads it); its paragraphs
and list items are cut into sentences; the first sentence of 8-30 words without a URL that holds
a technical token (a digit, two capitals in a word, or a dot, underscore or slash inside a word)
is taken: one per package, and a sentence already taken from another package (up to its digits)
is not taken again. The terms column is written by hand afterwards.
"""
from __future__ import annotations

import argparse
import re
import sys
from email.parser import Parser
from importlib import metadata

_TECHNICAL = re.compile(r"\d|\b\w*[A-Z]\w*[A-Z]\w*\b|\w[._/]\w")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"'(])")


def readme(dist: metadata.Distribution) -> str:
    """The long description when it is Markdown (the committed set was drawn before enunciate read
    reStructuredText, and keeps that rule)."""
    message = Parser().parsestr(dist.read_text("METADATA") or "")
    if "markdown" not in (message.get("Description-Content-Type") or ""):
        return ""
    return message.get_payload() or ""


def sentences(text: str, markup: str = "markdown") -> list[str]:
    from enunciate.text.readers.markdown import blocks
    from enunciate.text.readers.rst import blocks as rst_blocks

    out = []
    for block in (rst_blocks(text) if markup == "rst" else blocks(text)):
        if block.skipped or block.kind not in ("paragraph", "list_item"):
            continue
        flat = re.sub(r"\s+", " ", block.text).strip()
        flat = re.sub(r" ([,.;:!?)])", r"\1", flat)
        out += [s.strip() for s in _SENTENCE.split(flat) if s.strip()]
    return out


def pick(text: str, markup: str = "markdown") -> str | None:
    for s in sentences(text, markup):
        words = s.split()
        if 8 <= len(words) <= 30 and "http" not in s and "\t" not in s and _TECHNICAL.search(s):
            return s
    return None


def docstrings(package: str) -> list[tuple[str, str]]:
    """(module.name, docstring) of the public functions and classes of an installed package, its
    modules in path order, each module's definitions in source order."""
    import ast
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.origin:
        return []
    root = Path(spec.origin).parent
    files = sorted(root.rglob("*.py")) if spec.submodule_search_locations else [Path(spec.origin)]
    out = []
    for path in files:
        if any(part.startswith("_") and part != "__init__.py" for part in path.relative_to(root).parts) \
                or "test" in path.as_posix():
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        module = ".".join([package, *path.relative_to(root).with_suffix("").parts]).removesuffix(".__init__")
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                doc = ast.get_docstring(node)
                if doc:
                    out.append((f"{module}.{node.name}", doc))
    return out


def main_docstrings(packages: list[str], per_package: int, limit: int) -> int:
    """One sentence per docstring, up to `per_package` per package, by the same rule, reading the
    docstring as reStructuredText (as Sphinx does)."""
    print("id\ttext\tsource")
    taken: set[str] = set()
    n = 0
    for package in sorted(packages):
        got = 0
        for name, doc in docstrings(package):
            sentence = pick(doc, "rst")
            shape = sentence and re.sub(r"\d+", "#", sentence)
            if sentence and shape not in taken and ">>>" not in sentence:
                taken.add(shape)
                print(f"{name}\t{sentence}\t{package} {metadata.version(_distribution(package))}")
                got, n = got + 1, n + 1
                if got == per_package or n == limit:
                    break
        if n == limit:
            break
    return 0


def _distribution(package: str) -> str:
    names = metadata.packages_distributions().get(package, [package])
    return names[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exclude", default="", help="comma-separated package names to leave out")
    ap.add_argument("--limit", type=int, default=40)
    ap.add_argument("--docstrings", default="", help="comma-separated packages: sample their docstrings instead")
    ap.add_argument("--per-package", type=int, default=5, help="with --docstrings: sentences per package")
    args = ap.parse_args()
    if args.docstrings:
        return main_docstrings([p.strip() for p in args.docstrings.split(",") if p.strip()], args.per_package,
                               args.limit)
    exclude = {n.strip().lower().replace("-", "_") for n in args.exclude.split(",") if n.strip()}
    dists = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"].lower().replace("-", "_")
        if name not in exclude and name != "enunciate":
            dists.setdefault(name, dist)
    print("id\ttext\tsource")
    taken: set[str] = set()
    n = 0
    for name in sorted(dists):
        sentence = pick(readme(dists[name]))
        shape = sentence and re.sub(r"\d+", "#", sentence)  # "part 2/4 of" is "part 1/4 of" again
        if sentence and shape not in taken:
            taken.add(shape)
            print(f"{name}\t{sentence}\t{name} {dists[name].version}")
            n += 1
            if n == args.limit:
                break
    return 0


if __name__ == "__main__":
    sys.exit(main())
