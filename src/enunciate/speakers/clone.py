"""Clone a voice: fit a Kokoro style table to a reference speaker and save it as a voice folder.

One objective, two ways to minimise it. Per reference speaker,
    loss = 1 - cos(GE2E(Kokoro speaking the fit sentences), GE2E(reference))
         + mel_weight   * |mean log-mel shape(synthesis) - that of the reference|^2   (spectral envelope)
         + pitch_weight * (mean log F0(synthesis) - mean log F0(reference))^2       (both as YIN hears them)
         + prior        * mean((offset / scale)^2)                                     (stay near the packs)
         - mos_weight   * DistillMOS(synthesis)                       (listener.py; default 0: off)
over the style table `blend of the packs + offset` (styles.py). The synthesis says a few short
dev sentences through enunciate's own frontend; the reference says whatever it says.

- gradient: through the PyTorch Kokoro (weights recovered from the ONNX), Adam on the blend logits
  and the offset, timbre half always, prosody half unless prosody=False; from the most similar pack
  or from a clone's own blend and offset (start_voice, to continue a fit). Measured: about 10 s a
  step per sentence on 2 idle CPU cores (45-55 s on busy ones); 0.36 s on an H200 for three
  speakers x four sentences.
- cmaes: ONNX Runtime only (no torch model): CMA-ES over the blend logits and `directions`
  principal directions of the packs; `steps` generations of `population` syntheses each.

Then the quality guard (`guard_quality`) walks back from the fit toward the pack it started from
until DistillMOS on other sentences is within `quality_margin` of that pack's: GE2E similarity can
be raised by styles the encoder likes and a listener does not.

Several references of one speaker are one target (their embeddings averaged). Several targets fit
together in one padded batch (the study fits three speakers at once on a GPU).
"""
from __future__ import annotations

import logging
import math
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..errors import EnunciateError
from .reference import ReferenceClip, check_references, load_reference
from .listener import Listener
from .styles import StyleSpace, clone_start, softmax, style_space

log = logging.getLogger(__name__)

METHODS = ("gradient", "cmaes")
INITS = ("best", "mean")
SAMPLE_RATE = 24000  # Kokoro's
# Four short dev-set sentences (2-3 s each): enough partial windows for GE2E, little compute.
FIT_SENTENCES = (
    "The H100 GPU draws 700 W under full load.",
    "OAuth 2.0 tokens are stored as JSON in Redis.",
    "Lower the DNS TTL before you rotate the TLS certificate.",
    "Add the SSH key to your GitHub account, then run git push.",
)
# What the quality guard listens to: other sentences than the fit's, which a fit can overfit (in the
# study, heart's fit scored DistillMOS 3.64 on its own sentences and 2.45 on dev sentences), and
# technical ones beside plain prose: with prose alone the guard kept joe's whole fit at the start's
# DistillMOS, and the same fit lost 0.25 on technical dev sentences (benchmarks/results/clone_study.md).
# None of them is in the evaluation sets.
GUARD_SENTENCES = (
    "Please leave the package at the front desk before noon.",
    "Turn left at the second light and park behind the blue building.",
    "The Kubernetes pod restarted twice after the YAML change.",
    "Set the MTU to 9000 bytes on the NVMe over TCP link.",
    "Version 3.2.1 of the SDK fixes a bug in the HTTP client.",
    "Our p99 latency fell from 80 ms to 12 ms with gRPC.",
)
Progress = Callable[[str], None]


