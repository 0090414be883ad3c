"""Outbox inside the aggregate's own document, and the one relay per service that publishes it.

Writing. MongoDB multi-document transactions are not available on every server we run on, so
the events of a state change are appended to the aggregate's `outbox` array in the same
single-document write as the change, guarded by the `version` field (optimistic concurrency).
Single-document updates are atomic on MongoDB and on the test server, so a commit is exactly one
`update_one({_id, version}, ...)` and needs no other coordination. Each event is stamped with
its `sequence` (the aggregate's version after the change and the event's place in that change)
so that consumers can tell a repeated or stale event from a new one.

Publishing. Exactly one relay per service publishes, the holder of the service's relay lease
(a document in `relay_lease`; workers of one service take it over from each other when the
holder stops renewing it). It sends every outbox entry of a document in order through one
idempotent producer (acks=all), waits for the broker's acknowledgements, and only then removes
the acknowledged entries with `$pull` by event id. One publisher and one ordered pass per document
means that without faults every event reaches its topic once and in the order the aggregate
recorded it. A crash between the acknowledgement and the removal publishes an event again (same
`id`, same `sequence`); nothing acknowledged by a commit is ever lost.

Waking the publisher. After a commit the writer's process adds a small marker to `outbox_pending`
(which document has new events), from a background thread that writes all the markers waiting
in one insert (a request need not wait for a hint: measured, a marker written in the request
path halved intake's throughput). The relay polls that collection, a few milliseconds apart while
work keeps coming, and reads the marked documents by `_id`. The marker is a hint, not the source
of truth: a writer that dies before its marker is written leaves the events in the document, and
the relay's periodic sweep (documents whose `outbox` is not empty) publishes them. MongoDB's
change streams would make the markers unnecessary, but the test server has none.
"""

from __future__ import annotations

import logging
import os
import queue
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from pymongo import UpdateOne
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError, PyMongoError

from . import metrics

# A change and its events are the pure `civic146.change`'s (what the domain imports); they are named
# here too, where the stores, actions and tests of the outbox find them.
from .change import MAX_EVENTS_PER_CHANGE, Change, applied, entry, sequence, stamped  # noqa: F401
from .config import Settings
from .errors import ConcurrencyConflict, NotFound
from .events import CONTENT_TYPE, encode
from .kafka import make_producer

T = TypeVar("T")

log = logging.getLogger(__name__)

PENDING = "outbox_pending"  # markers: {collection, doc} of a commit that recorded events
LEASE = "relay_lease"  # one document: which process publishes this service's outboxes

# Indexes every aggregate collection declares (mongoengine `meta["indexes"]`):
# - (_id, version) unique: the version-guarded commit's filter. On MongoDB it is redundant with
#   `_id`; the test server serves a filter from an index only when the filter's keys are exactly
#   the index's keys, and without it every commit would scan the collection.
# - outbox.0, sparse: the sweep's "documents with unpublished events" (MongoDB only uses it).
AGGREGATE_INDEXES = [{"fields": ["id", "version"], "unique": True}, {"fields": ["outbox.0"], "sparse": True}]


def retry_on_conflict(
    attempt: Callable[[], T], what: str, attempts: int = 5, pause_seconds: float = 0.0
) -> T:
    """Optimistic concurrency, the same way everywhere: `attempt` reads the current document(s),
    decides and commits; when another writer committed first (ConcurrencyConflict) it runs again
    on fresh data, at most `attempts` times, and then the conflict is raised for the caller (the
    consumer retries the event; the API answers 409). A conflict means another write landed, so
    some writer always makes progress; under heavy contention a jittered pause (up to
    `pause_seconds` times the attempt number) spreads those that lost."""
    for n in range(1, attempts + 1):
        try:
            return attempt()
        except ConcurrencyConflict:
            if pause_seconds:
                time.sleep(random.uniform(0, pause_seconds * n))
    raise ConcurrencyConflict(f"{what} kept changing; try again")


