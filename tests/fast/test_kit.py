"""The kit's shared pieces of the service shape, on the in-memory store: the outbox's metrics hook,
a job's pass over documents, a lifecycle's checks, and a service built from its declaration."""

import pytest

from civic146.errors import ConcurrencyConflict, InvalidTransition
from civic146.lifecycle import Lifecycle
from civic146.outbox import Change, Outbox, applied
from civic146.worker import act_on_each

DOOR = Lifecycle(
    "status",
    {
        "open": (frozenset({"closed"}), "open"),
        "close": (frozenset({"open"}), "closed"),
        "paint": (frozenset({"open", "closed"}), None),
    },
    lambda doing, doc: f"cannot {doing} a door that is {doc['status']}",
)


def test_the_outbox_counts_every_commit_and_a_failing_count_never_undoes_one(memory_db):
    counted = []
    outbox = Outbox(count=lambda before, change: counted.append((before.get("status"), dict(change.set))))
    doc = outbox.insert(memory_db["doors"], {"_id": "d1", "status": "open"}, [])
    doc = outbox.apply(memory_db["doors"], doc, Change(set={"status": "closed"}))
    assert counted == [(None, {"_id": "d1", "status": "open"}), ("open", {"status": "closed"})]

    def broken(before, change):
        raise KeyError("community")

    outbox.count = broken
    doc = outbox.apply(memory_db["doors"], doc, Change(set={"status": "open"}))
    assert memory_db["doors"].find_one({"_id": "d1"})["status"] == "open" and doc["version"] == 3


def test_a_job_pass_leaves_conflicts_to_the_next_run_and_skips_a_failing_document():
    seen = []

    def act(doc):
        seen.append(doc["_id"])
        if doc["_id"] == "conflict":
            raise ConcurrencyConflict("changed meanwhile")
        if doc["_id"] == "broken":
            raise ValueError("bad document")
        return doc["_id"] != "unchanged"

    docs = [{"_id": i} for i in ("a", "conflict", "broken", "unchanged", "b")]
    assert act_on_each(docs, act, "test_job") == 2
    assert seen == ["a", "conflict", "broken", "unchanged", "b"]


def test_a_lifecycle_names_the_state_and_what_is_allowed():
    assert DOOR.target({"status": "open"}, "close") == "closed"
    assert DOOR.target({"status": "open"}, "paint") is None
    with pytest.raises(InvalidTransition) as refused:
        DOOR.target({"status": "closed"}, "close")
    assert str(refused.value.message) == "cannot close a door that is closed"
    assert refused.value.details == {"status": "closed", "allowed_from": ["open"]}
    with pytest.raises(InvalidTransition) as refused:
        DOOR.require({"status": "closed"}, ("open",), "oil the hinges of")
    assert refused.value.details == {"status": "closed", "allowed_in": ["open"]}


def test_applied_is_what_a_commit_writes(memory_db):
    outbox = Outbox()
    doc = outbox.insert(memory_db["doors"], {"_id": "d2", "status": "open", "log": []}, [])
    change = Change(set={"status": "closed"}, push={"log": "closed by the wind"})
    expected = applied(doc, change)
    outbox.apply(memory_db["doors"], doc, change)
    assert memory_db["doors"].find_one({"_id": "d2"}, {"outbox": 0}) == expected


@pytest.mark.parametrize("name", ["intake", "deliberation", "employment", "mediation"])
def test_every_service_builds_its_context_from_its_declaration(memory_service, name):
    import importlib

    service = importlib.import_module(f"{name}.service").SERVICE
    assert service.name == name
    context = memory_service(service)
    assert context.settings.service_name == name and context.outbox.count is service.count
    assert service.worker_topics() == sorted(set(service.worker_topics()))


def test_two_changes_commit_as_one_and_never_half_append():
    first = Change(set={"a": 1, "b": 1}, push={"log": "first"})
    first.outbox.append({"topic": "t", "key": "k", "event": {"n": 1}})
    then = Change(set={"b": 2})
    then.outbox.append({"topic": "t", "key": "k", "event": {"n": 2}})
    both = first.followed_by(then)
    assert both.set == {"a": 1, "b": 2} and both.push == {"log": "first"}
    assert [e["event"]["n"] for e in both.outbox] == [1, 2]
    with pytest.raises(ValueError, match="log"):
        first.followed_by(Change(push={"log": "second"}))


def test_an_aggregate_store_inserts_once_and_names_what_it_did_not_find(memory_db):
    import mongoengine

    from civic146.errors import NotFound
    from civic146.outbox import AggregateStore

    class Door(mongoengine.DynamicDocument):
        meta = {"collection": "store_doors"}

    doors = AggregateStore(Door, "door")
    outbox = Outbox()
    assert doors.insert_once(outbox, {"_id": "d1", "status": "open"}, Change())
    assert not doors.insert_once(outbox, {"_id": "d1", "status": "closed"}, Change())
    assert doors.get("d1")["status"] == "open"
    with pytest.raises(NotFound, match="door d2 not found"):
        doors.get("d2")


