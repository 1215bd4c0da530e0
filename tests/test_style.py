"""Style: ruff, with the settings in pyproject.toml, finds nothing in labhelpers/, tests/ or
benchmarks/ (lines of at most 99 characters, no syntax errors, undefined or unused names).

ruff comes with the ``test`` extra (``pip install -e ".[test]"``); without it this test fails with
that hint rather than passing unchecked.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: The folders CI keeps clean (benchmarks/experiments is excluded in pyproject.toml: frozen).
CHECKED = ("labhelpers", "tests", "benchmarks")

INSTALL_HINT = (
    "ruff is not installed; it is part of the test extra: pip install -e \".[test]\" "
    "(or pip install ruff)"
)

#: One finding in ruff's concise output: ``path:line:column: CODE message``.
FINDING = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<column>\d+): (?P<rest>.+)$")


def ruff_command() -> list[str]:
    """How to start ruff: the module of this Python's ruff package, else a ``ruff`` on PATH."""
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    found = shutil.which("ruff")
    if found:
        return [found]
    pytest.fail(INSTALL_HINT, pytrace=False)


def ruff_findings(paths: list[str], folder: Path = ROOT) -> list[str]:
    """``path:line: CODE message`` for all ruff reports on ``paths`` (relative to ``folder``),
    with the settings of the project's pyproject.toml."""
    done = subprocess.run(
        [
            *ruff_command(),
            "check",
            "--no-cache",
            "--config",
            str(ROOT / "pyproject.toml"),
            "--output-format",
            "concise",
            *paths,
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode not in (0, 1):
        pytest.fail(f"ruff could not run (exit {done.returncode}):\n{done.stderr}", pytrace=False)
    findings = []
    for line in done.stdout.splitlines():
        found = FINDING.match(line.strip())
        if found:
            findings.append(f"{found['path']}:{found['line']}: {found['rest']}")
    if done.returncode == 1 and not findings:
        pytest.fail(f"ruff failed without findings:\n{done.stdout}{done.stderr}", pytrace=False)
    return findings


def test_ruff_finds_nothing():
    findings = ruff_findings(list(CHECKED))
    if findings:
        pytest.fail(
            f"ruff (pyproject.toml's settings) found {len(findings)} problem(s); fix them (long "
            "lines: wrap the comment or split the string) and check again with "
            "`ruff check labhelpers tests benchmarks`:\n" + "\n".join(findings),
            pytrace=False,
        )


def test_without_ruff_the_failure_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None)
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
    with pytest.raises(pytest.fail.Exception, match=r"pip install -e \"\.\[test\]\""):
        ruff_command()


def test_a_long_line_is_reported_with_its_place(tmp_path):
    """The check can fail: a file with one 100-character line is reported at that line."""
    sample = tmp_path / "sample.py"
    sample.write_text('"""A sample."""\n\nNAME = 1\n' + "# " + "x" * 98 + "\n", encoding="utf-8")
    findings = ruff_findings(["sample.py"], folder=tmp_path)
    assert len(findings) == 1
    assert findings[0].startswith("sample.py:4: E501"), findings
