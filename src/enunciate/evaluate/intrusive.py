"""Intrusive metrics: a test rendering scored against a reference rendering of the same text.

Typical use: the fp32 and int8 variants of one voice saying one sentence. Every metric but
`duration_ratio` resamples both signals to 16 kHz mono first (`ANALYSIS_RATE`), so voices at
22.05 / 24 / 48 kHz, stereo files and 8 kHz telephone audio all compare on one scale.

- `pesq_wb`, `stoi`: time-locked metrics that need equal lengths: the shorter signal is padded
  with trailing zeros (never trimmed), so audio missing from the test rendering costs score
  instead of being cut out of the comparison. PESQ hears ±1 LSB of dither where the reference
  holds exact zeros (a clip against its dithered copy scored 4.54, not 4.64, when it had a
  sentence pause), so both signals get the same fixed dither in their digital silence first
  (`speech_regions.fill_digital_silence`): over 30 dev-set clips the retest difference under
  ±1 LSB fell from 0.024 to 0.004 on average. STOI needs nothing: it drops frames 40 dB below
  the reference's loudest (dither moved it by < 0.0005).
- `mcd_dtw`, `f0_rmse`: frames aligned by dynamic time warping over mel cepstra (c1..c24), so
  renderings with different timing still compare frame by frame. F0 RMSE is in Hz, over frames
  voiced in both signals.
- `duration_ratio`: test length over reference length, raw sample counts including silence.

Bad input raises `EnunciateError`: empty, shorter than `MIN_DURATION_S`, NaN/inf samples, or
digital silence (a silent rendering has no PESQ or F0; treat it as a failed synthesis).
"""
from __future__ import annotations

import numpy as np

from ..audio import resample
from ..errors import EnunciateError
from .speech_regions import fill_digital_silence

ANALYSIS_RATE = 16000
MIN_DURATION_S = 0.5      # PESQ needs 0.25 s; STOI needs 30 frames (0.38 s) of speech
SILENCE_PEAK = 1e-5       # peak below -100 dBFS counts as digital silence

FRAME_LENGTH = 400        # 25 ms analysis window at 16 kHz
HOP_LENGTH = 160          # 10 ms: mel cepstra and F0 share frames, so one DTW path serves both
N_FFT = 512
N_MELS = 40
N_MCEP = 25               # c0..c24; c0 (loudness) is left out of the distance
MEL_FLOOR_DB = -80.0      # floor below the reference's loudest mel band, so near-silence cannot dominate
MCD_SCALE = 10.0 / np.log(10.0) * np.sqrt(2.0)  # natural-log cepstra -> dB

F0_MIN_HZ = 50.0
F0_MAX_HZ = 500.0
YIN_WINDOW = 320          # 20 ms integration window
YIN_THRESHOLD = 0.15      # cumulative-mean-normalised difference below this means voiced
VOICED_MIN_DB = -40.0     # frames quieter than this below the loudest frame are unvoiced
MIN_VOICED_FRAMES = 5


# ---------------------------------------------------------------- input conditioning

def as_mono(audio, sample_rate: int, to_rate: int | None = None, *, min_duration_s: float = 0.0,
            name: str = "audio", allow_silence: bool = True) -> np.ndarray:
    """Float32 mono audio (channels averaged), resampled to `to_rate`, after checking it is usable.

    Stereo may be (samples, channels) as soundfile returns it or (channels, samples); integer PCM
    is scaled to [-1, 1]. Errors name `name` so the caller knows which of two inputs was bad.
    """
    x = np.asarray(audio)
    if x.ndim == 2:
        x = x.mean(axis=1 if x.shape[0] >= x.shape[1] else 0)
    elif x.ndim != 1:
        raise EnunciateError(f"{name} must be 1-D (mono) or 2-D (stereo), not {x.ndim}-D")
    if np.issubdtype(x.dtype, np.integer):
        x = x / float(np.iinfo(x.dtype).max)
    x = x.astype(np.float32, copy=False)
    if not sample_rate or sample_rate <= 0 or sample_rate != int(sample_rate):
        raise EnunciateError(f"{name} needs a positive whole sample rate in Hz, got {sample_rate!r}")
    sample_rate = int(sample_rate)
    if x.size == 0:
        raise EnunciateError(f"{name} is empty; pass at least {min_duration_s:g} s of speech")
    if not np.all(np.isfinite(x)):
        raise EnunciateError(f"{name} contains NaN or infinite samples; check the synthesis output")
    duration_s = x.size / sample_rate
    if duration_s < min_duration_s:
        raise EnunciateError(f"{name} is too short ({duration_s:.2f} s); "
                             f"these metrics need at least {min_duration_s:g} s")
    if not allow_silence and is_silent(x):
        raise EnunciateError(f"{name} is silent (all samples near zero); "
                             "a silent rendering cannot be scored, treat it as a failed synthesis")
    return resample(x, sample_rate, to_rate) if to_rate else x