def test_a_database_that_cannot_be_reached_is_a_quick_503_with_retry_after_and_not_ready():
    import time

    from civic146.auth import mint
    from intake.service import SERVICE
    from tests.helpers import JWT_SECRET, free_port

    settings = SERVICE.load_settings(
        jwt_secret=JWT_SECRET, mongodb_uri=f"mongodb://127.0.0.1:{free_port()}/", mongodb_timeout_ms=300
    )
    client = SERVICE.create_app(settings).test_client()
    token = {"Authorization": "Bearer " + mint(JWT_SECRET, "s1", ["community_staff"], ["huifeng"])}
    started = time.monotonic()
    answer = client.get("/v1/requests?community=huifeng", headers=token)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert answer.json["error"]["code"] == "unavailable"
    assert time.monotonic() - started < 3  # the timeout, not pymongo's 30 s
    assert client.get("/readyz").status_code == 503
    operations = [op for item in client.get("/openapi.json").json["paths"].values() for op in item.values()]
    assert operations and all("503" in op["responses"] for op in operations)  # documented everywhere


@pytest.mark.parametrize(
    "error, status",
    [
        (lambda: __import__("pymongo.errors").errors.NetworkTimeout("no reply in time"), 503),
        (
            lambda: __import__("pymongo.errors").errors.ExecutionTimeout("operation exceeded time limit", 50),
            503,
        ),
        (
            lambda: __import__("pymongo.errors").errors.WTimeoutError(
                "waiting for replication timed out", 64
            ),
            503,
        ),
        (lambda: __import__("pymongo.errors").errors.DuplicateKeyError("E11000", 11000), 500),
    ],
)
def test_the_database_away_or_too_slow_is_a_503_and_its_other_errors_are_ours(error, status):
    """One classification (civic146.mongo.database_away) for the APIs and the consumers: a
    timeout of any kind is the database away; a duplicate key the platform did not expect is a bug."""
    from civic146.consumer import transient
    from intake.service import SERVICE
    from tests.helpers import JWT_SECRET

    app = SERVICE.create_app(SERVICE.load_settings(jwt_secret=JWT_SECRET))

    def boom():
        raise error()

    app.add_url_rule("/boom", "boom", boom)
    answer = app.test_client().get("/boom")
    assert answer.status_code == status
    assert answer.json["error"]["code"] == ("unavailable" if status == 503 else "internal_error")
    assert transient(error()) == (status == 503)


def test_a_send_the_broker_has_not_acknowledged_is_waited_for_and_never_sent_twice(memory_db):
    """The event stays in the outbox and its send with the producer, which keeps retrying it:
    later rounds wait for that send instead of adding copies that would all reach the topic."""
    from kafka.errors import KafkaTimeoutError

    from civic146.config import Settings
    from civic146.outbox import Relay

    class Send:  # kafka-python's future of one record
        def __init__(self):
            self.is_done, self.exception = False, None

        def failed(self):
            return self.is_done and self.exception is not None

        def get(self, timeout):
            if not self.is_done:
                raise KafkaTimeoutError("no broker")
            if self.exception:
                raise self.exception

    class Producer:
        def __init__(self):
            self.sent: list[Send] = []

        def send(self, topic, key, value, headers):
            self.sent.append(Send())
            return self.sent[-1]

        def flush(self, timeout):
            pass

    class Things:  # the in-memory store, with the relay's bulk $pull done one update at a time
        def __init__(self, collection):
            self.collection, self.name, self.database = collection, collection.name, collection.database

        def __getattr__(self, name):
            return getattr(self.collection, name)

        def bulk_write(self, updates, ordered):
            for u in updates:
                self.collection.update_one(u._filter, u._doc)

    things = Things(memory_db["things"])
    things.insert_one(
        {
            "_id": "a",
            "outbox": [
                {"topic": "t", "key": "a", "event": {"id": "e1", "type": "x", "time": "2026-12-02T08:00:00Z"}}
            ],
        }
    )
    relay = Relay(Settings(service_name="test", jwt_secret="x"), [things], "test-relay")
    relay._producer = producer = Producer()
    for _ in range(3):  # an outage: three rounds, one send
        assert relay.publish_documents(things, [things.find_one({"_id": "a"})]) == (0, set())
    assert len(producer.sent) == 1

    producer.sent[0].is_done = True  # the broker is back and acknowledges it
    assert relay.publish_documents(things, [things.find_one({"_id": "a"})]) == (1, {"a"})
    assert len(producer.sent) == 1 and things.find_one({"_id": "a"})["outbox"] == []

    things.update_one(
        {"_id": "a"},
        {
            "$push": {
                "outbox": {
                    "topic": "t",
                    "key": "a",
                    "event": {"id": "e2", "type": "x", "time": "2026-12-02T08:00:00Z"},
                }
            }
        },
    )
    assert relay.publish_documents(things, [things.find_one({"_id": "a"})]) == (0, set())
    producer.sent[1].is_done, producer.sent[1].exception = True, KafkaTimeoutError("expired")
    assert relay.publish_documents(things, [things.find_one({"_id": "a"})]) == (0, set())
    assert len(producer.sent) == 3  # what the producer gave up on is sent again
