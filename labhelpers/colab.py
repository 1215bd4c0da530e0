"""Google Colab support: the repository address, the "Open in Colab" links and the setup command.

The repository URL lives here and nowhere else in the package. The notebooks have to spell the
setup command out literally (in Colab, ``labhelpers`` is not installed yet when their first cell
runs), so ``tests/test_notebooks.py`` checks that every notebook's text matches
:func:`colab_setup_command` and :func:`colab_url`.
"""

from __future__ import annotations

import sys

#: The public repository of the lab (notebooks, images and this package).
REPO_URL = "https://github.com/style-transfer-lab/style-transfer-lab"

#: The folder, relative to Colab's working directory ``/content``, that the clone goes into.
CLONE_DIR = "style-transfer-lab"

#: The branch the Colab links open.
BRANCH = "main"


def in_colab() -> bool:
    """True when running inside a Google Colab kernel (the ``google.colab`` module is loaded)."""
    return "google.colab" in sys.modules


def colab_setup_command() -> str:
    """The shell line that fetches and installs the lab in a fresh Colab runtime.

    It clones the repository into :data:`CLONE_DIR` and installs it in editable mode; it does
    nothing when the folder is already there, so running it twice is harmless. Colab already
    has TensorFlow, NumPy, Matplotlib and ipywidgets, so pip only adds ``labhelpers`` itself.
    """
    return (f"test -d {CLONE_DIR} || (git clone -q --depth 1 {REPO_URL} {CLONE_DIR} "
            f"&& pip install -q -e {CLONE_DIR})")


def colab_url(notebook: str) -> str:
    """The address that opens ``notebooks/<notebook>`` of the repository in Colab.

    Args:
        notebook: a file name such as ``"01_feature_hierarchy.ipynb"`` (the ``.ipynb`` may be
            left out).
    """
    name = notebook if notebook.endswith(".ipynb") else notebook + ".ipynb"
    path = REPO_URL.replace("https://github.com/", "")
    return f"https://colab.research.google.com/github/{path}/blob/{BRANCH}/notebooks/{name}"


def colab_badge_markdown(notebook: str) -> str:
    """A Markdown "Open in Colab" badge linking to :func:`colab_url` of ``notebook``."""
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(notebook)})")


__all__ = ["REPO_URL", "CLONE_DIR", "in_colab", "colab_setup_command", "colab_url",
           "colab_badge_markdown"]
