"""The HTTP service: OpenAI's `/v1/audio/speech` and enunciate's own `/v1/enunciate/speech`, on the
same pipeline as `enunciate speak`.

Load is bounded: synthesis runs in a fixed pool of worker threads (one voice call at a time per
worker) behind a queue of fixed depth; a request that finds both full gets 429 with Retry-After
rather than waiting without end. Every error a client can cause is a 4xx JSON body in OpenAI's
shape ({"error": {"message", "type", "param", "code"}}); the server stays up for the next request.
Voice names resolve with paths switched off, so a request can never name a file.
"""
from __future__ import annotations

import asyncio
import base64
import copy
import json
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import numpy as np
from fastapi import Request  # at module level: FastAPI reads handlers' annotations by name

from ..errors import EnunciateError
from ..options import MARKUPS, SpeakOptions, VoiceSpec
from .encode import StreamEncoder, check_format

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"

# OpenAI's voice names -> installed voices (override with --voice-map FILE.json).
OPENAI_VOICES = {"alloy": "heart", "ash": "joe", "ballad": "kokoro-jm_kumo", "coral": "heart",
                 "echo": "joe", "fable": "kokoro-jf_alpha", "onyx": "joe", "nova": "heart",
                 "sage": "kokoro", "shimmer": "kokoro-jf_nezumi", "verse": "kokoro-jm_kumo"}
MODELS = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts", "enunciate")


@dataclass
class ServeConfig:
    default_voice: str = "heart"
    voice_map: dict[str, str] = field(default_factory=lambda: dict(OPENAI_VOICES))
    workers: int = 1                   # synthesis threads (each runs one voice call at a time)
    max_queue: int = 8                 # requests that may wait for a worker; beyond: 429
    timeout_s: float = 120.0           # per request: no new chunk is started after this
    max_input_chars: int = 20_000
    max_body_bytes: int = 1 << 20
    api_key: str | None = None         # from ENUNCIATE_API_KEY or --api-key-file, never the command line
    threads: int | None = None         # ONNX Runtime threads per voice
    loudness_lufs: float | None = None  # loudness target for every response (SpeakOptions.loudness_lufs)


DRAIN_FACTOR = 8  # an oversized body up to 8x the limit is read before the 413; a larger one is not


class ApiError(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", param: str | None = None,
                 code: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.kind, self.param, self.code = status, message, kind, param, code
        self.headers = headers or {}


def error_body(e: ApiError) -> dict:
    return {"error": {"message": e.message, "type": e.kind, "param": e.param, "code": e.code}}


class Capacity:
    """Workers plus a queue of fixed depth; `enter` refuses (429) when both are full."""

    def __init__(self, workers: int, max_queue: int):
        self.workers, self.max_queue = workers, max_queue
        self.limiter = None  # an asyncio.Semaphore, made inside the event loop
        self.inside = 0
        self.lock = threading.Lock()

    def enter(self) -> None:
        with self.lock:
            if self.inside >= self.workers + self.max_queue:
                raise ApiError(429, f"the server is at capacity ({self.workers} synthesizing, {self.max_queue} "
                               "waiting); retry shortly", "rate_limit_error", code="server_busy",
                               headers={"Retry-After": "1"})
            self.inside += 1

    def leave(self) -> None:
        with self.lock:
            self.inside -= 1

    @property
    def queued(self) -> int:
        return max(0, self.inside - self.workers)


class Metrics:
    """Prometheus text: requests, latency, time to first byte, audio seconds, queue depth, errors."""

    def __init__(self, capacity: Capacity):
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        self.requests = Counter("enunciate_requests", "speech requests by endpoint and status",
                                ["endpoint", "status"], registry=self.registry)
        self.latency = Histogram("enunciate_request_seconds", "request time to the last byte", ["endpoint"],
                                 registry=self.registry, buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60))
        self.ttfb = Histogram("enunciate_first_byte_seconds", "request time to the first audio byte",
                              registry=self.registry, buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5))
        self.audio = Counter("enunciate_audio_seconds", "seconds of audio produced", registry=self.registry)
        self.errors = Counter("enunciate_errors", "errors by kind", ["kind"], registry=self.registry)
        queue = Gauge("enunciate_queue_depth", "requests waiting for a worker", registry=self.registry)
        queue.set_function(lambda: capacity.queued)

    def text(self) -> bytes:
        from prometheus_client import generate_latest

        return generate_latest(self.registry)


