"""`make demo`: the README's showcase sentences, spoken by the default voice into a folder."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from .options import DEFAULT_VOICE, SpeakOptions, VoiceSpec

# Keep in sync with README.md ("Showcase"); a test checks that every line appears there.
SHOWCASE = [
    "Install CUDA 12.4, then run kubectl get pods to check the cluster.",
    "Our PostgreSQL query now returns in 35 ms on an H100, down from 120 ms.",
    "Upgrade to v2.3.1 before you put nginx in front of the OAuth 2.0 API.",
    "The JSON and YAML configs load in Python 3.12 with 12 GB of RAM to spare.",
    "Export the model to ONNX, quantize it to int8, and serve it over gRPC at 100 Mbps.",
    "Review: the RTX 4090 is 2x faster than last year's card, at 2.5 GHz and $1,599.",
]


def run_demo(out_dir: Path, voice: str | None = None) -> Iterator[str]:
    from .synthesize import speak_to_file

    out_dir.mkdir(parents=True, exist_ok=True)
    loaded = VoiceSpec(voice or DEFAULT_VOICE).load()
    yield f"voice {loaded.info.name}; writing {len(SHOWCASE)} files to {out_dir}/"
    for k, sentence in enumerate(SHOWCASE, 1):
        result = speak_to_file(sentence, out_dir / f"showcase_{k}.wav", loaded, SpeakOptions())
        yield (f"{result.path}  {result.audio_s:5.2f} s audio  {result.wall_s:5.2f} s wall  "
               f"RTF {result.rtf:.3f}  | {sentence}")
