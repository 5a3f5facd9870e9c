"""A blinded listening test as one static page: build it from folders of clips, score the ratings.

build(): every clip is re-written as a 16-bit mono WAV at one common sample rate under an opaque
name (c001.wav ...), so neither metadata nor the file header tells the systems apart, in a seeded
random order, and `index.html` (inline CSS and JS,
no external assets, works from file://) asks a 1-5 MOS rating per clip (ITU-T P.800 ACR labels)
and, with `ab`, a preference between two systems' renderings of one sentence (clips with the same
file name in two folders). The listener downloads the ratings as JSON or CSV. Which clip is which
system is written only to `key.json`, which the page never reads.

score(): MOS per system and A/B preference shares with bootstrap 95% intervals: over ratings for
one listener; over listeners (resampling whole listeners) when there are several, since one
listener's ratings are correlated.
"""
from __future__ import annotations

import csv
import datetime
import html
import io
import itertools
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import resample
from ..errors import EnunciateError
from .compare import audio_files, read_clip
from .stats import bootstrap_ci

MOS_LABELS = {1: "Bad", 2: "Poor", 3: "Fair", 4: "Good", 5: "Excellent"}
CHOICES = ("left", "right", "none")      # A/B answer: the left clip, the right one, no preference
CSV_HEADER = ["test_id", "listener", "kind", "item", "value"]
MIN_CLIP_S = 0.1                         # a listener cannot judge less


@dataclass(frozen=True)
class ListenTest:
    out_dir: Path
    test_id: str
    n_clips: int
    n_pairs: int


# ---------------------------------------------------------------- build

