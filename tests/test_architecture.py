"""The house: apps in layers, no import upwards, no circles, no imports hidden in functions.

The import graph comes from grimp (the library behind import-linter); the in-function
check reads each module's syntax tree. Run with ``-s`` to see the layer map printed.
"""

import ast
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent

# Top first. An app may import the apps below its own layer, never above or beside it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("portal", "api", "staff"),  # interfaces: validate, call one action, render
    ("casework",),  # actions that touch several apps and decide notifications
    ("notifications",),  # the outbox: emails and webhooks, delivered by Celery
    ("escalation",),  # policies, calendar, clocks, the one engine, documents
    ("evidence",),  # uploads, integrity, analysis, packages
    ("complaints",),  # the core
)
APPS = tuple(app for layer in LAYERS for app in layer)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*APPS, include_external_packages=False)


def _layer_of(module: str) -> int:
    app = module.split(".", 1)[0]
    return next(i for i, layer in enumerate(LAYERS) if app in layer)


def _production_modules() -> list[Path]:
    return [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def test_the_layer_map() -> None:
    print("\nLayers, top first (each imports only the layers below it):")
    for i, layer in enumerate(LAYERS):
        print(f"  {len(LAYERS) - i}. {' | '.join(layer)}")
    assert set(APPS) == {p.parent.name for p in ROOT.glob("*/apps.py")}, "an app is unlisted"


def test_no_app_imports_one_above_or_beside_it(graph: grimp.ImportGraph) -> None:
    illegal = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            a, b = importer.split(".", 1)[0], imported.split(".", 1)[0]
            if a != b and _layer_of(imported) <= _layer_of(importer):
                illegal.append(f"{importer} -> {imported}")
    assert illegal == [], "imports against the layers:\n" + "\n".join(illegal)


def test_no_modules_import_each_other_in_a_circle(graph: grimp.ImportGraph) -> None:
    circles = set()
    for importer in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(importer):
            if imported.startswith(importer + "."):
                continue  # a package importing its own submodules
            chain = graph.find_shortest_chain(importer=imported, imported=importer)
            if chain and not importer.startswith(chain[-1] + "."):
                circles.add(" -> ".join((importer, *chain)))
    assert sorted(circles) == [], "import circles:\n" + "\n".join(sorted(circles))


def test_no_module_imports_another_app_inside_a_function() -> None:
    hidden = []
    for path in _production_modules():
        own = path.relative_to(ROOT).parts[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    app = name.split(".", 1)[0]
                    if app in APPS and app != own:
                        hidden.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert hidden == [], "imports of other apps inside functions:\n" + "\n".join(hidden)
