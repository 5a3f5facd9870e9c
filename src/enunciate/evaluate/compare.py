"""Two systems side by side: engines named as on the command line or folders of WAVs, the paired
bootstrap of their per-sentence differences, and intrusive metrics of one folder against another.

A paired comparison resamples sentences, not systems: both systems said the same sentences, so the
sentence-to-sentence spread (some sentences are just hard) cancels out of the difference, and the
interval is much narrower than two independent intervals would suggest.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import EnunciateError
from .engines import Engine
from .roundtrip import RoundTrip
from .stats import bootstrap_ci
from .terms import TermItem

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")
MIN_RATE_HZ, MAX_RATE_HZ = 8000, 192000   # telephone band up to studio rates; anything else is not speech audio
MIN_CLIP_S = 0.5                          # what PESQ, STOI and the MOS predictors need
BASELINES = ("espeak-ng", "heart-own-g2p")
RAW_ESPEAK_SUFFIX = "-raw-espeak"
TORCH_SUFFIX = "-torch"  # the voice through enunciate's PyTorch module instead of ONNX Runtime
INTRUSIVE_METRICS = ("pesq_wb", "stoi", "mcd_db", "f0_rmse_hz", "duration_ratio")


# ---------------------------------------------------------------- clips and folders

def read_clip(path: str | Path, min_duration_s: float = MIN_CLIP_S) -> tuple[np.ndarray, int]:
    """Mono float32 audio (channels averaged) at its own rate; errors name the file."""
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise EnunciateError(f"audio file not found: {path}")
    try:
        audio, sample_rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, TypeError, ValueError, OSError) as e:  # LibsndfileError is a RuntimeError
        raise EnunciateError(f"cannot read {path}: it is not a valid audio file ({e}); "
                             "re-export it as WAV") from None
    if not MIN_RATE_HZ <= sample_rate <= MAX_RATE_HZ:
        raise EnunciateError(f"{path} has a sample rate of {sample_rate} Hz; speech audio between "
                             f"{MIN_RATE_HZ // 1000} and {MAX_RATE_HZ // 1000} kHz is expected")
    audio = audio.mean(axis=1)
    if audio.size == 0:
        raise EnunciateError(f"{path} holds no samples; re-render it")
    if not np.all(np.isfinite(audio)):
        raise EnunciateError(f"{path} contains NaN or infinite samples; re-render it")
    if audio.size / sample_rate < min_duration_s:
        raise EnunciateError(f"{path} is too short ({audio.size / sample_rate:.2f} s); "
                             f"clips must hold at least {min_duration_s:g} s")
    return audio, int(sample_rate)


def audio_files(folder: str | Path) -> dict[str, Path]:
    """Audio files of `folder` by name without suffix (tech001.wav -> "tech001")."""
    folder = Path(folder)
    if not folder.is_dir():
        raise EnunciateError(f"folder not found: {folder}")
    files: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in AUDIO_SUFFIXES and path.is_file():
            if path.stem in files:
                raise EnunciateError(f"{folder} has two clips named {path.stem!r} "
                                     f"({files[path.stem].name}, {path.name}); keep one")
            files[path.stem] = path
    if not files:
        raise EnunciateError(f"{folder} holds no audio files ({', '.join(AUDIO_SUFFIXES)})")
    return files


@dataclass(frozen=True)
class FolderEngine(Engine):
    """Pre-rendered audio: the clip of a sentence is the file named after its term-set id."""
    folder: Path = Path(".")


def folder_engine(folder: str | Path, items: Sequence[TermItem]) -> FolderEngine:
    files = audio_files(folder)
    by_text = {item.text: files[item.id] for item in items if item.id in files}
    if not by_text:
        example = items[0].id if items else "tech001"
        raise EnunciateError(f"{folder} has no clip named after a term-set id (e.g. {example}.wav)")

    def synth(text: str):
        path = by_text[text]
        audio, sample_rate = read_clip(path)
        if float(np.max(np.abs(audio))) < 1e-5:
            log.warning("%s is silent; it is scored as a sentence nobody heard", path)
        return audio, sample_rate
    return FolderEngine(str(folder), synth, Path(folder))


def engine_names() -> list[str]:
    """Every engine name `resolve_engine` accepts, besides folders and the @SEED suffix."""
    from ..voices.registry import torch_voice_names, voice_names

    voices = voice_names()
    return (voices + list(BASELINES) + [v + RAW_ESPEAK_SUFFIX for v in voices]
            + [v + TORCH_SUFFIX for v in torch_voice_names()])


def resolve_engine(spec: str, items: Sequence[TermItem] = (), threads: int = 2, seed: int = 0, device: str = "cpu",
                   dtype: str = "fp32") -> Engine:
    """An engine by name: a voice (enunciate's full path), `VOICE-torch` (the same through the
    PyTorch module, on `device` in `dtype`), `espeak-ng`, `heart-own-g2p`, `VOICE-raw-espeak`, or a
    folder of WAVs named by term-set id. `NAME@N` sets the noise seed."""
    name, at, seed_text = spec.partition("@")
    if at:
        try:
            seed = int(seed_text)
        except ValueError:
            raise EnunciateError(f"bad seed in engine {spec!r}; write NAME@N with a whole number N") from None
    path = Path(name)
    if (path / "voice.json").is_file():  # a voice folder (a variant, a clone, a fine-tune) speaks like a voice
        from .engines import enunciate_engine

        engine = enunciate_engine(str(path), threads, seed, engine=None)  # the folder's own engine
        return Engine(f"{engine.name}, seed {seed}", engine.synth) if at else engine
    if Path(spec).is_dir() or "/" in spec or "\\" in spec:
        return folder_engine(Path(spec), items)
    from ..voices.registry import torch_voice_names, voice_names
    from . import engines

    voices = voice_names()
    if name in voices:
        engine = engines.enunciate_engine(name, threads, seed)
    elif name.endswith(TORCH_SUFFIX) and name.removesuffix(TORCH_SUFFIX) in torch_voice_names():
        engine = engines.enunciate_engine(name.removesuffix(TORCH_SUFFIX), threads, seed, "torch", device, dtype)
    elif name == "espeak-ng":
        from .espeak_audio import espeak_engine

        engine = espeak_engine()
    elif name == "heart-own-g2p":
        engine = engines.hibari_own_engine(threads, seed)
    elif name.endswith(RAW_ESPEAK_SUFFIX) and name.removesuffix(RAW_ESPEAK_SUFFIX) in voices:
        engine = engines.raw_espeak_engine(name.removesuffix(RAW_ESPEAK_SUFFIX), threads, seed)
    else:
        named = [n for n in engine_names() if not n.endswith(RAW_ESPEAK_SUFFIX)]
        raise EnunciateError(f"unknown engine {name!r}; available: {', '.join(named)}, VOICE{RAW_ESPEAK_SUFFIX} "
                             f"(e.g. heart{RAW_ESPEAK_SUFFIX}), or a folder of WAVs named by term-set id; "
                             "add @N for noise seed N")
    return Engine(f"{engine.name}, seed {seed}", engine.synth) if at else engine


# ---------------------------------------------------------------- paired bootstrap

def paired_bootstrap_diff(a: Sequence[float], b: Sequence[float], n: int = 2000, seed: int = 0,
                          weights: Sequence[float] | None = None,
                          confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of a - b over paired items and its percentile bootstrap interval, resampling pairs.

    With `weights` (terms or words per sentence) the mean is the pooled one, as in the summaries.
    """
    x, y = np.asarray(a, np.float64), np.asarray(b, np.float64)
    w = np.ones_like(x) if weights is None else np.asarray(weights, np.float64)
    if x.ndim != 1 or x.shape != y.shape or w.shape != x.shape:
        raise ValueError("a, b and weights must be 1-D and of equal length")
    if len(x) == 0:
        return (float("nan"),) * 3
    diff = x - y
    mean = float(np.average(diff, weights=w)) if w.sum() > 0 else float("nan")
    low, high = bootstrap_ci(diff, n=n, seed=seed, weights=w, confidence=confidence)
    return mean, low, high


