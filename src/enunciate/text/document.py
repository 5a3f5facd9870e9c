"""Any input -> paragraphs of tokens with spans of the original: Markdown, reStructuredText, HTML,
notebooks or plain text through blocks + normalize, SSML through the SSML reader. All end in the
same Token stream, so chunking, timing, captions and reports do not care where a token came from."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterator

from .normalize import KnownWords, normalize
from .readers import Block
from .readers.markdown import blocks
from .tokens import Paragraph, Token
from .words import is_article


_HIDDEN = {"code": "code block", "comment": "HTML comment", "link_definition": "link definition",
           "directive": "directive", "rst_comment": "comment", "doc_comment": "comment",
           "math": "unclosed math block",
           "page_chrome": "page navigation, header or footer (outside <main>)"}  # other kinds name themselves


def is_ssml(text: str) -> bool:
    """Input whose first element is <speak> (after an optional XML declaration) is SSML."""
    head = text.lstrip()[:200]
    if head.startswith("<?xml"):
        head = head[head.find("?>") + 2:].lstrip()
    if head.startswith("<!DOCTYPE") or head.startswith("<!--"):  # the SSML reader refuses DOCTYPEs
        return "<speak" in text[:65536]
    return head.startswith("<speak")


# How a document is read by its file's suffix (`enunciate speak -f`, `enunciate lexicon suggest`)
SUFFIX_MARKUPS = {".rst": "rst", ".rest": "rst", ".html": "html", ".htm": "html", ".xhtml": "html",
                  ".ipynb": "notebook", ".adoc": "asciidoc", ".asciidoc": "asciidoc", ".asc": "asciidoc"}


def markup_of(path: str | os.PathLike) -> str:
    """The markup a document file is read with, by its suffix; anything else is Markdown."""
    return SUFFIX_MARKUPS.get(Path(path).suffix.lower(), "markdown")


_HTML_START = re.compile(r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!DOCTYPE\s+html|html)[\s>]", re.I | re.S)
_NOTEBOOK_START = re.compile(r'\s*\{\s*"(?:cells|metadata|nbformat)"\s*:')


def sniffed(text: str, markup: str) -> str:
    """The markup to read `text` with: "markdown" (the default) gives way to "html" for a whole HTML
    page (<!DOCTYPE html> or <html> first) and to "notebook" for a notebook's JSON, as when a page
    or notebook is piped in without its file name."""
    if markup != "markdown":
        return markup
    head = text[:4096]
    if _HTML_START.match(head):
        return "html"
    if _NOTEBOOK_START.match(head) and '"cells"' in text and '"nbformat"' in text:
        return "notebook"
    return markup


def document_blocks(text: str, markup: str = "markdown") -> Iterator[Block]:
    """Blocks of a Markdown, reStructuredText, HTML, Jupyter notebook, AsciiDoc or plain document,
    offsets kept; a whole HTML page or notebook given as Markdown is read as what it is (`sniffed`)."""
    markup = sniffed(text, markup)
    if markup == "rst":
        from .readers.rst import blocks as rst_blocks

        return rst_blocks(text)
    if markup == "html":
        from .readers.html import blocks as html_blocks

        return html_blocks(text)
    if markup == "notebook":
        from .readers.notebook import blocks as notebook_blocks

        return notebook_blocks(text)
    if markup == "asciidoc":
        from .readers.asciidoc import blocks as asciidoc_blocks

        return asciidoc_blocks(text)
    return blocks(text, markdown=markup != "plain")


def paragraphs(text: str, known: KnownWords, markup: str = "markdown", ssml: bool | None = None) -> Iterator[Paragraph]:
    """Lazily, one paragraph at a time (a 1 MB document streams). `markup`: "markdown", "rst"
    (reStructuredText), "html", "notebook" (.ipynb), "asciidoc" or "plain"; SSML is recognized by its
    <speak> root."""
    if ssml or (ssml is None and is_ssml(text)):
        from .ssml import ssml_paragraphs

        yield from ssml_paragraphs(text, known)
        return
    for block in document_blocks(text, markup):
        if block.skipped:
            why = f"{_HIDDEN.get(block.kind, block.kind)} not read aloud"
            yield Paragraph(block.kind, [], block.pause_s, [(block.text, (block.start, block.end), why)])
            continue
        # block.text is aligned with the input from block.start, so spans index `text`.
        tokens = normalize(block.text, block.start, known=known)
        for t in tokens:  # block text may differ from the input in a mark ("|" read as ","): show the input's
            t.span = (t.span[0], block.wide.get(t.span[1] - 1, t.span[1]))
            t.original = text[t.span[0]:t.span[1]]
        for a, b, said in block.said_as:
            _read_as(tokens, Token(text[a:b], (a, b), "", "word"), said, known)
        skipped = [(text[a:b], (a, b), why) for a, b, why in block.skips]
        skipped += [(t.original, t.span, f"{t.kind} cannot be spoken") for t in tokens
                    if not t.spoken and t.phonemes is None and t.kind not in ("punct", "break")
                    and t.original.strip()]
        skipped.sort(key=lambda s: s[1])
        yield Paragraph(block.kind, tokens, block.pause_s, skipped)


def _read_as(tokens: list[Token], tok: Token, said: str, known: KnownWords) -> None:
    """Put `tok` (a span read as other text: an RST substitution, a table's column name) among
    `tokens` in order, spoken as `said` is normalized. A mark after the span (" |project|.") was
    moved onto the word before it while the span was blank; it belongs to `tok`. A mark opening
    `said` ("; WER:") goes on the word before, one closing it on `tok`."""
    lead, trail = said[:1] if said[:1] in ",;" else "", said[-1:] if said[-1:] in ",;:" else ""
    said = said.strip(",;: ")
    tok.spoken = " ".join(t.spoken for t in normalize(said, known=known) if t.spoken)
    at = next((k for k, t in enumerate(tokens) if t.span[0] >= tok.span[1]), len(tokens))
    before = next((t for t in reversed(tokens[:at]) if t.spoken), None)
    if before is not None and before.spoken == "A" and is_article(before.original, said, said=True):
        before.spoken, before.kind = "a", "word"  # "a `Result<T, E>`": the article, not the letter
    after = tokens[at:next((k for k in range(at, len(tokens)) if tokens[k].spoken), len(tokens))]
    if before is not None and any(t.kind == "punct" and t.original.strip() for t in after):
        tok.punct, before.punct = before.punct, ""
    if lead and before is not None and not before.punct:
        before.punct = lead
    tok.punct = tok.punct or trail
    tokens.insert(at, tok)


def rendered(text: str, markup: str = "markdown") -> str:
    """`text` as a reader sees it, offsets kept: markup and skipped blocks are spaces (captions
    show "speak", not ":func:`~enunciate.speak`"). SSML and plain text come back unchanged."""
    if markup == "plain" or is_ssml(text):
        return text
    chars = [c if c in "\r\n" else " " for c in text]
    for block in document_blocks(text, markup):
        if not block.skipped:
            chars[block.start:block.end] = block.text
    return "".join(chars)
