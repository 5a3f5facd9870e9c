"""`enunciate batch`: real voice (heart), real worker processes, a real local Ray instance, real files,
to folders and to fsspec URLs (file://, memory://).

The Ray tests share one `ray.init(num_cpus=2)` (about 8 s on 2 cores) and shut it down after.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from enunciate import SpeakOptions, VoiceSpec
from enunciate.batch import BatchJob, run_job
from enunciate.batch.inputs import Source, document_order
from enunciate.cli import main
from enunciate.errors import EnunciateError

ROOT = Path(__file__).resolve().parents[1]


def corpus(path: Path, n: int = 30) -> Path:
    path.write_text("".join(f"Item {k} runs in {k} ms.\n" for k in range(1, n + 1)), encoding="utf-8")
    return path


def rows(outdir: Path, name: str = "manifest.jsonl") -> list[dict]:
    return [json.loads(line) for line in (outdir / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def by_id(outdir: Path, name: str = "manifest.jsonl") -> dict[str, tuple[float, str]]:
    return {r["id"]: (r["duration_s"], r["audio_sha256"]) for r in rows(outdir, name)}


def temp_files(outdir: Path) -> list[Path]:
    return [p for p in outdir.rglob(".*") if p.name.endswith(".part")]


def vtt_chapters(text: str) -> list[tuple[int, str]]:
    """(start in ms, title) of each cue of a WebVTT chapters file."""
    cues = re.findall(r"^(\d+):(\d\d):(\d\d)\.(\d{3}) --> \S+\n(.+)$", text, flags=re.M)
    return [(((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms), title) for h, m, s, ms, title in cues]


def make_epub(path: Path, chapters: list[tuple[str, str]]) -> Path:
    """A minimal EPUB 3: the spine lists the chapters in reverse file order, the nav titles them."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/container.xml", '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:'
                   'tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" '
                   'media-type="application/oebps-package+xml"/></rootfiles></container>')
        items = "".join(f'<item id="c{k}" href="text/ch{k}.xhtml" media-type="application/xhtml+xml"/>'
                        for k in range(len(chapters)))
        spine = "".join(f'<itemref idref="c{k}"/>' for k in reversed(range(len(chapters))))
        z.writestr("OEBPS/content.opf", '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" '
                   'version="3.0"><metadata/><manifest><item id="nav" href="nav.xhtml" '
                   f'media-type="application/xhtml+xml" properties="nav"/>{items}</manifest>'
                   f'<spine>{spine}</spine></package>')
        links = "".join(f'<li><a href="text/ch{k}.xhtml">{title}</a></li>' for k, (title, _) in enumerate(chapters))
        z.writestr("OEBPS/nav.xhtml", '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/'
                   f'2007/ops"><body><nav epub:type="toc"><ol>{links}</ol></nav></body></html>')
        for k, (title, body) in enumerate(chapters):
            z.writestr(f"OEBPS/text/ch{k}.xhtml", '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3'
                       f'.org/1999/xhtml"><head><title>file {k}</title></head><body><h1>Heading {k}</h1>'
                       f'<p>{body}</p></body></html>')
    return path


# --- inputs, no synthesis -----------------------------------------------------------------------------

def test_inputs_stream_lines_rows_documents_and_epub_chapters(tmp_path):
    text = tmp_path / "lines.txt"
    text.write_text("First line.\n\n   \nThird line.\n", encoding="utf-8")
    source = Source(text)
    items = list(source.items())
    assert [(i.id, i.index) for i in items] == [("000001", 0), ("000004", 1)] and source.empty == 2

    table = tmp_path / "rows.csv"
    table.write_text("id,text,voice,speed\na,Hello.,joe,1.2\nb,World.,,\n,,,\n", encoding="utf-8")
    source = Source(table)
    items = list(source.items())
    assert [(i.id, i.voice, i.speed) for i in items] == [("a", "joe", "1.2"), ("b", None, None)]
    assert source.empty == 1

    epub = make_epub(tmp_path / "b.epub", [("One &amp; Only", "First."), ("Two", "Second.")])
    chapters = list(Source(epub).items())
    assert [(c.id, c.title, c.markup) for c in chapters] == [("text/ch1", "Two", "html"),
                                                             ("text/ch0", "One & Only", "html")]