@dataclass(frozen=True)
class PairedMetric:
    name: str
    a: float
    b: float
    diff: float     # a - b
    low: float
    high: float
    n: int          # sentences

    @property
    def beyond_noise(self) -> bool:
        """The 95% interval of the difference excludes 0."""
        return bool(self.low > 0 or self.high < 0)


def per_sentence(result: RoundTrip) -> dict[str, dict[str, tuple[float, float]]]:
    """metric -> sentence id -> (value, weight): term hit rate (weight: terms), WER (weight: words),
    DistillMOS when it was scored (weight 1)."""
    terms: dict[str, list[bool]] = {}
    for row in result.terms.rows:
        terms.setdefault(row.id, []).append(row.hit)
    out = {"term_hit_rate": {i: (sum(h) / len(h), len(h)) for i, h in terms.items()},
           "wer": {i.id: (i.wer, max(1, len(i.text.split()))) for i in result.items}}
    if result.items and all(i.mos is not None for i in result.items):
        out["distillmos"] = {i.id: (i.mos, 1.0) for i in result.items}
    return out


def compare_round_trips(a: RoundTrip, b: RoundTrip, n: int = 2000, seed: int = 0) -> list[PairedMetric]:
    """Paired differences (a - b) of every metric both round trips scored, over their common sentences."""
    pa, pb = per_sentence(a), per_sentence(b)
    metrics = []
    for name in [m for m in pa if m in pb]:
        ids = [i for i in pa[name] if i in pb[name]]
        if not ids:
            raise EnunciateError(f"{a.engine} and {b.engine} share no sentences; compare the same term set")
        va, w = np.array([pa[name][i] for i in ids]).T
        vb = np.array([pb[name][i][0] for i in ids])
        diff, low, high = paired_bootstrap_diff(va, vb, n=n, seed=seed, weights=w)
        metrics.append(PairedMetric(name, float(np.average(va, weights=w)), float(np.average(vb, weights=w)),
                                    diff, low, high, len(ids)))
    return metrics


