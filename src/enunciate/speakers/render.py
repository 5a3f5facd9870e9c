"""Kokoro with its phoneme inputs fixed and its style free: the part of the network a style vector
reaches, differentiable, for fitting styles by gradient.

Kokoro's style (256 values) conditions three places: the decoder (values 0-127: timbre), and the
prosody predictor's duration encoder and F0/energy network (values 128-255). What does not depend
on the style (ALBERT, the text encoder) runs once here; durations are rounded integers, so they
are predicted without gradient and refreshed by `align()` when the prosody style has moved.

One deviation from `KokoroModel.forward`: the harmonic source is fed a detached F0. Its STFT phase
is atan(im / re), whose gradient is NaN wherever re = 0 (the DC bin, always); F0 still reaches
the decoder's own F0 input, and a fit steers pitch with a loss on the predicted F0 directly.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..errors import EnunciateError
from ..evaluate.intrusive import F0_MIN_HZ as VOICED_HZ
from ..voices.kokoro_torch.model import KokoroModel, _alignment
from ..voices.kokoro_torch.modules import length_mask, masked
from .styles import PROSODY, TIMBRE

# Kokoro's F0 curve does not drop to 0 between voiced stretches: about a fifth of its frames sit at
# 10-100 Hz there. A pitch tracker calls those unvoiced, so a mean over everything above 10 Hz read a
# 350 Hz voice as 200 Hz. Counted from YIN's own floor (VOICED_HZ) the reading comes within 1-3
# semitones of what YIN hears in the sound (tested); `as_heard` closes the rest.


@dataclass
class Rendered:
    """A padded batch: item b is audio[b, :audio_lengths[b]]; f0[b] is its F0 curve (Hz, 0 where
    padded) with f0_mask[b] marking the real half-frames."""

    audio: torch.Tensor
    audio_lengths: torch.Tensor
    f0: torch.Tensor
    f0_mask: torch.Tensor

    def items(self) -> list[torch.Tensor]:
        return [self.audio[b, : int(n)] for b, n in enumerate(self.audio_lengths)]


def voiced_log_f0(f0: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean log F0 (Hz) over the real frames of F0 curves (B, T) at or above VOICED_HZ; differentiable."""
    voiced = (f0 >= VOICED_HZ).to(f0.dtype) * mask
    return (torch.log(f0.clamp(min=VOICED_HZ)) * voiced).sum() / voiced.sum().clamp(min=1)


def as_heard(log_f0: torch.Tensor, items: list[torch.Tensor], sample_rate: int) -> torch.Tensor:
    """A curve's mean log F0 (`voiced_log_f0`, with its gradient) moved to the value YIN hears in the
    rendered `items`: the loss sees the pitch a reference is measured at, and steers by the curve's
    slope (YIN has none). Unchanged when too little of the audio is voiced for YIN."""
    import numpy as np

    from .clone import mean_log_f0

    heard = mean_log_f0(np.concatenate([x.detach().float().cpu().numpy() for x in items]), sample_rate)
    return log_f0 if heard is None else log_f0 + (heard - log_f0.detach())


def decode(model: KokoroModel, asr: torch.Tensor, f0: torch.Tensor, energy: torch.Tensor, s: torch.Tensor,
           frames: torch.Tensor) -> torch.Tensor:
    """`Decoder.forward` with the harmonic source's F0 detached (see the module docstring)."""
    dec = model.decoder
    mask = length_mask(frames, asr.shape[-1], asr.dtype)
    f0_down = masked(dec.F0_conv(f0[:, None]), mask)
    energy_down = masked(dec.N_conv(energy[:, None]), mask)
    x = dec.encode(torch.cat([asr, f0_down, energy_down], 1), s, mask)
    asr_res = masked(dec.asr_res(asr), mask)
    for block in dec.decode:
        x = block(torch.cat([x, asr_res, f0_down, energy_down], 1), s, mask)
    return dec.generator(x, s, f0.detach(), frames * 2)


