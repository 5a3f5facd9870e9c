"""Train a GE2E speaker encoder (Wan et al. 2018, "Generalized End-to-End Loss for Speaker
Verification") on a folder of speech, from resemblyzer's weights or from scratch.

    enunciate train-encoder LibriTTS/train-clean-100 -o my-encoder --steps 20000
    enunciate clone me.wav --name me --encoder my-encoder/encoder.pt

Data layouts (found by looking): LibriTTS (speaker/chapter/*.wav, a .normalized.txt beside each),
VCTK (wav48/pNNN/*.wav, or wav48_silence_trimmed/pNNN/*.flac), or one folder per speaker holding
its clips. Each step takes N speakers x M utterances, a random 1.6 s crop of each (the encoder's
partial window), and the GE2E softmax loss: every embedding against every speaker's centroid
(its own centroid without itself), scaled by a learned w > 0 plus b. As in the paper, w and b
learn 100 times slower (their own parameter group: with Adam, scaling their gradients as the paper
does for SGD would change nothing) and gradients are clipped at norm 3.

Checkpoints (`DIR/encoder.pt`: model, optimizer, step, losses) are written atomically every
`checkpoint_every` steps and at the end; running again on the same DIR resumes where it stopped.
The model state has resemblyzer's names, so `resemblyzer.VoiceEncoder(weights_fpath=...)` loads it.
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..cache import write_atomically
from ..errors import EnunciateError
from .ge2e import HOP, PARTIAL_FRAMES, SAMPLE_RATE

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg")
CHECKPOINT = "encoder.pt"
CROP_SAMPLES = (PARTIAL_FRAMES - 1) * HOP     # a 1.6 s crop gives exactly 160 centred mel frames
WB_LR_SCALE = 0.01
MAX_GRAD_NORM = 3.0
CACHE_SECONDS = 3600.0                         # decoded audio kept in memory (16 kHz float32: 230 MB)


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 1000                    # total: a resumed run goes on to this step
    speakers_per_batch: int = 16         # N
    utterances_per_speaker: int = 8      # M
    lr: float = 1e-4
    init: str = "pretrained"             # resemblyzer's weights, or "scratch"
    checkpoint_every: int = 100
    seed: int = 0
    device: str = "cpu"
    threads: int | None = None

    def check(self) -> "TrainConfig":
        if self.init not in ("pretrained", "scratch"):
            raise EnunciateError(f"unknown init {self.init!r}; available: pretrained, scratch")
        if self.speakers_per_batch < 2 or self.utterances_per_speaker < 2:
            raise EnunciateError("GE2E needs at least 2 speakers per batch and 2 utterances per speaker")
        if self.steps < 0 or self.checkpoint_every < 1:
            raise EnunciateError("steps must be 0 or more and checkpoint_every at least 1")
        return self


@dataclass(frozen=True)
class Separation:
    """How well embeddings of whole utterances separate speakers."""

    same: float        # mean cosine between utterances of one speaker
    different: float   # mean cosine between utterances of different speakers
    eer: float         # equal error rate of "same speaker" by a cosine threshold

    @property
    def gap(self) -> float:
        return self.same - self.different


@dataclass
class TrainResult:
    checkpoint: Path
    layout: str
    speakers: int
    utterances: int
    first_step: int
    steps: int
    losses: list[float] = field(default_factory=list)
    before: Separation | None = None
    after: Separation | None = None
    seconds: float = 0.0


# --- data ----------------------------------------------------------------------------------------------

def _audio_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)


def find_speakers(root: str | Path) -> tuple[str, dict[str, list[Path]]]:
    """(layout, speaker -> audio files) for a LibriTTS, VCTK or folder-per-speaker tree."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise EnunciateError(f"training data folder {root} does not exist")
    for name in ("wav48_silence_trimmed", "wav48"):
        if (root / name).is_dir():
            speakers = {d.name: _audio_files(d) for d in sorted((root / name).iterdir()) if d.is_dir()}
            return "vctk", _enough(root, speakers)
    speakers, layout = {}, "folders"
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        files = _audio_files(d)
        chapters = [c for c in sorted(d.iterdir()) if c.is_dir()]
        if not files and chapters:
            files = [f for c in chapters for f in _audio_files(c)]
            if any(f.with_suffix(".normalized.txt").is_file() for f in files[:20]):
                layout = "libritts"
        speakers[d.name] = files
    return layout, _enough(root, speakers)


