"""Markdown stripping keeps every offset: block text lines up with the original input."""
from __future__ import annotations

import re

import pytest

import enunciate
from enunciate.text.readers.markdown import blocks

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
    ("the __[CommonMark spec][cm]__ says", "the CommonMark spec says"),  # bold around a link
    ("![CI][ci-badge] Build", "Build"),                                # a reference-style image
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


README = """Requests
========

[![Version](https://img.shields.io/pypi/v/requests.svg)](https://pypi.org/project/requests/)
[![CI](https://github.com/x/y/actions/workflows/ci.yml/badge.svg)](https://github.com/x/y/actions)

## Install ##

See <https://docs.python.org/3/library/asyncio.html> or mail <dev@example.com>, and the [guide][1].

<!--
hidden from readers
-->

- [x] ship v2.0 :rocket:
- [ ] write docs <!-- TODO -->

Use \\*args, not `\\*args`; see [Foo](https://en.wikipedia.org/wiki/Foo_(bar)) and ![the plot](p.png).

[1]: https://example.com/guide "The guide"
[Note]: this line is prose.
"""


def _said(text: str) -> list[tuple[str, str]]:
    """Blocks read aloud, blanks squeezed (a blanked ">" leaves a space before the next comma)."""
    return [(b.kind, re.sub(r" ([,.;])", r"\1", " ".join(b.text.split())))
            for b in blocks(text) if not b.skipped and b.text.strip()]


def test_markdown_as_found_in_readmes_is_read_as_rendered():
    assert _said(README) == [
        ("heading", "Requests"),
        ("heading", "Install"),
        ("paragraph", "See https://docs.python.org/3/library/asyncio.html or mail dev@example.com, and the guide."),
        ("list_item", "ship v2.0"),
        ("list_item", "write docs"),
        ("paragraph", "Use *args, not \\*args; see Foo and."),
        ("paragraph", "[Note]: this line is prose."),
    ]


def test_what_markdown_hides_is_reported_not_dropped():
    found = list(blocks(README))
    hidden = [(b.kind, README[b.start:b.end]) for b in found if b.skipped]
    assert hidden == [("comment", "<!--\nhidden from readers\n-->"),
                      ("link_definition", '[1]: https://example.com/guide "The guide"')]
    skips = [(README[a:b], why) for blk in found for a, b, why in blk.skips]
    assert skips == [
        ("![Version](https://img.shields.io/pypi/v/requests.svg)", "image not read aloud"),
        ("![CI](https://github.com/x/y/actions/workflows/ci.yml/badge.svg)", "image not read aloud"),
        ("[x]", "task box not read aloud"), (":rocket:", "emoji shortcode not read aloud"),
        ("[ ]", "task box not read aloud"), ("<!-- TODO -->", "HTML comment not read aloud"),
        ("![the plot](p.png)", "image not read aloud"),
    ]
    for b in found:  # offsets still hold
        assert len(b.text) == b.end - b.start


def test_a_bar_between_links_is_a_pause_but_a_pipe_in_code():
    (block,) = blocks("[Docs](https://x.io) | [Blog](https://y.io) | Discord; run `ps | grep x`")
    assert " ".join(block.text.split()) == "Docs , Blog , Discord; run ps | grep x"


def test_a_line_of_dashes_under_text_is_a_heading_not_a_rule():
    assert _said("Usage\n-----\nRun it.\n\n---\n\nDone.") == [
        ("heading", "Usage"), ("paragraph", "Run it."), ("paragraph", "Done.")]


def test_hidden_spans_reach_the_speech_report():
    from enunciate.pipeline import frontend
    from enunciate.text.document import paragraphs

    g2p = frontend()
    skipped = [(text, why) for p in paragraphs(README, g2p) for text, _, why in p.skipped]
    assert ("<!--\nhidden from readers\n-->", "HTML comment not read aloud") in skipped
    assert ("![the plot](p.png)", "image not read aloud") in skipped
    assert ('[1]: https://example.com/guide "The guide"', "link definition not read aloud") in skipped


