"""The drills. Each runs numbered work on the private instance, makes its fault while the work
goes on, ends it, and reports what was acknowledged, lost, doubled, repeated and out of order,
how long the platform took to apply every acknowledged piece after the fault ended, and what the
client saw. A drill passes with 0 lost, 0 doubled, 0 out of order, no 500 and no unexpected dead
letter; the database drills also need every answer to be 2xx or 503 within a few seconds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from civic146.consumer import consumed_topics, retry_topic
from civic146.contracts import declaration
from tests.helpers import ROOT

from .platform import SERVICES, Platform
from .work import Load, read_window, settle, tally

SETTLE_SECONDS = 150.0
SLOW_CALL_SECONDS = 6.0  # the database drills: a 503 within MONGODB_SOCKET_TIMEOUT_MS (3 s), plus queueing


@dataclass
class Result:
    name: str
    acknowledged: int = 0
    refused: int = 0
    lost: int = 0
    doubled: int = 0
    repeated: int = 0
    out_of_order: int = 0
    recovery: float | None = None
    p99_before: float = 0.0  # the client's latencies before the fault and after it ended
    p99_after: float = 0.0
    saw: str = ""
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def line(self) -> str:
        recovery = f"{self.recovery:.1f}s" if self.recovery is not None else "never"
        return (
            f"{'PASS' if self.passed else 'FAIL'} {self.name:<28} acknowledged {self.acknowledged:>4}"
            f" (refused {self.refused}) lost {self.lost} doubled {self.doubled} repeated {self.repeated}"
            f" out-of-order {self.out_of_order} recovery {recovery} | client {self.saw}"
            + "".join(f" | {n}" for n in self.notes)
            + "".join(f" | FAILED: {f}" for f in self.failures)
        )


def now_ms() -> int:
    return int(time.time() * 1000)


def drill(
    platform: Platform,
    name: str,
    fault: Callable[[], None],
    rate: float = 2.0,
    before: float = 6.0,
    after: float = 6.0,
    database_fault: bool = False,
    dead_letters_expected: bool = False,
) -> Result:
    """Numbered work for `before` seconds, the fault (it returns when the fault is over: the
    process is back), `after` seconds more of work; then every acknowledged piece is followed."""
    result = Result(name)
    since = now_ms() - 1000
    load = Load(platform, name, rate).start()
    time.sleep(before)
    fault_started = time.monotonic()
    fault()
    fault_ended = time.monotonic()
    # Recovery: from the end of the fault until every piece acknowledged by then is applied.
    during = [p for p in load.pieces if p.acknowledged]
    recovered = settle(platform, during, after)[0]
    time.sleep(max(0.0, fault_ended + after - time.monotonic()))
    pieces = load.stop()
    waited, result.lost, result.doubled = settle(platform, pieces, SETTLE_SECONDS)
    if recovered is None and waited is not None:
        recovered = time.monotonic() - fault_ended
    result.recovery = recovered
    result.acknowledged = sum(p.acknowledged for p in pieces)
    result.refused = sum(1 for p in pieces if p.refused)
    result.saw = load.calls.summary()
    counts = tally(platform.infra.bootstrap, since)
    result.repeated, result.out_of_order = counts.repeated, counts.out_of_order
    result.p99_before = load.calls.p(0.99, until=fault_started)
    result.p99_after = load.calls.p(0.99, since=fault_ended)
    check(result, load, counts, database_fault, dead_letters_expected)
    return result


def check(result: Result, load: Load, counts, database_fault: bool, dead_letters_expected: bool) -> None:
    if result.lost:
        result.failures.append(f"{result.lost} acknowledged pieces lost")
    if result.doubled:
        result.failures.append(f"{result.doubled} effects doubled")
    if result.out_of_order:
        result.failures.append(f"{result.out_of_order} events out of order")
    if result.recovery is None:
        result.failures.append("not every acknowledged piece applied")
    if not result.acknowledged:
        result.failures.append("nothing acknowledged: the drill proved nothing")
    server_errors = {a: n for a, n in load.calls.answers.items() if a.startswith("5") and a != "503"}
    if server_errors:
        result.failures.append(f"server errors {server_errors}")
    if database_fault:
        odd = {a: n for a, n in load.calls.answers.items() if not (a.startswith("2") or a in ("503", "409"))}
        if odd:
            result.failures.append(f"answers other than 2xx/503: {odd}")
        slowest = max(load.calls.latencies, default=0)
        if slowest > SLOW_CALL_SECONDS:
            result.failures.append(f"a call took {slowest:.1f}s")
    if not dead_letters_expected and sum(counts.dead_letters.values()):
        result.failures.append(f"dead letters {dict(counts.dead_letters)}")


# --- faults --------------------------------------------------------------------------------------


def broker_killed(platform: Platform) -> Result:
    def fault():
        platform.infra.signal("kafka", signal.SIGKILL)
        time.sleep(10)
        platform.infra.up()

    return drill(platform, "broker SIGKILL", fault)


def broker_stopped(platform: Platform) -> Result:
    """Also the catch-up: every document written during 30 s without a broker is published after
    it, page by page, while the API goes on; its p99 before the fault and after it are printed."""

    def fault():
        platform.infra.signal("kafka", signal.SIGTERM)
        time.sleep(30)
        platform.infra.up()

    result = drill(platform, "broker stopped 30 s", fault, after=12)
    result.notes.append(f"API p99 {result.p99_before:.3f}s before, {result.p99_after:.3f}s while catching up")
    return result


def broker_frozen(platform: Platform) -> Result:
    def fault():
        platform.infra.signal("kafka", signal.SIGSTOP)
        time.sleep(20)
        platform.infra.signal("kafka", signal.SIGCONT)

    return drill(platform, "broker frozen 20 s", fault)


def database_frozen(platform: Platform) -> Result:
    def fault():
        platform.infra.signal("mongo", signal.SIGSTOP)
        time.sleep(10)
        platform.infra.signal("mongo", signal.SIGCONT)

    return drill(platform, "database frozen 10 s", fault, database_fault=True)


def database_killed(platform: Platform) -> Result:
    """kill -9 of the document server (H2 file) and a restart 5 s later: what it acknowledged was
    committed to its file first (deploy/local/mongo/DocumentServer.java)."""

    def fault():
        platform.infra.signal("mongo", signal.SIGKILL)
        time.sleep(5)
        platform.infra.up()

    return drill(platform, "database SIGKILL", fault, database_fault=True)


def worker_killed(service: str) -> Callable[[Platform], Result]:
    def run(platform: Platform) -> Result:
        def fault():
            worker = platform.services[service].workers[0]
            worker.kill()
            time.sleep(3)
            worker.start()

        return drill(platform, f"{service} worker SIGKILL", fault)

    return run


def gunicorn_worker_killed(platform: Platform) -> Result:
    def fault():
        intake = platform.services["intake"]
        os.kill(intake.gunicorn_workers()[0], signal.SIGKILL)  # the master starts another

    return drill(platform, "gunicorn worker SIGKILL", fault)


def gunicorn_master_killed(platform: Platform) -> Result:
    def fault():
        intake = platform.services["intake"]
        intake.api.kill()
        time.sleep(2)
        intake.start_api()

    return drill(platform, "gunicorn master SIGKILL", fault)


def group_member_killed(size: int) -> Callable[[Platform], Result]:
    """`size` workers in every service's group; one of each is killed while work goes on."""

    def run(platform: Platform) -> Result:
        for svc in platform.services.values():
            while len(svc.workers) < size:
                svc.add_worker()
        time.sleep(10)  # the groups settle with their new members

        def fault():
            for svc in platform.services.values():
                svc.workers[-1].kill()

        try:
            return drill(platform, f"{size} workers per group, 1 killed", fault, after=15)
        finally:
            for svc in platform.services.values():
                while len(svc.workers) > 1:
                    svc.workers.pop().stop()

    return run


