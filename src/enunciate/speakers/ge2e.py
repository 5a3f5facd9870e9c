"""GE2E speaker embeddings (Wan et al. 2018) with resemblyzer's pretrained encoder, in one torch
implementation with two uses: numpy in, numpy out for measuring a voice, and differentiable from
the waveform for fitting one (`clone`), where the gradient of a speaker similarity has to reach a
synthesizer's input.

The pipeline is resemblyzer's, step for step: 16 kHz audio, volume raised (never lowered) to
-30 dBFS, silences over 180 ms cut (webrtcvad), a 40-channel mel power spectrogram (25 ms Hann
window, 10 ms hop, librosa's Slaney filters), 1.6 s partial windows 0.77 s apart, a 3-layer LSTM,
ReLU, unit norm, partials averaged and renormalised. tests/test_clone.py checks the embeddings
against resemblyzer's own `embed_utterance` (cosine > 0.9999).

Where this file runs without resemblyzer, librosa or webrtcvad installed (a GPU machine with only
torch): the weights are a path, the mel filters are computed here, and silence is found by energy.
"""
from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import EnunciateError
from .reference import SAMPLE_RATE, long_silence_mask

N_FFT = 400                # 25 ms at 16 kHz
HOP = 160                  # 10 ms
N_MELS = 40
PARTIAL_FRAMES = 160       # 1.6 s per partial window
PARTIALS_PER_S = 1.3       # resemblyzer's default rate: a window every 0.77 s
MIN_COVERAGE = 0.75        # a last window less than 75% covered by audio is dropped (when not the only one)
TARGET_DBFS = -30.0
HIDDEN = EMBEDDING = 256
LAYERS = 3
MIN_SAMPLES = HOP * 10     # 0.1 s: less is not speech worth embedding


def pretrained_path() -> Path:
    """resemblyzer's `pretrained.pt` (GE2E trained on LibriSpeech, VoxCeleb 1 and 2), found without
    importing resemblyzer (its import pulls librosa and warns)."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise EnunciateError("the pretrained GE2E encoder comes with resemblyzer: pip install resemblyzer "
                             "(or pass an encoder checkpoint from `enunciate train-encoder`)")
    return Path(list(spec.submodule_search_locations)[0]) / "pretrained.pt"


class SpeakerEncoder(nn.Module):
    """resemblyzer's VoiceEncoder network (same parameter names, so checkpoints load either way),
    plus GE2E's similarity scale and bias (w, b), which only training uses."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(N_MELS, HIDDEN, LAYERS, batch_first=True)
        self.linear = nn.Linear(HIDDEN, EMBEDDING)
        self.similarity_weight = nn.Parameter(torch.tensor([10.0]))
        self.similarity_bias = nn.Parameter(torch.tensor([-5.0]))

    def forward(self, mels: torch.Tensor) -> torch.Tensor:
        """Mel power frames (B, frames, 40) -> unit-norm embeddings (B, 256), all values >= 0."""
        _, (hidden, _) = self.lstm(mels)
        raw = F.relu(self.linear(hidden[-1]))
        return raw / raw.norm(dim=1, keepdim=True).clamp(min=1e-12)

    @classmethod
    def load(cls, path: str | Path | None = None, device: str | torch.device = "cpu") -> "SpeakerEncoder":
        """Weights from a checkpoint with a `model_state` (resemblyzer's pretrained.pt, or one written
        by `enunciate train-encoder`); None: resemblyzer's."""
        path = Path(path) if path else pretrained_path()
        try:
            checkpoint = torch.load(path, map_location="cpu", weights_only=False)
        except (OSError, RuntimeError, EOFError) as e:
            raise EnunciateError(f"cannot load the speaker encoder from {path}: {e}") from e
        state = checkpoint.get("model_state", checkpoint) if isinstance(checkpoint, dict) else None
        encoder = cls()
        if not isinstance(state, dict):
            raise EnunciateError(f"{path} is not a GE2E encoder checkpoint (no model_state)")
        missing, _ = encoder.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
        if any(not k.startswith("similarity_") for k in missing):
            raise EnunciateError(f"{path} is not a GE2E encoder checkpoint: it lacks {', '.join(missing)}")
        return encoder.to(device)


@functools.lru_cache(maxsize=4)
def load_encoder(weights: str | None = None, device: str = "cpu") -> SpeakerEncoder:
    """The encoder in eval mode with frozen weights, loaded once per (weights, device)."""
    return SpeakerEncoder.load(weights, device).eval().requires_grad_(False)