@dataclass(frozen=True)
class CloneConfig:
    """How a style is fitted (the same record for the API, the CLI and the study)."""

    method: str = "gradient"
    steps: int = 60               # gradient steps, or CMA-ES generations
    seed: int = 0
    device: str = "cpu"           # gradient: cpu or cuda[:N]
    prosody: bool = True          # also fit the prosody half (pitch, rhythm), not only the timbre
    init: str = "best"            # start from the most similar pack ("best") or from their mean
    lr: float = 0.05              # Adam, on logits and on the offset in units of `scale`
    prior: float = 0.02
    mel_weight: float = 0.02
    pitch_weight: float = 0.5
    realign_every: int = 20       # gradient + prosody: re-predict durations every this many steps
    population: int = 8           # CMA-ES candidates per generation
    directions: int = 8           # CMA-ES: principal directions searched besides the blend
    sigma: float = 0.7            # CMA-ES initial step, in logits and direction s.d.s
    sentences: tuple[str, ...] = FIT_SENTENCES
    threads: int | None = None
    budget_s: float | None = None  # gradient: stop stepping after this many seconds (the best step is kept)
    quality_margin: float | None = 0.1  # guard: DistillMOS may fall this far below the start's (None: no guard)
    guard_steps: int = 8           # guard: points tried on the line from the fit back to its start
    guard_refine: int = 2          # guard: halvings of the last step, to keep as much of the fit as passes
    guard_sentences: tuple[str, ...] = GUARD_SENTENCES
    encoder: str | None = None     # a GE2E checkpoint (`enunciate train-encoder`); None: resemblyzer's
    mos_weight: float = 0.0        # gradient: minus this times the fit renderings' DistillMOS joins the loss
    start_voice: str | None = None  # gradient: continue from this clone folder's blend and offset

    def check(self) -> "CloneConfig":
        if self.method not in METHODS:
            raise EnunciateError(f"unknown clone method {self.method!r}; available: {', '.join(METHODS)}")
        if self.init not in INITS:
            raise EnunciateError(f"unknown init {self.init!r}; available: {', '.join(INITS)}")
        if self.steps < 0:
            raise EnunciateError(f"steps must be 0 or more, got {self.steps}")
        if self.method == "cmaes" and self.population < 2:
            raise EnunciateError(f"CMA-ES needs a population of at least 2, got {self.population}")
        if not any(s.strip() for s in self.sentences):
            raise EnunciateError("fitting needs at least one sentence to synthesize")
        if self.prior < 0:
            raise EnunciateError(f"the prior's weight must be 0 or more, got {self.prior}")
        if self.mos_weight < 0:
            raise EnunciateError(f"the DistillMOS weight must be 0 or more, got {self.mos_weight}")
        if (self.mos_weight or self.start_voice) and self.method != "gradient":
            raise EnunciateError("a DistillMOS weight and a start voice need the gradient method")
        return self


@dataclass(frozen=True)
class Target:
    """What a fit aims at: one speaker's GE2E embedding, mean log-mel shape and mean log F0."""

    name: str
    embedding: np.ndarray     # (256,)
    mel_shape: np.ndarray     # (40,)
    log_f0: float | None      # mean log Hz over voiced frames; None when nothing was voiced

    def to_json(self) -> dict:
        return {"name": self.name, "embedding": [float(v) for v in self.embedding],
                "mel_shape": [float(v) for v in self.mel_shape], "log_f0": self.log_f0}

    @classmethod
    def from_json(cls, d: dict) -> "Target":
        return cls(d["name"], np.asarray(d["embedding"], np.float32), np.asarray(d["mel_shape"], np.float32),
                   d.get("log_f0"))


@dataclass
class Fit:
    """A fitted style: table = blend of the packs by `weights` + `offset`."""

    target: str
    weights: np.ndarray
    offset: np.ndarray
    similarity: float             # GE2E cosine to the target on the fit sentences, at the kept step
    loss: float
    step: int                     # the step (or generation) whose parameters were kept
    seconds: float
    history: list[dict] = field(default_factory=list)
    start: np.ndarray | None = None   # the blend weights the fit started from (offset 0)
    guard: dict | None = None         # what guard_quality measured and kept

    def table(self, space: StyleSpace | None = None) -> np.ndarray:
        return (space or style_space()).table(self.weights, self.offset)

    def blend(self, space: StyleSpace | None = None) -> dict[str, float]:
        return {name: round(float(w), 4) for name, w in zip((space or style_space()).names, self.weights)}


@dataclass
class CloneResult:
    manifest: object              # VoiceManifest of the written folder
    fit: Fit
    clips: list[ReferenceClip]
    warnings: list[str]


# --- measuring speech ---------------------------------------------------------------------------------

def mel_shape(wav16, frontend=None):
    """Mean log-mel (40 GE2E channels) over frames within 40 dB of the loudest, its own mean
    removed: the spectral envelope without the loudness. Torch in, torch out (differentiable)."""
    import torch

    from .ge2e import MelFrontend

    frontend = frontend or MelFrontend()
    log_mel = torch.log(frontend(wav16[None])[0] + 1e-6)
    level = log_mel.detach().mean(dim=1)
    keep = level > level.max() - math.log(1e4)
    shape = log_mel[keep].mean(dim=0)
    return shape - shape.mean()


