"""INPUT -> items, streamed: each `Source.items()` call reads the input afresh, one item at a time, so a
100 MB corpus never sits in memory (the job reads it twice: once to check ids, once to work).

- a text file: one utterance per line; the id is the line number (000001); empty lines are skipped
  and counted.
- a JSONL (.jsonl, .ndjson) or CSV (.csv, .tsv) manifest: `id`, `text`, optional `voice`, `speed`.
- a folder of documents (.md, .markdown, .txt, .rst): each file one narration, its id the path
  without suffix; in the order of the folder's index (a Sphinx/MyST `toctree` in index.rst or
  index.md, or mdBook's SUMMARY.md), else by file name (numbers compared as numbers).
- an EPUB: one item per spine document, in spine order, read through the HTML reader and titled
  from the book's navigation (EPUB 3 nav, else the EPUB 2 NCX), else its first heading.
"""
from __future__ import annotations

import csv
import html
import json
import posixpath
import re
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote

from ..errors import EnunciateError

DOCUMENTS = {".md": "markdown", ".markdown": "markdown", ".txt": "plain", ".rst": "rst", ".rest": "rst"}
INDEX_NAMES = ("index.rst", "index.md", "SUMMARY.md", "README.md", "README.rst")


@dataclass(frozen=True)
class Item:
    """One utterance, document or chapter. `index` is its position among the input's items (for --shard);
    None fields take the job's choice."""

    id: str
    text: str
    index: int = 0
    voice: str | None = None
    speed: float | str | None = None   # as given; checked when the item is spoken
    markup: str | None = None
    title: str | None = None            # a chapter's title (books)


