"""The fine-tune study: joe adapted toward about ten minutes of another speaker (heart), with its
timing kept, and judged on sentences and a reference that training never saw
(benchmarks/results/finetune_speaker.*). Every step is an enunciate command, printed as it runs;
a step whose output is already there is skipped, so a killed study resumes by rerunning it.

    python benchmarks/finetune_speaker.py --work out/ft --steps 1000 --warmup-steps 300

1. the target's speech: `enunciate make-dataset --voice heart` on the first 85 lines of
   benchmarks/data/speaker_corpus.txt (README and docs prose, `train_student.py corpus`) and 20
   lexicon-term sentences, 10.4 minutes;
2. the reference the similarity is measured against: heart reading the first release-note
   sentences of tests/data/release_notes.tsv (about 30 s), held out of the dataset;
3. `enunciate finetune joe … --freeze-durations` (full fine-tuning unless --lora; --freeze-decoder
   keeps joe's decoder);
4. `enunciate eval` of heart, joe and the adapted joe on the first 20 dev sentences, against joe:
   GE2E similarity to the reference, Whisper base WER and term hit rate, DistillMOS, paired
   bootstrap intervals;
5. the training curves (PNG);
6. where the quality goes: DistillMOS of 8 training clips as heart said them, as the adapted decoder
   rebuilds them from the posterior latents (teacher-forced), from the prior on the clips' own
   alignment, and as inference says the same text (`--decoder-check` alone reruns this step).

`--speaker joe` makes the control: joe trained on its own speech, so any loss is the training's.
`--speaker kokoro-jm_kumo` adapts joe toward another male speaker (the Kokoro style pack jm_kumo).
"""
from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

from train_student import curves

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "benchmarks" / "data" / "speaker_corpus.txt"
RELEASE_NOTES = ROOT / "tests" / "data" / "release_notes.tsv"
RESULTS = ROOT / "benchmarks" / "results"
VITS_LOSSES = ["loss", "mel", "kl", "duration", "adversarial", "feature_matching", "disc"]


def enunciate(*args: str) -> None:
    command = [sys.executable, "-m", "enunciate", *args]
    print("$ enunciate", " ".join(args), flush=True)
    subprocess.run(command, check=True)


def reference_text(sentences: int) -> str:
    with RELEASE_NOTES.open(encoding="utf-8") as f:
        rows = csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t")
        return " ".join(row["text"] for _, row in zip(range(sentences), rows))


def trained(voice: Path, data: Path):
    """The trainer of a fine-tuned voice folder with its last checkpoint loaded, on its dataset, and
    that checkpoint."""
    import torch

    from enunciate.train.finetune import TrainOptions, checkpoints, make_trainer
    from enunciate.voices.folder import read_manifest

    params = read_manifest(voice).provenance.params
    lora = read_manifest(voice).provenance.method == "finetune-lora"
    options = TrainOptions(steps=params["steps"], batch_size=params["batch_size"], lora=lora,
                           learning_rate=params["learning_rate"], seed=params["seed"],
                           **({"lora_rank": params["lora_rank"], "lora_alpha": params["lora_alpha"]} if lora else {}),
                           segment_frames=params["segment_frames"], discriminator_width=params["discriminator_width"],
                           posterior_warmup_steps=params["warmup_steps"], freeze_durations=params["freeze_durations"],
                           freeze_decoder=params.get("freeze_decoder", False),
                           posterior_prefit_steps=params.get("prefit_steps", 0),
                           skip_bad_rows=True)
    trainer = make_trainer("joe", data, options)
    checkpoint = checkpoints(voice.with_name(voice.name + ".train"))[0]
    trainer.load_state_dict(torch.load(checkpoint, map_location="cpu", weights_only=True)["trainer"])
    return trainer, checkpoint


