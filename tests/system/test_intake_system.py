"""Intake as operators run it: gunicorn with two workers plus the worker process, driven over
HTTP, read from Kafka with a plain consumer."""

import json
import os
from concurrent.futures import ThreadPoolExecutor

import jsonschema
import pymongo
import requests
from kafka import KafkaProducer

from civic146.auth import pseudonym
from civic146.events import REQUEST_PROGRESS, RequestProgressData, encode, new_event, utcnow
from intake import events as ev
from tests.helpers import JWT_SECRET, KAFKA, create_topics, service_database, wait_until
from tests.system.conftest import metric, scrape

REQUEST = {
    "category": "roads_and_facilities",
    "description": "乐福国际小区北侧道路因强降雨损毁，请修复。电话13812341234",
    "community": "huifeng",
    "compound": "lefu-international",
    "channel": "opinion_express",
    "submitter": {"name": "王小明", "phone": "13812341234", "id_number": "11010519491231002X"},
}
SCHEMAS = {t.name: t.schema() for t in ev.PUBLISHED}


def submit(base: str, headers: dict, n: int) -> list[str]:
    ids = []
    for i in range(n):
        resp = requests.post(
            f"{base}/v1/requests",
            json={**REQUEST, "description": REQUEST["description"] + f" #{i}"},
            headers=headers,
            timeout=10,
        )
        assert resp.status_code == 201, resp.text
        ids.append(resp.json()["id"])
    return ids


def test_submitted_requests_reach_the_topic_as_valid_masked_cloudevents(service_factory, mint, topic_reader):
    intake = service_factory("intake")
    intake.start_api(workers=2)
    intake.start_worker()
    ids = submit(intake.url, mint("res-1", "resident"), 5)

    reader = topic_reader(intake.env["TOPIC_PREFIX"] + "intake.requests")
    records = reader.read(5)
    assert sorted(r.key.decode() for r in records) == sorted(ids)
    for r in records:
        event = json.loads(r.value)
        jsonschema.validate(event, SCHEMAS[event["type"]])
        assert event["type"] == ev.SUBMITTED.name and event["subject"] == r.key.decode()
        assert "13812341234" not in r.value.decode() and "11010519491231002X" not in r.value.decode()
        assert event["data"]["description"].endswith(tuple(f"电话138****1234 #{i}" for i in range(5)))


def test_routing_publishes_the_residents_pseudonym_only(service_factory, mint, topic_reader):
    intake = service_factory("intake")
    intake.start_api(workers=2)
    intake.start_worker()
    staff = mint("staff-1", "community_staff", communities=["huifeng"])
    [by_resident] = submit(intake.url, mint("res-1", "resident"), 1)
    [by_staff] = submit(intake.url, staff, 1)  # entered for a resident at the counter: no account behind it
    for rid in (by_resident, by_staff):
        for action in ("accept", "route"):
            assert requests.post(
                f"{intake.url}/v1/requests/{rid}/{action}", json={}, headers=staff, timeout=10
            ).ok

    records = topic_reader(intake.env["TOPIC_PREFIX"] + "intake.requests").read(6)  # 2 x 3 events
    routed = {}
    for r in records:
        event = json.loads(r.value)
        jsonschema.validate(event, SCHEMAS[event["type"]])
        if event["type"] == ev.ROUTED.name:
            routed[event["subject"]] = event["data"]
            assert "res-1" not in r.value.decode() and "staff-1" not in r.value.decode()
    assert len(routed) == 2, sorted(routed)
    for rid, ref in ((by_resident, pseudonym(JWT_SECRET, "res-1")), (by_staff, None)):
        assert routed[rid]["submitter_ref"] == ref


