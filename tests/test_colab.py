"""labhelpers.colab: the course's configuration, badges, the first cell's set-up code, the sync.

The set-up code is run here as Colab runs it (``google.colab`` imported), against real git
repositories made in a temporary folder; only pip is replaced (it would install into this venv).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from labhelpers import colab
from labhelpers.config import REPO_ROOT

OTHER_SHA = "0123456789abcdef0123456789abcdef01234567"


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def _configure(monkeypatch, url: str | None, commit: str | None, open_ref: str = "main") -> None:
    for name, value in (
        ("COURSE_REPO_URL", url),
        ("COURSE_COMMIT", commit),
        ("COURSE_TAG", None),
        ("COURSE_OPEN_REF", open_ref),
    ):
        monkeypatch.setattr(colab, name, value)


def test_the_committed_lab_names_no_repository_of_someone_else():
    """Issue 26: the placeholder address belonged to an unrelated organisation."""
    assert colab.COURSE_REPO_URL is None and colab.COURSE_COMMIT is None
    notebooks = (REPO_ROOT / "notebooks").glob("*.ipynb")
    texts = [path.read_text(encoding="utf-8") for path in notebooks]
    assert len(texts) >= 9  # 00-07 and 09 (a new lesson adds one)
    for text in texts + [Path(colab.__file__).read_text(encoding="utf-8")]:
        assert "style-transfer-lab/style-transfer-lab" not in text
        assert "--branch" not in text and "git clone" not in text


def test_unconfigured_badge_is_a_note_without_a_link(monkeypatch):
    _configure(monkeypatch, None, None)
    note = colab.colab_badge_markdown("00_setup.ipynb")
    assert "not configured" in note and "http" not in note and "INSTRUCTORS.md" in note
    with pytest.raises(ValueError, match="python -m labhelpers.colab --repo"):
        colab.colab_url("00_setup")


def test_badges_follow_the_configuration(monkeypatch):
    _configure(monkeypatch, "https://github.com/a-course/its-fork", OTHER_SHA, "spring-2027")
    assert colab.colab_url("01_feature_hierarchy") == (
        "https://colab.research.google.com/github/a-course/its-fork/blob/spring-2027/notebooks/"
        "01_feature_hierarchy.ipynb"
    )
    assert colab.colab_badge_markdown("x.ipynb") == (
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        "(https://colab.research.google.com/github/a-course/its-fork/blob/spring-2027/notebooks/"
        "x.ipynb)"
    )


def test_in_colab_looks_for_the_google_colab_module(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert colab.in_colab() is False
    monkeypatch.setitem(sys.modules, "google.colab", object())
    assert colab.in_colab() is True


class CellRun:
    """Runs the set-up code as Colab would, recording every command; pip only pretends."""

    def __init__(self, monkeypatch, folder: Path):
        self.commands: list[list[str]] = []
        real_run = subprocess.run
        monkeypatch.chdir(folder)
        monkeypatch.setitem(sys.modules, "google.colab", object())
        monkeypatch.setattr(sys, "path", list(sys.path))
        for key in (colab.REPO_URL_VARIABLE, colab.REPO_COMMIT_VARIABLE):
            monkeypatch.delenv(key, raising=False)

        def run(command, *args, **kwargs):
            self.commands.append([str(part) for part in command])
            if command[1:4] == ["-m", "pip", "install"]:  # not into the test's own venv
                return subprocess.CompletedProcess(command, 0, "", "")
            return real_run(command, *args, **kwargs)

        monkeypatch.setattr(subprocess, "run", run)

    def __call__(self) -> dict:
        namespace: dict = {}
        exec(compile(colab.colab_setup_code(), "first cell", "exec"), namespace)  # noqa: S102
        return namespace

    def git_calls(self) -> list[list[str]]:
        return [command for command in self.commands if command[0] == "git"]


def test_unconfigured_first_cell_runs_nothing_and_says_how_to_configure(monkeypatch, tmp_path):
    _configure(monkeypatch, None, None)
    cell = CellRun(monkeypatch, tmp_path)
    with pytest.raises(RuntimeError) as info:
        cell()
    assert str(info.value) == colab.NOT_CONFIGURED
    assert str(info.value).count(". ") == 0  # one sentence
    assert "python -m labhelpers.colab --repo https://github.com/OWNER/REPO --commit" in str(
        info.value
    )
    assert cell.commands == [] and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("commit", ["main", "v1.0", OTHER_SHA[:12], OTHER_SHA.upper()])
def test_a_branch_tag_or_short_sha_is_refused_before_any_git_call(monkeypatch, tmp_path, commit):
    _configure(monkeypatch, None, None)
    cell = CellRun(monkeypatch, tmp_path)
    monkeypatch.setenv(colab.REPO_URL_VARIABLE, "file:///somewhere/lab.git")
    monkeypatch.setenv(colab.REPO_COMMIT_VARIABLE, commit)
    with pytest.raises(RuntimeError, match="not a full commit SHA"):
        cell()
    assert cell.commands == []


@pytest.fixture
def course_repo(tmp_path) -> tuple[Path, str, str]:
    """A git repository with two commits on ``main``: (folder, first commit, second commit)."""
    repo = tmp_path / "course"
    (repo / "labhelpers").mkdir(parents=True)
    _git("init", "-q", "-b", "main", cwd=repo)
    for version in ("first", "second"):
        (repo / "labhelpers" / "__init__.py").write_text(f"VERSION = {version!r}\n")
        _git("add", "-A", cwd=repo)
        _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", version, cwd=repo)
    return repo, _git("rev-parse", "HEAD~1", cwd=repo), _git("rev-parse", "HEAD", cwd=repo)


def test_configured_first_cell_fetches_exactly_its_commit(
    monkeypatch, tmp_path, capsys, course_repo
):
    repo, first, second = course_repo
    content = tmp_path / "content"
    content.mkdir()
    _configure(monkeypatch, repo.as_uri(), first)  # not the branch's tip, `second`
    cell = CellRun(monkeypatch, content)
    cell()
    clone = content / colab.CLONE_DIR
    assert _git("rev-parse", "HEAD", cwd=clone) == first != second
    assert (clone / "labhelpers" / "__init__.py").read_text() == "VERSION = 'first'\n"
    assert sys.path[0] == colab.CLONE_DIR
    for command in cell.git_calls():  # no git call names a branch or clones a moving ref
        assert "clone" not in command and "main" not in command and "--branch" not in command
    fetch = next(command for command in cell.git_calls() if "fetch" in command)
    assert fetch[-2:] == [repo.as_uri(), first]
    assert any(command[1:4] == ["-m", "pip", "install"] for command in cell.commands)
    out = capsys.readouterr().out
    assert f"Colab: fetched {repo.as_uri()} at commit {first} into {colab.CLONE_DIR}/" in out
    assert "VGG16 weights: torchvision's" in out and out.rstrip().endswith(" s")
    cell.commands.clear()
    cell()  # a second run in the same runtime only checks the folder's commit
    assert "is already here" in capsys.readouterr().out
    assert [command[3:] for command in cell.git_calls()] == [
        ["rev-parse", "--verify", "-q", "HEAD"]
    ]


def test_a_runtime_holding_another_commit_stops(monkeypatch, tmp_path, course_repo):
    """A student who opened another version first: the folder is there, at the wrong commit."""
    repo, first, second = course_repo
    _configure(monkeypatch, repo.as_uri(), first)
    cell = CellRun(monkeypatch, tmp_path)
    cell()
    monkeypatch.setattr(sys, "path", [path for path in sys.path if path != colab.CLONE_DIR])
    _configure(monkeypatch, repo.as_uri(), second)
    with pytest.raises(RuntimeError, match=f"holds commit {first}, not {second} of"):
        cell()
    assert colab.CLONE_DIR not in sys.path


def test_the_environment_overrides_address_and_commit(monkeypatch, tmp_path, course_repo):
    repo, first, second = course_repo
    _configure(monkeypatch, "https://github.com/a-course/its-fork", OTHER_SHA)
    cell = CellRun(monkeypatch, tmp_path)
    monkeypatch.setenv(colab.REPO_URL_VARIABLE, repo.as_uri())
    monkeypatch.setenv(colab.REPO_COMMIT_VARIABLE, second)
    namespace = cell()
    assert (namespace["_url"], namespace["_commit"]) == (repo.as_uri(), second)
    assert _git("rev-parse", "HEAD", cwd=tmp_path / colab.CLONE_DIR) == second


def test_a_failed_fetch_stops_with_what_to_check(monkeypatch, tmp_path, capsys):
    _configure(monkeypatch, (tmp_path / "nowhere.git").as_uri(), OTHER_SHA)
    cell = CellRun(monkeypatch, tmp_path)
    with pytest.raises(RuntimeError) as info:
        cell()
    message = str(info.value)
    assert message.startswith(f"Colab set-up failed: {colab.CLONE_DIR}/ holds commit none, not")
    assert "nowhere.git" in message and "LAB_REPO_URL" in message
    assert "run this cell again" in message
    assert colab.CLONE_DIR not in sys.path
    assert "fetch" in capsys.readouterr().out  # git's own message is shown
    assert not any(command[1:4] == ["-m", "pip", "install"] for command in cell.commands)


def test_setup_code_does_nothing_outside_colab(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    namespace: dict = {}
    exec(colab.colab_setup_code(), namespace)  # noqa: S102 - our own code
    assert "_url" not in namespace and {"os", "sys", "time", "subprocess"} <= set(namespace)


def test_setup_code_lines_fit_99_characters(monkeypatch):
    long_url = "https://github.com/a-long-course-name/a-long-lab"
    for url, commit in ((None, None), (long_url, OTHER_SHA)):
        _configure(monkeypatch, url, commit)
        assert max(len(line) for line in colab.colab_setup_code().splitlines()) <= 99
        assert "\n\n" not in colab.colab_setup_code()  # the sync finds its end at a blank line


def test_sync_notebook_rewrites_the_setup_code_and_badges(tmp_path, monkeypatch):
    path = tmp_path / "00_setup.ipynb"
    shutil.copyfile(REPO_ROOT / "notebooks" / "00_setup.ipynb", path)
    assert colab.sync_notebook(path) is False  # the committed notebook is in sync
    before = json.loads(path.read_text(encoding="utf-8"))
    _configure(monkeypatch, "https://github.com/a-course/its-fork", OTHER_SHA)
    assert colab.sync_notebook(path) is True
    after = json.loads(path.read_text(encoding="utf-8"))
    text = path.read_text(encoding="utf-8")
    assert (
        text.count(
            "https://colab.research.google.com/github/a-course/its-fork/blob/main/"
            "notebooks/00_setup.ipynb"
        )
        == 1
    )
    assert "not configured yet" not in text
    first = next(cell for cell in after["cells"] if cell["cell_type"] == "code")
    assert "".join(first["source"]).startswith(colab.colab_setup_code() + "\n\n")
    assert f'"{OTHER_SHA}"' in "".join(first["source"])
    # everything else is kept: cell ids, the rest of the first cell, the other cells
    assert [cell.get("id") for cell in after["cells"]] == [
        cell.get("id") for cell in before["cells"]
    ]
    rest = "".join(first["source"]).split("\n\n", 1)[1]
    assert (
        rest
        == "".join(next(c for c in before["cells"] if c["cell_type"] == "code")["source"]).split(
            "\n\n", 1
        )[1]
    )
    assert text.endswith("}\n") and '\n "cells": [\n  {\n' in text  # indent=1, trailing newline
    _configure(monkeypatch, None, None)
    assert colab.sync_notebook(path) is True
    assert json.loads(path.read_text(encoding="utf-8")) == before


def test_sync_notebook_refuses_a_first_cell_without_setup_code(tmp_path):
    path = tmp_path / "x.ipynb"
    cells = [{"cell_type": "code", "source": ["import labhelpers\n"]}]
    path.write_text(json.dumps({"cells": cells}))
    with pytest.raises(ValueError, match="colab_setup_code"):
        colab.sync_notebook(path)


def _documented_configure_command() -> str:
    """The configure command as INSTRUCTORS.md's Colab section shows it (in a code block)."""
    text = (REPO_ROOT / "notebooks" / "INSTRUCTORS.md").read_text(encoding="utf-8")
    commands = re.findall(
        r"^\s*(python -m labhelpers\.colab --repo \S+ --commit \S+.*)$", text, re.MULTILINE
    )
    assert commands, "INSTRUCTORS.md shows no `python -m labhelpers.colab --repo ... --commit ...`"
    return commands[0].strip()