def sustained(platform: Platform) -> Result:
    """The most pieces per second this machine applies (the client saturating intake for 15 s),
    then a minute at 80% of it."""
    probe = Load(platform, "saturation", rate=60.0).start()
    time.sleep(15)
    pieces = probe.stop()
    took = max(probe.calls.started) + 0.001 - min(probe.calls.started)
    maximum = sum(p.acknowledged for p in pieces) / took
    settle(platform, pieces, SETTLE_SECONDS)
    result = drill(platform, "sustained at 80% of max", lambda: time.sleep(60), rate=0.8 * maximum, after=0)
    result.notes.append(f"max {maximum:.1f} pieces/s (3 calls each), run at {0.8 * maximum:.1f}/s for 72 s")
    return result


# --- poison --------------------------------------------------------------------------------------

# Each fails before any handler: every consumer group of the topic must dead-letter it.
ENVELOPE_POISON: dict[str, Callable[[dict], bytes | None]] = {
    "not JSON": lambda good: b"\xff\xfe not json",
    "empty value": lambda good: None,
    "type a list": lambda good: json.dumps({**good, "type": ["a", "list"]}).encode(),
    "id an operator": lambda good: json.dumps({**good, "id": {"$ne": None}}).encode(),
    "id of 10,000 characters": lambda good: json.dumps({**good, "id": "x" * 10_000}).encode(),
    "value of 1 MB": lambda good: b"{" + b" " * 1_000_000,
}


