"""Each stage's code in its package: checked on the import graph, read from the source.

Every import counts (module level, inside functions, and under TYPE_CHECKING),
with an edge to the module actually named (`from nvmeprobe.run import layout`
is an edge to nvmeprobe.run.layout).
"""

from __future__ import annotations

import ast
from pathlib import Path

import nvmeprobe

PACKAGE = Path(nvmeprobe.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _imports(path: Path) -> set[str]:
    """The nvmeprobe modules `path` imports anywhere in its source."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
    return {name for name in found if name in MODULES}


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _reaches(start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name == goal:
            return True
        if name not in seen:
            seen.add(name)
            todo.extend(GRAPH[name])
    return False


def test_the_profile_depends_on_no_parser():
    """The profile's columns are the profile's: profile/ imports nothing from ingest/."""
    offenders = {
        name: sorted(m for m in deps if m.startswith("nvmeprobe.ingest"))
        for name, deps in GRAPH.items()
        if name.startswith("nvmeprobe.profile")
    }
    assert not {name: deps for name, deps in offenders.items() if deps}


def _cycles() -> list[list[str]]:
    """Strongly connected groups of modules (each a cycle), package __init__s left out.

    A package's __init__ re-exports its modules, so `from nvmeprobe.plan import Cell`
    inside nvmeprobe.plan.* is an edge to the package, not a design cycle.
    """
    graph = {
        name: {dep for dep in deps if MODULES[dep].name != "__init__.py"}
        for name, deps in GRAPH.items()
        if MODULES[name].name != "__init__.py"
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        for dep in graph[name]:
            if dep not in index:
                visit(dep)
                low[name] = min(low[name], low[dep])
            elif dep in stack:
                low[name] = min(low[name], index[dep])
        if low[name] == index[name]:
            group = []
            while not group or group[-1] != name:
                group.append(stack.pop())
            if len(group) > 1:
                groups.append(sorted(group))

    for name in graph:
        if name not in index:
            visit(name)
    return groups


def test_the_runner_and_its_adaptive_stages_import_no_cycle():
    """run/adaptive.py decides, the runner measures: adaptive never imports the runner."""
    assert not _reaches("nvmeprobe.run.adaptive", "nvmeprobe.run.runner")
    assert not _cycles()
