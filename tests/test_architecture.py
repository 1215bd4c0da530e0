"""The package's shape, checked from its source: no import cycles of any kind, private names used
only inside their own module, folders that follow the data flow. (The length of lines is ruff's
job, see tests/test_style.py.)

Everything here reads the source with :mod:`ast` (nothing is imported), so a failure names the file
and line to look at.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "labhelpers"
ROOTS = (PACKAGE.parent / "labhelpers", PACKAGE.parent / "tests", PACKAGE.parent / "benchmarks")
#: Layers of the architecture, in the direction the data flows; a module may import only from its
#: own layer or earlier ones (pictures -> network -> losses -> optimiser -> lesson tools).
LAYERS = (
    {"config", "colab", "console", "files"},
    {"images", "color"},
    {"network"},
    {"losses"},
    {"transfer", "feedforward"},
    {"lessons", "exercises", "panel", "device", "cli", "__main__", "__init__"},
)


def _module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules(package: Path = PACKAGE) -> dict[str, Path]:
    return {_module_name(path, package): path for path in sorted(package.rglob("*.py"))}


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(
    module: str, node: ast.Import | ast.ImportFrom, is_package: bool, modules: dict[str, Path]
) -> set[str]:
    """The labhelpers modules one import statement brings in (``from a.b import c`` may name module
    a.b.c)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        target = _resolve(module, node, is_package)
        names = [f"{target}.{alias.name}" for alias in node.names] + [target]
    found = set()
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name.split(".")[0] == module.split(".")[0] and name != module:
            found.add(name)
    return found


def _import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """module -> the package's modules it imports: every import statement, at any depth (inside
    functions too) and under ``if TYPE_CHECKING:`` too, since each of them ties the two modules.

    A module's own enclosing packages are left out: importing ``labhelpers.transfer.settings`` runs
    ``labhelpers/transfer/__init__.py`` first, which is how packages work, not a design choice.
    """
    modules = _modules(package)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges |= _targets(module, node, path.name == "__init__.py", modules)
        graph[module] = {edge for edge in edges if not module.startswith(edge + ".")}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_planted_cycle():
    """The checker itself can fail: a -> b -> c -> a is a cycle, d -> a is not part of it."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_counts_type_checking_and_function_level_imports(tmp_path):
    """A cycle closed only by an import inside a function or under TYPE_CHECKING is still found."""
    package = tmp_path / "labhelpers"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from labhelpers import b\n")
    (package / "b.py").write_text("def f():\n    from labhelpers.c import g\n")
    (package / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from labhelpers.a import h\n"
    )
    graph = _import_graph(package)
    assert graph["labhelpers.b"] == {"labhelpers.c"} and graph["labhelpers.c"] == {"labhelpers.a"}
    assert _cycles(graph) == [["labhelpers.a", "labhelpers.b", "labhelpers.c"]]


def test_no_import_cycles_inside_labhelpers(capsys):
    graph = _import_graph()
    edges = sum(len(targets) for targets in graph.values())
    with capsys.disabled():  # how it was counted (shown with pytest -s)
        print(
            f"\nimport graph of labhelpers: {len(graph)} modules, {edges} imports "
            "(top level, inside functions and under TYPE_CHECKING)"
        )
    assert len(graph) > 50 and edges > 100  # the whole package was read
    # a function-level import and a TYPE_CHECKING-only import are among the edges
    assert "labhelpers.transfer.run" in graph["labhelpers.device"]
    assert "labhelpers.network.extractor" in graph["labhelpers.lessons.l02_content_loss"]
    cycles = _cycles(graph)
    assert not cycles, (
        f"import cycles (break them by moving the shared piece down a layer): {cycles}"
    )


def _layer_of(module: str) -> int:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    for number, names in enumerate(LAYERS):
        if top in names:
            return number
    raise AssertionError(
        f"{module} belongs to no layer of tests/test_architecture.py LAYERS; add it there"
    )


def test_imports_follow_the_data_flow():
    """pictures -> network -> losses -> optimiser -> lesson tools: nothing imports from a later
    layer."""
    wrong = []
    for module, targets in _import_graph().items():
        for target in targets:
            if _layer_of(target) > _layer_of(module):
                wrong.append(f"{module} imports {target}")
    assert not wrong, "imports against the data flow:\n" + "\n".join(sorted(wrong))


#: Private names of other libraries that tests may read (ipywidgets keeps a widget's CSS classes
#: there).
FOREIGN_PRIVATE_OK = {"_dom_classes"}


def _private_uses(path: Path, outside: bool = False) -> list[str]:
    """``from labhelpers.x import _name`` or ``labhelpers_module._name`` used outside that module.

    With ``outside`` (tests, benchmarks) any ``obj._name`` other than on ``self``/``cls`` counts
    too: code outside the package has no business with an object's private parts.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases: dict[str, str] = {}
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("labhelpers"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    problems.append(
                        f"{path.name}:{node.lineno} imports {node.module}.{alias.name}"
                    )
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("labhelpers"):
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            problems.append(f"{path.name}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
        elif (
            outside
            and isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and node.attr not in FOREIGN_PRIVATE_OK
            and not (isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"})
        ):
            problems.append(
                f"{path.name}:{node.lineno} uses the private attribute {ast.unparse(node)}"
            )
    return problems


def test_the_private_name_finder_finds_a_planted_use(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text(
        "from labhelpers.transfer import run\nfrom labhelpers.images import _free_name\n"
        "run._secret()\nthing = run.StyleTransfer\nthing._evaluate(1)\n",
        encoding="utf-8",
    )
    assert len(_private_uses(planted)) == 2
    assert len(_private_uses(planted, outside=True)) == 3


@pytest.mark.parametrize("root", ROOTS, ids=lambda p: p.name)
def test_private_names_stay_inside_their_module(root):
    outside = root.name != "labhelpers"
    problems = [
        problem
        for path in sorted(root.rglob("*.py"))
        if path.name != "test_architecture.py"
        for problem in _private_uses(path, outside)
    ]
    assert not problems, (
        "private names used from outside their module (make a public seam):\n"
        + "\n".join(problems)
    )
