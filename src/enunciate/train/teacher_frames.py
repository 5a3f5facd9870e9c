"""A teacher's frame parameters, cached for distillation: what `train student` learns from.

    render_teacher("heart", sentences, "out/student-frames")
    data = TeacherFrames("out/student-frames")      # rows: ids, durations, frames; frames memory-mapped

Each sentence goes through enunciate's frontend as `speak` would say it, then through the
teacher's ONNX network (a hibari-family voice: heart, or a folder made from it); no audio is
rendered, since teacher and student share the DSP. Per clip, `<clip>.npy` holds the frames
([frames, 3006] float16: lh, theta, ln, lr, phi over 601 bins, then F0 in Hz; about 2 MB a
sentence) and `index.jsonl` a row: id, text, phonemes, token ids, the teacher's durations
(600-sample units, 2 frames each), the frame count. The frames file is renamed into place before
its row is appended, so a rerun keeps every indexed clip and renders the rest. Lines of the
evaluation dev set are never rendered; a few clips are held back for validation by a hash of their id.
"""
from __future__ import annotations

import json
import logging
import math
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import EnunciateError

log = logging.getLogger(__name__)

BINS = 601
BRANCHES = ("lh", "theta", "ln", "lr", "phi")
COLUMNS = BINS * len(BRANCHES) + 1          # the five branches, then F0
FRAMES_PER_UNIT = 2                          # heart's durations count 600 samples, frames are 300
DURATION_TENSOR = "/Round_output_0"
F0_SCALE = 100.0                             # F0 is modelled in units of 100 Hz
VALIDATION_SHARE = 0.03
INDEX = "index.jsonl"


def dev_texts() -> set[str]:
    """The evaluation dev set's sentences: never rendered for training."""
    from ..evaluate.command import DEFAULT_TERMS
    from ..evaluate.terms import load_term_set

    if not Path(DEFAULT_TERMS).is_file():
        return set()
    return {item.text.strip() for item in load_term_set(DEFAULT_TERMS)}


@dataclass(frozen=True)
class Rendered:
    folder: Path
    clips: int           # clips of the sentences asked for (what a run trains on)
    rendered: int        # rendered by this call
    held_out: int        # corpus lines left out because the dev set holds them
    frames: int          # frames of those clips
    ids: frozenset[str] = frozenset()  # their clip ids


def teacher_manifest(teacher: str):
    """The teacher's manifest; it must be of the hibari family (its ONNX gives the frame parameters)."""
    from ..voices.registry import resolve

    manifest = resolve(teacher)
    if manifest.family != "hibari":
        raise EnunciateError(f"voice {manifest.name!r} is of family {manifest.family!r}; a student is distilled "
                             "from a hibari-family voice (heart, or a folder made from it), whose network gives "
                             "frame parameters")
    return manifest


def render_teacher(teacher: str, sentences, folder: str | Path, threads: int | None = None,
                   progress: bool = False) -> Rendered:
    """Each sentence through the frontend and the teacher's network into `folder`: <clip>.npy
    ([frames, 3006] float16) and a row of index.jsonl (ids, durations, frames). A clip already
    there is kept when it was rendered from the same text (a rerun resumes), and rendered again when
    the sentence's text changed (a shared folder never gives a run another corpus's frames); sentences
    of the dev set are left out. The folder may hold other corpora's clips: `Rendered.ids` names the
    ones of these sentences."""
    from ..options import SpeakOptions
    from ..pipeline import Report, plan

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    held = dev_texts()
    kept = [s for s in sentences if s.text.strip() not in held]
    index = _read_index(folder)
    from ..options import VoiceSpec

    teacher_manifest(teacher)
    voice = VoiceSpec(teacher, threads=threads).load()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(kept), unit="line", desc=f"teacher frames ({teacher})", dynamic_ncols=True)
    rendered = 0
    ids: set[str] = set()
    options = SpeakOptions(markup="plain")
    stale = False
    with open(folder / INDEX, "a", encoding="utf-8") as out:
        for sentence in kept:
            if bar is not None:
                bar.update(1)
            cached = _clips_of(index, sentence.id)
            if cached and all(index[clip]["text"] == sentence.text for clip in cached):
                ids.update(cached)
                continue
            for clip in cached:  # rendered from another text under this id: replaced below
                del index[clip]
                stale = True
            try:
                chunks = list(plan(sentence.text, options, voice, Report()))
            except EnunciateError as e:
                log.warning("line %s cannot be spoken (%s); left out", sentence.id, e)
                continue
            for k, chunk in enumerate(chunks):
                row = write_clip(voice, folder, f"{sentence.id}-{k}", sentence.text, chunk.phonemes)
                if row is None:
                    continue
                clip = row["id"]
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                out.flush()
                index[clip] = row
                ids.add(clip)
                rendered += 1
    if bar is not None:
        bar.close()
    if stale:  # the index without the replaced rows' old versions
        (folder / INDEX).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in index.values()),
                                    encoding="utf-8")
    if not ids:
        raise EnunciateError("the corpus gave no speakable sentence (every line was empty, held out as a dev-set "
                             "sentence, or normalized to nothing); give a corpus of English sentences")
    return Rendered(folder, len(ids), rendered, len(sentences) - len(kept), sum(index[c]["frames"] for c in ids),
                    frozenset(ids))