def decoder_check(voice: Path, data: Path, out: Path, speaker: str = "heart", steps: tuple[int, ...] = (3, 7)) -> dict:
    """DistillMOS of the batches of `steps` (4 clips each): the target audio, the adapted decoder on the
    posterior's mean latents, on prior samples along the clips' alignment, and full inference."""
    import numpy as np
    import torch

    from enunciate.evaluate.mos import distillmos_score

    trainer, checkpoint = trained(voice, data)
    model, training = trainer.voice.model.eval(), trainer.training.eval()
    rate, hop = trainer.voice.sample_rate, trainer.voice.hop_length
    scores = {"target": [], "posterior": [], "prior_aligned": [], "inference": []}
    torch.manual_seed(0)
    with torch.no_grad():
        for step in steps:
            batch = trainer.batch(step)
            lat = training.latents(batch, sample=False)  # the posterior's mean
            rebuilt = model.dec(lat.z)[:, 0]
            from_prior = model.decode(lat.m_p + torch.randn_like(lat.m_p) * torch.exp(lat.logs_p) * 0.667, lat.y_mask,
                                      padded=True)
            for i, frames in enumerate(batch.frame_lengths):
                said = model.infer(batch.ids[i:i + 1, :batch.id_lengths[i]], torch.tensor([batch.id_lengths[i]]))
                clips = {"target": batch.audio[i], "posterior": rebuilt[i], "prior_aligned": from_prior[i],
                         "inference": said.audio[0]}
                for key, clip in clips.items():
                    end = frames * hop if key != "inference" else len(clip)
                    scores[key].append(round(distillmos_score(clip[:end].numpy(), rate, 2), 3))
    result = {"voice": str(voice), "checkpoint": checkpoint.name, "batches": list(steps),
              "rows": f"training clips ({speaker}'s speech)", "distillmos": scores,
              "mean": {k: round(float(np.mean(v)), 3) for k, v in scores.items()}}
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    for key, value in result["mean"].items():
        print(f"{key:>14}  DistillMOS {value:.2f}")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("out/ft"), help="where the dataset and voices go")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--warmup-steps", type=int, default=300)
    parser.add_argument("--lr", default="5e-5")
    parser.add_argument("--lora", action="store_true")
    parser.add_argument("--freeze-decoder", action="store_true",
                        help="keep joe's decoder: only the flow and the new posterior encoder train")
    parser.add_argument("--prefit", type=int, default=0,
                        help="first steps fitting the posterior encoder to joe's own latents (--posterior-prefit)")
    parser.add_argument("--speaker", default="heart",
                        help="whose speech joe learns from; joe itself makes the control run (its own latent space)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--name", default="finetune_speaker", help="results file stem")
    parser.add_argument("--decoder-check", action="store_true", help="only step 6, on the trained voice")
    args = parser.parse_args(argv)

    work = args.work
    dataset, reference = work / f"{args.speaker}10", work / f"{args.speaker}_ref.wav"
    kind = ("-lora" if args.lora else "") + ("-kept-decoder" if args.freeze_decoder else "") \
        + (f"-prefit{args.prefit}" if args.prefit else "")
    voice = work / f"joe-{args.speaker}{kind}"
    if args.decoder_check:
        decoder_check(voice, dataset, RESULTS / f"{args.name}_decoder.json", args.speaker)
        return
    if not (dataset / "dataset.json").exists() or len((dataset / "metadata.csv").read_text().splitlines()) < 105:
        enunciate("make-dataset", "--voice", args.speaker, "--texts", str(CORPUS), "-o", str(dataset),
                  "--limit", "85", "--augment-terms", "20")
    if not reference.exists():
        enunciate("speak", "--voice", args.speaker, "--plain", "-o", str(reference), reference_text(8))
    train = ["finetune", "joe", str(dataset), "-o", str(voice), "--freeze-durations", "--steps", str(args.steps),
             "--batch-size", "4", "--discriminator-width", "0.5", "--warmup-steps", str(args.warmup_steps),
             "--lr", args.lr, "--checkpoint-every", "50", "--skip-bad-rows", "--device", args.device]
    enunciate(*train, *(["--lora"] if args.lora else []), *(["--freeze-decoder"] if args.freeze_decoder else []),
              *(["--posterior-prefit", str(args.prefit)] if args.prefit else []), "--force")
    target = "heart" if args.speaker == "joe" else args.speaker   # the control is compared with heart too
    enunciate("eval", "--voices", f"{target},joe,{voice}", "--against", "joe", "--mos", "--asr", "base",
              "--limit", "20", "--threads", "2", "--similarity-ref", str(reference),
              "--json", str(RESULTS / f"{args.name}.json"), "--markdown", str(RESULTS / f"{args.name}.md"))
    curves(voice.with_name(voice.name + ".train") / "log.jsonl", RESULTS / f"{args.name}.png",
           VITS_LOSSES[:4] if args.freeze_decoder else VITS_LOSSES)
    decoder_check(voice, dataset, RESULTS / f"{args.name}_decoder.json", args.speaker)


if __name__ == "__main__":
    main()
