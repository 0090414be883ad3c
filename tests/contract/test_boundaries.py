"""Services meet only through the topics and the contracts in the kit: no module of one service
imports another service, and the kit imports no service (the contracts builder excepted: it reads
each service's published event types to write the AsyncAPI document)."""

import ast
from pathlib import Path

SERVICES_DIR = Path(__file__).resolve().parents[2] / "services"
SERVICES = sorted(p.parent.name for p in SERVICES_DIR.glob("*/api.py"))
BUILD_TOOLS = {"civic146/contracts.py"}


def imported_packages(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_services_are_the_four_of_the_platform():
    assert SERVICES == ["deliberation", "employment", "intake", "mediation"]


def test_no_service_imports_another_service():
    crossings = []
    for service in SERVICES:
        for path in (SERVICES_DIR / service).rglob("*.py"):
            others = imported_packages(path) & (set(SERVICES) - {service})
            crossings += [f"{path.relative_to(SERVICES_DIR)} imports {o}" for o in sorted(others)]
    assert crossings == []


def test_the_kit_imports_no_service():
    crossings = []
    for path in (SERVICES_DIR / "civic146").rglob("*.py"):
        if str(path.relative_to(SERVICES_DIR)) in BUILD_TOOLS:
            continue
        crossings += [
            f"{path.relative_to(SERVICES_DIR)} imports {o}"
            for o in sorted(imported_packages(path) & set(SERVICES))
        ]
    assert crossings == []


def test_the_walk_sees_an_import_across_services(tmp_path):
    """The check itself can fail: a module importing another service is seen."""
    module = tmp_path / "m.py"
    module.write_text("from intake.events import ROUTED\nimport mediation.roster\nfrom . import store\n")
    assert imported_packages(module) & set(SERVICES) == {"intake", "mediation"}
