#!/usr/bin/env bash
# Puts a CPU libtorch 2.4.0 (the version rust-bert 0.23 / tch 0.17 expect) in the cache,
# taken from PyPI wheels, for machines that cannot reach download.pytorch.org.
#
#   bash scripts/libtorch.sh            # prints the directory (idempotent, quick when cached)
#   eval "$(bash scripts/libtorch.sh --env)"   # exports LIBTORCH, LIBTORCH_CXX11_ABI, LD_LIBRARY_PATH
#
# Where the normal torch-sys download works, or libtorch is installed system-wide, this
# script is not needed: see README.md "The bert backend".
#
# The wheel torch==2.4.0 carries libtorch in torch/lib (pre-cxx11 ABI, hence
# LIBTORCH_CXX11_ABI=0). Its libtorch_cpu.so needs libcudart.so.12 and libcupti.so.12 even on
# a CPU-only machine; they come from the nvidia-cuda-runtime-cu12 and nvidia-cuda-cupti-cu12
# wheels. libtorch_cuda.so (and the CUDA libraries it would pull) is left out: CPU build.
set -euo pipefail

TORCH_VERSION=2.4.0
CUDA_WHEELS_VERSION=12.1.105
CACHE="${VIGIE_CACHE:-$HOME/.cache/vigie}"
DEST="$CACHE/libtorch-$TORCH_VERSION"
WHEELS="$CACHE/wheels"

log() { echo "libtorch: $*" >&2; }

if [ ! -f "$DEST/.complete" ]; then
  mkdir -p "$WHEELS"
  py=python3
  command -v "$py" >/dev/null || { log "python3 with pip is needed to download the wheels"; exit 1; }
  log "downloading torch==$TORCH_VERSION and the CUDA runtime wheels into $WHEELS (about 800 MB, once)"
  # pip skips files already in $WHEELS; --platform pins the Linux x86_64 build whatever python runs this.
  "$py" -m pip download --quiet --no-deps --only-binary=:all: \
    --platform manylinux1_x86_64 --platform manylinux2014_x86_64 --python-version 3.11 \
    -d "$WHEELS" \
    "torch==$TORCH_VERSION" \
    "nvidia-cuda-runtime-cu12==$CUDA_WHEELS_VERSION" \
    "nvidia-cuda-cupti-cu12==$CUDA_WHEELS_VERSION"
  torch_whl=$(ls "$WHEELS"/torch-"$TORCH_VERSION"-*.whl | head -1)
  cudart_whl=$(ls "$WHEELS"/nvidia_cuda_runtime_cu12-"$CUDA_WHEELS_VERSION"-*.whl | head -1)
  cupti_whl=$(ls "$WHEELS"/nvidia_cuda_cupti_cu12-"$CUDA_WHEELS_VERSION"-*.whl | head -1)

  tmp=$(mktemp -d "$CACHE/libtorch.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  log "unpacking $(basename "$torch_whl")"
  "$py" - "$torch_whl" "$cudart_whl" "$cupti_whl" "$tmp" <<'EOF'
import os, stat, sys, zipfile
torch_whl, cudart_whl, cupti_whl, out = sys.argv[1:]
def extract(whl, prefix, strip, keep=lambda n: True):
    with zipfile.ZipFile(whl) as z:
        for info in z.infolist():
            name = info.filename
            if not name.startswith(prefix) or name.endswith("/") or not keep(name):
                continue
            target = os.path.join(out, strip(name))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with z.open(info) as src, open(target, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
            mode = (info.external_attr >> 16) & 0o777
            os.chmod(target, mode or 0o644)
# torch/lib, torch/include, torch/share -> lib, include, share; no CUDA part of libtorch
cuda_only = ("libtorch_cuda", "libc10_cuda", "libcaffe2_nvrtc", "libnvrtc", "libnvToolsExt")
extract(torch_whl, "torch/", lambda n: n[len("torch/"):],
        lambda n: n.split("/")[1] in ("lib", "include", "share")
        and not os.path.basename(n).startswith(cuda_only))
extract(cudart_whl, "nvidia/cuda_runtime/lib/", lambda n: "lib/" + os.path.basename(n))
extract(cupti_whl, "nvidia/cuda_cupti/lib/", lambda n: "lib/" + os.path.basename(n))
EOF
  # torch-sys checks this file against the version it expects.
  echo "$TORCH_VERSION" >"$tmp/build-version"
  echo "torch $TORCH_VERSION from PyPI (CPU part), cuda runtime/cupti $CUDA_WHEELS_VERSION" >"$tmp/SOURCE"
  rm -f "$tmp/lib/libtorch_python.so"
  rm -rf "$DEST"
  mv "$tmp" "$DEST"
  trap - EXIT
  touch "$DEST/.complete"
  log "ready in $DEST"
fi

if [ "${1:-}" = "--env" ]; then
  echo "export LIBTORCH='$DEST'"
  echo "export LIBTORCH_CXX11_ABI=0"
  echo "export LD_LIBRARY_PATH='$DEST/lib'\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
else
  echo "$DEST"
fi
