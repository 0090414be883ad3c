"""Per-key order and no repeats without faults, across all four services.

All four services run as operators run them (gunicorn APIs with two workers, plus each service's
worker) and are driven through their cross-service flows: requests routed from intake to
deliberation, employment and mediation, a mediation case escalated to deliberation, progress
back to intake, a job posted and matched. Then every project topic is read from the beginning:
no event id may appear twice, and the events of each key must carry strictly increasing
`sequence` values in the order they sit on the topic (one key lives on one partition).
"""

import json
from collections import defaultdict

import requests

from tests.helpers import service_database, wait_until
from tests.stories import hiring, http, intake_requests
from tests.stories import mediation as cases

PROJECT_TOPICS = (
    "intake.requests",
    "deliberation.topics",
    "employment.seekers",
    "employment.jobs",
    "employment.referrals",
    "mediation.cases",
)
DEAD_LETTER_TOPICS = tuple(f"{s}.deadletter" for s in ("intake", "deliberation", "employment", "mediation"))


def order_problems(records) -> tuple[list[str], int]:
    """Repeated ids, and events not after the previous event of their key; plus the events seen."""
    problems, seen_ids, last = [], set(), {}
    for r in sorted(records, key=lambda r: (r.topic, r.partition, r.offset)):
        event = json.loads(r.value)
        key = (r.topic, r.key.decode())
        if event["id"] in seen_ids:
            problems.append(f"{r.topic}@{r.offset}: event {event['id']} ({event['type']}) delivered again")
        seen_ids.add(event["id"])
        if key in last and event["sequence"] <= last[key]:
            problems.append(
                f"{r.topic}@{r.offset}: {event['type']} {event['sequence']} after {last[key]} of {key[1]}"
            )
        last[key] = max(event["sequence"], last.get(key, ""))
    return problems, len(seen_ids)


def test_all_four_services_publish_each_event_once_in_per_key_order(service_factory, mint, topic_reader):
    tokens = cases.Tokens(mint)
    services = {name: service_factory(name) for name in ("intake", "deliberation", "employment", "mediation")}
    for svc in services.values():
        svc.start_api(workers=2)
        svc.start_worker()
    intake, deliberation, employment, mediation = (
        services[n] for n in ("intake", "deliberation", "employment", "mediation")
    )
    prefix = intake.env["TOPIC_PREFIX"]
    staff = tokens.staff
    i, m = http(intake), http(mediation)

    # Employment: a job is posted, then a resident's request for work becomes a draft profile.
    hiring.post_job(http(employment), mint("emp-1", "employer"), hiring.JOB)
    job_rid = intake_requests.submit(i, mint("res-3", "resident"), hiring.REQUEST)
    # Deliberation: several residents report the road; each request joins the topic on the matter.
    road_rids = []
    for n in range(4):
        body = {
            "category": "roads_and_facilities",
            "description": f"乐福国际小区北侧道路损毁，坑洼严重 #{n}",
            "community": "huifeng",
            "compound": "lefu-international",
            "channel": "opinion_express",
            "submitter": {"name": "王小明", "phone": "13812341234"},
        }
        road_rids.append(intake_requests.submit(i, tokens.applicant, body))
    for rid in [job_rid, *road_rids]:
        intake_requests.route(i, staff, rid)
    # Mediation: a property-fee dispute is opened from intake, then escalated to deliberation.
    fee_rid = cases.route_dispute(
        i, tokens, "property_management", "物业公司今年物业费上调三成，全小区业主都有意见。"
    )
    case = cases.wait_for_case(m, tokens, fee_rid)
    cases.add_parties(m, tokens, case["id"], cases.APPLICANT, cases.PROPERTY_COMPANY)
    cases.escalate(
        m,
        tokens,
        case["id"],
        "物业费上调涉及全小区业主",
        "业主与物业公司就物业费上调发生争议，涉及全小区，需议事协商。",
    )

    # Every flow arrives: progress back to intake for the road and the escalated dispute, a draft
    # profile in employment.
    for rid in [*road_rids, fee_rid]:
        cases.wait_for_request(i, tokens, rid, "in_progress")
    wait_until(
        lambda: (
            requests.get(
                f"{employment.url}/v1/seekers/by-request/{job_rid}", headers=staff, timeout=5
            ).status_code
            == 200
        ),
        timeout=45,
        message="draft profile",
    )

    records = []
    databases = [service_database(svc.env) for svc in services.values()]
    for topic in PROJECT_TOPICS:
        records += topic_reader(prefix + topic).read_published(*databases)
    problems, events = order_problems(records)
    assert problems == []
    assert events == len(records) >= 25  # every flow above published; none of it twice
    by_topic = defaultdict(int)
    for r in records:
        by_topic[r.topic.removeprefix(prefix)] += 1
    assert all(
        by_topic[t]
        for t in (
            "intake.requests",
            "deliberation.topics",
            "employment.seekers",
            "employment.jobs",
            "mediation.cases",
        )
    ), dict(by_topic)
    for topic in DEAD_LETTER_TOPICS:
        assert topic_reader(prefix + topic).read_to_end() == [], f"{topic} is not empty"


def test_the_order_check_finds_repeats_and_stale_events():
    class Record:
        def __init__(self, offset, key, event_id, sequence):
            self.topic, self.partition, self.offset, self.key = "t", 0, offset, key.encode()
            self.value = json.dumps({"id": event_id, "type": "x", "sequence": sequence}).encode()

    good = [
        Record(0, "a", "1", "000000000001.001"),
        Record(1, "b", "2", "000000000001.001"),
        Record(2, "a", "3", "000000000002.001"),
    ]
    assert order_problems(good) == ([], 3)
    repeated = [*good, Record(3, "a", "1", "000000000001.001")]
    problems, _ = order_problems(repeated)
    assert len(problems) == 2 and "delivered again" in problems[0] and "after" in problems[1]
