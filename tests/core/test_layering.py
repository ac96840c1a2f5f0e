"""Apps import in one direction only (docs/architecture.md, "Layers"): an app may import its
own layer's shared base and anything below it, never above it or a peer beside it. A new
import against the direction, or a new package not placed in a layer, makes this test fail.

Reads the source with `ast` (no Django, no imports run): about a tenth of a second.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import holdspace

SRC = Path(holdspace.__file__).parent

# Lowest first. An app imports only from layers below its own; apps in one layer are peers
# that do not import each other.
LAYERS: list[set[str]] = [
    {"core", "formats"},  # the shell: schemas, forms, extension points, middleware of the edge
    {"audit"},  # the append-only log, its chain, backup and restore
    {"people"},  # clinics, staff, roles, clients; the policies and the one read-audit service
    {"screening"},  # the arc's first facts: intake, rules, prior experiences
    {"measures"},  # instruments and scores (a retrospective response names a prior experience)
    {"courses"},  # episodes of care, visits, calendars
    {"preparation", "integration"},  # before and after the medicine sessions
    {"sessions"},  # the medicine session
    {"review", "outcomes", "portal", "exports"},  # over the arc: register, results, client, exports
    {"studies"},  # trials over the arc: arms, allocation, raters, blinding (plugs into outcomes)
    {"api"},  # the REST API over every app
    {"regulatory", "network_demo"},  # evidence; the bulk network demo (over every app)
]
LAYER_OF = {app: level for level, apps in enumerate(LAYERS) for app in apps}

# Imports against the direction that stay on purpose, each with its reason. Keep it short.
ALLOWED: dict[tuple[str, str], str] = {
    # `holdspace validate` must be a management command of an installed app, and regulatory is
    # a plain package (no app); the command is an entry point that nothing imports.
    ("core/management/commands/validate.py", "regulatory"): "entry point",
    # `holdspace demo --scale network` bulk-loads every app's tables (network_demo, a plain
    # package over the whole arc); the command is an entry point that nothing imports.
    ("people/management/commands/demo.py", "network_demo"): "entry point",
}

# Not apps: Django's entry points, which wire every app together.
ENTRY_POINTS = {"settings.py", "urls.py", "wsgi.py", "__main__.py", "__init__.py"}


def _packages() -> set[str]:
    return {p.parent.name for p in SRC.glob("*/__init__.py")}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[tuple[str, int]]:
    """Every `holdspace.<app>` a module imports at run time, wherever in the module (function
    bodies too). Imports under `if TYPE_CHECKING:` are for annotations only and are left out."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "holdspace" and len(parts) > 1:
                found.append((parts[1], node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _violations() -> list[str]:
    packages = _packages()
    problems = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if len(rel.parts) == 1:
            assert rel.name in ENTRY_POINTS, f"{rel}: a new top-level module; place it in an app"
            continue
        app = rel.parts[0]
        for target, line in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if target == app or target not in packages:
                continue
            if (rel.as_posix(), target) in ALLOWED:
                continue
            if LAYER_OF[target] >= LAYER_OF[app]:
                where = "a peer" if LAYER_OF[target] == LAYER_OF[app] else "a layer above"
                problems.append(f"{rel}:{line} imports {target} ({where} of {app})")
    return problems


def test_every_package_has_a_layer() -> None:
    assert _packages() - LAYER_OF.keys() == set(), "place the new package in LAYERS"
    assert LAYER_OF.keys() - _packages() == set(), "LAYERS names a package that is gone"


def test_apps_import_only_downwards() -> None:
    assert _violations() == []


def test_the_check_sees_a_wrong_import() -> None:
    """The walk finds imports in functions and skips TYPE_CHECKING blocks."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from holdspace.people.models import Client\n"
        "def f():\n"
        "    from holdspace.sessions import selectors\n"
        "import holdspace.api.api\n"
    )
    assert _imports(ast.parse(source)) == [("sessions", 5), ("api", 6)]


@pytest.mark.parametrize(("allowed", "_reason"), ALLOWED.items())
def test_allowed_exceptions_still_exist(allowed: tuple[str, str], _reason: str) -> None:
    """An exception that no longer happens is taken off the list."""
    module, target = allowed
    tree = ast.parse((SRC / module).read_text(encoding="utf-8"))
    assert target in {name for name, _line in _imports(tree)}
