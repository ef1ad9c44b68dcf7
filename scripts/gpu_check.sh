#!/usr/bin/env bash
# The CUDA path, measured on a machine with a GPU (the README's GPU figures come from this script).
#
#   scripts/gpu_check.sh OUT_DIR [TRAIN_SECONDS]
#
# Needs the project's packages (requirements.txt) and the datasets ($FUSIONLAB_DATA). Writes to OUT_DIR:
#   bench-<task>.json  latency, throughput and the test split on the GPU against the CPU, for digits-av and shapes-vqa
#   app.json           the Playground's and Explain's server-side work on the GPU (scripts/bench_app.py)
#   log.txt            everything printed, with the parity tests and the digits-av zoo retrained on the GPU
# Each step runs even if one before it failed; the exit status is the number of failed steps.
# The retrain goes to a scratch directory (never pretrained/) and stops after TRAIN_SECONDS (default 240).
set -u -o pipefail
out=${1:?usage: scripts/gpu_check.sh OUT_DIR [TRAIN_SECONDS]}
train_seconds=${2:-240}
cd "$(dirname "$0")/.."
mkdir -p "$out"
export PYTHONUNBUFFERED=1
python=${PYTHON:-python3}
failed=0
step() {
    echo "== $* ($(date -u +%H:%M:%S))"
    "$@" || { echo "== failed: $*"; failed=$((failed + 1)); }
}
{
    step nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
    step "$python" -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda, torch.cuda.get_device_name())"
    for task in digits-av shapes-vqa; do
        step "$python" -m fusion_core bench --task "$task" --device cuda --compare-cpu --json "$out/bench-$task.json"
    done
    step "$python" -m pytest -q -p no:cacheprovider tests/test_device_parity.py
    step "$python" scripts/bench_app.py --device cuda --no-browser --json "$out/app.json"
    scratch=$(mktemp -d)
    step timeout "$train_seconds" "$python" -m fusion_core -v train --task digits-av --device cuda --out "$scratch" --no-evaluate
    rm -rf "$scratch"
    echo "== done ($(date -u +%H:%M:%S)), failed steps: $failed"
} 2>&1 | tee "$out/log.txt"
exit "$(grep -c '^== failed' "$out/log.txt")"