class Source:
    """What INPUT is (`kind`: lines, jsonl, csv, documents, epub) and its items, read lazily.
    `empty` counts the blank lines (or rows) the last `items()` pass skipped."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.is_dir():
            self.kind = "documents"
        elif not self.path.is_file():
            raise EnunciateError(f"input {self.path} does not exist")
        else:
            suffix = self.path.suffix.lower()
            self.kind = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "csv",
                         ".epub": "epub"}.get(suffix, "lines")
        self.empty = 0

    @property
    def is_book(self) -> bool:
        return self.kind == "epub"

    def items(self) -> Iterator[Item]:
        self.empty = 0
        reader = {"lines": self._lines, "jsonl": self._jsonl, "csv": self._csv, "documents": self._documents,
                  "epub": self._epub}[self.kind]
        for index, item in enumerate(reader()):
            yield replace(item, index=index)

    # --- text files and manifests ------------------------------------------------------------------

    def _open_text(self):
        try:
            return open(self.path, encoding="utf-8-sig", newline="")
        except OSError as e:
            raise EnunciateError(f"cannot read {self.path}: {e.strerror}") from e

    def _numbered_lines(self) -> Iterator[tuple[int, str]]:
        with self._open_text() as f:
            n = 0
            try:
                for n, line in enumerate(f, 1):
                    yield n, line.rstrip("\r\n")
            except UnicodeDecodeError as e:
                raise EnunciateError(f"{self.path} is not valid UTF-8 (after line {n}): save it as UTF-8") from e

    def _lines(self) -> Iterator[Item]:
        for n, line in self._numbered_lines():
            if not line.strip():
                self.empty += 1
                continue
            yield Item(f"{n:06d}", line)

    def _jsonl(self) -> Iterator[Item]:
        for n, line in self._numbered_lines():
            if not line.strip():
                self.empty += 1
                continue
            try:
                row = json.loads(line)
            except ValueError as e:
                raise EnunciateError(f"{self.path}:{n}: not a JSON object ({e.msg}); each line must be "
                                     '{"id": ..., "text": ...}') from e
            if not isinstance(row, dict):
                raise EnunciateError(f"{self.path}:{n}: each line must be a JSON object with id and text")
            yield self._row(row, f"{self.path}:{n}")

    def _csv(self) -> Iterator[Item]:
        with self._open_text() as f:
            delimiter = "\t" if self.path.suffix.lower() == ".tsv" else ","
            rows = csv.DictReader(f, delimiter=delimiter)
            try:
                missing = {"id", "text"} - set(rows.fieldnames or ())
                if missing:
                    raise EnunciateError(f"{self.path}: the header must name the columns id and text (and "
                                         f"optionally voice, speed); it lacks {', '.join(sorted(missing))}")
                for row in rows:
                    if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                        self.empty += 1
                        continue
                    yield self._row(row, f"{self.path}:{rows.line_num}")
            except UnicodeDecodeError as e:
                raise EnunciateError(f"{self.path} is not valid UTF-8: save it as UTF-8") from e
            except csv.Error as e:
                raise EnunciateError(f"{self.path}:{rows.line_num}: {e}") from e

    @staticmethod
    def _row(row: dict, where: str) -> Item:
        item_id, text = row.get("id"), row.get("text")
        if item_id is None or (isinstance(item_id, str) and not item_id.strip()):
            raise EnunciateError(f"{where}: the row has no id")
        if not isinstance(item_id, (str, int)) or isinstance(item_id, bool):
            raise EnunciateError(f"{where}: id must be a string or a whole number, got {item_id!r}")
        if not isinstance(text, str):
            raise EnunciateError(f"{where}: the row has no text (a string)")
        voice, speed = row.get("voice") or None, row.get("speed")
        speed = None if speed is None or (isinstance(speed, str) and not speed.strip()) else speed
        return Item(str(item_id), text, voice=voice if isinstance(voice, str) else None, speed=speed)

    # --- a folder of documents ---------------------------------------------------------------------

    def _documents(self) -> Iterator[Item]:
        for path in document_order(self.path):
            rel = path.relative_to(self.path)
            try:
                text = path.read_bytes().decode("utf-8-sig")
            except OSError as e:
                raise EnunciateError(f"cannot read {path}: {e.strerror}") from e
            except UnicodeDecodeError as e:
                raise EnunciateError(f"{path} is not valid UTF-8: save it as UTF-8") from e
            if not text.strip():
                self.empty += 1
                continue
            markup = DOCUMENTS[path.suffix.lower()]
            yield Item(rel.with_suffix("").as_posix(), text, markup=markup,
                       title=first_heading(text, markup) or path.stem.replace("_", " ").replace("-", " "))

    # --- EPUB ----------------------------------------------------------------------------------------

    def _epub(self) -> Iterator[Item]:
        try:
            book = zipfile.ZipFile(self.path)
        except (OSError, zipfile.BadZipFile) as e:
            raise EnunciateError(f"{self.path} is not a readable EPUB (a zip file): {e}") from e
        with book:
            spine, titles, base = epub_contents(book, self.path)
            for n, name in enumerate(spine, 1):
                try:
                    text = book.read(name).decode("utf-8-sig", errors="replace")
                except KeyError:
                    raise EnunciateError(f"{self.path}: the spine names {name}, which is not in the book") from None
                if not has_words(text):  # a cover image, a blank page
                    self.empty += 1
                    continue
                title = titles.get(name) or first_heading(text, "html") or f"Section {n}"
                yield Item(posixpath.splitext(posixpath.relpath(name, base))[0], text, markup="html", title=title)


def _natural(path: Path) -> list:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.as_posix())]


def document_order(folder: Path) -> list[Path]:
    """The folder's documents (hidden and _build folders left out): first in the order its index's
    toctree (or SUMMARY.md) gives, depth first, then the rest by name."""
    found = sorted((p for p in folder.rglob("*") if p.suffix.lower() in DOCUMENTS and p.is_file()
                    and not any(part.startswith((".", "_")) for part in p.relative_to(folder).parts)),
                   key=lambda p: _natural(p.relative_to(folder)))
    by_stem = {p.relative_to(folder).with_suffix("").as_posix(): p for p in found}
    ordered: list[Path] = []
    seen: set[Path] = set()

    def visit(path: Path, narrated: bool = True) -> None:
        if path in seen:
            return
        seen.add(path)
        if narrated:
            ordered.append(path)
        base = path.parent.relative_to(folder).as_posix()
        for target in toc_entries(path):
            key = posixpath.normpath(posixpath.join(base, target)).lstrip("./")
            key = posixpath.splitext(key)[0] if posixpath.splitext(key)[1].lower() in DOCUMENTS else key
            child = by_stem.get(key) or by_stem.get(posixpath.join(key, "index"))
            if child is not None:
                visit(child)

    for name in INDEX_NAMES:
        root = folder / name
        if root in by_stem.values():
            visit(root, narrated=name != "SUMMARY.md")  # mdBook's SUMMARY.md is the table of contents itself
            break
    return ordered + [p for p in found if p not in seen]


_TOCTREE_RST = re.compile(r"^\.\.\s+toctree::[^\n]*\n((?:[ \t]+[^\n]*\n|[ \t]*\n)*)", re.M)
_TOCTREE_MYST = re.compile(r"^(```+|:::+)\{toctree\}[^\n]*\n(.*?)^\1", re.M | re.S)
_MD_LINK = re.compile(r"\[[^\]]*\]\(([^)\s#]+\.(?:md|markdown|rst|txt))(?:#[^)]*)?\)")
_ENTRY = re.compile(r"^(?:.*<(?P<target>[^<>]+)>|(?P<plain>[^\s<>]+))$")


def toc_entries(path: Path) -> list[str]:
    """The documents a page's toctree lists, in order (Sphinx `.. toctree::`, MyST ```{toctree}```,
    else Markdown links to documents, as mdBook's SUMMARY.md and many index pages have)."""
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return []
    bodies = [m.group(1) for m in _TOCTREE_RST.finditer(text + "\n")]
    bodies += [m.group(2) for m in _TOCTREE_MYST.finditer(text)]
    entries: list[str] = []
    for body in bodies:
        for line in body.splitlines():
            line = line.strip()
            if not line or line.startswith(":"):
                continue
            m = _ENTRY.match(line)
            target = m and (m.group("target") or m.group("plain"))
            if target and "://" not in target and "*" not in target and target != "self":
                entries.append(target.lstrip("/"))
    if not bodies and path.suffix.lower() in (".md", ".markdown"):
        entries = [unquote(m.group(1)) for m in _MD_LINK.finditer(text) if "://" not in m.group(1)]
    return entries


