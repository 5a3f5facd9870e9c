"""Jupyter notebooks (.ipynb) -> the same blocks as Markdown, with offsets in the notebook file.

A tutorial notebook is read as it shows: its Markdown cells as Markdown; code cells, their outputs
and raw cells are skipped and reported. A cell's text lives in the file as JSON string literals
("Install \\"pip\\"\\n"), so each character is placed at the offset of its literal character or
escape in the file (an escape's other characters are blank), and word spans, captions and reports
point into the .ipynb itself.
"""
from __future__ import annotations

import json
import re
from typing import Iterator

from ...errors import EnunciateError
from . import Block
from .markdown import _GAP, join_split_words
from .markdown import blocks as markdown_blocks

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _literal(text: str, a: int, b: int) -> list[tuple[str, int, int]]:
    """A JSON string literal text[a:b] (quotes included) -> (character, offset, width) for each
    character it holds."""
    out: list[tuple[str, int, int]] = []
    k = a + 1
    while k < b - 1:
        ch = text[k]
        if ch != "\\":
            out.append((ch, k, 1))
            k += 1
        elif text[k + 1] == "u":
            code, width = int(text[k + 2:k + 6], 16), 6
            if 0xD800 <= code < 0xDC00 and text[k + 6:k + 8] == "\\u":  # a surrogate pair: one character
                low = int(text[k + 8:k + 12], 16)
                code, width = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00), 12
            out.append((chr(code), k, width))
            k += width
        else:
            out.append((_ESCAPES.get(text[k + 1], text[k + 1]), k, 2))
            k += 2
    return out


def _cells(text: str) -> list[dict]:
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as e:
        raise EnunciateError(f"not a Jupyter notebook: invalid JSON at line {e.lineno}, column {e.colno}") from e
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise EnunciateError("not a Jupyter notebook: no \"cells\" list (nbformat 4 is read)")
    return [c for c in cells if isinstance(c, dict)]


def _source_literals(text: str, cells: list[dict]) -> Iterator[tuple[dict, list[tuple[int, int]]]]:
    """Each cell with the file spans of its source's string literals, found in file order: after a
    "source" key, the literals that decode to the cell's source lines."""
    literals = [m.span() for m in _STRING.finditer(text)]
    k = 0
    for cell in cells:
        source = cell.get("source", "")
        lines = [source] if isinstance(source, str) else [s for s in source if isinstance(s, str)]
        while k < len(literals):
            a, b = literals[k]
            k += 1
            if text[a:b] != '"source"' or not text[b:].lstrip().startswith(":"):
                continue
            spans = literals[k:k + len(lines)]
            if [json.loads(text[x:y]) for x, y in spans] == lines:
                k += len(lines)
                yield cell, spans
                break


def blocks(text: str) -> Iterator[Block]:
    """Blocks of a notebook's Markdown cells in file offsets; code, output and raw cells skipped."""
    for cell, spans in _source_literals(text, _cells(text)):
        if not spans:
            continue
        kind = cell.get("cell_type")
        start, end = spans[0][0], spans[-1][1]
        if kind != "markdown":
            what = "code cell and its output" if kind == "code" and cell.get("outputs") else f"{kind} cell"
            yield Block(what, start, end, text[start:end], True)
            continue
        chars = [c for a, b in spans for c in _literal(text, a, b)]
        source = "".join(ch for ch, _, _ in chars)
        where = [off for _, off, _ in chars] + [end]  # where each source character begins in the file
        for block in markdown_blocks(source):
            yield _placed(block, text, chars, where)


def _placed(block: Block, text: str, chars: list[tuple[str, int, int]], where: list[int]) -> Block:
    """A block of a cell's source moved into file offsets: each character at its literal's offset."""
    start = where[block.start]
    last = chars[block.end - 1] if block.end > block.start else (None, start, 0)
    end = last[1] + last[2]
    if block.skipped:
        return Block(block.kind, start, end, text[start:end], True)
    shown = [" "] * (end - start)
    for i in range(block.start, block.end):
        ch = block.text[i - block.start]
        at, width = where[i] - start, chars[i][2]
        if ch in "\r\n\t" or ch.isspace():
            continue
        shown[at:at + width] = [_GAP] * width  # an escape's other characters join what is around it
        opening = width == 2 and (i == block.start or block.text[i - block.start - 1].isspace())
        shown[at + 1 if opening else at] = ch  # an opening \" sits by the word it opens

    def moved(spans):
        return [(where[a], chars[b - 1][1] + chars[b - 1][2], why) for a, b, why in spans]

    said = moved(block.said_as)
    placed, joined = join_split_words("".join(shown), said, start)
    wide = {where[i]: where[i] + chars[i][2] for i in range(block.start, block.end)
            if chars[i][2] > 2}  # "\\u00e9", "\\ud83d\\ude80": a word or symbol ends after its escape
    joined = [(a, wide.get(b - 1, b), word) for a, b, word in joined]
    return Block(block.kind, start, end, placed, skips=moved(block.skips), said_as=said + joined, wide=wide)
