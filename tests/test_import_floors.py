"""cnnviz's floors: no import circle at any depth, and no floor importing the one above it.

Every `import` and `from … import` counts, at the top of a file or inside a function, except under
`if TYPE_CHECKING:`, because a circle through a function-level import is still a circle in the design.
"""

import ast
from pathlib import Path

from tests.helpers import ROOT

PACKAGE = ROOT / "cnnviz"
# (low, high): modules of `low` must not import modules of `high`.
FLOORS = [("runtime", "learning"), ("runtime", "worker"), ("learning", "worker"), ("data", "learning")]
FLOORS += [("data", "worker"), ("lesson", "worker"), ("pictures", "worker")]


def module_name(path: Path) -> str:
    """Return a file's dotted module name under cnnviz."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_type_checking(node: ast.If) -> bool:
    """Return whether an if statement is `if TYPE_CHECKING:`."""
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """Return the cnnviz modules a file imports anywhere in it, outside `if TYPE_CHECKING:`."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and is_type_checking(node):
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cnnviz"):
            candidates = {f"{node.module}.{alias.name}" for alias in node.names}
            found.update(candidates & known or {node.module} & known)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return found


def import_graph() -> dict[str, set[str]]:
    """Return each cnnviz module with the cnnviz modules it imports."""
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: imported_modules(path, set(paths)) - {name} for name, path in paths.items()}


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """Return one import circle as a list of modules, or None (a depth-first search)."""
    state: dict[str, str] = {}
    trail: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name], _ = "open", trail.append(name)
        for target in sorted(graph.get(name, ())):
            if state.get(target) == "open":
                return trail[trail.index(target) :] + [target]
            if target not in state and (circle := visit(target)):
                return circle
        state[name], _ = "done", trail.pop()
        return None

    for name in sorted(graph):
        if name not in state and (circle := visit(name)):
            return circle
    return None


def test_no_import_circle_at_any_depth():
    circle = find_circle(import_graph())
    assert circle is None, " -> ".join(circle or [])


def test_the_circle_finder_finds_a_circle():
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_floor_imports_the_one_above_it():
    upward = [
        f"{name} imports {target}"
        for name, targets in import_graph().items()
        for target in targets
        for low, high in FLOORS
        if name.startswith(f"cnnviz.{low}.") and target.startswith(f"cnnviz.{high}")
    ]
    assert not upward, upward
