#!/usr/bin/env bash
# Creates a virtual environment with everything mmwsss needs on a CPU machine.
#   bash tools/install.sh [VENV_DIR]
# mmcv 2.1.0 has no wheel for our torch, so it is built from source once and
# the wheel is cached in $MMWSSS_WHEEL_CACHE (default ~/.cache/mmwsss/wheels).
set -euo pipefail

VENV=${1:-.venv}
PYTHON=${PYTHON:-python3}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
TORCHVISION_VERSION=${TORCHVISION_VERSION:-0.28.0}
MMCV_VERSION=2.1.0
CACHE=${MMWSSS_WHEEL_CACHE:-$HOME/.cache/mmwsss/wheels}

"$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip)

# --isolated: take the torch/torchvision pair from the registry; a torch file
# found locally would not run beside any torchvision.
if ! "$VENV/bin/python" -c "import torchvision" 2>/dev/null; then
    "${PIP[@]}" install --isolated "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
fi
"${PIP[@]}" install -r requirements/build.txt -r requirements/runtime.txt -r requirements/tests.txt

if ! "$VENV/bin/python" -c "import mmcv.ops" 2>/dev/null; then
    # One cache folder per torch version: the compiled ops are tied to it.
    cache="$CACHE/torch-$TORCH_VERSION"
    mkdir -p "$cache"
    wheel=$(ls "$cache"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n 1 || true)
    if [ -z "$wheel" ]; then
        echo "Building mmcv $MMCV_VERSION with ops against torch $TORCH_VERSION (about 25 minutes on 2 cores)..."
        build=$(mktemp -d)
        MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} "${PIP[@]}" wheel --no-build-isolation --no-deps \
            "mmcv==$MMCV_VERSION" -w "$build"
        built=$(ls "$build"/mmcv-*.whl)
        # Copy then rename, so an interrupted copy never looks like a cached wheel.
        cp "$built" "$cache/.partial.whl"
        mv "$cache/.partial.whl" "$cache/$(basename "$built")"
        rm -rf "$build"
        wheel="$cache/$(basename "$built")"
    fi
    "${PIP[@]}" install --no-deps "$wheel"
fi

"${PIP[@]}" install --no-deps --no-build-isolation -e .
"$VENV/bin/python" -c "import mmwsss, mmseg, mmpretrain, mmcv.ops; print('mmwsss environment ready:', mmwsss.__version__)"
