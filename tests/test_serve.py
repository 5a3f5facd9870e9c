"""enunciate serve, as a client sees it: the real server on a loopback port, driven by the real
`openai` client, plain HTTP for the rest, and the web page in headless Chromium."""
from __future__ import annotations

import base64
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi")
openai = pytest.importorskip("openai")

from .browser import DevTools, require_chromium  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SENTENCE = "Run kubectl on the PostgreSQL node."
KEY = "test-key-3f9a"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(tmp: Path, *args: str, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    log = open(tmp / f"server-{port}.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "enunciate", "serve", "--port", str(port), "--threads", "2", *args],
                            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/health", timeout=1)
            return proc, url
        except (urllib.error.URLError, ConnectionError, OSError):
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"the server did not start: {(tmp / f'server-{port}.log').read_text()[-2000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    proc, url = _start(tmp, "--max-queue", "2")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server + "/v1", api_key="unused", max_retries=0, timeout=120)


def _post(url: str, body, headers: dict | None = None, raw: bytes | None = None) -> tuple[int, dict, bytes]:
    data = raw if raw is not None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def _decode(data: bytes) -> tuple[np.ndarray, int]:
    """Any format through FFmpeg (PyAV, which faster-whisper brings): what players use."""
    import av

    with av.open(io.BytesIO(data)) as container:
        frames = [f.to_ndarray().reshape(-1) for f in container.decode(audio=0)]
        rate = container.streams.audio[0].rate
    audio = np.concatenate(frames).astype(np.float32)
    return (audio / 32768 if audio.dtype.kind == "i" or np.abs(audio).max() > 2 else audio), rate


@pytest.mark.parametrize("fmt", ["wav", "mp3", "opus"])
def test_openai_client_speaks_and_whisper_hears_the_terms(client, fmt):
    from enunciate.evaluate.asr import transcribe

    response = client.audio.speech.create(model="tts-1", voice="alloy", input=SENTENCE, response_format=fmt)
    audio, rate = _decode(response.content)
    assert rate == (48000 if fmt == "opus" else 24000) and 1.0 < len(audio) / rate < 5  # Opus decodes at 48 kHz
    heard = transcribe(audio, rate, "tiny.en").lower()
    assert "kubectl" in heard.replace(" ", "") or "cube control" in heard or "kube control" in heard, heard
    assert "postgres" in heard, heard


def test_streaming_response_and_voice_aliases(client):
    with client.audio.speech.with_streaming_response.create(model="tts-1", voice="echo", input=SENTENCE * 3,
                                                            response_format="pcm") as response:
        assert response.headers["x-enunciate-voice"] == "joe"
        parts = list(response.iter_bytes())
    pcm = np.frombuffer(b"".join(parts), "<i2")
    assert len(pcm) / 22050 > 3 and np.abs(pcm).max() > 1000


def test_sse_stream_carries_audio_words_and_report(server):
    body = {"input": "Call the API.\n\n```\nx = 1\n```\n", "voice": "heart", "markup": "markdown",
            "stream_format": "sse", "response_format": "pcm"}
    status, headers, body = _post(server + "/v1/audio/speech", body)
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line[6:]) for line in body.decode().split("\n\n") if line.startswith("data: ")]
    deltas = [e for e in events if e["type"] == "speech.audio.delta"]
    assert deltas and events[-1]["type"] == "speech.audio.done"
    assert [w["text"] for e in deltas for w in e["words"]] == ["Call", "the", "API"]
    assert sum(len(base64.b64decode(e["audio"])) for e in deltas) > 24000  # > 0.5 s of 16-bit audio
    assert events[-1]["report"]["skipped"][0]["reason"].startswith("code")


