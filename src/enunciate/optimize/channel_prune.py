"""Structured channel pruning of a Piper voice's HiFi-GAN decoder, then a short distillation against
its parent: a variant with fewer channels, so less compute, on both engines.

    enunciate optimize joe --method torch-channel-prune -p amount=0.25 -p steps=200 -o joe-slim

Piper's decoder uses HiFi-GAN's "type 2" residual blocks: one dilated conv per dilation, reading and
writing the stage's residual stream, so they have no inner channels of their own. What can shrink
exactly in shape is a channel *group*: conv_pre's outputs (read by the first upsampler), and each
stage's stream (written by its upsampler and every residual conv of the stage, read by the same
convs and by the next upsampler or conv_post). Removing channel c of a group is the same as zeroing
every filter that writes it, so the pruned network is the parent with those filters at zero, in
smaller shapes. The residual convs' cost goes as (1 - amount)^2: at 0.25 they keep 56% of their
multiply-adds, at 0.5 a quarter.

Channels are ranked by the mean |input| each reader of the group sees on them while the parent
decodes corpus latents (`rank=activation`). Ranking by the L1 norms of the filters that write and
read them (`rank=l1`, the classic filter-pruning rule) did worse than a random choice on joe: on
16 held-out crops, before distillation, the loss below was 1.69 (L1), 1.45 (random), 1.02
(activation) at amount 0.25, and 3.16, 2.31, 2.08 at 0.5.

Distillation then fits the pruned decoder to the parent's: both decode the same latent crops
(the parent's flow output for sentences spoken through enunciate's frontend, with the parent's
seeded noise); the loss is L1 on log mels at three resolutions, L1 on the waveform, and L1 between
the stream each group hands on and the parent's kept channels. Only the decoder trains; the text
side and the flow are the parent's, so durations are unchanged. A step costs 0.13-0.3 s on 2 cores:
the default 600 take about 1.5 min. Measured on joe (benchmarks/results/channel_prune.md): 0.77x
the parent's time at amount 0.25 and 0.60x at 0.5, at DistillMOS -0.59 and -1.70.

The variant's ONNX file is the parent's graph with the decoder's initializers replaced (new shapes;
their stale shape annotations dropped), so the loaders' rewrites (seeded noise, the durations
output) apply to it unchanged and both engines run it.
"""
from __future__ import annotations

import contextlib
import logging
import math
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

# Before torch loads OpenMP: spinning threads on a busy 2-core machine made a distillation step
# 10-20x slower (3 s against 0.2-0.3 s, measured beside two other jobs); the Makefile and tests set the same.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from ..errors import EnunciateError  # noqa: E402
from . import Job, Method, Result, count_onnx, register  # noqa: E402

log = logging.getLogger(__name__)

MAX_AMOUNT = 0.9
SEGMENT_FRAMES = 24          # latent frames per training crop (6144 samples at joe's hop of 256)
BATCH = 2                    # crops per step
SENTENCES = 16               # corpus sentences turned into latents
EVAL_CROPS = 8               # fixed crops on which the loss is reported before and after
RANK_CROPS = 8               # crops on which the activation ranking is measured
RANKINGS = ("activation", "l1")
WAVE_WEIGHT = 1.0
FEATURE_WEIGHT = 1.0
JUDGED_SENTENCES = 30        # the dev set's first sentences are for judging; distillation never sees them
MEL_RESOLUTIONS = ((512, 128, 64), (1024, 256, 80), (2048, 512, 128))  # n_fft, hop, mel bands


@dataclass(frozen=True)
class ChannelGroup:
    """Channels that must shrink together: outputs of the `writers`, inputs of the `readers`
    (module names inside the decoder)."""

    name: str
    writers: tuple[str, ...]
    readers: tuple[str, ...]


@dataclass(frozen=True)
class Distilled:
    """What a distillation run measured: the loss on fixed crops before and after, per-step losses."""

    loss_before: float
    loss_after: float
    losses: tuple[float, ...]
    seconds: float


# --- the groups and their ranking ------------------------------------------------------------------

def decoder_groups(dec: nn.Module) -> list[ChannelGroup]:
    """conv_pre's outputs, then each upsampling stage's residual stream."""
    groups = [ChannelGroup("conv_pre", ("conv_pre",), ("ups.0",))]
    n = dec.n_kernels
    for i in range(len(dec.ups)):
        convs = tuple(f"resblocks.{j}.convs.{k}" for j in range(i * n, (i + 1) * n)
                      for k in range(len(dec.resblocks[j].convs)))
        reader = f"ups.{i + 1}" if i + 1 < len(dec.ups) else "conv_post"
        groups.append(ChannelGroup(f"stage {i}", (f"ups.{i}", *convs), (*convs, reader)))
    return groups


