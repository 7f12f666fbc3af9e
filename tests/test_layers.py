"""The packages import downward only, and never in a circle (docs/architecture.md, "Layers").

Read from the source: every ``import`` and ``from … import`` of a ``workflow`` module, at any
depth of the file (an import inside a function is an import too). A module's layer is the
longest prefix of its name found in ``LAYERS``; the ``views`` of every capability are its
pages, in the top layer with the home pages, the public pages, the API and admin. A module
not placed fails the test, so a new package has to be given its place.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Lowest first. A module may import its own layer's modules and any lower layer's.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("kernel", ("workflow.models", "workflow.domain", "workflow.extensions",
                "workflow.database", "workflow.mail", "workflow.outbox", "workflow.iin",
                "workflow.voting", "workflow.refusal", "workflow.regions", "workflow.celery",
                "workflow.audit", "workflow.validators", "workflow.health", "workflow.bodies",
                "workflow.quotas", "workflow.i18n")),
    ("pipeline and permissions", ("workflow.pipeline", "workflow.permissions", "workflow.bulk")),
    ("candidates, documents, associations, notifications",
     ("workflow.candidates", "workflow.documents", "workflow.associations",
      "workflow.notifications", "workflow.auth", "workflow.events")),
    ("nominations", ("workflow.nominations",)),
    ("sessions, council, orders, review",
     ("workflow.sessions", "workflow.council", "workflow.orders", "workflow.secretariat")),
    ("members, register, issuing, account",
     ("workflow.members", "workflow.register", "workflow.issuing", "workflow.account",
      "workflow.privacy", "workflow.consent")),
    ("pages, public, API, admin",
     ("workflow.main", "workflow.public", "workflow.api", "workflow.admin", "workflow.papers",
      "workflow.privacy.pdf",
      "workflow.security",
      "workflow.templating", "workflow.errors", "workflow.journeys", "workflow.demo",
      "workflow.quota_forecast",
      "workflow.cli")),
    ("setup", ("workflow.setup", "workflow", "tasks", "wsgi")),
]


PAGES = next(i for i, (name, _) in enumerate(LAYERS) if name.startswith("pages"))


def layer_of(module: str) -> int:
    """The layer of ``module``; every capability's views are pages, at the top."""
    if module.endswith(".views"):
        return PAGES
    best = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    if best is None:
        raise LookupError(module)
    return best[0]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def sources() -> list[Path]:
    files = [p for folder in ("workflow", "tasks") for p in (ROOT / folder).rglob("*.py")]
    return sorted([*files, ROOT / "wsgi.py"])


def imports_of(path: Path, module: str) -> set[str]:
    """The workflow and tasks modules ``path`` imports (``from x import y`` counts y when y is
    a module of x)."""
    known = {module_name(p) for p in sources()}
    found = set()
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                     for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rsplit(".", 1)[0] if "." in name else ""
            if name and name != module:
                found.add(name)
    return found


GRAPH = {module_name(p): imports_of(p, module_name(p)) for p in sources()}


def test_every_module_has_its_layer():
    unplaced = []
    for module in GRAPH:
        try:
            layer_of(module)
        except LookupError:
            unplaced.append(module)
    assert unplaced == [], "give these modules a place in LAYERS (and docs/architecture.md)"


def test_no_module_imports_a_layer_above_its_own():
    upward = [
        f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} "
        f"({LAYERS[layer_of(target)][0]})"
        for module, targets in GRAPH.items() for target in sorted(targets)
        if layer_of(target) > layer_of(module)
    ]
    assert upward == []


def package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "workflow" and len(parts) > 1 else parts[0]


def test_no_packages_import_each_other_in_a_circle():
    """Between capability packages (workflow.x): a cycle of any length fails."""
    edges: dict[str, set[str]] = {}
    for module, targets in GRAPH.items():
        source = package_of(module)
        for target in targets:
            if package_of(target) != source and source.startswith("workflow."):
                edges.setdefault(source, set()).add(package_of(target))
    cycles = []

    def visit(node, path, on_path):
        for nxt in sorted(edges.get(node, ())):
            if nxt in on_path:
                cycle = path[path.index(nxt):] + [nxt]
                cycles.append(" → ".join(cycle))
            elif nxt not in done:
                visit(nxt, [*path, nxt], on_path | {nxt})
        done.add(node)

    done: set[str] = set()
    for start in sorted(edges):
        if start not in done:
            visit(start, [start], {start})
    assert cycles == []


@pytest.mark.parametrize("module", ["workflow.notifications.services", "workflow.account.services",
                                    "workflow.orders.services"])
def test_signal_receivers_are_connected_in_setup_not_on_import(module):
    """No ``@signal.connect`` or ``.connect(`` at a module's top level: setup connects them."""
    path = ROOT / (module.replace(".", "/") + ".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    connected = [
        node.lineno for node in tree.body
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and getattr(node.value.func, "attr", "") == "connect")
        or (isinstance(node, ast.FunctionDef)
            and any(getattr(d, "attr", "") == "connect" for d in node.decorator_list))
    ]
    assert connected == []


def test_the_test_sees_the_real_graph():
    """The walk finds the imports it should (a test that read nothing could not fail)."""
    assert "workflow.pipeline" in GRAPH["workflow.nominations.services"]
    assert "workflow.models" in GRAPH["workflow.pipeline"]
    assert len(GRAPH) > 60