def mean_log_f0(audio: np.ndarray, sample_rate: int) -> float | None:
    """Mean log F0 (Hz) over YIN's voiced frames; None when too little is voiced."""
    from ..audio import resample
    from ..evaluate.intrusive import ANALYSIS_RATE, yin_f0

    f0 = yin_f0(resample(np.asarray(audio, np.float32), sample_rate, ANALYSIS_RATE), ANALYSIS_RATE)
    voiced = f0[f0 > 0]
    return float(np.mean(np.log(voiced))) if len(voiced) >= 10 else None


def target_from_clips(name: str, clips: Sequence[ReferenceClip], weights: str | None = None) -> Target:
    """A speaker's target from its reference clips (16 kHz, trimmed)."""
    import torch

    from .ge2e import embed_speaker

    embedding = embed_speaker([c.audio for c in clips], clips[0].sample_rate, weights)
    with torch.no_grad():
        shapes = [mel_shape(torch.from_numpy(c.audio)).numpy() for c in clips]
    f0s = [f for f in (mean_log_f0(c.audio, c.sample_rate) for c in clips) if f is not None]
    return Target(name, embedding, np.mean(shapes, axis=0).astype(np.float32), float(np.mean(f0s)) if f0s else None)


def kokoro_phonemes(texts: Sequence[str]) -> list[str]:
    """Texts as enunciate's frontend renders them for Kokoro (one string per planned chunk)."""
    from ..options import SpeakOptions
    from ..pipeline import Report, plan
    from ..voices.base import Voice, VoiceInfo
    from ..voices.kokoro import SAMPLE_RATE as RATE, vocab

    class Spelling(Voice):  # what planning needs of a Kokoro voice, without loading its model
        alphabet, max_symbols, sample_rate = "kokoro", 500, RATE
        symbols = frozenset(vocab())
        info = VoiceInfo("kokoro", "kokoro", RATE, 0, "", "", "")

    return [chunk.phonemes for text in texts if text.strip()
            for chunk in plan(text, SpeakOptions(), Spelling(), Report())]


def token_ids(phonemes: Sequence[str]) -> list[list[int]]:
    from ..voices.kokoro import vocab

    table = vocab()
    return [[table[ch] for ch in p if ch in table][:510] for p in phonemes]


# --- the gradient fit ---------------------------------------------------------------------------------

