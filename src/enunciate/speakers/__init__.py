"""Speakers: GE2E speaker embeddings, reference clips, voice maps, and Kokoro voices cloned from a
reference (`enunciate clone`), plus GE2E encoder training (`enunciate train-encoder`).

    from enunciate import speakers
    clip = speakers.load_reference("me.wav")            # decoded, 16 kHz, silence trimmed, checked
    e = speakers.embed_speaker([clip.audio], clip.sample_rate)
    result = speakers.clone(["me.wav"], "me", "./me-voice", speakers.CloneConfig(steps=60))

Nothing heavy is imported here: `enunciate.speakers.command` registers CLI subcommands, and the
CLI must start without torch. Names resolve lazily from their modules.
"""
from __future__ import annotations

import importlib

_NAMES = {
    "SpeakerEncoder": "ge2e", "load_encoder": "ge2e", "embed_utterance": "ge2e", "embed_speaker": "ge2e",
    "cosine": "ge2e", "ReferenceClip": "reference", "load_reference": "reference",
    "check_references": "reference", "CloneConfig": "clone", "CloneResult": "clone", "clone": "clone",
    "voice_map": "voicemap", "TrainConfig": "train_encoder", "train_encoder": "train_encoder",
}
__all__ = sorted(_NAMES)


def __getattr__(name: str):
    if name in _NAMES:
        return getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
