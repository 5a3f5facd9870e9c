"""`enunciate serve`: an OpenAI-compatible speech server (FastAPI + uvicorn) with streaming, word
timestamps, captions and a web page. Needs the `serve` extra: pip install 'enunciate[serve]'."""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import EnunciateError


def api_key(key_file: str | None = None) -> str | None:
    """From --api-key-file, else $ENUNCIATE_API_KEY; never from the command line (it would show in ps)."""
    if key_file:
        try:
            key = Path(key_file).read_text(encoding="utf-8").strip()
        except OSError as e:
            raise EnunciateError(f"cannot read the API key file {key_file}: {e.strerror}") from e
        if not key:
            raise EnunciateError(f"the API key file {key_file} is empty")
        return key
    return os.environ.get("ENUNCIATE_API_KEY") or None


def serve(host: str = "127.0.0.1", port: int = 8880, **config) -> None:
    try:
        import uvicorn

        from .app import ServeConfig, create_app
    except ImportError as e:
        raise EnunciateError("enunciate serve needs its extra: pip install 'enunciate[serve]'") from e
    app = create_app(ServeConfig(**config))
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=30)