def first_heading(text: str, markup: str) -> str | None:
    """A document's first heading as it shows ("Intro to kubectl" for "# Intro to `kubectl`")."""
    from ..text.document import document_blocks

    for block in document_blocks(text, markup):
        if block.kind == "heading" and not block.skipped:
            title = " ".join(block.text.split())
            if title:
                return title
    return None


def has_words(xhtml: str) -> bool:
    from ..text.document import document_blocks

    return any(not b.skipped and re.search(r"\w", b.text) for b in document_blocks(xhtml, "html"))


# --- EPUB packaging: container.xml -> OPF (manifest, spine) -> nav / NCX titles -------------------

_ATTR = r"""\s{name}\s*=\s*(?:"([^"]*)"|'([^']*)')"""


def _attr(tag: str, name: str) -> str | None:
    m = re.search(_ATTR.format(name=re.escape(name)), tag)
    return html.unescape(m.group(1) if m.group(1) is not None else m.group(2)) if m else None


def _tags(text: str, name: str) -> list[str]:
    return re.findall(rf"<(?:\w+:)?{name}\b[^>]*>", text)


def epub_contents(book: zipfile.ZipFile, where: Path) -> tuple[list[str], dict[str, str], str]:
    """(the spine's documents as zip member names, in reading order; member name -> title from the
    navigation; the package's folder, which ids are relative to). Read with patterns rather than an
    XML parser: real EPUBs carry HTML entities and namespaces that strict XML refuses, and only a few
    attributes are needed."""
    try:
        container = book.read("META-INF/container.xml").decode("utf-8", errors="replace")
    except KeyError:
        raise EnunciateError(f"{where} is not an EPUB: it has no META-INF/container.xml") from None
    rootfile = next((_attr(t, "full-path") for t in _tags(container, "rootfile") if _attr(t, "full-path")), None)
    if not rootfile:
        raise EnunciateError(f"{where}: META-INF/container.xml names no package (rootfile)")
    try:
        opf = book.read(rootfile).decode("utf-8", errors="replace")
    except KeyError:
        raise EnunciateError(f"{where}: the package {rootfile} named by container.xml is missing") from None
    base = posixpath.dirname(rootfile)

    def member(href: str, relative_to: str = base) -> str:
        return posixpath.normpath(posixpath.join(relative_to, unquote(href.split("#")[0])))

    manifest = {}
    nav = ncx = None
    for tag in _tags(opf, "item"):
        item_id, href = _attr(tag, "id"), _attr(tag, "href")
        if not item_id or not href:
            continue
        manifest[item_id] = member(href)
        if "nav" in (_attr(tag, "properties") or "").split():
            nav = manifest[item_id]
        if _attr(tag, "media-type") == "application/x-dtbncx+xml":
            ncx = manifest[item_id]
    spine_tag = next(iter(_tags(opf, "spine")), "")
    ncx = manifest.get(_attr(spine_tag, "toc") or "", ncx)
    spine = [manifest[ref] for tag in _tags(opf, "itemref")
             if (ref := _attr(tag, "idref")) in manifest and _attr(tag, "linear") != "no"
             and manifest[ref] != nav]
    if not spine:
        raise EnunciateError(f"{where}: the package's spine lists no documents")
    titles: dict[str, str] = {}
    if nav and nav in book.namelist():
        text = book.read(nav).decode("utf-8", errors="replace")
        toc = re.search(r"<nav\b[^>]*type\s*=\s*[\"']toc[\"'][^>]*>(.*?)</nav>", text, re.S) or \
            re.search(r"<nav\b[^>]*>(.*?)</nav>", text, re.S)
        for href, label in re.findall(r"<a\b[^>]*?href\s*=\s*[\"']([^\"']+)[\"'][^>]*>(.*?)</a>",
                                      toc.group(1) if toc else "", re.S):
            titles.setdefault(member(href, posixpath.dirname(nav)), _label(label))
    if not titles and ncx and ncx in book.namelist():
        text = book.read(ncx).decode("utf-8", errors="replace")
        for label, src in re.findall(r"<navLabel>\s*<text>(.*?)</text>\s*</navLabel>\s*<content\b[^>]*?src\s*=\s*"
                                     r"[\"']([^\"']+)[\"']", text, re.S):
            titles.setdefault(member(src, posixpath.dirname(ncx)), _label(label))
    return spine, {k: v for k, v in titles.items() if v}, base or "."


def _label(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())
