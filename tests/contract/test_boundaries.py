"""Services meet only through the topics and the contracts in the kit: no module of one service
imports another service, and the kit imports no service (the contracts builder excepted: it reads
each service's published event types to write the AsyncAPI document). The domain of every service
loads no web framework, database or broker client, token library or server."""

import ast
import json
import os
import subprocess
import sys
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


# The domain (each aggregate's decisions: `domain.py` or a `domain/` package, and employment's
# decisions that span its aggregates) is plain Python on plain documents: importing it loads no web
# framework, database or broker client, token library or server. The kit's vocabulary it uses
# (Change, Actor, roles, errors, lifecycles, events, pii, text) lives in modules as pure as it is.
FRAMEWORKS = ("flask", "pymongo", "bson", "kafka", "jwt", "mongoengine", "gunicorn")
DECISION_MODULES = {"employment": ("common", "reservations", "statistics")}
DOMAIN_PATTERNS = ("*/domain.py", "*/domain/*.py", "*/*/domain.py", "*/*/domain/*.py")

# Imports the modules named on its command line one after the other and prints, as JSON, what each
# loaded of FRAMEWORKS first, with the chain of imports that led there (the module executing each
# import statement is the importer of the module it names).
PROBE = """
import importlib, json, sys

FRAMEWORKS = set(sys.argv[1].split(","))
importer = {}


class WhoImports:
    def find_spec(self, name, path=None, target=None):
        frame = sys._getframe(1)
        while frame and frame.f_code.co_filename.startswith(("<frozen importlib", importlib.__file__)):
            frame = frame.f_back
        importer.setdefault(name, frame.f_globals.get("__name__", "?") if frame else "?")
        return None


def loaded():
    return {name.split(".")[0] for name in sys.modules} & FRAMEWORKS


sys.meta_path.insert(0, WhoImports())
found, before = {}, loaded()
for module in sys.argv[2:]:
    importlib.import_module(module)
    for framework in sorted(loaded() - before):
        chain = [framework]
        while chain[-1] != module and importer.get(chain[-1], "__main__") != "__main__" and len(chain) < 50:
            chain.append(importer[chain[-1]])
        found.setdefault(module, []).append(" <- ".join(chain))
    before = loaded()
print(json.dumps(found))
"""


def domain_modules() -> list[str]:
    paths = {p for pattern in DOMAIN_PATTERNS for p in SERVICES_DIR.glob(pattern)}
    paths |= {SERVICES_DIR / s / f"{m}.py" for s, names in DECISION_MODULES.items() for m in names}
    names = {
        ".".join(p.relative_to(SERVICES_DIR).with_suffix("").parts).removesuffix(".__init__") for p in paths
    }
    return sorted(n for n in names if n.split(".")[0] in SERVICES)


def frameworks_loaded(modules: list[str]) -> dict[str, list[str]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SERVICES_DIR), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(FRAMEWORKS), *modules],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_domain_is_found_in_every_service():
    found = {m.split(".")[0] for m in domain_modules()}
    assert found == set(SERVICES)
    assert "employment.seekers.domain.profile" in domain_modules()


def test_no_domain_module_loads_a_framework_driver_or_server():
    modules = domain_modules()
    # Loaded modules stay loaded: when importing them all in one process loads none of FRAMEWORKS,
    # none of them does on its own. Otherwise each is imported in a process of its own, so that
    # a module imported earlier hides nothing another one imports.
    if not frameworks_loaded(modules):
        return
    found = {}
    for module in modules:
        found.update(frameworks_loaded([module]))
    assert found == {}, "\n".join(f"{m}: {chain}" for m, chains in found.items() for chain in chains)


def test_the_probe_sees_a_framework_and_the_chain_that_loaded_it():
    """The check itself can fail: the kit's relay loads pymongo and kafka, and the chain says how."""
    found = frameworks_loaded(["civic146.outbox"])
    assert "pymongo <- civic146.outbox" in found["civic146.outbox"]
    assert any(chain.startswith("kafka <- ") for chain in found["civic146.outbox"])
