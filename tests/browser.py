"""Headless Chromium driven over the DevTools protocol (--remote-debugging-pipe): no extra packages.
`make chromium` installs Debian's chromium; tests that need it fail under `make test` without it."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest


def chromium() -> str | None:
    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)


def require_chromium() -> str:
    """The browser, or a failure (under `make test` and CI) or a skip (a bare pytest run) naming the fix."""
    if chromium() is None or shutil.which("bash") is None:
        if os.environ.get("CI") == "true" or os.environ.get("ENUNCIATE_REQUIRE_CHROMIUM") == "1":
            pytest.fail("no Chromium (or no bash) found: run `make chromium` or `apt-get install chromium`")
        pytest.skip("no Chromium installed (`make chromium` installs it)")
    return chromium()


class DevTools:
    """Chrome DevTools protocol over --remote-debugging-pipe (fds 3 and 4)."""

    def __init__(self, browser: str, profile: Path, extra_flags: tuple[str, ...] = ()):
        import fcntl

        child_r, self._write = os.pipe()
        self._read, child_w = os.pipe()
        # the child's ends move above 3 and 4, so that putting one there cannot overwrite the other
        to_browser_r, from_browser_w = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (child_r, child_w))
        os.close(child_r)
        os.close(child_w)
        # no sandbox (root in a container), and nothing that reaches the network or updates itself
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--remote-debugging-pipe", f"--user-data-dir={profile}", *extra_flags, "about:blank"]
        # the browser reads commands from fd 3 and writes replies to fd 4; bash puts our pipes there
        # (dash cannot redirect fds above 9)
        self.process = subprocess.Popen(
            ["bash", "-c", f'exec "$0" "$@" 3<&{to_browser_r} 4>&{from_browser_w}', browser, *flags],
            pass_fds=(to_browser_r, from_browser_w), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer, self._id = b"", 0

    def send(self, method: str, session: str | None = None, **params) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params, **({"sessionId": session} if session else {})}
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._buffer:
                chunk = os.read(self._read, 1 << 16)
                if not chunk:
                    raise RuntimeError("the browser closed the pipe")
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(reply["error"])
                return reply["result"]

    def page(self, url: str) -> "Page":
        target = self.send("Target.createTarget", url=url)["targetId"]
        return Page(self, self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"])

    def close(self):
        self.process.kill()
        self.process.wait()
        os.close(self._write)
        os.close(self._read)


class Page:
    def __init__(self, tools: DevTools, session: str):
        self.tools, self.session = tools, session

    def evaluate(self, expression: str, await_promise: bool = False):
        result = self.tools.send("Runtime.evaluate", self.session, expression=expression, returnByValue=True,
                                 awaitPromise=await_promise)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        import base64

        data = self.tools.send("Page.captureScreenshot", self.session, format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path
