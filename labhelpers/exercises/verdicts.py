"""The checkers' verdicts, recorded: each check writes its latest result to a small JSON file
beside the notebook, so that ``python -m labhelpers grade`` (and an instructor) can read what
passed without parsing what was printed.

The file, ``lab_verdicts.json``, maps each exercise to its latest verdict::

    {"format": 1, "exercises": {"gram_matrix": {"exercise": "gram_matrix", "status": "pass",
     "message": "✅ gram_matrix: correct on ...", "time": "2026-12-05T21:03:11+00:00"}, ...}}

``status`` is ``pass``, ``fail`` (the function gives wrong results or raises) or ``missing`` (not
written yet: it still raises NotImplementedError, or ``None`` was passed). Where it goes
(:func:`verdicts_folder`): ``LAB_VERDICTS_DIR`` if set; else, inside a Jupyter kernel, the kernel's
working folder (the notebook's folder in JupyterLab, Notebook 7, VS Code and nbclient) or
``/content`` in Colab; outside a kernel (scripts, the unit tests) nowhere. Recording never changes
what the student sees: it is written atomically (:func:`labhelpers.files.write_file`) and any
failure to write (a read-only folder) is ignored.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import sys
from pathlib import Path
from typing import Any, Optional

__all__ = ["VERDICTS_FILE", "STATUSES", "verdicts_folder", "record_verdict", "read_verdicts"]

#: The file's name, in :func:`verdicts_folder`.
VERDICTS_FILE = "lab_verdicts.json"

#: The statuses a verdict can have.
STATUSES = ("pass", "fail", "missing")


def _in_kernel() -> bool:
    """True inside a Jupyter (or Colab) kernel, False in a plain Python process."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ipython = shell.get_ipython()
    return ipython is not None and hasattr(ipython, "kernel")


def verdicts_folder() -> Optional[Path]:
    """The folder that holds :data:`VERDICTS_FILE` now, or None when verdicts are not recorded
    (outside a kernel, without ``LAB_VERDICTS_DIR``)."""
    chosen = os.environ.get("LAB_VERDICTS_DIR", "").strip()
    if chosen:
        return Path(chosen).expanduser()
    if not _in_kernel():
        return None
    if "google.colab" in sys.modules and Path("/content").is_dir():
        return Path("/content")
    return Path.cwd()


def read_verdicts(folder: Path) -> dict[str, dict[str, Any]]:
    """The verdicts recorded in ``folder`` (exercise -> its latest verdict); empty when there is no
    file or it cannot be read as verdicts."""
    try:
        data = json.loads((Path(folder) / VERDICTS_FILE).read_text(encoding="utf-8"))
        exercises = data["exercises"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {name: dict(v) for name, v in exercises.items() if isinstance(v, dict)}


def record_verdict(exercise: str, status: str, message: str) -> Optional[Path]:
    """Record the latest verdict of ``exercise`` (``status`` one of :data:`STATUSES`, ``message``
    the verdict as printed); returns the file written, or None when nothing was recorded."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
    folder = verdicts_folder()
    if folder is None:
        return None
    from labhelpers.files import write_file

    verdicts = read_verdicts(folder)
    verdicts[exercise] = {
        "exercise": exercise,
        "status": status,
        "message": message,
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    text = json.dumps({"format": 1, "exercises": verdicts}, indent=1, ensure_ascii=False)
    with contextlib.suppress(OSError):
        return write_file(folder / VERDICTS_FILE, text + "\n", overwrite=True)
    return None