# --- requests -----------------------------------------------------------------------------------------

def _field(body: dict, name: str, kind, default=None, required: bool = False):
    if name not in body or body[name] is None:
        if required:
            raise ApiError(400, f"'{name}' is required", param=name, code="missing_field")
        return default
    value = body[name]
    ok = isinstance(value, kind) and not (kind in (int, float, (int, float)) and isinstance(value, bool))
    if not ok:
        names = kind.__name__ if isinstance(kind, type) else "number"
        raise ApiError(400, f"'{name}' must be a {names}, got {type(value).__name__}", param=name,
                       code="invalid_type")
    return value


@dataclass
class SpeechRequest:
    text: str
    voice: str
    response_format: str
    options: SpeakOptions
    stream_format: str = "audio"
    instructions: str | None = None
    timestamps: bool = False


def parse_request(body: Any, config: ServeConfig, default_format: str) -> SpeechRequest:
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object", code="invalid_json")
    text = _field(body, "input", str, required=True)
    if not text.strip():
        raise ApiError(400, "'input' is empty: nothing to say", param="input", code="empty_input")
    if len(text) > config.max_input_chars:
        raise ApiError(400, f"'input' has {len(text):,} characters; the limit is {config.max_input_chars:,}",
                       param="input", code="input_too_long")
    model = _field(body, "model", str, "tts-1")
    if model not in MODELS:
        raise ApiError(400, f"unknown model {model!r}; available: {', '.join(MODELS)}", param="model",
                       code="model_not_found")
    voice = _field(body, "voice", str, config.default_voice)
    fmt = _field(body, "response_format", str, default_format)
    try:
        check_format(fmt)
    except EnunciateError as e:
        raise ApiError(400, str(e), param="response_format", code="unsupported_format") from None
    speed = float(_field(body, "speed", (int, float), 1.0))
    stream_format = _field(body, "stream_format", str, "audio")
    if stream_format not in ("audio", "sse"):
        raise ApiError(400, f"unknown stream_format {stream_format!r}; available: audio, sse", param="stream_format")
    markup = _field(body, "markup", str, "plain")
    if markup not in MARKUPS:
        raise ApiError(400, f"unknown markup {markup!r}; available: {', '.join(MARKUPS)}", param="markup")
    seed = _field(body, "seed", int, 0)
    lexicon = _lexicon(body.get("lexicon"))
    try:
        options = SpeakOptions(speed=speed, seed=seed, markup=markup, lexicon_tsv=lexicon,
                               loudness_lufs=config.loudness_lufs)
    except EnunciateError as e:
        raise ApiError(400, str(e), param="speed" if "speed" in str(e) else None) from None
    return SpeechRequest(text, voice, fmt, options, stream_format, _field(body, "instructions", str),
                         bool(_field(body, "timestamps", bool, False)))


def _lexicon(value) -> str:
    """Per-request entries: [{"term": "kubectl", "phonemes": "kjˈub kəntɹˌOl"}] or TSV text. Checked
    here; they live for this request only (never written anywhere)."""
    if value is None:
        return ""
    if isinstance(value, str):
        tsv = value
    elif isinstance(value, list) and all(isinstance(e, dict) for e in value):
        rows = []
        for e in value:
            term, phonemes = e.get("term"), e.get("phonemes")
            if not isinstance(term, str) or not isinstance(phonemes, str) or not term.strip() or not phonemes.strip():
                raise ApiError(400, "each lexicon entry needs a non-empty 'term' and 'phonemes'", param="lexicon")
            if re.search(r"[\t\r\n]", term + phonemes):
                raise ApiError(400, "lexicon terms and phonemes may not hold tabs or line breaks", param="lexicon")
            rows.append(f"{term}\t{phonemes}")
        tsv = "term\tphonemes\n" + "\n".join(rows)
    else:
        raise ApiError(400, "'lexicon' must be a list of {term, phonemes} or TSV text", param="lexicon")
    if len(tsv) > 100_000:
        raise ApiError(400, "'lexicon' is too large (100,000 characters at most)", param="lexicon")
    from ..text.lexicon import Lexicon

    try:
        Lexicon.parse(tsv, name="request lexicon")
    except EnunciateError as e:
        raise ApiError(400, str(e), param="lexicon") from None
    return tsv