# --- the mel frontend ----------------------------------------------------------------------------------

def _slaney_mel(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """librosa.filters.mel's default (Slaney scale and area norm), for machines without librosa."""
    def hz_to_mel(f):
        f = np.asarray(f, np.float64)
        linear = f / (200.0 / 3)
        return np.where(f >= 1000, 15.0 + np.log(np.maximum(f, 1e-10) / 1000) / (np.log(6.4) / 27), linear)

    def mel_to_hz(m):
        m = np.asarray(m, np.float64)
        return np.where(m >= 15.0, 1000 * np.exp((np.log(6.4) / 27) * (m - 15.0)), m * (200.0 / 3))

    fft_hz = np.linspace(0, sample_rate / 2, 1 + n_fft // 2)
    mel_hz = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sample_rate / 2), n_mels + 2))
    widths = np.diff(mel_hz)
    ramps = mel_hz[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    return (weights * (2.0 / (mel_hz[2:] - mel_hz[:-2]))[:, None]).astype(np.float32)


@functools.lru_cache(maxsize=1)
def mel_matrix() -> np.ndarray:
    """(40, 201) filters: librosa.filters.mel(sr=16000, n_fft=400, n_mels=40), as resemblyzer uses."""
    try:
        import librosa
    except ImportError:
        return _slaney_mel(SAMPLE_RATE, N_FFT, N_MELS)
    return librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS).astype(np.float32)


class MelFrontend(nn.Module):
    """16 kHz audio (B, N) -> mel power (B, 1 + N // 160, 40), as librosa.feature.melspectrogram
    computes it for resemblyzer (centred frames, zero padding, power 2); differentiable."""

    def __init__(self):
        super().__init__()
        self.register_buffer("window", torch.hann_window(N_FFT), persistent=False)
        self.register_buffer("filters", torch.from_numpy(mel_matrix()), persistent=False)

    def forward(self, wav: torch.Tensor) -> torch.Tensor:
        spec = torch.stft(wav, N_FFT, HOP, window=self.window.to(wav), center=True, pad_mode="constant",
                          return_complex=True)
        power = spec.real.square() + spec.imag.square()  # |X|^2 without abs(): no NaN gradient at 0
        return (self.filters.to(wav) @ power).transpose(1, 2)


def partial_starts(n_samples: int) -> list[int]:
    """First mel frame of each partial window (resemblyzer's compute_partial_slices)."""
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    step = max(1, int(np.round(SAMPLE_RATE / PARTIALS_PER_S / HOP)))
    starts = list(range(0, max(1, n_frames - PARTIAL_FRAMES + step + 1), step))
    coverage = (n_samples - starts[-1] * HOP) / (PARTIAL_FRAMES * HOP)
    if coverage < MIN_COVERAGE and len(starts) > 1:
        starts.pop()
    return starts


# --- resampling, differentiable ----------------------------------------------------------------------

@functools.lru_cache(maxsize=8)
def _polyphase_filter(up: int, down: int) -> tuple[np.ndarray, int]:
    """scipy.signal.resample_poly's FIR (Kaiser, beta 5) with its front padding, and the output
    samples its alignment drops at the start."""
    from scipy.signal import firwin

    max_rate = max(up, down)
    half_len = 10 * max_rate
    h = firwin(2 * half_len + 1, 1.0 / max_rate, window=("kaiser", 5.0)) * up
    pre_pad = down - half_len % down
    return np.concatenate([np.zeros(pre_pad), h]).astype(np.float32), (half_len + pre_pad) // down


