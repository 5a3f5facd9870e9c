"""Kokoro's text side: ALBERT, the prosody predictor and the text encoder, plus the masked
building blocks (AdaIN residual blocks, packed LSTMs) the decoder shares.

Every module takes a padded batch and a mask (B, 1, T) of ones on real positions (None when no
item is padded), and keeps padded positions at exactly zero, so a padded item computes what it
would alone: convolutions see the same zeros as their own padding, instance norms take their
statistics over real frames only, and LSTMs run over each item's own length.
Module and parameter names follow the Apache-2.0 `kokoro` package (StyleTTS2), whose weights the
recovered state dict reproduces; weight norm is folded into plain convolutions.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def length_mask(lengths: torch.Tensor, size: int, dtype: torch.dtype = torch.float32) -> torch.Tensor | None:
    """(B, 1, size): 1 where the position is before the item's length, else 0; None when nothing
    is padded (the common single-item case skips every masking pass). Under torch.compile the mask
    is always built: a data-dependent branch would split the graph (and a CUDA graph) in two."""
    if not torch.compiler.is_compiling() and int(lengths.min()) == size:
        return None
    return (torch.arange(size, device=lengths.device)[None, :] < lengths[:, None]).to(dtype)[:, None, :]


def masked(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    return x if mask is None else x * mask


def upsampled(mask: torch.Tensor | None, factor: int) -> torch.Tensor | None:
    return None if mask is None else mask.repeat_interleave(factor, -1)


class PackedLSTM(nn.LSTM):
    """A one-layer bidirectional batch-first LSTM that runs each item over its own length only."""

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size, 1, batch_first=True, bidirectional=True)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:  # (B, T, C) -> (B, T, 2H)
        return run_packed(super().forward, x, lengths)


def run_packed(lstm_forward, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """An LSTM's forward over each item's own length (packed), or over the whole batch when no item is
    padded; (B, T, C) -> (B, T, 2H). Shared by the float module and its int8 form."""
    lengths = lengths.cpu()
    if int(lengths.min()) == x.shape[1]:
        return lstm_forward(x)[0]
    packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, _ = lstm_forward(packed)
    return nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])[0]


class AdaIN1d(nn.Module):
    """Instance norm whose scale and shift come from the style vector."""

    def __init__(self, style_dim: int, channels: int):
        super().__init__()
        self.fc = nn.Linear(style_dim, channels * 2)

    def coefficients(self, x: torch.Tensor, s: torch.Tensor, mask: torch.Tensor | None, eps: float = 1e-5):
        """(scale, shift) with AdaIN(x) = x * scale + shift on real frames. Statistics over real
        frames only, in float32 (fp16 sums overflow), from two read-only passes over x."""
        if mask is None:
            count = x.shape[-1]
        else:
            x, count = x * mask, mask.sum(-1, keepdim=True, dtype=torch.float32)
        mean = x.sum(-1, keepdim=True, dtype=torch.float32) / count
        mean_sq = torch.linalg.vector_norm(x, dim=-1, keepdim=True, dtype=torch.float32).square() / count
        rstd = torch.rsqrt((mean_sq - mean.square()).clamp(min=0) + eps)
        gamma, beta = self.fc(s)[:, :, None].float().chunk(2, dim=1)
        scale = (1 + gamma) * rstd
        return scale.to(x.dtype), (beta - mean * scale).to(x.dtype)

    def forward(self, x: torch.Tensor, s: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        scale, shift = self.coefficients(x, s, mask)
        return masked(torch.addcmul(shift, x, scale), mask)


class AdainResBlk1d(nn.Module):
    """StyleTTS2's residual block: AdaIN, LeakyReLU, conv twice; optionally doubles the length."""

    def __init__(self, dim_in: int, dim_out: int, style_dim: int, upsample: bool = False):
        super().__init__()
        self.upsample = upsample
        self.norm1 = AdaIN1d(style_dim, dim_in)
        self.norm2 = AdaIN1d(style_dim, dim_out)
        self.conv1 = nn.Conv1d(dim_in, dim_out, 3, 1, 1)
        self.conv2 = nn.Conv1d(dim_out, dim_out, 3, 1, 1)
        if dim_in != dim_out:
            self.conv1x1 = nn.Conv1d(dim_in, dim_out, 1, 1, 0, bias=False)
        if upsample:
            self.pool = nn.ConvTranspose1d(dim_in, dim_in, 3, 2, 1, output_padding=1, groups=dim_in)

    def forward(self, x: torch.Tensor, s: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """`mask` is the input's; the output's is `upsampled(mask, 2)` when upsampling."""
        out_mask = upsampled(mask, 2) if self.upsample else mask
        h = F.leaky_relu_(self.norm1(x, s, mask), 0.2)
        if self.upsample:
            h = masked(self.pool(h), out_mask)
            x = x.repeat_interleave(2, -1)
        h = self.conv2(F.leaky_relu_(self.norm2(self.conv1(h), s, out_mask), 0.2))
        shortcut = self.conv1x1(x) if hasattr(self, "conv1x1") else x
        return masked((h + shortcut) * (1 / math.sqrt(2)), out_mask)


class AlbertLayer(nn.Module):
    """ALBERT's one transformer layer (applied `num_hidden_layers` times with shared weights)."""

    def __init__(self, hidden: int, heads: int, intermediate: int):
        super().__init__()
        self.heads = heads
        self.attention = nn.Module()
        for name in ("query", "key", "value", "dense"):
            setattr(self.attention, name, nn.Linear(hidden, hidden))
        self.attention.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)
        self.ffn = nn.Linear(hidden, intermediate)
        self.ffn_output = nn.Linear(intermediate, hidden)
        self.full_layer_layer_norm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x: torch.Tensor, attn_bias: torch.Tensor | None) -> torch.Tensor:
        att = self.attention
        b, t, c = x.shape

        def heads(h: torch.Tensor) -> torch.Tensor:
            return h.view(b, t, self.heads, c // self.heads).transpose(1, 2)

        ctx = F.scaled_dot_product_attention(heads(att.query(x)), heads(att.key(x)), heads(att.value(x)),
                                             attn_mask=attn_bias)
        x = att.LayerNorm(x + att.dense(ctx.transpose(1, 2).reshape(b, t, c)))
        return self.full_layer_layer_norm(x + self.ffn_output(F.gelu(self.ffn(x), approximate="tanh")))


class Albert(nn.Module):
    """The phoneme-level PL-BERT (ALBERT): token ids -> contextual features (B, T, hidden)."""

    def __init__(self, n_token: int, embedding: int, hidden: int, heads: int, intermediate: int,
                 layers: int, max_positions: int):
        super().__init__()
        self.layers = layers
        self.embeddings = nn.Module()
        self.embeddings.word_embeddings = nn.Embedding(n_token, embedding)
        self.embeddings.position_embeddings = nn.Embedding(max_positions, embedding)
        self.embeddings.token_type_embeddings = nn.Embedding(2, embedding)
        self.embeddings.LayerNorm = nn.LayerNorm(embedding, eps=1e-12)
        self.encoder = nn.Module()
        self.encoder.embedding_hidden_mapping_in = nn.Linear(embedding, hidden)
        group = nn.Module()
        group.albert_layers = nn.ModuleList([AlbertLayer(hidden, heads, intermediate)])
        self.encoder.albert_layer_groups = nn.ModuleList([group])

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """mask (B, T) of ones on real tokens, or None."""
        emb = self.embeddings
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        x = emb.word_embeddings(tokens) + emb.position_embeddings(positions) + emb.token_type_embeddings.weight[0]
        x = self.encoder.embedding_hidden_mapping_in(emb.LayerNorm(x))
        # padded keys get -inf-like scores; padded queries compute garbage that is masked later
        attn_bias = None if mask is None else ((1 - mask[:, None, None, :]) * torch.finfo(x.dtype).min).to(x.dtype)
        layer = self.encoder.albert_layer_groups[0].albert_layers[0]
        for _ in range(self.layers):
            x = layer(x, attn_bias)
        return x


class TextEncoder(nn.Module):
    """Phoneme embeddings -> 3 x (conv, channel LayerNorm, LeakyReLU) -> BiLSTM: (B, C, T)."""

    def __init__(self, channels: int, kernel_size: int, depth: int, n_symbols: int):
        super().__init__()
        self.embedding = nn.Embedding(n_symbols, channels)
        self.cnn = nn.ModuleList()
        for _ in range(depth):
            norm = nn.Module()
            norm.gamma, norm.beta = nn.Parameter(torch.ones(channels)), nn.Parameter(torch.zeros(channels))
            self.cnn.append(nn.ModuleList([nn.Conv1d(channels, channels, kernel_size, padding=kernel_size // 2),
                                           norm]))
        self.lstm = PackedLSTM(channels, channels // 2)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        x = masked(self.embedding(tokens).transpose(1, 2), mask)
        for conv, norm in self.cnn:
            x = F.layer_norm(conv(x).transpose(1, 2), (x.shape[1],), norm.gamma, norm.beta, 1e-5)
            x = masked(F.leaky_relu(x, 0.2).transpose(1, 2), mask)
        return masked(self.lstm(x.transpose(1, 2), lengths).transpose(1, 2), mask)


class AdaLayerNorm(nn.Module):
    """Channel LayerNorm whose scale and shift come from the style vector; x is (B, T, C)."""

    def __init__(self, style_dim: int, channels: int):
        super().__init__()
        self.fc = nn.Linear(style_dim, channels * 2)

    def forward(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.fc(s)[:, None, :].chunk(2, dim=-1)
        return (1 + gamma) * F.layer_norm(x, (x.shape[-1],), eps=1e-5) + beta


class DurationEncoder(nn.Module):
    """BiLSTM / AdaLayerNorm stack over [text features, style]: (B, T, d_model + style_dim)."""

    def __init__(self, style_dim: int, d_model: int, nlayers: int):
        super().__init__()
        self.lstms = nn.ModuleList()
        for _ in range(nlayers):
            self.lstms.append(PackedLSTM(d_model + style_dim, d_model // 2))
            self.lstms.append(AdaLayerNorm(style_dim, d_model))

    def forward(self, x: torch.Tensor, s: torch.Tensor, lengths: torch.Tensor, mask: torch.Tensor | None):
        m = None if mask is None else mask.transpose(1, 2)  # (B, T, 1)
        style = s[:, None, :].expand(-1, x.shape[-1], -1)
        x = masked(torch.cat([x.transpose(1, 2), style], -1), m)
        for lstm, norm in zip(self.lstms[::2], self.lstms[1::2]):
            x = norm(lstm(x, lengths), s)
            x = masked(torch.cat([x, style], -1), m)
        return x


class ProsodyPredictor(nn.Module):
    """Durations per token (from text) and F0 / energy curves per half-frame (from aligned text)."""

    def __init__(self, style_dim: int, d_hid: int, nlayers: int, max_dur: int):
        super().__init__()
        self.text_encoder = DurationEncoder(style_dim, d_hid, nlayers)
        self.lstm = PackedLSTM(d_hid + style_dim, d_hid // 2)
        self.duration_proj = nn.Module()
        self.duration_proj.linear_layer = nn.Linear(d_hid, max_dur)
        self.shared = PackedLSTM(d_hid + style_dim, d_hid // 2)
        for name in ("F0", "N"):
            setattr(self, name, nn.ModuleList([
                AdainResBlk1d(d_hid, d_hid, style_dim),
                AdainResBlk1d(d_hid, d_hid // 2, style_dim, upsample=True),
                AdainResBlk1d(d_hid // 2, d_hid // 2, style_dim)]))
        self.F0_proj = nn.Conv1d(d_hid // 2, 1, 1)
        self.N_proj = nn.Conv1d(d_hid // 2, 1, 1)

    def durations(self, d: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Expected frames per token (B, T), before speed and rounding."""
        x = self.lstm(d, lengths)
        return torch.sigmoid(self.duration_proj.linear_layer(x)).sum(-1)

    def f0_energy(self, en: torch.Tensor, s: torch.Tensor, frames: torch.Tensor, mask: torch.Tensor | None):
        """Aligned features (B, C, F) -> F0 and energy (B, 2F)."""
        x = masked(self.shared(en.transpose(1, 2), frames).transpose(1, 2), mask)
        curves = []
        for blocks, proj in ((self.F0, self.F0_proj), (self.N, self.N_proj)):
            h, m = x, mask
            for block in blocks:
                h = block(h, s, m)
                m = upsampled(m, 2) if block.upsample else m
            curves.append(masked(proj(h), m)[:, 0])
        return curves[0], curves[1]
