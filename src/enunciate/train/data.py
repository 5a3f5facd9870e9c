"""Speech datasets in the two layouts most TTS recipes read, checked row by row.

    LJSpeech   ROOT/metadata.csv  lines `id|text|normalized text` (no header; `|` separated)
               ROOT/wavs/<id>.wav
    LibriTTS   ROOT/<speaker>/<chapter>/<id>.wav beside <id>.normalized.txt (ROOT may be a subset
               folder such as train-clean-100, or the folder above it)

A folder made by `enunciate make-dataset` is LJSpeech-shaped, with `manifest.jsonl` beside it: its
rows carry the phonemes each clip says (in the teacher voice's alphabet), so training can skip the
frontend for them.

The index (ids, texts, paths) is read up front; audio is read one row at a time, when an item is
asked for, so memory stays bounded whatever the size of the corpus. Every row is checked as it is
read: missing or unreadable audio, silence, clipping, non-finite samples, an empty transcript or one
with characters outside the symbol set are refused with the row named (`DataError`); audio at
another sample rate is resampled to the one asked for (or refused, with `resample=False`).
"""
from __future__ import annotations

import json
import logging
import string
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import EnunciateError
from ..text.patterns import SYMBOLS

log = logging.getLogger(__name__)

LJSPEECH, LIBRITTS = "ljspeech", "libritts"
METADATA = "metadata.csv"
TEACHER_MANIFEST = "manifest.jsonl"  # written by make-dataset beside metadata.csv
# What transcripts may hold by default: printable ASCII, Latin-1 letters, common typography, and
# the signs the frontend says by name (× "times", ≈ "approximately", § "section"...), which
# make-dataset's own transcripts hold.
DEFAULT_SYMBOLS = frozenset(string.printable.replace("\x0b", "").replace("\x0c", "")
                            + "".join(chr(c) for c in range(0xC0, 0x100) if chr(c).isalpha())
                            + "‘’“”–—…μµ" + "".join(sign for sign in SYMBOLS if len(sign) == 1))
SILENCE_PEAK = 1e-3   # -60 dBFS: a clip whose loudest sample is below this is silent
CLIP_LEVEL = 0.999    # a sample at or beyond this magnitude is clipped...
CLIP_SHARE = 1e-3     # ...and a clip with more than this share of such samples is refused


class DataError(EnunciateError):
    """A dataset row that cannot be used; the message names the row and where it was read."""

    def __init__(self, row_id: str, where: str, problem: str):
        super().__init__(f"row {row_id!r} ({where}): {problem}")
        self.row_id, self.where, self.problem = row_id, where, problem


@dataclass(frozen=True)
class Item:
    """One usable row: its transcript, its audio (mono float32 at `sample_rate`) and, for a
    make-dataset folder, the phonemes it says in `alphabet`."""

    id: str
    text: str
    audio: np.ndarray
    sample_rate: int
    phonemes: str | None = None
    alphabet: str | None = None
    speaker: str = ""

    @property
    def duration_s(self) -> float:
        return len(self.audio) / self.sample_rate


@dataclass(frozen=True)
class Row:
    """A row of the index: everything but the audio samples. `where` says where it was read."""

    id: str
    text: str
    audio_path: Path
    where: str
    phonemes: str | None = None
    alphabet: str | None = None
    speaker: str = ""


@dataclass(frozen=True)
class Checks:
    """How rows are checked. sample_rate: the rate items come out at (None: each file's own);
    resample: False refuses a file at another rate instead; symbols: the characters a transcript
    may hold (None: any)."""

    sample_rate: int | None = None
    resample: bool = True
    symbols: frozenset[str] | None = DEFAULT_SYMBOLS


@dataclass
class Dataset:
    """Rows of one corpus; items are read (and checked) one at a time.

    Iterating yields the usable items in order. With skip_bad, a refused row is logged, kept in
    `problems` and passed over; otherwise the first one raises its DataError.
    """

    root: Path
    layout: str
    rows: list[Row]
    checks: Checks = Checks()
    skip_bad: bool = False
    problems: list[DataError] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Item]:
        for row in self.rows:
            try:
                yield load_item(row, self.checks)
            except DataError as e:
                if not self.skip_bad:
                    raise
                log.warning("skipping %s", e)
                self.problems.append(e)

    def item(self, index: int) -> Item:
        """Row `index` read and checked (a DataError names it if it is refused)."""
        return load_item(self.rows[index], self.checks)

    def validate(self) -> list[DataError]:
        """Every row read once; the refused ones (the dataset is not changed)."""
        problems = []
        for row in self.rows:
            try:
                load_item(row, self.checks)
            except DataError as e:
                problems.append(e)
        return problems

    def with_checks(self, **changes) -> Dataset:
        return replace(self, checks=replace(self.checks, **changes), problems=[])


def load_item(row: Row, checks: Checks) -> Item:
    """Read one row's audio and check it and its transcript."""
    from ..audio import resample

    def refuse(problem: str) -> DataError:
        return DataError(row.id, row.where, problem)

    check_text(row, checks.symbols)
    if not row.audio_path.is_file():
        raise refuse(f"its audio {row.audio_path} is missing")
    audio, rate = _read(row, refuse)
    if checks.sample_rate and rate != checks.sample_rate:
        if not checks.resample:
            raise refuse(f"its audio is at {rate} Hz, not {checks.sample_rate} Hz "
                         "(resample the file, or allow resampling)")
        audio, rate = resample(audio, rate, checks.sample_rate), checks.sample_rate
    check_audio(audio, refuse)
    return Item(row.id, row.text, audio, rate, row.phonemes, row.alphabet, row.speaker)


