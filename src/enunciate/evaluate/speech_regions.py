"""What quality scores should hear: the speech, with every rendering's silence made the same.

Two renderings whose samples differ by ±1 int16 step (-90 dBFS) can score far apart: DistillMOS
compresses |STFT| to the power 0.3, which lifts a floor 84 dB below the peak to 25 dB below it,
and it zero-pads clips shorter than 7.68 s, so a short clip's score depends on whether its
silences are exact zeros, float noise at 1e-12 or one LSB of dither (0.15 apart on "Run pip
install numpy."). PESQ marks ±1 LSB as noise wherever the reference holds the exact zeros of an
inserted pause (a clip with a sentence pause scored 4.54 against its dithered copy, 4.64
against itself). Quantized variants change low bits everywhere, so without this a quality table
would measure silence. STOI and MCD need nothing: STOI drops frames 40 dB below the reference's
loudest, MCD floors the mel power 80 dB below it.

- `speech_region` (DistillMOS, DNSMOS): the voiced stretch, with every 10 ms frame quieter than
  60 dB below the peak replaced by the same fixed-seed noise 80 dB below the peak. A gate relative
  to the peak, because the model scales every clip to peak 1; it also covers pauses, lead-in and
  tail, whatever the pipeline left there.
- `fill_digital_silence` (PESQ): frames whose peak is at most 4 int16 steps become the same
  fixed-seed dither of 1 LSB. An absolute threshold, so a reference and a test rendering with
  different peaks lose the same frames and stay time-aligned.

Chosen by measurement on 20 clips of heart and joe (short sentences, dev-set sentences, texts of
two sentences), as the mean |DistillMOS difference| between a clip and its ±1 LSB copy: scored
whole 0.043 (largest 0.154), trimmed 0.029, trimmed with only digital silence (frames at most 4
LSB) dithered 0.016 (0.064), trimmed with the quiet-frame gate 0.006 (0.034). Cutting pauses to
0.1 s instead of dithering them helped on two-sentence texts (0.009 against 0.019 for dithering
exact-zero runs only) but added nothing once a gate made silence the same (0.012 either way, with a -90 dB fill),
and it changes the timing the model hears. Padding short clips with the fill instead of the
model's zeros, or a noise floor 60 dB below the peak everywhere, moved every score by 0.2.
"""
from __future__ import annotations

import numpy as np

FRAME_S = 0.01           # 10 ms frames, as voiced_bounds uses
EDGE_MARGIN_S = 0.05     # kept around the first and last voiced frame, so soft onsets stay whole
QUIET_DB = -60.0         # frames this far below the clip's peak are silence for the MOS models...
FILL_DB = -80.0          # ...and are replaced by noise this far below it
LSB = 1.0 / 32768.0      # one int16 step
DIGITAL_SILENCE_LSB = 4  # for PESQ: frames whose peak is at most this many steps are digital silence
DITHER_LSB = 1.0         # ...and are replaced by dither of this rms
SEED = 0                 # one fixed noise for every system, so none is favoured by its draw


def fixed_noise(n: int) -> np.ndarray:
    """The same unit-variance Gaussian noise for every call: the fill every rendering gets."""
    return np.random.default_rng(SEED).standard_normal(n).astype(np.float32)


def frame_peaks(x: np.ndarray, frame: int) -> np.ndarray:
    """Peak |sample| of each `frame`-sample frame; the last frame may be shorter."""
    n = -(-len(x) // frame)
    return np.abs(np.pad(x, (0, n * frame - len(x)))).reshape(n, frame).max(axis=1)


def _replace_frames(x: np.ndarray, frame: int, quiet: np.ndarray, fill: np.ndarray) -> np.ndarray:
    mask = np.repeat(quiet, frame)[: len(x)]
    return np.where(mask, fill, x).astype(np.float32)


def trim_edges(x: np.ndarray, sample_rate: int, min_duration_s: float = 0.0,
               margin_s: float = EDGE_MARGIN_S) -> np.ndarray:
    """The stretch from the first to the last frame within 40 dB of the peak, plus `margin_s` each
    side; widened symmetrically (within the clip) to at least `min_duration_s`."""
    from ..pipeline import voiced_bounds

    start_s, end_s = voiced_bounds(x, sample_rate)
    if end_s <= start_s:
        return x
    margin = int(round(margin_s * sample_rate))
    start = max(0, int(round(start_s * sample_rate)) - margin)
    end = min(len(x), int(round(end_s * sample_rate)) + margin)
    needed = min(len(x), int(np.ceil(min_duration_s * sample_rate)))
    if end - start < needed:
        start = max(0, start - (needed - (end - start) + 1) // 2)
        end = min(len(x), start + needed)
        start = end - needed
    return x[start:end]


def fill_quiet_frames(x: np.ndarray, sample_rate: int, quiet_db: float = QUIET_DB,
                      fill_db: float = FILL_DB) -> np.ndarray:
    """Frames quieter than `quiet_db` below the peak -> the fixed noise at `fill_db` below the peak."""
    frame = max(1, int(round(FRAME_S * sample_rate)))
    peaks = frame_peaks(x, frame)
    peak = float(peaks.max()) if peaks.size else 0.0
    quiet = peaks < peak * 10.0 ** (quiet_db / 20.0)
    return _replace_frames(x, frame, quiet, fixed_noise(len(x)) * np.float32(peak * 10.0 ** (fill_db / 20.0)))


def fill_digital_silence(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """Frames whose peak is at most DIGITAL_SILENCE_LSB int16 steps -> the fixed dither of DITHER_LSB rms."""
    frame = max(1, int(round(FRAME_S * sample_rate)))
    quiet = frame_peaks(x, frame) <= DIGITAL_SILENCE_LSB * LSB
    return _replace_frames(x, frame, quiet, fixed_noise(len(x)) * np.float32(DITHER_LSB * LSB))


def speech_region(x: np.ndarray, sample_rate: int, min_duration_s: float = 0.0) -> np.ndarray:
    """What a no-reference MOS model should score: the trimmed voiced stretch with canonical silence."""
    return fill_quiet_frames(trim_edges(x, sample_rate, min_duration_s), sample_rate)