def poison(platform: Platform) -> Result:
    """Every kind of poison on every topic a consumer reads, among numbered work: each is
    dead-lettered by every group that reads it, with its error, and everything else is handled.
    Then a service's dead letters are replayed: no new dead letter anywhere else."""
    declarations = {name: declaration(name) for name in SERVICES}
    readers: dict[str, list[str]] = {}  # topic -> services whose consumer reads it
    handled: dict[str, set[str]] = {}  # service -> event types it handles
    for name, svc in declarations.items():
        handled[name] = {s.event_type.name for s in svc.subscriptions}
        for topic in [*consumed_topics(svc.subscriptions), retry_topic(name)]:
            readers.setdefault(topic, []).append(name)
    sent: list[tuple[str, str, int, set[str]]] = []  # (kind, topic, offset, services that must dead-letter)
    producer = KafkaProducer(
        bootstrap_servers=platform.infra.bootstrap, acks="all", max_request_size=2_000_000
    )

    def fault():
        for topic, services in sorted(readers.items()):
            types = sorted({t for s in services for t in handled[s]})
            good = envelope_of(types[0])
            kinds = {k: make(good) for k, make in ENVELOPE_POISON.items()}
            kinds["data not of its type"] = json.dumps({**good, "data": {"unexpected": True}}).encode()
            for kind, value in kinds.items():
                meta = producer.send(topic, key=b"poison", value=value).get(timeout=30)
                must = (
                    set(services)
                    if kind != "data not of its type"
                    else {s for s in services if good["type"] in handled[s]}
                )
                sent.append((kind, topic, meta.offset, must))
        producer.flush()

    since = now_ms() - 1000
    result = drill(platform, "poison on every topic", fault, after=15, dead_letters_expected=True)
    producer.close()
    dead = read_window(platform.infra.bootstrap, [f"{s}.deadletter" for s in SERVICES], since)
    found = {}
    for topic, records in dead.items():
        for r in records:
            h = {k: v.decode() for k, v in r.headers}
            found[
                (topic.split(".")[0], h.get("dlq.original.topic"), int(h.get("dlq.original.offset", -1)))
            ] = h
    missing = []
    expected_keys = {(s, topic, offset) for _, topic, offset, must in sent for s in must}
    for kind, topic, offset, must in sent:
        for s in must:
            h = found.get((s, topic, offset))
            if h is None or not h.get("dlq.error") or not h.get("dlq.error.class"):
                missing.append(f"{s} {topic} {kind}")
    unexpected = sum(1 for k in found if k not in expected_keys)
    if missing:
        result.failures.append(f"not dead-lettered with its error: {missing[:6]} ({len(missing)} in all)")
    if unexpected:
        result.failures.append(f"{unexpected} dead letters of something other than the poison")
    result.notes.append(
        f"{len(sent)} poison messages on {len(readers)} topics, {len(expected_keys)} dead letters"
    )
    replay_without_side_effects(platform, result)
    return result