def test_wrapped_list_items_and_quotes_stay_one_block():
    text = ("- A long item that\n  wraps onto a second line.\n- Second item\ncontinues lazily.\n\n"
            "> A quote that **spans\n> two lines** here.\n\nBold **across\nlines** too.\n")
    assert _said(text) == [
        ("list_item", "A long item that wraps onto a second line."),
        ("list_item", "Second item continues lazily."),
        ("quote", "A quote that spans two lines here."),
        ("paragraph", "Bold across lines too."),
    ]


def test_an_html_image_is_reported_like_a_markdown_one():
    text = '<p align="center"><img src="logo.png" alt="enunciate logo" width="200"></p>\n\nFast TTS.\n'
    found = list(blocks(text))
    assert [(text[a:b], why) for blk in found for a, b, why in blk.skips] == [
        ('<img src="logo.png" alt="enunciate logo" width="200">', "image not read aloud")]
    assert [" ".join(b.text.split()) for b in found if b.text.strip()] == ["Fast TTS."]


def test_indented_code_is_skipped_but_a_list_continuation_is_read():
    text = ("Install it:\n\n    pip install enunciate\n    enunciate demo\n\nThen read on.\n\n"
            "1. First step\n\n    continued paragraph of the first step\n\n"
            "2. Second step\n\n    code again? no: the list goes on\n\n"
            "Back to prose.\n\n    rm -rf build\n")
    found = list(blocks(text))
    assert [(b.kind, b.skipped) for b in found] == [
        ("paragraph", False), ("code", True), ("paragraph", False), ("list_item", False), ("paragraph", False),
        ("list_item", False), ("paragraph", False), ("paragraph", False), ("code", True)]
    assert found[1].text == "    pip install enunciate\n    enunciate demo" and found[-1].text == "    rm -rf build"


def test_numbered_steps_keep_their_numbers():
    assert _said("1. Install it\n2. Run it\n\n- a bullet\n") == [
        ("list_item", "1, Install it"), ("list_item", "2, Run it"), ("list_item", "a bullet")]
    said = " ".join(w.spoken for w in enunciate.phonemize("1. Install it\n2. Run it\n").words)
    assert said == "one install it two run it"


TABLE = """| **voice** | `RTF` | notes |
|---|---|---|
| heart | 0.004 | default |
| joe | 0.03 | |
| a \\| b | 1 | escaped bar |

| no | header |
| joe | 0.03 |
"""


def test_table_cells_are_read_after_their_column_names():
    rows = [b for b in blocks(TABLE) if b.kind == "table_row"]
    header, heart, joe, escaped, plain1, plain2 = rows
    assert header.said_as == []  # the header row itself is read as it is
    assert [w for _, _, w in heart.said_as] == ["voice:", "; RTF:", "; notes:"]
    assert all(TABLE[a:b] == "|" for a, b, _ in heart.said_as)  # each name is timed on the bar before its cell
    assert [w for _, _, w in joe.said_as] == ["voice:", "; RTF:"]  # an empty cell is not named
    assert [w for _, _, w in escaped.said_as] == ["voice:", "; RTF:", "; notes:"]  # "\\|" is no edge
    # a table with no |---| line has no names: its bars are pauses
    assert plain1.said_as == [] and plain2.said_as == [] and plain2.text.strip().startswith(",")


def test_table_rows_spoken_with_names_and_timed_words():
    report = enunciate.phonemize(TABLE)
    spoken = " ".join(w.spoken for w in report.words)
    assert "voice heart RTF zero point zero zero four notes default" in spoken
    assert "voice A pipe B" in spoken.replace("a pipe b", "A pipe B")
    names = [w for w in report.words if w.text == "|"]
    assert [w.spoken for w in names[:3]] == ["voice", "RTF", "notes"]


