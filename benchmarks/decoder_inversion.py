"""How well can joe's decoder say another speaker at all? The latents of training clips are fitted
directly, clip by clip, through the kept decoder (gradient descent on the mel L1, the loss training
uses, with the decoder's weights fixed), and the clips it then makes are scored (DistillMOS).

A fine-tune with the decoder kept learns a posterior encoder that finds such latents for every
clip at once; fitting each clip's latents alone bounds what it can reach. If the fitted clips sound
as good as the originals, the posterior encoder is what loses quality; if they do not, the decoder
itself must train (benchmarks/results/decoder_inversion*.json, docs/training.md).

    python benchmarks/decoder_inversion.py out/ft/joe-kokoro-jm_kumo-kept-decoder-prefit300 \\
        out/ft/kokoro-jm_kumo10 --name decoder_inversion_kumo
    python benchmarks/decoder_inversion.py out/ft/joe-kokoro-jm_kumo-kept-decoder-prefit300 \\
        out/ft/joe10 --name decoder_inversion_joe          # the control: joe's own clips

The fit starts from the posterior's mean latents of the given fine-tune and runs --iterations
Adam steps; each step decodes --chunks windows of 64 frames drawn from all the batch's clips.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from finetune_speaker import trained

RESULTS = Path(__file__).resolve().parent / "results"
WINDOW = 64


def fit(model, training, batch, start, iterations: int, lr: float, chunks: int, seed: int = 0):
    """The batch's latents, from `start`, fitted to its audio through the fixed decoder; the mel L1
    per iteration."""
    import torch

    from enunciate.train.features import log_mel

    hop, cfg = training.spectrogram.hop_length, training.spectrogram
    z = start.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    generator = torch.Generator().manual_seed(seed)
    windows = [(i, s) for i, n in enumerate(batch.frame_lengths) for s in range(0, n - WINDOW + 1, WINDOW // 2)]
    curve = []
    for _ in range(iterations):
        pick = torch.randperm(len(windows), generator=generator)[:chunks].tolist()
        zs = torch.stack([z[windows[k][0], :, windows[k][1]:windows[k][1] + WINDOW] for k in pick])
        real = torch.stack([batch.audio[windows[k][0], windows[k][1] * hop:(windows[k][1] + WINDOW) * hop]
                            for k in pick])
        made = model.dec(zs)[:, 0]
        loss = torch.nn.functional.l1_loss(log_mel(made, cfg), log_mel(real, cfg))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        curve.append(round(float(loss.detach()), 4))
    return z.detach(), curve


def main(argv: list[str] | None = None) -> None:
    import numpy as np
    import torch

    from enunciate.evaluate.mos import distillmos_score
    from enunciate.train.features import log_mel

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("voice", type=Path, help="a joe fine-tune folder (its posterior encoder starts the fit)")
    parser.add_argument("data", type=Path, help="the dataset whose clips are fitted")
    parser.add_argument("--batches", default="3,7", help="the training batches (4 clips each) fitted")
    parser.add_argument("--iterations", type=int, default=400)
    parser.add_argument("--lr", type=float, default=0.03)
    parser.add_argument("--chunks", type=int, default=16, help="64-frame windows decoded per iteration")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--name", default="decoder_inversion", help="results file stem")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    trainer, checkpoint = trained(args.voice, args.data)
    model, training = trainer.voice.model.eval(), trainer.training.eval()
    model.requires_grad_(False)
    rate, hop, cfg = trainer.voice.sample_rate, trainer.voice.hop_length, training.spectrogram
    rows, curves = [], {}
    started = time.perf_counter()
    for step in map(int, args.batches.split(",")):
        batch = trainer.batch(step)
        with torch.no_grad():
            posterior = training.latents(batch, sample=False).z
        fitted, curves[step] = fit(model, training, batch, posterior, args.iterations, args.lr, args.chunks, seed=step)
        with torch.no_grad():
            for i, frames in enumerate(batch.frame_lengths):
                real = batch.audio[i, :frames * hop]
                row = {"row": batch.rows[i], "seconds": round(frames * hop / rate, 2)}
                for key, z in (("target", None), ("posterior", posterior), ("fitted", fitted)):
                    clip = real if z is None else model.dec(z[i:i + 1, :, :frames])[0, 0]
                    row[key] = round(distillmos_score(clip.numpy(), rate, 2), 3)
                    if z is not None:
                        row[f"{key}_mel_l1"] = round(float(torch.nn.functional.l1_loss(
                            log_mel(clip[None], cfg), log_mel(real[None], cfg))), 4)
                rows.append(row)
                print(json.dumps(row), flush=True)
    keys = ["target", "posterior", "fitted", "posterior_mel_l1", "fitted_mel_l1"]
    result = {"voice": str(args.voice), "checkpoint": checkpoint.name, "data": str(args.data),
              "batches": args.batches, "iterations": args.iterations, "lr": args.lr, "chunks": args.chunks,
              "window_frames": WINDOW, "threads": args.threads,
              "minutes": round((time.perf_counter() - started) / 60, 1),
              "mean": {k: round(float(np.mean([r[k] for r in rows])), 3) for k in keys},
              "rows": rows, "mel_l1_curve": {str(k): v[::10] for k, v in curves.items()}}
    out = RESULTS / f"{args.name}.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    for key in keys:
        print(f"{key:>18}  {result['mean'][key]:.3f}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
