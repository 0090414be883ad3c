"""The fast layer: a service's actions, handlers and jobs run against an in-memory document store
(mongomock behind mongoengine), with no Kafka and no database server, in milliseconds.

What only the real servers can prove (indexes, the relay, the consumer's offsets, concurrency on the
real protocol) stays in tests/integration and tests/system. `memory_service(SERVICE)` gives the
service's context, exactly as its worker and API build it from the declaration; the events a change
recorded are read back from the documents' outboxes (nothing publishes them here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import mongoengine
import mongomock
import pytest

from civic146 import mongo
from tests.helpers import JWT_SECRET


class Clock:
    """The context's clock, set by the test: `clock.at = ...`, `clock.advance(days=3)`."""

    def __init__(self):
        self.at = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta) -> datetime:
        self.at += timedelta(**delta)
        return self.at


@pytest.fixture
def memory_db():
    mongoengine.disconnect()
    mongoengine.connect(
        host="mongodb://memory.invalid/",
        db="fast",
        mongo_client_class=mongomock.MongoClient,
        uuidRepresentation="standard",
        tz_aware=True,
    )
    mongo._connected = None  # the next real connect() connects again
    yield mongoengine.get_db()
    mongoengine.disconnect()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def memory_service(memory_db, clock, monkeypatch):
    """`memory_service(SERVICE, **settings)`: the service's context on the in-memory store."""

    def make(service, **overrides):
        settings = service.load_settings(
            mongodb_uri="mongodb://memory.invalid/", jwt_secret=JWT_SECRET, **overrides
        )
        service.ensure_indexes()
        context = service.build_context(settings)
        monkeypatch.setattr(context, "now", clock)
        return context

    return make


def recorded(collection, doc_id) -> list[str]:
    """The types of the events the document's changes recorded, oldest first."""
    doc = collection.find_one({"_id": doc_id}, {"outbox": 1}) or {}
    return [item["event"]["type"] for item in doc.get("outbox", [])]
