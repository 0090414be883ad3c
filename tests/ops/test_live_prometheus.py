"""Debian's real Prometheus against the whole platform started locally (the four services' gunicorn
APIs and workers on the test Kafka and mongo-java-server, as `make dev` runs them), with the project's alert
rules loaded. After a short workload over HTTP and Kafka: every scrape target is up, and every PromQL
expression of the dashboards and the alert rules returns data. No expression is excused.

The workload walks the shared stories (tests/stories): residents' requests through every intake
status; one request routed to each of deliberation, employment and mediation and carried through
there (a topic through the six steps with a residents' vote, a placement and its 30-day retention
check, a mediated agreement fulfilled); a mediation case left open past its time limit; a poison
message. Clocks: intake's worker lives ten days ahead (deadlines and follow-ups are due when it
starts); deliberation, employment and mediation share one clock that the test moves on (the notice
period, the voting window, then a month for the retention check and the mediation time limit).
"""

from __future__ import annotations

import shutil
import time
from datetime import timedelta

import pytest
import requests
import yaml
from kafka import KafkaProducer

from tests.helpers import KAFKA, wait_until
from tests.ops.promql import (
    PROMETHEUS_CONFIG,
    RULES_DIR,
    Expression,
    alert_rules,
    dashboard_expressions,
    platform_services,
    rule_expressions,
    variable_queries,
)
from tests.processes import Proc, free_port, wait_ready
from tests.stories import Clock, hiring, http, intake_requests, topics
from tests.stories import mediation as cases
from tests.stories import votes as voting
from tests.system.mediation_flows import NOTES

pytestmark = [pytest.mark.infra, pytest.mark.system]

SERVICES = ("intake", "deliberation", "employment", "mediation")
# Exported only when publishing fails (the fault tests' business, not this workload's); the one
# panel that reads it falls back to "published * 0".
ONLY_ON_FAILURE = {"civic146_publish_errors_total"}
INTAKE_WORKER_OFFSET_SECONDS = (
    10 * 86400
)  # intake's worker lives ten days ahead: deadlines and follow-ups are due


class Prometheus:
    def __init__(self, tmp_path, targets: dict[tuple[str, str], str]):
        """targets: (job, service) -> host:port, for the jobs of deploy/prometheus/prometheus.yml."""
        if shutil.which("prometheus") is None:
            pytest.fail("prometheus is missing: `make test` installs it (apt-get install prometheus)")
        compose_config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
        scrape_configs = []
        for job in compose_config["scrape_configs"]:
            names = [n for sd in job.get("dns_sd_configs", []) for n in sd["names"]]
            static = [
                {"targets": [addr], "labels": {"service": service}}
                for (job_name, service), addr in targets.items()
                if job_name == job["job_name"] and f"{service}-{job_name}" in names
            ]
            if static:
                scrape_configs.append(
                    {
                        "job_name": job["job_name"],
                        "metrics_path": job.get("metrics_path", "/metrics"),
                        "static_configs": static,
                    }
                )
        assert {
            (j["job_name"], s["labels"]["service"]) for j in scrape_configs for s in j["static_configs"]
        } == set(targets)
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(RULES_DIR / "*.yml")],
            "scrape_configs": scrape_configs,
        }
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.url = f"http://127.0.0.1:{free_port()}"
        self.proc = Proc(
            "prometheus",
            [
                "prometheus",
                f"--config.file={tmp_path / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address={self.url.removeprefix('http://')}",
            ],
            {},
            tmp_path / "prometheus.log",
        ).start()
        wait_ready(self.proc, f"{self.url}/-/ready", timeout=30)

    def api(self, path: str, **params) -> dict:
        body = requests.get(f"{self.url}/api/v1/{path}", params=params, timeout=10).json()
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list:
        return self.api("query", query=expr)["result"]

    def stop(self) -> None:
        self.proc.stop()


@pytest.fixture
def prometheus_factory(tmp_path):
    started = []

    def make(targets):
        p = Prometheus(tmp_path, targets)
        started.append(p)
        return p

    yield make
    for p in started:
        p.stop()


REQUEST = {
    "description": "小区北侧道路积水，路灯不亮，请尽快处理。",
    "compound": None,
    "submitter": {"name": "王小明", "phone": "13812341234"},
}