def test_metrics_add_up_across_gunicorn_workers(service_factory, mint):
    intake = service_factory("intake")
    intake.start_api(workers=3)

    def served_by() -> set[str]:
        # Labelled counters get their file when first incremented: one counter file per worker that
        # served requests (histograms without labels are created at import, so they don't count).
        return {
            f.split("_")[-1].split(".")[0] for f in os.listdir(intake.prom_dir) if f.startswith("counter_")
        }

    def burst(n: int = 30) -> None:  # concurrent connections, so that more than one worker accepts
        with ThreadPoolExecutor(max_workers=6) as pool:
            codes = list(
                pool.map(
                    lambda _: requests.get(f"{intake.url}/v1/categories", timeout=5).status_code, range(n)
                )
            )
        assert codes == [200] * n

    sent = 0
    while sent < 600 and (sent == 0 or len(served_by()) < 2):  # which worker accepts is the kernel's choice
        burst()
        sent += 30
    assert len(served_by()) >= 2, f"{sent} requests were served by one worker only: {served_by()}"
    samples = scrape(intake.api_metrics_url)
    assert metric(samples, "civic146_http_requests_total", route="/v1/categories", status="200") == sent


def test_the_api_never_publishes_the_worker_publishes_what_it_accepted(service_factory, mint, topic_reader):
    """Requests are accepted (201) while no worker runs: nothing reaches the topic (the API has no
    publisher). Once the worker starts, every accepted request's event is there, once."""
    intake = service_factory("intake")
    intake.start_api(workers=2)
    ids = submit(intake.url, mint("res-1", "resident"), 8)
    create_topics(intake.env["TOPIC_PREFIX"] + "intake.requests")  # the worker would create it
    reader = topic_reader(intake.env["TOPIC_PREFIX"] + "intake.requests")
    # Nothing on the topic; and below, each event once after the worker published: an API that
    # published too would show as a second copy.
    assert reader.read_to_end() == [], "the API published: there would be two publishers"
    intake.start_worker()
    records = reader.read(8, timeout=30)
    assert (
        sorted(r.key.decode() for r in reader.read_published(service_database(intake.env)))
        == sorted(r.key.decode() for r in records)
        == sorted(ids)
    )


def test_worker_killed_while_publishing_loses_nothing_and_downstream_applies_each_change_once(
    service_factory, mint, topic_reader
):
    """40 requests are submitted, accepted and routed to deliberation while intake has no worker
    (120 events waiting). Intake's worker is killed with SIGKILL as soon as the first event reaches
    the topic, i.e. while it publishes and removes the rest, and started again. Every event is on
    the topic; a repeat carries the same id and sequence as the original; deliberation attaches
    each request to a topic once and never goes back to an older state, and intake sees each
    request taken up once."""
    deliberation = service_factory("deliberation")
    deliberation.start_worker()
    intake = service_factory("intake")
    intake.start_api(workers=2)
    staff = mint("staff-1", "community_staff", communities=["huifeng"])
    ids = submit(intake.url, mint("res-1", "resident"), 40)
    for rid in ids:
        for action, body in (("accept", {}), ("route", {"target": "deliberation"})):
            resp = requests.post(
                f"{intake.url}/v1/requests/{rid}/{action}", json=body, headers=staff, timeout=10
            )
            assert resp.ok, resp.text
    create_topics(intake.env["TOPIC_PREFIX"] + "intake.requests")
    reader = topic_reader(intake.env["TOPIC_PREFIX"] + "intake.requests")

    intake.start_worker(RELAY_LEASE_SECONDS="2")  # the restarted worker takes over the dead one's lease soon
    reader.read(1, timeout=30)
    intake.kill_worker()
    before_restart = len(reader.read_to_end())
    intake.start_worker(RELAY_LEASE_SECONDS="2")
    wait_until(
        lambda: (
            len(
                {
                    json.loads(r.value)["id"]
                    for r in reader.read(len(reader.records) + 1, timeout=1)
                    if json.loads(r.value)["type"] != ev.IN_PROGRESS.name
                }
            )
            >= 120
        ),
        timeout=60,
        message="every event on the topic after the restart",
    )
    records = [
        r
        for r in reader.read_published(service_database(intake.env))
        if json.loads(r.value)["type"] != ev.IN_PROGRESS.name
    ]
    first: dict[str, tuple] = {}  # the 120 events committed before the crash (in_progress ones come after)
    for r in records:
        e = json.loads(r.value)
        assert first.setdefault(e["id"], (e["subject"], e["sequence"], e["type"])) == (
            e["subject"],
            e["sequence"],
            e["type"],
        )
    assert {s for s, _, _ in first.values()} == set(ids) and len(first) == 120  # none lost
    print(
        f"published before the kill: {before_restart} of 120; messages in all: {len(records)} "
        f"({len(records) - len(first)} repeats)"
    )

    # Downstream: deliberation attached every request exactly once, and intake moved each to
    # in_progress exactly once (its history never goes back).
    db = pymongo.MongoClient(intake.env["MONGODB_URI"], tz_aware=True)
    try:
        topics = db[deliberation.env["MONGODB_DB"]]["topics"]

        def attached():
            return sorted(
                r["request_id"] for t in topics.find({}, {"requests": 1}) for r in t.get("requests", [])
            )

        wait_until(lambda: attached() == sorted(ids), timeout=60, message="every request attached once")
        requests_coll = db[intake.env["MONGODB_DB"]]["requests"]
        wait_until(
            lambda: requests_coll.count_documents({"status": "in_progress"}) == 40,
            timeout=60,
            message="intake sees every request taken up",
        )
        for doc in requests_coll.find({}, {"history": 1}):
            assert [h["to"] for h in doc["history"]] == ["submitted", "accepted", "routed", "in_progress"], (
                doc
            )
        positions = db[deliberation.env["MONGODB_DB"]]["event_positions"]
        routed = {e[0]: e[1] for e in first.values() if e[2] == ev.ROUTED.name}
        applied = {
            p["_id"].split(" ", 1)[1]: p["sequence"]
            for p in positions.find({"_id": {"$in": [f"/civic146/intake {rid}" for rid in ids]}})
        }
        assert applied == routed  # the position of each request is its routed event, repeats or not
    finally:
        db.close()


