"""Shared fixtures: real voices and models, loaded once per test session."""
from __future__ import annotations

import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# torch threads spin while waiting; beside ONNX Runtime on 2 cores that slows both 5-20x.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest  # noqa: E402

THREADS = 2


@pytest.fixture(scope="session")
def heart():
    from enunciate import load_voice

    return load_voice("heart", THREADS)


@pytest.fixture(scope="session")
def joe():
    from enunciate import load_voice

    return load_voice("joe", THREADS)


@pytest.fixture(scope="session")
def kokoro():
    from enunciate import load_voice

    return load_voice("kokoro", THREADS)


@pytest.fixture(scope="session")
def voices(heart, joe, kokoro):
    return {"heart": heart, "joe": joe, "kokoro": kokoro}
