"""Stand-in for ``google.colab.files``: ``upload()`` as the browser would answer it.

In Colab, ``files.upload()`` shows a file picker, writes each chosen file into the working folder
(``/content``) under its own name, whatever its size, and returns ``{file name: file bytes}``.
Here the "chosen" files are the paths listed in the environment variable
:data:`CHOSEN_FILES_VARIABLE` (separated by ``os.pathsep``), set by the test.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

#: Environment variable naming the files the simulated student picks.
CHOSEN_FILES_VARIABLE = "COLAB_STUB_UPLOAD"


def upload() -> dict[str, bytes]:
    """Copy the chosen files into the working folder; ``{file name: bytes}`` as Colab returns."""
    chosen = [Path(p) for p in os.environ.get(CHOSEN_FILES_VARIABLE, "").split(os.pathsep) if p]
    uploaded = {}
    for path in chosen:
        target = Path.cwd() / path.name
        shutil.copyfile(path, target.with_name(target.name + ".part"))
        os.replace(target.with_name(target.name + ".part"), target)
        uploaded[path.name] = target.read_bytes()
    return uploaded
