"""Load on `enunciate serve` against a plain FastAPI wrapper around `hibari-tts` (the same model and
DSP, its own G2P, no queue or limits), on loopback, in one run, the two servers taking turns.

    .venv/bin/python benchmarks/serve_load.py --seconds 15 --clients 1,8,50

For each server and client count: N client threads send OpenAI-style requests (one dev-set sentence
each, response_format wav) in a loop for a fixed time. Reported: requests/s and audio-s/s of
successful responses, p50/p95 latency and time to first byte, the count of 429s (enunciate sheds
load beyond its queue), 5xx and connection errors, and the server's RSS at start and end. Both
servers get ONNX Runtime at --threads and one synthesis at a time from enunciate's pool; the
wrapper runs each request in Starlette's thread pool (up to 40 at once). Only 127.0.0.1 is
contacted; every loop stops by itself at its deadline. Writes benchmarks/results/serve_load.{json,md}.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

WRAPPER = '''
import io, sys
import soundfile as sf
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from hibari import Hibari
import uvicorn

tts = Hibari(threads=int(sys.argv[2]))
app = FastAPI()

@app.get("/health")
def health():
    return {"status": "ok"}

@app.post("/v1/audio/speech")
async def speech(request: Request):
    body = await request.json()
    audio = await run_in_threadpool(tts, body["input"], 1.0, 0)
    buf = io.BytesIO()
    sf.write(buf, audio, tts.sample_rate, format="WAV", subtype="PCM_16")
    return Response(buf.getvalue(), media_type="audio/wav")

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def start(name: str, threads: int, max_queue: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    if name == "enunciate":
        cmd = [sys.executable, "-m", "enunciate", "serve", "--port", str(port), "--threads", str(threads),
               "--max-queue", str(max_queue)]
    else:
        script = Path(tempfile.mkdtemp()) / "hibari_wrapper.py"
        script.write_text(WRAPPER)
        cmd = [sys.executable, str(script), str(port), str(threads)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"{name} server did not start")


def one_request(port: int, text: str) -> dict:
    body = json.dumps({"model": "tts-1", "input": text, "voice": "alloy", "response_format": "wav"})
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", "/v1/audio/speech", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        first = response.read(1)
        ttfb = time.perf_counter() - start
        data = first + response.read()
        status = response.status
    except OSError as e:
        return {"status": "error", "error": repr(e), "latency_s": time.perf_counter() - start}
    finally:
        conn.close()
    audio_s = max(0, len(data) - 44) / 2 / 24000 if status == 200 else 0.0
    return {"status": status, "latency_s": time.perf_counter() - start, "ttfb_s": ttfb, "audio_s": audio_s}


def load(port: int, clients: int, seconds: float, texts: list[str]) -> list[dict]:
    results: list[dict] = []
    lock = threading.Lock()
    deadline = time.time() + seconds

    def client(k: int):
        i = k
        while time.time() < deadline:
            r = one_request(port, texts[i % len(texts)])
            i += clients
            with lock:
                results.append(r)
            if r["status"] == 429:
                time.sleep(0.2)  # what Retry-After asks for, shortened so shedding shows in the counts
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def summarize(results: list[dict], seconds: float) -> dict:
    ok = [r for r in results if r["status"] == 200]

    def pct(values, q):
        return statistics.quantiles(values, n=100)[q - 1] if len(values) >= 2 else (values[0] if values else None)
    return {"requests": len(results), "ok": len(ok), "rps": len(ok) / seconds,
            "audio_s_per_s": sum(r["audio_s"] for r in ok) / seconds,
            "p50_latency_s": pct([r["latency_s"] for r in ok], 50),
            "p95_latency_s": pct([r["latency_s"] for r in ok], 95),
            "p50_ttfb_s": pct([r["ttfb_s"] for r in ok], 50), "p95_ttfb_s": pct([r["ttfb_s"] for r in ok], 95),
            "429": sum(r["status"] == 429 for r in results),
            "5xx": sum(isinstance(r["status"], int) and r["status"] >= 500 for r in results),
            "errors": sum(r["status"] == "error" for r in results)}


def first_chunk_ms(texts: list[str], threads: int) -> float:
    """Median time for the default voice to synthesize a text's first chunk in this process (the
    yardstick for time to first byte: the goal is TTFB <= 2x this at one client)."""
    from enunciate import SpeakOptions, VoiceSpec
    from enunciate.pipeline import stream

    voice = VoiceSpec("heart", threads=threads).load()
    options = SpeakOptions(seed=0)
    next(iter(stream(texts[0], voice, options)))  # warm-up
    times = []
    for text in texts[:20]:
        start = time.perf_counter()
        next(iter(stream(text, voice, options)))
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> int:
    from enunciate.evaluate.terms import DEV_SET, load_term_set
    from enunciate.hardware import describe

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--clients", default="1,8,50")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-queue", type=int, default=16)
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args()
    texts = [item.text for item in load_term_set(DEV_SET)]
    synth_first_ms = first_chunk_ms(texts, args.threads)
    servers = {}
    for name in ("enunciate", "hibari wrapper"):
        proc, port = start(name, args.threads, args.max_queue)
        one_request(port, texts[0])  # warm: voice loaded, lexicons read
        servers[name] = (proc, port, rss_mb(proc.pid))
    rows = []
    try:
        for clients in map(int, args.clients.split(",")):
            for name, (proc, port, _) in servers.items():
                summary = summarize(load(port, clients, args.seconds, texts), args.seconds)
                rows.append({"server": name, "clients": clients, **summary})
                print(f"{name:15s} {clients:3d} clients: {summary['rps']:.2f} req/s, {summary['audio_s_per_s']:.1f} "
                      f"audio-s/s, p50 {summary['p50_latency_s']}, 429s {summary['429']}, 5xx {summary['5xx']}",
                      file=sys.stderr)
    finally:
        rss = {name: (start_mb, rss_mb(proc.pid)) for name, (proc, _, start_mb) in servers.items()}
        for proc, _, _ in servers.values():
            proc.terminate()
            proc.wait(timeout=60)

    def ms(x):
        return f"{1000 * x:.0f}" if x is not None else "-"
    lines = [f"{describe(args.threads)}; {args.seconds:.0f} s per cell, servers taking turns",
             f"Command: `python benchmarks/serve_load.py --seconds {args.seconds:g} --clients {args.clients} "
             f"--threads {args.threads} --max-queue {args.max_queue}`", "",
             "| server | clients | req/s | audio-s/s | p50 ms | p95 ms | p50 TTFB ms | p95 TTFB ms | 429 | 5xx "
             "| errors |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['server']} | {r['clients']} | {r['rps']:.2f} | {r['audio_s_per_s']:.1f} "
                     f"| {ms(r['p50_latency_s'])} | {ms(r['p95_latency_s'])} | {ms(r['p50_ttfb_s'])} "
                     f"| {ms(r['p95_ttfb_s'])} | {r['429']} | {r['5xx']} | {r['errors']} |")
    one = next((r for r in rows if r["server"] == "enunciate" and r["clients"] == 1), None)
    if one and one["p50_ttfb_s"]:
        lines += ["", f"Time to first byte at one client: {ms(one['p50_ttfb_s'])} ms (p50), against "
                  f"{synth_first_ms:.0f} ms for heart to synthesize a first chunk in-process on the same sentences: "
                  f"{1000 * one['p50_ttfb_s'] / synth_first_ms:.2f}x (goal: at most 2x)."]
    lines += ["", "| server | RSS at start MB | RSS at end MB |", "|---|---|---|"]
    lines += [f"| {name} | {a:.0f} | {b:.0f} |" for name, (a, b) in rss.items()]
    print("\n".join(lines))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "serve_load.json").write_text(json.dumps({"args": vars(args), "rows": rows, "rss_mb": rss,
                                                     "first_chunk_synthesis_ms": synth_first_ms}, indent=1))
    (out / "serve_load.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    sys.exit(main())