# ---------------------------------------------------------------- intrusive, folder against folder

@dataclass
class FolderComparison:
    ref_dir: Path
    test_dir: Path
    pairs: dict[str, dict[str, float]]                 # clip name -> metric -> value
    only_ref: list[str] = field(default_factory=list)   # names without a partner
    only_test: list[str] = field(default_factory=list)

    def means(self) -> dict[str, dict[str, float]]:
        return intrusive_means(self.pairs)


def intrusive_means(pairs: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """metric -> {mean, ci95, n} over clip pairs; NaN values (F0 RMSE without voiced overlap) are left out."""
    out = {}
    for metric in INTRUSIVE_METRICS:
        values = [v[metric] for v in pairs.values() if np.isfinite(v[metric])]
        out[metric] = {"mean": float(np.mean(values)) if values else float("nan"),
                       "ci95": bootstrap_ci(values), "n": len(values)}
    return out


def compare_folders(ref_dir: str | Path, test_dir: str | Path, progress: bool = False) -> FolderComparison:
    """PESQ-WB, STOI, MCD-DTW, F0 RMSE and duration ratio of every test clip against the
    reference clip of the same name (any rates and channel counts: both go to 16 kHz mono)."""
    from .intrusive import compare

    ref_files, test_files = audio_files(ref_dir), audio_files(test_dir)
    names = sorted(set(ref_files) & set(test_files))
    if not names:
        raise EnunciateError(f"{ref_dir} and {test_dir} share no clip names; the clips of one sentence "
                             "must have the same file name in both folders")
    result = FolderComparison(Path(ref_dir), Path(test_dir), {},
                              sorted(set(ref_files) - set(test_files)), sorted(set(test_files) - set(ref_files)))
    if result.only_ref or result.only_test:
        log.warning("comparing %d clips present in both folders; %d only in %s, %d only in %s", len(names),
                    len(result.only_ref), ref_dir, len(result.only_test), test_dir)
    iterator = names
    if progress:
        from tqdm import tqdm

        iterator = tqdm(names, desc="intrusive", unit="clip", leave=False)
    for name in iterator:
        ref, ref_rate = read_clip(ref_files[name])
        test, test_rate = read_clip(test_files[name])
        try:
            result.pairs[name] = compare(ref, test, ref_rate, test_rate)
        except EnunciateError as e:
            raise EnunciateError(f"{ref_files[name]} vs {test_files[name]}: {e}") from None
    return result
