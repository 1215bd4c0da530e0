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
    assert "pip" in env["dependencies"] and any(str(d).startswith("python") for d in env["dependencies"])
    return pip_sections[0]


def test_environment_yml_installs_the_package_and_its_dependencies(pyproject, conda_pip):
    required = pyproject["project"]["dependencies"] + pyproject["project"]["optional-dependencies"]["lab"]
    listed = [line for line in conda_pip if not line.startswith("-e")]
    assert sorted(map(str.lower, listed)) == sorted(map(str.lower, required)), (
        "environment.yml's pip section and pyproject's dependencies + [lab] differ: "
        "edit both together"
    )
    assert "-e ." in conda_pip


def test_python_versions_agree(pyproject):
    import yaml

    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    conda_version = tuple(int(p) for p in python.split("=")[1].split(".")[:2])
    minimum = tuple(int(p) for p in pyproject["project"]["requires-python"].lstrip(">=").split("."))
    assert conda_version >= minimum


def test_ipywidgets_floor_is_colab_compatible(pyproject):
    deps = {_name(d): d for d in pyproject["project"]["dependencies"]}
    assert deps["ipywidgets"] == "ipywidgets>=7.7"
    assert deps["tensorflow"].startswith("tensorflow>=2.16")
    oldest = (ROOT / ".ci" / "oldest-requirements.txt").read_text()
    oldest_tf = deps["tensorflow"].split(">=")[1]
    assert f"tensorflow=={oldest_tf}" in oldest or re.search(rf"tensorflow=={re.escape(oldest_tf)}\.\d+", oldest), (
        ".ci/oldest-requirements.txt must test the oldest TensorFlow that pyproject admits"
    )
    colab = (ROOT / ".ci" / "colab-requirements.txt").read_text()
    assert "ipywidgets==7.7." in colab, ".ci/colab-requirements.txt must hold Colab's ipywidgets 7.7"


def test_the_colab_runtime_satisfies_pyproject(pyproject):
    """Colab's pinned versions meet pyproject's floors (else Colab's pip would upgrade them)."""
    from packaging.requirements import Requirement

    pins = dict(line.split("==", 1) for line in (ROOT / ".ci" / "colab-requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    pins = {name.lower().replace("_", "-"): version for name, version in pins.items()}
    for text in pyproject["project"]["dependencies"]:
        requirement = Requirement(text)
        name = requirement.name.lower().replace("_", "-")
        assert name in pins, f"{name} is a dependency but not pinned in .ci/colab-requirements.txt"
        assert requirement.specifier.contains(pins[name]), f"Colab's {name}=={pins[name]} does not satisfy {text}"


def test_ci_files_have_one_home():
    assert not (ROOT / "ci").exists(), "CI files live in .ci/ only"


def test_readme_quick_start_has_one_setup_and_one_test_command():
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```(?:bash|sh)?\n(.*?)```", quick, flags=re.S)
    lines = [line for block in commands for line in block.strip().splitlines() if line and not line.startswith("#")]
    assert lines == ["bash setup.sh", "bash test.sh"], lines
    assert "bash test.sh" in (ROOT / ".ci" / "run").read_text()
