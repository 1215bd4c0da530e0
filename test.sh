#!/usr/bin/env bash
# The test command: installs what the tests need, then runs them.
#   1. setup.sh --no-run --test (venv, package, test tools, weights)
#   2. Debian's Chromium for the browser tests (apt-get; skipped if /usr/bin/chromium exists)
#   3. pytest: unit tests, every notebook in fast mode (LAB_FAST=1), the browser tests
#   4. the notebooks again in a Colab-like environment (.venv-colab: ipywidgets 7.7,
#      the oldest TensorFlow labhelpers supports); skip with --no-colab
# Extra arguments go to the first pytest run (e.g. ./test.sh -k losses --no-colab).
set -euo pipefail
cd "$(dirname "$0")"

colab=1
args=()
for arg in "$@"; do
  if [ "$arg" = "--no-colab" ]; then colab=0; else args+=("$arg"); fi
done

bash setup.sh --no-run --test

if [ ! -x /usr/bin/chromium ]; then
  echo "==> Installing Debian's chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

export LAB_REQUIRE_WEIGHTS=1
echo "==> Running the tests"
.venv/bin/python -m pytest "${args[@]}"

if [ "$colab" = 1 ]; then
  echo "==> The notebooks in a Colab-like environment (.venv-colab)"
  PYTHON=${PYTHON:-python3}
  [ -x .venv-colab/bin/python ] || "$PYTHON" -m venv .venv-colab
  .venv-colab/bin/python -m pip install --disable-pip-version-check -q -r ci/colab-requirements.txt -e .
  .venv-colab/bin/python -m pytest -m "not browser" tests/test_notebooks.py tests/test_losses.py tests/test_widgets.py
fi
