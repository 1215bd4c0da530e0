"""Settings shared by the whole package: fast mode, cache and image folders.

Everything here is read from environment variables so that notebooks, the command line
and CI can change it without editing code:

``LAB_FAST=1``          tiny images and few steps (CI and quick checks)
``LAB_CACHE_DIR``       where converted VGG16 weights are kept (default ``~/.cache/labhelpers``)
``LAB_WEIGHTS``         force a weight source for ``weights="auto"`` (``keras``, ``torchvision``,
                        a file path, or ``random``)
``LAB_IMAGES_DIR``      the folder holding ``content/`` and ``style/`` (default: the repository's
                        ``images/``)
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def fast_mode() -> bool:
    """True when ``LAB_FAST`` is set to a true value (1, true, yes, on)."""
    return os.environ.get("LAB_FAST", "").strip().lower() in {"1", "true", "yes", "on"}


def cache_dir() -> Path:
    """The folder for downloaded and converted weights; created on first use."""
    path = Path(os.environ.get("LAB_CACHE_DIR") or Path.home() / ".cache" / "labhelpers")
    path.mkdir(parents=True, exist_ok=True)
    return path


def images_dir() -> Path:
    """The folder with the bundled ``content/`` and ``style/`` images."""
    return Path(os.environ.get("LAB_IMAGES_DIR") or REPO_ROOT / "images")