def _out_axis(module: nn.Module) -> int:
    """Conv1d weights are [out, in, k]; ConvTranspose1d weights [in, out, k]."""
    return 1 if isinstance(module, nn.ConvTranspose1d) else 0


def _per_channel(values: torch.Tensor, axis: int) -> torch.Tensor:
    """Mean |value| per channel along `axis`, scaled to mean 1 (so every layer of a group counts alike)."""
    means = values.abs().mean(dim=[d for d in range(values.dim()) if d != axis])
    return means / means.mean()


def l1_scores(dec: nn.Module) -> dict[str, torch.Tensor]:
    """Per group: the L1 norms of the filters that write and read each channel."""
    modules = dict(dec.named_modules())
    return {g.name: sum(_per_channel(modules[w].weight, _out_axis(modules[w])) for w in g.writers)
            + sum(_per_channel(modules[r].weight, 1 - _out_axis(modules[r])) for r in g.readers)
            for g in decoder_groups(dec)}


def activation_scores(dec: nn.Module, z: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per group: the mean |input| each reader sees on each channel while decoding the latents `z`."""
    modules = dict(dec.named_modules())
    seen: dict[str, torch.Tensor] = {}
    hooks = [modules[r].register_forward_pre_hook(lambda _, args, r=r: seen.__setitem__(r, _per_channel(args[0], 1)))
             for g in decoder_groups(dec) for r in g.readers]
    try:
        with torch.no_grad():
            dec(z)
    finally:
        for hook in hooks:
            hook.remove()
    return {g.name: sum(seen[r] for r in g.readers) for g in decoder_groups(dec)}


def kept_channels(dec: nn.Module, amount: float, scores: dict[str, torch.Tensor]) -> dict[ChannelGroup, torch.Tensor]:
    """For each group, the indices (ascending) of the channels that stay: the highest-scoring
    round(n * (1 - amount)), at least one."""
    kept = {}
    for group in decoder_groups(dec):
        n = max(1, round(len(scores[group.name]) * (1 - amount)))
        kept[group] = torch.sort(torch.topk(scores[group.name], n).indices).values
    return kept


def prune_decoder(model: nn.Module, kept: dict[ChannelGroup, torch.Tensor]) -> nn.Module:
    """A copy of the Vits `model` whose decoder keeps only the `kept` channels of each group."""
    from ..voices.vits.model import Vits

    dec = model.dec
    out_keep = {w: idx for g, idx in kept.items() for w in g.writers}
    in_keep = {r: idx for g, idx in kept.items() for r in g.readers}
    state = {}
    for key, tensor in model.state_dict().items():
        if key.startswith("dec."):
            name, _, param = key[4:].rpartition(".")
            axis = _out_axis(dec.get_submodule(name))
            if name in out_keep:
                tensor = tensor.index_select(axis if param == "weight" else 0, out_keep[name])
            if name in in_keep and param == "weight":
                tensor = tensor.index_select(1 - axis, in_keep[name])
        state[key] = tensor.clone()
    widths = tuple(len(kept[g]) for g in decoder_groups(dec))
    pruned = Vits(replace(model.cfg, decoder_channels=widths))
    pruned.load_state_dict(state, strict=True)
    return pruned.eval().requires_grad_(False)


# --- distillation ------------------------------------------------------------------------------------

class _Latents(nn.Module):
    """Stands in for the decoder to catch its input: the flow's output for the whole utterance."""

    def forward(self, z: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        self.z = z
        return z


def latents(model: nn.Module, feeds: list[dict], seed: int) -> list[torch.Tensor]:
    """The decoder inputs [channels, frames] the parent makes for each feed (Piper's model inputs,
    its noise scales included), noise drawn from seed + i."""
    catch, dec = _Latents(), model.dec
    model.dec = catch
    out = []
    try:
        with torch.inference_mode():
            for i, feed in enumerate(feeds):
                ids = torch.from_numpy(feed["input"])
                noise_scale, length_scale, noise_w = (float(s) for s in feed["scales"])
                model.infer(ids, torch.tensor([ids.shape[1]]), noise_scale, length_scale, noise_w,
                            generators=[torch.Generator().manual_seed(seed + i)])
                out.append(catch.z[0].clone())
    finally:
        model.dec = dec
    return out


def distill_loss(audio: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L1 on log mels at MEL_RESOLUTIONS plus WAVE_WEIGHT x L1 on samples; audio [b, samples]."""
    from ..train.features import SpectrogramConfig, log_mel

    mel = sum(F.l1_loss(log_mel(audio, cfg), log_mel(target, cfg))
              for cfg in (SpectrogramConfig(n_fft=n, hop_length=h, win_length=n, n_mels=m)
                          for n, h, m in MEL_RESOLUTIONS)) / len(MEL_RESOLUTIONS)
    return mel + WAVE_WEIGHT * F.l1_loss(audio, target)


def _crops(pool: list[torch.Tensor], n: int, gen: torch.Generator) -> torch.Tensor:
    """n random SEGMENT_FRAMES-long crops [n, channels, SEGMENT_FRAMES] from the latents in pool."""
    picks = torch.randint(len(pool), (n,), generator=gen).tolist()
    out = []
    for i in picks:
        start = int(torch.randint(pool[i].shape[1] - SEGMENT_FRAMES + 1, (), generator=gen))
        out.append(pool[i][:, start:start + SEGMENT_FRAMES])
    return torch.stack(out)


@contextlib.contextmanager
def _handed_on(dec: nn.Module, groups) -> Iterator[dict[str, torch.Tensor]]:
    """While open, the stream each group hands on (the input of its last reader), by group name."""
    seen: dict[str, torch.Tensor] = {}
    hooks = [dec.get_submodule(g.readers[-1]).register_forward_pre_hook(
        lambda _, args, name=g.name: seen.__setitem__(name, args[0])) for g in groups]
    try:
        yield seen
    finally:
        for hook in hooks:
            hook.remove()


def feature_loss(student: dict[str, torch.Tensor], teacher: dict[str, torch.Tensor],
                 kept: dict[ChannelGroup, torch.Tensor]) -> torch.Tensor:
    """Sum over groups of the L1 distance between the student's stream and the teacher's kept
    channels, each relative to the teacher's mean |value|."""
    total = 0.0
    for group, idx in kept.items():
        target = teacher[group.name].index_select(1, idx)
        total = total + (student[group.name] - target).abs().mean() / target.abs().mean().clamp_min(1e-8)
    return total


def distill(teacher: nn.Module, student: nn.Module, kept: dict[ChannelGroup, torch.Tensor], pool: list[torch.Tensor],
            steps: int, lr: float, seed: int, progress: bool = True) -> Distilled:
    """Fit student's decoder to teacher's on random latent crops: Adam, `steps` steps of BATCH crops,
    the learning rate falling from `lr` to 0 on a cosine. The objective is `distill_loss` on the audio
    plus FEATURE_WEIGHT x `feature_loss` on the streams between stages (at amount 0.25 and 400 steps it
    lifted PESQ against the parent from 1.75 to 2.5); the loss reported before and after is the audio's."""
    from tqdm import tqdm

    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    with torch.no_grad():
        held = _crops(pool, EVAL_CROPS, torch.Generator().manual_seed(seed + 1))
        held_target = teacher.dec(held)[:, 0]
        before = float(distill_loss(student.dec(held)[:, 0], held_target))
    dec = student.dec.train().requires_grad_(True)
    optimizer = torch.optim.Adam(dec.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda i: 0.5 * (1 + math.cos(math.pi * i / max(steps, 1))))
    losses = []
    start = time.perf_counter()
    bar = tqdm(range(steps), desc="distilling the pruned decoder", unit="step", disable=None if progress else True)
    with _handed_on(teacher.dec, kept) as teacher_streams, _handed_on(dec, kept) as streams:
        for _ in bar:
            z = _crops(pool, BATCH, gen)
            with torch.no_grad():
                target = teacher.dec(z)[:, 0]
            loss = distill_loss(dec(z)[:, 0], target) + FEATURE_WEIGHT * feature_loss(streams, teacher_streams, kept)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            losses.append(float(loss.detach()))
            bar.set_postfix(loss=f"{losses[-1]:.4f}")
    dec.eval().requires_grad_(False)
    with torch.no_grad():
        after = float(distill_loss(dec(held)[:, 0], held_target))
    return Distilled(before, after, tuple(losses), time.perf_counter() - start)


def default_corpus() -> tuple[str, ...]:
    """The dev set's sentences after the first JUDGED_SENTENCES, which `enunciate eval` judges."""
    from ..bench.run import read_texts
    from ..evaluate.terms import DEV_SET

    if not DEV_SET.is_file():
        raise EnunciateError(f"no dev set at {DEV_SET} to distil on; pass --corpus FILE")
    return read_texts(DEV_SET)[JUDGED_SENTENCES:]


# --- writing the variant -------------------------------------------------------------------------------

def write_decoder(source: Path, model: nn.Module, out: Path) -> None:
    """A copy of the ONNX file `source` with every decoder initializer taken from `model`, in its
    own shape. The decoder's intermediate shape annotations are dropped (ONNX Runtime infers them)."""
    import onnx
    from onnx import numpy_helper

    from .torch_methods import initializer_names

    graph_model = onnx.load(str(source))
    graph = graph_model.graph
    names = initializer_names(graph)
    weights = {names[k]: v for k, v in model.state_dict().items() if k.startswith("dec.")}
    missing = [k for k in model.state_dict() if k.startswith("dec.") and k not in names]
    if missing:
        raise EnunciateError(f"{source.name} has no initializer for {', '.join(missing[:3])}")
    for init in graph.initializer:
        if init.name in weights:
            old = numpy_helper.to_array(init)
            init.CopyFrom(numpy_helper.from_array(weights[init.name].detach().numpy().astype(old.dtype), init.name))
    kept = [v for v in graph.value_info if not v.name.startswith("/dec/")]
    del graph.value_info[:]
    graph.value_info.extend(kept)
    onnx.checker.check_model(graph_model)
    onnx.save(graph_model, str(out))


def _params(job: Job) -> tuple[float, int, float, int, str]:
    amount, steps, lr, seed, rank = (job.params[k] for k in ("amount", "steps", "lr", "seed", "rank"))
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not 0 < amount <= MAX_AMOUNT:
        raise EnunciateError(f"amount is the share of decoder channels to remove, above 0 and at most {MAX_AMOUNT} "
                             f"(e.g. 0.25); got {amount!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise EnunciateError(f"steps is the number of distillation steps, a whole number >= 0 (0: none); got {steps!r}")
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < 1:
        raise EnunciateError(f"lr is Adam's learning rate, above 0 and below 1 (e.g. 5e-4); got {lr!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise EnunciateError(f"seed is a whole number; got {seed!r}")
    if rank not in RANKINGS:
        raise EnunciateError(f"rank must be one of {', '.join(RANKINGS)}; got {rank!r}")
    return float(amount), steps, float(lr), seed, rank


def _channel_prune(job: Job) -> Result:
    from .onnx_methods import calibration_feeds
    from .torch_methods import load_vits

    amount, steps, lr, seed, rank = _params(job)
    source = job.parent.path("model")
    try:
        parent = load_vits(source)
    except ValueError as e:  # a Piper "high" voice: HiFi-GAN type 1 resblocks
        raise EnunciateError(f"torch-channel-prune cannot read {job.parent.name!r}: {e}") from e
    pool = []
    if steps or rank == "activation":
        corpus = job.corpus or default_corpus()
        pool = [z for z in latents(parent, calibration_feeds(replace(job, corpus=corpus), SENTENCES), seed)
                if z.shape[1] >= SEGMENT_FRAMES]
        if not pool:
            raise EnunciateError(f"the corpus gives no utterance of {SEGMENT_FRAMES} latent frames or more "
                                 "(about 0.3 s); give whole sentences")
    scores = (activation_scores(parent.dec, _crops(pool, RANK_CROPS, torch.Generator().manual_seed(seed + 2)))
              if rank == "activation" else l1_scores(parent.dec))
    kept = kept_channels(parent.dec, amount, scores)
    student = prune_decoder(parent, kept)
    counts = {"decoder_channels": ",".join(map(str, student.cfg.decoder_widths)),
              "parent_decoder_channels": ",".join(map(str, parent.cfg.decoder_widths))}
    if steps:
        done = distill(parent, student, kept, pool, steps, lr, seed)
        log.info("distilled %d steps in %.0f s: loss %.4f -> %.4f", steps, done.seconds, done.loss_before,
                 done.loss_after)
        counts.update(distill_loss_before=round(done.loss_before, 5), distill_loss_after=round(done.loss_after, 5),
                      distill_s=round(done.seconds, 1), distill_utterances=len(pool))
    out = job.workdir / source.name
    write_decoder(source, student, out)
    return Result({"model": out}, {}, {**count_onnx(out), **counts})


register(Method("torch-channel-prune", "torch", ("piper",), _channel_prune,
                {"amount": 0.25, "steps": 600, "lr": 5e-4, "seed": 0, "rank": "activation"},
                "structured pruning: removes amount of the HiFi-GAN decoder's channels, then distils it against "
                "the parent for steps on --corpus (default: the dev set past its first 30); smaller shapes, "
                "both engines"))