def test_a_docs_folder_is_read_in_toctree_order_then_by_name(tmp_path):
    (tmp_path / "guide").mkdir()
    (tmp_path / "_build").mkdir()
    (tmp_path / "index.rst").write_text("Home\n====\n\n.. toctree::\n   :maxdepth: 2\n\n   usage\n"
                                        "   Install <guide/install>\n", encoding="utf-8")
    for name in ("usage.md", "guide/install.rst", "appendix10.md", "appendix9.md", "_build/skip.md"):
        (tmp_path / name).write_text("# Title\n\nText.\n", encoding="utf-8")
    order = [p.relative_to(tmp_path).as_posix() for p in document_order(tmp_path)]
    assert order == ["index.rst", "usage.md", "guide/install.rst", "appendix9.md", "appendix10.md"]
    summary = tmp_path / "book"
    summary.mkdir()
    (summary / "SUMMARY.md").write_text("# Summary\n\n- [B](b.md)\n- [A](a.md)\n", encoding="utf-8")
    for name in ("a.md", "b.md"):
        (summary / name).write_text(f"# {name}\n\nText.\n", encoding="utf-8")
    assert [p.name for p in document_order(summary)] == ["b.md", "a.md"]  # SUMMARY.md itself is not read


# --- the local executor ----------------------------------------------------------------------------------

def test_rerun_skips_finished_items_and_redoes_a_changed_text(tmp_path):
    rows_in = [{"id": f"r{k}", "text": f"Row {k} is short."} for k in range(4)]
    manifest_in = tmp_path / "rows.jsonl"
    manifest_in.write_text("\n".join(json.dumps(r) for r in rows_in) + "\n\n", encoding="utf-8")
    out = tmp_path / "out"
    first = run_job(BatchJob(manifest_in, out))
    assert (first.done, first.skipped, first.failed, first.empty) == (4, 0, 0, 1)
    before = by_id(out)
    assert sorted(p.name for p in out.glob("*.wav")) == [f"r{k}.wav" for k in range(4)]

    again = run_job(BatchJob(manifest_in, out))
    assert (again.done, again.skipped) == (0, 4) and by_id(out) == before

    rows_in[2]["text"] = "Row two now says something else entirely."
    manifest_in.write_text("\n".join(json.dumps(r) for r in rows_in) + "\n", encoding="utf-8")
    (out / "r3.wav").write_bytes(b"not the file the manifest names")  # a damaged file is redone too
    redo = run_job(BatchJob(manifest_in, out))
    assert (redo.done, redo.skipped) == (2, 2)
    after = rows(out)
    assert sorted(r["id"] for r in after) == ["r0", "r1", "r2", "r3"]  # one row per id
    assert by_id(out)["r2"] != before["r2"] and by_id(out)["r3"] == before["r3"]
    assert {r["id"]: r for r in after}["r2"]["duration_s"] > before["r2"][0]


def test_shard_takes_every_nth_item(tmp_path):
    result = run_job(BatchJob(corpus(tmp_path / "c.txt", 5), tmp_path / "out", shard=(1, 2)))
    assert result.items == 2 and sorted(by_id(tmp_path / "out", "manifest.shard-1-of-2.jsonl")) == ["000002", "000004"]


def test_bad_rows_go_to_errors_jsonl_and_the_exit_code_says_so(tmp_path, capsys):
    source = tmp_path / "rows.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in [
        {"id": "good", "text": "Install CUDA 12.4 first."},
        {"id": "symbols", "text": "!!! ??? ..."},
        {"id": "voice", "text": "Who says this?", "voice": "nobody"},
        {"id": "speed", "text": "Too fast.", "speed": 9}]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["batch", str(source), "-o", str(out)]) == 1
    errors = {e["id"]: e["error"] for e in rows(out, "errors.jsonl")}
    assert set(errors) == {"symbols", "voice", "speed"}
    assert "nothing speakable" in errors["symbols"] and "unknown voice 'nobody'" in errors["voice"]
    assert "speed" in errors["speed"]
    assert list(by_id(out)) == ["good"] and (out / "good.wav").is_file()
    assert "3 item(s) failed" in capsys.readouterr().err


