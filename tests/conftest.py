"""Shared test fixtures.

Unit tests need nothing. Integration and system tests talk to the real Kafka and mongo-java-server
(memory backend) that `make test` starts (deploy/local/infra.sh with the test ports); each test gets
its own database and topic prefix, so tests never see each other's data.
"""

from __future__ import annotations

import uuid

import pytest

from tests.helpers import JWT_SECRET, KAFKA, MONGO, TopicReader


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
    import pymongo

    client = pymongo.MongoClient(MONGO, tz_aware=True, serverSelectionTimeoutMS=5000)
    yield client[isolation["mongodb_db"]]
    client.drop_database(isolation["mongodb_db"])
    client.close()


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