def envelope_of(type_name: str) -> dict:
    """A CloudEvent envelope of a type its readers handle, with no data yet."""
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "/civic146/faults",
        "type": type_name,
        "time": datetime.now(UTC).isoformat(),
        "subject": "poison",
        "community": "huifeng",
        "datacontenttype": "application/json",
        "data": {},
    }


def retry_consumed(bootstrap: str, service: str, timeout: float = 60) -> bool:
    """Whether the service's consumer group committed its retry topic to the end (within `timeout`)."""
    topic = retry_topic(service)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        ends = consumer.end_offsets(parts)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            committed = admin.list_group_offsets({service: parts})[service]
            if all(tp in committed and committed[tp].offset >= end for tp, end in ends.items() if end):
                return True
            time.sleep(0.5)
        return False
    finally:
        admin.close()
        consumer.close()


def replay_without_side_effects(platform: Platform, result: Result, service: str = "deliberation") -> None:
    def counts() -> dict[str, int]:
        window = read_window(platform.infra.bootstrap, [f"{s}.deadletter" for s in SERVICES], 0)
        return {t.split(".")[0]: len(rs) for t, rs in window.items()}

    before = counts()
    done = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "kafka" / "replay_dead_letters.py"), f"{service}.deadletter"],
        env={**os.environ, "KAFKA_BOOTSTRAP": platform.infra.bootstrap},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        result.failures.append(f"replay failed: {done.stderr[-300:]}")
        return
    # The service's consumer reads its retry topic and dead-letters the poison again: once its group
    # has committed the retry topic to its end, every replayed message was handled.
    if not retry_consumed(platform.infra.bootstrap, service):
        result.failures.append(f"{service} did not read its retry topic to its end in 60 s")
        return
    after = counts()
    others = {s: after[s] - before[s] for s in SERVICES if s != service and after[s] != before[s]}
    if others:
        result.failures.append(f"replaying {service}'s dead letters made new ones in {others}")
    result.notes.append(
        f"replayed {service}'s {before[service]} dead letters: {after[service] - before[service]} again in"
        f" {service}, 0 elsewhere"
        if not others
        else "replay leaked"
    )


def leader_killed(platform: Platform) -> Result:
    """On a cluster of three brokers of its own (replication 3, min.insync.replicas 2): the
    leader of intake.requests' partition 0 SIGKILLed under load, started again 15 s later."""
    cluster = Platform(
        platform.run_dir.parent / f"{platform.run_dir.name}-cluster",
        platform.infra.kafka_port + 200,
        platform.infra.mongo_port + 200,
        brokers=3,
    )
    try:
        cluster.start()

        def fault():
            leader = cluster.infra.leader("intake.requests", 0)
            cluster.infra.node(leader, "kill")
            time.sleep(15)
            cluster.infra.node(leader, "start")

        result = drill(cluster, "partition leader SIGKILL (3 brokers)", fault, rate=4.0, after=10)
        result.notes.append("replication 3, min.insync.replicas 2, acks=all")
        return result
    finally:
        cluster.stop()


DRILLS: dict[str, Callable[[Platform], Result]] = {
    "poison": poison,
    **{f"worker-{s}": worker_killed(s) for s in SERVICES},
    "gunicorn-worker": gunicorn_worker_killed,
    "gunicorn-master": gunicorn_master_killed,
    "broker-kill": broker_killed,
    "broker-stop": broker_stopped,
    "broker-freeze": broker_frozen,
    "leader-kill": leader_killed,
    "database-freeze": database_frozen,
    "database-kill": database_killed,
    "group-2": group_member_killed(2),
    "group-3": group_member_killed(3),
    "sustained": sustained,
}
SHORT = [
    "poison",
    "worker-deliberation",
]  # database-freeze queues calls behind a busy machine: make faults only
