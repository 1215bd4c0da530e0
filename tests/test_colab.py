"""labhelpers.colab: the repository address, the Colab links, the set-up code and the notebook sync."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from labhelpers import colab
from labhelpers.config import REPO_ROOT


def test_colab_links_follow_repo_url_and_branch(monkeypatch):
    assert colab.colab_url("01_feature_hierarchy") == (
        f"https://colab.research.google.com/github/{colab.REPO_URL.removeprefix('https://github.com/')}"
        f"/blob/{colab.BRANCH}/notebooks/01_feature_hierarchy.ipynb")
    monkeypatch.setattr(colab, "REPO_URL", "https://github.com/a-course/its-fork.git")
    monkeypatch.setattr(colab, "BRANCH", "spring")
    assert colab.colab_url("00_setup.ipynb") == (
        "https://colab.research.google.com/github/a-course/its-fork/blob/spring/notebooks/00_setup.ipynb")
    assert "(https://colab.research.google.com/github/a-course/its-fork/blob/spring/notebooks/x.ipynb)" in (
        colab.colab_badge_markdown("x"))
    monkeypatch.setattr(colab, "REPO_URL", "https://gitlab.com/a/b")
    with pytest.raises(ValueError, match="github.com"):
        colab.colab_url("x")


def test_in_colab_looks_for_the_google_colab_module(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert colab.in_colab() is False
    monkeypatch.setitem(sys.modules, "google.colab", object())
    assert colab.in_colab() is True


def _as_python(code: str) -> str:
    """What IPython makes of the set-up code (its ``!`` line becomes a get_ipython().system call)."""
    return TransformerManager().transform_cell(code)


def test_setup_code_clones_the_overridable_address_and_reports(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / colab.CLONE_DIR / "labhelpers").mkdir(parents=True)  # what the clone leaves
    monkeypatch.setattr(colab, "REPO_URL", "https://github.com/a-course/its-fork")
    monkeypatch.setattr(colab, "BRANCH", "spring")
    code = colab.colab_setup_code()
    commands: list[str] = []

    class FakeShell:
        def system(self, command: str) -> None:
            commands.append(command)

    def run(environ: dict[str, str]) -> dict:
        namespace = {"get_ipython": FakeShell}
        monkeypatch.setitem(sys.modules, "google.colab", object())
        for key in (colab.REPO_URL_VARIABLE, colab.REPO_REF_VARIABLE):
            monkeypatch.delenv(key, raising=False)
        for key, value in environ.items():
            monkeypatch.setenv(key, value)
        exec(_as_python(code), namespace)  # noqa: S102 - our own code
        return namespace

    monkeypatch.setattr(sys, "path", list(sys.path))
    namespace = run({})
    assert (namespace["_url"], namespace["_ref"]) == ("https://github.com/a-course/its-fork", "spring")
    namespace = run({"LAB_REPO_URL": "file:///tmp/lab.git", "LAB_REPO_REF": "under-test"})
    assert (namespace["_url"], namespace["_ref"]) == ("file:///tmp/lab.git", "under-test")
    assert len(commands) == 2 and sys.path[0] == colab.CLONE_DIR
    # IPython expands {_url} and {_ref} in the `!` line from the namespace: the clone uses them
    command = commands[1]
    assert "git clone -q --depth 1 --branch {_ref} {_url} style-transfer-lab" in command
    assert command.startswith("test -d style-transfer-lab && echo") and "pip install -q -e style-transfer-lab" in command


def test_a_failed_clone_stops_with_what_to_check(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # nothing was cloned here (the fake shell runs no git)
    monkeypatch.setitem(sys.modules, "google.colab", object())
    monkeypatch.setenv(colab.REPO_URL_VARIABLE, "file:///nowhere/lab.git")
    monkeypatch.setattr(sys, "path", list(sys.path))
    namespace = {"get_ipython": lambda: type("Shell", (), {"system": lambda self, command: None})()}
    with pytest.raises(RuntimeError) as info:
        exec(_as_python(colab.colab_setup_code()), namespace)  # noqa: S102 - our own code
    message = str(info.value)
    assert "Colab set-up failed" in message and "file:///nowhere/lab.git" in message
    assert "LAB_REPO_URL" in message and "run this cell again" in message
    assert colab.CLONE_DIR not in sys.path


def test_setup_code_does_nothing_outside_colab(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    namespace: dict = {}
    exec(_as_python(colab.colab_setup_code()), namespace)  # noqa: S102 - our own code
    assert "_url" not in namespace and {"os", "sys", "time"} <= set(namespace)


def test_sync_notebook_rewrites_the_setup_code_and_badges_of_a_fork(tmp_path, monkeypatch):
    path = tmp_path / "00_setup.ipynb"
    shutil.copyfile(REPO_ROOT / "notebooks" / "00_setup.ipynb", path)
    assert colab.sync_notebook(path) is False  # the committed notebook is in sync
    before = json.loads(path.read_text(encoding="utf-8"))
    monkeypatch.setattr(colab, "REPO_URL", "https://github.com/a-course/its-fork")
    assert colab.sync_notebook(path) is True
    after = json.loads(path.read_text(encoding="utf-8"))
    text = path.read_text(encoding="utf-8")
    assert "style-transfer-lab/style-transfer-lab" not in text
    assert text.count("https://colab.research.google.com/github/a-course/its-fork/blob/main/notebooks/00_setup.ipynb") == 1
    first = next(cell for cell in after["cells"] if cell["cell_type"] == "code")
    assert "".join(first["source"]).startswith(colab.colab_setup_code() + "\n\n")
    # everything else is kept: cell ids, the rest of the first cell, the other cells
    assert [cell.get("id") for cell in after["cells"]] == [cell.get("id") for cell in before["cells"]]
    assert "".join(first["source"]).split("\n\n", 1)[1] == "".join(
        next(c for c in before["cells"] if c["cell_type"] == "code")["source"]).split("\n\n", 1)[1]
    assert text.endswith("}\n") and '\n "cells": [\n  {\n' in text  # indent=1, trailing newline


def test_sync_notebook_refuses_a_first_cell_without_setup_code(tmp_path):
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": ["import labhelpers\n"]}]}))
    with pytest.raises(ValueError, match="colab_setup_code"):
        colab.sync_notebook(path)