# --- voices -------------------------------------------------------------------------------------------

class Voices:
    """Voice names (enunciate's, stored ones, OpenAI's aliases, and blends of style-vector voices)
    -> loaded voices, each loaded once."""

    def __init__(self, config: ServeConfig):
        self.config = config
        self._blends: dict[str, Any] = {}
        self._lock = threading.Lock()

    def names(self) -> list[dict]:
        from ..voices.registry import manifests

        rows = [{"id": m.name, "name": m.name, "family": m.family, "sample_rate": m.sample_rate,
                 "engines": list(m.engines)} for m in manifests()]
        rows += [{"id": alias, "name": alias, "alias_of": target} for alias, target in self.config.voice_map.items()]
        return rows

    def get(self, name: str):
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, "'voice' must be a voice name", param="voice")
        name = self.config.voice_map.get(name, name)
        if "+" in name or ":" in name:
            return self._blend(name)
        return self._load(name)

    def _load(self, name: str):
        from ..voices.registry import load, resolve

        try:
            manifest = resolve(name, allow_paths=False)
            return load(VoiceSpec(name, threads=self.config.threads), manifest)
        except EnunciateError as e:
            raise ApiError(400, str(e), param="voice", code="voice_not_found") from None

    def _blend(self, spec: str):
        """"kokoro-jf_alpha:0.7+kokoro-jm_kumo:0.3": a Kokoro voice whose style table is the weighted
        sum of the parts' (weights normalized to 1). Parts must be style-vector voices."""
        with self._lock:
            if spec in self._blends:
                return self._blends[spec]
        parts = []
        for piece in spec.split("+"):
            name, _, weight = piece.strip().partition(":")
            try:
                w = float(weight) if weight else 1.0
            except ValueError:
                raise ApiError(400, f"bad weight in voice blend {piece!r}; write NAME:WEIGHT", param="voice") from None
            if not w > 0:
                raise ApiError(400, f"weights in a voice blend must be positive, got {piece!r}", param="voice")
            parts.append((self._load(self.config.voice_map.get(name, name)), w))
        if any(not hasattr(v, "style") for v, _ in parts):
            raise ApiError(400, "only style-vector voices (the Kokoro family) can be blended", param="voice")
        base = parts[0][0]
        if any(type(v) is not type(base) for v, _ in parts):
            raise ApiError(400, "voices in a blend must run on the same engine", param="voice")
        total = sum(w for _, w in parts)
        voice = copy.copy(base)  # shares the loaded model; only the style differs
        voice.style = sum(v.style * (w / total) for v, w in parts)
        voice.info = replace(base.info, name=spec)
        with self._lock:
            if len(self._blends) > 32:
                self._blends.clear()
            self._blends[spec] = voice
        return voice


# --- synthesis ----------------------------------------------------------------------------------------

def chunks(text: str, voice, options: SpeakOptions, report) -> Iterator:
    from ..pipeline import stream

    return iter(stream(text, voice, options, report))


