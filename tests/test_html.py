"""HTML pages are read as a browser shows them to a listener: the main content, offsets kept, and
what is not read is reported."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import enunciate
from enunciate.text.document import rendered
from enunciate.text.readers.html import blocks

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "examples" / "release_notes.html").read_text(encoding="utf-8")


def _read(text: str) -> list[tuple[str, str]]:
    return [(b.kind, " ".join(b.text.split())) for b in blocks(text) if not b.skipped]


def test_only_the_main_content_is_read_and_the_rest_reported():
    read = _read(PAGE)
    assert read[0] == ("heading", "new in v2.3.1")  # "What&rsquo;s" is a span read as "what's"
    assert [w for _, _, w in next(blocks(PAGE[PAGE.index("<h1>"):])).said_as] == ["What’s"]
    assert ("heading", "Upgrade") in read and ("heading", "Benchmarks") in read
    assert all("Home" not in t and "rights reserved" not in t and "analytics" not in t for _, t in read)
    reasons = [s.reason for s in enunciate.phonemize(PAGE, markup="html").skipped]
    assert reasons == ["page navigation, header or footer (outside <main>) not read aloud",
                       "code block not read aloud", "image not read aloud", "HTML comment not read aloud",
                       "page navigation, header or footer (outside <main>) not read aloud"]


def test_offsets_hold_and_tags_are_blank():
    for b in blocks(PAGE):
        assert len(b.text) == b.end - b.start
        if b.skipped:
            continue
        assert "<" not in b.text and ">" not in b.text
        for k, ch in enumerate(b.text):
            if ch != " " and PAGE[b.start + k] != ch:  # an entity shows its character at its "&",
                assert PAGE[b.start + k] == "&" or (ch == "," and PAGE[b.start + k] == "<")  # a <br> a pause


def test_words_cut_by_tags_or_entities_are_read_whole():
    report = enunciate.phonemize("<p>The <b>o</b>utput of What&rsquo;s new, H<sub>2</sub>O.</p>", markup="html")
    assert [w.spoken for w in report.words] == ["the", "output", "of", "what's", "new", "H two O"]
    assert report.words[1].text == "o</b>utput"  # the span is the input's


def test_superscripts_are_powers_and_subscripts_indices():
    """The Rust reference's "2<sup>8</sup>-1" is two to the power of eight minus one, not twenty
    eight one; a superscript after a word stays a footnote number."""
    page = ("<table><tr><th>Type</th><th>Maximum</th></tr><tr><td><code>i8</code></td><td>2<sup>7</sup>-1</td></tr>"
            "</table><p>About 10<sup>-3</sup> s, -(2<sup>7</sup>), x<sup>2</sup>, x<sub>i</sub>, 10 km<sup>2</sup>"
            " and H<sub>2</sub>O.</p>")
    words = enunciate.phonemize(page, markup="html").words
    table_end = page.index("</table>")
    row = " ".join(w.spoken for w in words if w.span[0] < table_end)
    para = " ".join(w.spoken for w in words if w.span[0] > table_end)
    assert row.endswith("maximum two to the power of seven minus one")
    assert para == ("about ten to the power of minus three seconds minus two to the power of seven X squared X i "
                    "ten square kilometers and H two O")
    (power,) = [w for w in words if w.text.startswith("10<sup>")]
    assert power.text == "10<sup>-3</sup> s"  # the span is the input's


def test_a_footnote_in_a_header_cell_is_not_part_of_the_column_name():
    page = ("<table><tr><th>Kind</th><th><code>#</code> sets<sup class='footnote-reference'>"
            "<a href='#footnote-nsets'>1</a></sup></th><th>Area (m<sup>2</sup>)</th></tr>"
            "<tr><td>raw</td><td>&lt;256</td><td>5</td></tr></table>")
    spoken = " ".join(w.spoken for w in enunciate.phonemize(page, markup="html").words)
    assert spoken.endswith("kind raw hash sets less than two hundred fifty six area M squared five")


def test_an_issue_link_before_a_bracket_keeps_its_hash():
    """rustdoc's "(<code>name</code>&nbsp;<a href=…>#91913</a>)": the issue's number, not "hash"."""
    page = "<p>API. (<code>try_with_capacity</code>&nbsp;<a href='https://x.io/issues/91913'>#91913</a>)</p>"
    assert [w.spoken for w in enunciate.phonemize(page, markup="html").words][-1] == "number ninety one nine thirteen"


def test_table_cells_are_read_after_their_header_cells():
    rows = [b for b in blocks(PAGE) if b.kind == "table_row"]
    assert len(rows) == 3 and rows[0].said_as == []
    assert [w for _, _, w in rows[1].said_as] == ["GPU:", "; p50 latency:", "; throughput:"]
    assert all(PAGE[a:z].startswith("<td") for a, z, _ in rows[1].said_as)  # a name is timed on its cell's tag
    no_header = "<table><tr><td>joe</td><td>0.03</td></tr></table>"
    [row] = blocks(no_header)
    assert row.said_as == [] and " ".join(row.text.split()) == "joe , 0.03"


@pytest.mark.parametrize("page, reason", [
    ("<p>a</p><script>var x = '<p>';</script><p>b</p>", "script"),
    ("<p>a</p><style>p { color: red }</style>", "style"),
    ("<p>a</p><svg><text>label</text></svg>", "image"),
    ("<p>a</p><math><mi>x</mi></math>", "math (MathML)"),
    ("<p>a</p><button>Copy</button>", "button"),
    ("<p>a</p><script>never closed", "script"),
])
def test_skipped_elements_are_reported(page, reason):
    report = enunciate.phonemize(page, markup="html")
    assert [s.reason for s in report.skipped] == [f"{reason} not read aloud"]
    assert report.words[0].text == "a"


def test_a_page_without_main_is_read_whole_but_its_navigation():
    page = "<html><body><nav>Home Docs</nav><h1>Title</h1><p>Body text.</p><footer>Contact us</footer></body></html>"
    assert _read(page) == [("heading", "Title"), ("paragraph", "Body text."), ("paragraph", "Contact us")]


def test_malformed_markup_still_reads():
    assert _read("<p>one <b>two<p>three &bogus; four < five") == [
        ("paragraph", "one two"), ("paragraph", "three &bogus; four < five")]


def test_a_quoted_attribute_may_hold_a_closing_bracket():
    page = """<p title="a > b" data-x='1>0'>Read <a href="/q?x>1">this</a> only.</p>"""
    assert _read(page) == [("paragraph", "Read this only.")]
    assert _read('<p>An <a href="x>unclosed</a> quote.</p>') == [("paragraph", "An unclosed quote.")]


def test_captions_show_the_page_as_rendered():
    shown = rendered(PAGE, "html")
    assert len(shown) == len(PAGE) and "<h1>" not in shown and "kubectl" in shown


def test_the_example_page_speaks_with_timed_words(heart, tmp_path):
    out = tmp_path / "notes.wav"
    page = ROOT / "examples" / "release_notes.html"
    proc = subprocess.run([sys.executable, "-m", "enunciate", "speak", "-f", str(page), "-o", str(out),
                           "--captions", str(tmp_path / "notes.vtt")], capture_output=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr.decode()
    vtt = (tmp_path / "notes.vtt").read_text()
    assert "kubectl" in vtt and "<" not in vtt.replace("-->", "")
    speech = enunciate.speak("<h1>Hi</h1><p>Run <code>kubectl</code> in 35&nbsp;ms.</p>", markup="html", threads=2)
    assert [w.text for w in speech.words] == ["Hi", "Run", "kubectl", "in", "35&nbsp;ms"]
    assert all(0 <= w.start_s < w.end_s <= speech.duration_s for w in speech.words)


def test_heading_anchors_are_not_read():
    page = ('<h2 id="x">Examples<a class="anchor" href="#x">§</a></h2>'
            '<h3>Intro<a class="headerlink" href="#intro" title="Link to this heading">¶</a></h3>'
            '<p>See <a href="#y">the guide</a>.</p>')
    report = enunciate.phonemize(page, markup="html")
    assert [w.spoken for w in report.words] == ["examples", "intro", "see", "the", "guide"]
    assert [s.reason for s in report.skipped] == ["heading anchor not read aloud"] * 2


def test_escaped_generics_read_as_types():
    report = enunciate.phonemize("<p>written as <code>Vec&lt;T&gt;</code>, or <a>Vec</a>&lt;T&gt;.</p>", markup="html")
    assert [w.spoken for w in report.words] == ["written", "as", "vec of T", "or", "vec of T"]
    assert [w.text for w in report.words][2::2] == ["Vec&lt;T&gt;", "Vec</a>&lt;T&gt;"]  # spans end after "&gt;"
    assert [w.text for w in enunciate.phonemize("<p>a caf&eacute; &rarr; b</p>", markup="html").words] == [
        "a", "caf&eacute;", "&rarr;", "b"]


def test_code_elements_read_as_code_not_prose():
    page = ("<p>Use <code>&amp;</code> for an <code>Option&lt;&amp;T&gt;</code>; the <code>vec!</code> macro; "
            "<code>Some(&amp;x)</code>.</p>")
    assert [w.spoken for w in enunciate.phonemize(page, markup="html").words] == [
        "use", "ampersand", "for", "an", "option of ref T", "the", "vec", "macro", "some ref X"]
    page = "<p>It returns a <code>Result&lt;T, E&gt;</code>, and <code>a &lt; b</code>.</p>"
    assert [w.spoken for w in enunciate.phonemize(page, markup="html").words] == [
        "it", "returns", "a", "result of T and E", "and", "A less than B"]  # code with entities read whole


def test_a_page_piped_in_without_its_name_is_read_as_html():
    report = enunciate.phonemize(PAGE)  # markup defaults to Markdown: a whole page is seen for what it is
    assert "kubectl" in [w.text for w in report.words] and "analytics" not in " ".join(w.text for w in report.words)
    proc = subprocess.run([sys.executable, "-m", "enunciate", "phonemize", "-f", "-"], input=PAGE.encode(),
                          capture_output=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"kubectl" in proc.stdout and b"window.analytics" not in proc.stdout
    assert [w.spoken for w in enunciate.phonemize("<b>bold</b> in Markdown").words] == ["bold", "in", "markdown"]


def test_footnote_marks_are_silent_as_in_markdown():
    page = ('<p>As shown<sup class="footnote-reference"><a href="#fn1">1</a></sup> and in'
            '<a class="footnote-reference brackets" href="#id2">[2]</a>, see <a href="#sec-3">3</a> items.</p>')
    report = enunciate.phonemize(page, markup="html")
    assert [w.spoken for w in report.words] == ["as", "shown", "and", "in", "see", "three", "items"]
    assert [s.reason for s in report.skipped] == ["footnote mark not read aloud"] * 2