class Outbox:
    """Atomic writes of state + events for the aggregates of one service."""

    def __init__(self, on_commit=None, count=None):
        # callable(collection_name, doc_id) after each commit that recorded events: the worker
        # process wakes its own relay with it (a marker alone would wait for the next poll).
        self.on_commit = on_commit
        # callable(before, change) after each commit: the service's domain metrics, counted from
        # what was written and recorded, so no caller counts (and none forgets to).
        self.count = count

    def insert(self, collection: Collection, document: dict, outbox: list[dict]) -> dict:
        """Insert a new aggregate with its first events; return it as stored (without outbox)."""
        collection.insert_one({**document, "version": 1, "outbox": stamped(outbox, 1)})
        self._committed(collection, document["_id"], outbox)
        self._count({}, Change(set=document, outbox=outbox))
        return {**document, "version": 1}

    def apply(self, collection: Collection, doc: dict, change: Change) -> dict:
        """Commit `change` to `doc` (see commit) and return the document as it now is."""
        version = self.commit(collection, doc["_id"], doc["version"], change)
        self._count(doc, change)
        return applied(doc, change, version)

    def commit(self, collection: Collection, doc_id, version: int, change: Change) -> int:
        """Apply `change` if the document is still at `version`; return the new version."""
        update: dict = {"$inc": {"version": 1}}
        if change.set:
            update["$set"] = change.set
        push = dict(change.push)
        if change.outbox:
            push["outbox"] = {"$each": stamped(change.outbox, version + 1)}
        if push:
            update["$push"] = push
        if not collection.update_one({"_id": doc_id, "version": version}, update).matched_count:
            if collection.find_one({"_id": doc_id}, {"_id": 1}) is None:
                raise NotFound(f"{doc_id} not found")
            raise ConcurrencyConflict(f"{doc_id} was changed by someone else; reload and retry")
        self._committed(collection, doc_id, change.outbox)
        return version + 1

    def _count(self, before: dict, change: Change) -> None:
        if self.count is None:
            return
        try:
            self.count(before, change)
        except Exception:  # the write is committed: a metric must not turn it into an error
            log.exception("domain metrics not counted", extra={"doc": before.get("_id")})

    def _committed(self, collection: Collection, doc_id, outbox: list[dict]) -> None:
        if not outbox:
            return
        MARKERS.add(collection, doc_id)
        if self.on_commit is not None:
            self.on_commit(collection.name, doc_id)


