"""A teacher dataset rendered by one of enunciate's voices, in LJSpeech layout, resumable.

    make_dataset("heart", "corpus.txt", "data/heart", limit=2000, augment_terms=500)

    DIR/wavs/<id>.wav      one clip per chunk the frontend made of a corpus line (16-bit WAV)
    DIR/metadata.csv       `id|text|text` (LJSpeech: the text is already what was said)
    DIR/manifest.jsonl     one JSON row per clip: text, phonemes in the voice's alphabet, per-phoneme
                           durations (and the silence before the first), F0 where the teacher exposes
                           it, the seed, the audio's SHA-256
    DIR/dataset.json       the voice, its alphabet and sample rate, the seed: what every row shares

Each corpus line goes through enunciate's frontend (`pipeline.plan`), as `speak` would say it; a
line longer than the voice's chunk budget gives several clips (`<line>-0`, `<line>-1`, ...), so
a clip's phonemes and durations are exactly what its audio says. Clip `i` is spoken with a seed
derived from its id, so a rerun makes the same audio.

Resuming: a clip's audio is written to a temporary file and renamed into place, and only then is
its row appended to manifest.jsonl (flushed and fsync'ed) by the driver. A kill at any point leaves
at most a few audio files without a row (those in flight: two groups per worker), or temporary
files, never a row without its file. On a rerun the rows
are read back; a row whose file is missing or does not match its SHA-256, a torn last line and a
repeated id are dropped, temporary files and audio without a row are removed, metadata.csv is
rewritten from the rows kept, and only the missing clips are rendered.

Technical-vocabulary augmentation (`augment_terms=K`) adds K sentences built from the technical
lexicon's terms in templates by category ("The service is written in Rust."), ids `aug-<k>`.

F0 is stored where the voice exposes it (`capabilities.f0_rate_hz`, `synthesize_with_f0`): heart's
network predicts F0 per 300-sample frame (80 Hz), 0 for the frames its DSP treats as unvoiced. The
other voices have none (Piper's VITS and SpeechT5 have no F0 output; Kokoro's ONNX keeps it inside
the graph), so their rows have `f0_hz: null` and dataset.json says why.

Rendering runs on the batch engine (`enunciate.batch.run.execute`), like `enunciate batch`: the
driver plans each line into clips (frontend only) and sends the clips not yet made to `workers`
local processes or Ray actors (`executor="ray"`), each loading the voice once; they write the audio
and return rows, which the driver appends. The rows are put back in corpus order when the run ends,
so the dataset does not depend on the executor or the number of workers.
"""
from __future__ import annotations

import json
import logging
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from ..batch.manifest import file_sha256, text_sha256
from ..batch.store import Store
from ..errors import EnunciateError
from ..options import SpeakOptions, VoiceSpec
from .data import METADATA, TEACHER_MANIFEST

log = logging.getLogger(__name__)

FORMAT = "enunciate-dataset/1"
SETTINGS = "dataset.json"
# Sentence templates by lexicon category; {term} is the term as the lexicon writes it.
TEMPLATES = {
    "language": ["The service is written in {term}.", "Port the parser to {term} next quarter."],
    "tool": ["Install {term} before you run the tests.", "We replaced the old scripts with {term}."],
    "ml": ["The paper fine-tunes {term} on a small dataset.", "Compare {term} with the baseline first."],
    "protocol": ["The client talks to the server over {term}.", "Turn on {term} for the internal traffic."],
    "hardware": ["The benchmark ran on {term}.", "Each node has {term} installed."],
    "company": ["{term} published the new release notes.", "Ask {term} support about the outage."],
    "os": ["It builds cleanly on {term}.", "Reboot the {term} machine after the update."],
    "database": ["Our data lives in {term} now.", "Migrate the tables to {term} tonight."],
    "format": ["Save the results as {term}.", "The exporter writes {term} files."],
    "cloud": ["We deploy it on {term}.", "The bill for {term} doubled this month."],
    "unit": ["The median is 35 {term}.", "It peaked at 12 {term} under load."],
    "acronym": ["Can you explain what {term} means here?", "The {term} team signed off on it."],
    "general": ["Check the {term} settings before you merge.", "Write down how the {term} works."],
}
SKIP_CATEGORIES = ("number",)


@dataclass(frozen=True)
class Sentence:
    id: str        # clips are <id>-<chunk>
    text: str


