"""Spectrograms for VITS training, as pure torch functions (VITS's `mel_processing.py` settings).

Piper's "medium" voices were trained on 22.05 kHz audio with n_fft = win = 1024, hop 256, 80 mel
bands from 0 Hz to Nyquist (Slaney mel scale and area normalisation, librosa's defaults), magnitude
spectra with 1e-6 inside the square root and log mels floored at 1e-5. The STFT is not centred:
the audio is reflect-padded by (n_fft - hop) / 2 on each side, so a clip of k * hop samples gives
exactly k frames, one per latent frame of the decoder.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class SpectrogramConfig:
    sample_rate: int = 22050
    n_fft: int = 1024
    hop_length: int = 256
    win_length: int = 1024
    n_mels: int = 80
    fmin: float = 0.0
    fmax: float | None = None

    @property
    def bins(self) -> int:
        return self.n_fft // 2 + 1


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(hz >= min_log_hz, min_log_mel + np.log(np.maximum(hz, 1e-10) / min_log_hz) / logstep, hz / f_sp)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(mel >= min_log_mel, min_log_hz * np.exp(logstep * (mel - min_log_mel)), f_sp * mel)


@functools.lru_cache(maxsize=8)
def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float = 0.0,
                   fmax: float | None = None) -> np.ndarray:
    """Triangular filters [n_mels, n_fft // 2 + 1] on the Slaney mel scale, each normalised to unit
    area (librosa.filters.mel's defaults)."""
    fmax = sample_rate / 2 if fmax is None else fmax
    fft_hz = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    mel_hz = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    gaps = np.diff(mel_hz)
    ramps = mel_hz[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / gaps[:-1, None]
    upper = ramps[2:] / gaps[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_hz[2:n_mels + 2] - mel_hz[:n_mels]))[:, None]
    return weights.astype(np.float32)


def linear_spectrogram(audio: torch.Tensor, cfg: SpectrogramConfig) -> torch.Tensor:
    """audio [b, samples] -> magnitudes [b, n_fft // 2 + 1, samples // hop]."""
    pad = (cfg.n_fft - cfg.hop_length) // 2
    padded = torch.nn.functional.pad(audio[:, None], (pad, pad), mode="reflect")[:, 0]
    window = torch.hann_window(cfg.win_length, device=audio.device, dtype=audio.dtype)
    spec = torch.stft(padded, cfg.n_fft, cfg.hop_length, cfg.win_length, window, center=False,
                      return_complex=True)
    return torch.sqrt(spec.real ** 2 + spec.imag ** 2 + 1e-6)


def log_mel(audio: torch.Tensor, cfg: SpectrogramConfig) -> torch.Tensor:
    """audio [b, samples] -> log mel spectrogram [b, n_mels, samples // hop]."""
    basis = torch.from_numpy(mel_filterbank(cfg.sample_rate, cfg.n_fft, cfg.n_mels, cfg.fmin, cfg.fmax))
    mel = basis.to(audio.device, audio.dtype) @ linear_spectrogram(audio, cfg)
    return torch.log(torch.clamp(mel, min=1e-5))
