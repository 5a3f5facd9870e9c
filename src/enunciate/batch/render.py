"""Tasks -> audio files -> manifest rows: the work one executor process or Ray actor does, the same
function for both, so local and Ray runs give the same files.

A task that fails (nothing speakable, an unknown voice, a bad speed) gives an error record, never an
exception: the job goes on. Voices load through `VoiceSpec.load()`, cached per spec, so each worker
loads each voice once.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Sequence

from ..errors import EnunciateError
from ..options import SpeakOptions, VoiceSpec
from .manifest import Row, file_sha256, text_sha256
from .store import open_store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    """One item to speak into `path` (relative to the job's OUTDIR). `settings` is what the manifest
    row records and a rerun compares (speed, seed, markup, loudness, format, lexicons)."""

    id: str
    text: str
    path: str
    voice: str
    settings: dict


@dataclass(frozen=True)
class Settings:
    """What every task of a job shares: where to write, in which format, how voices run and speak."""

    outdir: str  # a folder or an fsspec URL (store.Store)
    format: str
    spec: VoiceSpec
    options: SpeakOptions


def task_options(options: SpeakOptions, settings: dict) -> SpeakOptions:
    speed = settings["speed"]
    try:
        speed = float(speed)
    except (TypeError, ValueError):
        raise EnunciateError(f"speed must be a number, got {speed!r}") from None
    return replace(options, speed=speed, markup=settings["markup"])


def render(tasks: Sequence[Task], settings: Settings) -> list[dict]:
    """Each task -> its manifest row (a dict) or {"id", "error"}. Voices with native batches on a GPU
    (the torch engine) speak the group in padded batches; everything else one file at a time,
    streamed to disk (a long document never sits whole in memory; at a URL, to a local temp file
    that is then uploaded)."""
    spec = replace(settings.spec, voice=tasks[0].voice) if tasks else settings.spec
    if len(tasks) > 1 and all(t.voice == tasks[0].voice and t.settings == tasks[0].settings for t in tasks):
        try:
            voice = spec.load()
        except EnunciateError as e:
            return [{"id": t.id, "error": str(e)} for t in tasks]
        if voice.capabilities.batches and str(voice.device).startswith("cuda"):
            try:
                return _render_batch(tasks, settings, voice)
            except (EnunciateError, OSError):  # one text with nothing to say fails the batch: one by one
                pass
    return [render_one(task, settings) for task in tasks]


def render_one(task: Task, settings: Settings) -> dict:
    from ..synthesize import speak_to_file

    start = time.perf_counter()
    store = open_store(settings.outdir)
    try:
        voice = replace(settings.spec, voice=task.voice).load()
        options = task_options(settings.options, task.settings)
        with store.writing(task.path) as path:
            result = speak_to_file(task.text, path, voice, options, format=settings.format)
            audio_sha = file_sha256(path)
    except EnunciateError as e:  # errno: the driver stops the job on a full or read-only OUTDIR
        return {"id": task.id, "error": str(e), "errno": getattr(e.__cause__, "errno", None)}
    except OSError as e:  # the store refused the upload
        return {"id": task.id, "error": f"cannot write {store.where(task.path)}: {e.strerror or e}", "errno": e.errno}
    except Exception as e:  # a bug on one odd text must not stop a job of thousands: record it, go on
        log.exception("item %s failed", task.id)
        return {"id": task.id, "error": f"internal error ({type(e).__name__}: {e}); please report it"}
    return _row(task, voice, result.audio_s, audio_sha, time.perf_counter() - start)


def _render_batch(tasks: Sequence[Task], settings: Settings, voice) -> list[dict]:
    from ..audio import write_audio
    from ..synthesize import speak_batch

    start = time.perf_counter()
    store = open_store(settings.outdir)
    options = task_options(settings.options, tasks[0].settings)
    speeches = speak_batch([t.text for t in tasks], voice, options)
    hashes = []
    for task, speech in zip(tasks, speeches):
        with store.writing(task.path) as path:
            write_audio(path, speech.audio, speech.sample_rate, settings.format)
            hashes.append(file_sha256(path))
    each = (time.perf_counter() - start) / len(tasks)
    return [_row(task, voice, speech.duration_s, sha, each) for task, speech, sha in zip(tasks, speeches, hashes)]


def _row(task: Task, voice, duration_s: float, audio_sha256: str, seconds: float) -> dict:
    return Row(id=task.id, path=task.path, text_sha256=text_sha256(task.text), voice=task.voice,
               settings=task.settings, sample_rate=voice.sample_rate, duration_s=round(duration_s, 4),
               audio_sha256=audio_sha256, engine=voice.info.engine, seconds=round(seconds, 4)).__dict__