def test_progress_from_kafka_resolves_the_request_once_and_poison_goes_to_dead_letters(
    service_factory, mint, topic_reader
):
    intake = service_factory("intake")
    intake.start_api(workers=2)
    intake.start_worker()
    staff = mint("staff-1", "community_staff", communities=["huifeng"])
    [rid] = submit(intake.url, mint("res-1", "resident"), 1)
    for action in ("accept", "route"):
        assert requests.post(f"{intake.url}/v1/requests/{rid}/{action}", json={}, headers=staff, timeout=5).ok

    prefix = intake.env["TOPIC_PREFIX"]
    event = new_event(
        REQUEST_PROGRESS,
        "/civic146/deliberation",
        "topic-9",
        "huifeng",
        RequestProgressData(
            request_id=rid,
            state="resolved",
            handled_by="deliberation",
            reference="topic-9",
            summary="修复硬化路面230米",
        ),
        utcnow(),
    )
    producer = KafkaProducer(bootstrap_servers=KAFKA)
    for value in (b"\x00garbage", encode(event), encode(event)):  # poison, then the same event twice
        producer.send(prefix + "deliberation.topics", key=b"topic-9", value=value).get(timeout=10)
    producer.close()

    def resolved():
        body = requests.get(f"{intake.url}/v1/requests/{rid}", headers=staff, timeout=5).json()
        return body if body["status"] == "resolved" else None

    body = wait_until(resolved, timeout=30, message="request resolved from the progress event")
    assert body["outcome"] == "修复硬化路面230米"
    [dead] = topic_reader(prefix + "intake.deadletter").read(1)
    assert dict(dead.headers)["dlq.error.class"] == b"MalformedEvent"

    resolved_events = [
        r
        for r in topic_reader(prefix + "intake.requests").read_published(service_database(intake.env))
        if json.loads(r.value)["type"] == ev.RESOLVED.name
    ]
    assert len(resolved_events) == 1  # the duplicate delivery changed nothing
    samples = scrape(intake.worker_metrics_url)
    assert metric(samples, "civic146_dead_letters_total") == 1
    assert metric(samples, "civic146_events_consumed_total", outcome="duplicate") == 1