def test_duplicate_ids_are_refused_before_any_work(tmp_path, capsys):
    source = tmp_path / "rows.csv"
    source.write_text("id,text\na,One.\nb,Two.\na,Three.\n", encoding="utf-8")
    assert main(["batch", str(source), "-o", str(tmp_path / "out")]) == 2
    assert "duplicate id" in capsys.readouterr().err and not (tmp_path / "out").exists()


# --- fsspec URLs ----------------------------------------------------------------------------------------

def test_a_file_url_output_resumes_like_a_folder(tmp_path):
    source, out = corpus(tmp_path / "c.txt", 4), tmp_path / "out"
    assert main(["batch", str(source), "-o", out.as_uri()]) == 0
    first = by_id(out)
    assert sorted(first) == [f"{k:06d}" for k in range(1, 5)] and len(list(out.glob("*.wav"))) == 4
    lines = (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    (out / "manifest.jsonl").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # a file whose row was lost
    (out / ".000002.wav.4242.part").write_bytes(b"half an upload")                     # a temp file
    (out / "000001.wav").write_bytes(b"damaged")                                        # a damaged file
    result = run_job(BatchJob(source, out.as_uri()))
    assert (result.done, result.skipped, result.orphans_removed) == (2, 2, 1)
    assert result.manifest == f"{out.as_uri()}/manifest.jsonl"
    assert by_id(out) == first and len(rows(out)) == 4 and not temp_files(out)  # the same audio, each row once


def test_a_book_at_a_memory_url_is_made_there_and_resumed(tmp_path):
    """memory:// cannot append: the manifest is rewritten instead; the book is assembled in a local temp
    folder and uploaded. Only one process sees memory://, so workers are refused."""
    fsspec = pytest.importorskip("fsspec")
    epub = make_epub(tmp_path / "b.epub", [("One", "Install it."), ("Two", "Run it.")])
    url = f"memory://enunciate-test-{os.getpid()}/{tmp_path.name}"
    fs, root = fsspec.core.url_to_fs(url)
    result = run_job(BatchJob(epub, url))
    assert (result.done, result.failed) == (2, 0) and result.book.m4b == "book.m4b"
    names = sorted(p.rsplit("/", 1)[-1] for p in fs.ls(root, detail=False))
    assert names == ["01-two.wav", "02-one.wav", "book.json", "book.m4b", "book.mp3", "chapters.vtt",
                     "errors.jsonl", "manifest.jsonl", "raw"]
    manifest = [json.loads(line) for line in fs.cat(f"{root}/manifest.jsonl").decode().splitlines()]
    assert sorted(r["id"] for r in manifest) == ["text/ch0", "text/ch1"]
    for row in manifest:
        assert row["audio_sha256"] == __import__("hashlib").sha256(fs.cat(f"{root}/{row['path']}")).hexdigest()
    made = fs.cat(f"{root}/book.json")
    again = run_job(BatchJob(epub, url))
    assert (again.done, again.skipped) == (0, 2) and fs.cat(f"{root}/book.json") == made
    with pytest.raises(EnunciateError, match="memory"):
        run_job(BatchJob(epub, url, workers=2))
    fs.rm(root, recursive=True)


def _wait_for_rows(out: Path, n: int, process: subprocess.Popen, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if (out / "manifest.jsonl").is_file() and len(rows(out)) >= n:
            return
        assert process.poll() is None, "the job ended before it could be interrupted"
        time.sleep(0.05)
    raise AssertionError(f"no {n} rows in {timeout_s} s")


@pytest.mark.slow
def test_a_killed_driver_then_a_rerun_leaves_every_item_once_and_no_temp_files(tmp_path):
    source, out = corpus(tmp_path / "c.txt"), tmp_path / "out"
    command = [sys.executable, "-m", "enunciate", "batch", str(source), "-o", str(out)]
    killed = subprocess.Popen(command + ["--workers", "2"], cwd=ROOT)
    _wait_for_rows(out, 3, killed)
    killed.send_signal(signal.SIGKILL)
    killed.wait(30)
    time.sleep(0.5)  # the workers die with the driver (PR_SET_PDEATHSIG)
    (out / ".000030.wav.999999.part").write_bytes(b"half a file")  # what a kill mid-write leaves
    done = len(rows(out))

    # Ctrl-C keeps finished items; a shell's background job inherits SIGINT ignored, so the child gets it back
    interrupted = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True,
                                   preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    _wait_for_rows(out, done + 2, interrupted)
    interrupted.send_signal(signal.SIGINT)
    assert interrupted.wait(60) == 130 and "rerun the same command" in interrupted.stderr.read()
    kept = rows(out)
    assert len(kept) >= done + 2 and not temp_files(out)

    result = run_job(BatchJob(source, out))
    assert result.skipped == len(kept) and result.done == 30 - len(kept) and result.orphans_removed == 0
    ids = [r["id"] for r in rows(out)]
    assert sorted(ids) == [f"{k:06d}" for k in range(1, 31)]  # every item exactly once
    assert len(list(out.glob("*.wav"))) == 30 and not temp_files(out)


# --- books -------------------------------------------------------------------------------------------------

def test_an_epub_gives_a_file_per_chapter_a_chapters_vtt_and_one_loudness(tmp_path):
    epub = make_epub(tmp_path / "b.epub", [("Setting up &amp; testing", "Install CUDA 12.4, then run pytest."),
                                           ("Deploying", "Run kubectl apply in 35 ms.")])
    out = tmp_path / "out"
    assert main(["batch", str(epub), "-o", str(out), "--format", "mp3", "--loudness", "-20"]) == 0
    book = json.loads((out / "book.json").read_text(encoding="utf-8"))
    files = [c["file"] for c in book["chapters"]]
    assert files == ["01-deploying.mp3", "02-setting-up-testing.mp3"]  # spine order, nav titles
    vtt = (out / "chapters.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT") and vtt.index("Deploying") < vtt.index("Setting up & testing")
    import pyloudnorm

    for chapter in book["chapters"]:
        audio, rate = sf.read(out / chapter["file"], dtype="float64")
        measured = pyloudnorm.Meter(rate).integrated_loudness(audio)
        assert measured < -19.0 if chapter["peak_limited"] else abs(measured + 20.0) < 1.0
    assert (out / "book.mp3").is_file() and sf.info(str(out / "book.mp3")).duration > 5


def test_the_whole_book_mp3_and_m4b_carry_the_chapter_marks_of_chapters_vtt(tmp_path):
    """The chapter marks read back from book.mp3 (ID3 CHAP/CTOC, mutagen) and book.m4b (MP4 chapters,
    PyAV) name the chapters of chapters.vtt at its start times, and the M4B keeps each chapter's level."""
    mutagen_id3 = pytest.importorskip("mutagen.id3")
    av = pytest.importorskip("av")
    import pyloudnorm

    epub = make_epub(tmp_path / "b.epub", [("Setting up &amp; testing", "Install CUDA 12.4, then run pytest."),
                                           ("Deploying", "Run kubectl apply in 35 ms."),
                                           ("Wrapping up", "The API returns JSON.")])
    out = tmp_path / "out"
    assert main(["batch", str(epub), "-o", str(out), "--loudness", "-20"]) == 0
    book = json.loads((out / "book.json").read_text(encoding="utf-8"))
    assert book["chapter_marks"] == {"book.mp3": "id3", "book.m4b": "mp4"}
    expected = vtt_chapters((out / "chapters.vtt").read_text(encoding="utf-8"))
    assert [t for _, t in expected] == ["Wrapping up", "Deploying", "Setting up & testing"] and expected[0][0] == 0

    tags = mutagen_id3.ID3(str(out / "book.mp3"))
    (toc,) = tags.getall("CTOC")
    chaps = {c.element_id: c for c in tags.getall("CHAP")}
    assert toc.flags & mutagen_id3.CTOCFlags.TOP_LEVEL and len(toc.child_element_ids) == 3
    marks = [(chaps[i].start_time, chaps[i].sub_frames["TIT2"].text[0]) for i in toc.child_element_ids]
    assert marks == expected

    with av.open(str(out / "book.m4b")) as container:
        assert container.streams.audio[0].codec_context.name == "aac"
        marks = [(int(round(c["start"] * c["time_base"] * 1000)), c["metadata"]["title"])
                 for c in container.chapters()]
        rate = container.streams.audio[0].sample_rate
        audio = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)]).astype(np.float64)
    assert marks == expected
    meter = pyloudnorm.Meter(rate)
    for chapter in book["chapters"]:
        part = audio[int(chapter["start_s"] * rate):int(chapter["end_s"] * rate)]
        assert chapter["peak_limited"] or abs(meter.integrated_loudness(part) + 20.0) < 1.0


