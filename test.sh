#!/usr/bin/env bash
# The test command: installs what the tests need, then runs them.
#   1. setup.sh --no-run --test (venv, package, test tools, weights)
#   2. Debian's Chromium for the browser tests (apt-get; skipped if /usr/bin/chromium exists)
#   3. pytest: unit tests, every notebook in fast mode (LAB_FAST=1), the browser tests
#   4. a simulated Google Colab runtime (.venv-colab: Colab's versions of TensorFlow, Keras, NumPy,
#      ipywidgets, IPython, ..., from .ci/colab-requirements.txt, without labhelpers): every
#      notebook runs there from its own first cell, which clones this repository's HEAD commit
#      (commit first: uncommitted changes are not tested there) and installs it (tests/colab);
#      skip with --no-colab
#   5. the oldest supported environment (.venv-oldest: tensorflow 2.16, numpy 1.x,
#      .ci/oldest-requirements.txt): the unit tests; skip with --no-oldest
# Extra arguments go to the first pytest run (e.g. ./test.sh -k losses --no-colab --no-oldest).
set -euo pipefail
cd "$(dirname "$0")"

colab=1
oldest=1
args=()
for arg in "$@"; do
  case "$arg" in
    --no-colab) colab=0 ;;
    --no-oldest) oldest=0 ;;
    *) args+=("$arg") ;;
  esac
done

bash setup.sh --no-run --test

if [ ! -x /usr/bin/chromium ]; then
  echo "==> Installing Debian's chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

export LAB_REQUIRE_WEIGHTS=1
PYTHON=${PYTHON:-python3}
pip_quiet=(--disable-pip-version-check -q)

echo "==> Running the tests"
.venv/bin/python -m pytest --ignore=tests/colab "${args[@]}"

if [ "$colab" = 1 ]; then
  echo "==> The notebooks in a simulated Google Colab runtime (.venv-colab)"
  # Colab's Python is 3.13; where this machine has none, 3.11 (and the tests say so)
  colab_python=$(.ci/find-python 3.13) || {
    colab_python=$(.ci/find-python 3.11 || command -v "$PYTHON")
    echo "NOTE: no Python 3.13 (Colab's) here; the simulated runtime uses $("$colab_python" -V)"
  }
  version='import sys; print(*sys.version_info[:2])'
  if [ ! -x .venv-colab/bin/python ] ||
     [ "$(.venv-colab/bin/python -c "$version")" != "$("$colab_python" -c "$version")" ]; then
    rm -rf .venv-colab && "$colab_python" -m venv .venv-colab
  fi
  .venv-colab/bin/python -m pip install "${pip_quiet[@]}" -r .ci/colab-requirements.txt -c .ci/colab-constraints.txt
  LAB_COLAB_PYTHON=.venv-colab/bin/python .venv/bin/python -m pytest tests/colab
fi

if [ "$oldest" = 1 ]; then
  echo "==> The unit tests in the oldest supported environment (.venv-oldest: tensorflow 2.16, numpy 1.x)"
  [ -x .venv-oldest/bin/python ] || "$PYTHON" -m venv .venv-oldest
  .venv-oldest/bin/python -m pip install "${pip_quiet[@]}" -r .ci/oldest-requirements.txt -e .
  .venv-oldest/bin/python -m pytest -m "not browser and not notebooks" --ignore=tests/colab --ignore=tests/browser
fi
