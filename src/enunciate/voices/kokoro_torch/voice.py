"""Kokoro-82M through PyTorch: the same voice as `KokoroVoice` (ONNX), plus padded batches and GPUs."""
from __future__ import annotations

import numpy as np
import torch

from ..base import AudioChunk, VoiceInfo
from ..compiled import FRAME_BUCKET, TOKEN_BUCKET, begin_step, bucketed, compiled
from ..kokoro import SAMPLE_RATE, style_packs, vocab
from ..piper import keep_known
from .model import load_model


class TorchKokoroVoice:
    """Kokoro-alphabet phonemes in, 24 kHz audio with per-phoneme durations out.

    Deterministic: the exported graph the weights come from has no random ops, so `seed` is
    unused. On CPU, `threads` sets torch's (process-wide) intra-op thread count. `compile`:
    torch.compile the phoneme encoder and the decoder (CUDA graphs on a GPU), with lengths padded
    to buckets so each (batch size, bucket) shape is compiled once; the first call per shape is slow.
    """

    alphabet = "kokoro"
    max_symbols = 500
    sample_rate = SAMPLE_RATE

    def __init__(self, style: str, threads: int, info: VoiceInfo, device: str | torch.device = "cpu",
                 dtype: str | torch.dtype = torch.float32, compile: bool = False):
        self.vocab = vocab()
        self.symbols = frozenset(self.vocab)
        self.style = torch.from_numpy(style_packs()[style][:, 0])  # (510, 256): row = token count - 1
        self.device = torch.device(device)
        if self.device.type == "cpu":
            torch.set_num_threads(threads)
        self.model = load_model(self.device, dtype)
        self.frame_s = self.model.config.frame_samples / SAMPLE_RATE
        self.compiled = compile
        # decoder frames are 2 per duration unit: a bucket of 32 units is 64 decoder frames
        self.token_bucket, self.frame_bucket = (TOKEN_BUCKET, FRAME_BUCKET // 2) if compile else (1, 1)
        if compile:
            self.model.bert = compiled(self.model.bert, self.device)
            self.model.decoder = compiled(self.model.decoder, self.device)
        self.info = info

    def synthesize(self, phonemes: str, speed: float = 1.0, seed: int | None = None) -> AudioChunk:
        return self.synthesize_batch([phonemes], speed)[0]

    def synthesize_batch(self, phonemes: list[str], speed: float = 1.0, seed=None) -> list[AudioChunk]:
        """One forward pass over a padded batch; each item keeps its own style row and length.
        Deterministic: `seed` is accepted for the common voice interface and unused."""
        texts = [keep_known(p, self.symbols)[: self.max_symbols] for p in phonemes]
        spoken = [i for i, text in enumerate(texts) if text.strip()]
        chunks = [AudioChunk(np.zeros(0, np.float32), SAMPLE_RATE) for _ in texts]
        if not spoken:
            return chunks
        ids = [[0, *(self.vocab[ch] for ch in texts[i]), 0] for i in spoken]
        lengths = torch.tensor([len(x) for x in ids])
        tokens = torch.zeros(len(ids), bucketed(int(lengths.max()), self.token_bucket), dtype=torch.long)
        for row, x in zip(tokens, ids):
            row[: len(x)] = torch.tensor(x)
        style = self.style[(lengths - 2).clamp(max=len(self.style)) - 1]
        begin_step(self.device)
        out = self.model(tokens.to(self.device), lengths, style.to(self.device), speed, frame_bucket=self.frame_bucket)
        audio, seconds = out.audio.cpu().numpy(), out.durations.cpu().numpy() * self.frame_s
        for b, i in enumerate(spoken):
            n = len(ids[b])
            chunks[i] = AudioChunk(audio[b, : int(out.audio_lengths[b])], SAMPLE_RATE, texts[i],
                                   seconds[b, 1:n - 1].astype(np.float32), offset_s=float(seconds[b, 0]))
        return chunks
