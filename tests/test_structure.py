"""The shape of the code: every module imports on its own, packages depend on each other one way, and the
HTTP layer (views, management pages, commands, the app factory, the worker) sits on top of the domain."""
import ast
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from eventhub import RENDERER_MODULES, ROUTE_MODULES

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "eventhub"
# Entry points: nothing in the domain may import these; they may import any domain module.
ENTRY_POINTS = (
    {"eventhub", "eventhub.web", "eventhub.worker"}
    | {f"eventhub.{feature}.{module}" for feature, modules in ROUTE_MODULES.items() for module in modules}
    | {f"eventhub.{path.parent.name}.commands" for path in PACKAGE.glob("*/commands.py")}
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = sorted(_module_name(path) for path in PACKAGE.rglob("*.py"))


def _annotation_only(tree: ast.Module) -> set[ast.AST]:
    """The imports under `if TYPE_CHECKING:`, which name types for annotations and never run."""
    return {node for block in ast.walk(tree) if isinstance(block, ast.If)
            and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
            for statement in block.body for node in ast.walk(statement)}


def _imports(module: str) -> set[str]:
    """Every eventhub module this one imports when it runs, at the top or inside a function."""
    path = ROOT / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = ROOT / module.replace(".", "/") / "__init__.py"
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _annotation_only(tree)
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name in MODULES and name != module}


GRAPH = {module: _imports(module) for module in MODULES}


def _package(module: str) -> str:
    """eventhub.visits.services -> visits; a top-level module is its own package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "eventhub"


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _import_alone(module: str) -> tuple[str, str]:
    result = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    return module, result.stderr.strip().splitlines()[-1] if result.returncode else ""


def test_every_module_imports_on_its_own_in_a_fresh_interpreter():
    with ThreadPoolExecutor(max_workers=4) as pool:
        failures = {module: error for module, error in pool.map(_import_alone, MODULES) if error}
    assert failures == {}
    assert len(MODULES) > 80  # the walk found the package


def test_no_module_imports_another_that_imports_it_back():
    assert _cycle(GRAPH) is None


def test_the_domain_packages_depend_on_each_other_one_way():
    packages: dict[str, set[str]] = {}
    for module, imported in GRAPH.items():
        if module in ENTRY_POINTS:
            continue
        packages.setdefault(_package(module), set()).update(
            _package(name) for name in imported if _package(name) != _package(module))
    assert _cycle(packages) is None


def test_nothing_in_the_domain_imports_a_view_or_a_command():
    offenders = {module: sorted(imported & ENTRY_POINTS) for module, imported in GRAPH.items()
                 if module not in ENTRY_POINTS and imported & ENTRY_POINTS}
    assert offenders == {}


def test_views_do_not_import_each_other():
    offenders = {module: sorted(name for name in imported & ENTRY_POINTS if name != "eventhub.web")
                 for module, imported in GRAPH.items() if module in ENTRY_POINTS - {"eventhub", "eventhub.worker"}}
    assert {module: names for module, names in offenders.items() if names} == {}


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
    ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
])
def test_the_cycle_finder_finds_cycles(graph, expected):
    assert _cycle(graph) == expected


def test_the_outbox_composers_are_domain_modules():
    assert {f"eventhub.{module}" for module in RENDERER_MODULES} <= set(MODULES) - ENTRY_POINTS