def resample_torch(x: torch.Tensor, from_rate: int, to_rate: int) -> torch.Tensor:
    """(..., N) -> (..., N * to / from), the same samples as scipy.signal.resample_poly (and so as
    enunciate.audio.resample), but differentiable and on x's device."""
    if from_rate == to_rate:
        return x
    from math import gcd

    g = gcd(from_rate, to_rate)
    up, down = to_rate // g, from_rate // g
    h, skip = _polyphase_filter(up, down)
    n_in = x.shape[-1]
    n_out = -(-n_in * up // down)
    shape = x.shape[:-1]
    flat = x.reshape(-1, 1, n_in)
    stuffed = torch.zeros(flat.shape[0], 1, n_in * up, dtype=x.dtype, device=x.device)
    stuffed[..., ::up] = flat
    kernel = torch.from_numpy(h[::-1].copy()).to(x)[None, None]
    needed = (skip + n_out) * down  # input positions the kept outputs read, at most
    padded = F.pad(stuffed, (len(h) - 1, max(0, needed - stuffed.shape[-1])))
    y = F.conv1d(padded, kernel, stride=down)[..., skip: skip + n_out]
    return y.reshape(*shape, n_out)


# --- embeddings ----------------------------------------------------------------------------------------

def raise_volume(wav: torch.Tensor) -> torch.Tensor:
    """resemblyzer's normalize_volume(increase_only=True): quiet audio up to -30 dBFS RMS."""
    rms = wav.square().mean().clamp(min=1e-20).sqrt()
    return wav * (10 ** (TARGET_DBFS / 20) / rms).clamp(min=1.0)


def preprocess(wav16: np.ndarray) -> np.ndarray:
    """resemblyzer's preprocess_wav on 16 kHz audio: volume up to -30 dBFS, long silences out."""
    x = raise_volume(torch.from_numpy(np.asarray(wav16, np.float32))).numpy()
    return x[long_silence_mask(x)]


class Embedder(nn.Module):
    """Waveforms -> utterance embeddings, differentiable end to end: the frontend, the encoder, and
    which samples count as speech (chosen on the detached audio, then indexed, so the gradient
    reaches every kept sample)."""

    def __init__(self, encoder: SpeakerEncoder):
        super().__init__()
        self.encoder = encoder
        encoder.lstm.train()  # cuDNN runs an LSTM's backward only in training mode (it has no dropout)
        self.frontend = MelFrontend().to(next(encoder.parameters()).device)

    def forward(self, wavs: Sequence[torch.Tensor], sample_rate: int = SAMPLE_RATE, trim: bool = True) -> torch.Tensor:
        """Utterances (each (N,), any length) -> (len(wavs), 256) unit-norm embeddings; all their
        partial windows go through the LSTM as one batch."""
        mels, owners = [], []
        for i, wav in enumerate(wavs):
            x = raise_volume(resample_torch(wav, sample_rate, SAMPLE_RATE))
            if trim:
                keep = long_silence_mask(x.detach().float().cpu().numpy())
                if keep.sum() >= MIN_SAMPLES:
                    x = x[torch.from_numpy(keep).to(x.device)]
            if x.shape[-1] < MIN_SAMPLES:
                raise EnunciateError(f"utterance {i} has {x.shape[-1] / SAMPLE_RATE:.2f} s of speech; "
                                     f"an embedding needs at least {MIN_SAMPLES / SAMPLE_RATE:g} s")
            starts = partial_starts(x.shape[-1])
            end = (starts[-1] + PARTIAL_FRAMES) * HOP
            x = F.pad(x, (0, max(0, end - x.shape[-1])))
            mel = self.frontend(x[None])[0]
            mels += [mel[s: s + PARTIAL_FRAMES] for s in starts]
            owners += [i] * len(starts)
        partials = self.encoder(torch.stack(mels))
        owner = torch.tensor(owners, device=partials.device)
        sums = torch.zeros(len(wavs), partials.shape[1], dtype=partials.dtype, device=partials.device)
        sums = sums.index_add(0, owner, partials)
        return sums / sums.norm(dim=1, keepdim=True).clamp(min=1e-12)


@functools.lru_cache(maxsize=4)
def _embedder(weights: str | None, device: str) -> Embedder:
    return Embedder(load_encoder(weights, device))


def embed_utterance(audio: np.ndarray, sample_rate: int, weights: str | None = None) -> np.ndarray:
    """Unit-norm 256-d embedding of one clip (mono, any rate), as resemblyzer's embed_utterance
    gives for preprocess_wav of it."""
    from ..audio import resample

    x = np.asarray(audio, np.float32)
    if x.ndim != 1 or not x.size:
        raise EnunciateError("an embedding needs mono audio with samples in it")
    wav = torch.from_numpy(resample(x, sample_rate, SAMPLE_RATE))
    with torch.no_grad():
        return _embedder(weights, "cpu")([wav])[0].numpy()


def embed_speaker(clips: Sequence[np.ndarray], sample_rate: int, weights: str | None = None) -> np.ndarray:
    """A speaker's embedding: the normalised mean of its clips' utterance embeddings."""
    if not len(clips):
        raise EnunciateError("a speaker embedding needs at least one clip")
    mean = np.mean([embed_utterance(c, sample_rate, weights) for c in clips], axis=0)
    return (mean / np.linalg.norm(mean)).astype(np.float32)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two embeddings (unit norm or not)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))
