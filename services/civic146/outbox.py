"""Outbox inside the aggregate's own document, and the relay that publishes it.

MongoDB multi-document transactions are not available on every server we run on, so the events
of a state change are appended to the aggregate's `outbox` array in the same single-document
write as the change, guarded by the `version` field (optimistic concurrency). The relay
publishes them to Kafka (acks=all, idempotent producer), waits for the broker's acknowledgement
and only then removes them. A crash anywhere means an event is published late or twice, never
lost; consumers de-duplicate on the event id.

Every write to an existing aggregate document (a commit, the relay's removal) holds a short
per-document lock (see document_lock): FerretDB, the MongoDB-compatible server we test on, runs
an update as read-modify-write without isolation, so two concurrent updates of one document can
lose one of them, conditional `version` filter or not. On MongoDB the lock is redundant and cheap.

Two relays share the work: the API process publishes right after its own commits (low latency,
no polling), and the worker process sweeps documents whose events are older than a grace period
(what a crash, a broker outage or a killed API left behind).
"""
from __future__ import annotations

import logging
import os
import queue
import random
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

from . import metrics
from .config import Settings
from .errors import ConcurrencyConflict, NotFound, Unavailable
from .events import CONTENT_TYPE, EventType, encode
from .kafka import make_producer

log = logging.getLogger(__name__)


def entry(event_type: EventType, event: dict) -> dict:
    """An outbox element: where the event goes (topic without prefix, key) and the event."""
    return {"topic": event_type.topic, "key": event["subject"], "event": event}


@dataclass
class Change:
    """What a domain decision changes in one aggregate document, plus the events it records."""
    set: dict = field(default_factory=dict)
    push: dict = field(default_factory=dict)          # field -> one element to append
    outbox: list[dict] = field(default_factory=list)  # entries made with entry()

    def record(self, event_type: EventType, event: dict) -> None:
        self.outbox.append(entry(event_type, event))


LOCK_LEASE = timedelta(seconds=30)  # a holder that crashed frees the lock after this
LOCK_WAIT_SECONDS = 5.0


def _locks(collection: Collection) -> Collection:
    return collection.database[f"{collection.name}_locks"]


def try_lock(collection: Collection, doc_ids: list, token: str) -> list:
    """Take the write locks of `doc_ids` that are free now; return the ids locked.

    A lock is a document in `<collection>_locks` whose `_id` is the document's id: inserting it
    is atomic on every server (unique `_id`), which is the one guarantee FerretDB gives under
    concurrency. A lock older than the lease is taken to be left by a crashed holder.
    """
    now = datetime.now(timezone.utc)
    try:
        _locks(collection).insert_many([{"_id": i, "owner": token, "expires_at": now + LOCK_LEASE} for i in doc_ids],
                                       ordered=False)
        return list(doc_ids)
    except BulkWriteError as exc:
        taken = {e["op"]["_id"] for e in exc.details["writeErrors"]}
        _locks(collection).delete_many({"_id": {"$in": list(taken)}, "expires_at": {"$lt": now}})
        return [i for i in doc_ids if i not in taken]


def unlock(collection: Collection, doc_ids: list, token: str) -> None:
    _locks(collection).delete_many({"_id": {"$in": list(doc_ids)}, "owner": token})


@contextmanager
def document_lock(collection: Collection, doc_id):
    """Hold the write lock of one document, waiting up to LOCK_WAIT_SECONDS for it."""
    token = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while not try_lock(collection, [doc_id], token):
        if time.monotonic() > deadline:
            raise Unavailable(f"{doc_id} is locked by another writer; try again")
        time.sleep(random.uniform(0.001, 0.005))
    try:
        yield
    finally:
        unlock(collection, [doc_id], token)


