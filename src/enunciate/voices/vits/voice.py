"""A Piper voice run by enunciate's own PyTorch VITS: the same interface as the ONNX `PiperVoice`, plus
seeded noise, batches and GPU precision options."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..base import AudioChunk, Capabilities, EspeakAlphabet, Voice, VoiceInfo
from ..compiled import begin_step, bucketed, buckets, compiled
from ..piper import PiperConfig, keep_known, phoneme_durations
from ..torch_runtime import torch_device, torch_dtype
from .model import Vits, VitsConfig
from .recover import load_weights

class TorchPiperVoice(EspeakAlphabet, Voice):
    """A Piper voice (`<name>.onnx` + `<name>.onnx.json`) whose weights are recovered into PyTorch.

    device: "cpu" or "cuda"; dtype: "fp32", "bf16", or "fp16" on CUDA only (autocast; the text
    encoder and duration predictor stay fp32, so durations do not depend on the dtype).
    compile: torch.compile both stages (CUDA graphs on a GPU, lengths padded to bucket sizes); the
    first two or three calls compile (about 40 s each on a 2-core CPU), later ones reuse it.
    """

    max_symbols = 400
    capabilities = Capabilities(batches=True, seeded_noise=True)

    def __init__(self, model_path: str | Path, config_path: str | Path, info: VoiceInfo | None = None,
                 device: str = "cpu", dtype: str = "fp32", compile: bool = False):
        self.device = torch_device(device)
        self.dtype = torch_dtype(dtype, self.device)

        self.config = PiperConfig.load(config_path)
        self.symbols = self.config.symbols

        state = load_weights(model_path)
        self.model = Vits(VitsConfig.from_state_dict(state))
        self.model.load_state_dict(state, strict=True)
        self.model.eval().requires_grad_(False).to(self.device)
        self.hop_length = self.model.cfg.hop_length
        self.token_bucket, self.frame_bucket = buckets(compile, self.device)
        if compile:
            self.model.log_durations = compiled(self.model.log_durations, self.device)
            self.model.decode = compiled(self.model.decode, self.device)
        self.info = info or VoiceInfo(Path(model_path).name.removesuffix(".onnx"), "piper-vits-torch",
                                      self.sample_rate, Path(model_path).stat().st_size, "see the voice's package",
                                      str(model_path))

    @property
    def sample_rate(self) -> int:
        return self.config.sample_rate

    def phoneme_ids(self, phonemes: str) -> list[int]:
        return self.config.phoneme_ids(phonemes)

    def synthesize(self, phonemes: str, speed: float = 1.0, seed: int | None = None,
                   noise: bool = True) -> AudioChunk:
        """Phonemes (espeak IPA) -> audio. A seed gives identical audio on the same device;
        `noise=False` gives deterministic output (noise_scale = noise_w = 0)."""
        return self.synthesize_batch([phonemes], speed, seed, noise)[0]

    def synthesize_batch(self, phonemes: list[str], speed: float = 1.0, seeds: int | Sequence[int] | None = None,
                         noise: bool = True) -> list[AudioChunk]:
        """Several utterances in one padded forward pass, each cut to its own length.

        Item i draws its noise from `seeds[i]` (or `seeds + i` for an int), so it sounds as it
        would alone with that seed.
        """
        texts = [keep_known(p, self.symbols) for p in phonemes]
        chunks = [AudioChunk(np.zeros(0, np.float32), self.sample_rate) for _ in texts]
        todo = [i for i, text in enumerate(texts) if text.strip()]
        if not todo:
            return chunks

        id_lists = [self.phoneme_ids(texts[i]) for i in todo]
        ids = torch.zeros(len(todo), bucketed(max(map(len, id_lists)), self.token_bucket), dtype=torch.long)
        for row, seq in enumerate(id_lists):
            ids[row, :len(seq)] = torch.tensor(seq)
        lengths = torch.tensor([len(seq) for seq in id_lists])
        generators = None
        if seeds is not None:
            from ..base import random_seed

            seeds = [seeds + i for i in range(len(texts))] if isinstance(seeds, int) else list(seeds)
            generators = [torch.Generator(self.device).manual_seed(random_seed() if seeds[i] is None else seeds[i])
                          for i in todo]

        begin_step(self.device)
        with torch.inference_mode(), torch.autocast(self.device.type, self.dtype,
                                                    enabled=self.dtype != torch.float32):
            out = self.model.infer(ids.to(self.device), lengths.to(self.device),
                                   noise_scale=self.config.noise_scale if noise else 0.0,
                                   length_scale=self.config.length_scale / speed,
                                   noise_w=self.config.noise_w if noise else 0.0, generators=generators,
                                   frame_bucket=self.frame_bucket)
        audio = out.audio.float().cpu().numpy()
        samples = out.audio_lengths.tolist()
        frames = out.frames.cpu().numpy() * (self.hop_length / self.sample_rate)

        for row, i in enumerate(todo):
            durations, onset = phoneme_durations(frames[row, :len(id_lists[row])])
            chunks[i] = AudioChunk(np.ascontiguousarray(audio[row, :samples[row]]), self.sample_rate, texts[i],
                                   durations, offset_s=onset)
        return chunks