@dataclass(frozen=True)
class Clip:
    """One clip for a worker to render, planned by the driver: `phonemes` in the voice's alphabet."""

    id: str              # <sentence id>-<chunk>
    text: str            # the part of the line it says
    phonemes: str
    speed: float
    source_sha256: str   # of the whole line: a changed line is rendered again


@dataclass(frozen=True)
class DatasetSettings:
    """What every clip of a run shares (the batch engine's settings: `spec` is what each worker loads)."""

    out: str
    spec: VoiceSpec
    seed: int


@dataclass(frozen=True)
class DatasetResult:
    out: Path
    rows: int            # rows in the manifest now
    rendered: int        # clips rendered by this run
    kept: int            # rows found complete from an earlier run
    dropped: int         # rows of an earlier run dropped (missing or damaged audio, torn or repeated)
    removed_files: int   # temporary files and audio without a row that were removed
    f0: bool             # whether the rows carry F0
    audio_s: float       # seconds of audio rendered by this run


def corpus_sentences(texts: str | Path, limit: int | None = None) -> list[Sentence]:
    """The corpus's non-empty lines as sentences `000000`, `000001`, ... (at most `limit`)."""
    path = Path(texts).expanduser()
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise EnunciateError(f"corpus file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as e:
        raise EnunciateError(f"cannot read corpus file {path}: {e}") from e
    lines = [line.strip() for line in lines if line.strip()]
    if limit is not None:
        if limit < 0:
            raise EnunciateError(f"--limit must be 0 or more, got {limit}")
        lines = lines[:limit]
    return [Sentence(f"{i:06d}", line) for i, line in enumerate(lines)]


def augmentation_sentences(k: int, seed: int = 0) -> list[Sentence]:
    """K sentences, each a lexicon term in a template of its category (`aug-00000`, ...): the terms
    in a seeded order, cycling when K exceeds them."""
    from ..text.lexicon import tech_lexicon

    if k < 0:
        raise EnunciateError(f"--augment-terms must be 0 or more, got {k}")
    if k == 0:
        return []
    terms = {}
    for entry in tech_lexicon():
        if entry.is_default and entry.category not in SKIP_CATEGORIES and entry.term not in terms:
            terms[entry.term] = entry.category
    rng = np.random.default_rng(seed)
    order = list(terms.items())
    rng.shuffle(order)
    out = []
    for i in range(k):
        term, category = order[i % len(order)]
        templates = TEMPLATES.get(category, TEMPLATES["general"])
        out.append(Sentence(f"aug-{i:05d}", templates[int(rng.integers(len(templates)))].format(term=term)))
    return out


def clip_seed(seed: int, clip_id: str) -> int:
    """A clip's noise seed: from the run's seed and the clip's id, not from the order clips are made in."""
    return (seed * 1_000_003 + zlib.crc32(clip_id.encode("utf-8"))) % (2 ** 31)


# --- the record on disk --------------------------------------------------------------------------

def metadata_line(row: dict) -> str:
    text = re.sub(r"[|\r\n]+", " ", row["text"]).strip()
    return f"{row['id']}|{text}|{text}"


def recover(out: Path) -> tuple[dict[str, dict], int, int]:
    """Rows of an earlier run whose audio is intact (id -> row), how many rows were dropped, and how
    many stray files were removed; manifest.jsonl and metadata.csv are rewritten from the rows kept."""
    manifest, wavs = out / TEACHER_MANIFEST, out / "wavs"
    rows: dict[str, dict] = {}
    dropped = 0
    if manifest.is_file():
        with open(manifest, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    clip_id, path, sha = row["id"], out / row["path"], row["audio_sha256"]
                except (ValueError, KeyError, TypeError):
                    dropped += 1  # a torn line: the kill came mid-write
                    continue
                if clip_id in rows:
                    dropped += 1
                try:
                    intact = path.is_file() and file_sha256(path) == sha
                except OSError:
                    intact = False
                if intact:
                    rows[clip_id] = row
                else:
                    rows.pop(clip_id, None)
                    dropped += 1
    removed = 0
    if wavs.is_dir():
        named = {Path(row["path"]).name for row in rows.values()}
        for entry in wavs.iterdir():
            if entry.is_file() and (entry.name.startswith(".") or entry.name not in named):
                entry.unlink(missing_ok=True)  # a temp file, or audio whose row was never written
                removed += 1
    for stray in out.glob(".*.part"):
        stray.unlink(missing_ok=True)
        removed += 1
    _write_rows(out, rows.values(), manifest.is_file() or bool(rows))
    return rows, dropped, removed


def _write_rows(out: Path, rows, manifest: bool = True) -> None:
    """Rewrite manifest.jsonl (when `manifest`) and metadata.csv from `rows`, each atomically."""
    rows = list(rows)
    store = Store(out)
    if manifest:
        store.rewrite(TEACHER_MANIFEST, (json.dumps(row, ensure_ascii=False) for row in rows))
    store.rewrite(METADATA, (metadata_line(row) for row in rows))


def _forget_changed(out: Path, done: dict[str, dict], current: dict[str, str]) -> int:
    """Drop the clips of sentences whose text changed since they were rendered (an edited corpus);
    clips of sentences no longer asked for (a smaller --limit) are kept."""
    stale = [cid for cid, row in done.items()
             if current.get(cid.rsplit("-", 1)[0], row.get("source_sha256")) != row.get("source_sha256")]
    if not stale:
        return 0
    for cid in stale:
        (out / done.pop(cid)["path"]).unlink(missing_ok=True)
    _write_rows(out, done.values())
    return len(stale)


def _settings(out: Path, spec: VoiceSpec, voice, seed: int, speed: float, f0_note: str | None) -> None:
    """Write dataset.json, or check an earlier run's: rows made with another voice, seed or speed
    would not belong together."""
    rate_hz = voice.capabilities.f0_rate_hz
    wanted = {"format": FORMAT, "voice": spec.voice, "engine": voice.info.engine, "alphabet": voice.alphabet,
              "sample_rate": voice.sample_rate, "seed": seed, "speed": speed,
              "f0": None if f0_note else {"hop_samples": round(voice.sample_rate / rate_hz), "rate_hz": rate_hz},
              "f0_note": f0_note}
    path = out / SETTINGS
    if path.is_file():
        try:
            before = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise EnunciateError(f"cannot read {path}: {e}; remove it to start the dataset over") from e
        differ = [k for k in ("voice", "engine", "alphabet", "sample_rate", "seed", "speed")
                  if before.get(k) != wanted[k]]
        if differ:
            shown = ", ".join(f"{k} {before.get(k)!r} (now {wanted[k]!r})" for k in differ)
            raise EnunciateError(f"{out} was made with {shown}; resume with the same settings or choose another -o")
        return
    Store(out).rewrite(SETTINGS, [json.dumps(wanted, indent=1)])


# --- rendering -----------------------------------------------------------------------------------

def teacher_f0_note(voice) -> str | None:
    """None when the voice's rows will carry F0, else why not."""
    if voice.capabilities.f0_rate_hz:
        return None
    return (f"{voice.info.name} ({voice.info.engine}) exposes no F0 (of enunciate's voices only heart's network "
            "outputs it): rows carry f0_hz null")


def _clips(sentence: Sentence, voice, options: SpeakOptions) -> Iterator[tuple[str, str, object]]:
    """(clip id, the text it says, the planned chunk) for each chunk the frontend makes of a sentence."""
    from ..pipeline import Report, plan

    chunks = list(plan(sentence.text, options, voice, Report()))
    # a clip's text runs to where the next one starts (the last to the line's end): punctuation stays
    starts = [0, *(c.words[0].span[0] for c in chunks[1:]), len(sentence.text)]
    for k, planned in enumerate(chunks):
        yield f"{sentence.id}-{k}", sentence.text[starts[k]:starts[k + 1]].strip(), planned


def make_dataset(voice: str | VoiceSpec, texts: str | Path, out: str | Path, limit: int | None = None,
                 augment_terms: int = 0, seed: int = 0, speed: float = 1.0, lexicons: tuple[str, ...] = (),
                 progress: bool = False, executor: str = "local", workers: int = 1, ray_address: str | None = None,
                 num_cpus: float = 1) -> DatasetResult:
    """Render the corpus (and K augmentation sentences) through `voice` into `out`, resuming a
    dataset an earlier run left there, on `workers` local processes or Ray actors."""
    from ..batch.run import check_executor, execute, worker_spec

    check_executor(executor, workers)
    spec = voice if isinstance(voice, VoiceSpec) else VoiceSpec(voice)
    sentences = corpus_sentences(texts, limit) + augmentation_sentences(augment_terms, seed)
    out = Path(out).expanduser()
    try:
        (out / "wavs").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise EnunciateError(f"cannot make {out}/wavs: {e.strerror or e}") from e
    loaded = spec.load()  # the driver plans the clips with it; each worker loads its own
    f0_note = teacher_f0_note(loaded)
    if f0_note:
        log.info("%s", f0_note)
    _settings(out, spec, loaded, seed, speed, f0_note)
    done, dropped, removed = recover(out)
    dropped += _forget_changed(out, done, {s.id: text_sha256(s.text) for s in sentences})
    kept = len(done)
    options = SpeakOptions(speed=speed, seed=seed, markup="plain", lexicons=tuple(lexicons))
    settings = DatasetSettings(str(out), worker_spec(spec, executor, workers, num_cpus), seed)
    store = Store(out)
    rendered, audio_s = 0, 0.0
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(sentences), unit="line", desc="make-dataset", dynamic_ncols=True)

    def clips() -> Iterator[list[Clip]]:
        for sentence in sentences:
            source_sha = text_sha256(sentence.text)
            try:
                planned = list(_clips(sentence, loaded, options))
            except EnunciateError as e:
                log.warning("line %s (%r) skipped: %s", sentence.id, sentence.text[:60], e)
                planned = []
            for clip_id, text, chunk in planned:
                if clip_id not in done or done[clip_id].get("source_sha256") != source_sha:
                    yield [Clip(clip_id, text, chunk.phonemes, chunk.speed, source_sha)]
            if bar is not None:
                bar.update(1)
                bar.set_postfix(clips=len(done))

    try:
        for row in execute(clips(), render_clips, settings, executor, workers, ray_address, num_cpus):
            if "skipped" in row:
                log.warning("clip %s skipped: %s", row["id"], row["skipped"])
                continue
            store.append(TEACHER_MANIFEST, json.dumps(row, ensure_ascii=False))
            store.append(METADATA, metadata_line(row))
            done[row["id"]] = row
            rendered += 1
            audio_s += row["duration_s"]
    finally:
        if bar is not None:
            bar.close()
    order = {s.id: k for k, s in enumerate(sentences)}
    _write_rows(out, sorted(done.values(), key=lambda row: _place(row["id"], order)))
    return DatasetResult(out, len(done), rendered, kept, dropped, removed, f0_note is None, round(audio_s, 3))


def _place(clip_id: str, order: dict[str, int]) -> tuple[int, int]:
    """A clip's place in corpus order (clips of lines no longer asked for go last)."""
    sentence, _, chunk = clip_id.rpartition("-")
    return order.get(sentence, len(order)), int(chunk)


def render_clips(clips: Sequence[Clip], settings: DatasetSettings) -> list[dict]:
    """The batch engine's work for make-dataset: each clip -> its row, or {"id", "skipped": why}."""
    voice = settings.spec.load()
    records = []
    for clip in clips:
        try:
            records.append(_render(Path(settings.out), voice, clip, settings.seed))
        except EnunciateError as e:
            records.append({"id": clip.id, "skipped": str(e)})
    return records


def _render(out: Path, voice, clip: Clip, seed: int) -> dict:
    """Synthesize one clip (with F0 where the voice has it), write it atomically, return its row."""
    from ..audio import write_audio

    chunk_seed = clip_seed(seed, clip.id)
    if voice.capabilities.f0_rate_hz:
        chunk = voice.synthesize_with_f0(clip.phonemes, clip.speed, chunk_seed)
    else:
        chunk = voice.synthesize(clip.phonemes, clip.speed, chunk_seed)
    if not len(chunk.audio):
        return {"id": clip.id, "skipped": f"{clip.text[:60]!r} gave no audio"}
    path = out / "wavs" / f"{clip.id}.wav"
    write_audio(path, chunk.audio, chunk.sample_rate, "wav")
    durations = None if chunk.durations_s is None else [round(float(d), 5) for d in chunk.durations_s]
    return {"id": clip.id, "path": f"wavs/{clip.id}.wav", "text": clip.text, "phonemes": chunk.phonemes,
            "alphabet": voice.alphabet, "durations_s": durations, "offset_s": round(float(chunk.offset_s), 5),
            "f0_hz": None if chunk.f0_hz is None else [round(float(v), 2) for v in chunk.f0_hz],
            "sample_rate": chunk.sample_rate, "duration_s": round(chunk.duration_s, 4), "seed": chunk_seed,
            "speed": clip.speed, "source_sha256": clip.source_sha256, "audio_sha256": file_sha256(path)}
