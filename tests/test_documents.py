"""Markup soup: whatever mix of Markdown, reStructuredText and LaTeX marks comes in, every token
and every skipped span is a slice of the input, and the rendered view keeps its offsets."""
from __future__ import annotations

import random

import pytest

from enunciate.pipeline import frontend
from enunciate.text.document import paragraphs, rendered

PIECES = list("ab XY_.,:;`*|$\\^{}()[]<>#=-+~/!?'\"\n  ") + [
    ".. ", ":: ", "``", "`_", ":math:`", ":ref:`", "|x|", "$$", "\\frac", "\\sqrt", "- ", "1. ", "> ", "[!NOTE]",
    "<!--", "-->", "![a](b)", "[a][b]", "    ", "\t", "é", "🚀", ".. note::", ".. math::", ".. |x| replace:: y\n",
    "====\n", "::\n\n    ", "<img src=x>", "- [x] ", "$5", "$O(n^2)$", "`&`", "`vec!`", "**o**", "0x1F", "⌘",
    "&lt;", "&amp;", "<code>", "</code>", "<p>", "Vec<T>", "550e8400-e29b-41d4-a716-446655440000", "threadpoolctl"]


@pytest.mark.parametrize("markup", ["markdown", "rst", "html", "asciidoc", "plain"])
def test_markup_soup_keeps_every_offset(markup):
    g2p, rng = frontend(), random.Random(17)
    for _ in range(400):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 60)))
        for para in paragraphs(text, g2p, markup=markup):
            for tok in para.tokens:
                assert 0 <= tok.span[0] <= tok.span[1] <= len(text) and text[slice(*tok.span)] == tok.original
            for skipped, span, _ in para.skipped:
                assert text[slice(*span)] == skipped
        assert len(rendered(text, markup)) == len(text)
