"""Shared test fixtures.

Unit tests need nothing. Integration and system tests talk to the real Kafka and mongo-java-server
(memory backend) that `make test` starts (deploy/local/infra.sh with the test ports); each test gets
its own database and topic prefix, so tests never see each other's data.

Tiers are chosen by folder: every test is marked with its folder's name (unit, fast, contract,
integration, system, browser, ops, security), so `-m "not system"` or `-m integration` select what
the folders hold. `make test` runs them in two processes (pytest-xdist, `--dist loadgroup`): a group
is one test module, or one folder where a session's servers or a session's scan span modules; the
groups that take longest are handed out first, so that neither process ends with a long tail.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from tests.helpers import JWT_SECRET, KAFKA, MONGO, TopicReader

# TEST_STORE=memory (`make test-quick`): the integration tests that read no Kafka run their routes
# against an in-memory store instead of the document server (tests/integration/conftest.py).
MEMORY_STORE = os.environ.get("TEST_STORE") == "memory"
TIERS = ("unit", "fast", "contract", "integration", "system", "browser", "ops", "security")
# Folders whose tests share one process's state: security's four APIs and browser's chromium are
# started once per process; the mediation system tests record their topics for the privacy scan
# that runs after them (tests/system/mediation_flows.py).
SHARED_GROUPS = {
    "security": "security",
    "browser": "browser",
    "system/test_mediation_": "system-mediation",
}
# The longest groups first (from `make test`'s durations table): each starts its own cluster,
# platform or Prometheus, or walks whole stories. `make test` keeps this order (--no-loadscope-reorder:
# pytest-xdist would otherwise hand out the groups with the most tests first, and these last).
LONGEST_FIRST = (
    "ops/test_kafka_cluster.py",
    "ops/test_faults.py",
    "system-mediation",
    "ops/test_live_prometheus.py",
    "security",
    "ops/test_local_infra.py",
    "system/test_intake_system.py",
    "system/test_event_order.py",
    "system/test_free_text_privacy.py",
    "system/test_deliberation_stories.py",
    "browser",
    "system/test_demo.py",
)
TESTS = Path(__file__).resolve().parent


def _group(path: Path) -> str:
    relative = path.relative_to(TESTS).as_posix()
    return next((g for prefix, g in SHARED_GROUPS.items() if relative.startswith(prefix)), relative)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items):
    for item in items:
        path = Path(str(item.path))
        tier = path.relative_to(TESTS).parts[0] if path.is_relative_to(TESTS) else None
        if tier in TIERS:
            item.add_marker(tier)
            item.add_marker(pytest.mark.xdist_group(_group(path)))
    rank = {group: i for i, group in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(_group(Path(str(item.path))), len(rank)))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report):
    """pytest-xdist names a grouped test `<node id>@<group>`; the run reports it by its node id, so
    that a failure's line or a slow step in the durations table can be pasted to run it again."""
    at = report.nodeid.rfind("@")
    if at > report.nodeid.rfind("]") and not os.environ.get("PYTEST_XDIST_WORKER"):
        report.nodeid = report.nodeid[:at]


@pytest.fixture
def isolation():
    """A fresh database name and topic prefix for one test."""
    tag = uuid.uuid4().hex[:10]
    return {"mongodb_db": f"test_{tag}", "topic_prefix": f"t{tag}."}


@pytest.fixture
def base_env(isolation) -> dict[str, str]:
    """Environment variables for services under test (system tests run them as processes)."""
    return {
        "MONGODB_URI": MONGO,
        "MONGODB_DB": isolation["mongodb_db"],
        "KAFKA_BOOTSTRAP": KAFKA,
        "TOPIC_PREFIX": isolation["topic_prefix"],
        "JWT_SECRET": JWT_SECRET,
        "TOPIC_PARTITIONS": "3",
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def mint():
    from civic146.auth import mint as _mint

    def token(sub: str, *roles: str, communities: list[str] | None = None) -> dict[str, str]:
        return {"Authorization": "Bearer " + _mint(JWT_SECRET, sub, list(roles), communities)}

    return token


@pytest.fixture
def mongo_db(isolation):
    if MEMORY_STORE:
        yield from memory_database(isolation["mongodb_db"])
        return
    import pymongo

    client = pymongo.MongoClient(MONGO, tz_aware=True, serverSelectionTimeoutMS=5000)
    yield client[isolation["mongodb_db"]]
    client.drop_database(isolation["mongodb_db"])
    client.close()


def memory_database(name: str):
    """The test's database in memory (mongomock), and the process's connection to it: an app built
    with MONGODB_URI=MONGO and MONGODB_DB=name finds itself connected (civic146.mongo.connect)."""
    import mongoengine
    import mongomock

    from civic146 import mongo

    mongoengine.disconnect()
    mongoengine.connect(
        host=MONGO,
        db=name,
        mongo_client_class=mongomock.MongoClient,
        uuidRepresentation="standard",
        tz_aware=True,
    )
    mongo._connected = (os.getpid(), MONGO, name)
    yield mongoengine.get_db()
    mongoengine.disconnect()
    mongo._connected = None


@pytest.fixture
def topic_reader():
    readers = []

    def open_reader(topic: str) -> TopicReader:
        reader = TopicReader(topic)
        readers.append(reader)
        return reader

    yield open_reader
    for r in readers:
        r.close()
