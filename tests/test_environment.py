"""environment.yml, pyproject.toml, the README and the scripts stay consistent."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower()


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def conda_pip() -> list[str]:
    yaml = pytest.importorskip("yaml")
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    pip_sections = [item["pip"] for item in env["dependencies"] if isinstance(item, dict)]
    assert len(pip_sections) == 1, "environment.yml needs exactly one pip: section"
    assert "pip" in env["dependencies"] and any(
        str(d).startswith("python") for d in env["dependencies"]
    )
    return pip_sections[0]


def test_environment_yml_installs_the_package_and_its_dependencies(pyproject, conda_pip):
    required = (
        pyproject["project"]["dependencies"] + pyproject["project"]["optional-dependencies"]["lab"]
    )
    listed = [line for line in conda_pip if not line.startswith("-e")]
    assert sorted(map(str.lower, listed)) == sorted(map(str.lower, required)), (
        "environment.yml's pip section and pyproject's dependencies + [lab] differ: "
        "edit both together"
    )
    assert "-e ." in conda_pip


def test_python_versions_agree(pyproject):
    """conda's Python is inside requires-python, which is the range test.sh tests (3.10-3.13)."""
    from packaging.specifiers import SpecifierSet

    yaml = pytest.importorskip("yaml")
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    admitted = SpecifierSet(pyproject["project"]["requires-python"])
    assert python.split("=")[1] in admitted
    # the lowest and the newest admitted minor versions are the ones test.sh runs
    assert [v for v in ("3.9", "3.10", "3.13", "3.14") if v in admitted] == ["3.10", "3.13"]
    test_sh = (ROOT / "test.sh").read_text()
    assert ".ci/find-python 3.10" in test_sh and ".ci/find-python 3.13" in test_sh
    classifiers = [
        c.rsplit(" :: ", 1)[1]
        for c in pyproject["project"]["classifiers"]
        if c.startswith("Programming Language :: Python :: 3.")
    ]
    assert classifiers == ["3.10", "3.11", "3.12", "3.13"]


def test_conda_uses_conda_forge_only():
    """Without nodefaults, Miniconda adds Anaconda's channels and their terms-of-service prompt."""
    yaml = pytest.importorskip("yaml")
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge", "nodefaults"]


def test_ipywidgets_floor_is_colab_compatible(pyproject):
    deps = {_name(d): d for d in pyproject["project"]["dependencies"]}
    assert deps["ipywidgets"] == "ipywidgets>=7.7"
    assert deps["tensorflow"].startswith("tensorflow>=2.16")
    oldest = (ROOT / ".ci" / "oldest-requirements.txt").read_text()
    oldest_tf = deps["tensorflow"].split(">=")[1]
    assert f"tensorflow=={oldest_tf}" in oldest or re.search(
        rf"tensorflow=={re.escape(oldest_tf)}\.\d+", oldest
    ), ".ci/oldest-requirements.txt must test the oldest TensorFlow that pyproject admits"
    colab = (ROOT / ".ci" / "colab-requirements.txt").read_text()
    assert "ipywidgets==7.7." in colab, (
        ".ci/colab-requirements.txt must hold Colab's ipywidgets 7.7"
    )


def test_the_colab_runtime_satisfies_pyproject(pyproject):
    """Colab's pinned versions meet pyproject's floors (else Colab's pip would upgrade them)."""
    from packaging.requirements import Requirement

    pins = dict(
        line.split("==", 1)
        for line in (ROOT / ".ci" / "colab-requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    pins = {name.lower().replace("_", "-"): version for name, version in pins.items()}
    for text in pyproject["project"]["dependencies"]:
        requirement = Requirement(text)
        name = requirement.name.lower().replace("_", "-")
        assert name in pins, f"{name} is a dependency but not pinned in .ci/colab-requirements.txt"
        assert requirement.specifier.contains(pins[name]), (
            f"Colab's {name}=={pins[name]} does not satisfy {text}"
        )


def test_ci_files_have_one_home():
    assert not (ROOT / "ci").exists(), "CI files live in .ci/ only"


def _quick_start_lines() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```[a-z]*\n(.*?)```", quick, flags=re.S)
    return [
        line.strip()
        for block in blocks
        for line in block.strip().splitlines()
        if line.strip() and not line.strip().startswith(("#", "REM"))
    ]


def test_readme_quick_start_has_the_setup_and_the_test_command():
    lines = _quick_start_lines()
    assert "bash setup.sh" in lines and "bash test.sh" in lines, lines
    assert "bash test.sh" in (ROOT / ".ci" / "run").read_text()


def test_ci_runs_the_windows_steps_as_plain_commands():
    """test.sh runs the steps a student without bash types (python -m ..., no wrapper script)."""
    test_sh = (ROOT / "test.sh").read_text()
    for step in (
        '-m venv .venv-py313',
        '-m pip install "${pip_quiet[@]}" -e ".[lab]"',
        "-m labhelpers weights",
        "-m labhelpers stylize",
    ):
        assert step in test_sh, step


def test_every_windows_command_in_the_readme_is_run_by_ci():
    """Each `.venv\\Scripts\\python -m ...` line of the quick start is a command test.sh runs
    (with its venv's interpreter), so the Windows path cannot rot unnoticed."""
    test_sh = " ".join((ROOT / "test.sh").read_text().replace('"${pip_quiet[@]}" ', "").split())
    for line in _quick_start_lines():
        match = re.match(r"\.venv\\Scripts\\python(?:\.exe)? (-m .*)", line)
        if match:
            assert match.group(1).split(" --")[0] in test_sh, f"test.sh does not run: {line}"