def build(sets: dict[str, str | Path], out_dir: str | Path, seed: int = 0, ab: bool = False,
          title: str = "Listening test") -> ListenTest:
    """Write out_dir/{index.html, key.json, audio/c*.wav} from `sets` (system name -> folder)."""
    import soundfile as sf

    if not sets:
        raise EnunciateError("no systems: give at least one --set NAME=FOLDER")
    if ab and len(sets) < 2:
        raise EnunciateError("--ab needs at least two systems (two --set NAME=FOLDER)")
    files = {name: audio_files(folder) for name, folder in sets.items()}
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise EnunciateError(f"{out} exists and is not an empty folder; choose a new one")
    clips = [(system, sentence, path) for system, by_name in files.items() for sentence, path in by_name.items()]
    # read all first, so a bad file stops the build before anything is written
    audio = {path: read_clip(path, min_duration_s=MIN_CLIP_S) for _, _, path in clips}
    common_rate = max(rate for _, rate in audio.values())  # upsampling changes nothing a listener hears
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(clips))
    width = max(3, len(str(len(clips))))
    clip_ids = {}
    key_clips = {}
    for n, index in enumerate(order, start=1):
        system, sentence, path = clips[index]
        clip_id = f"c{n:0{width}d}"
        clip_ids[system, sentence] = clip_id
        key_clips[clip_id] = {"system": system, "sentence": sentence, "source": str(path)}
    pairs = _pairs(files, clip_ids, rng) if ab else []
    if ab and not pairs:
        raise EnunciateError("--ab found no sentence in two systems; clips of one sentence must share a file name")
    test_id = secrets.token_hex(6)

    (out / "audio").mkdir(parents=True, exist_ok=True)
    for clip_id, entry in key_clips.items():
        samples, rate = audio[Path(entry["source"])]
        samples = resample(samples, rate, common_rate)
        sf.write(out / "audio" / f"{clip_id}.wav", np.clip(samples, -1.0, 1.0), common_rate, subtype="PCM_16")
    key = {"test_id": test_id, "seed": seed, "title": title, "sample_rate": common_rate,
           "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "systems": {name: str(folder) for name, folder in sets.items()},
           "clips": key_clips, "pairs": {p["id"]: p for p in pairs}}
    (out / "key.json").write_text(json.dumps(key, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    page = {"test_id": test_id, "clips": list(key_clips),
            "pairs": [{"id": p["id"], "left": p["left"], "right": p["right"]} for p in pairs]}
    (out / "index.html").write_text(render_page(title, page), encoding="utf-8")
    return ListenTest(out, test_id, len(key_clips), len(pairs))


def _pairs(files: dict[str, dict], clip_ids: dict, rng) -> list[dict]:
    """One pair per sentence and pair of systems holding it, sides and order shuffled."""
    pairs = []
    sentences = sorted({s for by_name in files.values() for s in by_name})
    for sentence in sentences:
        for a, b in itertools.combinations([sys for sys in files if sentence in files[sys]], 2):
            left, right = (a, b) if rng.random() < 0.5 else (b, a)
            pairs.append({"sentence": sentence, "left": clip_ids[left, sentence], "right": clip_ids[right, sentence]})
    pairs = [pairs[i] for i in rng.permutation(len(pairs))]
    width = max(3, len(str(len(pairs))))
    return [{"id": f"p{n:0{width}d}", **p} for n, p in enumerate(pairs, start=1)]


def _radios(kind: str, item: str, options: list[tuple[str, str]]) -> str:
    return "".join(f'<label><input type="radio" name="{kind}-{item}" value="{value}" data-kind="{kind}" '
                   f'data-item="{item}"> {html.escape(label)}</label>' for value, label in options)


def render_page(title: str, page: dict) -> str:
    """The test page: static markup for every clip and pair, inline CSS, and a small script that keeps
    answers in localStorage and offers them as a JSON or CSV download."""
    mos_options = [(str(k), f"{k} {v}") for k, v in MOS_LABELS.items()]
    ab_options = [("left", "X sounds better"), ("none", "no preference"), ("right", "Y sounds better")]
    clips = "\n".join(
        f'<section class="item" id="{c}"><h3>Clip {n} of {len(page["clips"])}</h3>'
        f'<audio controls preload="none" src="audio/{c}.wav"></audio>'
        f'<div class="choices">{_radios("mos", c, mos_options)}</div></section>'
        for n, c in enumerate(page["clips"], start=1))
    pairs = "\n".join(
        f'<section class="item" id="{p["id"]}"><h3>Pair {n} of {len(page["pairs"])}</h3>'
        f'<div class="ab"><span>X</span><audio controls preload="none" src="audio/{p["left"]}.wav"></audio></div>'
        f'<div class="ab"><span>Y</span><audio controls preload="none" src="audio/{p["right"]}.wav"></audio></div>'
        f'<div class="choices">{_radios("ab", p["id"], ab_options)}'
        f'</div></section>' for n, p in enumerate(page["pairs"], start=1))
    ab_part = (f'<h2>Part 2: which of two sounds better?</h2><p>Each pair says the same sentence twice. '
               f'Pick the one you would rather listen to.</p>\n{pairs}') if page["pairs"] else ""
    data = json.dumps(page).replace("</", "<\\/")
    return _PAGE.format(title=html.escape(title), clips=clips, ab_part=ab_part, data=data,
                        n_items=len(page["clips"]) + len(page["pairs"]))


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
.item {{ border: 1px solid #ccc; border-radius: 6px; padding: .5rem 1rem; margin: 1rem 0; }}
.item.done {{ border-color: #3a3; background: #f4fbf4; }}
.item h3 {{ margin: .2rem 0; font-size: 1rem; }}
audio {{ width: 100%; }}
.ab {{ display: flex; align-items: center; gap: .5rem; }}
.choices label {{ margin-right: 1rem; white-space: nowrap; }}
#bar {{ position: sticky; bottom: 0; background: #fff; border-top: 1px solid #ccc; padding: .7rem 0; }}
button {{ font: inherit; padding: .3rem .8rem; margin-right: .5rem; }}
</style></head>
<body>
<h1>{title}</h1>
<p>Use headphones in a quiet room. Play each clip (as often as you like) and rate how natural it sounds,
from 1 (bad) to 5 (excellent). The clips are in random order and carry no names. Your answers are kept
in this browser until you download them; send the downloaded file back.</p>
<p><label>Your name or initials: <input id="listener" autocomplete="off"></label></p>
<h2>Part 1: how natural does each clip sound?</h2>
{clips}
{ab_part}
<div id="bar"><span id="progress">0 of {n_items} answered</span><br>
<button type="button" id="download-json">Download ratings (JSON)</button>
<button type="button" id="download-csv">Download ratings (CSV)</button></div>
<script type="application/json" id="test-data">{data}</script>
<script>
"use strict";
var TEST = JSON.parse(document.getElementById("test-data").textContent);
var STORE = "enunciate-listen-" + TEST.test_id;
var answers = {{ listener: "", mos: {{}}, ab: {{}} }};
try {{ answers = JSON.parse(localStorage.getItem(STORE)) || answers; }} catch (e) {{}}
if (!answers.listener) answers.listener = "listener-" + Math.random().toString(36).slice(2, 8);

function save() {{
  try {{ localStorage.setItem(STORE, JSON.stringify(answers)); }} catch (e) {{}}
  var done = 0, total = TEST.clips.length + TEST.pairs.length;
  TEST.clips.forEach(function (c) {{ if (answers.mos[c]) done++; mark(c, answers.mos[c]); }});
  TEST.pairs.forEach(function (p) {{ if (answers.ab[p.id]) done++; mark(p.id, answers.ab[p.id]); }});
  document.getElementById("progress").textContent = done + " of " + total + " answered";
  return done === total;
}}
function mark(id, value) {{ document.getElementById(id).classList.toggle("done", !!value); }}

function ratings() {{
  return {{ test_id: TEST.test_id, listener: answers.listener,
           ratings: answers.mos, preferences: answers.ab }};
}}
function ratingsCSV() {{
  var quote = function (s) {{ s = String(s); return /[",\\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s; }};
  var rows = [["test_id", "listener", "kind", "item", "value"]];
  ["mos", "ab"].forEach(function (kind) {{
    Object.keys(answers[kind]).forEach(function (item) {{
      rows.push([TEST.test_id, answers.listener, kind, item, answers[kind][item]]);
    }});
  }});
  return rows.map(function (r) {{ return r.map(quote).join(","); }}).join("\\n") + "\\n";
}}
function download(ext, text, type) {{
  if (!save() && !confirm("Not every clip is answered yet. Download what you have?")) return;
  var url = URL.createObjectURL(new Blob([text], {{ type: type }}));
  var a = document.createElement("a");
  a.href = url;
  a.download = "ratings-" + answers.listener.replace(/[^A-Za-z0-9_-]+/g, "_") + "." + ext;
  document.body.appendChild(a); a.click(); a.remove();
  setTimeout(function () {{ URL.revokeObjectURL(url); }}, 1000);
}}

document.querySelectorAll("input[type=radio]").forEach(function (input) {{
  var store = answers[input.dataset.kind];
  input.checked = store[input.dataset.item] === (input.dataset.kind === "mos" ? Number(input.value) : input.value);
  input.addEventListener("change", function () {{
    store[input.dataset.item] = input.dataset.kind === "mos" ? Number(input.value) : input.value;
    save();
  }});
}});
var nameInput = document.getElementById("listener");
nameInput.value = answers.listener;
nameInput.addEventListener("input", function () {{
  answers.listener = nameInput.value.trim() || answers.listener;
  save();
}});
document.getElementById("download-json").addEventListener("click", function () {{
  download("json", JSON.stringify(ratings(), null, 1) + "\\n", "application/json");
}});
document.getElementById("download-csv").addEventListener("click", function () {{
  download("csv", ratingsCSV(), "text/csv");
}});
save();
</script>
</body></html>
"""


# ---------------------------------------------------------------- score

def _read_ratings(path: Path, test_id: str) -> tuple[str, dict, dict]:
    """(listener, {clip: score}, {pair: choice}) from a downloaded JSON or CSV file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise EnunciateError(f"cannot read ratings {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise EnunciateError(f"{path} is not a text file; pass the JSON or CSV the test page downloaded") from None
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise EnunciateError(f"{path} is not valid JSON (line {e.lineno}); download it again") from None
        if not isinstance(data.get("ratings"), dict) or not isinstance(data.get("preferences", {}), dict):
            raise EnunciateError(f"{path} has no 'ratings' object; pass the file the test page downloaded")
        file_test, listener = data.get("test_id"), str(data.get("listener") or path.stem)
        mos, ab = data["ratings"], data.get("preferences", {})
    else:
        rows = list(csv.reader(io.StringIO(text)))
        if not rows or [c.strip() for c in rows[0]] != CSV_HEADER:
            raise EnunciateError(f"{path}: expected a CSV with the header {','.join(CSV_HEADER)}")
        mos, ab, file_test, listener = {}, {}, None, path.stem
        for lineno, row in enumerate(rows[1:], start=2):
            if not any(c.strip() for c in row):
                continue
            if len(row) != len(CSV_HEADER) or row[2] not in ("mos", "ab"):
                raise EnunciateError(f"{path}:{lineno}: expected {len(CSV_HEADER)} columns with kind mos or ab")
            file_test, listener = row[0], row[1] or listener
            (mos if row[2] == "mos" else ab)[row[3]] = row[4]
    if file_test is not None and file_test != test_id:
        raise EnunciateError(f"{path} holds ratings of listening test {file_test!r}, not of this key's {test_id!r}")
    return listener, mos, ab


def score(key_path: str | Path, rating_paths: list[str | Path], n: int = 2000, seed: int = 0) -> dict:
    """MOS per system and A/B preference per pair of systems, with bootstrap 95% intervals."""
    key_path = Path(key_path)
    try:
        key = json.loads(key_path.read_text(encoding="utf-8"))
        clips, pairs, test_id = key["clips"], key["pairs"], key["test_id"]
    except OSError as e:
        raise EnunciateError(f"cannot read the key {key_path}: {e.strerror}") from None
    except (ValueError, KeyError, TypeError):
        raise EnunciateError(f"{key_path} is not a listening-test key (the key.json of listen-test build)") from None
    if not rating_paths:
        raise EnunciateError("no ratings files given")
    mos_rows, ab_rows, listeners = [], [], []   # (listener index, system, score) / (listener, a, b, value for a)
    for path in map(Path, rating_paths):
        listener, mos, ab = _read_ratings(path, test_id)
        index = len(listeners)
        listeners.append(listener)
        for clip, value in mos.items():
            if clip not in clips:
                raise EnunciateError(f"{path}: clip {clip!r} is not in {key_path}; is it from another test?")
            try:
                rating = float(value)
            except (TypeError, ValueError):
                rating = float("nan")
            if rating not in MOS_LABELS:
                raise EnunciateError(f"{path}: rating {value!r} of clip {clip} is not a whole number from 1 to 5")
            mos_rows.append((index, clips[clip]["system"], rating))
        for pair_id, choice in ab.items():
            if pair_id not in pairs:
                raise EnunciateError(f"{path}: pair {pair_id!r} is not in {key_path}; is it from another test?")
            if choice not in CHOICES:
                raise EnunciateError(f"{path}: answer {choice!r} to pair {pair_id} is not one of {', '.join(CHOICES)}")
            pair = pairs[pair_id]
            left, right = clips[pair["left"]]["system"], clips[pair["right"]]["system"]
            a, b = sorted((left, right))
            value = 0.5 if choice == "none" else float((left if choice == "left" else right) == a)
            ab_rows.append((index, a, b, value))
    if not mos_rows and not ab_rows:
        raise EnunciateError("the ratings files hold no answers")
    systems = list(key.get("systems") or dict.fromkeys(c["system"] for c in clips.values()))
    mos_out = {}
    for system in systems:
        rows = [(i, v) for i, s, v in mos_rows if s == system]
        if rows:
            mos_out[system] = _mean_ci(rows, n, seed) | {"n_ratings": len(rows),
                                                         "n_listeners": len({i for i, _ in rows})}
    preferences = []
    for a, b in sorted({(a, b) for _, a, b, _ in ab_rows}):
        rows = [(i, v) for i, x, y, v in ab_rows if (x, y) == (a, b)]
        stats = _mean_ci(rows, n, seed)
        preferences.append({"a": a, "b": b, "share_a": stats["mean"], "ci95": stats["ci95"], "n": len(rows),
                            "a_wins": sum(v == 1.0 for _, v in rows), "b_wins": sum(v == 0.0 for _, v in rows),
                            "ties": sum(v == 0.5 for _, v in rows)})
    return {"test_id": test_id, "listeners": listeners,
            "ci_over": "listeners" if len(listeners) > 1 else "ratings",
            "mos": mos_out, "preferences": preferences}


def _mean_ci(rows: list[tuple[int, float]], n: int, seed: int) -> dict:
    """Mean of the values and its 95% interval, resampling listeners when there are several
    (each listener weighted by their number of answers, so the point estimate is the plain mean)."""
    values = np.array([v for _, v in rows])
    by_listener: dict[int, list[float]] = {}
    for i, v in rows:
        by_listener.setdefault(i, []).append(v)
    if len(by_listener) > 1:
        ci = bootstrap_ci([np.mean(v) for v in by_listener.values()], n=n, seed=seed,
                          weights=[len(v) for v in by_listener.values()])
    else:
        ci = bootstrap_ci(values, n=n, seed=seed)
    return {"mean": float(values.mean()), "ci95": ci}
