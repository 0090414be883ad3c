"""Numbered work and its accounting.

Each piece of work is a resident's request, numbered, submitted to intake, accepted and routed by
staff to deliberation, mediation or employment in turn. The client behaves as a careful one does:
a 503 or a refused connection is retried after Retry-After (or a second) until the drill's deadline;
a 409 on a retried transition means the earlier attempt was applied. A piece is acknowledged when
all three calls were answered 2xx. Its effects are then looked up where they land: the target's
document (a topic's request entry, a case, a draft profile), and for deliberation the progress back
in intake's history. Lost: an acknowledged piece with an effect missing; doubled: an effect found
twice. The topics are read over the drill's window for repeated event ids and for events that came
after a later one of the same subject (out of order)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
from kafka import KafkaConsumer, TopicPartition

from .platform import Platform

TARGETS = ("deliberation", "mediation", "employment")
CATEGORY = {"deliberation": "water_and_pipes", "mediation": "neighbour_dispute", "employment": "job_seeking"}
TEXT = {
    "deliberation": "楼院自来水管老化漏水，水压不足，请求改造。",
    "mediation": "楼上邻居噪音扰民，多次沟通无果，请求调解。",
    "employment": "本人失业在家，想找附近的工作机会。",
}
COMPOUNDS = {"huifeng": ["huifeng-1", "huifeng-2", "huifeng-3"], "ruyijie": ["ruyijie-1", "ruyijie-2"]}
EFFECT_TOPICS = (
    "intake.requests",
    "deliberation.topics",
    "mediation.cases",
    "employment.seekers",
    "employment.referrals",
)
CALL_TIMEOUT = 15.0


@dataclass
class Piece:
    n: int
    target: str
    rid: str | None = None
    acknowledged: bool = False
    refused: str | None = None  # why the client gave up, if it did


@dataclass
class Calls:
    """What the client saw: every answer (status code or error class) and every call's latency."""

    answers: Counter = field(default_factory=Counter)
    latencies: list = field(default_factory=list)
    started: list = field(default_factory=list)  # time.monotonic() each call started
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, answer: str, seconds: float) -> None:
        with self.lock:
            self.answers[answer] += 1
            self.latencies.append(seconds)
            self.started.append(time.monotonic() - seconds)

    def p(self, q: float, since: float = 0.0, until: float = float("inf")) -> float:
        """The q-quantile of the latencies of calls started in [since, until)."""
        xs = sorted(s for s, t in zip(self.latencies, self.started, strict=True) if since <= t < until)
        return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else 0.0

    def summary(self) -> str:
        answers = " ".join(f"{k}:{v}" for k, v in sorted(self.answers.items()))
        return f"{answers} p99 {self.p(0.99):.2f}s max {max(self.latencies, default=0):.2f}s"


class Load:
    """Numbered pieces at `rate` per second, open loop (a slow answer does not slow the arrivals)."""

    def __init__(self, platform: Platform, tag: str, rate: float, deadline_seconds: float = 120.0):
        self.platform, self.tag, self.rate = platform, tag, rate
        self.intake = platform.services["intake"].url
        self.pieces: list[Piece] = []
        self.calls = Calls()
        self.deadline_seconds = deadline_seconds
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=48, thread_name_prefix=f"load-{tag}")
        self._thread: threading.Thread | None = None
        self._futures: list = []

    def start(self) -> Load:
        self._thread = threading.Thread(target=self._arrivals, name=f"arrivals-{self.tag}", daemon=True)
        self._thread.start()
        return self

    def _arrivals(self) -> None:
        started, n = time.monotonic(), 0
        while not self._stop.is_set():
            piece = Piece(n, TARGETS[n % len(TARGETS)])
            self.pieces.append(piece)
            self._futures.append(self._pool.submit(self._work, piece))
            n += 1
            self._stop.wait(max(0.0, started + n / self.rate - time.monotonic()))

    def stop(self) -> list[Piece]:
        """No new pieces; wait for the client to finish (or give up on) the ones under way."""
        self._stop.set()
        self._thread.join()
        for f in self._futures:
            f.result()
        self._pool.shutdown()
        return self.pieces

    def _call(self, method: str, path: str, headers: dict, body: dict, until: float):
        """One call as a careful client makes it: retried on 503 and on connection errors."""
        retried = False
        while True:
            t0 = time.monotonic()
            try:
                resp = requests.request(
                    method, self.intake + path, json=body, headers=headers, timeout=CALL_TIMEOUT
                )
            except requests.RequestException as exc:
                self.calls.add(type(exc).__name__, time.monotonic() - t0)
                if time.monotonic() > until:
                    return None, type(exc).__name__
                retried = True
                time.sleep(1.0)
                continue
            self.calls.add(str(resp.status_code), time.monotonic() - t0)
            if resp.status_code == 503 and time.monotonic() < until:
                retried = True
                time.sleep(float(resp.headers.get("Retry-After", "1")))  # as the API asks
                continue
            if resp.status_code == 409 and retried:  # the attempt that timed out was applied
                return resp, None
            if resp.status_code >= 300:
                return None, f"{resp.status_code} {resp.text[:120]}"
            return resp, None

    def _work(self, piece: Piece) -> None:
        until = time.monotonic() + self.deadline_seconds
        community = "huifeng" if piece.n % 2 == 0 else "ruyijie"
        body = {
            "category": CATEGORY[piece.target],
            "description": f"{TEXT[piece.target]} 编号 {self.tag}-{piece.n:05d}",
            "community": community,
            "compound": COMPOUNDS[community][piece.n % len(COMPOUNDS[community])],
            "channel": "e_net_mini_program",
            "submitter": {"name": "李四", "phone": "13912345678"},
        }
        resp, why = self._call("POST", "/v1/requests", self.platform.resident, body, until)
        if resp is None:
            piece.refused = f"submit: {why}"
            return
        piece.rid = resp.json()["id"]
        for step in ("accept", "route"):
            resp, why = self._call("POST", f"/v1/requests/{piece.rid}/{step}", self.platform.staff, {}, until)
            if resp is None:
                piece.refused = f"{step}: {why}"
                return
        piece.acknowledged = True