def test_enunciate_endpoint_gives_words_tied_to_the_input_and_captions(server):
    text = "Install CUDA 12.4, then run kubectl in 35 ms."
    status, _, body = _post(server + "/v1/enunciate/speech",
                            {"input": text, "voice": "kokoro-jf_alpha:0.5+kokoro-jm_kumo:0.5", "seed": 3,
                             "lexicon": [{"term": "kubectl", "phonemes": "kjˈub kəntɹˌOl"}]})
    assert status == 200, body
    data = json.loads(body)
    assert [text[a:b] for a, b in (w["span"] for w in data["words"])] == [w["text"] for w in data["words"]]
    assert next(w for w in data["words"] if w["text"] == "kubectl")["source"] == "user"
    assert data["captions"]["vtt"].startswith("WEBVTT") and "kubectl" in data["captions"]["srt"]
    audio, rate = _decode(base64.b64decode(data["audio"]))
    assert rate == 24000 and abs(len(audio) / rate - data["duration_s"]) < 0.05
    assert data["words"][-1]["end_s"] <= data["duration_s"] + 1e-3


@pytest.mark.parametrize("body, status, code", [
    ({"input": "", "voice": "alloy"}, 400, "empty_input"),
    ({"input": "x" * 30_000}, 400, "input_too_long"),
    ({"input": "hi", "voice": "nobody"}, 400, "voice_not_found"),
    ({"input": "hi", "voice": "../../etc/passwd"}, 400, "voice_not_found"),
    ({"input": "hi", "voice": "/etc/passwd"}, 400, "voice_not_found"),
    ({"input": "hi", "voice": "kokoro-jf_alpha:0.5+nobody:0.5"}, 400, "voice_not_found"),
    ({"input": "hi", "voice": "heart:0.5+joe:0.5"}, 400, None),
    ({"input": 42}, 400, "invalid_type"),
    ({"input": "hi", "speed": "fast"}, 400, "invalid_type"),
    ({"input": "hi", "speed": 9}, 400, None),
    ({"input": "hi", "response_format": "aac"}, 400, "unsupported_format"),
    ({"input": "hi", "response_format": "m4a"}, 400, "unsupported_format"),
    ({"input": "<speak><p>unclosed</speak>", "markup": "ssml"}, 400, "unspeakable_input"),
    ({"input": "```\nls\n```", "markup": "markdown"}, 400, "unspeakable_input"),
    ({"input": "hi", "lexicon": [{"term": "x"}]}, 400, None),
    ([1, 2], 400, "invalid_json"),
])
def test_bad_requests_get_openai_shaped_4xx_and_the_server_stays_up(server, body, status, code):
    got, _, raw = _post(server + "/v1/audio/speech", body)
    assert got == status, raw
    error = json.loads(raw)["error"]
    assert error["message"] and error["type"]
    if code:
        assert error["code"] == code, error
    assert _post(server + "/v1/audio/speech", {"input": "Still here.", "response_format": "wav"})[0] == 200


def test_malformed_json_and_huge_bodies(server):
    assert _post(server + "/v1/audio/speech", None, raw=b"{not json")[0] == 400
    status, _, raw = _post(server + "/v1/audio/speech", None, raw=b'{"input": "' + b"a" * (1 << 20) + b'"}')
    assert status == 413 and json.loads(raw)["error"]["code"] == "body_too_large"


def test_listings_health_and_metrics(server, client):
    assert {m.id for m in client.models.list().data} >= {"tts-1", "tts-1-hd"}
    voices = json.loads(urllib.request.urlopen(server + "/v1/audio/voices").read())["voices"]
    assert {"heart", "joe", "alloy"} <= {v["id"] for v in voices}
    assert json.loads(urllib.request.urlopen(server + "/v1/voices").read()) == {"voices": voices}
    assert json.loads(urllib.request.urlopen(server + "/health").read())["status"] == "ok"
    text = urllib.request.urlopen(server + "/metrics").read().decode()
    for name in ("enunciate_requests_total", "enunciate_request_seconds_bucket", "enunciate_first_byte_seconds",
                 "enunciate_audio_seconds_total", "enunciate_queue_depth", "enunciate_errors_total"):
        assert name in text, name


def test_loudness_is_one_gain_for_the_whole_output(tmp_path):
    """--loudness -16: the response measures -16 LUFS (within 1.5 LU: the gain is set on the first
    chunk), and chunks keep their relative levels."""
    import pyloudnorm

    proc, url = _start(tmp_path, "--loudness", "-16")
    try:
        text = "Install CUDA 12.4 first. Then run kubectl get pods to check the whole cluster again."
        status, _, raw = _post(url + "/v1/audio/speech", {"input": text, "response_format": "wav"})
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert status == 200
    audio, rate = _decode(raw)
    assert abs(pyloudnorm.Meter(rate).integrated_loudness(audio.astype(np.float64)) + 16) < 1.5