class Outbox:
    """Atomic writes of state + events for the aggregates of one service."""

    def __init__(self, on_commit=None):
        self.on_commit = on_commit  # callable(collection_name, doc_id), set by the API's relay

    def insert(self, collection: Collection, document: dict, outbox: list[dict]) -> dict:
        """Insert a new aggregate with its first events; return it as stored (without outbox)."""
        collection.insert_one({**document, "version": 1, "outbox": outbox})
        self._committed(collection, document["_id"], outbox)
        return {**document, "version": 1}

    def apply(self, collection: Collection, doc: dict, change: Change) -> dict:
        """Commit `change` to `doc` (see commit) and return the document as it now is."""
        version = self.commit(collection, doc["_id"], doc["version"], change)
        updated = {**doc, **change.set, "version": version}
        for key, value in change.push.items():
            updated[key] = [*doc.get(key, []), value]
        return updated

    def commit(self, collection: Collection, doc_id, version: int, change: Change) -> int:
        """Apply `change` if the document is still at `version`; return the new version."""
        update: dict = {"$inc": {"version": 1}}
        if change.set:
            update["$set"] = change.set
        push = {k: v for k, v in change.push.items()}
        if change.outbox:
            push["outbox"] = {"$each": change.outbox}
        if push:
            update["$push"] = push
        with document_lock(collection, doc_id):
            matched = collection.update_one({"_id": doc_id, "version": version}, update).matched_count
        if not matched:
            if collection.count_documents({"_id": doc_id}, limit=1) == 0:
                raise NotFound(f"{doc_id} not found")
            raise ConcurrencyConflict(f"{doc_id} was changed by someone else; reload and retry")
        self._committed(collection, doc_id, change.outbox)
        return version + 1

    def _committed(self, collection: Collection, doc_id, outbox: list[dict]) -> None:
        if outbox and self.on_commit is not None:
            self.on_commit(collection.name, doc_id)


def load(collection: Collection, doc_id, what: str) -> dict:
    """An aggregate by id, without its outbox, or NotFound naming `what` it is."""
    doc = collection.find_one({"_id": doc_id}, {"outbox": 0})
    if doc is None:
        raise NotFound(f"{what} {doc_id} not found")
    return doc


def _event_age_seconds(item: dict, now: float) -> float:
    t = datetime.fromisoformat(item["event"]["time"].replace("Z", "+00:00"))
    return now - t.timestamp()


def outbox_and_relay(settings: Settings, collections: list[Collection], process: str,
                     publish_on_commit: bool = True) -> tuple[Outbox, Relay]:
    """The Outbox a process writes through and the Relay that publishes what it commits (woken on
    each commit unless `publish_on_commit` is off, when only the worker's sweep publishes)."""
    relay = Relay(settings, collections, client_id=f"{settings.service_name}-{process}-relay")
    return Outbox(on_commit=relay.wake if publish_on_commit else None), relay


_STOP = ("", None)  # wake-up that ends the publish-on-commit thread


