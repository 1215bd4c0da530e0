"""Windows, macOS and Linux: advice that names both shells, set-up scripts that find Python.

setup.sh and test.sh run under bash on macOS and Linux and in Git Bash on Windows, where the
venv's interpreter is .venv/Scripts/python.exe and ``python3`` may be missing; the tests below
run setup.sh's own interpreter-finding part (``--which-python``) on fake trees.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "labhelpers"


# --------------------------------------------------------------------------- advice in messages


def _sources() -> dict[str, str]:
    """Every module's text, with adjacent string literals split over lines joined ("a "\n "b"
    becomes "a b"), so that advice is read as the message prints it."""
    return {
        path.relative_to(ROOT).as_posix(): re.sub(
            r"([\"'])\s*\n\s*[rf]?\1", "", path.read_text(encoding="utf-8")
        )
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def test_advice_to_set_a_variable_names_both_shells():
    """`export X=...` / `unset X` only next to the Windows equivalent (PowerShell and cmd)."""
    offenders = []
    for name, text in _sources().items():
        for match in re.finditer(r"`(export|unset) [A-Z_]+", text):
            nearby = text[max(0, match.start() - 300) : match.end() + 300]
            if "PowerShell" not in nearby or "cmd" not in nearby:
                offenders.append(f"{name}: {match.group(0)}")
    assert not offenders, f"bash-only advice without the Windows commands: {offenders}"


def test_no_bash_only_commands_in_messages():
    """Quoting with '...' after python -c, .venv/bin and python3 do not work in Windows' cmd."""
    pattern = re.compile(r"python -c '|\.venv/bin|\bpython3 -m\b|\bsource \.venv")
    offenders = [
        f"{name}: {m.group(0)}"
        for name, text in _sources().items()
        for m in pattern.finditer(text)
    ]
    assert not offenders, offenders


def test_the_unset_weights_message_names_every_shell(monkeypatch, tmp_path):
    from labhelpers.network import weights

    monkeypatch.setenv("LAB_WEIGHTS", "no-such-source")
    monkeypatch.setenv("LAB_CACHE_DIR", str(tmp_path))
    with pytest.raises(weights.WeightsError) as info:
        weights.prepare_weights("auto", download=False, verbose=False)
    message = str(info.value)
    for command in ("unset LAB_WEIGHTS", "Remove-Item Env:LAB_WEIGHTS", "set LAB_WEIGHTS="):
        assert command in message, message


# --------------------------------------------------------------------------- setup.sh's Python


def _fake_program(folder: Path, name: str, script: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def _which_python(
    tmp_path: Path, programs: dict[str, str], venv: str | None = None, python: str | None = None
) -> subprocess.CompletedProcess:
    """Run a copy of setup.sh --which-python in a fake tree whose PATH holds only ``programs``
    (name -> sh script; exit 0 = "I am Python 3.10-3.13") and dirname."""
    tree, bin_dir = tmp_path / "tree", tmp_path / "bin"
    tree.mkdir()
    bin_dir.mkdir()
    shutil.copy2(ROOT / "setup.sh", tree / "setup.sh")
    os.symlink(shutil.which("dirname"), bin_dir / "dirname")
    for name, script in programs.items():
        _fake_program(bin_dir, name, script)
    if venv:
        (tree / venv).parent.mkdir(parents=True)
        _fake_program(tree, venv, "exit 0")
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    if python:
        env["PYTHON"] = python
    return subprocess.run(
        [shutil.which("bash"), str(tree / "setup.sh"), "--which-python"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )


def _lines(result: subprocess.CompletedProcess) -> dict[str, str]:
    assert result.returncode == 0, result.stderr
    return dict(
        line.split(": ", 1) if ": " in line else (line.rstrip(":"), "")
        for line in result.stdout.splitlines()
    )


@pytest.mark.skipif(sys.platform == "win32", reason="fake POSIX programs")
def test_git_bash_layout_python_without_python3(tmp_path):
    """Windows in Git Bash: python.org gives `python` (no python3) and .venv/Scripts/python.exe."""
    found = _lines(_which_python(tmp_path, {"python": "exit 0"}, venv=".venv/Scripts/python.exe"))
    assert found == {"python": "python", "venv": ".venv/Scripts/python.exe"}


@pytest.mark.skipif(sys.platform == "win32", reason="fake POSIX programs")
def test_a_too_old_python3_is_passed_over(tmp_path):
    """macOS: /usr/bin/python3 may be 3.9 (fails the version check); python3.12 is taken."""
    found = _lines(
        _which_python(
            tmp_path, {"python3": "exit 1", "python3.12": "exit 0"}, venv=".venv/bin/python"
        )
    )
    assert found == {"python": "python3.12", "venv": ".venv/bin/python"}


@pytest.mark.skipif(sys.platform == "win32", reason="fake POSIX programs")
def test_the_windows_launcher_is_the_last_resort(tmp_path):
    launcher = 'case "$1" in -3.12) exit 0 ;; *) exit 1 ;; esac'
    found = _lines(_which_python(tmp_path, {"python3": "exit 9009", "py": launcher}))
    assert found == {"python": "py -3.12", "venv": ""}


@pytest.mark.skipif(sys.platform == "win32", reason="fake POSIX programs")
def test_python_variable_may_be_a_path_with_spaces(tmp_path):
    folder = tmp_path / "Program Files" / "Python312"
    folder.mkdir(parents=True)
    _fake_program(folder, "python.exe", "exit 0")
    found = _lines(_which_python(tmp_path, {}, python=str(folder / "python.exe")))
    assert found["python"] == str(folder / "python.exe")


@pytest.mark.skipif(sys.platform == "win32", reason="fake POSIX programs")
def test_no_suitable_python_says_which_versions_and_how_to_name_one(tmp_path):
    result = _which_python(tmp_path, {"python3": "exit 1"})
    assert result.returncode == 1
    assert "Python 3.10 to 3.13 is needed" in result.stderr and "PYTHON=" in result.stderr