class MarkerWriter:
    """Writes this process's outbox markers on a thread of its own, every marker waiting in one
    `insert_many`. Started on first use in each process (gunicorn forks after import)."""

    def __init__(self):
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._waiting = 0  # markers added and not yet handled
        self._handled = threading.Condition()

    def add(self, collection: Collection, doc_id) -> None:
        with self._handled:
            if self._pid != os.getpid() or self._thread is None or not self._thread.is_alive():
                self._pid = os.getpid()
                self._queue = queue.SimpleQueue()  # a forked child starts with nothing of its parent's
                self._waiting = 0
                self._thread = threading.Thread(target=self._run, name="outbox-markers", daemon=True)
                self._thread.start()
            self._waiting += 1
        self._queue.put((collection, doc_id))

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every marker added so far is written (tests; a clean stop)."""
        with self._handled:
            return self._handled.wait_for(lambda: self._waiting == 0, timeout)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            by_database: dict = {}
            for collection, doc_id in batch:
                by_database.setdefault(collection.database, []).append(
                    {"collection": collection.name, "doc": doc_id}
                )
            for database, markers in by_database.items():
                try:
                    database[PENDING].insert_many(markers, ordered=False)
                except PyMongoError as exc:  # committed all the same: the relay's sweep finds the events
                    log.warning(
                        "outbox markers not written; the sweep will publish them",
                        extra={"markers": len(markers), "error": str(exc)},
                    )
            with self._handled:
                self._waiting -= len(batch)
                self._handled.notify_all()


MARKERS = MarkerWriter()  # one per process: holds no client, only the collections it is given


@dataclass(frozen=True)
class AggregateStore:
    """What every aggregate collection's store has, written once: the collection, the document by
    id, and the writes through the outbox. A service's store module binds one per aggregate and adds
    its named queries beside it."""

    document: type  # the mongoengine Document declaring the collection and its indexes
    what: str  # the aggregate's name in a NotFound: "request", "topic", "case"

    def collection(self) -> Collection:
        return self.document._get_collection()

    def get(self, doc_id) -> dict:
        return load(self.collection(), doc_id, self.what)

    def insert(self, outbox: Outbox, doc: dict, change: Change) -> dict:
        """Insert a new aggregate with the events of its change; return it as stored."""
        return outbox.insert(self.collection(), doc, change.outbox)

    def insert_once(self, outbox: Outbox, doc: dict, change: Change) -> bool:
        """Insert an aggregate whose id is derived from what it is about (an event, a pair); False
        if it already exists, so a repeated event or a second attempt makes nothing twice."""
        try:
            self.insert(outbox, doc, change)
            return True
        except DuplicateKeyError:
            return False

    def apply(self, outbox: Outbox, doc: dict, change: Change) -> dict:
        """Write the change atomically (guarded by version) and return the document as it now is."""
        return outbox.apply(self.collection(), doc, change)


def load(collection: Collection, doc_id, what: str) -> dict:
    """An aggregate by id, without its outbox, or NotFound naming `what` it is."""
    doc = collection.find_one({"_id": doc_id}, {"outbox": 0})
    if doc is None:
        raise NotFound(f"{what} {doc_id} not found")
    return doc


def _event_age_seconds(item: dict, now: float) -> float:
    t = datetime.fromisoformat(item["event"]["time"].replace("Z", "+00:00"))
    return now - t.timestamp()


class Relay:
    """Publishes outbox entries and removes them once the broker acknowledged them; runs in the
    worker process, and publishes only while it holds the service's relay lease."""

    def __init__(self, settings: Settings, collections: list[Collection], client_id: str):
        self.settings = settings
        self.collections = {c.name: c for c in collections}
        database = collections[0].database
        self.pending = database[PENDING]
        self.leases = database[LEASE]
        self.client_id = client_id
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._lease_until = 0.0  # monotonic time until which this process may publish
        self._producer = None
        self._in_flight: dict = {}  # event id -> the producer's future of a send not yet acknowledged
        self._wakeup = threading.Event()

    @property
    def producer(self):
        if self._producer is None:
            self._producer = make_producer(self.settings, self.client_id)
        return self._producer

    # --- the lease: one publisher per service ---------------------------------------------------
    def hold_lease(self) -> bool:
        """Take or renew the lease; True while this process is the service's publisher.

        Renewed when a third of it has passed, so a holder that stops (crash, pause) is replaced
        within `relay_lease_seconds`. Lease times are wall-clock times of the writers: hosts
        running one service's workers need clocks in step to well under the lease.
        """
        ttl = self.settings.relay_lease_seconds
        if self._lease_until - time.monotonic() > ttl * 2 / 3:
            return True
        started, now = time.monotonic(), datetime.now(UTC)
        try:
            self.leases.find_one_and_update(
                {"_id": "relay", "$or": [{"owner": self.owner}, {"until": {"$lt": now}}]},
                {"$set": {"owner": self.owner, "until": now + timedelta(seconds=ttl), "renewed_at": now}},
                upsert=True,
            )
        except DuplicateKeyError:  # someone else holds it and it has not expired
            self._lease_until = 0.0
        else:
            self._lease_until = started + ttl
        metrics.RELAY_LEADER.set(1 if self._lease_until else 0)
        return bool(self._lease_until)

    def release_lease(self) -> None:
        if self._lease_until:
            self.leases.delete_one({"_id": "relay", "owner": self.owner})
            self._lease_until = 0.0
            metrics.RELAY_LEADER.set(0)

    # --- publishing -------------------------------------------------------------------------------
    def publish_documents(self, collection: Collection, docs: list[dict]) -> tuple[int, set]:
        """Send every outbox entry of `docs` in order, wait for the acks, then pull what was
        acknowledged. Returns (events published, ids of the documents whose outbox is now empty).

        A send the broker has not acknowledged within the round stays with the producer, which
        goes on retrying it (until delivery_timeout_ms): the next round waits for that send instead
        of sending the event again. Sent again every round of an outage, each copy reached the
        topic once the broker was back (measured: 3,325 repeated events after a 30 s stop)."""
        sent = []  # (doc_id, entry, future)
        for doc in docs:
            for item in doc.get("outbox") or []:
                event_id = item["event"]["id"]
                future = self._in_flight.get(event_id)
                if future is not None and future.is_done and future.failed():
                    future = None  # the producer gave up on it: send it again
                if future is None:
                    try:
                        future = self.producer.send(
                            self.settings.topic(item["topic"]),
                            key=item["key"].encode(),
                            value=encode(item["event"]),
                            headers=[("content-type", CONTENT_TYPE.encode())],
                        )
                    except Exception as exc:  # broker unreachable: this document waits for the next round
                        metrics.PUBLISH_ERRORS.labels(item["topic"]).inc()
                        log.warning("publish failed", extra={"event_id": event_id, "error": str(exc)})
                        break  # keep per-aggregate order: nothing after a failed event of the document
                    self._in_flight[event_id] = future
                sent.append((doc["_id"], item, future))
        if sent:
            self.producer.flush(timeout=self.settings.kafka_max_block_ms / 1000)
        acked: dict = {}
        failed: set = set()
        for doc_id, item, future in sent:
            if doc_id in failed:  # only an unbroken prefix of a document's events counts as sent
                continue
            event_id = item["event"]["id"]
            try:
                future.get(timeout=self.settings.kafka_max_block_ms / 1000)
            except Exception as exc:
                failed.add(doc_id)
                if future.is_done:  # refused: sent again next round; else still the producer's
                    self._in_flight.pop(event_id, None)
                metrics.PUBLISH_ERRORS.labels(item["topic"]).inc()
                log.warning("publish not acknowledged", extra={"event_id": event_id, "error": str(exc)})
                continue
            self._in_flight.pop(event_id, None)
            acked.setdefault(doc_id, []).append(event_id)
            metrics.EVENTS_PUBLISHED.labels(item["topic"], item["event"]["type"]).inc()
            metrics.PUBLISH_LATENCY.observe(max(0.0, _event_age_seconds(item, time.time())))
        if acked:
            collection.bulk_write(
                [
                    UpdateOne({"_id": doc_id}, {"$pull": {"outbox": {"event.id": {"$in": ids}}}})
                    for doc_id, ids in acked.items()
                ],
                ordered=False,
            )
        drained = {
            d["_id"]
            for d in docs
            if d["_id"] not in failed and len(acked.get(d["_id"], [])) == len(d.get("outbox") or [])
        }
        return sum(len(v) for v in acked.values()), drained

    def publish_pending(self) -> int:
        """Publish the documents the markers name; drop their markers.

        Markers are taken in no particular order: each document's events are read from the
        document itself, in order, so the markers' order changes nothing but who waits a round."""
        markers = list(self.pending.find({}).limit(self.settings.relay_batch_documents))
        if not markers:
            return 0
        by_collection: dict[str, list] = {}
        for marker in markers:
            by_collection.setdefault(marker["collection"], []).append(marker["doc"])
        published, done = 0, []
        for name, ids in by_collection.items():
            collection = self.collections.get(name)
            if collection is None:  # a collection this relay does not know: not ours to publish
                log.error("outbox marker for an unknown collection", extra={"collection": name})
                done += [m["_id"] for m in markers if m["collection"] == name]
                continue
            unique_ids = list(dict.fromkeys(ids))
            # `_id` alone: the test server answers `$in` on `_id` from its index, nothing more.
            docs = [
                d for d in collection.find({"_id": {"$in": unique_ids}}, {"outbox": 1}) if d.get("outbox")
            ]
            count, drained = self.publish_documents(collection, docs) if docs else (0, set())
            published += count
            with_events = {d["_id"] for d in docs}
            done += [
                m["_id"]
                for m in markers
                if m["collection"] == name and (m["doc"] in drained or m["doc"] not in with_events)
            ]
        if done:
            self.pending.delete_many({"_id": {"$in": done}})
        return published

    def sweep(self) -> int:
        """Publish every outbox entry still waiting (what a writer that died before its marker
        left behind, or a broker outage); update the backlog gauges.

        After an outage the backlog can be every document written meanwhile: it is read and
        published in pages of `relay_batch_documents`, and the markers of new commits are served
        between pages, so fresh events do not queue behind the catch-up. Requests never wait for
        the relay: its `$pull` leaves `version` alone, so no commit conflicts with it."""
        published = 0
        page = self.settings.relay_batch_documents
        # Sends whose documents nobody asked for again (another publisher pulled them).
        self._in_flight = {k: f for k, f in self._in_flight.items() if not f.is_done}
        for name, collection in self.collections.items():
            now = time.time()
            backlog, oldest, docs, broker_away = 0, 0.0, [], False
            for doc in collection.find({"outbox.0": {"$exists": True}}, {"outbox": 1}).batch_size(page):
                backlog += len(doc["outbox"])
                oldest = max([oldest, *(_event_age_seconds(item, now) for item in doc["outbox"])])
                if broker_away:  # counted for the gauges; the next sweep tries again
                    continue
                docs.append(doc["_id"])
                if len(docs) == page:
                    count, waiting = self._publish_current(collection, docs)
                    broker_away = waiting and not count
                    published += count + (0 if broker_away else self.publish_pending())
                    docs = []
            if docs and not broker_away:
                published += self._publish_current(collection, docs)[0]
            metrics.OUTBOX_BACKLOG.labels(name).set(backlog)
            metrics.OUTBOX_OLDEST_AGE.labels(name).set(oldest)
        return published

    def _publish_current(self, collection: Collection, ids: list) -> tuple[int, bool]:
        """Publish the outboxes of `ids` as they are now: the sweep's cursor read them before the
        pages and markers served since, and publishing its copies would send those events again
        (measured: most events of a catch-up twice). (events published, whether any waited)."""
        docs = [d for d in collection.find({"_id": {"$in": ids}}, {"outbox": 1}) if d.get("outbox")]
        return (self.publish_documents(collection, docs)[0] if docs else 0), bool(docs)

    # --- the worker's loop ------------------------------------------------------------------------
    def wake(self, collection_name: str | None = None, doc_id=None) -> None:
        """A commit in this process recorded events: publish now rather than at the next poll."""
        self._wakeup.set()

    def run(self, stop: threading.Event) -> None:
        """Publish until `stop` is set: markers as they come (polling `relay_poll_seconds` apart,
        up to `relay_idle_poll_seconds` when idle), and a full sweep every `relay_sweep_seconds`."""
        s = self.settings
        idle, next_sweep = s.relay_poll_seconds, 0.0
        while not stop.is_set():
            try:
                if not self.hold_lease():
                    stop.wait(min(1.0, s.relay_lease_seconds / 3))
                    continue
                published = self.publish_pending()
                if time.monotonic() >= next_sweep:
                    published += self.sweep()
                    next_sweep = time.monotonic() + s.relay_sweep_seconds
            except Exception:
                log.exception("outbox relay round failed")
                stop.wait(1)
                continue
            if published:
                idle = s.relay_poll_seconds
                continue
            self._wakeup.wait(idle)
            self._wakeup.clear()
            idle = min(idle * 2, s.relay_idle_poll_seconds)
        self.close()

    def close(self) -> None:
        """Flush, give the lease back (the next worker takes over at once), close the producer."""
        try:
            self.release_lease()
        except PyMongoError:
            log.warning("relay lease not released; it expires by itself")
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None
