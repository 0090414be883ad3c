"""Intake as operators run it: gunicorn with two workers plus the worker process, driven over
HTTP, read from Kafka with a plain consumer."""
import json
import os

import jsonschema
import requests
from kafka import KafkaProducer

from civic146.auth import pseudonym
from civic146.events import REQUEST_PROGRESS, RequestProgressData, encode, new_event, utcnow
from intake import events as ev
from tests.helpers import JWT_SECRET, KAFKA, wait_until
from tests.system.conftest import metric, scrape

REQUEST = {
    "category": "roads_and_facilities", "description": "乐福国际小区北侧道路因强降雨损毁，请修复。电话13812341234",
    "community": "huifeng", "compound": "lefu-international", "channel": "opinion_express",
    "submitter": {"name": "王小明", "phone": "13812341234", "id_number": "11010519491231002X"},
}
SCHEMAS = {t.name: t.schema() for t in ev.PUBLISHED}


def submit(base: str, headers: dict, n: int) -> list[str]:
    ids = []
    for i in range(n):
        resp = requests.post(f"{base}/v1/requests", json={**REQUEST, "description": REQUEST["description"] + f" #{i}"},
                             headers=headers, timeout=10)
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


def test_routing_publishes_v1_and_v2_with_the_residents_pseudonym_only(service_factory, mint, topic_reader):
    intake = service_factory("intake")
    intake.start_api(workers=2)
    intake.start_worker()
    staff = mint("staff-1", "community_staff", communities=["huifeng"])
    [by_resident] = submit(intake.url, mint("res-1", "resident"), 1)
    [by_staff] = submit(intake.url, staff, 1)  # entered for a resident at the counter: no account behind it
    for rid in (by_resident, by_staff):
        for action in ("accept", "route"):
            assert requests.post(f"{intake.url}/v1/requests/{rid}/{action}", json={}, headers=staff, timeout=10).ok

    records = topic_reader(intake.env["TOPIC_PREFIX"] + "intake.requests").read(8)  # 2 x 4 events
    routed = {}
    for r in records:
        event = json.loads(r.value)
        jsonschema.validate(event, SCHEMAS[event["type"]])
        if event["type"] in (ev.ROUTED.name, ev.ROUTED_V2.name):
            routed[(event["subject"], event["type"])] = event["data"]
            assert "res-1" not in r.value.decode() and "staff-1" not in r.value.decode()
    assert len(routed) == 4, sorted(routed)
    for rid, ref in ((by_resident, pseudonym(JWT_SECRET, "res-1")), (by_staff, None)):
        v1, v2 = routed[(rid, ev.ROUTED.name)], routed[(rid, ev.ROUTED_V2.name)]
        assert "submitter_ref" not in v1 and v2 == {**v1, "submitter_ref": ref}


def test_metrics_add_up_across_gunicorn_workers(service_factory, mint):
    intake = service_factory("intake")
    intake.start_api(workers=3)
    for _ in range(60):
        assert requests.get(f"{intake.url}/v1/categories", timeout=5).status_code == 200
    # Labelled counters get their file when first incremented: one counter file per worker that
    # served requests (histograms without labels are created at import, so they don't count).
    pids = {f.split("_")[-1].split(".")[0] for f in os.listdir(intake.tmp / "intake-prom") if f.startswith("counter_")}
    assert len(pids) >= 2, f"requests were served by one worker only: {pids}"
    samples = scrape(f"{intake.url}/metrics")
    assert metric(samples, "civic146_http_requests_total", route="/v1/categories", status="200") == 60


def test_worker_killed_before_publishing_loses_nothing(service_factory, mint, topic_reader):
    """Requests are accepted (201) while nothing publishes them: the API's publish-on-commit is off,
    and the worker's sweep leaves events younger than an hour alone. The worker is then killed
    with SIGKILL. After a restart every accepted request's event is on the topic."""
    intake = service_factory("intake")
    intake.start_api(workers=2, OUTBOX_PUBLISH_ON_COMMIT="false")
    intake.start_worker(RELAY_SWEEP_SECONDS="3600", RELAY_SWEEP_MIN_AGE_SECONDS="3600")
    ids = submit(intake.url, mint("res-1", "resident"), 8)
    reader = topic_reader(intake.env["TOPIC_PREFIX"] + "intake.requests")
    assert reader.settle(2.0) == [], "events were published before the crash: the test proves nothing"

    intake.kill_worker()
    intake.start_worker(RELAY_SWEEP_SECONDS="0.5", RELAY_SWEEP_MIN_AGE_SECONDS="0")
    records = reader.read(8, timeout=30)
    assert sorted(r.key.decode() for r in records) == sorted(ids)


def test_worker_killed_while_publishing_loses_nothing(service_factory, mint, topic_reader):
    """The worker is killed with SIGKILL as soon as the first of 60 pending events reaches the
    topic, i.e. while it publishes and removes the rest. After a restart every request's event
    is there; some may be there twice (at least once), none is missing."""
    intake = service_factory("intake")
    intake.start_api(workers=2, OUTBOX_PUBLISH_ON_COMMIT="false")
    ids = submit(intake.url, mint("res-1", "resident"), 60)
    reader = topic_reader(intake.env["TOPIC_PREFIX"] + "intake.requests")

    intake.start_worker(RELAY_SWEEP_SECONDS="0.5", RELAY_SWEEP_MIN_AGE_SECONDS="0")
    reader.read(1, timeout=30)
    intake.kill_worker()
    published_before_restart = len(reader.settle(1.0))
    intake.start_worker(RELAY_SWEEP_SECONDS="0.5", RELAY_SWEEP_MIN_AGE_SECONDS="0")
    # Always ask for one record more: duplicates count too, so read(60) would stop polling once 60
    # records are in while some requests' events are still to come.
    wait_until(lambda: set(ids) <= {r.key.decode() for r in reader.read(len(reader.records) + 1, timeout=1)},
               timeout=60, message="every request's event on the topic after the restart")
    print(f"published before the kill: {published_before_restart} of 60; "
          f"messages after the restart: {len(reader.settle(1.0))} (duplicates allowed)")


def test_progress_from_kafka_resolves_the_request_once_and_poison_goes_to_dead_letters(
        service_factory, mint, topic_reader):
    intake = service_factory("intake")
    intake.start_api(workers=2)
    intake.start_worker()
    staff = mint("staff-1", "community_staff", communities=["huifeng"])
    [rid] = submit(intake.url, mint("res-1", "resident"), 1)
    for action in ("accept", "route"):
        assert requests.post(f"{intake.url}/v1/requests/{rid}/{action}", json={}, headers=staff, timeout=5).ok

    prefix = intake.env["TOPIC_PREFIX"]
    event = new_event(REQUEST_PROGRESS, "/civic146/deliberation", "topic-9", "huifeng",
                      RequestProgressData(request_id=rid, state="resolved", handled_by="deliberation",
                                          reference="topic-9", summary="修复硬化路面230米"), utcnow())
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

    resolved_events = [r for r in topic_reader(prefix + "intake.requests").settle(2.5)
                       if json.loads(r.value)["type"] == ev.RESOLVED.name]
    assert len(resolved_events) == 1  # the duplicate delivery changed nothing
    samples = scrape(intake.worker_metrics_url)
    assert metric(samples, "civic146_dead_letters_total") == 1
    assert metric(samples, "civic146_events_consumed_total", outcome="duplicate") == 1
