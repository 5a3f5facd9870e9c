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
    """The long description when it is Markdown (reStructuredText is not what enunciate reads)."""
    message = Parser().parsestr(dist.read_text("METADATA") or "")
    if "markdown" not in (message.get("Description-Content-Type") or ""):
        return ""
    return message.get_payload() or ""


def sentences(text: str) -> list[str]:
    from enunciate.text.markdown import blocks

    out = []
    for block in blocks(text):
        if block.skipped or block.kind not in ("paragraph", "list_item"):
            continue
        flat = re.sub(r"\s+", " ", block.text).strip()
        flat = re.sub(r" ([,.;:!?)])", r"\1", flat)
        out += [s.strip() for s in _SENTENCE.split(flat) if s.strip()]
    return out


def pick(text: str) -> str | None:
    for s in sentences(text):
        words = s.split()
        if 8 <= len(words) <= 30 and "http" not in s and "\t" not in s and _TECHNICAL.search(s):
            return s
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exclude", default="", help="comma-separated package names to leave out")
    ap.add_argument("--limit", type=int, default=40)
    args = ap.parse_args()
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