def _enough(root: Path, speakers: dict[str, list[Path]]) -> dict[str, list[Path]]:
    kept = {s: files for s, files in speakers.items() if len(files) >= 2}
    if len(kept) < 2:
        raise EnunciateError(f"{root} holds {len(kept)} speaker(s) with 2 or more clips; GE2E training needs at "
                             "least 2: use LibriTTS (speaker/chapter/*.wav), VCTK (wav48/pNNN/*.wav) or one "
                             "folder of clips per speaker")
    return kept


class Utterances:
    """Decoded, volume-raised, silence-trimmed 16 kHz utterances at least one crop long, kept in
    memory up to CACHE_SECONDS and decoded again past that."""

    def __init__(self, speakers: dict[str, list[Path]]):
        self._cache: dict[Path, np.ndarray] = {}
        self._cached_s = 0.0
        self.speakers: dict[str, list[Path]] = {}
        for speaker, files in speakers.items():
            usable = [f for f in files if len(self.load(f)) >= CROP_SAMPLES]
            if len(usable) >= 2:
                self.speakers[speaker] = usable
        if len(self.speakers) < 2:
            raise EnunciateError("fewer than 2 speakers have 2 clips with at least 1.6 s of speech each")

    def load(self, path: Path) -> np.ndarray:
        if path in self._cache:
            return self._cache[path]
        from ..audio import resample
        from .ge2e import preprocess
        from .reference import decode

        audio, rate = decode(path)
        wav = preprocess(resample(audio, rate, SAMPLE_RATE)).astype(np.float32)
        if self._cached_s + len(wav) / SAMPLE_RATE <= CACHE_SECONDS:
            self._cache[path] = wav
            self._cached_s += len(wav) / SAMPLE_RATE
        return wav

    def batch(self, rng: np.random.Generator, n: int, m: int) -> np.ndarray:
        """(n * m, CROP_SAMPLES): m random crops of m utterances of each of n random speakers."""
        names = list(self.speakers)
        chosen = rng.choice(len(names), size=min(n, len(names)), replace=False)
        crops = []
        for i in chosen:
            files = self.speakers[names[i]]
            picks = rng.choice(len(files), size=m, replace=len(files) < m)
            for j in picks:
                wav = self.load(files[j])
                start = int(rng.integers(0, len(wav) - CROP_SAMPLES + 1))
                crops.append(wav[start: start + CROP_SAMPLES])
        return np.stack(crops)


# --- the loss --------------------------------------------------------------------------------------------

def ge2e_loss(embeddings, w, b):
    """GE2E softmax loss of (N speakers, M utterances, D) unit embeddings; w, b the learned scale and
    bias. Also returns the similarity matrix (N*M, N)."""
    import torch
    import torch.nn.functional as F

    n, m, _ = embeddings.shape
    total = embeddings.sum(dim=1)                                          # (N, D)
    centroids = F.normalize(total / m, dim=-1)
    excluded = F.normalize((total[:, None] - embeddings) / (m - 1), dim=-1)  # own centroid without itself
    sim = torch.einsum("nmd,kd->nmk", embeddings, centroids)
    own = (embeddings * excluded).sum(-1)                                  # (N, M)
    eye = torch.eye(n, dtype=torch.bool, device=embeddings.device)[:, None, :]
    sim = torch.where(eye, own[..., None], sim)
    logits = (w.clamp(min=1e-6) * sim + b).reshape(n * m, n)
    target = torch.arange(n, device=embeddings.device).repeat_interleave(m)
    return F.cross_entropy(logits, target), logits


# --- measuring --------------------------------------------------------------------------------------------

def equal_error_rate(same: np.ndarray, different: np.ndarray) -> float:
    """The error rate where wrongly accepted different-speaker pairs equal wrongly rejected same-speaker
    pairs, over cosine thresholds."""
    thresholds = np.unique(np.concatenate([same, different]))
    far = np.array([(different >= t).mean() for t in thresholds])
    frr = np.array([(same < t).mean() for t in thresholds])
    i = int(np.argmin(np.abs(far - frr)))
    return float((far[i] + frr[i]) / 2)


