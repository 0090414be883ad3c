"""One way to build any service under test, from its declaration (civic146.service.Service):
`service_settings(SERVICE)` (the test's database and topics), `service_app(SERVICE, settings)` (the
API in-process, with the worker's relay on a thread) and `service_consumer(SERVICE, app)` (the
worker's consumer, given the same context as the app).

A test pays for Kafka only when it reads it: the topics are created and the relay started for a
test that asks for `topic_reader` or `service_consumer` (or is marked `kafka`). Any other test's
events stay in its documents' outboxes, where a test of what was recorded reads them."""

import pytest

from civic146.consumer import Consumer
from civic146.kafka import ensure_topics
from tests.conftest import MEMORY_STORE
from tests.helpers import RunningRelay
from tests.stories import flask

KAFKA_FIXTURES = {"topic_reader", "service_consumer"}


def asks_for_kafka(item) -> bool:
    """The test asks for a Kafka fixture or is marked `kafka`."""
    return bool(KAFKA_FIXTURES & set(item.fixturenames)) or item.get_closest_marker("kafka") is not None


def needs_servers(item) -> bool:
    """An integration test that reads Kafka or is marked `server` (what only the document server
    shows: other processes writing to it, the throttle's own connection)."""
    return asks_for_kafka(item) or item.get_closest_marker("server") is not None


def pytest_collection_modifyitems(config, items):
    """With TEST_STORE=memory only the integration tests that need no server are run."""
    if not MEMORY_STORE:
        return
    dropped = {i for i in items if i.get_closest_marker("integration") and needs_servers(i)}
    if dropped:
        config.hook.pytest_deselected(items=list(dropped))
        items[:] = [i for i in items if i not in dropped]


@pytest.fixture
def reads_kafka(request) -> bool:
    """Whether the test reads Kafka (then its topics exist and its app's relay publishes)."""
    return asks_for_kafka(request.node)


@pytest.fixture
def service_settings(base_env, monkeypatch, reads_kafka):
    def make(service, **env: str):
        # In memory the throttle has no store: its windows live in the document server (throttle.py).
        memory = {"THROTTLE_ENABLED": "false"} if MEMORY_STORE else {}
        for k, v in {**base_env, **memory, **env}.items():
            monkeypatch.setenv(k, v)
        settings = service.load_settings()
        if reads_kafka:
            ensure_topics(settings, [settings.topic(t) for t in service.worker_topics()])
        return settings

    return make


@pytest.fixture
def service_app(mongo_db, reads_kafka):
    relays = []

    def make(service, settings):
        app = service.create_app(settings)
        service.ensure_indexes()  # the worker makes them in production; no worker runs here
        app.config["TESTING"] = True
        if reads_kafka:
            relay = RunningRelay(settings, service.collections(), app.extensions[service.name].outbox)
            app.extensions["test.relay"] = relay
            relays.append(relay)
        return app

    yield make
    for relay in relays:
        relay.close()


@pytest.fixture
def service_consumer(mongo_db):
    consumers = []

    def make(service, app, settings):
        consumer = Consumer(settings, mongo_db, service.subscriptions, app.extensions[service.name])
        consumers.append(consumer)
        return consumer

    yield make
    for consumer in consumers:
        consumer.close()


@pytest.fixture
def call(client):
    """The story library's transport (tests/stories) over the test's Flask client."""
    return flask(client)


@pytest.fixture
def intake_settings(service_settings):
    from intake.service import SERVICE

    return service_settings(SERVICE)


@pytest.fixture
def intake_app(intake_settings, service_app):
    from intake.service import SERVICE

    return service_app(SERVICE, intake_settings)


@pytest.fixture
def client(intake_app):
    return intake_app.test_client()