def intake_workload(url: str, staff: dict, staff_ruyi: dict, resident: dict) -> dict[str, str]:
    """Requests through every status the dashboards count, and one bad input (a 4xx)."""

    def post(path, body, headers, expect=200):
        resp = requests.post(f"{url}{path}", json=body, headers=headers, timeout=10)
        assert resp.status_code == expect, resp.text
        return resp.json()

    def submit(community, channel, category):
        return post(
            "/v1/requests",
            {**REQUEST, "community": community, "channel": channel, "category": category},
            resident,
            201,
        )["id"]

    ids = {
        "waiting": submit("huifeng", "opinion_express", "sanitation"),  # never accepted: response overdue
        "in_progress": submit(
            "huifeng", "e_net_mini_program", "sanitation"
        ),  # open past its resolution deadline
        "rated_high": submit("ruyijie", "hotline", "other"),
        "rated_low": submit("huifeng", "walk_in", "sanitation"),
        "unrated": submit("ruyijie", "cloud_audio_visual", "other"),  # resolved, no rating: follow-up
    }
    assert requests.post(
        f"{url}/v1/requests", json={**REQUEST, "community": "huifeng"}, headers=resident, timeout=10
    ).status_code in (400, 422)
    for key in ("in_progress", "rated_high", "rated_low", "unrated"):
        headers = staff_ruyi if key in ("rated_high", "unrated") else staff
        post(f"/v1/requests/{ids[key]}/accept", {}, headers)
        post(f"/v1/requests/{ids[key]}/route", {}, headers)
        post(f"/v1/requests/{ids[key]}/start", {"handled_by": "城市管理局"}, headers)
        if key in ("rated_high", "rated_low", "unrated"):
            post(f"/v1/requests/{ids[key]}/resolve", {"outcome": "已清理积水，修复路灯。"}, headers)
    post(f"/v1/requests/{ids['rated_high']}/rating", {"satisfaction": 5}, resident, 201)
    post(f"/v1/requests/{ids['rated_low']}/rating", {"satisfaction": 2}, resident, 201)
    for path in ("/v1/requests?community=huifeng", "/v1/statistics?community=huifeng", "/v1/categories"):
        assert requests.get(f"{url}{path}", headers=staff, timeout=10).ok
    return ids


def route_downstream(intake, tokens: cases.Tokens, mint, job_seeker: dict) -> dict[str, str]:
    """One request routed to each downstream service, the way their system tests route them."""
    i = http(intake)
    to_deliberation = topics.submit_and_route(
        i,
        tokens.staff,
        mint,
        {"res-a": "乐福国际小区北侧道路因强降雨损毁，坑洼严重，老人出行不便。"},
        category="roads_and_facilities",
        community="huifeng",
        compound="lefu-international",
        channel="opinion_express",
    )["res-a"]
    to_mediation = cases.route_dispute(
        i, tokens, "neighbour_dispute", "楼上邻居家漏水到我家，多次协商未果，请求调解。"
    )
    to_employment = intake_requests.submit(i, job_seeker, hiring.REQUEST)
    assert intake_requests.route(i, tokens.staff, to_employment)["route_target"] == "employment"
    return {"deliberation": to_deliberation, "mediation": to_mediation, "employment": to_employment}


def open_case_left_to_run_late(mediation, tokens: cases.Tokens) -> str:
    """A case the committee opens and both parties accept, then nothing: a month later it is overdue."""
    m = http(mediation)
    case = m(
        "POST",
        "/v1/cases",
        tokens.staff,
        {
            "community": cases.COMMUNITY,
            "compound": cases.COMPOUND,
            "case_type": "neighbours",
            "origin": "committee_initiative",
            "facts": "两户邻居因楼道堆物发生争执，社区调委会主动介入。",
            "parties": [cases.APPLICANT, cases.RESPONDENT],
        },
        expect=201,
    )
    for party, token in (("p1", tokens.applicant), ("p2", tokens.staff)):
        case = cases.consent(m, token, case["id"], party)
    assert case["status"] == "accepted" and case["due_at"]
    return case["id"]


def mediate_to_fulfilment(mediation, tokens: cases.Tokens, clock: Clock, request_id: str) -> None:
    """The routed neighbour dispute: consent, a mediator, a session, an agreement, fulfilled."""
    m = http(mediation)
    cid = cases.wait_for_case(m, tokens, request_id)["id"]
    cases.add_parties(m, tokens, cid, cases.APPLICANT, cases.RESPONDENT)
    cases.consent(m, tokens.applicant, cid, "p1")
    cases.consent(m, tokens.staff, cid, "p2")
    cases.assign(m, tokens, cid, "med-hf-02")
    cases.hold_session(m, tokens.mediator, cid, clock.now().isoformat(), ["p1", "p2", "med-hf-02"], NOTES[0])
    effective = clock.now()
    terms = [
        {
            "description": "王小明于五日内修复卫生间防水层",
            "obligor": "p1",
            "due_at": (effective + timedelta(days=5)).isoformat(),
        }
    ]
    cases.agree(m, tokens.mediator, cid, terms, effective.isoformat())
    case = cases.fulfil(m, tokens.mediator, cid, 1)
    assert (case["status"], case["outcome"]) == ("fulfilled", "agreement")


