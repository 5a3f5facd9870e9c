"""MLflow tracking, optional (`pip install 'enunciate[track]'`, which brings mlflow-skinny): the one
module that imports mlflow.

    logged = log_run("enunciate-bench", RunRecord("bench", params, metrics, artifacts=[json_path]),
                     children=[RunRecord("joe-int8", ...)])     # -> ./mlruns unless uri= says where
    registered = register_voice("./joe-int8")                   # a registered model, version n
    fetch_voice("joe-int8", registered.version, "./from-registry")

Runs go to a local file store (`./mlruns`) unless a URI is given: a path is a file store, and
http(s)://, sqlite:// and the other schemes MLflow knows are passed as they are. MLflow 3 refuses a
file store unless MLFLOW_ALLOW_FILE_STORE is true: this module sets it (and switches MLflow's own
telemetry off, which would reach for the network) when it is not set.

mlflow-skinny has the model registry, file store included, but not MLflow's model flavours
(`mlflow.pyfunc` and `register_model("runs:/…")` want a logged model): a voice is registered by
logging its folder as a run's artifacts (under `voice/`) and creating a model version whose source
is that artifact folder, with the family, parent, method and the model's SHA-256 as tags.
`models:/NAME/VERSION` then downloads the folder back, and it loads as any voice folder does.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from .errors import EnunciateError

DEFAULT_STORE = "mlruns"
VOICES_EXPERIMENT = "enunciate-voices"
MAX_PARAM = 6000  # MLflow 3 rejects longer param values


@dataclass(frozen=True)
class RunRecord:
    """One run: its name, parameters, metrics, files or folders to attach, and tags."""

    name: str
    params: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    artifacts: tuple = ()          # paths, or (path, folder inside the run's artifacts)
    tags: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Logged:
    uri: str
    experiment_id: str
    run_id: str
    children: dict[str, str] = field(default_factory=dict)   # child run name -> run id


@dataclass(frozen=True)
class Registered:
    name: str
    version: str
    run_id: str
    source: str
    uri: str


def tracking_uri(uri: str | os.PathLike | None = None) -> str:
    """The URI MLflow is given: ./mlruns by default; a path becomes a file URI; a URI stays as it is."""
    text = str(uri) if uri is not None else DEFAULT_STORE
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text) or text.startswith(("databricks", "file:")):
        return text
    return Path(text).expanduser().resolve().as_uri()


def _mlflow():
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    try:
        import mlflow
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise EnunciateError("MLflow is not installed: run `pip install 'enunciate[track]'` (mlflow-skinny), "
                             "or leave out --mlflow") from None
    return mlflow, MlflowClient


def client(uri: str | os.PathLike | None = None):
    """(MlflowClient for the store at `uri`, the URI): tracking and registry in the same store."""
    _, MlflowClient = _mlflow()
    resolved = tracking_uri(uri)
    return MlflowClient(tracking_uri=resolved, registry_uri=resolved), resolved


def _experiment_id(mlclient, name: str) -> str:
    found = mlclient.get_experiment_by_name(name)
    return found.experiment_id if found is not None else mlclient.create_experiment(name)


def _key(name: str) -> str:
    """MLflow keys take letters, digits, _ - . space / only."""
    return re.sub(r"[^A-Za-z0-9_\-. /]", "_", str(name))[:250]


def _params(params: dict) -> list:
    from mlflow.entities import Param

    return [Param(_key(k), str(v)[:MAX_PARAM]) for k, v in params.items() if v is not None]


def _metrics(metrics: dict, timestamp_ms: int) -> list:
    from mlflow.entities import Metric

    out = []
    for k, v in metrics.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            continue  # MLflow metrics are finite numbers; None and NaN mean "not measured"
        out.append(Metric(_key(k), float(v), timestamp_ms, 0))
    return out


def _log(mlclient, experiment_id: str, record: RunRecord, parent: str | None = None) -> str:
    import time

    tags = {_key(k): str(v) for k, v in record.tags.items()}
    if parent:
        tags["mlflow.parentRunId"] = parent
    run = mlclient.create_run(experiment_id, run_name=record.name, tags=tags)
    run_id = run.info.run_id
    try:
        params, metrics = _params(record.params), _metrics(record.metrics, int(time.time() * 1000))
        for start in range(0, max(len(params), len(metrics)), 100):  # log_batch takes at most 100 params
            mlclient.log_batch(run_id, metrics=metrics[start:start + 100], params=params[start:start + 100])
        for item in record.artifacts:
            path, folder = (item, None) if isinstance(item, (str, os.PathLike)) else item
            path = Path(path)
            if path.is_dir():
                mlclient.log_artifacts(run_id, str(path), folder)
            elif path.is_file():
                mlclient.log_artifact(run_id, str(path), folder)
            else:
                raise EnunciateError(f"cannot log {path} to MLflow: no such file or folder")
    except BaseException:
        mlclient.set_terminated(run_id, "FAILED")
        raise
    mlclient.set_terminated(run_id, "FINISHED")
    return run_id


def log_run(experiment: str, run: RunRecord, children: Sequence[RunRecord] = (),
            uri: str | os.PathLike | None = None) -> Logged:
    """Log `run` (and `children` as nested runs under it) to the experiment; returns the run ids."""
    mlclient, resolved = client(uri)
    try:
        experiment_id = _experiment_id(mlclient, experiment)
        parent = _log(mlclient, experiment_id, run)
        kids = {child.name: _log(mlclient, experiment_id, child, parent) for child in children}
    except EnunciateError:
        raise
    except Exception as e:  # MLflow's own errors (a store it cannot write, a bad URI) name the problem
        raise EnunciateError(f"MLflow at {resolved}: {e}") from e
    return Logged(resolved, experiment_id, parent, kids)


def register_voice(folder: str | os.PathLike, name: str | None = None, uri: str | os.PathLike | None = None,
                   metrics: dict | None = None) -> Registered:
    """Register a voice folder as a model: its files are logged under `voice/` of a run in
    VOICES_EXPERIMENT, and a new version of the registered model `name` (default: the voice's name)
    points at them. voice.json's provenance becomes the run's params and the version's tags."""
    from .voices.folder import read_manifest

    manifest = read_manifest(folder)  # checks every file against its hash first
    name = name or manifest.name
    prov = manifest.provenance
    model = manifest.files.get("model")
    tags = {"family": manifest.family, "engines": ",".join(manifest.engines), "parent": prov.parent or "",
            "method": prov.method or "", "model_sha256": model.sha256 if model else ""}
    params = {"voice": manifest.name, "family": manifest.family, "sample_rate": manifest.sample_rate,
              "parent": prov.parent, "parent_sha256": prov.parent_sha256, "method": prov.method,
              "command": prov.command, **{f"param.{k}": v for k, v in prov.params.items()}}
    numbers = {"size_bytes": manifest.size_bytes, **manifest.metrics, **(metrics or {})}
    logged = log_run(VOICES_EXPERIMENT, RunRecord(f"register {name}", params, numbers,
                                                  ((manifest.folder, "voice"),), tags), uri=uri)
    mlclient, resolved = client(uri)
    try:
        from mlflow.exceptions import MlflowException

        try:
            mlclient.create_registered_model(name, description=manifest.description or None)
        except MlflowException as e:
            if "already exists" not in str(e):
                raise
        source = mlclient.get_run(logged.run_id).info.artifact_uri.rstrip("/") + "/voice"
        version = mlclient.create_model_version(name, source, run_id=logged.run_id, tags=tags,
                                                description=f"voice folder {manifest.folder}")
    except Exception as e:
        raise EnunciateError(f"MLflow at {resolved}: cannot register {name!r}: {e}") from e
    return Registered(name, str(version.version), logged.run_id, source, resolved)


def fetch_voice(name: str, version: str | int, out: str | os.PathLike, uri: str | os.PathLike | None = None) -> Path:
    """Download version `version` of registered voice `name` into the folder `out` (its voice.json inside)."""
    mlflow, _ = _mlflow()
    mlclient, resolved = client(uri)
    try:
        source = mlclient.get_model_version_download_uri(name, str(version))
        Path(out).mkdir(parents=True, exist_ok=True)
        path = mlflow.artifacts.download_artifacts(artifact_uri=source, dst_path=str(out),
                                                   tracking_uri=resolved)
    except Exception as e:
        raise EnunciateError(f"MLflow at {resolved}: cannot fetch {name!r} version {version}: {e}") from e
    return Path(path)


def run_metrics(run_id: str, uri: str | os.PathLike | None = None) -> dict[str, float]:
    """The latest value of each metric of a run (to read results back)."""
    mlclient, _ = client(uri)
    return dict(mlclient.get_run(run_id).data.metrics)


def artifact_paths(run_id: str, uri: str | os.PathLike | None = None, folder: str | None = None) -> list[str]:
    """Paths of a run's artifacts, recursively (under `folder` if given)."""
    mlclient, _ = client(uri)
    out, todo = [], [folder]
    while todo:
        for info in mlclient.list_artifacts(run_id, todo.pop()):
            (todo if info.is_dir else out).append(info.path)
    return sorted(out)


def log_many(experiment: str, runs: Iterable[RunRecord], uri: str | os.PathLike | None = None) -> list[Logged]:
    """Several independent runs (eval: one per engine)."""
    return [log_run(experiment, r, uri=uri) for r in runs]