@pytest.mark.parametrize("md, spoken, span", [
    ("What&rsquo;s new", ["what's", "new"], "What&rsquo;s"),       # an entity inside a word
    ("The <b>o</b>utput", ["the", "output"], "o</b>utput"),        # an inline tag inside a word
    ("The **o**utput is un*frigging*believable", ["the", "output", "is", "unfriggingbelievable"], "o**utput"),
    ("x*y*z and 2*3*4", ["X star Y star Z", "and", "two star three star four"], "2*3*4"),  # not emphasis
    ("see [nginx](https://nginx.org)'s docs", ["see", "nginx's", "docs"], "nginx](https://nginx.org)'s"),
])
def test_words_cut_by_markup_are_read_whole(md, spoken, span):
    report = enunciate.phonemize(md)
    assert [w.spoken for w in report.words] == spoken
    assert span in [w.text for w in report.words]


def test_generic_types_are_not_html_tags():
    report = enunciate.phonemize("Use `Vec<T>` or HashMap<K, V> with <b>bold</b> and <token>.")
    assert [w.spoken for w in report.words] == ["use", "vec of T", "or", "hash map of K and V", "with", "bold",
                                                "and", "token"]


def test_code_spans_that_prose_would_misread_are_named():
    report = enunciate.phonemize("Use `&` or `[]` and the `?` operator; the `vec!` macro builds one, "
                                 "`assert_eq!` checks.")
    assert [w.spoken for w in report.words] == ["use", "ampersand", "or", "square brackets", "and", "the",
                                                "question mark", "operator", "the", "vec", "macro", "builds", "one",
                                                "assert eq", "checks"]
    assert [w.text for w in report.words][1] == "&"  # the span is the code's
    from enunciate.pipeline import frontend
    from enunciate.text.document import paragraphs

    [paragraph] = paragraphs("The `vec!` macro builds one, and `?` too.", frontend(()))
    assert [t.punct for t in paragraph.tokens if t.punct] == [",", "."]  # no "!" or "?" ends a sentence



def test_a_backslash_ending_a_line_is_a_line_break():
    from enunciate.pipeline import frontend
    from enunciate.text.document import paragraphs

    text = "line one\\\nline two, and C:\\\\\nnext"  # the second is an escaped backslash, said
    [paragraph] = paragraphs(text, frontend(()))
    spoken = [(t.spoken, t.punct) for t in paragraph.tokens if t.spoken]
    assert spoken[:2] == [("line", ""), ("one", ",")]  # a pause, not "backslash"
    assert " ".join(s for s, _ in spoken) == "line one line two and C backslash next"


def test_myst_roles_read_as_sphinx_shows_them():
    report = enunciate.phonemize("Read {doc}`the installation page <installation>`, a {term}`wheel`, "
                                 "{func}`~pkg.io.load` and {math}`x^2`.")
    assert " ".join(w.spoken for w in report.words) == \
        "read the installation page a wheel load and X squared"


def test_myst_admonitions_are_read_and_other_directives_reported():
    text = ("```{note}\nPin with the `==` operator.\n```\n\n```{versionadded} 6.0\nThe `--user` flag.\n```\n\n"
            "```{warning}\n:class: strong\nDo **not** run as root.\n```\n\n```{toctree}\n:hidden:\nintro\n```\n\n"
            "```python\nprint(1)\n```\n")
    report = enunciate.phonemize(text)
    assert " ".join(w.spoken for w in report.words) == (
        "note pin with the double equals operator versionadded six point oh the dash dash user flag "
        "warning do not run as root")
    assert [s.reason for s in report.skipped] == ["directive not read aloud", "code block not read aloud"]
    assert all(text[slice(*w.span)] == w.text for w in report.words)


def test_a_suffix_glued_to_a_code_span_joins_it():
    """"`Node.js`-based" renders as one word: it is read as Node.js based, not "node, js based" or
    "dash based"."""
    for text, spoken in (("a `Node.js`-based tool", ["a", "Node.js based", "tool"]),
                         ("the `async`-aware API", ["the", "async aware", "API"])):
        assert [w.spoken for w in enunciate.phonemize(text).words] == spoken
