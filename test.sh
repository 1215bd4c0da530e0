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
#   5. the lowest Python the project admits, 3.10, with the oldest versions it admits
#      (.venv-py310: tensorflow 2.16, numpy 1.x, .ci/oldest-requirements.txt) and a plain,
#      non-editable `pip install .`: the default pair stylised from an empty folder, the unit
#      tests and every notebook in fast mode; skip with --no-py310 (or --no-oldest)
#   6. the newest Python it admits, 3.13 (.venv-py313): the README's Windows steps as plain
#      commands (python -m venv, python -m pip install -e ".[lab]", python -m labhelpers weights /
#      stylize), then a plain `pip install .` stylising from an empty folder, the unit tests and
#      every notebook in fast mode; skip with --no-py313
#   Stages 5 and 6 take their Python from .ci/find-python (PATH, then pyenv); on a machine
#   without that version they print that they were skipped and why, and the run goes on.
# Extra arguments go to the first pytest run (e.g. ./test.sh -k losses --no-colab --no-py310).
# Runs on macOS's bash 3.2 too: no associative arrays, and no "${array[@]}" of an empty array.
set -euo pipefail
cd "$(dirname "$0")"

colab=1
py310=1
py313=1
args=()
for arg in "$@"; do
  case "$arg" in
    --no-colab) colab=0 ;;
    --no-py310 | --no-oldest) py310=0 ;;
    --no-py313) py313=0 ;;
    *) args+=("$arg") ;;
  esac
done

bash setup.sh --no-run --test
VENV_PY=$(bash setup.sh --which-python | sed -n 's/^venv: //p')

if [ ! -x /usr/bin/chromium ]; then
  echo "==> Installing Debian's chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

PYTHON=${PYTHON:-python3}
pip_quiet=(--disable-pip-version-check -q)

echo "==> Running the tests"
# (${args[@]+...} expands to nothing for no arguments, where bash 3.2 would call it unbound)
"$VENV_PY" -m pytest --ignore=tests/colab ${args[@]+"${args[@]}"}

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
  .venv-colab/bin/python -m pip install "${pip_quiet[@]}" -r .ci/colab-requirements.txt \
    -c .ci/colab-constraints.txt
  LAB_COLAB_PYTHON=.venv-colab/bin/python "$VENV_PY" -m pytest tests/colab
fi

# --- other Pythons -----------------------------------------------------------------------------

# The interpreter inside venv folder $1 (bin/python, or Scripts/python.exe on Windows).
venv_python_in() {
  if [ -x "$1/bin/python" ]; then echo "$1/bin/python"; else echo "$1/Scripts/python.exe"; fi
}

# Stylise the bundled default pair at a tiny size with interpreter $1 from an empty folder (so
# only the installed package can provide the pictures) and check that a PNG came out.
stylize_from_empty_folder() {
  local python empty repo
  python=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  repo=$(pwd -P)
  empty=$(mktemp -d)
  # without PYTHONPATH and LAB_IMAGES_DIR, which could point at the clone's copy; and the
  # package must be the installed one, not this clone (an editable install would be)
  (cd "$empty" && env -u PYTHONPATH -u LAB_IMAGES_DIR "$python" -c "import labhelpers, os, sys
sys.exit(os.path.realpath(labhelpers.__file__).startswith(sys.argv[1]))" "$repo/labhelpers/" \
    && env -u PYTHONPATH -u LAB_IMAGES_DIR \
    "$python" -m labhelpers stylize --size 64 --steps 4 --no-progress -o default_pair.png) \
    || { echo "test.sh: $1 did not stylise from an installed (non-editable) package" >&2; exit 1; }
  [ -s "$empty/default_pair.png" ] || { echo "test.sh: no picture from $1" >&2; exit 1; }
  rm -rf "$empty"
}

# The unit tests and every notebook in fast mode (not the browser or Colab tests).
unit_and_notebook_tests() {
  LAB_FAST=1 "$1" -m pytest -q -m "not browser" --ignore=tests/colab --ignore=tests/browser
}

if [ "$py310" = 1 ]; then
  if py310_path=$(.ci/find-python 3.10); then
    echo "==> Python 3.10 with the oldest tensorflow (2.16) and numpy (1.x); a plain install"
    [ -d .venv-py310 ] || "$py310_path" -m venv .venv-py310
    py=$(venv_python_in .venv-py310)
    "$py" -m pip install "${pip_quiet[@]}" -r .ci/oldest-requirements.txt ".[test]"
    "$py" -m labhelpers weights
    stylize_from_empty_folder "$py"
    unit_and_notebook_tests "$py"
  else
    echo "==> Python 3.10: SKIPPED, this machine has no Python 3.10 (not on PATH, not in pyenv);" \
      "install it (pyenv install 3.10) to test the lowest Python that pyproject.toml admits"
  fi
fi

if [ "$py313" = 1 ]; then
  if py313_path=$(.ci/find-python 3.13); then
    echo "==> Python 3.13: the README's Windows steps as plain commands, then a plain install"
    rm -rf .venv-py313  # a fresh venv, as a student's first set-up
    "$py313_path" -m venv .venv-py313
    py=$(venv_python_in .venv-py313)
    "$py" -m pip install "${pip_quiet[@]}" -e ".[lab]"
    "$py" -m labhelpers weights
    "$py" -m labhelpers stylize --size 64 --steps 4 --no-progress --overwrite \
      -o outputs/py313_default_pair.png
    "$py" -m pip uninstall "${pip_quiet[@]}" -y labhelpers  # the editable install goes ...
    "$py" -m pip install "${pip_quiet[@]}" ".[test]"  # ... for a plain (non-editable) one
    stylize_from_empty_folder "$py"
    unit_and_notebook_tests "$py"
  else
    echo "==> Python 3.13: SKIPPED, this machine has no Python 3.13 (not on PATH, not in pyenv);" \
      "install it (pyenv install 3.13) to test the newest Python that pyproject.toml admits"
  fi
fi
