"""Debian's real Prometheus against the whole platform started locally (the four services' gunicorn
APIs and workers on the test Kafka and mongo-java-server, as `make dev` runs them), with the project's alert
rules loaded. After a short workload over HTTP and Kafka: every scrape target is up, and every PromQL
expression of the dashboards and the alert rules returns data. No expression is excused.

The workload reuses the system tests' flows (tests/system): residents' requests through every intake
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
from tests.system import mediation_flows as flows
from tests.system.test_deliberation_stories import (
    NOTICE,
    Clock,
    call,
    party_review,
    submit_and_route,
    the_one_topic,
)
from tests.system.test_employment_placement import JOB, PERSON, PROFILE
from tests.system.test_employment_placement import REQUEST as JOB_SEEKING_REQUEST

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


def route_downstream(intake, tokens: flows.Tokens, mint, job_seeker: dict) -> dict[str, str]:
    """One request routed to each downstream service, the way their system tests route them."""
    to_deliberation = submit_and_route(
        intake,
        tokens.staff,
        mint,
        {"res-a": "乐福国际小区北侧道路因强降雨损毁，坑洼严重，老人出行不便。"},
        category="roads_and_facilities",
        community="huifeng",
        compound="lefu-international",
        channel="opinion_express",
    )["res-a"]
    to_mediation = flows.route_through_intake(
        intake, tokens, "neighbour_dispute", "楼上邻居家漏水到我家，多次协商未果，请求调解。"
    )
    to_employment = call("POST", f"{intake.url}/v1/requests", job_seeker, JOB_SEEKING_REQUEST, expect=201)[
        "id"
    ]
    call("POST", f"{intake.url}/v1/requests/{to_employment}/accept", tokens.staff)
    routed = call("POST", f"{intake.url}/v1/requests/{to_employment}/route", tokens.staff, {})
    assert routed["route_target"] == "employment"
    return {"deliberation": to_deliberation, "mediation": to_mediation, "employment": to_employment}


def open_case_left_to_run_late(mediation, tokens: flows.Tokens) -> str:
    """A case the committee opens and both parties accept, then nothing: a month later it is overdue."""
    case = flows.call(
        mediation,
        "POST",
        "/cases",
        tokens.staff,
        {
            "community": flows.COMMUNITY,
            "compound": flows.COMPOUND,
            "case_type": "neighbours",
            "origin": "committee_initiative",
            "facts": "两户邻居因楼道堆物发生争执，社区调委会主动介入。",
            "parties": [flows.APPLICANT, flows.RESPONDENT],
        },
        expect=201,
    )
    for party, token in (("p1", tokens.applicant), ("p2", tokens.staff)):
        case = flows.call(
            mediation, "POST", f"/cases/{case['id']}/consent", token, {"party_id": party, "decision": "given"}
        )
    assert case["status"] == "accepted" and case["due_at"]
    return case["id"]


def mediate_to_fulfilment(mediation, tokens: flows.Tokens, clock: Clock, request_id: str) -> None:
    """The routed neighbour dispute: consent, a mediator, a session, an agreement, fulfilled."""
    cid = flows.wait_for_case(mediation, tokens, request_id)["id"]
    flows.add_parties(mediation, tokens, cid, flows.APPLICANT, flows.RESPONDENT)
    flows.call(
        mediation, "POST", f"/cases/{cid}/consent", tokens.applicant, {"party_id": "p1", "decision": "given"}
    )
    flows.call(
        mediation, "POST", f"/cases/{cid}/consent", tokens.staff, {"party_id": "p2", "decision": "given"}
    )
    flows.call(mediation, "POST", f"/cases/{cid}/mediators", tokens.staff, {"mediator_id": "med-hf-02"})
    flows.call(
        mediation,
        "POST",
        f"/cases/{cid}/sessions",
        tokens.mediator,
        {
            "held_at": clock.now().isoformat(),
            "location": "汇丰社区人民调解室",
            "attendees": ["p1", "p2", "med-hf-02"],
            "notes": flows.NOTES[0],
        },
        expect=201,
    )
    effective = clock.now()
    flows.call(
        mediation,
        "POST",
        f"/cases/{cid}/agreement",
        tokens.mediator,
        {
            "terms": [
                {
                    "description": "王小明于五日内修复卫生间防水层",
                    "obligor": "p1",
                    "due_at": (effective + timedelta(days=5)).isoformat(),
                }
            ],
            "signed_by": ["p1", "p2"],
            "effective_at": effective.isoformat(),
        },
        expect=201,
    )
    case = flows.call(
        mediation,
        "POST",
        f"/cases/{cid}/fulfilment",
        tokens.mediator,
        {"term_number": 1, "result": "fulfilled"},
    )
    assert (case["status"], case["outcome"]) == ("fulfilled", "agreement")


def place_job_seeker(employment, request_id: str, job_seeker: dict, employer: dict) -> str:
    """The routed job seeker: the draft profile completed with consent, matched, referred, hired."""
    url = f"{employment.url}/v1"

    def draft():
        resp = requests.post(
            f"{url}/seekers/by-request/{request_id}/lookup",
            headers=job_seeker,
            timeout=5,
            json={"name": PERSON["name"], "phone": PERSON["phone"]},
        )
        return resp.json() if resp.status_code == 200 else None

    profile = wait_until(draft, timeout=45, message="draft profile from the routed request")
    seeker = call(
        "POST",
        f"{url}/seekers/{profile['id']}/complete",
        job_seeker,
        {
            "community": "huifeng",
            "compound": "lefu-international",
            "person": PERSON,
            "profile": PROFILE,
            "employment_difficulty": False,
            "consent": {"given": True},
        },
    )

    def suggestion():
        return call("GET", f"{url}/referrals?seeker_id={seeker['id']}", job_seeker)["items"] or None

    [suggested] = wait_until(suggestion, timeout=45, message="a suggestion from re-matching")
    call("POST", f"{url}/referrals/{suggested['id']}/refer", job_seeker)
    for action in ("interview", "offer", "hire"):
        hired = call("POST", f"{url}/referrals/{suggested['id']}/{action}", employer)
    assert hired["stage"] == "hired"
    return suggested["id"]


def record_retention_check(employment, referral_id: str, staff: dict) -> None:
    url = f"{employment.url}/v1/referrals/{referral_id}"
    wait_until(
        lambda: call("GET", url, staff)["retention"][0]["status"] == "due",
        timeout=45,
        message="30-day retention check due",
    )
    call("POST", f"{url}/retention-checks", staff, {"checkpoint": 30, "outcome": "retained"})


def deliberate_to_close(delib, staff: dict, mint, clock: Clock, request_id: str) -> None:
    """The routed road repair: notice, a small-bench talk, a residents' vote, the works, the result,
    feedback, closed (a livelihood matter solved)."""
    topic = the_one_topic(delib, staff, "huifeng", {request_id})
    url = f"{delib.url}/v1/topics/{topic['id']}"
    party_review(url, "huifeng", "topic")
    call("POST", f"{url}/notice", staff, NOTICE)
    clock.advance(days=3, minutes=1)  # the notice's minimum period
    call("POST", f"{url}/consultation", staff)
    meeting = call(
        "POST",
        f"{url}/meetings",
        staff,
        {
            "venue_id": "huifeng-yishiting",
            "scheduled_at": clock.now().isoformat(),
            "participants": {"party_members": 4, "resident_representatives": 8},
        },
        expect=201,
    )["meetings"][-1]
    call(
        "POST",
        f"{url}/meetings/{meeting['id']}/held",
        staff,
        {
            "attendance": 12,
            "minutes": "小板凳恳谈会：议定硬化路面、修复台阶，提交居民表决",
            "outcome": "提交居民表决",
        },
    )
    voters = ["huifeng-voter-1", "huifeng-voter-2", "huifeng-voter-3"]
    call("POST", f"{delib.url}/v1/communities/huifeng/voters", staff, {"resident_ids": voters}, expect=201)
    vote_id = call(
        "POST",
        f"{url}/votes",
        staff,
        {
            "question": "是否同意修复乐福国际小区北侧道路",
            "scope": "community",
            "quorum": 0.5,
            "threshold": "simple_majority",
            "closes_at": (clock.now() + timedelta(days=1)).isoformat(),
        },
        expect=201,
    )["votes"][0]["id"]
    for voter in voters[:2]:
        call(
            "POST",
            f"{url}/votes/{vote_id}/ballots",
            mint(voter, "resident"),
            {"choice": "approve"},
            expect=201,
        )
    clock.advance(days=1, minutes=1)  # the window closes: the worker (or the next read) counts the vote
    wait_until(lambda: call("GET", url, staff)["votes"][0]["status"] == "closed", message="vote closed")
    party_review(url, "huifeng", "decision")
    call("POST", f"{url}/implementation", staff, {"decision": "修复硬化路面230米"})
    task = call(
        "POST",
        f"{url}/tasks",
        staff,
        {
            "title": "修复硬化路面",
            "owner": "汇丰社区居委会、物业公司",
            "unit": "m",
            "target": 230,
            "due_date": (clock.now() + timedelta(days=30)).date().isoformat(),
        },
        expect=201,
    )["tasks"][0]
    call("POST", f"{url}/tasks/{task['id']}/progress", staff, {"done": 230})
    call("POST", f"{url}/result", staff, {**NOTICE, "text": "完成修复硬化路面230米。"})
    call("POST", f"{url}/feedback/open", staff)
    assert call("POST", f"{url}/close", staff, {"summary": "已在居民议事亭反馈办理情况"})["step"] == "closed"


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
    tokens = flows.Tokens(mint)  # staff-hf serves huifeng; the mediation roster's mediators; residents
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
    assert requests.post(f"{employment.url}/v1/jobs", json=JOB, headers=employer, timeout=10).ok

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
            [c["id"] for c in flows.call(mediation, "GET", "/cases?overdue=true", tokens.staff)["items"]]
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