def fit_gradient(targets: Sequence[Target], ids: Sequence[Sequence[int]], config: CloneConfig, model=None,
                 space: StyleSpace | None = None, encoder_weights: str | None = None,
                 progress: Progress | None = None) -> list[Fit]:
    """Fit one style per target through the PyTorch Kokoro, all targets in one padded batch.

    ids: the fit sentences as Kokoro token ids (`token_ids(kokoro_phonemes(texts))`); model, space
    and encoder_weights default to the installed ones (a GPU machine without the packages passes
    its own)."""
    import torch

    from ..voices.torch_runtime import torch_device
    from .ge2e import Embedder, load_encoder, resample_torch
    from .render import StyleRenderer, as_heard, voiced_log_f0

    config = config.check()
    start = time.perf_counter()
    device = torch_device(config.device)
    torch.manual_seed(config.seed)
    if config.threads and device.type == "cpu":
        torch.set_num_threads(config.threads)
    if model is None:
        from ..voices.kokoro_torch import load_model

        model = load_model(device)
    space = space or style_space(config.directions)
    n_targets, n_sentences = len(targets), len(ids)
    renderer = StyleRenderer(model, [list(x) for x in ids] * n_targets)  # item b: target b // n_sentences
    owner = torch.arange(len(renderer), device=device) // n_sentences
    packs = torch.from_numpy(space.packs).to(device)[:, renderer.rows.to(device)]  # (K, B, 256)
    scale = torch.from_numpy(space.scale).to(device)
    embedder = Embedder(load_encoder(encoder_weights or config.encoder, str(device)))
    goal = torch.from_numpy(np.stack([t.embedding for t in targets])).to(device)
    goal_shape = torch.from_numpy(np.stack([t.mel_shape for t in targets])).to(device)
    goal_f0 = [t.log_f0 for t in targets]

    logits = torch.zeros(n_targets, len(space.names), device=device)
    if config.init == "best":
        logits = _best_packs(renderer, packs, owner, embedder, goal, space.names, progress)
    start_weights = torch.softmax(logits, dim=-1).cpu().numpy()
    z = torch.zeros(n_targets, 256, device=device)
    if config.start_voice:  # the guard still walks back to the pack chosen above
        weights, offset = clone_start(config.start_voice, space)
        logits = torch.log(torch.from_numpy(weights).clamp(min=1e-8)).float().to(device).repeat(n_targets, 1)
        z = (torch.from_numpy(offset) / torch.from_numpy(space.scale)).float().to(device).repeat(n_targets, 1)
    logits.requires_grad_(True)
    z_timbre = z[:, :128].clone().requires_grad_(True)
    z_prosody = z[:, 128:].clone().requires_grad_(config.prosody)
    listener = Listener(device) if config.mos_weight else None
    optimizer = torch.optim.Adam([logits, z_timbre] + ([z_prosody] if config.prosody else []), lr=config.lr)

    def styles():
        weights = torch.softmax(logits, dim=-1)[owner]                       # (B, K)
        offset = (torch.cat([z_timbre, z_prosody], dim=1) * scale)[owner]    # (B, 256)
        return torch.einsum("bk,kbd->bd", weights, packs) + offset

    renderer.align(styles().detach())
    best: list[Fit | None] = [None] * n_targets
    history: list[list[dict]] = [[] for _ in targets]
    for step in range(config.steps + 1):  # the last pass only measures the final parameters
        out = renderer.render(styles(), prosody=config.prosody)
        items = out.items()
        embeddings = embedder(items, SAMPLE_RATE)
        losses, similarities = [], []
        for t in range(n_targets):
            mine = [b for b in range(len(items)) if int(owner[b]) == t]
            e = embeddings[mine].mean(dim=0)
            similarity = (e / e.norm()) @ goal[t]
            shapes = torch.stack([mel_shape(resample_torch(items[b], SAMPLE_RATE, 16000), embedder.frontend)
                                  for b in mine])
            loss = 1 - similarity + config.mel_weight * (shapes.mean(dim=0) - goal_shape[t]).square().mean()
            if goal_f0[t] is not None:
                log_f0 = as_heard(voiced_log_f0(out.f0[mine], out.f0_mask[mine]), [items[b] for b in mine],
                                  SAMPLE_RATE)
                loss = loss + config.pitch_weight * (log_f0 - goal_f0[t]) ** 2
            z = torch.cat([z_timbre[t], z_prosody[t]]) if config.prosody else z_timbre[t]
            loss = loss + config.prior * z.square().mean()
            record = {}
            if listener is not None:
                mos = torch.stack([listener.score(items[b], SAMPLE_RATE) for b in mine]).mean()
                loss = loss - config.mos_weight * mos
                record["distillmos"] = round(float(mos.detach()), 4)
            losses.append(loss)
            value, similarity = float(loss.detach()), float(similarity.detach())
            similarities.append(similarity)
            history[t].append({"step": step, "loss": round(value, 5), "similarity": round(similarity, 5), **record})
            if best[t] is None or value < best[t].loss:
                w = torch.softmax(logits[t].detach(), dim=-1).cpu().numpy()
                offset = (torch.cat([z_timbre[t], z_prosody[t]]).detach() * scale).cpu().numpy()
                best[t] = Fit(targets[t].name, w, offset, similarity, value, step, 0.0)
        if progress:
            progress(f"step {step}/{config.steps}: GE2E similarity "
                     + ", ".join(f"{s:.3f}" for s in similarities) + f" ({time.perf_counter() - start:.0f} s)")
        if step == config.steps or (config.budget_s and time.perf_counter() - start > config.budget_s):
            break
        optimizer.zero_grad()
        torch.stack(losses).sum().backward()
        optimizer.step()
        if config.prosody and config.realign_every and (step + 1) % config.realign_every == 0:
            renderer.align(styles().detach())
    seconds = time.perf_counter() - start
    return [replace(fit, seconds=seconds, history=h, start=w0) for fit, h, w0 in zip(best, history, start_weights)]