def place_job_seeker(employment, request_id: str, job_seeker: dict, employer: dict) -> str:
    """The routed job seeker: the draft profile completed with consent, matched, referred, hired."""
    e = http(employment)
    profile = hiring.found_draft(e, job_seeker, request_id, hiring.PERSON)
    body = {
        "community": "huifeng",
        "compound": "lefu-international",
        "person": hiring.PERSON,
        "profile": hiring.PROFILE,
        "employment_difficulty": False,
        "consent": {"given": True},
    }
    seeker = hiring.complete(e, job_seeker, profile["id"], body)
    suggested = hiring.suggestion(e, job_seeker, seeker["id"])
    hiring.refer(e, job_seeker, suggested["id"])
    hiring.hire(e, employer, suggested["id"])
    return suggested["id"]


def record_retention_check(employment, referral_id: str, staff: dict) -> None:
    e = http(employment)
    hiring.retention_due(e, staff, referral_id)
    hiring.record_retention(e, staff, referral_id)


def deliberate_to_close(delib, staff: dict, mint, clock: Clock, request_id: str) -> None:
    """The routed road repair: notice, a small-bench talk, a residents' vote, the works, the result,
    feedback, closed (a livelihood matter solved)."""
    d = http(delib)
    tid = topics.the_one_topic(d, staff, "huifeng", {request_id})["id"]
    topics.review(d, topics.party("huifeng"), tid, "topic")
    topics.publish_notice(d, staff, tid, topics.ROAD_NOTICE)
    clock.advance(days=3, minutes=1)  # the notice's minimum period
    topics.start_consultation(d, staff, tid)
    meeting = topics.schedule_meeting(
        d,
        staff,
        tid,
        "huifeng-yishiting",
        clock.now().isoformat(),
        {"party_members": 4, "resident_representatives": 8},
    )
    topics.hold_meeting(
        d,
        staff,
        tid,
        meeting["id"],
        {
            "attendance": 12,
            "minutes": "小板凳恳谈会：议定硬化路面、修复台阶，提交居民表决",
            "outcome": "提交居民表决",
        },
    )
    voters = ["huifeng-voter-1", "huifeng-voter-2", "huifeng-voter-3"]
    voting.register(d, staff, "huifeng", voters)
    vote = voting.open_vote(
        d,
        staff,
        tid,
        {
            "question": "是否同意修复乐福国际小区北侧道路",
            "scope": "community",
            "quorum": 0.5,
            "threshold": "simple_majority",
            "closes_at": (clock.now() + timedelta(days=1)).isoformat(),
        },
    )
    for voter in voters[:2]:
        voting.ballot(d, mint(voter, "resident"), tid, vote["id"], "approve")
    clock.advance(days=1, minutes=1)  # the window closes: the worker (or the next read) counts the vote
    voting.wait_closed(d, staff, tid, 0)
    topics.review(d, topics.party("huifeng"), tid, "decision")
    topics.implement(d, staff, tid, "修复硬化路面230米")
    due = (clock.now() + timedelta(days=30)).date().isoformat()
    [task] = topics.add_tasks(d, staff, tid, topics.ROAD_WORKS[:1], topics.ROAD_OWNER, due)
    topics.report(d, staff, tid, task["id"], 230)
    topics.publish_result(d, staff, tid, {**topics.ROAD_NOTICE, "text": "完成修复硬化路面230米。"})
    topics.open_feedback(d, staff, tid)
    assert topics.close(d, staff, tid, "已在居民议事亭反馈办理情况")["step"] == "closed"


def poison(topic: str) -> None:
    """A message no consumer can read: dead-lettered."""
    producer = KafkaProducer(bootstrap_servers=KAFKA)
    producer.send(topic, key=b"ops-poison", value=b"\x00not an event").get(timeout=10)
    producer.close()


def must_export(expressions: list[Expression]) -> set[str]:
    """Every metric the queries use, except the one exported only on failures."""
    return {m for e in expressions for m in e.metrics} - ONLY_ON_FAILURE


# What each service must show, so that data from one service cannot hide another's silence.
EVERY_SERVICE = {
    "served HTTP requests": (
        'sum by (service) (civic146_http_requests_total{route!~"/metrics|/healthz|/readyz"})'
    ),
    "published events": "sum by (service) (civic146_events_published_total)",
    "applied consumed events": 'sum by (service) (civic146_events_consumed_total{outcome="applied"})',
    "ran scheduled jobs": 'sum by (service) (civic146_scheduled_job_runs_total{outcome="ok"})',
}


