"""Kokoro voices made from others: each half of the style moved along the line between two voices
(`voices mix`), or the pitch moved with the rhythm kept (`voices pitch`).

A Kokoro style row has two halves: values 0-127 condition the decoder (timbre), 128-255 the
prosody predictor (durations, pitch, energy). `mix_tables(base, toward, timbre=a, prosody=b)` is

    half(base) + k * (half(toward) - half(base))       k = a on the timbre half, b on the prosody half

so k = 0 keeps BASE's half, 1 takes TOWARD's, 0.5 is halfway and k > 1 goes on past TOWARD in the
same direction. The usual use is a clone and the voice it was continued from: the halves of a fit
can be kept or pushed apart (docs/clone.md). The tables are the voices' own (510, 1, 256), row by
row, so the result is a voice folder like a clone's.

`shift_pitch(table, hz=... | semitones=...)` adds one offset to every row's prosody half. The goal is
what YIN hears in the voice's speech of ten sentences, the same reading a reference gets. Newton
steps through the PyTorch Kokoro's prosody predictor (no decoder) move the mean log F0 of its F0
curve; each goes along that gradient less its component along the gradient of the mean log
duration, so the rhythm stays as it was to first order. The curve and the sound differ by a
voice-dependent amount, so the speech is rendered and heard again after each round of steps and the
curve moved by what is still missing. Kokoro has no pitch input; this is how a voice is made lower or
higher, and how a clone's pitch is put where its reference speaker's is.
"""
from __future__ import annotations

import hashlib
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..errors import EnunciateError
from .styles import PROSODY, TIMBRE

MAX_SEMITONES = 12.0
LIMIT = 5.0  # |k| beyond this is refused: far past either voice the style is no longer one Kokoro was trained on


def mix_tables(base: np.ndarray, toward: np.ndarray, timbre: float = 0.0, prosody: float = 0.0) -> np.ndarray:
    """(510, 1, 256) float32: BASE with its timbre half moved `timbre` and its prosody half moved
    `prosody` of the way to TOWARD (see the module docstring)."""
    base, toward = np.asarray(base, np.float32), np.asarray(toward, np.float32)
    if base.shape != toward.shape or base.ndim != 3 or base.shape[-1] != 256:
        raise EnunciateError(f"Kokoro style tables must both be (rows, 1, 256); got {base.shape} and {toward.shape}")
    for label, k in (("timbre", timbre), ("prosody", prosody)):
        if not np.isfinite(k) or abs(k) > LIMIT:
            raise EnunciateError(f"the {label} factor must be a number between -{LIMIT:g} and {LIMIT:g}, got {k}")
    out = base.copy()  # float32 throughout: k = 0 gives BASE's half to the bit, k = 1 TOWARD's to rounding
    out[..., TIMBRE] += np.float32(timbre) * (toward[..., TIMBRE] - base[..., TIMBRE])
    out[..., PROSODY] += np.float32(prosody) * (toward[..., PROSODY] - base[..., PROSODY])
    return out


def mix_voice(base: str, toward: str, out: str | os.PathLike, timbre: float = 0.0, prosody: float = 0.0,
              name: str | None = None, command: str | None = None, force: bool = False):
    """Writes the mix of two Kokoro voices (names or folders) as a voice folder at `out`; returns its
    manifest. The manifest is TOWARD's (a clone's references and blend stay on record) with the mix
    in its provenance: both parents by name and SHA-256 of their tables, and the two factors."""
    from ..voices.registry import kokoro_style, resolve

    voices = [resolve(str(v)) for v in (base, toward)]
    for v in voices:
        if v.family != "kokoro":
            raise EnunciateError(f"voice {v.name!r} is a {v.family} voice; --timbre and --prosody mix two Kokoro "
                                 "voices (two Piper voices mix by --weights)")
    tables = [kokoro_style(v) for v in voices]
    table = mix_tables(*tables, timbre=timbre, prosody=prosody)
    base_m, toward_m = voices
    record = {"base": base_m.name, "base_style_sha256": _sha256(tables[0]),
              "toward": toward_m.name, "toward_style_sha256": _sha256(tables[1]),
              "timbre": timbre, "prosody": prosody}
    return _write(toward_m, table, out, name or f"{toward_m.name}-mix", "mix", record, command, force,
                  f"Kokoro style: {base_m.name}'s, its timbre half moved {timbre:g} and its prosody half {prosody:g} "
                  f"of the way to {toward_m.name}'s", parent=base_m.name)


