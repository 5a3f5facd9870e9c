"""The README and the docs/ pages it links: their Python examples run as written, their tables are
what the code says, and every link and path they name exists (docs that cannot rot)."""
from __future__ import annotations

import glob
import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
README_MAX_BYTES = 13_000


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def _without_code(text: str) -> str:
    """Prose only: fenced blocks and code spans hold examples of links, not links."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"(`+).+?\1", "", text, flags=re.S)


def _run_blocks(blocks: list[str], name: str, cwd: Path) -> None:
    """Each page's blocks run in order in one namespace, from a folder holding the examples."""
    (cwd / "examples").mkdir(parents=True, exist_ok=True)
    (cwd / "examples" / "product_review.md").write_text(
        _read(ROOT / "examples" / "product_review.md"), encoding="utf-8")
    before = os.getcwd()
    os.chdir(cwd)
    try:
        namespace: dict = {}
        for code in blocks:
            exec(compile(code, name, "exec"), namespace)
    finally:
        os.chdir(before)


def test_readme_python_blocks_run(tmp_path, heart, capsys):
    blocks = _python_blocks(_read(README))
    assert blocks
    _run_blocks(blocks, "README.md", tmp_path)
    out = capsys.readouterr().out
    assert "real-time factor" in out and "kubectl" in out
    assert (tmp_path / "query.wav").stat().st_size > 10_000 and (tmp_path / "review.wav").exists()


def test_docs_python_blocks_run(tmp_path, capsys):
    pages = [page for page in DOCS if _python_blocks(_read(page))]
    assert pages, "no docs page has a Python example"
    for page in pages:
        _run_blocks(_python_blocks(_read(page)), f"docs/{page.name}", tmp_path / page.stem)
        assert capsys.readouterr().out.strip(), f"docs/{page.name}: its examples printed nothing"


def test_readme_states_the_lexicon_size():
    from enunciate.text.lexicon import tech_lexicon

    assert f"a technical lexicon of {len(tech_lexicon()):,} terms" in _read(README)


def test_reading_table_is_what_the_frontend_says():
    import enunciate

    page = _read(ROOT / "docs" / "readings.md")
    section = page.split("# How technical text is read", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| (`.*?) \| (.*?) \|$", section, flags=re.M)
    assert len(rows) >= 8
    for written, spoken in rows:
        # `text` is read as written; `` `code` `` as a Markdown code span
        cells = [code or text for code, text in re.findall(r"`` (`[^`]+`) ``|`([^`]+)`", written)]
        for text, said in zip(cells, spoken.split(", "), strict=True):
            assert " ".join(w.spoken for w in enunciate.phonemize(text).words) == said, text


def test_readme_is_a_front_door():
    size = len(README.read_bytes())
    assert size <= README_MAX_BYTES, f"README.md is {size:,} bytes; move details to docs/"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", _read(path), flags=re.S | re.M)
    seen: dict[str, int] = {}
    for heading in re.findall(r"^#{1,6} (.+)$", text, flags=re.M):
        slug = _slug(heading)
        seen[slug] = seen.get(slug, -1) + 1
        if seen[slug]:
            seen[f"{slug}-{seen[slug]}"] = 0
    return set(seen)


def _links(path: Path) -> list[str]:
    prose = _without_code(_read(path))
    return [*re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", prose),
            *re.findall(r"^\[[^\]]+\]:\s*(\S+)", prose, flags=re.M)]


def test_relative_links_point_at_existing_files():
    pages = [README, *DOCS]
    checked = 0
    for page in pages:
        for link in _links(page):
            if re.match(r"[a-z][a-z0-9+.-]*:", link):  # https:, mailto:
                continue
            target, _, anchor = link.partition("#")
            path = (page.parent / target).resolve() if target else page
            where = f"{page.relative_to(ROOT)}: {link}"
            assert path.exists(), f"{where}: no such file"
            assert path.is_relative_to(ROOT), f"{where}: outside the repository"
            if anchor and path.suffix == ".md":
                assert anchor in _anchors(path), f"{where}: no such heading"
            checked += 1
    assert checked


def test_readme_links_every_docs_page():
    linked = {(ROOT / link.partition("#")[0]).resolve() for link in _links(README)}
    assert DOCS
    assert [p.name for p in DOCS if p.resolve() not in linked] == []


def test_paths_named_in_the_docs_exist():
    """A path in a code span (`benchmarks/results/eval_release_notes.*`, `tests/data/...`) names a
    file that exists, so renamed results cannot leave a page pointing at nothing."""
    named = 0
    for page in [README, *DOCS]:
        for span in re.findall(r"`([^`\s]+)`", _read(page)):
            if not span.startswith(("benchmarks/", "tests/", "examples/", "docs/")):
                continue
            alternatives = re.fullmatch(r"(.*)\{(.*)\}(.*)", span)
            patterns = ([f"{alternatives[1]}{a}{alternatives[3]}" for a in alternatives[2].split(",")]
                        if alternatives else [span])
            for pattern in patterns:
                assert glob.glob(str(ROOT / pattern)), f"{page.relative_to(ROOT)}: `{span}` names nothing"
                named += 1
    assert named >= 10


@pytest.mark.parametrize("card", ["h100", "h200"])
def test_gpu_page_quotes_the_committed_results(card):
    """docs/gpu.md names each card's result files and quotes their best throughput."""
    page = _read(ROOT / "docs" / "gpu.md")
    committed = json.loads(_read(ROOT / "benchmarks" / "results" / f"gpu_throughput_cuda_{card}.json"))
    best = max((r for r in committed["rows"] if "error" not in r), key=lambda r: r["audio_s_per_s"])
    assert f"gpu_throughput_cuda_{card}." in page
    assert f"{best['audio_s_per_s']:,.0f}" in page
