"""Google Colab support: the repository address, the "Open in Colab" links and the set-up code.

The repository address lives here and nowhere else (:data:`REPO_URL`, :data:`BRANCH`). The
notebooks have to spell their set-up code out literally, because in a fresh Colab runtime
``labhelpers`` is not installed yet when their first cell runs: every notebook's first code cell
starts with :func:`colab_setup_code`, and its badge links to :func:`colab_url`
(``tests/test_notebooks.py`` checks both).

A course that forks the lab changes :data:`REPO_URL` (and :data:`BRANCH` if it is not ``main``)
here and runs ``python -m labhelpers.colab`` once: that rewrites the set-up code and the badges of
every notebook to match. Without editing anything, the environment variables
:data:`REPO_URL_VARIABLE` (``LAB_REPO_URL``) and :data:`REPO_REF_VARIABLE` (``LAB_REPO_REF``) change
what the set-up code clones (the simulated-Colab test in ``tests/colab`` points them at a local
clone of the commit under test).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from labhelpers.config import REPO_ROOT

#: The public repository of the lab (notebooks, images and this package). A placeholder until the
#: lab has its public home: a fork puts its own address here and runs ``python -m labhelpers.colab``.
REPO_URL = "https://github.com/style-transfer-lab/style-transfer-lab"

#: The branch that the Colab links open and the set-up code clones.
BRANCH = "main"

#: The folder, relative to Colab's working directory ``/content``, that the clone goes into.
CLONE_DIR = "style-transfer-lab"

#: Environment variable that, when set, replaces :data:`REPO_URL` in the set-up code (any address
#: ``git clone`` accepts, e.g. ``file:///tmp/lab.git``).
REPO_URL_VARIABLE = "LAB_REPO_URL"

#: Environment variable that, when set, replaces :data:`BRANCH` in the set-up code (a branch or tag:
#: the clone is shallow, ``git clone --depth 1 --branch``).
REPO_REF_VARIABLE = "LAB_REPO_REF"

_COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^)\s]*?/notebooks/([\w.-]+\.ipynb)")


def in_colab() -> bool:
    """True when running inside a Google Colab kernel (the ``google.colab`` module is loaded)."""
    return "google.colab" in sys.modules


def colab_setup_code() -> str:
    """The lines every notebook's first code cell starts with (IPython syntax, one ``!`` line).

    Outside Colab they do nothing but ``import os, sys, time``. In Colab they clone
    ``$LAB_REPO_URL`` (default :data:`REPO_URL`) at ``$LAB_REPO_REF`` (default :data:`BRANCH`) into
    :data:`CLONE_DIR`, ``pip install -e`` it, put it first on ``sys.path`` (the kernel started
    before the install, so it would not see an editable install yet) and print what they did and
    how many seconds it took. When the clone did not arrive they stop with a message that says what
    to check, instead of a bare "No module named 'labhelpers'" one line later. When the folder is already there (the runtime ran a notebook of the
    lab before), they only say so: running them twice is harmless.

    Colab already has TensorFlow, Keras, NumPy, Matplotlib, ipywidgets, Pillow, SciPy, tqdm and
    threadpoolctl in versions that satisfy ``pyproject.toml``, so pip only adds ``labhelpers``
    itself (pip keeps installed requirements that are already satisfied).
    """
    clone = (f"git clone -q --depth 1 --branch {{_ref}} {{_url}} {CLONE_DIR} && pip install -q -e {CLONE_DIR}"
             f' && echo "Colab: cloned {{_url}} ({{_ref}}) into {CLONE_DIR}/ and pip-installed it"')
    return "\n".join([
        "import os, sys, time",
        'if "google.colab" in sys.modules:  # Colab only: fetch and install the lab\'s code (once per runtime)',
        f'    _url = os.environ.get("{REPO_URL_VARIABLE}", "{REPO_URL}")',
        f'    _ref, _start = os.environ.get("{REPO_REF_VARIABLE}", "{BRANCH}"), time.time()',
        f'    !test -d {CLONE_DIR} && echo "Colab: {CLONE_DIR}/ is already here" || ({clone})',
        f'    if not os.path.isdir("{CLONE_DIR}/labhelpers"):',
        f'        raise RuntimeError(f"Colab set-up failed: no {CLONE_DIR}/labhelpers after cloning {{_url}} ({{_ref}}). "',
        f'                           "Read the git/pip message above, check the address ({REPO_URL_VARIABLE}, "',
        f'                           "{REPO_REF_VARIABLE}) and the network, delete a half-made {CLONE_DIR}/ folder, "',
        '                           "then run this cell again.")',
        f'    sys.path.insert(0, "{CLONE_DIR}")',
        '    print(f"Colab set-up: {time.time() - _start:.0f} s")',
    ])


def colab_url(notebook: str) -> str:
    """The address that opens ``notebooks/<notebook>`` of :data:`REPO_URL` at :data:`BRANCH` in Colab.

    Args:
        notebook: a file name such as ``"01_feature_hierarchy.ipynb"`` (the ``.ipynb`` may be
            left out).

    Raises:
        ValueError: when :data:`REPO_URL` is not a ``https://github.com/`` address (Colab opens
            notebooks from GitHub only).
    """
    prefix = "https://github.com/"
    if not REPO_URL.startswith(prefix):
        raise ValueError(f"REPO_URL = {REPO_URL!r}: Colab links need a {prefix}<owner>/<repository> address; "
                         "set labhelpers.colab.REPO_URL to the GitHub repository of the lab")
    name = notebook if notebook.endswith(".ipynb") else notebook + ".ipynb"
    path = REPO_URL[len(prefix):].removesuffix(".git")
    return f"https://colab.research.google.com/github/{path}/blob/{BRANCH}/notebooks/{name}"


def colab_badge_markdown(notebook: str) -> str:
    """A Markdown "Open in Colab" badge linking to :func:`colab_url` of ``notebook``."""
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(notebook)})")


def sync_notebook(path: str | Path) -> bool:
    """Make one notebook's Colab set-up code and Colab links match this module; True if it changed.

    The set-up code is the first code cell's opening lines up to the first blank line (they must
    mention ``google.colab``); every ``colab.research.google.com/github/...`` link in a Markdown
    cell is pointed at :func:`colab_url` of the notebook. The file is rewritten the way the lab
    commits notebooks (JSON with one-space indent, UTF-8, trailing newline).

    Raises:
        ValueError: when the first code cell does not start with Colab set-up lines.
    """
    path = Path(path)
    notebook = json.loads(path.read_text(encoding="utf-8"))
    first = next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")
    source = "".join(first["source"])
    head, blank, rest = source.partition("\n\n")
    if "google.colab" not in head:
        raise ValueError(f"{path.name}: the first code cell must start with the Colab set-up lines "
                         "(labhelpers.colab.colab_setup_code()) followed by a blank line")
    changed = _set_source(first, colab_setup_code() + blank + rest)
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            changed |= _set_source(cell, _COLAB_LINK.sub(lambda m: colab_url(m.group(1)), text))
    if changed:
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return changed


def _set_source(cell: dict, text: str) -> bool:
    if "".join(cell["source"]) == text:
        return False
    cell["source"] = text.splitlines(keepends=True)
    return True


def main() -> None:
    """``python -m labhelpers.colab [NOTEBOOK ...]``: sync the notebooks (default: all in ``notebooks/``)."""
    paths = [Path(arg) for arg in sys.argv[1:]] or sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        print(f"{path.name}: {'updated' if sync_notebook(path) else 'already up to date'}")


__all__ = ["REPO_URL", "BRANCH", "CLONE_DIR", "REPO_URL_VARIABLE", "REPO_REF_VARIABLE", "in_colab",
           "colab_setup_code", "colab_url", "colab_badge_markdown", "sync_notebook", "main"]

if __name__ == "__main__":
    main()
