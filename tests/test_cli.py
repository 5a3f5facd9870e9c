"""The command line, run as a user runs it: a real process, real voices, exit codes and messages."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from enunciate.audio import read_audio

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "enunciate", *args], input=stdin, capture_output=True,
                          timeout=300, cwd=ROOT)


def test_speak_prints_rtf_and_writes_wav(tmp_path):
    out = tmp_path / "out.wav"
    proc = run("speak", "Our PostgreSQL query returns in 35 ms.", "-o", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"real-time factor" in proc.stdout
    audio, sr = read_audio(out)
    assert sr == 24000 and len(audio) / sr > 1.0


def test_speak_markdown_file_and_stdin(tmp_path):
    out = tmp_path / "review.wav"
    proc = run("speak", "-f", str(ROOT / "examples" / "tech_blog.md"), "-o", str(out), "--report")
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"tech " in proc.stdout  # the report lists technical-lexicon words
    proc = run("speak", "-o", str(tmp_path / "stdin.wav"), stdin="Hello from standard input.".encode())
    assert proc.returncode == 0 and (tmp_path / "stdin.wav").exists()


@pytest.mark.parametrize("args, stdin, message", [
    (["speak", "", "-o", "{tmp}/x.wav"], None, b"empty"),
    (["speak", "?! ... \U0001F680", "-o", "{tmp}/x.wav"], None, b"nothing speakable"),
    (["speak", "hi", "--voice", "jo", "-o", "{tmp}/x.wav"], None, b"available: heart"),
    (["speak", "hi", "-o", "{tmp}/no/such/dir/x.wav"], None, b"does not exist"),
    (["speak", "hi", "--speed", "3", "-o", "{tmp}/x.wav"], None, b"between 0.5 and 2.0"),
    (["speak", "-f", "{tmp}/bad.txt", "-o", "{tmp}/x.wav"], None, b"not valid UTF-8"),
    (["speak", "-f", "{tmp}/missing.txt", "-o", "{tmp}/x.wav"], None, b"cannot read"),
    (["speak", "hi", "--lexicon", "{tmp}/bad.tsv", "-o", "{tmp}/x.wav"], None, b"bad.tsv"),
    (["speak", "hi", "--compile", "-o", "{tmp}/x.wav"], None, b"compile applies to the torch engine"),
    (["speak", "hi", "--voice", "joe", "--engine", "torch", "--dtype", "fp16", "-o", "{tmp}/x.wav"], None,
     b"'fp16' needs device='cuda'"),
])
def test_bad_input_exits_2_with_a_message_and_no_output(tmp_path, args, stdin, message):
    (tmp_path / "bad.txt").write_bytes(b"caf\xe9 \xff\xfe")
    (tmp_path / "bad.tsv").write_text("term\tphonemes\nkubectl\n", encoding="utf-8")
    proc = run(*[a.replace("{tmp}", str(tmp_path)) for a in args], stdin=stdin)
    assert proc.returncode == 2, proc.stderr.decode()
    assert message in proc.stderr
    assert b"Traceback" not in proc.stderr
    assert not (tmp_path / "x.wav").exists()


def test_malformed_lexicon_names_the_line(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("good\tɡˈʊd\nbroken-line-without-tab\n", encoding="utf-8")
    proc = run("phonemize", "hi", "--lexicon", str(bad))
    assert proc.returncode == 2 and b"bad.tsv" in proc.stderr and b"2" in proc.stderr


def test_phonemize_json():
    proc = run("phonemize", "--json", "Run kubectl in 35 ms")
    rows = json.loads(proc.stdout)
    text = "Run kubectl in 35 ms"
    assert [r["text"] for r in rows] == ["Run", "kubectl", "in", "35 ms"]
    for r in rows:
        assert text[r["span"][0]:r["span"][1]] == r["text"] and r["phonemes"] and r["source"]
    assert rows[1]["source"] == "tech" and rows[3]["spoken"] == "thirty five milliseconds"


def test_voices_lists_engines_and_licences():
    proc = run("voices")
    assert proc.returncode == 0
    for needle in (b"heart (default)", b"joe", b"kokoro", b"Apache-2.0", b"MIT", b"hibari-tts"):
        assert needle in proc.stdout
    engines = {line.split()[0]: line.split()[3 if b"(default)" in line else 2] for line in proc.stdout.splitlines()[1:]}
    assert engines[b"heart"] == b"onnx" and engines[b"joe"] == engines[b"kokoro"] == b"onnx,torch"


def test_demo_writes_every_showcase_sentence(tmp_path):
    proc = run("demo", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr.decode()
    assert len(list(tmp_path.glob("showcase_*.wav"))) == 6
    assert proc.stdout.count(b"RTF") == 6


def test_report_and_strict(tmp_path):
    text = "Deploy 🚀 with kubectl to the zxqvbnt cluster."
    proc = run("phonemize", text, "--report")
    assert proc.returncode == 0
    report = proc.stderr.decode()
    assert "tech" in report and "kubectl" in report
    assert "espeak" in report and "zxqvbnt" in report
    assert "skipped  1:8" in report and "🚀" in report
    out = tmp_path / "s.wav"
    proc = run("speak", text, "-o", str(out), "--strict")
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert "1:8:" in err and "1:30:" in err and "zxqvbnt" in err and "kubectl" not in err
    assert not out.exists()
    proc = run("speak", "Deploy with kubectl.", "-o", str(out), "--strict")
    assert proc.returncode == 0 and out.exists()


def test_guessed_words_become_a_lexicon_that_makes_strict_pass(tmp_path):
    doc, lexicon = tmp_path / "doc.md", tmp_path / "guessed.tsv"
    doc.write_text("Deploy Redpanda and zxqvbnt, then zorblat-editor and Redpanda again.\n", encoding="utf-8")
    assert run("phonemize", "-f", str(doc), "--strict").returncode == 2
    proc = run("phonemize", "-f", str(doc), "--guessed-lexicon", str(lexicon))
    assert proc.returncode == 0 and b"3 guessed word(s)" in proc.stderr
    rows = [r.split("\t")[0] for r in lexicon.read_text(encoding="utf-8").splitlines() if not r.startswith("#")]
    assert rows == ["term", "Redpanda", "zxqvbnt", "zorblat-editor"]  # each once, as written
    proc = run("phonemize", "-f", str(doc), "--lexicon", str(lexicon), "--strict")
    assert proc.returncode == 0, proc.stderr.decode()


def test_stream_wav_to_stdout():
    import io

    import soundfile as sf

    proc = run("speak", "Install CUDA 12.4. Then run kubectl.", "-o", "-")
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout[:4] == b"RIFF" and b"real-time factor" in proc.stderr
    audio, sr = sf.read(io.BytesIO(proc.stdout))  # libsndfile accepts the unknown-length header
    assert sr == 24000 and len(audio) / sr > 2.0 and abs(audio).max() > 0.05
    proc = run("speak", "🚀", "-o", "-")
    assert proc.returncode == 2 and proc.stdout == b""


def test_markup_chooses_how_piped_input_is_read():
    doc = b"= Deploy\n\n// a comment\nRun `kubectl apply`.\n"
    as_adoc = run("phonemize", "--markup", "asciidoc", stdin=doc)
    assert as_adoc.returncode == 0, as_adoc.stderr.decode()
    words = [line.split("\t")[0] for line in as_adoc.stdout.decode().splitlines()]
    assert words == ["Deploy (deploy)", "Run (run)", "kubectl", "apply"]  # the comment is not read
    as_markdown = run("phonemize", stdin=doc)
    assert "comment" in as_markdown.stdout.decode()
    assert run("phonemize", "--markup", "docx", stdin=doc).returncode == 2  # argparse names the choices