def _best_packs(renderer, packs, owner, embedder, goal, names: Sequence[str], progress: Progress | None):
    """Logits that start each target from the pack (or the mean of the packs) it sounds most like."""
    import torch

    k = packs.shape[0]
    candidates = [torch.eye(k)[i] * 4.0 for i in range(k)] + [torch.zeros(k)]
    scores = []
    with torch.no_grad():
        for c in candidates:
            w = torch.softmax(c.to(packs.device), dim=0)
            styles = torch.einsum("k,kbd->bd", w, packs)
            renderer.align(styles)
            embeddings = embedder(renderer.render(styles).items(), SAMPLE_RATE)
            score = []
            for t in range(len(goal)):
                e = embeddings[owner == t].mean(dim=0)
                score.append(float((e / e.norm()) @ goal[t]))
            scores.append(score)
    scores = np.array(scores)  # (candidates, targets)
    choice = scores.argmax(axis=0)
    if progress:
        progress("starting from " + ", ".join(f"{'mean' if c == k else names[c]} ({scores[c, t]:.3f})"
                                              for t, c in enumerate(choice)))
    return torch.stack([candidates[c] for c in choice]).to(packs.device)


# --- the gradient-free fit ----------------------------------------------------------------------------

def fit_cmaes(target: Target, phonemes: Sequence[str], config: CloneConfig, voice=None,
              progress: Progress | None = None) -> Fit:
    """Fit a style with CMA-ES through the ONNX Kokoro: no torch model, no gradients."""
    import torch

    from .cmaes import CMAES
    from .ge2e import embed_utterance

    config = config.check()
    start = time.perf_counter()
    space = style_space(config.directions)
    k = len(space.names)
    voice = voice or onnx_kokoro(config.threads)

    def unpack(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return softmax(x[:k]), x[k:] @ space.directions

    def evaluate(x: np.ndarray) -> tuple[float, float]:
        weights, offset = unpack(x)
        voice.style = space.table(weights, offset)
        audio = [voice.synthesize(p).audio for p in phonemes]
        e = np.mean([embed_utterance(a, SAMPLE_RATE, config.encoder) for a in audio], axis=0)
        similarity = float(e @ target.embedding / np.linalg.norm(e))
        loss = 1 - similarity
        with torch.no_grad():
            from ..audio import resample

            shapes = [mel_shape(torch.from_numpy(resample(a, SAMPLE_RATE, 16000))).numpy() for a in audio]
        loss += config.mel_weight * float(np.mean((np.mean(shapes, axis=0) - target.mel_shape) ** 2))
        log_f0 = mean_log_f0(np.concatenate(audio), SAMPLE_RATE)
        if target.log_f0 is not None and log_f0 is not None:
            loss += config.pitch_weight * (log_f0 - target.log_f0) ** 2
        loss += config.prior * float(np.mean((offset / space.scale) ** 2))
        return loss, similarity

    x0 = np.zeros(k + len(space.directions))
    history = []
    if config.init == "best":
        tries = [np.concatenate([np.eye(k)[i] * 4.0, np.zeros(len(space.directions))]) for i in range(k)] + [x0]
        scored = [evaluate(x) for x in tries]
        pick = int(np.argmax([s for _, s in scored]))
        x0, (loss0, similarity0) = tries[pick], scored[pick]
    else:
        loss0, similarity0 = evaluate(x0)
    es = CMAES(x0, config.sigma, config.population, config.seed)
    es.best_x, es.best_loss = x0.copy(), loss0
    best_similarity, best_generation = similarity0, 0
    for generation in range(1, config.steps + 1):
        xs = es.ask()
        results = [evaluate(x) for x in xs]
        before = es.best_loss
        es.tell(xs, [loss for loss, _ in results])
        if es.best_loss < before:
            best_similarity, best_generation = results[int(np.argmin([r[0] for r in results]))][1], generation
        history.append({"step": generation, "loss": round(min(r[0] for r in results), 5),
                        "similarity": round(max(r[1] for r in results), 5), "sigma": round(es.sigma, 4)})
        if progress:
            progress(f"generation {generation}/{config.steps}: best GE2E similarity {best_similarity:.3f} "
                     f"({time.perf_counter() - start:.0f} s)")
    weights, offset = unpack(es.best_x)
    return Fit(target.name, weights, offset, best_similarity, float(es.best_loss), best_generation,
               time.perf_counter() - start, history, start=unpack(x0)[0])


def onnx_kokoro(threads: int | None = None):
    """The built-in Kokoro through ONNX Runtime, its style table to be set per candidate."""
    from ..voices.base import default_threads
    from ..voices.kokoro import KokoroVoice
    from ..voices.registry import info_of, resolve

    base = resolve("kokoro")
    return KokoroVoice(base.path("model"), base.path("vocab"), style_space().mean, threads or default_threads(),
                       info_of(base))


# --- the quality guard --------------------------------------------------------------------------------

def guard_quality(fit: Fit, target: Target, config: CloneConfig, voice=None, progress: Progress | None = None) -> Fit:
    """Pull a fit back toward the style it started from until it sounds as clean as that start.

    Maximising GE2E similarity can find styles the encoder likes that are buzzy or rough to a
    listener (in the study, heart's fit lost 1.8 DistillMOS for +0.15 similarity). The table is
    linear in (weights, offset), so the way back is the straight line between the fitted table and
    the start's: the guard walks it from the fit (alpha = 1) towards the start (alpha = 0) and keeps
    the first point whose DistillMOS on `guard_sentences` (not the fit's: a fit can overfit its own;
    ONNX Runtime, as the voice will run) is within `quality_margin` of the start's, then halves the
    step it last took `guard_refine` times (`walk_back`), so no more of the fit is given up than the
    floor asks. The similarity kept is measured on those sentences too."""
    from ..evaluate.mos import distillmos_score
    from .ge2e import embed_utterance

    if fit.start is None or config.quality_margin is None:
        return fit
    voice = voice or onnx_kokoro(config.threads)
    space = style_space()
    phonemes = kokoro_phonemes(config.guard_sentences)

    def measure(weights: np.ndarray, offset: np.ndarray) -> tuple[float, float]:
        voice.style = space.table(weights, offset)
        audio = [voice.synthesize(p).audio for p in phonemes]
        e = np.mean([embed_utterance(a, SAMPLE_RATE, config.encoder) for a in audio], axis=0)
        mos = float(np.mean([distillmos_score(a, SAMPLE_RATE) for a in audio]))
        return mos, float(e @ target.embedding / np.linalg.norm(e))

    start_mos, start_similarity = measure(fit.start, np.zeros_like(fit.offset))
    floor = start_mos - config.quality_margin

    def at(alpha: float) -> tuple[float, float]:
        if alpha <= 0:
            return start_mos, start_similarity
        mos, similarity = measure((1 - alpha) * fit.start + alpha * fit.weights, alpha * fit.offset)
        if progress:
            progress(f"quality guard: alpha {alpha:.3f}: DistillMOS {mos:.2f} (floor {floor:.2f}), "
                     f"GE2E similarity {similarity:.3f}")
        return mos, similarity

    alpha, (mos, similarity), tried = walk_back(at, floor, config.guard_steps, config.guard_refine)
    weights, offset = (1 - alpha) * fit.start + alpha * fit.weights, alpha * fit.offset
    guard = {"alpha": round(float(alpha), 4), "distillmos": round(mos, 3), "start_distillmos": round(start_mos, 3),
             "margin": config.quality_margin, "fit_similarity_before": round(fit.similarity, 4),
             "tried": [[round(a, 4), round(m, 3), round(s, 4)] for a, (m, s) in tried]}
    return replace(fit, weights=weights, offset=offset, similarity=similarity, guard=guard)


def walk_back(at: Callable[[float], tuple[float, float]], floor: float, steps: int, refine: int = 0):
    """The largest alpha on the line fit (1) -> start (0) whose score passes `floor`, as the guard
    searches it: `steps` even steps down from 1 to the first that passes (`at(0)`, the start, is
    taken to pass), then `refine` halvings of the interval between it and the last that failed.
    `at(alpha)` -> (score, similarity). Returns (alpha, its (score, similarity), every point tried)."""
    tried = []
    failed = None
    for alpha in np.linspace(1.0, 0.0, max(steps, 1) + 1):
        result = at(float(alpha))
        tried.append((float(alpha), result))
        if alpha <= 0 or result[0] >= floor:
            break
        failed = float(alpha)
    passed, kept = float(alpha), result
    for _ in range(refine if failed is not None else 0):
        middle = (passed + failed) / 2
        result = at(middle)
        tried.append((middle, result))
        if result[0] >= floor:
            passed, kept = middle, result
        else:
            failed = middle
    return passed, kept, tried


# --- the command --------------------------------------------------------------------------------------

def clone(references: Sequence[str | Path], name: str, out: str | Path | None = None,
          config: CloneConfig = CloneConfig(), command: str | None = None, force: bool = False,
          progress: Progress | None = None) -> CloneResult:
    """Fit a Kokoro voice to reference clips of one speaker and write it as a voice folder: `out`,
    or the voice store under `name` when out is None. Bad clips raise or warn before any fitting."""
    from ..voices.store import check_name

    config = config.check()
    check_name(name)
    if not references:
        raise EnunciateError("clone needs at least one reference clip")
    clips = [load_reference(path) for path in references]
    notes = [n for c in clips for n in c.warnings]
    from .ge2e import embed_utterance

    embeddings = [embed_utterance(c.audio, c.sample_rate, config.encoder) for c in clips]
    notes += check_references(clips, embeddings)
    for note in notes:
        if progress:
            progress(f"warning: {note}")
    target = target_from_clips(name, clips, config.encoder)
    phonemes = kokoro_phonemes(config.sentences)
    if config.method == "gradient":
        fit = fit_gradient([target], token_ids(phonemes), config, progress=progress)[0]
    else:
        fit = fit_cmaes(target, phonemes, config, progress=progress)
    fit = guard_quality(fit, target, config, progress=progress)
    manifest = write_clone(out, name, fit, clips, config, command, force)
    return CloneResult(manifest, fit, clips, notes)


def write_clone(out: str | Path | None, name: str, fit: Fit, clips: Sequence[ReferenceClip], config: CloneConfig,
                command: str | None = None, force: bool = False, description: str | None = None):
    """The voice folder of a fit: voice.json (base kokoro, provenance of the fit) + style.npy."""
    from ..voices.folder import FileRef, Provenance, VoiceManifest, write_voice_folder
    from ..voices.store import add

    params = {k: v for k, v in asdict(config).items() if k not in ("threads",)}
    params["sentences"] = list(config.sentences)
    params["guard_sentences"] = list(config.guard_sentences)
    params.update(blend=fit.blend(), offset_norm=round(float(np.linalg.norm(fit.offset)), 4), kept_step=fit.step,
                  references=[c.record() for c in clips], quality_guard=fit.guard)
    if config.start_voice:  # the name may later stand for another table (a shipped voice refitted)
        from ..cache import sha256_file
        from ..voices.registry import resolve

        params["start_style_sha256"] = sha256_file(resolve(config.start_voice).path("style"))
    names = ", ".join(Path(c.path).name for c in clips)
    manifest = VoiceManifest(
        name, "kokoro", "kokoro", SAMPLE_RATE, {"style": FileRef("style.npy")}, language="en-US",
        licence="Apache-2.0 (Kokoro-82M); the style is fitted to the reference speaker's voice",
        description=description or f"Kokoro style fitted to {names} ({config.method}, GE2E similarity "
                                   f"{fit.similarity:.2f} on the fit sentences)",
        engines=("onnx", "torch"),
        provenance=Provenance("enunciate clone", parent="kokoro", method="clone", params=params, command=command),
        metrics={"ge2e_similarity": round(fit.similarity, 4), "fit_loss": round(fit.loss, 5),
                 "fit_seconds": round(fit.seconds, 1)},
        base="kokoro")
    with tempfile.TemporaryDirectory(prefix="enunciate-clone-") as tmp:
        style = Path(tmp) / "style.npy"
        np.save(style, fit.table())
        if out is not None:
            return write_voice_folder(out, manifest, {"style": style}, force=force)
        staged = write_voice_folder(Path(tmp) / name, manifest, {"style": style})
        return add(staged.folder, name, force=force)
