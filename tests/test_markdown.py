"""Markdown stripping keeps every offset: block text lines up with the original input."""
from __future__ import annotations

import pytest

from enunciate.text.markdown import blocks

DOC = """# Review: the **RTX 4090**

It runs `kubectl` in *35 ms* and [nginx](https://nginx.org) says [kubectl](/kjuːb kənˈtɹoʊl/).
A second line, same paragraph.

- first item
- second item with snake_case_name

```bash
rm -rf /tmp/x
```

| GPU | price |
|-----|-------|
| H100 | $30,000 |
"""


def test_kinds_and_order():
    kinds = [b.kind for b in blocks(DOC)]
    assert kinds == ["heading", "paragraph", "list_item", "list_item", "code", "table_row", "table_row"]


def test_block_text_is_aligned_with_the_original():
    for b in blocks(DOC):
        assert len(b.text) == b.end - b.start
        for k, ch in enumerate(b.text):
            if ch not in " ,":  # markup is blanked to spaces (table bars to commas)
                assert DOC[b.start + k] == ch


@pytest.mark.parametrize("md, spoken", [
    ("**bold** and _it_", "bold and it"),
    ("use `pip install` now", "use pip install now"),
    ("see [the docs](https://x.io/a)", "see the docs"),
    ("snake_case_name stays", "snake_case_name stays"),
    ("a * b * c", "a * b * c"),
    ("***both***", "both"),
    ("<b>html</b> tag", "html tag"),
    ("fast &amp; cheap &mdash; 4&nbsp;Gi", "fast & cheap — 4 Gi"),  # entities: their character
    ("`a &amp;&amp; b` in code", "a &amp;&amp; b in code"),          # literal inside code
    ("&bogus; stays", "&bogus; stays"),
    ("details[^1] here", "details here"),                              # footnote marks are silent
    ("send <token> and <b>this</b>", "send <token> and this"),        # a placeholder is no HTML tag
    ("`Bearer <b>`", "Bearer <b>"),                                    # nothing is a tag in code
])
def test_inline_markup(md, spoken):
    (block,) = list(blocks(md))
    assert " ".join(block.text.split()) == spoken


def test_pronunciation_override_is_not_a_link():
    (block,) = list(blocks("say [kubectl](/kjuːb kənˈtɹoʊl/) and [k](kokoro:kˈA)"))
    assert "[kubectl](/kjuːb kənˈtɹoʊl/)" in block.text and "[k](kokoro:kˈA)" in block.text


def test_code_block_is_skipped_but_reported():
    code = [b for b in blocks(DOC) if b.kind == "code"]
    assert code and code[0].skipped and "rm -rf" in code[0].text


def test_unclosed_fence_is_still_skipped():
    out = list(blocks("intro\n\n```\nnever closed"))
    assert out[-1].skipped or out[0].kind == "paragraph"
    assert [b.kind for b in out] == ["paragraph", "code"]


def test_plain_mode_keeps_markup_characters():
    (block,) = list(blocks("**not bold** # not heading", markdown=False))
    assert block.text == "**not bold** # not heading"


def test_blocks_are_lazy_on_a_large_input():
    big = "A paragraph about CUDA.\n\n" * 40_000  # ~1 MB
    it = blocks(big)
    first = next(it)
    assert first.text.strip() == "A paragraph about CUDA."


def test_footnote_text_is_read_without_its_mark():
    text = "Tested twice[^1].\n\n[^1]: On EKS and GKE.\n"
    first, note = blocks(text)
    assert first.text.split()[:2] == ["Tested", "twice"] and "^" not in first.text
    assert " ".join(note.text.split()) == "On EKS and GKE."
    assert text[note.start:note.end].endswith("On EKS and GKE.") and len(note.text) == note.end - note.start