def is_silent(x: np.ndarray) -> bool:
    return x.size == 0 or float(np.max(np.abs(x))) < SILENCE_PEAK


def _pair(ref, deg, sr: int, deg_sr: int | None) -> tuple[np.ndarray, np.ndarray]:
    kw = {"min_duration_s": MIN_DURATION_S, "allow_silence": False}
    return (as_mono(ref, sr, ANALYSIS_RATE, name="reference audio", **kw),
            as_mono(deg, deg_sr or sr, ANALYSIS_RATE, name="test audio", **kw))


def _pad_to_same_length(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = max(a.size, b.size)
    return np.pad(a, (0, n - a.size)), np.pad(b, (0, n - b.size))


# ---------------------------------------------------------------- PESQ, STOI, duration

def _pesq16(ref: np.ndarray, deg: np.ndarray, canonical_silence: bool = True) -> float:
    from pesq import PesqError, pesq

    ref, deg = _pad_to_same_length(ref, deg)
    if canonical_silence:  # after padding, so both get the same dither sample for sample
        ref, deg = fill_digital_silence(ref, ANALYSIS_RATE), fill_digital_silence(deg, ANALYSIS_RATE)
    try:
        return float(pesq(ANALYSIS_RATE, ref, deg, "wb"))
    except PesqError as e:  # e.g. NoUtterancesError: PESQ's own voice detector found no speech
        reason = e.args[0].decode() if e.args and isinstance(e.args[0], bytes) else str(e)
        raise EnunciateError(f"PESQ cannot score this pair ({reason}); check that the reference is speech") from e


def _stoi16(ref: np.ndarray, deg: np.ndarray) -> float:
    from pystoi import stoi as _stoi

    return float(_stoi(*_pad_to_same_length(ref, deg), ANALYSIS_RATE, extended=False))


def pesq_wb(ref, deg, sr: int, deg_sr: int | None = None, *, canonical_silence: bool = True) -> float:
    """Wide-band PESQ (ITU-T P.862.2, MOS-LQO 1.04..4.64) of `deg` against `ref`.

    `canonical_silence=False` leaves digital silence as it is, only for the noise-floor study
    (`benchmarks/quality_noise_floor.py`) that shows why it is on."""
    return _pesq16(*_pair(ref, deg, sr, deg_sr), canonical_silence)


def stoi(ref, deg, sr: int, deg_sr: int | None = None) -> float:
    """Short-time objective intelligibility (0..1) of `deg` against `ref`."""
    return _stoi16(*_pair(ref, deg, sr, deg_sr))


def duration_ratio(ref, deg, sr: int | None = None, deg_sr: int | None = None) -> float:
    """Test duration over reference duration (>1: the test rendering is slower or padded more).

    Without sample rates both are taken to share one rate and the sample counts are compared.
    """
    ref_rate, deg_rate = sr or 1, deg_sr or sr or 1
    ref_s = as_mono(ref, ref_rate, name="reference audio").size / ref_rate
    deg_s = as_mono(deg, deg_rate, name="test audio").size / deg_rate
    return deg_s / ref_s

# ---------------------------------------------------------------- mel cepstrum and DTW

def frames(x: np.ndarray, frame_length: int, hop_length: int = HOP_LENGTH) -> np.ndarray:
    """Centred frames (n, frame_length): frame i is centred on sample i*hop, zero padded at the ends."""
    half = frame_length // 2
    padded = np.pad(x, (half, frame_length - half))
    n = 1 + x.size // hop_length
    return np.lib.stride_tricks.sliding_window_view(padded, frame_length)[::hop_length][:n]


def mel_filterbank(sample_rate: int = ANALYSIS_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """Triangular HTK-mel filters (n_mels, n_fft//2+1) from 0 Hz to Nyquist."""
    mel = np.linspace(0.0, 2595.0 * np.log10(1.0 + sample_rate / 2 / 700.0), n_mels + 2)
    edges_hz = 700.0 * (10.0 ** (mel / 2595.0) - 1.0)
    bins_hz = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    lo, mid, hi = edges_hz[:-2, None], edges_hz[1:-1, None], edges_hz[2:, None]
    rising = (bins_hz - lo) / (mid - lo)
    falling = (hi - bins_hz) / (hi - mid)
    return np.maximum(0.0, np.minimum(rising, falling))


def mel_power(x: np.ndarray) -> np.ndarray:
    """Mel-band power per frame (n_frames, N_MELS) with a Hann window."""
    spectrum = np.abs(np.fft.rfft(frames(x, FRAME_LENGTH) * np.hanning(FRAME_LENGTH), N_FFT)) ** 2
    return spectrum @ mel_filterbank().T


def mel_cepstrum(power: np.ndarray, floor: float) -> np.ndarray:
    """Mel cepstra (n_frames, N_MCEP) of mel-band power: DCT of the log amplitude.

    DCT-II / (2 * n_mels) approximates the real cepstrum c_n of log|X| sampled on the mel axis, so
    MCD_SCALE gives decibels. This is the MFCC-style approximation, not SPTK/WORLD mcep: compare
    systems with each other, not with MCD figures from papers.
    """
    from scipy.fft import dct

    log_amplitude = 0.5 * np.log(np.maximum(power, floor))
    return dct(log_amplitude, type=2, axis=1)[:, :N_MCEP] / (2 * power.shape[1])


def dtw_path(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-cost alignment of frame sequences a (n, d) and b (m, d) under Euclidean distance.

    Symmetric steps (1,0), (0,1), (1,1). The cumulative cost is filled one anti-diagonal at a
    time, vectorised along the diagonal, so 10 s against 10 s (10^6 cells) takes milliseconds.
    """
    n, m = len(a), len(b)
    cost = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    for d in range(2, n + m + 1):  # i + j == d in 1-based indices
        i = np.arange(max(1, d - m), min(n, d - 1) + 1)
        j = d - i
        acc[i, j] = cost[i - 1, j - 1] + np.minimum(np.minimum(acc[i - 1, j], acc[i, j - 1]),
                                                    acc[i - 1, j - 1])
    path, i, j = [], n, m
    while i > 0 and j > 0:
        path.append((i - 1, j - 1))
        step = np.argmin((acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1]))
        i, j = (i - 1, j - 1) if step == 0 else (i - 1, j) if step == 1 else (i, j - 1)
    ia, ib = np.array(path[::-1]).T
    return ia, ib


def _cepstra_and_path(ref: np.ndarray, deg: np.ndarray):
    ref_power, deg_power = mel_power(ref), mel_power(deg)
    floor = max(float(ref_power.max()), 1e-20) * 10.0 ** (MEL_FLOOR_DB / 10.0)
    ref_c, deg_c = mel_cepstrum(ref_power, floor), mel_cepstrum(deg_power, floor)
    return ref_c, deg_c, dtw_path(ref_c[:, 1:], deg_c[:, 1:])


def _mcd(ref_c: np.ndarray, deg_c: np.ndarray, path) -> float:
    diff = ref_c[path[0], 1:] - deg_c[path[1], 1:]
    return float(MCD_SCALE * np.mean(np.sqrt((diff ** 2).sum(axis=1))))


def snr_db(ref: np.ndarray, deg: np.ndarray) -> float:
    """Waveform SNR in dB of `deg` against `ref`, sample by sample at one rate (inf if identical).
    Only for renderings that should match sample for sample: the same model on another device,
    dtype or batch. Lengths must be equal."""
    if len(ref) != len(deg):
        raise EnunciateError(f"SNR needs equal lengths: {len(ref)} vs {len(deg)} samples")
    ref = np.asarray(ref, np.float64)
    err = float(np.sum((ref - deg) ** 2))
    return float("inf") if err == 0 else float(10 * np.log10(float(np.sum(ref ** 2)) / err))


def mcd_dtw(ref, deg, sr: int, deg_sr: int | None = None) -> float:
    """Mel-cepstral distortion in dB (c1..c24), mean over DTW-aligned frame pairs; 0 for identical audio."""
    ref16, deg16 = _pair(ref, deg, sr, deg_sr)
    ref_c, deg_c, path = _cepstra_and_path(ref16, deg16)
    return _mcd(ref_c, deg_c, path)


# ---------------------------------------------------------------- F0

def yin_f0(x: np.ndarray, sample_rate: int = ANALYSIS_RATE) -> np.ndarray:
    """F0 in Hz per HOP_LENGTH frame (0 where unvoiced) by YIN (de Cheveigné & Kawahara 2002).

    Voiced where the cumulative-mean-normalised difference dips below YIN_THRESHOLD and the frame
    is within VOICED_MIN_DB of the loudest one; the lag is refined by parabolic interpolation.
    """
    tau_min = int(sample_rate / F0_MAX_HZ)
    tau_max = int(np.ceil(sample_rate / F0_MIN_HZ))
    fr = frames(x.astype(np.float64), YIN_WINDOW + tau_max)
    n_fft = 1 << int(np.ceil(np.log2(fr.shape[1] + YIN_WINDOW)))
    # d(tau) = sum_j (x_j - x_{j+tau})^2 = E(0..W) + E(tau..tau+W) - 2 r(tau), r by FFT correlation
    spec = np.fft.rfft(fr, n_fft)
    head = np.fft.rfft(fr[:, :YIN_WINDOW], n_fft)
    r = np.fft.irfft(spec * np.conj(head), n_fft)[:, :tau_max + 1]
    energy = np.concatenate([np.zeros((len(fr), 1)), np.cumsum(fr ** 2, axis=1)], axis=1)
    window_energy = energy[:, YIN_WINDOW:YIN_WINDOW + tau_max + 1] - energy[:, :tau_max + 1]
    diff = np.maximum(window_energy[:, :1] + window_energy - 2.0 * r, 0.0)
    cmnd = np.ones_like(diff)
    cumulative = np.cumsum(diff[:, 1:], axis=1)
    cmnd[:, 1:] = diff[:, 1:] * np.arange(1, tau_max + 1) / np.maximum(cumulative, 1e-12)

    # the first local minimum below threshold is where YIN stops after the first dip under it
    inner = cmnd[:, 1:-1]
    is_min = (inner < cmnd[:, :-2]) & (inner <= cmnd[:, 2:]) & (inner < YIN_THRESHOLD)
    is_min[:, :tau_min - 1] = False
    voiced = is_min.any(axis=1)
    tau = is_min.argmax(axis=1) + 1
    rows = np.arange(len(fr))
    left, mid, right = cmnd[rows, tau - 1], cmnd[rows, tau], cmnd[rows, tau + 1]
    denom = left - 2.0 * mid + right
    shift = np.where(np.abs(denom) > 1e-12, 0.5 * (left - right) / np.where(denom == 0, 1, denom), 0.0)
    f0 = sample_rate / (tau + np.clip(shift, -1.0, 1.0))

    loudness_db = 10.0 * np.log10(window_energy[:, 0] + 1e-12)
    voiced &= loudness_db > loudness_db.max() + VOICED_MIN_DB
    return np.where(voiced, f0, 0.0)


def _f0_rmse(ref16: np.ndarray, deg16: np.ndarray, path) -> float:
    ref_f0, deg_f0 = yin_f0(ref16)[path[0]], yin_f0(deg16)[path[1]]
    both = (ref_f0 > 0) & (deg_f0 > 0)
    if both.sum() < MIN_VOICED_FRAMES:
        return float("nan")
    return float(np.sqrt(np.mean((ref_f0[both] - deg_f0[both]) ** 2)))


def f0_rmse(ref, deg, sr: int, deg_sr: int | None = None) -> float:
    """RMSE of F0 in Hz over DTW-aligned frames voiced in both; NaN when fewer than 5 such frames."""
    ref16, deg16 = _pair(ref, deg, sr, deg_sr)
    _, _, path = _cepstra_and_path(ref16, deg16)
    return _f0_rmse(ref16, deg16, path)


# ---------------------------------------------------------------- all of them

def compare(ref, deg, sr: int, deg_sr: int | None = None) -> dict[str, float]:
    """Every intrusive metric of `deg` against `ref`, sharing one resampling and one DTW path."""
    ref16, deg16 = _pair(ref, deg, sr, deg_sr)
    ref_c, deg_c, path = _cepstra_and_path(ref16, deg16)
    return {
        "pesq_wb": _pesq16(ref16, deg16),
        "stoi": _stoi16(ref16, deg16),
        "mcd_db": _mcd(ref_c, deg_c, path),
        "f0_rmse_hz": _f0_rmse(ref16, deg16, path),
        "duration_ratio": deg16.size / ref16.size,
    }
