"""The four services have one layout: the same module names for the same concerns (the README's
layout table), entry points that only read the declaration, and views that leave writing and
counting to the layers below them. A new module or a shortcut through a layer fails here."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

from civic146.contracts import SERVICES
from civic146.service import Service
from civic146.web import ApiBlueprint

ROOT = Path(__file__).resolve().parents[2] / "services"

# Every service, at its root.
SERVICE_MODULES = {
    "service",
    "api",
    "worker",
    "settings",
    "context",
    "events",
    "handlers",
    "scheduled",
    "metrics",
    "reference",
}
# Every aggregate: at the root of a service of one aggregate, in a folder of its own otherwise.
AGGREGATE_MODULES = {"routes", "schemas", "domain", "store", "actions"}
# A service of several aggregates keeps at its root what they share: payload types used by more than
# one, and use cases and decisions that span them, named by what they do (its OWN_MODULES): `actions`
# and `domain` are always a folder's own.
SHARED_BY_AGGREGATES = {"schemas"}
# What one service has and the others do not, each for a reason the service's README gives.
# employment: the score; who may see which profile; what spans its aggregates (decisions: common,
# reservations, statistics; use cases: ranking, suggestions, pathways, hiring). intake: the Open311
# GeoReport v2 door (a blueprint with the spec's payloads and formats, beside routes.py).
# deliberation: the public notice board (a blueprint of HTML pages, beside routes.py) and its colour map.
OWN_MODULES = {
    "employment": {"matching", "access", "common", "reservations", "statistics"}
    | {"ranking", "suggestions", "pathways", "hiring"},
    "intake": {"open311"},
    "deliberation": {"board", "colour_map"},
}
MAX_LINES = 600


# A module that would hold too much is a package of modules by sub-feature, under the module's name:
# deliberation's layers (domain/votes.py, routes/public.py, ...), mediation's domain, intake's Open311
# door, employment's matching and its seekers' domain. Any other folder with an `__init__.py` (but
# `reference/`) is an aggregate.
PACKAGES = {
    "intake": {"open311"},
    "deliberation": {"actions", "domain", "routes", "schemas"},
    "mediation": {"domain"},
    "employment": {"matching", "seekers/domain"},
}


def packages(service: str) -> set[Path]:
    return {ROOT / service / name for name in PACKAGES.get(service, ())}


def modules(folder: Path, service: str = "") -> set[str]:
    """The modules of a folder: its files, and the packages of the service's PACKAGES it holds."""
    files = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    return files | {p.name for p in packages(service) if p.parent == folder and (p / "__init__.py").exists()}


def aggregate_folders(service: str) -> list[Path]:
    return sorted(
        p.parent
        for p in (ROOT / service).glob("*/__init__.py")
        if p.parent.name != "reference" and p.parent not in packages(service)
    )


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_modules_for_the_same_concerns(service):
    folders = aggregate_folders(service)
    root = modules(ROOT / service, service)
    own = OWN_MODULES.get(service, set())
    if folders:
        assert SERVICE_MODULES <= root <= SERVICE_MODULES | SHARED_BY_AGGREGATES | own, (
            f"{service}: {sorted(root - SERVICE_MODULES)}"
        )
        for folder in folders:
            found = modules(folder, service)
            assert found <= AGGREGATE_MODULES and {"routes", "store", "domain"} <= found, (
                f"{service}/{folder.name}: {sorted(found)}"
            )
    else:
        assert root - own == SERVICE_MODULES | AGGREGATE_MODULES, (
            f"{service}: {sorted(root ^ (SERVICE_MODULES | AGGREGATE_MODULES))}"
        )
    assert (ROOT / service / "README.md").exists()


@pytest.mark.parametrize("service", sorted(PACKAGES))
def test_a_module_split_by_sub_feature_is_a_package_of_described_modules(service):
    for name in PACKAGES[service]:
        package = ROOT / service / name
        assert (package / "__init__.py").exists() and not (ROOT / service / f"{name}.py").exists(), name
        assert not list(package.glob("*/__init__.py")), f"{service}/{name}/: modules only"
        for path in sorted(package.glob("*.py")):
            assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))), f"{path}: what it holds"
        # one module split, not a layer: no store, use cases or payloads of its own
        assert not modules(package) & {"actions", "domain", "schemas", "store"}, f"{service}/{name}"


def test_no_module_is_over_600_lines():
    """A reader holds a module in one sitting; past that, give the feature a package (PACKAGES)."""
    long = {}
    for path in sorted(ROOT.rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            long[str(path.relative_to(ROOT))] = lines
    assert long == {}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_the_entry_points_only_read_the_declaration(service):
    for entry in ("api", "worker"):
        assert imported_modules(ROOT / service / f"{entry}.py") == {".service"}, f"{service}/{entry}.py"


@pytest.mark.parametrize("service", SERVICES)
def test_the_declaration_names_every_blueprint_and_aggregate_the_service_has(service):
    declared: Service = importlib.import_module(f"{service}.service").SERVICE
    assert isinstance(declared, Service) and declared.name == service
    blueprints, documents = [], []
    for path in sorted((ROOT / service).rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module):
            if isinstance(value, ApiBlueprint) and value.import_name == name:
                blueprints.append(value)
            if inspect.isclass(value) and value.__module__ == name and hasattr(value, "_get_collection"):
                documents.append(value)
    assert sorted(b.name for b in declared.blueprints) == sorted(b.name for b in blueprints)
    assert set(declared.aggregates) | set(declared.records) == set(documents)
    assert declared.count is not None, f"{service} counts its domain metrics through the outbox hook"


# A view authorises, calls one use case or one query, and presents: it never writes through the
# store or the outbox itself, and never counts (the outbox's hook counts every commit).
FORBIDDEN_IN_ROUTES = ("store.apply(", "store.insert(", ".outbox", ".inc(", "collection()")


@pytest.mark.parametrize("service", SERVICES)
def test_views_leave_writing_querying_and_counting_to_the_layers_below(service):
    views = [*(ROOT / service).rglob("routes.py"), *(ROOT / service).glob("routes/*.py")]
    for path in sorted([*views, *(ROOT / service).glob("open311/*.py")]):
        source = path.read_text(encoding="utf-8")
        found = [s for s in FORBIDDEN_IN_ROUTES if s in source]
        assert not found, f"{path.relative_to(ROOT)}: {found}"