def write_clip(voice, folder: Path, clip: str, text: str, phonemes: str) -> dict | None:
    """One clip through the teacher's network: `<clip>.npy` written (renamed into place) and its
    index row returned; None when the phonemes hold too little to say."""
    feeds = voice.feeds(phonemes)
    if feeds["ids"].shape[1] < 3:
        return None
    outputs = voice.network_outputs(phonemes)
    frames = np.concatenate([*(outputs[b][0] for b in BRANCHES), outputs["f0"][0][None]], 0).T
    durations = outputs[DURATION_TENSOR].reshape(-1)
    tmp = folder / f".{clip}.npy.part"
    with open(tmp, "wb") as f:
        np.save(f, frames.astype(np.float16))
    os.replace(tmp, folder / f"{clip}.npy")
    return {"id": clip, "text": text, "phonemes": phonemes, "ids": feeds["ids"][0].tolist(),
            "durations": durations.astype(int).tolist(), "frames": int(frames.shape[0])}


def _clips_of(index: dict[str, dict], sentence_id: str) -> list[str]:
    """The clip ids of one sentence in the index: `<sentence id>-0`, `-1`, ... while they run on."""
    clips = []
    while f"{sentence_id}-{len(clips)}" in index:
        clips.append(f"{sentence_id}-{len(clips)}")
    return clips


def _read_index(folder: Path) -> dict[str, dict]:
    """The index's complete rows whose frames file exists (a torn last line is dropped)."""
    rows = {}
    path = folder / INDEX
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if (folder / f"{row['id']}.npy").is_file():
                rows[row["id"]] = row
    if path.is_file():  # rewrite without the rows dropped, so appends continue a clean file
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows.values()), encoding="utf-8")
    return rows


class TeacherFrames:
    """The cached clips of a `render_teacher` folder (those named in `clips`, or all); frames are
    memory-mapped, read per crop."""

    def __init__(self, folder: str | Path, clips: frozenset[str] | None = None):
        self.root = Path(folder)
        rows = [r for r in _read_index(self.root).values() if clips is None or r["id"] in clips]
        if not rows:
            raise EnunciateError(f"{self.root} holds no teacher frames; render them first (render_teacher)")
        held = [r for r in rows if _validation(r["id"])]
        self.validation = held[:16] if len(rows) > 20 else []
        chosen = {r["id"] for r in self.validation}
        self.rows = [r for r in rows if r["id"] not in chosen]
        self._frames: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def frames(self, row: dict) -> np.ndarray:
        if row["id"] not in self._frames:
            self._frames[row["id"]] = np.load(self.root / f"{row['id']}.npy", mmap_mode="r")
        return self._frames[row["id"]]


def _validation(clip_id: str) -> bool:
    return zlib.crc32(clip_id.encode("utf-8")) % 1000 < VALIDATION_SHARE * 1000


def principal_head(data: TeacherFrames, rank: int, limit_frames: int = 20000, seed: int = 0):
    """(mean [3006], components scaled by their spread [rank, 3006]) of the teacher's frames (F0 in
    units of 100 Hz): the output layer's starting point."""
    rng = np.random.default_rng(seed)
    picks = []
    per_clip = max(1, limit_frames // max(1, len(data)))
    for row in data.rows:
        frames = data.frames(row)
        take = rng.choice(len(frames), size=min(per_clip, len(frames)), replace=False)
        picks.append(np.asarray(frames[np.sort(take)], np.float32))
    x = np.concatenate(picks)[:limit_frames]
    x[:, -1] /= F0_SCALE
    mean = x.mean(0)
    s, vt = top_components(x - mean, rank, rng)
    spread = s / math.sqrt(max(1, len(x) - 1))
    components = np.zeros((rank, x.shape[1]), np.float32)
    components[:len(s)] = vt * spread[:, None]
    return mean.astype(np.float32), components


def top_components(x: np.ndarray, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The k largest singular values and right singular vectors of x, by a randomized range finder
    with two power iterations (Halko et al. 2011): a full SVD of 20000 x 3006 frames takes minutes."""
    q = x @ rng.standard_normal((x.shape[1], min(k + 8, *x.shape))).astype(np.float32)
    for _ in range(2):
        q = x @ (x.T @ np.linalg.qr(q)[0])
    _, s, vt = np.linalg.svd(np.linalg.qr(q)[0].T @ x, full_matrices=False)
    return s[:k], vt[:k]