def test_shutdown_finishes_requests_in_flight(tmp_path):
    import http.client
    import signal

    proc, url = _start(tmp_path)
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    text = "Run kubectl get pods to check the cluster. " * 12
    conn.request("POST", "/v1/audio/speech", json.dumps({"input": text, "response_format": "pcm"}),
                 {"Content-Type": "application/json"})
    response = conn.getresponse()
    first = response.read(2000)
    proc.send_signal(signal.SIGTERM)
    rest = response.read()
    assert proc.wait(timeout=60) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has shut down
    audio_s = (len(first) + len(rest)) / 2 / 24000
    assert audio_s > 12 * 1.5  # every sentence arrived, not just those made before the signal


def test_api_key_and_capacity(tmp_path):
    """With a key set (from the environment, never the command line) every /v1 call needs it; a
    server whose one worker and queue of one are busy answers 429 with Retry-After, not a 5xx."""
    from concurrent.futures import ThreadPoolExecutor

    proc, url = _start(tmp_path, "--max-queue", "1", env={"ENUNCIATE_API_KEY": KEY})
    try:
        assert _post(url + "/v1/audio/speech", {"input": "hi"})[0] == 401
        assert _post(url + "/v1/audio/speech", {"input": "hi"}, {"Authorization": "Bearer wrong"})[0] == 401
        keyed = openai.OpenAI(base_url=url + "/v1", api_key=KEY, max_retries=0)
        assert len(keyed.audio.speech.create(model="tts-1", voice="nova", input="Hello.").content) > 1000
        long = {"input": "Run kubectl get pods to check the cluster. " * 40, "response_format": "wav"}
        auth = {"Authorization": f"Bearer {KEY}"}
        with ThreadPoolExecutor(6) as pool:
            results = list(pool.map(lambda _: _post(url + "/v1/audio/speech", long, auth), range(6)))
        codes = sorted(status for status, _, _ in results)
        assert codes.count(200) >= 2 and 429 in codes and all(c in (200, 429) for c in codes), codes
        busy = next(h for s, h, _ in results if s == 429)
        assert busy["retry-after"] == "1"
        assert _post(url + "/v1/audio/speech", {"input": "Back."}, auth)[0] == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_web_page_speaks_and_highlights_words(server, tmp_path):
    browser = DevTools(require_chromium(), tmp_path / "profile", ("--autoplay-policy=no-user-gesture-required",))
    try:
        page = browser.page(server + "/")
        deadline = time.time() + 20
        while time.time() < deadline and not page.evaluate("document.querySelectorAll('#voice option').length"):
            time.sleep(0.1)
        page.evaluate("document.getElementById('text').value = 'Run kubectl in 35 ms, then check the GPU.';"
                      "document.getElementById('voice').value = 'joe';"
                      "document.getElementById('speak').click();")
        seen_highlight, duration = None, None
        deadline = time.time() + 60
        while time.time() < deadline:
            state = page.evaluate("({d: document.getElementById('player').duration, "
                                  "t: document.getElementById('player').currentTime, "
                                  "now: [...document.querySelectorAll('#words span.now')].map(s => s.textContent),"
                                  "err: document.getElementById('error').textContent})")
            assert not state["err"], state["err"]
            if state["d"] and state["d"] == state["d"]:  # not NaN: loaded
                duration = state["d"]
            if state["now"]:
                seen_highlight = state["now"][0]
                break
            time.sleep(0.05)
        shot = page.screenshot(tmp_path / "page.png")
        words = page.evaluate("[...document.querySelectorAll('#words span')].map(s => s.textContent)")
    finally:
        browser.close()
    assert words == ["Run", "kubectl", "in", "35 ms", "then", "check", "the", "GPU"]
    assert duration is not None and 2.0 < duration < 5.0
    assert seen_highlight in words
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