def separation(encoder, utterances: Utterances, per_speaker: int = 8) -> Separation:
    """Embed up to `per_speaker` whole utterances of each speaker and compare all pairs."""
    import torch

    from .ge2e import Embedder

    embedder = Embedder(encoder)
    labels, wavs = [], []
    for speaker, files in utterances.speakers.items():
        for f in files[:per_speaker]:
            labels.append(speaker)
            wavs.append(torch.from_numpy(utterances.load(f)).to(next(encoder.parameters()).device))
    was_training = encoder.training
    encoder.eval()
    with torch.no_grad():
        e = embedder(wavs, trim=False).cpu().numpy()
    encoder.train(was_training)
    sim = e @ e.T
    labels = np.array(labels)
    upper = np.triu(np.ones_like(sim, dtype=bool), k=1)
    same_mask = (labels[:, None] == labels[None, :]) & upper
    diff_mask = (labels[:, None] != labels[None, :]) & upper
    same, different = sim[same_mask], sim[diff_mask]
    return Separation(float(same.mean()), float(different.mean()), equal_error_rate(same, different))


# --- training ---------------------------------------------------------------------------------------------

def _save(path: Path, encoder, optimizer, step: int, losses: list[float], config: TrainConfig, layout: str) -> None:
    import torch

    state = {"model_state": encoder.state_dict(), "optimizer_state": optimizer.state_dict(), "step": step,
             "losses": losses, "config": asdict(config), "layout": layout}
    write_atomically(path, lambda tmp: torch.save(state, tmp))


def train_encoder(data: str | Path, out: str | Path, config: TrainConfig = TrainConfig(),
                  progress: Callable[[str], None] | None = None) -> TrainResult:
    """Train (or go on training) a GE2E encoder on `data`; checkpoints in `out`/encoder.pt."""
    import torch

    from ..voices.torch_runtime import torch_device
    from .ge2e import MelFrontend, SpeakerEncoder

    config = config.check()
    start = time.perf_counter()
    device = torch_device(config.device)
    if config.threads and device.type == "cpu":
        torch.set_num_threads(config.threads)
    layout, files = find_speakers(data)
    utterances = Utterances(files)
    out = Path(out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    path = out / CHECKPOINT
    torch.manual_seed(config.seed)
    encoder = SpeakerEncoder.load(None, device) if config.init == "pretrained" else SpeakerEncoder().to(device)
    scale_bias = [encoder.similarity_weight, encoder.similarity_bias]
    network = [p for name, p in encoder.named_parameters() if not name.startswith("similarity_")]
    optimizer = torch.optim.Adam([{"params": network, "lr": config.lr},
                                  {"params": scale_bias, "lr": config.lr * WB_LR_SCALE}])
    first, losses = 0, []
    if path.is_file():
        checkpoint = torch.load(path, map_location=device, weights_only=False)
        encoder.load_state_dict(checkpoint["model_state"])
        optimizer.load_state_dict(checkpoint["optimizer_state"])
        first, losses = int(checkpoint["step"]), list(checkpoint.get("losses", []))
        if progress:
            progress(f"resuming {path} at step {first}")
    frontend = MelFrontend().to(device)
    n_utt = sum(len(v) for v in utterances.speakers.values())
    if progress:
        progress(f"{layout} layout: {len(utterances.speakers)} speakers, {n_utt} utterances")
    before = separation(encoder, utterances)
    rng = np.random.default_rng(config.seed + first)  # a resumed run draws new batches, reproducibly
    n = min(config.speakers_per_batch, len(utterances.speakers))
    encoder.train()
    for step in range(first, config.steps):
        crops = torch.from_numpy(utterances.batch(rng, n, config.utterances_per_speaker)).to(device)
        embeddings = encoder(frontend(crops)).reshape(n, config.utterances_per_speaker, -1)
        loss, _ = ge2e_loss(embeddings, encoder.similarity_weight, encoder.similarity_bias)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(encoder.parameters(), MAX_GRAD_NORM)
        optimizer.step()
        losses.append(round(float(loss.detach()), 5))
        if (step + 1) % config.checkpoint_every == 0 or step + 1 == config.steps:
            _save(path, encoder, optimizer, step + 1, losses, config, layout)
            if progress:
                progress(f"step {step + 1}/{config.steps}: loss {np.mean(losses[-config.checkpoint_every:]):.4f} "
                         f"(w {encoder.similarity_weight.item():.2f}, b {encoder.similarity_bias.item():.2f}); "
                         f"saved {path}")
    if not path.is_file():
        _save(path, encoder, optimizer, max(first, config.steps), losses, config, layout)
    encoder.eval()
    after = separation(encoder, utterances)
    return TrainResult(path, layout, len(utterances.speakers), n_utt, first, max(first, config.steps), losses,
                       before, after, time.perf_counter() - start)
