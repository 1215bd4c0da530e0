"""The notebooks: each runs top to bottom in fast mode, is committed clean, and has the usual
parts.

Every ``notebooks/*.ipynb`` is picked up (lesson 05 and any later one included). Execution uses
nbclient with ``LAB_FAST=1`` (tiny pictures, few steps), the notebook folder as working
directory and the ``python3`` kernel, which is this interpreter.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from labhelpers import colab
from labhelpers.config import REPO_ROOT

from helpers import NOISE_MARKERS  # tests/helpers.py

pytestmark = pytest.mark.notebooks

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
#: The graded homework (notebooks/homework/, beside its RUBRIC.md): run like the lessons, solved
#: (LAB_SOLUTIONS=1) and unsolved, without a Colab badge (Colab's links open notebooks/<name>).
HOMEWORK = sorted((NOTEBOOK_DIR / "homework").glob("*.ipynb"))
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb")) + HOMEWORK
#: What each homework's checks must say when it runs unsolved: not implemented yet, never a pass.
HOMEWORK_EXERCISES = {
    "homework_style_transfer": (
        "feature_extractor",
        "lbfgs_objective",
        "style_gradient",
        "ratio_study",
    ),
}
CELL_TIMEOUT = 600  # seconds per cell


def _ids(paths: list[Path]) -> list[str]:
    return [path.stem for path in paths]


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _first_code_cell(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return next(cell for cell in notebook.cells if cell.cell_type == "code")


def test_there_are_notebooks():
    names = {path.stem for path in NOTEBOOKS}
    assert {
        "00_setup",
        "01_feature_hierarchy",
        "02_content_loss",
        "03_style_loss",
        "04_total_variation",
    } <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs_in_fast_mode(path: Path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("LAB_FAST", "1")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    notebook = _read(path)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # raises CellExecutionError (with the failing cell and traceback) on error
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
    # a healthy run shows no error-looking text: none of TensorFlow's CUDA start-up lines on a CPU
    # machine
    streams = "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )
    noise = [marker for marker in NOISE_MARKERS if marker in streams]
    assert not noise, (
        f"{path.name} printed TensorFlow start-up noise ({noise}); import TensorFlow through "
        "labhelpers"
    )
    for exercise in HOMEWORK_EXERCISES.get(path.stem, ()):
        # unsolved, the homework runs to the end on the references, and no check passes
        assert f"⏳ {exercise}: not implemented yet" in streams, (path.name, exercise)
        assert f"✅ {exercise}" not in streams, (path.name, exercise)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_committed_without_outputs(path: Path):
    notebook = _read(path)
    dirty = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, (
        f"{path.name}: code cells {dirty} carry outputs or execution counts; clear them "
        "(e.g. `jupyter nbconvert --clear-output --inplace`) before committing"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_structure(path: Path):
    notebook = _read(path)
    nbformat.validate(notebook)
    assert notebook.nbformat == 4
    assert notebook.metadata.get("kernelspec", {}).get("name") == "python3"
    first = _first_code_cell(notebook)
    assert "parameters" in first.metadata.get("tags", []), (
        f"{path.name}: first code cell is not tagged 'parameters'"
    )
    assert "FAST = labhelpers.fast_mode()" in first.source
    text = "\n".join(cell.source for cell in notebook.cells)
    badge = colab.colab_badge_markdown(path.name)
    assert path in HOMEWORK or badge in text, (
        f"{path.name}: no 'Open in Colab' line {badge} (python -m labhelpers.colab)"
    )
    assert first.source.startswith(colab.colab_setup_code() + "\n\n"), (
        f"{path.name}: the first code cell must start with labhelpers.colab.colab_setup_code() "
        "and a blank line (run `python -m labhelpers.colab` to rewrite it)"
    )


def _full_size_parameters(path: Path, monkeypatch) -> dict:
    """Run the parameters cell (without its Colab set-up lines, IPython syntax) with LAB_FAST
    unset."""
    monkeypatch.delenv("LAB_FAST", raising=False)
    source = _first_code_cell(_read(path)).source.replace(
        colab.colab_setup_code(), "import os, sys, time", 1
    )
    source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("!"))
    namespace: dict = {}
    exec(compile(source, str(path), "exec"), namespace)  # noqa: S102 - our own notebook
    return namespace


LESSONS = [
    path
    for path in NOTEBOOKS
    if path.stem
    in (
        "01_feature_hierarchy",
        "02_content_loss",
        "03_style_loss",
        "04_total_variation",
        "05_optimization",
        "06_paper_figures",
        "07_style_transfer",
        "08_controls",
        "09_fast_network",
    )
]


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_time_estimates_match_the_parameters(path: Path, monkeypatch):
    """Each lesson module's RUNS must describe what its notebook really runs at full size.

    A run names the parameters that set its size and steps (``size_name``, ``steps_name``); their
    values in the parameters cell (LAB_FAST unset) must be the run's.
    """
    from labhelpers.lessons.l00_setup import LESSON_RUNS

    values = _full_size_parameters(path, monkeypatch)
    assert values["FAST"] is False
    runs = LESSON_RUNS[path.stem]
    assert runs, f"{path.stem}: its lesson module lists no RUNS"
    for run in runs:
        assert run.size == values[run.size_name], (path.stem, run)
        # a time-limited run (steps_name None) has its steps estimated, not set by a parameter
        assert run.steps_name is None or run.steps == values[run.steps_name], (path.stem, run)
    if path.stem == "04_total_variation":
        assert runs[0].count == len(values["TV_WEIGHTS"])
    if path.stem == "05_optimization":
        assert f"{values['RACE_SECONDS']:g} s each" in runs[1].what
    if path.stem == "08_controls":
        # the stroke runs: three scales, the coarse-and-fine one, average pooling
        assert runs[2].count == 3 + 1 + 1 and runs[2].size_name == "SCALE_SIZE"
    if path.stem == "06_paper_figures":
        assert runs[0].count == 5 * len(
            values["GRID_RATIOS"]
        )  # five style-layer sets x the ratios
    if path.stem == "09_fast_network":
        from labhelpers.lessons.l00_setup import LESSON_WALL_SECONDS

        assert LESSON_WALL_SECONDS[path.stem] == values["TRAIN_SECONDS"]
    if "SHOW_SOLUTIONS" in values:
        assert values["SHOW_SOLUTIONS"] is False, (
            "without LAB_SOLUTIONS=1 a lesson must not show its solutions"
        )


SWITCH = "labhelpers.show_solutions()"
WITH_EXERCISES = [
    path
    for path in NOTEBOOKS
    if SWITCH in _first_code_cell(_read(path)).source
    or "SHOW_SOLUTIONS = False" in _first_code_cell(_read(path)).source
]


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=_ids(WITH_EXERCISES))
def test_notebook_with_solutions_passes_its_checks(path: Path, monkeypatch):
    """With the instructors' switch (LAB_SOLUTIONS=1) the model solutions are printed, used, and
    pass every check."""
    from nbclient import NotebookClient

    monkeypatch.setenv("LAB_FAST", "1")
    monkeypatch.setenv("LAB_SOLUTIONS", "1")  # the kernel inherits it
    notebook = _read(path)
    first = _first_code_cell(notebook)
    first.source = first.source.replace("SHOW_SOLUTIONS = False", "SHOW_SOLUTIONS = True")
    NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    printed = "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )
    checks = printed.count("✅")
    assert "❌" not in printed and "⏳" not in printed
    if "use_if_correct(" in "\n".join(
        cell.source for cell in notebook.cells
    ):  # a lesson with checked exercises
        assert checks >= 1 and "def " in printed  # the solution's source was shown
    if "print_answers(" in "\n".join(cell.source for cell in notebook.cells):
        assert "Answer key" in printed  # and the answer key of the Questions


def _cell_names(source: str) -> tuple[set[str], set[str]]:
    """(names the cell binds anywhere, names it reads that it does not bind itself)."""
    import ast

    code = "\n".join(
        line for line in source.splitlines() if not line.lstrip().startswith(("!", "%"))
    )
    tree = ast.parse(code)
    bound, read, arguments = set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, (ast.Store, ast.Del)) else read).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            arguments.add(
                node.arg
            )  # a function's own parameter: local, neither bound nor read at the top
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return bound - (arguments - bound), read - bound - arguments


NO_HIDDEN_STATE = HOMEWORK + [
    path
    for path in NOTEBOOKS
    if path.stem
    in (
        "00_setup",
        "01_feature_hierarchy",
        "02_content_loss",
        "03_style_loss",
        "04_total_variation",
        "05_optimization",
        "06_paper_figures",
        "07_style_transfer",
        "08_controls",
        "09_fast_network",
    )
]


@pytest.mark.parametrize("path", NO_HIDDEN_STATE, ids=_ids(NO_HIDDEN_STATE))
def test_every_name_read_from_another_cell_has_one_meaning(path: Path):
    """A cell that reads a name from another cell must get the same thing whatever earlier cell was
    re-run.

    So each such name is bound by one cell only, or by an exercise's pair: the student's
    ``def name`` and the next code cell's ``name = labhelpers.use_if_correct(name, ...)``.
    """
    cells = [cell.source for cell in _read(path).cells if cell.cell_type == "code"]
    names = [_cell_names(source) for source in cells]
    binders: dict[str, list[int]] = {}
    for index, (bound, _) in enumerate(names):
        for name in bound:
            binders.setdefault(name, []).append(index)
    ambiguous = {}
    for index, (_, read) in enumerate(names):
        for name in read:
            where = binders.get(name, [])
            exercise = (
                len(where) == 2
                and where[1] == where[0] + 1
                and any(
                    f"{name} = {module}use_if_correct({name}," in cells[where[1]]
                    for module in ("labhelpers.", "checks.")
                )
            )
            if len(where) > 1 and not exercise:
                ambiguous[name] = (index, where)
    assert not ambiguous, (
        f"{path.name}: names read by code cell (index) but bound in several code cells: "
        f"{ambiguous}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_imports_labhelpers_once(path: Path):
    """One way to the code: a single ``import labhelpers`` (in the parameters cell); everything
    else is an attribute of it (``labhelpers.lessons.l03_style_loss``,
    ``labhelpers.exercises``, ...)."""
    import ast

    imports = []
    for cell in _read(path).cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(
            line for line in cell.source.splitlines() if not line.lstrip().startswith(("!", "%"))
        )
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Import):
                imports += [
                    alias.name for alias in node.names if alias.name.startswith("labhelpers")
                ]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("labhelpers"):
                imports.append(f"from {node.module}")
    assert imports == ["labhelpers"], (
        f"{path.name} imports {imports}; write one `import labhelpers` and reach the rest as its "
        "attributes, e.g. lesson = labhelpers.lessons.l03_style_loss"
    )
