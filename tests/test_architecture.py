"""The plan of `service/` holds: the picture in docs/architecture.md is the code's imports, the
settings are the bottom, no route module imports another route module, what authors change
and what learners read stay apart, modules stay small, and imports stay shallow."""

from __future__ import annotations

import ast
import functools
import graphlib
import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE = ROOT / "service"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
# Every package may use these two; the picture leaves them out.
EVERYWHERE = {"settings", "errors"}
MAX_IMPORT_LEVELS = 9  # 11 before the regrouping; `python -m service` is the deepest


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in SERVICE.rglob("*.py")}


def _imported_from(path: Path, node: ast.ImportFrom) -> str:
    """The absolute name of the module a `from ... import` reads from: `from ..database import
    urls` in service/settings/readers.py reads from `service.database`. (ruff bans relative
    imports; this keeps the architecture rules from being walked around all the same.)"""
    if node.level == 0:
        return str(node.module)
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    return importlib.util.resolve_name("." * node.level + (node.module or ""), package)


def _every_import(path: Path) -> set[str]:
    """Every module of the service this module names in an import, wherever the import stands
    (inside functions and under `if TYPE_CHECKING:` too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = _imported_from(path, node)
            found.update(f"{module}.{alias.name}" for alias in node.names)
            found.add(module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "service" or name.startswith("service.")}


def _top_level_imports(path: Path) -> set[str]:
    """Modules of the service imported when this module is imported: module level only (not
    inside functions), and not under `if TYPE_CHECKING:`."""
    found: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.If):
                if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
            elif isinstance(node, ast.ImportFrom):
                module = _imported_from(path, node)
                for alias in node.names:
                    candidate = f"{module}.{alias.name}"
                    found.add(candidate if candidate in MODULES else module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return {name for name in found if name in MODULES}


IMPORTS = {name: _top_level_imports(path) - {name} for name, path in MODULES.items()}


def _part(module: str) -> str:
    """`service.live.hub` -> `live`; `service.app` -> `app`; `service` -> `service`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_the_picture_of_the_packages_is_the_code() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    block = re.search(r"```mermaid\nflowchart TD\n(.*?)```", text, re.S)
    assert block, "docs/architecture.md opens with a mermaid flowchart of the packages"
    drawn = set(re.findall(r"^\s*(\w+) --> (\w+)\s*$", block.group(1), re.M))
    actual = {
        (_part(module), _part(imported))
        for module, imported_modules in IMPORTS.items()
        for imported in imported_modules
        if _part(module) != _part(imported)
        and _part(imported) not in EVERYWHERE
        and _part(module) not in EVERYWHERE | {"__main__", "service"}
    }
    assert drawn == actual, (
        f"drawn but not imported: {sorted(drawn - actual)}; "
        f"imported but not drawn: {sorted(actual - drawn)}"
    )


def _route_modules() -> set[str]:
    """Modules whose functions app.py puts in its route table."""
    tree = ast.parse((SERVICE / "app.py").read_text(encoding="utf-8"))
    endpoints = {
        call.args[1].id
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        and getattr(call.func, "id", None) == "Route"
        and len(call.args) > 1
        and isinstance(call.args[1], ast.Name)
    }
    where = {
        alias.asname or alias.name: node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }
    assert endpoints and endpoints <= set(where), endpoints - set(where)
    return {str(where[name]) for name in endpoints}


def test_no_route_module_imports_another() -> None:
    routes = _route_modules()
    assert len(routes) >= 6, routes
    offenders = {module: sorted(IMPORTS[module] & routes) for module in routes}
    assert {m: found for m, found in offenders.items() if found} == {}


def test_imports_stay_shallow() -> None:
    @functools.cache
    def level(module: str) -> int:
        return 1 + max((level(m) for m in IMPORTS[module]), default=0)

    deepest = max(MODULES, key=level)
    assert level(deepest) <= MAX_IMPORT_LEVELS, deepest


def test_settings_are_the_bottom() -> None:
    """`service/settings/` imports nothing from the rest of the service, not even inside a
    function or for type checking: every package may use it, and it can be read and tested
    first. (It once imported the database URLs, which imported it back, and the playback
    token signing: one loop through six packages.)"""
    settings = {name: path for name, path in MODULES.items() if _part(name) == "settings"}
    assert "service.settings" in settings, sorted(settings)
    upward = {
        name: sorted(imported for imported in _every_import(path) if _part(imported) != "settings")
        for name, path in settings.items()
    }
    assert {name: found for name, found in upward.items() if found} == {}


def test_packages_form_no_cycle() -> None:
    """Counting every import (module level, inside functions, under `if TYPE_CHECKING:`), no
    package of the service reaches back to itself through others: each can be read and tested
    after the ones it uses. (Issue 32 found one loop through six packages, closed by a
    type-only and a function-level import that the module-level picture does not show.)"""
    uses: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        uses.setdefault(_part(module), set()).update(
            _part(imported) for imported in _every_import(path) if _part(imported) != _part(module)
        )
    try:
        tuple(graphlib.TopologicalSorter(uses).static_order())
    except graphlib.CycleError as error:
        cycle = " -> ".join(error.args[1])
        raise AssertionError(f"packages in a cycle, each used by the next: {cycle}") from None


def test_errors_are_the_bottom_too() -> None:
    assert _every_import(MODULES["service.errors"]) == set()


def test_authoring_and_learning_stay_apart() -> None:
    """What authors change and what learners read share only the read model (`read_model/`);
    neither imports the other, and the read model imports neither."""
    crossing = {
        (module, imported)
        for module, imported_modules in IMPORTS.items()
        for imported in imported_modules
        if {_part(module), _part(imported)} == {"authoring", "learning"}
        or (_part(module) == "read_model" and _part(imported) in {"authoring", "learning"})
    }
    assert crossing == set()


def test_the_live_streams_read_through_the_read_model_not_the_routes() -> None:
    offenders = {
        (module, imported)
        for module, imported_modules in IMPORTS.items()
        if _part(module) == "live"
        for imported in imported_modules
        if _part(imported) in {"authoring", "learning"}
    }
    assert offenders == set()


MAX_MODULE_LINES = 400


def test_no_module_is_over_400_lines() -> None:
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in MODULES.items()
    }
    assert {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES} == {}


def test_the_webhook_is_in_the_route_table() -> None:
    """The most important endpoint is listed where a newcomer reads the routes, though it is
    served ahead of the routing (`_Service`)."""
    tree = ast.parse((SERVICE / "app.py").read_text(encoding="utf-8"))
    routed = [
        call.args[1]
        for call in ast.walk(tree)
        if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Route"
    ]
    assert any(
        isinstance(endpoint, ast.Call) and getattr(endpoint.func, "id", None) == "WebhookEndpoint"
        for endpoint in routed
    )