class Relay:
    """Publishes outbox entries and removes them once the broker acknowledged them."""

    def __init__(self, settings: Settings, collections: list[Collection], client_id: str):
        self.settings = settings
        self.collections = {c.name: c for c in collections}
        self.client_id = client_id
        self._producer = None
        self._lock = threading.Lock()  # one publish round at a time per process
        self._wakeups: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    @property
    def producer(self):
        if self._producer is None:
            self._producer = make_producer(self.settings, self.client_id)
        return self._producer

    # --- publishing --------------------------------------------------------------------------
    def publish_documents(self, collection: Collection, docs: list[dict]) -> int:
        """Send every outbox entry of `docs`, wait for the acks, then pull what was acknowledged."""
        with self._lock:
            sent = []  # (doc_id, entry, future)
            for doc in docs:
                for item in doc.get("outbox") or []:
                    try:
                        future = self.producer.send(
                            self.settings.topic(item["topic"]), key=item["key"].encode(),
                            value=encode(item["event"]), headers=[("content-type", CONTENT_TYPE.encode())])
                    except Exception as exc:  # broker unreachable: leave it for the next round
                        metrics.PUBLISH_ERRORS.labels(item["topic"]).inc()
                        log.warning("publish failed", extra={"event_id": item["event"]["id"], "error": str(exc)})
                        break  # keep per-aggregate order: nothing after a failed event
                    sent.append((doc["_id"], item, future))
            acked: dict = {}
            for doc_id, item, future in sent:
                try:
                    future.get(timeout=self.settings.kafka_max_block_ms / 1000)
                except Exception as exc:
                    metrics.PUBLISH_ERRORS.labels(item["topic"]).inc()
                    log.warning("publish not acknowledged", extra={"event_id": item["event"]["id"], "error": str(exc)})
                    continue
                acked.setdefault(doc_id, []).append(item)
                metrics.EVENTS_PUBLISHED.labels(item["topic"], item["event"]["type"]).inc()
                metrics.PUBLISH_LATENCY.observe(max(0.0, _event_age_seconds(item, time.time())))
            self._remove(collection, acked)
            return sum(len(v) for v in acked.values())

    @staticmethod
    def _remove(collection: Collection, acked: dict) -> None:
        """Remove acknowledged entries, holding the documents' locks (in one batch).

        A document whose lock is busy keeps its entries: they are published again later and
        consumers de-duplicate.
        """
        if not acked:
            return
        token = f"{os.getpid()}-relay-{uuid.uuid4().hex[:8]}"
        held = try_lock(collection, list(acked), token)
        try:
            for doc_id in held:  # one `_id` lookup each: FerretDB scans the collection for `$in`
                # $pullAll of the exact stored elements (FerretDB ignores $pull conditions).
                collection.update_one({"_id": doc_id}, {"$pullAll": {"outbox": acked[doc_id]}})
        finally:
            if held:
                unlock(collection, held, token)

    def publish_ids(self, collection_name: str, doc_ids: list) -> int:
        collection = self.collections[collection_name]
        docs = [d for d in (collection.find_one({"_id": i}, {"outbox": 1}) for i in doc_ids) if d and d["outbox"]]
        return self.publish_documents(collection, docs) if docs else 0

    def sweep(self, min_age_seconds: float | None = None) -> int:
        """Publish entries older than the grace period in every collection; update backlog gauges."""
        min_age = self.settings.relay_sweep_min_age_seconds if min_age_seconds is None else min_age_seconds
        published = 0
        for name, collection in self.collections.items():
            now = time.time()
            pending = list(collection.find({"outbox.0": {"$exists": True}}, {"outbox": 1}))
            ages = [_event_age_seconds(item, now) for doc in pending for item in doc["outbox"]]
            metrics.OUTBOX_BACKLOG.labels(name).set(len(ages))
            metrics.OUTBOX_OLDEST_AGE.labels(name).set(max(ages, default=0.0))
            due = [d for d in pending if _event_age_seconds(d["outbox"][0], now) >= min_age]
            if due:
                published += self.publish_documents(collection, due)
        return published

    # --- publish-on-commit (API process) -------------------------------------------------------
    def wake(self, collection_name: str, doc_id) -> None:
        """Called right after a commit: publish soon, on a background thread of this process."""
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._drain, name="outbox-relay", daemon=True)
            self._thread.start()
        self._wakeups.put((collection_name, doc_id))

    def _drain(self) -> None:
        while True:
            batch = [self._wakeups.get()]
            while True:  # take everything queued meanwhile: one round trip for a burst
                try:
                    batch.append(self._wakeups.get_nowait())
                except queue.Empty:
                    break
            if _STOP in batch:  # close(): what is left is the worker's sweep's to publish
                return
            by_collection: dict[str, list] = {}
            for name, doc_id in batch:
                by_collection.setdefault(name, []).append(doc_id)
            for name, ids in by_collection.items():
                try:
                    self.publish_ids(name, list(dict.fromkeys(ids)))
                except Exception:  # the worker's sweep will pick these up
                    log.exception("publish-on-commit failed")

    def run(self, stop: threading.Event) -> None:
        """Worker loop: sweep periodically until `stop` is set."""
        while not stop.is_set():
            try:
                self.sweep()
            except Exception:
                log.exception("outbox sweep failed")
            stop.wait(self.settings.relay_sweep_seconds)

    def check_ready(self, topic: str) -> None:
        """Readiness: the broker answers metadata for the topic this service writes to."""
        if not self.producer.partitions_for(self.settings.topic(topic)):
            raise RuntimeError(f"no partitions for {self.settings.topic(topic)}")

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._wakeups.put(_STOP)
            self._thread.join(timeout=10)
        if self._producer is not None:
            self._producer.close(timeout=5)