def create_app(config: ServeConfig | None = None):
    from fastapi import FastAPI
    from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
    from starlette.concurrency import run_in_threadpool

    config = config or ServeConfig()
    capacity = Capacity(config.workers, config.max_queue)
    metrics = Metrics(capacity)
    voices = Voices(config)
    app = FastAPI(title="enunciate", description="Offline text-to-speech that says technical text right: "
                  "OpenAI-compatible /v1/audio/speech", version=__import__("enunciate").__version__)
    app.state.config, app.state.capacity = config, capacity

    @app.exception_handler(ApiError)
    async def api_error(request: Request, e: ApiError):
        metrics.errors.labels(e.code or e.kind).inc()
        return JSONResponse(error_body(e), status_code=e.status, headers=e.headers)

    @app.middleware("http")
    async def guard(request: Request, call_next):
        """API key (when set) and body size, before any handler reads the body."""
        if config.api_key and request.url.path.startswith("/v1/"):
            given = request.headers.get("authorization", "")
            if not secrets.compare_digest(given.encode(), f"Bearer {config.api_key}".encode()):
                metrics.errors.labels("unauthorized").inc()
                e = ApiError(401, "missing or wrong API key (Authorization: Bearer …)", "authentication_error",
                             code="invalid_api_key")
                return JSONResponse(error_body(e), status_code=401)
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > config.max_body_bytes:
            metrics.errors.labels("body_too_large").inc()
            if int(length) <= DRAIN_FACTOR * config.max_body_bytes:
                # read (and drop) a moderately large body first: closing on unread data resets the
                # connection, and the client would see the reset instead of the 413
                async for _ in request.stream():
                    pass
            e = ApiError(413, f"the request body is over {config.max_body_bytes:,} bytes", code="body_too_large")
            return JSONResponse(error_body(e), status_code=413)
        return await call_next(request)

    async def body_of(request: Request) -> Any:
        data = b""
        async for part in request.stream():
            data += part
            if len(data) > config.max_body_bytes:
                raise ApiError(413, f"the request body is over {config.max_body_bytes:,} bytes", code="body_too_large")
        try:
            return json.loads(data or b"null")
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "the request body is not valid JSON", code="invalid_json") from None

    async def first_chunk(req: SpeechRequest):
        """Voice, frontend and the first chunk, before any byte is sent: a bad voice, bad markup or
        text with nothing speakable is a 4xx, not a broken stream."""
        from ..pipeline import Report

        voice = await run_in_threadpool(voices.get, req.voice)
        report = Report()
        it = chunks(req.text, voice, req.options, report)
        try:
            first = await run_in_threadpool(next, it, None)
        except EnunciateError as e:
            raise ApiError(400, str(e), param="input", code="unspeakable_input") from None
        if first is None:
            from ..pipeline import nothing_speakable

            raise ApiError(400, str(nothing_speakable(report)), param="input", code="unspeakable_input")
        return voice, it, first, report

    async def produce(request: Request, req: SpeechRequest, endpoint: str) -> AsyncIterator:
        """Yield (voice, report, chunk) with the capacity held, first with no chunk (everything checked);
        stops when the client goes away or time is up."""
        capacity.enter()
        start = time.perf_counter()
        try:
            if capacity.limiter is None:  # not task-bound: the response streams from another task
                capacity.limiter = asyncio.Semaphore(config.workers)
            async with capacity.limiter:
                voice, it, chunk, report = await first_chunk(req)
                yield voice, report, None
                while chunk is not None:
                    metrics.audio.inc(chunk.duration_s + chunk.pause_after_s)
                    yield voice, report, chunk
                    if await request.is_disconnected():
                        log.info("client went away: synthesis stopped")
                        metrics.errors.labels("client_disconnected").inc()
                        break
                    if time.perf_counter() - start > config.timeout_s:
                        log.warning("request passed its %.0f s limit: the rest is not synthesized", config.timeout_s)
                        metrics.errors.labels("timeout").inc()
                        break
                    chunk = await run_in_threadpool(next, it, None)
        except (asyncio.CancelledError, GeneratorExit):  # the server cancels a response whose client left
            log.info("client went away: synthesis stopped")
            metrics.errors.labels("client_disconnected").inc()
            raise
        finally:
            capacity.leave()
            metrics.latency.labels(endpoint).observe(time.perf_counter() - start)

    async def speech_response(request: Request, req: SpeechRequest, endpoint: str):
        started = time.perf_counter()
        gen = produce(request, req, endpoint)
        voice, report, _ = await gen.__anext__()  # raises ApiError before anything is sent
        encoder = StreamEncoder(req.response_format, voice.sample_rate)
        headers = {"X-Enunciate-Voice": voice.info.name}
        if req.instructions:
            headers["X-Enunciate-Instructions"] = "ignored: enunciate voices take no style instructions"

        async def audio_bytes():
            first = True
            async for _, _, chunk in gen:
                data = encoder.write(chunk.samples())
                if data:
                    if first:
                        metrics.ttfb.observe(time.perf_counter() - started)
                        first = False
                    yield data
            yield encoder.close()
            metrics.requests.labels(endpoint, "200").inc()

        async def sse_events():
            async for _, _, chunk in gen:
                data = encoder.write(chunk.samples())
                words = [_word(w) for w in chunk.words]
                yield _sse({"type": "speech.audio.delta", "audio": base64.b64encode(data).decode(), "words": words,
                            "sample_rate": encoder.rate})
            tail = encoder.close()
            if tail:
                yield _sse({"type": "speech.audio.delta", "audio": base64.b64encode(tail).decode(), "words": []})
            yield _sse({"type": "speech.audio.done", "usage": {"input_characters": len(req.text)},
                        "report": _report(report)})
            metrics.requests.labels(endpoint, "200").inc()

        if req.stream_format == "sse":
            return StreamingResponse(sse_events(), media_type="text/event-stream", headers=headers)
        return StreamingResponse(audio_bytes(), media_type=encoder.content_type, headers=headers)

    @app.post("/v1/audio/speech")
    async def audio_speech(request: Request):
        """OpenAI's speech endpoint: audio bytes (mp3 by default), streamed as chunks are made."""
        try:
            req = parse_request(await body_of(request), config, "mp3")
            return await speech_response(request, req, "speech")
        except ApiError as e:
            metrics.requests.labels("speech", str(e.status)).inc()
            raise

    @app.post("/v1/enunciate/speech")
    async def enunciate_speech(request: Request):
        """Audio (base64), word timestamps with spans of the input, captions and the frontend's report
        as one JSON object; with stream_format "sse", the same as events while it is made."""
        try:
            req = parse_request(await body_of(request), config, "wav")
            if req.stream_format == "sse":
                return await speech_response(request, req, "enunciate")
            parts, words, voice, report = [], [], None, None
            async for voice, report, chunk in produce(request, req, "enunciate"):
                if chunk is not None:
                    parts.append(chunk.samples())
                    words += chunk.words
        except ApiError as e:
            metrics.requests.labels("enunciate", str(e.status)).inc()
            raise
        from ..captions import build_cues, to_srt, to_vtt
        from ..text.document import rendered

        audio = np.concatenate(parts)
        shown = req.text if req.options.markup == "ssml" else rendered(req.text, req.options.markup)
        cues = build_cues(words, req.text, shown)
        data = StreamEncoder(req.response_format, voice.sample_rate)
        encoded = data.write(audio) + data.close()
        metrics.requests.labels("enunciate", "200").inc()
        return JSONResponse({"audio": base64.b64encode(encoded).decode(), "format": req.response_format,
                             "sample_rate": data.rate, "duration_s": len(audio) / voice.sample_rate,
                             "voice": voice.info.name, "words": [_word(w) for w in words],
                             "captions": {"vtt": to_vtt(cues), "srt": to_srt(cues)}, "report": _report(report)})

    @app.get("/v1/models")
    async def models():
        return {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "enunciate"} for m in MODELS]}

    @app.get("/v1/audio/voices")
    @app.get("/v1/voices")
    async def list_voices():
        return {"voices": voices.names()}

    @app.get("/health")
    async def health():
        return {"status": "ok", "queued": capacity.queued, "inside": capacity.inside}

    @app.get("/metrics")
    async def prometheus():
        return Response(metrics.text(), media_type="text/plain; version=0.0.4")

    @app.get("/")
    async def page():
        return FileResponse(STATIC / "index.html", media_type="text/html")

    return app


def _sse(event: dict) -> bytes:
    return f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode()


def _word(w) -> dict:
    return {"text": w.text, "span": list(w.span), "start_s": round(w.start_s, 4), "end_s": round(w.end_s, 4),
            "spoken": w.spoken, "source": w.source}


def _report(report) -> dict:
    return {"skipped": [{"text": s.text, "span": list(s.span), "reason": s.reason} for s in report.skipped],
            "guessed": sorted({w.text for w in report.guessed()}),
            "dropped_symbols": dict(report.dropped_symbols)}