def _read(row: Row, refuse) -> tuple[np.ndarray, int]:
    import soundfile as sf

    try:
        audio, rate = sf.read(str(row.audio_path), dtype="float32", always_2d=True)
    except Exception as e:  # soundfile raises LibsndfileError / RuntimeError on damaged files
        raise refuse(f"its audio {row.audio_path} cannot be read ({e})") from e
    return audio.mean(axis=1), int(rate)


def check_text(row: Row, symbols: frozenset[str] | None) -> None:
    if not row.text.strip():
        raise DataError(row.id, row.where, "its transcript is empty")
    if symbols is not None:
        outside = sorted(set(row.text) - symbols)
        if outside:
            shown = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in outside[:8])
            raise DataError(row.id, row.where, f"its transcript has characters outside the symbol set: {shown}; "
                                               "respell them or widen the symbol set")


def check_audio(audio: np.ndarray, refuse) -> None:
    """Refuse audio that is empty, not finite, silent or clipped."""
    if not len(audio):
        raise refuse("its audio is empty")
    if not np.isfinite(audio).all():
        raise refuse("its audio has NaN or infinite samples")
    peak = float(np.max(np.abs(audio)))
    if peak < SILENCE_PEAK:
        raise refuse(f"its audio is silent (peak {20 * np.log10(max(peak, 1e-12)):.0f} dBFS)")
    clipped = float(np.mean(np.abs(audio) >= CLIP_LEVEL))
    if clipped > CLIP_SHARE:
        raise refuse(f"its audio is clipped ({100 * clipped:.2f}% of samples at full scale)")


# --- the layouts -------------------------------------------------------------------------------

def read_ljspeech(root: str | Path, checks: Checks = Checks(), skip_bad: bool = False) -> Dataset:
    """ROOT/metadata.csv (`id|text|normalized`) + ROOT/wavs/<id>.wav. The normalized column is the
    transcript when present (LJSpeech spells numbers out there), else the text column. Lines that
    cannot be parsed are refused like bad audio (skipped with skip_bad)."""
    root = Path(root)
    metadata = root / METADATA
    try:
        lines = metadata.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise EnunciateError(f"{root} has no {METADATA}: an LJSpeech folder holds metadata.csv and wavs/") from None
    except (OSError, UnicodeDecodeError) as e:
        raise EnunciateError(f"cannot read {metadata}: {e}") from e
    teacher = _teacher_rows(root)
    rows, seen, problems = [], {}, []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{METADATA} line {number}"
        fields = line.split("|")
        row_id = fields[0].strip()
        try:
            if len(fields) < 2 or not row_id:
                raise DataError(row_id or "?", where, "is not `id|text|normalized text`")
            if row_id in seen:
                raise DataError(row_id, where, f"repeats the id of line {seen[row_id]}")
        except DataError as e:
            if not skip_bad:
                raise
            problems.append(e)
            continue
        seen[row_id] = number
        text = (fields[2] if len(fields) > 2 and fields[2].strip() else fields[1]).strip()
        extra = teacher.get(row_id, {})
        rows.append(Row(row_id, text, root / "wavs" / f"{row_id}.wav", where, extra.get("phonemes"),
                        extra.get("alphabet")))
    return Dataset(root, LJSPEECH, rows, checks, skip_bad, problems)


def _teacher_rows(root: Path) -> dict[str, dict]:
    """id -> make-dataset manifest row (phonemes and their alphabet), when the folder has one."""
    path = root / TEACHER_MANIFEST
    rows = {}
    if path.is_file():
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    row = json.loads(line)
                    rows[row["id"]] = row
                except (ValueError, KeyError, TypeError):
                    continue  # a torn last line of a killed run: make-dataset drops it on resume
    return rows


def read_libritts(root: str | Path, checks: Checks = Checks(), skip_bad: bool = False) -> Dataset:
    """Every <id>.normalized.txt under ROOT with its <id>.wav (LibriTTS: speaker/chapter/), in
    path order; the speaker is the first folder of the id's path under ROOT's speaker level."""
    root = Path(root)
    texts = sorted(root.rglob("*.normalized.txt"))
    if not texts:
        raise EnunciateError(f"{root} has no *.normalized.txt files: a LibriTTS folder holds "
                             "<speaker>/<chapter>/<id>.wav beside <id>.normalized.txt")
    rows, problems = [], []
    for path in texts:
        row_id = path.name.removesuffix(".normalized.txt")
        where = str(path.relative_to(root))
        try:
            text = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as e:
            error = DataError(row_id, where, f"its transcript cannot be read ({e})")
            if not skip_bad:
                raise error from e
            problems.append(error)
            continue
        speaker = row_id.split("_")[0] if "_" in row_id else path.parent.parent.name
        rows.append(Row(row_id, text, path.with_name(f"{row_id}.wav"), where, speaker=speaker))
    return Dataset(root, LIBRITTS, rows, checks, skip_bad, problems)


def open_dataset(path: str | Path, sample_rate: int | None = None, symbols: frozenset[str] | None = DEFAULT_SYMBOLS,
                 resample: bool = True, skip_bad: bool = False) -> Dataset:
    """An LJSpeech or LibriTTS folder, told apart by its files (metadata.csv, or *.normalized.txt)."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise EnunciateError(f"dataset folder {str(root)!r} does not exist")
    checks = Checks(sample_rate, resample, symbols)
    if (root / METADATA).is_file():
        return read_ljspeech(root, checks, skip_bad)
    if next(root.rglob("*.normalized.txt"), None) is not None:
        return read_libritts(root, checks, skip_bad)
    raise EnunciateError(f"{root} is neither an LJSpeech folder (metadata.csv + wavs/) nor a LibriTTS one "
                         "(<speaker>/<chapter>/<id>.wav + <id>.normalized.txt); see docs/training.md")
