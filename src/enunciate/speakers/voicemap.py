"""A 2-D map of voices: the GE2E embedding of each voice speaking the same sentences (and of given
reference clips), projected on its two principal components and drawn as a labelled scatter
(PNG, matplotlib's Agg backend). Voices near each other sound alike to the encoder; a cloned
voice should land next to its reference.

The two components keep only part of the 256-d geometry (their share of the variance is in the
title): two points apart on the map are different speakers, two points together may still differ
along the dimensions the map leaves out. `VoiceMap.similarity` holds the full cosines.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..cache import write_atomically
from ..errors import EnunciateError

log = logging.getLogger(__name__)

MAP_SENTENCES = (
    "A warm breeze carried the smell of rain across the empty market square.",
    "Install CUDA 12.4 and run kubectl get pods to check the cluster.",
)
KIND_COLOURS = {"voice": "#1f77b4", "clone": "#d62728", "reference": "#2ca02c", "pack": "#7f7f7f"}


@dataclass
class VoiceMap:
    names: list[str]
    kinds: list[str]                  # voice, clone, reference, pack: how a point is drawn
    embeddings: np.ndarray            # (N, 256) unit norm
    points: np.ndarray                # (N, 2)
    explained: tuple[float, float]    # share of the variance along each axis
    links: list[tuple[str, str]]      # pairs drawn joined (a clone and its reference)

    @property
    def similarity(self) -> np.ndarray:
        return self.embeddings @ self.embeddings.T

    def to_json(self) -> dict:
        return {"names": self.names, "kinds": self.kinds, "points": np.round(self.points, 4).tolist(),
                "explained": [round(x, 4) for x in self.explained], "links": [list(p) for p in self.links]}


def project(names: Sequence[str], kinds: Sequence[str], embeddings: np.ndarray,
            links: Sequence[tuple[str, str]] = ()) -> VoiceMap:
    """The map of given embeddings: their first two principal components."""
    x = np.asarray(embeddings, np.float64)
    if len(x) < 3:
        raise EnunciateError(f"a voice map needs at least 3 voices, got {len(x)}")
    centred = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    variance = s ** 2 / max(float(np.sum(s ** 2)), 1e-12)
    points = centred @ vt[:2].T
    return VoiceMap(list(names), list(kinds), x.astype(np.float32), points, (float(variance[0]), float(variance[1])),
                    [tuple(p) for p in links])


def voice_embedding(voice: str, sentences: Sequence[str] = MAP_SENTENCES) -> np.ndarray:
    """A voice's speaker embedding: the normalised mean over it speaking `sentences`."""
    import enunciate

    from .ge2e import embed_speaker

    clips = []
    for text in sentences:
        speech = enunciate.speak(text, voice=voice, seed=0)
        clips.append(speech.audio)
    return embed_speaker(clips, speech.sample_rate)


def voice_map(voices: Sequence[str] | None = None, references: dict[str, Sequence[str | Path]] | None = None,
              sentences: Sequence[str] = MAP_SENTENCES, out: str | Path | None = None,
              title: str = "Voices by GE2E speaker embedding",
              progress: Callable[[str], None] | None = None) -> VoiceMap:
    """Map `voices` (default: every built-in and stored voice) and `references` (label -> clips of
    one speaker); write the PNG to `out` when given. A voice that fails to load is left out with a
    warning (the map is of what speaks here)."""
    from ..voices.registry import manifests

    from .ge2e import embed_speaker
    from .reference import load_reference

    names, kinds, rows, links = [], [], [], []
    if voices is None:
        listed = manifests()
        voices = [m.name for m in listed]
        kind_of = {m.name: "clone" if m.provenance.method == "clone" else
                   "pack" if m.family == "kokoro" and not m.provenance.method else "voice" for m in listed}
    else:
        kind_of = {}
    for voice in voices:
        try:
            rows.append(voice_embedding(voice, sentences))
        except EnunciateError as e:
            log.warning("voice %s left off the map: %s", voice, e)
            continue
        names.append(voice)
        kinds.append(kind_of.get(voice, "voice"))
        if progress:
            progress(f"embedded {voice}")
    for label, clips in (references or {}).items():
        loaded = [load_reference(c, check_background=False) for c in clips]
        rows.append(embed_speaker([c.audio for c in loaded], loaded[0].sample_rate))
        names.append(label)
        kinds.append("reference")
    result = project(names, kinds, np.stack(rows), links)
    if out is not None:
        draw(result, out, title)
    return result


def draw(voice_map: VoiceMap, out: str | Path, title: str = "Voices by GE2E speaker embedding") -> Path:
    """The map as a PNG, written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    if not out.parent.is_dir():
        raise EnunciateError(f"cannot write {out}: folder {out.parent} does not exist")
    fig, ax = plt.subplots(figsize=(8, 6.5), dpi=110)
    index = {name: i for i, name in enumerate(voice_map.names)}
    for a, b in voice_map.links:
        if a in index and b in index:
            (x0, y0), (x1, y1) = voice_map.points[index[a]], voice_map.points[index[b]]
            ax.plot([x0, x1], [y0, y1], color="#bbbbbb", linewidth=1, zorder=1)
    for kind, colour in KIND_COLOURS.items():
        chosen = [i for i, k in enumerate(voice_map.kinds) if k == kind]
        if chosen:
            ax.scatter(voice_map.points[chosen, 0], voice_map.points[chosen, 1], s=60, color=colour, label=kind,
                       marker="*" if kind == "reference" else "o", zorder=2)
    for name, (x, y) in zip(voice_map.names, voice_map.points):
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(5, 4), fontsize=8)
    ex = voice_map.explained
    ax.set_xlabel(f"PC 1 ({ex[0]:.0%} of the variance)")
    ax.set_ylabel(f"PC 2 ({ex[1]:.0%})")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    try:
        write_atomically(out, lambda tmp: fig.savefig(tmp, format="png"))
    finally:
        plt.close(fig)
    return out
