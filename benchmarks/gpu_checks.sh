#!/usr/bin/env bash
# Everything the GPU issue needs a CUDA machine for, in one command, for a
# machine that may be lent for a few minutes only:
#
#   1. the array API tests on the GPU: tests/test_array_api.py's PyTorch
#      CUDA and CuPy cases, and scikit-learn's own array API checks of every
#      estimator (check_estimator) with PyTorch CUDA and CuPy, which skip
#      themselves on a machine without a GPU (CI has none); if any fails,
#      once more with warnings shown rather than raised;
#   2. benchmarks/gpu.py, its tables (the two steps took 3 minutes on an H200).
#
#   bash benchmarks/gpu_checks.sh OUTPUT_FOLDER [gpu.py's options]
#   bash benchmarks/gpu_checks.sh /tmp/trial --device cpu --quick  # a CPU trial
#
# Run from the repository's root, with the package importable (installed, or
# found on PYTHONPATH) and PyTorch (and CuPy, if it is to be tested) there.
# If a folder .whl holds wheels (scikit-learn >= 1.9, scipy, array-api-strict
# for a machine whose Python lacks them), they are installed first, into
# /tmp/site, without the network. Each step's output goes to the terminal
# and to OUTPUT_FOLDER (tests.txt, gpu.txt); the exit status is the first
# step's that failed.
set -uo pipefail

if [ $# -lt 1 ]; then
    echo "usage: bash benchmarks/gpu_checks.sh OUTPUT_FOLDER [gpu.py's options]" >&2
    exit 2
fi
output=$1
shift
mkdir -p "$output"
export SCIPY_ARRAY_API=1 PYTHONUNBUFFERED=1
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
        --upgrade --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH="/tmp/site:$PYTHONPATH"
fi
python3 -c "import numpy, scipy, sklearn, torch; print('numpy', numpy.__version__, \
'scipy', scipy.__version__, 'scikit-learn', sklearn.__version__, 'torch', \
torch.__version__, 'CUDA' if torch.cuda.is_available() else 'no CUDA')" \
    | tee "$output/versions.txt" || exit 1

python3 -c "import cupy; print('cupy', cupy.__version__, \
cupy.cuda.runtime.getDeviceCount(), 'device(s)')" 2>&1 | tail -1 \
    | tee -a "$output/versions.txt"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,\
memory.total,clocks.max.sm --format=csv 2>&1 | tee -a "$output/versions.txt"

status=0
# The cases that need a GPU: "cuda" and "cupy" in their ids (100 s at most),
# with every warning an error, as in CI.
tests="tests/test_array_api.py tests/test_common.py"
timeout 100 python3 -m pytest -q -p no:cacheprovider -rfEs $tests \
    -k "cuda or cupy" 2>&1 | tee "$output/tests.txt" || status=$?
if [ "$status" -ne 0 ]; then
    # Again with warnings shown, not raised: which failures are warnings
    # alone (of this machine's library versions, say), and which are not.
    echo "--- again, warnings shown rather than raised ---" | tee -a "$output/tests.txt"
    timeout 60 python3 -m pytest -q -p no:cacheprovider -rfE -W default $tests \
        -k "cuda or cupy" 2>&1 | tee -a "$output/tests.txt"
fi
timeout 420 python3 benchmarks/gpu.py "$@" 2>&1 | tee "$output/gpu.txt"
benchmark_status=$?
if [ "$status" -eq 0 ]; then
    status=$benchmark_status
fi
exit "$status"
