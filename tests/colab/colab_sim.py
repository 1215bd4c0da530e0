"""The simulated Colab runtime's parts, shared by ``conftest.py`` and the tests (see conftest)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from labhelpers import colab

HERE = Path(__file__).resolve().parent
STUB_DIR = HERE / "stub"
KERNEL_NAME = "colab-sim"
#: The packages whose versions are Colab's (and must not change while the notebooks run).
COLAB_PINNED = (
    "tensorflow",
    "keras",
    "numpy",
    "ipywidgets",
    "ipykernel",
    "ipython",
    "jupyter_client",
    "traitlets",
    "tornado",
    "matplotlib",
    "pillow",
    "scipy",
    "tqdm",
)
#: Seconds each notebook took in the runtime, shown at the end of the session.
TIMES_S: dict[str, float] = {}
#: What each notebook's first cell reported as its Colab set-up time ("Colab set-up: N s").
SETUP_REPORTS: dict[str, str] = {}
VERSIONS: dict[str, str] = {}
#: Colab's Python (major, minor); the runtime falls back to 3.11 where a machine lacks it.
COLAB_PYTHON = (3, 13)


def python_version(python: str) -> tuple[int, int, int]:
    """The (major, minor, micro) version of the interpreter ``python``."""
    out = subprocess.run(
        [python, "-c", "import sys; print(*sys.version_info[:3])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    major, minor, micro = (int(part) for part in out.split())
    return major, minor, micro


def git(*args: str, cwd: Path | None = None) -> str:
    """Run ``git args`` in ``cwd``; its standard output, stripped."""
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def pip_freeze(python: str) -> dict[str, str]:
    """``{lower-case name with '_' for '-': version}`` of what is installed for ``python``."""
    out = subprocess.run(
        [python, "-m", "pip", "freeze", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    versions = {}
    for line in out.splitlines():
        if "==" in line:
            name, version = line.split("==", 1)
            versions[name.strip().lower().replace("-", "_")] = version.strip()
        elif " @ " in line:
            name, where = line.split(" @ ", 1)
            versions[name.strip().lower().replace("-", "_")] = where.strip()
    return versions


@dataclass
class ColabRuntime:
    """A way to start fresh simulated-Colab kernels; see conftest.py's docstring.

    ``repo_url`` is a bare clone of the repository in which the branch ``repo_ref`` keeps
    ``commit`` reachable; the notebooks' first cells fetch ``commit`` itself, never the branch.
    """

    python: str
    repo_url: str
    repo_ref: str
    commit: str
    kernels_dir: Path
    repo_root: Path
    cache_dir: Path
    pinned: dict[str, str] = field(default_factory=dict)

    def notebook_text(self, name: str) -> str:
        """The text of ``notebooks/<name>`` at the commit under test (not the working tree's)."""
        result = subprocess.run(
            ["git", "show", f"{self.commit}:notebooks/{name}"],
            cwd=self.repo_root,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise AssertionError(
                f"notebooks/{name} is not in commit {self.commit[:10]}: commit it first "
                "(the simulated Colab runtime tests what is committed)"
            )
        return result.stdout

    def fresh_env(self, home: Path, cache_dir: Path | None = None, **extra: str) -> dict[str, str]:
        """The environment of one new kernel: a fresh runtime, its Keras cache ``home/keras``."""
        subprocess.run(
            [self.python, "-m", "pip", "uninstall", "-y", "-q", "labhelpers"],
            capture_output=True,
            check=False,
        )  # a fresh runtime has no labhelpers
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("LAB_", "PYTHON", "JPY_", "VIRTUAL_ENV", "KERAS_"))
        }
        env.update(
            {
                "PATH": f"{Path(self.python).parent}{os.pathsep}{os.environ.get('PATH', '')}",
                "PYTHONPATH": str(STUB_DIR),
                "LAB_FAST": "1",
                "LAB_CACHE_DIR": str(cache_dir or self.cache_dir),
                "KERAS_HOME": str(home / "keras"),
                colab.REPO_URL_VARIABLE: self.repo_url,
                colab.REPO_COMMIT_VARIABLE: self.commit,  # the configured path: an exact commit
                "TF_CPP_MIN_LOG_LEVEL": "2",
                "PIP_DISABLE_PIP_VERSION_CHECK": "1",
                "PIP_PROGRESS_BAR": "off",
                # ipykernel 6.17 prints a debugger notice on every start without this
                "PYDEVD_DISABLE_FILE_VALIDATION": "1",
                "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            }
        )
        env.update(extra)
        return env