@dataclass(frozen=True)
class PitchShift:
    table: np.ndarray        # (510, 1, 256) float32
    before_hz: float         # the mean F0 YIN hears in the voice's speech of the sentences
    after_hz: float
    duration_change: float   # mean expected frames per token, after / before (1: the rhythm kept)
    offset_norm: float       # of the prosody offset added to every row


def shift_pitch(table: np.ndarray, hz: float | None = None, semitones: float | None = None,
                sentences: Sequence[str] | None = None, iterations: int = 8, rounds: int = 3, model=None,
                progress: Callable[[str], None] | None = None, listen: bool = True) -> PitchShift:
    """`table` with its prosody half offset so that the mean F0 YIN hears in the voice's speech is
    `hz`, or `semitones` from where it is (exactly one of the two); see the module docstring.

    The F0 curve and what YIN hears of the sound differ by a voice-dependent amount (YIN heard
    `kokoro-heart` pitched to a 201 Hz curve at 232 Hz), so each round renders the sentences, has YIN
    measure them, and moves the curve by what is still missing, until YIN hears the goal to within
    0.17 semitone or `rounds` run out. `listen=False` aims the curve's own reading (from 50 Hz) at the
    goal instead: nothing is rendered (seconds, not minutes), and YIN hears the result 1-3 semitones
    higher."""
    import torch

    from .clone import FIT_SENTENCES, GUARD_SENTENCES, SAMPLE_RATE, kokoro_phonemes, mean_log_f0, token_ids
    from .render import StyleRenderer, voiced_log_f0

    if (hz is None) == (semitones is None):
        raise EnunciateError("give the pitch as a frequency (--hz) or a shift in semitones, one of the two")
    if hz is not None and not (50 <= hz <= 500):
        raise EnunciateError(f"the pitch must be between 50 and 500 Hz, got {hz}")
    if semitones is not None and not abs(semitones) <= MAX_SEMITONES:
        raise EnunciateError(f"a pitch shift must be within {MAX_SEMITONES:g} semitones, got {semitones}")
    if model is None:
        from ..voices.kokoro_torch import load_model

        model = load_model("cpu")
    renderer = StyleRenderer(model, [list(x) for x in token_ids(kokoro_phonemes(
        tuple(sentences or FIT_SENTENCES + GUARD_SENTENCES)))])
    base = torch.from_numpy(np.asarray(table, np.float32)[renderer.rows.numpy(), 0]).to(model.device)
    delta = torch.zeros(base.shape[1] - PROSODY.start, device=model.device)

    def styles(d: torch.Tensor) -> torch.Tensor:
        out = base.clone()
        out[:, PROSODY] = out[:, PROSODY] + d.detach()
        return out

    def curve(d: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        renderer.align(styles(d))  # the rounded durations at this offset; the gradients hold them fixed
        f0, mask, log_duration = renderer.prosody(base[:, PROSODY] + d)
        return voiced_log_f0(f0, mask), log_duration

    @torch.no_grad()
    def heard(d: torch.Tensor) -> float:
        if not listen:
            return float(curve(d)[0])
        renderer.align(styles(d))
        audio = np.concatenate([x.float().cpu().numpy() for x in renderer.render(styles(d)).items()])
        value = mean_log_f0(audio, SAMPLE_RATE)
        if value is None:
            raise EnunciateError("too little of the voice's speech is voiced to measure its pitch")
        return value

    start_heard = now_heard = heard(delta)
    goal = math.log(hz) if hz is not None else start_heard + semitones * math.log(2) / 12
    with torch.no_grad():
        start_duration = float(curve(delta)[1])
    for r in range(rounds):
        if progress:
            progress(f"pitch round {r + 1}: {'YIN hears' if listen else 'the F0 curve reads'} "
                     f"{math.exp(now_heard):.1f} Hz, the goal is "
                     f"{math.exp(goal):.1f} Hz")
        if abs(goal - now_heard) < 0.01:  # 0.17 semitone
            break
        with torch.no_grad():
            curve_goal = float(curve(delta)[0]) + goal - now_heard
        for _ in range(iterations):
            d = delta.clone().requires_grad_(True)
            log_f0, log_duration = curve(d)
            miss = curve_goal - float(log_f0.detach())
            if abs(miss) < 0.003:
                break
            g_f0, = torch.autograd.grad(log_f0, d, retain_graph=True)
            g_duration, = torch.autograd.grad(log_duration, d)
            along = g_f0 - (g_f0 @ g_duration) / (g_duration @ g_duration).clamp(min=1e-12) * g_duration
            step = miss / float(g_f0 @ along) * along
            delta = delta + step * min(1.0, 2.0 / float(step.norm()))  # at most 2 (a row's prosody half is ~3.5)
        now_heard = heard(delta)
    with torch.no_grad():
        duration = float(curve(delta)[1])
    out = np.array(table, np.float32, copy=True)
    out[:, :, PROSODY] += delta.cpu().numpy()
    return PitchShift(out, math.exp(start_heard), math.exp(now_heard), math.exp(duration - start_duration),
                      float(delta.norm()))


def reference_hz(path: str | os.PathLike) -> float:
    """The mean F0 (Hz) YIN hears over a reference clip's speech (decoded, 16 kHz, trimmed as a clone's
    reference is): what `voices pitch --like` aims at."""
    from .clone import mean_log_f0
    from .reference import load_reference

    clip = load_reference(path, check_background=False)
    log_f0 = mean_log_f0(clip.audio, clip.sample_rate)
    if log_f0 is None:
        raise EnunciateError(f"{path}: too little voiced speech to measure its pitch")
    return math.exp(log_f0)


def pitch_voice(voice: str, out: str | os.PathLike, hz: float | None = None, semitones: float | None = None,
                name: str | None = None, command: str | None = None, force: bool = False,
                progress: Callable[[str], None] | None = None, sentences: Sequence[str] | None = None, model=None,
                listen: bool = True):
    """Writes `voice` (a Kokoro name or folder) with its pitch moved (`shift_pitch`) as a voice folder
    at `out`; returns (its manifest, the PitchShift)."""
    from ..voices.registry import kokoro_style, resolve

    m = resolve(str(voice))
    if m.family != "kokoro":
        raise EnunciateError(f"voice {m.name!r} is a {m.family} voice; only a Kokoro voice's pitch can be moved here")
    table = kokoro_style(m)
    shift = shift_pitch(table, hz=hz, semitones=semitones, sentences=sentences, model=model, progress=progress,
                        listen=listen)
    record = {"parent_style_sha256": _sha256(table), "hz": hz, "semitones": semitones,
              "aimed_at": "what YIN hears" if listen else "the F0 curve from 50 Hz",
              "from_hz": round(shift.before_hz, 1), "to_hz": round(shift.after_hz, 1),
              "duration_change": round(shift.duration_change, 4), "offset_norm": round(shift.offset_norm, 4)}
    written = _write(m, shift.table, out, name or f"{m.name}-pitch", "pitch", record, command, force,
                     f"Kokoro style: {m.name}'s with its mean F0 moved from {shift.before_hz:.0f} to "
                     f"{shift.after_hz:.0f} Hz", parent=m.name)
    return written, shift


def _write(source, table: np.ndarray, out, name: str, method: str, record: dict, command: str | None, force: bool,
           description: str, parent: str):
    """`table` as a voice folder at `out`: SOURCE's manifest (a clone's references and blend stay on
    record) with `record` under params[method], SOURCE's own hashed files (an optimized model, say)
    copied, and the package files left to the built-in Kokoro."""
    from ..voices.folder import Provenance, write_voice_folder

    params = {**(source.provenance.params if source.provenance else {}), method: record}
    files = {role: source.path(role) for role, f in source.files.items()
             if role not in ("style", "styles") and f.sha256}
    manifest = replace(source, name=name, folder=None, metrics={},
                       base=source.base or (None if {"model", "vocab"} <= files.keys() else "kokoro"),
                       files={role: f for role, f in source.files.items() if role in files},
                       options={k: v for k, v in source.options.items() if k != "style"}, description=description,
                       provenance=Provenance(source=f"enunciate voices {method}", parent=parent, method=method,
                                             params=params, command=command))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "style.npy"
        np.save(path, table)
        return write_voice_folder(out, manifest, {**files, "style": path}, force=force)


def _sha256(table: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(table, np.float32).tobytes()).hexdigest()