def effects(platform: Platform, pieces: list[Piece]) -> dict[str, Counter]:
    """For each acknowledged piece, how many times each of its effects is found."""
    acked = [p for p in pieces if p.acknowledged]
    by_target = {t: [p.rid for p in acked if p.target == t] for t in TARGETS}
    found: dict[str, Counter] = {p.rid: Counter() for p in acked}
    with platform.infra.db() as client:
        for doc in client["civic146_deliberation"]["topics"].find(
            {"requests.request_id": {"$in": by_target["deliberation"]}}, {"requests.request_id": 1}
        ):
            for entry in doc.get("requests", []):
                if entry.get("request_id") in found:
                    found[entry["request_id"]]["effect"] += 1
        for doc in client["civic146_mediation"]["cases"].find(
            {"request_ids": {"$in": by_target["mediation"]}}, {"request_ids": 1}
        ):
            for rid in doc["request_ids"]:
                if rid in found:
                    found[rid]["effect"] += 1
        for doc in client["civic146_employment"]["seekers"].find(
            {"request_id": {"$in": by_target["employment"]}}, {"request_id": 1}
        ):
            found[doc["request_id"]]["effect"] += 1
        for doc in client["civic146_intake"]["requests"].find(
            {"_id": {"$in": by_target["deliberation"]}}, {"history": 1}
        ):
            found[doc["_id"]]["progress"] = sum(
                1 for h in doc.get("history", []) if h.get("to") == "in_progress"
            )
    return found


def expected(piece: Piece) -> set[str]:
    return {"effect", "progress"} if piece.target == "deliberation" else {"effect"}


def lost_and_doubled(pieces: list[Piece], found: dict[str, Counter]) -> tuple[int, int]:
    acked = [p for p in pieces if p.acknowledged]
    lost = sum(1 for p in acked if any(found[p.rid][e] == 0 for e in expected(p)))
    doubled = sum(1 for p in acked if any(found[p.rid][e] > 1 for e in expected(p)))
    return lost, doubled


def settle(platform: Platform, pieces: list[Piece], timeout: float) -> tuple[float | None, int, int]:
    """Wait until every acknowledged piece has its effects; (seconds it took or None, lost,
    doubled) -- lost and doubled as found at the end."""
    started = time.monotonic()
    while True:
        try:
            lost, doubled = lost_and_doubled(pieces, effects(platform, pieces))
        except Exception:  # the database may still be coming back
            lost, doubled = len(pieces), 0
        if lost == 0:
            return time.monotonic() - started, lost, doubled
        if time.monotonic() - started > timeout:
            return None, lost, doubled
        time.sleep(0.5)


@dataclass
class TopicTally:
    records: int = 0
    repeated: int = 0
    out_of_order: int = 0
    dead_letters: Counter = field(default_factory=Counter)


def read_window(bootstrap: str, topics: list[str], since_ms: int) -> dict[str, list]:
    """Every record of `topics` written since `since_ms`, per topic, in partition order."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    try:
        parts = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or [])]
        consumer.assign(parts)
        starts = consumer.offsets_for_times({tp: since_ms for tp in parts})
        ends = consumer.end_offsets(parts)
        for tp in parts:
            if starts.get(tp) is None:
                consumer.seek(tp, ends[tp])
            else:
                consumer.seek(tp, starts[tp].offset)
        out: dict[str, list] = {t: [] for t in topics}
        deadline = time.monotonic() + 60
        while any(consumer.position(tp) < ends[tp] for tp in parts) and time.monotonic() < deadline:
            for tp, batch in consumer.poll(timeout_ms=500).items():
                out[tp.topic].extend(r for r in batch if r.offset < ends[tp])
        return out
    finally:
        consumer.close()


def tally(bootstrap: str, since_ms: int) -> TopicTally:
    """Repeated and out-of-order events on the effect topics, dead letters per service."""
    dead = [f"{s}.deadletter" for s in ("intake", "deliberation", "employment", "mediation")]
    window = read_window(bootstrap, [*EFFECT_TOPICS, *dead], since_ms)
    t = TopicTally()
    for topic in EFFECT_TOPICS:
        seen: set = set()
        last: dict = {}
        for r in window[topic]:
            try:
                event = json.loads(r.value)
                eid, seq = event["id"], event.get("sequence")
            except Exception:  # a poison message of the drill: not an event
                continue
            if not isinstance(eid, str) or event.get("subject") == "poison":
                continue
            t.records += 1
            if eid in seen:
                t.repeated += 1
                continue
            seen.add(eid)
            key = (topic, event.get("subject"))
            if seq is not None and key in last and seq < last[key]:
                t.out_of_order += 1
            last[key] = max(seq, last.get(key, seq)) if seq is not None else last.get(key)
    for topic in dead:
        t.dead_letters[topic.split(".")[0]] = len(window[topic])
    return t
