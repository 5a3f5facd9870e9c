"""Kokoro-82M through PyTorch: the same voice as `KokoroVoice` (ONNX), plus padded batches and GPUs."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..base import AudioChunk, Capabilities, Voice, VoiceInfo
from ..compiled import begin_step, bucketed, buckets, compiled
from ..kokoro import SAMPLE_RATE, vocab
from ..piper import keep_known
from ..torch_runtime import torch_device
from .model import load_model


class TorchKokoroVoice(Voice):
    """Kokoro-alphabet phonemes in, 24 kHz audio with per-phoneme durations out.

    Deterministic: the exported graph the weights come from has no random ops, so `seed` is
    unused. `compile`:
    torch.compile the phoneme encoder and the decoder (CUDA graphs on a GPU, lengths padded to
    bucket sizes); the first two or three calls compile (about 45 s each on a 2-core CPU).
    """

    alphabet = "kokoro"
    max_symbols = 500
    sample_rate = SAMPLE_RATE

    capabilities = Capabilities(batches=True)

    def __init__(self, model: str | Path, vocab_json: str | Path, style: np.ndarray, info: VoiceInfo,
                 device: str | torch.device = "cpu", dtype: str | torch.dtype = torch.float32, compile: bool = False):
        """model: the Kokoro ONNX file the weights are recovered from; style: the (510, 1, 256) table."""
        self.vocab = vocab(str(vocab_json))
        self.symbols = frozenset(self.vocab)
        pack = np.asarray(style, np.float32)
        self.style = torch.from_numpy(pack.reshape(-1, pack.shape[-1]).copy())  # row = token count - 1
        self.device = torch_device(device)  # load_model checks the dtype, before any weights load
        self.model = load_model(self.device, dtype, str(model))
        self.frame_s = self.model.config.frame_samples / SAMPLE_RATE
        self.token_bucket, frame_bucket = buckets(compile, self.device)
        self.frame_bucket = max(1, frame_bucket // 2)  # in duration units, each 2 decoder frames
        if compile:
            self.model.bert = compiled(self.model.bert, self.device)
            self.model.decoder = compiled(self.model.decoder, self.device)
        self.info = info

    def synthesize(self, phonemes: str, speed: float = 1.0, seed: int | None = None) -> AudioChunk:
        return self.synthesize_batch([phonemes], speed)[0]

    def synthesize_batch(self, phonemes: list[str], speed: float = 1.0, seeds=None) -> list[AudioChunk]:
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
