"""The package's layout holds: data flows one way (record -> store -> dashboard), no import cycles.

The graph is built from every import statement in ``nbtrack/`` (top level, inside functions and
under ``TYPE_CHECKING`` alike). Only the named upward hooks in ``HOOKS`` are left out: the
``.show()`` methods that hand off to ``nbtrack.dashboard.show`` (and the places reserved for
reports and integrations). docs/architecture.md draws the same picture.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nbtrack"

# (module, function or method, imported module prefix): the only imports allowed to point upward.
HOOKS = {
    # reserved, same one-line form: framework integrations
    ("nbtrack.record.run", "Run.watch", "nbtrack.integrations"),
    ("nbtrack.record.run", "Run.unwatch", "nbtrack.integrations"),
}

# What each part may import (besides itself). A part is a subpackage or a top-level module.
ALLOWED = {
    "face": None,  # nbtrack/__init__.py: the public face re-exports from everywhere
    "errors": set(), "_version": set(), "paths": set(), "screens": set(),
    "codecs": set(),
    "values": {"codecs", "errors"},
    "store": {"values", "codecs", "paths", "errors", "_version", "screens"},
    "record": {"store", "values", "codecs", "paths", "errors", "_version", "screens"},
    "dashboard": {"store", "record", "values", "codecs", "paths", "errors", "_version", "screens"},
    "demo": {"record", "values"},
    "__main__": {"cli"},
    "cli": {"face", "demo", "reports", "magic", "store", "errors", "_version", "tensorboard.importer"},
    # the rooms of what comes next
    "magic": {"dashboard", "record", "store", "reports", "errors"},
    "reports": {"dashboard", "store", "record", "values", "codecs", "errors", "_version"},
    # nbtrack/tensorboard/__init__.py: mirrors torch.utils.tensorboard
    "tensorboard": {"tensorboard.writer", "tensorboard.reader", "tensorboard.events"},
    "tensorboard.importer": {"tensorboard.reader", "tensorboard.writer", "record", "store", "values", "codecs",
                             "errors"},
    "tensorboard.events": set(),  # pure event-file decoding: nothing of nbtrack
    "tensorboard.reader": {"tensorboard.events", "store", "values", "codecs", "errors"},
    "tensorboard.writer": {"tensorboard.events", "record", "values", "codecs", "errors"},
    "integrations": {"face"},
    # nbtrack/keras.py, lightning.py, transformers.py: the public names of the integrations, imported lazily
    "keras": {"integrations"}, "lightning": {"integrations"}, "transformers": {"integrations"},
}
# dashboard/ may reach record/ only for the Run class (its public attach/detach and properties).
DASHBOARD_MAY_IMPORT_FROM_RECORD = {"nbtrack.record.run"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    """The room a module sits in: ``nbtrack.store.reader`` -> ``store``; ``nbtrack`` -> ``face``."""
    rest = module.split(".")[1:]
    if not rest:
        return "face"
    if rest[0] == "tensorboard" and len(rest) > 1:
        return f"tensorboard.{rest[1]}"
    return rest[0]


class ImportCollector(ast.NodeVisitor):
    """Every import in one module with the function (qualified name) it sits in."""

    def __init__(self, module: str, is_package: bool, known: set[str]) -> None:
        self.module, self.known = module, known
        self.package = module if is_package else module.rsplit(".", 1)[0]
        self.scope: list[str] = []
        self.found: list[tuple[str, str]] = []  # (target module, qualname)

    def _enter(self, node: ast.AST, name: str) -> None:
        self.scope.append(name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._enter(node, node.name)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._enter(node, node.name)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] == "nbtrack":
                self.found.append((alias.name, ".".join(self.scope)))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            base = base[: len(base) - (node.level - 1)]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        if source.split(".")[0] != "nbtrack":
            return
        for alias in node.names:  # "from pkg import module" imports the module
            candidate = f"{source}.{alias.name}"
            self.found.append((candidate if candidate in self.known else source, ".".join(self.scope)))
            if node.level and candidate in self.known and source != self.module:
                # ... and runs the package's __init__ first: "from . import x" inside a package whose
                # __init__ imports this module is a cycle
                self.found.append((source, ".".join(self.scope)))


def import_graph() -> dict[str, set[str]]:
    """``{module: modules it imports}`` over the whole package, hooks left out."""
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in files.items():
        collector = ImportCollector(module, path.name == "__init__.py", set(files))
        collector.visit(ast.parse(path.read_text(encoding="utf-8")))
        for target, where in collector.found:
            if any(module == m and where == w and target.startswith(t) for m, w, t in HOOKS):
                continue
            if target != module:
                graph[module].add(target)
        graph.setdefault(module, set())
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


GRAPH = import_graph()


def test_the_graph_sees_function_level_and_type_checking_imports():
    assert "nbtrack.store.reader" in GRAPH["nbtrack.dashboard.snapshot"]  # under TYPE_CHECKING
    assert "nbtrack.dashboard.loader" in GRAPH["nbtrack.dashboard.static_output"]  # inside a method
    assert "nbtrack.dashboard" not in GRAPH["nbtrack.store.reader"]  # RunReader.show is a named hook


def test_no_cycle_between_modules():
    assert cycles(GRAPH) == []


def test_no_cycle_between_subpackages():
    parts: dict[str, set[str]] = defaultdict(set)
    for module, targets in GRAPH.items():
        if part_of(module) == "face":
            continue  # the face imports everything and nothing imports it back (checked below)
        parts[part_of(module)] |= {part_of(t) for t in targets} - {part_of(module)}
    assert cycles(parts) == []


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_each_module_imports_only_what_its_room_may(module):
    allowed = ALLOWED.get(part_of(module), set())
    assert part_of(module) in ALLOWED, f"{module}: a new room; add it to ALLOWED and docs/architecture.md"
    if allowed is None:
        return
    for target in GRAPH[module]:
        room = part_of(target)
        if room == part_of(module):
            continue
        assert room in allowed, f"{module} imports {target}: {part_of(module)}/ may import only {sorted(allowed)}"
        if part_of(module) == "dashboard" and room == "record":
            assert target in DASHBOARD_MAY_IMPORT_FROM_RECORD, f"{module} imports {target}"


def test_store_and_record_never_import_upward():
    for module, targets in GRAPH.items():
        rooms = {part_of(t) for t in targets}
        if part_of(module) == "store":
            assert not rooms & {"record", "dashboard"}, module
        if part_of(module) == "record":
            assert "dashboard" not in rooms, module


def test_the_static_output_does_not_import_the_widget():
    assert "nbtrack.dashboard.widget" not in GRAPH["nbtrack.dashboard.static_output"]


def test_dashboard_uses_only_the_runs_public_face():
    """No reaching into the recorder's writer or its lock: views attach through Run.attach/detach."""
    for path in (PACKAGE / "dashboard").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        reaching = re.findall(r"\b_?(?:run|reader|writer)\._[a-z]\w*", text)
        assert reaching == [], f"{path.name} reaches into {reaching}"


def test_no_imports_hidden_in_strings():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "importlib.import_module(\"nbtrack" not in text and "__import__(" not in text, path