def test_every_target_is_up_and_every_dashboard_and_alert_query_returns_data(
    service_factory, prometheus_factory, mint, tmp_path, capsys
):
    assert sorted(SERVICES) == platform_services(), "a new service: start it here and give it a workload"
    started = time.monotonic()
    clock = Clock(tmp_path / "downstream-clock-offset")  # deliberation, employment, mediation: API and worker
    downstream = {"CLOCK_OFFSET_FILE": str(clock.path), "SCHEDULER_INTERVAL_SECONDS": "0.5"}
    services = {name: service_factory(name, **({} if name == "intake" else downstream)) for name in SERVICES}
    for svc in services.values():
        svc.start_api(workers=2)
    prometheus = prometheus_factory(
        {
            **{("api", n): f"127.0.0.1:{s.api_metrics_port}" for n, s in services.items()},
            **{("worker", n): f"127.0.0.1:{s.metrics_port}" for n, s in services.items()},
        }
    )
    intake, delib, employment, mediation = (services[n] for n in SERVICES)
    tokens = cases.Tokens(mint)  # staff-hf serves huifeng; the mediation roster's mediators; residents
    job_seeker, employer = mint("res-7", "resident"), mint("emp-1", "employer")

    # --- before the workers start: what their first scheduled runs must find
    intake_workload(
        intake.url,
        tokens.staff,
        mint("staff-ry", "community_staff", communities=["ruyijie"]),
        tokens.applicant,
    )
    routed = route_downstream(intake, tokens, mint, job_seeker)
    late_case = open_case_left_to_run_late(mediation, tokens)
    hiring.post_job(http(employment), employer, hiring.JOB)

    # intake's first run flags overdue requests, sends follow-ups and computes the indicator gauges
    # (refreshed once a minute after that); mediation's counts the open case.
    intake_offset = tmp_path / "intake-clock-offset"
    intake_offset.write_text(str(INTAKE_WORKER_OFFSET_SECONDS))
    intake.start_worker(CLOCK_OFFSET_FILE=str(intake_offset))
    for svc in (delib, employment, mediation):
        svc.start_worker()
    poison(intake.env["TOPIC_PREFIX"] + "deliberation.topics")

    # --- the routed requests carried through, then a month on
    mediate_to_fulfilment(mediation, tokens, clock, routed["mediation"])
    referral = place_job_seeker(employment, routed["employment"], job_seeker, employer)
    deliberate_to_close(delib, tokens.staff, mint, clock, routed["deliberation"])
    clock.advance(days=31)
    record_retention_check(employment, referral, tokens.staff)
    wait_until(
        lambda: (
            [c["id"] for c in http(mediation)("GET", "/v1/cases?overdue=true", tokens.staff)["items"]]
            == [late_case]
        ),
        timeout=45,
        message="the case left alone flagged overdue",
    )
    workload_seconds = time.monotonic() - started

    # --- the rules Prometheus loaded are the project's
    loaded = [r for g in prometheus.api("rules")["groups"] for r in g["rules"] if r["type"] == "alerting"]
    assert sorted(r["name"] for r in loaded) == sorted(r["alert"] for r in alert_rules())

    # --- every target up
    def targets_up():
        active = prometheus.api("targets")["activeTargets"]
        return len(active) == 2 * len(SERVICES) and all(t["health"] == "up" for t in active) and active

    active = wait_until(targets_up, timeout=60, message="every scrape target up")
    assert {(t["labels"]["job"], t["labels"]["service"]) for t in active} == {
        (job, n) for n in SERVICES for job in ("api", "worker")
    }

    # --- every expression with data, and every service in the workload
    expressions = dashboard_expressions() + rule_expressions()
    variables = variable_queries()

    def exported_names() -> set[str]:
        return {
            r["metric"]["__name__"] for r in prometheus.query('count by (__name__) ({job=~"api|worker"})')
        }

    failures: list[str] = []
    deadline = time.time() + 90
    while True:
        empty = [e for e in expressions if not prometheus.query(e.expr)]
        failures = [f"{e.where}: {e.expr}" for e in empty]
        failures += [
            f"metric never exported: {m}" for m in sorted(must_export(expressions) - exported_names())
        ]
        for where, definition in variables:
            metric, label = (
                x.strip() for x in definition.removeprefix("label_values(").removesuffix(")").rsplit(",", 1)
            )
            if not prometheus.query(f"count by ({label}) ({metric})"):
                failures.append(f"{where}: {definition}")
        for what, expr in EVERY_SERVICE.items():
            if silent := set(SERVICES) - {r["metric"].get("service") for r in prometheus.query(expr)}:
                failures.append(f"no {what}: {', '.join(sorted(silent))}")
        if not failures or time.time() > deadline:
            break
        time.sleep(2)

    with capsys.disabled():
        print(
            f"\n[live prometheus] {len(expressions) - len(empty)} of {len(expressions)} expressions returned "
            "data "
            f"(services: {', '.join(SERVICES)}; started and driven in {workload_seconds:.0f} s, "
            f"checked by {time.monotonic() - started:.0f} s)"
        )
    assert not failures, "without data:\n" + "\n".join(failures)