class StyleRenderer:
    """Fixed phoneme ids (a padded batch); `render(styles)` -> audio, differentiable in `styles`.

    Item b reads style row `rows[b]` of a table (token count - 1, as the voices do)."""

    def __init__(self, model: KokoroModel, token_ids: list[list[int]]):
        if not token_ids or any(not ids for ids in token_ids):
            raise EnunciateError("fitting a style needs at least one sentence with phonemes the model knows")
        self.model = model
        device = model.device
        for module in model.modules():  # cuDNN runs an LSTM's backward only in training mode; no dropout in them
            if isinstance(module, torch.nn.LSTM):
                module.train()
        self.rows = torch.tensor([min(len(ids), 510) - 1 for ids in token_ids])
        padded = [[0, *ids, 0] for ids in token_ids]
        self.lengths = torch.tensor([len(x) for x in padded], device=device)
        self.tokens = torch.zeros(len(padded), int(self.lengths.max()), dtype=torch.long, device=device)
        for row, x in zip(self.tokens, padded):
            row[: len(x)] = torch.tensor(x)
        self.mask = length_mask(self.lengths, self.tokens.shape[1])
        with torch.no_grad():
            bert = model.bert(self.tokens, None if self.mask is None else self.mask[:, 0])
            self.bert_features = model.bert_encoder(bert).transpose(1, 2)
            self.text = model.text_encoder(self.tokens, self.lengths, self.mask)
        self.alignment = self.frames = self.asr = None
        self._prosody_cache: tuple | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def _duration_features(self, s_prosody: torch.Tensor) -> torch.Tensor:
        return self.model.predictor.text_encoder(self.bert_features, s_prosody, self.lengths, self.mask)

    @torch.no_grad()
    def align(self, styles: torch.Tensor) -> None:
        """Predict durations (rounded, as the voice does) for these styles and fix them."""
        d = self._duration_features(styles[:, PROSODY].float())
        durations = torch.round(self.model.predictor.durations(d, self.lengths)).clamp(min=1)
        durations = masked(durations[:, None], self.mask)[:, 0].long()
        self.alignment, self.frames = _alignment(durations)
        self.asr = self.text @ self.alignment
        self._prosody_cache = None

    def prosody(self, s_prosody: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """For prosody halves (B, 128), at the alignment fixed by `align()`: F0 curves (B, 2F), their
        mask, and the mean log of the expected frames per token (before rounding). Differentiable;
        the decoder does not run."""
        d = self._duration_features(s_prosody)
        durations = self.model.predictor.durations(d, self.lengths)
        tokens = torch.ones_like(durations) if self.mask is None else self.mask[:, 0].to(durations.dtype)
        log_duration = (torch.log(durations.clamp(min=0.5)) * tokens).sum() / tokens.sum()
        en = d.transpose(1, 2) @ self.alignment
        f0, _ = self.model.predictor.f0_energy(en, s_prosody, self.frames, length_mask(self.frames, en.shape[-1]))
        f0_mask = length_mask(self.frames * 2, f0.shape[-1])
        return f0, torch.ones_like(f0) if f0_mask is None else f0_mask[:, 0], log_duration

    def render(self, styles: torch.Tensor, prosody: bool = True) -> Rendered:
        """styles (B, 256), one per item. prosody=False: the prosody half is taken as fixed (its F0
        and energy computed once and reused), which halves the work per step."""
        if self.alignment is None:
            self.align(styles.detach())
        s_prosody, s_timbre = styles[:, PROSODY], styles[:, TIMBRE]
        frame_mask = length_mask(self.frames, self.alignment.shape[-1])
        if prosody or self._prosody_cache is None:
            with torch.set_grad_enabled(prosody and torch.is_grad_enabled()):
                d = self._duration_features(s_prosody)
                en = d.transpose(1, 2) @ self.alignment
                f0, energy = self.model.predictor.f0_energy(en, s_prosody, self.frames, frame_mask)
            if not prosody:
                self._prosody_cache = (f0.detach(), energy.detach())
        else:
            f0, energy = self._prosody_cache
        audio = decode(self.model, self.asr, f0, energy, s_timbre, self.frames)
        f0_mask = length_mask(self.frames * 2, f0.shape[-1])
        f0_mask = torch.ones_like(f0) if f0_mask is None else f0_mask[:, 0]
        return Rendered(audio, self.frames * self.model.config.frame_samples, f0, f0_mask)
