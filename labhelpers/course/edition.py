"""``python -m labhelpers student-edition OUT``: the lab for students, without the model solutions
and the answer keys.

The edition is a course folder in nbgrader's layout: ``OUT/release/<COURSE>/`` holds what students
get, the whole lab as one "assignment" (the lessons need the package, the pictures and the set-up
beside them): ``README.md`` (with a note on this edition), the set-up files, ``images/``, the
package ``labhelpers/`` without ``exercises/solutions.py`` and ``exercises/answers.py``, and every
notebook of ``notebooks/`` as :func:`~labhelpers.course.notebooks.student_version` makes it (no
solution blocks, no answer-key cells, nbgrader metadata on the exercise cells). Left out:
``tests/``, ``benchmarks/``, ``docs/``, ``test.sh`` and ``notebooks/INSTRUCTORS.md``.

In the edition :func:`labhelpers.config.student_edition` is True: ``LAB_SOLUTIONS`` and
``print_answers`` say plainly that there are none, and ``labhelpers.exercises.solutions`` cannot
be imported. The checkers work unchanged: they compare with independent NumPy computations and with
:mod:`labhelpers.exercises.checks.fallbacks` (the library's losses), never with the model
solutions.

Nothing is overwritten: an existing non-empty ``OUT`` is refused, and the edition is built in a
hidden folder beside ``OUT`` and moved into place in one step when complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import nbformat

from labhelpers.config import REPO_ROOT, student_edition
from labhelpers.course.notebooks import lesson_notebooks, student_version
from labhelpers.files import write_file

__all__ = ["COURSE", "TOP_FILES", "LEFT_OUT", "EditionError", "build_student_edition"]

#: The folder name of the lab inside ``release/`` (nbgrader's assignment name).
COURSE = "style-transfer-lab"

#: The files of the lab's top folder that students get (set-up, licence, README).
TOP_FILES = (
    "README.md",
    "LICENSE",
    "CITATION.cff",
    "CHANGELOG.md",
    "pyproject.toml",
    "setup.sh",
    "environment.yml",
    ".gitignore",
)

#: Files of the package that are the instructors' only (relative to the lab's folder).
LEFT_OUT = ("labhelpers/exercises/solutions.py", "labhelpers/exercises/answers.py")

_README_NOTE = """\
> **Student edition.** This copy of the Style Transfer Lab was made for students with `python -m
> labhelpers student-edition`: it holds no model solutions and no answer keys, so `LAB_SOLUTIONS`
> changes nothing here (the lessons say so). The checkers work as usual and record their verdicts
> in `notebooks/lab_verdicts.json`. The tests, benchmarks and the instructors' guide stay with
> your instructor: ignore what this README says about `test.sh`, `tests/` and `INSTRUCTORS.md`.

"""


class EditionError(ValueError):
    """The edition cannot be made (OUT is not empty, no lab folder, already a student edition)."""


def _package_files(lab: Path) -> list[Path]:
    """The package's files to copy, relative to ``lab``: everything but caches and the
    instructors' modules."""
    files = []
    for path in sorted((lab / "labhelpers").rglob("*")):
        relative = path.relative_to(lab)
        if not path.is_file() or "__pycache__" in relative.parts or path.suffix == ".pyc":
            continue
        if relative.as_posix() in LEFT_OUT or ".egg-info" in str(relative):
            continue
        files.append(relative)
    return files


def _copy(source: Path, target: Path, data: bytes | str | None = None) -> None:
    """Write ``data`` (default: ``source``'s bytes) to ``target``, its folders made."""
    target.parent.mkdir(parents=True, exist_ok=True)
    write_file(target, source.read_bytes() if data is None else data)
    shutil.copymode(source, target)


#: The graded homework's folder inside ``notebooks/`` (its notebooks and its rubric go along).
HOMEWORK_FOLDER = "homework"


def _fill(root: Path, lab: Path) -> list[str]:
    """Write the student copy of ``lab`` into the empty folder ``root``; the notebooks made."""
    for name in TOP_FILES:
        source = lab / name
        if not source.is_file():
            continue
        text = None
        if name == "README.md":
            text = _README_NOTE + source.read_text(encoding="utf-8")
        _copy(source, root / name, text)
    for path in sorted((lab / "images").rglob("*")):
        if path.is_file():
            _copy(path, root / path.relative_to(lab))
    for relative in _package_files(lab):
        _copy(lab / relative, root / relative)
    made = []
    homework = lab / "notebooks" / HOMEWORK_FOLDER
    for path in [*lesson_notebooks(lab / "notebooks"), *lesson_notebooks(homework)]:
        notebook = nbformat.read(path, as_version=4)
        student = student_version(notebook, path.name)
        relative = path.relative_to(lab)
        _copy(path, root / relative, nbformat.writes(student) + "\n")
        made.append(relative.relative_to("notebooks").as_posix())
    for path in sorted(homework.glob("*.md")):  # the rubric: students see how they are graded
        _copy(path, root / path.relative_to(lab))
    return made


def build_student_edition(out: str | os.PathLike[str], lab: Path = REPO_ROOT) -> Path:
    """Make the student edition of the lab in ``lab`` into the new folder ``out``.

    Args:
        out: the folder to create; it may exist only if it is empty.
        lab: the instructor's lab folder (a clone: ``notebooks/`` and ``labhelpers/`` in it).

    Returns:
        The student copy, ``out/release/style-transfer-lab``.

    Raises:
        EditionError: ``out`` is a file or a non-empty folder (nothing is written), ``lab`` has no
            notebooks, or this is itself a student edition.
        labhelpers.course.notebooks.StudentVersionError: a notebook reaches the solutions in a way
            the builder does not know (nothing is written).
    """
    out = Path(os.path.abspath(Path(out).expanduser()))
    lab = Path(lab)
    if student_edition():
        raise EditionError(
            "This is already a student edition (it has no model solutions): make the edition "
            "from the instructor's copy of the lab."
        )
    if not lesson_notebooks(lab / "notebooks") or not (lab / "labhelpers").is_dir():
        raise EditionError(
            f"{lab} holds no lab to copy (notebooks/ and labhelpers/): run the command from a "
            "clone of the lab, where labhelpers is installed with pip install -e."
        )
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise EditionError(
            f"{out} already exists and is not an empty folder; nothing was written. Choose a new "
            "folder (or remove that one yourself)."
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        _fill(building / "release" / COURSE, lab)
        if out.exists():
            out.rmdir()  # empty (checked above); os.rename cannot replace a folder on Windows
        os.rename(building, out)
    finally:
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)
    return out / "release" / COURSE
