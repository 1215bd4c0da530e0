"""The version a course pins: one number in pyproject, the package, CITATION.cff and CHANGELOG.md;
the licence and citation files are present."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import labhelpers

ROOT = Path(__file__).resolve().parent.parent

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    tomllib = pytest.importorskip("tomli")


def _pyproject_version() -> str:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return pyproject["project"]["version"]


def test_the_version_is_one_number_everywhere():
    version = _pyproject_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), "a version a course can pin: MAJOR.MINOR.PATCH"
    assert labhelpers.__version__ == version, "labhelpers.__version__ and pyproject.toml differ"
    citation = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(rf'^version: "{re.escape(version)}"$', citation, flags=re.M)
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    newest = re.findall(r"^## (\d+\.\d+\.\d+) - (\d{4}-\d\d-\d\d)$", changelog, flags=re.M)
    assert newest and newest[0][0] == version, "CHANGELOG.md's newest entry is not this version"
    assert re.search(rf'^date-released: "{newest[0][1]}"$', citation, flags=re.M)


def test_licence_and_citation_files():
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License") and "images/CREDITS.md" in licence
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["license"] == {"text": "MIT"}
    yaml = pytest.importorskip("yaml")
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0" and citation["license"] == "MIT"
    assert {"title", "authors", "message", "version"} <= set(citation)