def test_the_documented_configure_command_works_on_a_copy_of_the_lab(tmp_path, monkeypatch):
    """INSTRUCTORS.md's steps on a temporary copy: tag, configure, commit; a first cell runs."""
    copy = tmp_path / "lab"
    for folder in ("labhelpers", "notebooks"):
        shutil.copytree(
            REPO_ROOT / folder,
            copy / folder,
            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"),
        )
    _git("init", "-q", "-b", "main", cwd=copy)
    _git("add", "-A", cwd=copy)
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "lessons", cwd=copy)
    _git(
        "-c", "user.name=t", "-c", "user.email=t@t", "tag", "-a", "-m", "x", "lecture-1", cwd=copy
    )
    lessons = _git("rev-parse", "HEAD", cwd=copy)

    command = _documented_configure_command()
    command = command.replace("https://github.com/OWNER/REPO", "https://github.com/a-course/lab")
    command = command.replace("SHA_OR_TAG", "lecture-1").split()
    assert command[:3] == ["python", "-m", "labhelpers.colab"]
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, *command[1:]],
        cwd=copy,
        env={**env, "PYTHONPATH": str(copy)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert f"at commit {lessons} (tag lecture-1)" in done.stdout
    module = (copy / "labhelpers" / "colab.py").read_text(encoding="utf-8")
    assert "COURSE_REPO_URL: str | None = 'https://github.com/a-course/lab'" in module
    assert f"COURSE_COMMIT: str | None = '{lessons}'" in module
    assert "COURSE_TAG: str | None = 'lecture-1'" in module
    notebooks = sorted((copy / "notebooks").glob("*.ipynb"))
    assert len(notebooks) >= 9  # 00-07 and 09 (a new lesson adds one)
    for path in notebooks:
        text = path.read_text(encoding="utf-8")
        assert (
            f"https://colab.research.google.com/github/a-course/lab/blob/main/notebooks/"
            f"{path.name}"
        ) in text and f'\\"{lessons}\\"' in text
    _git("add", "-A", cwd=copy)
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "Colab", cwd=copy)

    # a configured first cell, as committed, fetches the lessons' commit (GitHub: the copy here)
    first = next(
        cell
        for cell in json.loads(notebooks[0].read_text(encoding="utf-8"))["cells"]
        if cell["cell_type"] == "code"
    )
    setup = "".join(first["source"]).split("\n\n", 1)[0]
    content = tmp_path / "content"
    content.mkdir()
    CellRun(monkeypatch, content)
    monkeypatch.setenv(colab.REPO_URL_VARIABLE, copy.as_uri())
    exec(compile(setup, "first cell", "exec"), {})  # noqa: S102 - the generated cell
    assert _git("rev-parse", "HEAD", cwd=content / colab.CLONE_DIR) == lessons


def test_configure_refuses_an_address_outside_github_and_an_unknown_ref(tmp_path, capsys):
    assert colab.main(["--repo", "https://gitlab.com/a/b", "--commit", OTHER_SHA]) == 2
    assert "github.com/OWNER/REPO" in capsys.readouterr().err
    assert colab.main(["--repo", "https://github.com/a/b"]) == 2
    assert "--commit" in capsys.readouterr().err
    with pytest.raises(ValueError, match="neither a commit of this repository nor a tag"):
        colab.resolve_commit(
            "no-such-tag-anywhere", (tmp_path / "none.git").as_uri(), root=tmp_path
        )