def test_speak_does_not_import_ray(tmp_path):
    code = ("import sys; from enunciate.cli import main; "
            f"assert main(['speak', 'Hi there.', '-o', {str(tmp_path / 'x.wav')!r}]) == 0; "
            "print('ray' in sys.modules, 'enunciate.batch.run' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.stdout.split()[-2:] == ["False", "False"], out.stderr


# --- Ray -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_ray_and_local_executors_give_the_same_files(tmp_path, ray_local):
    source = corpus(tmp_path / "c.txt")
    spec, options = VoiceSpec("heart", threads=1), SpeakOptions(seed=3)
    local = run_job(BatchJob(source, tmp_path / "local", spec, options, workers=2))
    on_ray = run_job(BatchJob(source, tmp_path / "ray", spec, options, executor="ray", workers=2))
    assert local.done == on_ray.done == 30 and on_ray.failed == 0
    assert by_id(tmp_path / "ray") == by_id(tmp_path / "local")  # ids, durations and audio hashes
    assert run_job(BatchJob(source, tmp_path / "ray", spec, options, executor="ray", workers=2)).skipped == 30


@pytest.mark.slow
def test_ray_actors_write_to_a_file_url(tmp_path, ray_local):
    source, url = corpus(tmp_path / "c.txt", 8), (tmp_path / "ray").as_uri()
    spec, options = VoiceSpec("heart", threads=1), SpeakOptions(seed=3)
    local = run_job(BatchJob(source, tmp_path / "local", spec, options))
    on_ray = run_job(BatchJob(source, url, spec, options, executor="ray", workers=2))
    assert local.done == on_ray.done == 8 and on_ray.failed == 0
    assert by_id(tmp_path / "ray") == by_id(tmp_path / "local") and not temp_files(tmp_path / "ray")
    assert run_job(BatchJob(source, url, spec, options, executor="ray", workers=2)).skipped == 8


@pytest.mark.slow
def test_ray_serve_answers_the_openai_client(ray_local):
    openai = pytest.importorskip("openai")
    from ray import serve

    from enunciate.batch.ray_serve import serve_on_ray
    from enunciate.serve.app import ServeConfig

    port = 18000 + os.getpid() % 1000
    url = serve_on_ray(ServeConfig(threads=1), replicas=1, port=port, blocking=False)
    try:
        client = openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0, timeout=120)
        speech = client.audio.speech.create(model="tts-1", voice="alloy", input="Run kubectl in 35 ms.",
                                            response_format="wav")
        audio, rate = sf.read(__import__("io").BytesIO(speech.content))
        assert rate == 24000 and len(audio) / rate > 1.0 and np.abs(audio).max() > 0.05
    finally:
        serve.shutdown()
