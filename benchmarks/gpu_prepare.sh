#!/usr/bin/env bash
# Stage what the GPU machine needs and cannot fetch (it has no PyPI, and a run carries at most 64 MiB
# with the tree) in the git-ignored .gpu/, one voice per run, each as a voice folder (voice.json
# with the files' SHA-256 beside them, made by `enunciate voices export`):
#   benchmarks/gpu_prepare.sh joe     -> .gpu/joe/: en_US-joe-medium.onnx + .onnx.json (61 MB)
#   benchmarks/gpu_prepare.sh kokoro  -> .gpu/kokoro/: the int8 ONNX xz-compressed (88 -> 58 MiB),
#                                        vocab.json and the mean style table as style.npy
# benchmarks/gpu_throughput.py unpacks kokoro.onnx.xz into the temp folder there and checks its hash.
# The frontend's output travels as benchmarks/gpu_inputs.json (committed).
set -euo pipefail
cd "$(dirname "$0")/.."
voice=${1:?usage: benchmarks/gpu_prepare.sh joe|kokoro}
case "$voice" in
  joe|kokoro) ;;
  *) echo "unknown voice '$voice'; available: joe, kokoro" >&2; exit 2 ;;
esac
mkdir -p .gpu
if [ ! -s ".gpu/$voice/voice.json" ]; then
  rm -rf ".gpu/$voice"
  .venv/bin/enunciate voices export "$voice" ".gpu/$voice"
fi
if [ "$voice" = kokoro ] && [ -f .gpu/kokoro/kokoro.onnx ]; then
  xz -T0 -6 -c .gpu/kokoro/kokoro.onnx > .gpu/kokoro/kokoro.onnx.xz.tmp
  mv .gpu/kokoro/kokoro.onnx.xz.tmp .gpu/kokoro/kokoro.onnx.xz
  rm .gpu/kokoro/kokoro.onnx
fi
du -sh ".gpu/$voice"
