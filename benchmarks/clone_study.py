"""Cloning study: can a Kokoro style fitted to a reference speaker sound like that speaker on
sentences it was not fitted to, and still speak clearly?

References enunciate did not fit to: a held paragraph (about 45 s) read by joe (Piper VITS), heart
(hibari, distilled from Kokoro's af_heart) and espeak-ng (formant synthesis). For each, a Kokoro
style is fitted by `enunciate.speakers.clone` (gradient method) to the paragraph, then measured on
four *different* held-out sentences: GE2E similarity of the clone's rendering to the reference
speaker's rendering of the same sentence, against every shipped Japanese pack (and their mean);
Whisper (base) WER and DistillMOS on six dev-set sentences that neither the fit nor the references
used. Intervals: 95% bootstrap over sentences.

Three steps, so the fitting can run where a GPU is (it has no PyPI and gets the source tree plus
a few staged files):

    python benchmarks/clone_study.py prepare                 # CPU: references, targets -> .gpu/clone/
    PYTHONPATH=src python3 benchmarks/clone_study.py fit --device cuda --kokoro .gpu/kokoro/kokoro.onnx.xz \\
        --steps 400 --budget-s 170 --out OUT                 # the fits -> OUT/fits.json
    python benchmarks/clone_study.py measure --fits OUT/fits.json [--ship]
        # CPU: benchmarks/results/clone_study.{json,md,png}; --ship writes voices/data/kokoro-{heart,joe}
    python benchmarks/clone_study.py measure --margin 0.05  # the guard at another margin -> clone_study_margin0.05.*

`fit --device cpu` works too (about 40 s a step on 2 cores for one sentence: hours for a study).
`fit --mos-weight W` puts DistillMOS in the loss (docs/clone.md); the GPU machine then needs the
distillmos package (17 MB) on its PYTHONPATH.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import lzma
import os
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

ROOT = Path(__file__).resolve().parents[1]
STAGE = ROOT / ".gpu" / "clone"              # what travels to the GPU machine (git-ignored)
WORK = ROOT / "out" / "clone_study"          # reference audio and the cloned folders (git-ignored)
RESULTS = ROOT / "benchmarks" / "results"
SPEAKERS = ("joe", "heart", "espeak-ng")

PARAGRAPH = (
    "The old lighthouse stood at the edge of the harbour for more than a century. Every evening the keeper "
    "climbed its narrow stairs, wound the clockwork, and lit the great lamp that swept the water until dawn. "
    "Fishermen trusted it more than any chart. When storms came in from the west, the keeper stayed awake "
    "through the night, listening to the wind and watching the boats find their way home. Years later, an "
    "automatic light replaced him, and the stairs fell quiet. Still, people in the town tell their children "
    "about the man who never missed a single night, and about the letters he wrote to the ships he saw pass "
    "by in the dark.")
HELD_OUT = (
    "A warm breeze carried the smell of rain across the empty market square.",
    "She packed her notebooks, locked the office, and caught the last train north.",
    "Nobody expected the small garden behind the library to win the prize.",
    "The children counted the stars until their grandmother called them inside.",
)
# dev-set sentences (enunciate/evaluate/data/tech_sentences.tsv) not among clone.FIT_SENTENCES
DEV = (
    "The PostgreSQL query returned in 35 ms on an H100.",
    "The server CPU boosts to 2.5 GHz and has 64 cores.",
    "The macOS build of the CLI is signed and notarized.",
    "This regex matches IPv4 addresses but not IPv6 ones.",
    "Use OAuth with PKCE for the CLI login flow.",
    "A LoRA adapter adds only 12 MB to the 3B base model.",
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- speakers ------------------------------------------------------------------------------------------

def say(speaker: str, text: str) -> tuple[np.ndarray, int]:
    """`speaker` (a voice name, a voice folder, or espeak-ng) reading `text`."""
    if speaker == "espeak-ng":
        from enunciate.evaluate.espeak_audio import synthesize

        return synthesize(text)
    import enunciate

    speech = enunciate.speak(text, voice=speaker, seed=0)
    return speech.audio, speech.sample_rate


# --- prepare (CPU) -------------------------------------------------------------------------------------

def prepare(args) -> None:
    """References and held-out renderings -> WORK; fit targets, token ids, the style space's rows
    and the encoder (fp16) -> STAGE, small enough to travel beside the 58 MiB Kokoro model."""
    import torch

    from enunciate.audio import write_audio
    from enunciate.speakers.clone import FIT_SENTENCES, kokoro_phonemes, target_from_clips, token_ids
    from enunciate.speakers.ge2e import pretrained_path
    from enunciate.speakers.reference import load_reference
    from enunciate.speakers.styles import style_space

    WORK.mkdir(parents=True, exist_ok=True)
    STAGE.mkdir(parents=True, exist_ok=True)
    targets, references = [], {}
    for speaker in SPEAKERS:
        t0 = time.perf_counter()
        audio, rate = say(speaker, PARAGRAPH)
        path = write_audio(WORK / f"reference-{speaker}.wav", audio, rate)
        for i, sentence in enumerate(HELD_OUT):
            write_audio(WORK / f"heldout-{speaker}-{i}.wav", *say(speaker, sentence))
        clip = load_reference(path)
        references[speaker] = clip.record()
        targets.append(target_from_clips(speaker, [clip]))
        log(f"{speaker}: {clip.duration_s:.1f} s, {clip.speech_s:.1f} s of speech, DNSMOS background "
            f"{clip.background:.2f} ({time.perf_counter() - t0:.0f} s)")
    ids = token_ids(kokoro_phonemes(FIT_SENTENCES))
    rows = sorted({min(len(x), 510) - 1 for x in ids})
    space = style_space()
    np.savez(STAGE / "space.npz", names=np.array(space.names), rows=np.array(rows), packs=space.packs[:, rows],
             scale=space.scale, directions=space.directions)
    state = torch.load(pretrained_path(), map_location="cpu", weights_only=False)["model_state"]
    torch.save({"model_state": {k: v.half() for k, v in state.items()}}, STAGE / "encoder.pt")
    (STAGE / "inputs.json").write_text(json.dumps({
        "targets": [t.to_json() for t in targets], "ids": ids, "sentences": list(FIT_SENTENCES),
        "references": references}, indent=1))
    log(f"staged {', '.join(p.name for p in STAGE.iterdir())} in {STAGE}")


# --- fit (GPU or CPU) ----------------------------------------------------------------------------------

def _staged_space():
    """The style space from STAGE: only the rows the fit sentences read are filled (the fit reads
    no others; the full tables are rebuilt from the weights and offsets on the CPU)."""
    from enunciate.speakers.styles import ROWS, StyleSpace

    with np.load(STAGE / "space.npz") as z:
        packs = np.zeros((len(z["names"]), ROWS, z["packs"].shape[-1]), np.float32)
        packs[:, z["rows"]] = z["packs"]
        return StyleSpace(tuple(str(n) for n in z["names"]), packs, z["scale"], z["directions"])


def _model(kokoro: str, device):
    from enunciate.voices.kokoro_torch import load_model

    path = Path(kokoro)
    if path.suffix == ".xz":
        onnx = Path(tempfile.gettempdir()) / "kokoro-clone-study.onnx"
        if not onnx.exists():
            with lzma.open(path) as src, open(f"{onnx}.part", "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 24)
            os.replace(f"{onnx}.part", onnx)
        path = onnx
    return load_model(device, "fp32", str(path))


def fit(args) -> None:
    import torch

    from enunciate.speakers.clone import CloneConfig, Target, fit_gradient
    from enunciate.voices.torch_runtime import torch_device

    t0 = time.perf_counter()
    inputs = json.loads((STAGE / "inputs.json").read_text())
    targets = [Target.from_json(t) for t in inputs["targets"]]
    device = torch_device(args.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    else:
        torch.set_num_threads(args.threads)
    model = _model(args.kokoro, device)
    space = _staged_space()
    ids = inputs["ids"][: args.sentences]
    log(f"model on {device} in {time.perf_counter() - t0:.0f} s; {len(targets)} targets x {len(ids)} sentences")
    runs = []
    for name, prior in zip(args.names.split(","), args.priors):
        config = CloneConfig(steps=args.steps, seed=args.seed, device=str(device), prior=prior, init=args.init,
                             budget_s=args.budget_s, sentences=tuple(inputs["sentences"][: args.sentences]),
                             mos_weight=args.mos_weight)
        fits = fit_gradient(targets, ids, config, model=model, space=space,
                            encoder_weights=str(STAGE / "encoder.pt"), progress=log)
        runs.append({"name": name, "config": {"prior": prior, "steps": args.steps, "budget_s": args.budget_s,
                                              "init": args.init, "seed": args.seed, "lr": config.lr,
                                              "mos_weight": args.mos_weight},
                     "fits": [{"target": f.target, "weights": f.weights.tolist(), "offset": f.offset.tolist(),
                               "similarity": f.similarity, "loss": f.loss, "step": f.step, "seconds": f.seconds,
                               "start": f.start.tolist(), "history": f.history} for f in fits]})
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "fits.json").write_text(json.dumps({
            "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
            "torch": torch.__version__, "command": shlex.join(["python", *sys.argv]), "runs": runs}, indent=1))
    log(f"done in {time.perf_counter() - t0:.0f} s")


# --- measure (CPU) -------------------------------------------------------------------------------------

PACKS = ("kokoro-jf_alpha", "kokoro-jf_gongitsune", "kokoro-jf_nezumi", "kokoro-jf_tebukuro", "kokoro-jm_kumo",
         "kokoro")
GOAL_SIMILARITY, WER_MARGIN, MOS_MARGIN = 0.85, 0.03, 0.1


def _interval(values) -> dict:
    from enunciate.evaluate.stats import bootstrap_ci

    low, high = bootstrap_ci(values)
    return {"mean": round(float(np.mean(values)), 4), "ci95": [round(low, 4), round(high, 4)],
            "values": [round(float(v), 4) for v in values]}


def _starts(fits_path: Path, data: dict) -> dict[str, np.ndarray]:
    """The blend each target's fit started from: in fits.json, or (older runs) the fit log's
    "starting from PACK (...), ..." line beside it."""
    from enunciate.speakers.styles import softmax, style_space

    targets = [f["target"] for f in data["runs"][0]["fits"]]
    if "start" in data["runs"][0]["fits"][0]:
        return {f["target"]: np.asarray(f["start"]) for f in data["runs"][0]["fits"]}
    line = next(x for x in (fits_path.parent / "log.txt").read_text().splitlines() if "starting from" in x)
    names = [part.strip().split(" ")[0] for part in line.split("starting from", 1)[1].split(",")]
    packs = style_space().names
    return {t: softmax(np.eye(len(packs))[packs.index(n)] * 4.0) if n in packs else np.full(len(packs), 1 / len(packs))
            for t, n in zip(targets, names)}


DEFAULT_MARGIN = 0.1  # CloneConfig's


def _guard_label(margin: float) -> str:
    return "+guard" if margin == DEFAULT_MARGIN else f"+guard{margin:g}"


def _clone_folders(fits_path: Path, margin: float = DEFAULT_MARGIN) -> tuple[dict, dict]:
    """Voice folders of every fit in fits.json (WORK/voices/<run>-<target>), and of each fit after
    the quality guard at `margin` (<run>+guard-<target>; +guard<margin> for another margin than
    the default) -> {(run, target): folder}."""
    from dataclasses import replace

    from enunciate.speakers.clone import (GUARD_SENTENCES, CloneConfig, Fit, Target, guard_quality, onnx_kokoro,
                                          write_clone)
    from enunciate.speakers.reference import load_reference

    data = json.loads(fits_path.read_text())
    inputs = json.loads((STAGE / "inputs.json").read_text())
    targets = {t["name"]: Target.from_json(t) for t in inputs["targets"]}
    starts = _starts(fits_path, data)
    voice = onnx_kokoro(2)
    folders = {}
    (WORK / "voices").mkdir(parents=True, exist_ok=True)
    for run in data["runs"]:
        c = run["config"]
        config = CloneConfig(steps=c["steps"], seed=c["seed"], device="cuda", prior=c["prior"], init=c["init"],
                             lr=c["lr"], budget_s=c["budget_s"], sentences=tuple(inputs["sentences"]),
                             quality_margin=margin)
        for f in run["fits"]:
            fit = Fit(f["target"], np.asarray(f["weights"]), np.asarray(f["offset"]), f["similarity"], f["loss"],
                      f["step"], f["seconds"], start=starts[f["target"]])
            clip = load_reference(WORK / f"reference-{f['target']}.wav", check_background=False)
            name = f"kokoro-{f['target'].replace('-ng', '')}"
            description = (f"Kokoro style fitted to {f['target']} reading a held paragraph ({clip.duration_s:.0f} s) "
                           f"by gradient through GE2E ({data['device']})")
            versions = [(run["name"], fit)]
            guard_file = WORK / "voices" / f"guard{_guard_label(margin)[6:]}-{run['name']}-{f['target']}.json"
            stamp = {"fit": f["offset"][:8], "sentences": list(GUARD_SENTENCES), "steps": config.guard_steps,
                     "refine": config.guard_refine}
            if guard_file.is_file() and json.loads(guard_file.read_text()).get("stamp") == stamp:
                kept = json.loads(guard_file.read_text())
                guarded = replace(fit, weights=np.asarray(kept["weights"]), offset=np.asarray(kept["offset"]),
                                  similarity=kept["similarity"], guard=kept["guard"])
            else:
                log(f"quality guard for {f['target']}")
                guarded = guard_quality(fit, targets[f["target"]], config, voice, progress=log)
                guard_file.write_text(json.dumps({"stamp": stamp, "weights": guarded.weights.tolist(),
                                                  "offset": guarded.offset.tolist(),
                                                  "similarity": guarded.similarity, "guard": guarded.guard}))
            versions.append((run["name"] + _guard_label(margin), guarded))
            for label, version in versions:
                out = WORK / "voices" / f"{label}-{f['target']}"
                saved = replace(config, quality_margin=margin if version.guard else None)
                write_clone(out, name, version, [clip], saved, command=data["command"], force=True,
                            description=description)
                folders[(label, f["target"])] = out
    return folders, data


def _measured(label: str, voice: str, key: str, cache: dict, asr: str) -> dict:
    """A voice's held-out embeddings and dev-sentence rows (WER, DistillMOS), computed once per
    voice, style and rendering of a probe sentence (WORK/measure_cache.json keeps them between runs)."""
    from enunciate.evaluate.asr import transcribe
    from enunciate.evaluate.mos import distillmos_score
    from enunciate.evaluate.wer import wer
    from enunciate.speakers.ge2e import embed_utterance

    t0 = time.perf_counter()
    probe, rate = say(voice, DEV[0])  # the key holds what the voice says now: a frontend or engine change re-measures
    key = f"{key}:{hashlib.sha256(np.asarray(probe, np.float32).tobytes()).hexdigest()[:16]}:{rate}"
    same = [c for c in cache.values() if isinstance(c, dict) and c.get("key") == key]
    if same:  # this voice, or another label with the same style table (a guard that kept the whole fit)
        cache[label] = same[0]
        return same[0]
    speaker = key.startswith("reference")  # a reference speaker: its held-out renderings are the files prepare wrote
    heldout = [] if speaker else [embed_utterance(*say(voice, text)).tolist() for text in HELD_OUT]
    rows = []
    for text in DEV:
        audio, rate = say(voice, text)
        heard = transcribe(audio, rate, model=asr, threads=2)
        rows.append({"text": text, "heard": heard, "wer": wer(text, heard), "mos": distillmos_score(audio, rate)})
    cache[label] = {"key": key, "heldout": heldout, "dev": rows}
    (WORK / "measure_cache.json").write_text(json.dumps(cache))
    log(f"{label}: WER {np.mean([r['wer'] for r in rows]):.3f}, DistillMOS {np.mean([r['mos'] for r in rows]):.2f} "
        f"({time.perf_counter() - t0:.0f} s)")
    return cache[label]


def measure(args) -> None:
    from enunciate.audio import read_audio
    from enunciate.cache import sha256_file
    from enunciate.speakers.ge2e import embed_utterance
    from enunciate.speakers.voicemap import draw, project
    from enunciate.voices.folder import read_manifest

    t_start = time.perf_counter()
    if args.ship and args.margin != DEFAULT_MARGIN:
        raise SystemExit(f"--ship writes the shipped voices, which use the default margin {DEFAULT_MARGIN}")
    folders, fits = _clone_folders(Path(args.fits), args.margin)
    runs = list(dict.fromkeys(run for run, _ in folders))
    shipped = next((run for run in runs if "+guard" in run), runs[0])  # mapped, and shipped with --ship
    name = "clone_study" if args.margin == DEFAULT_MARGIN else f"clone_study_margin{args.margin:g}"
    voices = {name: name for name in PACKS} | {f"{run}-{t}": str(folder) for (run, t), folder in folders.items()}
    keys = {name: "pack" for name in PACKS} | {f"{run}-{t}": sha256_file(folder / "style.npy")
                                              for (run, t), folder in folders.items()}
    cache_file = WORK / "measure_cache.json"
    cache = json.loads(cache_file.read_text()) if cache_file.is_file() and not args.fresh else {}
    if cache.get("_asr") != args.asr:
        cache = {"_asr": args.asr}
    timing = {"fit_and_guard_s": round(time.perf_counter() - t_start, 1)}

    t0 = time.perf_counter()
    reference = {s: [embed_utterance(*read_audio(WORK / f"heldout-{s}-{i}.wav")) for i in range(len(HELD_OUT))]
                 for s in SPEAKERS}
    paragraph = {s: embed_utterance(*read_audio(WORK / f"reference-{s}.wav")) for s in SPEAKERS}
    measured = {s: _measured(s, s, "reference", cache, args.asr) for s in SPEAKERS}
    measured |= {label: _measured(label, voice, keys[label], cache, args.asr) for label, voice in voices.items()}
    heldout = {label: [np.asarray(e) for e in m["heldout"]] for label, m in measured.items()}
    dev = {label: m["dev"] for label, m in measured.items()}
    timing["voices_s"] = round(time.perf_counter() - t0, 1)

    def scores(label: str, speaker: str) -> dict:
        sims = [float(a @ b) for a, b in zip(heldout[label], reference[speaker])]
        mean = np.mean(heldout[label], axis=0)
        return {"similarity": _interval(sims),
                "paragraph_similarity": round(float(mean @ paragraph[speaker] / np.linalg.norm(mean)), 4),
                "wer": _interval([r["wer"] for r in dev[label]]),
                "distillmos": _interval([r["mos"] for r in dev[label]])}

    table = {}
    for speaker in SPEAKERS:
        packs = {p: scores(p, speaker) for p in PACKS}
        best = max(packs, key=lambda p: packs[p]["similarity"]["mean"])
        clones = {run: scores(f"{run}-{speaker}", speaker) for run in runs}
        for run, c in clones.items():
            manifest = read_manifest(folders[(run, speaker)])
            if manifest.provenance.params.get("quality_guard"):
                c["guard"] = manifest.provenance.params["quality_guard"] | {
                    "similarity_after": manifest.metrics["ge2e_similarity"]}
            c["vs_best_pack"] = {
                "similarity": round(c["similarity"]["mean"] - packs[best]["similarity"]["mean"], 4),
                "wer": round(c["wer"]["mean"] - packs[best]["wer"]["mean"], 4),
                "distillmos": round(c["distillmos"]["mean"] - packs[best]["distillmos"]["mean"], 4)}
            c["goals"] = {"similarity>=0.85": c["similarity"]["mean"] >= GOAL_SIMILARITY,
                          "wer<=best+0.03": c["vs_best_pack"]["wer"] <= WER_MARGIN,
                          "mos>=best-0.1": c["vs_best_pack"]["distillmos"] >= -MOS_MARGIN}
        own = dev[speaker]
        table[speaker] = {"best_pack": best, "packs": packs, "clones": clones,
                          "reference_itself": {"wer": _interval([r["wer"] for r in own]),
                                               "distillmos": _interval([r["mos"] for r in own])}}

    points = []  # (name, kind, embedding) on the map; links join each clone (first run) to its reference
    points += [(f"{s} (reference)", "reference", paragraph[s]) for s in SPEAKERS]
    for label in voices:
        e = np.mean(heldout[label], axis=0)
        e = e / np.linalg.norm(e)
        speaker = label.removeprefix(f"{shipped}-")
        if label in PACKS:
            points.append((label, "pack", e))
        elif speaker in SPEAKERS:
            points.append((f"clone of {speaker}", "clone", e))
    links = [(f"clone of {s}", f"{s} (reference)") for s in SPEAKERS]
    names, kinds, rows = zip(*points)
    png = draw(project(names, kinds, np.stack(rows), links), RESULTS / f"{name}.png",
               f"Cloned Kokoro voices ({shipped}, red) beside their references (green) and the Japanese packs (grey)")

    result = {"command": shlex.join(["python", *sys.argv]), "fit": {k: fits[k] for k in ("device", "torch", "command")},
              "fit_runs": [{"name": r["name"], "config": r["config"],
                            "fits": [{k: f[k] for k in ("target", "similarity", "loss", "step", "seconds")}
                                     | {"steps_run": len(f["history"]),
                                        "blend": dict(zip((p.removeprefix("kokoro-") for p in PACKS[:5]),
                                                          np.round(f["weights"], 3).tolist())),
                                        "offset_norm": round(float(np.linalg.norm(f["offset"])), 3)}
                                     for f in r["fits"]]} for r in fits["runs"]],
              "asr": args.asr, "margin": args.margin, "heldout_sentences": list(HELD_OUT), "dev_sentences": list(DEV),
              "paragraph": PARAGRAPH, "references": json.loads((STAGE / "inputs.json").read_text())["references"],
              "results": table, "dev_transcripts": dev, "timing": timing | {
                  "measure_s": round(time.perf_counter() - t_start, 1)}, "map": str(png.relative_to(ROOT))}
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown(result))
    print(markdown(result))
    if args.ship:
        ship(folders, shipped, table)


def _cell(x: dict, digits: int = 3) -> str:
    return f"{x['mean']:.{digits}f} [{x['ci95'][0]:.{digits}f}, {x['ci95'][1]:.{digits}f}]"


def markdown(result: dict) -> str:
    lines = ["# Cloning study: Kokoro styles fitted to speakers outside Kokoro", "",
             f"Measured with `{result['command']}`; styles fitted with `{result['fit']['command']}` "
             f"on {result['fit']['device']} (torch {result['fit']['torch']}).", "",
             "Similarity: GE2E cosine between the voice and the reference speaker reading the same held-out "
             "sentence (4 sentences, none in the reference paragraph or the fit sentences), mean and 95% "
             f"bootstrap interval. WER: Whisper {result['asr']} on 6 dev-set sentences; DistillMOS on the same. "
             "Best pack: the shipped Japanese pack (or their mean) most similar to that speaker.", "",
             "| reference | voice | similarity | vs best pack | paragraph sim. | WER | DistillMOS | goals met |",
             "|---|---|---|---|---|---|---|---|"]
    for speaker, r in result["results"].items():
        best = r["best_pack"]
        p = r["packs"][best]
        lines.append(f"| {speaker} | best pack: {best} | {_cell(p['similarity'])} |  | {p['paragraph_similarity']:.3f} "
                     f"| {_cell(p['wer'])} | {_cell(p['distillmos'], 2)} |  |")
        for run, c in r["clones"].items():
            d = c["vs_best_pack"]
            met = ", ".join(k for k, v in c["goals"].items() if v) or "none"
            lines.append(f"| {speaker} | clone ({run}) | {_cell(c['similarity'])} | {d['similarity']:+.3f} sim, "
                         f"{d['wer']:+.3f} WER, {d['distillmos']:+.2f} MOS | {c['paragraph_similarity']:.3f} | "
                         f"{_cell(c['wer'])} | {_cell(c['distillmos'], 2)} | {met} |")
        own = r["reference_itself"]
        lines.append(f"| {speaker} | the reference speaker itself |  |  |  | {_cell(own['wer'])} | "
                     f"{_cell(own['distillmos'], 2)} |  |")
    lines += ["", "Every pack against every reference (held-out similarity, mean of 4):", "",
              "| pack | " + " | ".join(result["results"]) + " | WER | DistillMOS |",
              "|---|" + "---|" * (len(result["results"]) + 2)]
    first = next(iter(result["results"].values()))
    for pack in first["packs"]:
        sims = " | ".join(f"{r['packs'][pack]['similarity']['mean']:.3f}" for r in result["results"].values())
        lines.append(f"| {pack} | {sims} | {first['packs'][pack]['wer']['mean']:.3f} | "
                     f"{first['packs'][pack]['distillmos']['mean']:.2f} |")
    lines += ["", "Fits (similarity on the fit sentences at the kept step, as the fit measured it):", "",
              "| run | reference | prior | similarity | kept step / steps run | seconds | blend | offset norm |",
              "|---|---|---|---|---|---|---|---|"]
    for run in result["fit_runs"]:
        for f in run["fits"]:
            blend = ", ".join(f"{k} {v:.2f}" for k, v in f["blend"].items() if v >= 0.05)
            lines.append(f"| {run['name']} | {f['target']} | {run['config']['prior']} | {f['similarity']:.3f} | "
                         f"{f['step']} / {f['steps_run']} | {f['seconds']:.0f} | {blend} | {f['offset_norm']:.2f} |")
    t = result["timing"]
    guards = [(run, s, c["guard"]) for s, r in result["results"].items() for run, c in r["clones"].items()
              if c.get("guard")]
    if guards:
        from enunciate.speakers.clone import GUARD_SENTENCES

        lines += ["", "Quality guard (each fit pulled back toward its starting pack until DistillMOS on "
                  f"{len(GUARD_SENTENCES)} guard sentences (`clone.GUARD_SENTENCES`, prose and technical) is "
                  f"within {result.get('margin', DEFAULT_MARGIN):g} of the start's; alpha 1 = the fit, 0 = the start):",
                  "",
                  "| run | reference | alpha kept | DistillMOS (guard sentences) | start's | "
                  "similarity: fit sentences -> guard sentences |",
                  "|---|---|---|---|---|---|"]
        for run, speaker, g in guards:
            lines.append(f"| {run} | {speaker} | {g['alpha']:.3f} | {g['distillmos']:.2f} | "
                         f"{g['start_distillmos']:.2f} | {g['fit_similarity_before']:.3f} -> "
                         f"{g['similarity_after']:.3f} |")
    lines += ["", f"Measuring took {t['measure_s']:.0f} s on the CPU ({t['voices_s']:.0f} s rendering, transcribing "
              f"and scoring voices not cached from an earlier run; {t['fit_and_guard_s']:.0f} s writing the folders "
              f"and running the quality guard). Map: `{result['map']}`.", ""]
    return "\n".join(lines)


def ship_voice(speaker: str, folder, measured: dict, digits: int = 2):
    """A cloned voice folder as the built-in kokoro-<speaker> (voices/data), its metrics joined by
    `measured` (which holds heldout_ge2e_similarity); it must speak once written."""
    from dataclasses import replace

    import enunciate
    from enunciate.voices.folder import read_manifest, write_voice_folder

    data = ROOT / "src" / "enunciate" / "voices" / "data"
    data.mkdir(parents=True, exist_ok=True)
    m = read_manifest(folder)
    similarity = measured["heldout_ge2e_similarity"]
    m = replace(m, name=f"kokoro-{speaker}", metrics={**m.metrics, **measured},
                description=f"US English {'female' if speaker == 'heart' else 'male'}: Kokoro style fitted to "
                            f"{speaker}'s voice (held-out GE2E similarity {similarity:.{digits}f})")
    out = write_voice_folder(data / f"kokoro-{speaker}", m, {"style": m.path("style")}, force=True)
    enunciate.speak("Shipped.", voice=f"kokoro-{speaker}")
    log(f"shipped {out.folder}")
    return out


def ship(folders: dict, run: str, table: dict) -> None:
    """The fits to heart and joe as built-in voices, if Whisper understands them as well as the best
    pack (WER within the margin)."""
    for speaker in ("heart", "joe"):
        c = table[speaker]["clones"][run]
        if not c["goals"]["wer<=best+0.03"]:
            log(f"not shipping kokoro-{speaker}: WER {c['wer']['mean']:.3f} is {c['vs_best_pack']['wer']:+.3f} "
                "over the best pack's")
            continue
        ship_voice(speaker, folders[(run, speaker)], {"heldout_ge2e_similarity": c["similarity"]["mean"],
                                                      "wer": c["wer"]["mean"], "distillmos": c["distillmos"]["mean"]})


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    sub.add_parser("prepare", help="references and fit targets (CPU) -> .gpu/clone/").set_defaults(func=prepare)
    p = sub.add_parser("fit", help="fit the styles (GPU or CPU) -> OUT/fits.json")
    p.add_argument("--kokoro", default=str(ROOT / ".gpu" / "kokoro" / "kokoro.onnx.xz"),
                   help="the Kokoro ONNX (.onnx, or .onnx.xz as it travels)")
    p.add_argument("--device", default="cuda")
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--budget-s", type=float, default=None, help="stop each run's steps after this many seconds")
    p.add_argument("--priors", type=lambda s: [float(x) for x in s.split(",")], default=[0.02])
    p.add_argument("--names", default="gradient", help="comma-separated run names, one per prior")
    p.add_argument("--init", default="best", choices=("best", "mean"))
    p.add_argument("--sentences", type=int, default=4, help="fit sentences used (of 4)")
    p.add_argument("--mos-weight", type=float, default=0.0,
                   help="DistillMOS in the loss (docs/clone.md; the distillmos package, 17 MB, must be importable)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", required=True)
    p.set_defaults(func=fit)
    p = sub.add_parser("measure", help="similarity, WER, DistillMOS, map (CPU) -> benchmarks/results/clone_study.*")
    p.add_argument("--fits", default=str(ROOT / ".gpu" / "clone-fits" / "fits.json"))
    p.add_argument("--asr", default="base", choices=("base", "tiny.en"), help="Whisper model for WER")
    p.add_argument("--ship", action="store_true", help="write voices/data/kokoro-heart and kokoro-joe")
    p.add_argument("--margin", type=float, default=DEFAULT_MARGIN,
                   help="the quality guard's DistillMOS margin (default 0.1; another writes clone_study_marginM.*)")
    p.add_argument("--fresh", action="store_true", help="measure every voice again (the cache in out/clone_study "
                   "is keyed by voice and style table, not by the scorers: use this after they change)")
    p.set_defaults(func=measure)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
