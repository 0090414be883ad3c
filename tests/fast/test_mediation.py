"""Mediation's use cases, handler and jobs on the in-memory store: a case's whole life, a case opened
from a request intake routed, a refused move, the time limits and reminders the worker keeps, and
the metrics the outbox counts from each commit."""

from datetime import timedelta

import pytest

from civic146.auth import Actor
from civic146.errors import InvalidTransition
from civic146.events import INTAKE_TOPIC
from mediation import actions, domain, scheduled, store
from mediation import events as ev
from mediation import metrics as m
from mediation.handlers import INTAKE_ROUTED, SUBSCRIPTIONS
from mediation.schemas import OpenCaseIn
from mediation.service import SERVICE
from tests.fast.conftest import recorded

CASE = {
    "community": "huifeng",
    "compound": "huifeng-1",
    "case_type": "neighbours",
    "origin": "committee_initiative",
    "facts": "楼上漏水到楼下，双方争执。",
    "parties": [
        {"role": "applicant", "name": "王小明", "phone": "13812341234", "user_id": "res-1"},
        {"role": "respondent", "name": "李秀兰", "phone": "13698765432", "user_id": "res-2"},
    ],
}
STAFF = Actor("staff-1", "community_staff")
MEDIATOR = Actor("med-qian", "mediator")


@pytest.fixture
def ctx(memory_service):
    return memory_service(SERVICE)


def counter(metric, *labels) -> float:
    return metric.labels(*labels)._value.get()


def opened(ctx) -> dict:
    return actions.open_case(ctx, OpenCaseIn.model_validate(CASE).model_dump(), STAFF)


def mediating(ctx) -> dict:
    doc = opened(ctx)
    for party in ("p1", "p2"):
        doc = actions.answer_consent(ctx, doc, STAFF, party, "given", [])
    return actions.assign_mediator(ctx, doc, STAFF, "med-hf-02", False)


def with_agreement(ctx, clock, due_in_days=(3,)) -> dict:
    doc = mediating(ctx)
    doc = actions.hold_session(ctx, doc, MEDIATOR, clock(), "调解室", ["p1", "p2"], "机密笔记")
    terms = [
        {"description": f"第{i + 1}项", "obligor": "p1", "due_at": clock() + timedelta(days=days)}
        for i, days in enumerate(due_in_days)
    ]
    return actions.record_agreement(ctx, doc, MEDIATOR, terms, ["p1", "p2"], clock())


def test_a_case_goes_from_registration_to_fulfilment_and_each_step_is_recorded_and_counted(ctx, clock):
    opened_before = counter(m.CASES_OPENED, "huifeng", "neighbours")
    agreements_before = counter(m.OUTCOMES, "huifeng", "neighbours", "agreement")
    fulfilled_before = counter(m.FULFILMENT, "huifeng", "fulfilled")

    doc = opened(ctx)
    assert doc["status"] == "registered"
    doc = actions.answer_consent(ctx, doc, STAFF, "p1", "given", [])
    assert doc["status"] == "registered"  # the other party has not answered yet
    doc = actions.answer_consent(ctx, doc, STAFF, "p2", "given", [])
    assert doc["status"] == "accepted" and doc["due_at"] == clock() + timedelta(days=30)
    doc = actions.assign_mediator(ctx, doc, STAFF, "med-hf-02", True)
    assert doc["status"] == "mediating" and doc["mediator_user_ids"] == ["med-qian"]
    clock.advance(days=2)
    doc = actions.hold_session(ctx, doc, MEDIATOR, clock(), "调解室", ["p1", "p2", "med-hf-02"], "机密笔记")
    terms = [{"description": "修复防水层", "obligor": "p1", "due_at": clock() + timedelta(days=10)}]
    doc = actions.record_agreement(ctx, doc, MEDIATOR, terms, ["p1", "p2"], clock())
    assert doc["status"] == "agreement_reached" and doc["outcome"] == "agreement"
    clock.advance(days=5)
    doc = actions.record_fulfilment(ctx, doc, MEDIATOR, 1, "fulfilled")

    assert doc["status"] == "fulfilled" and doc["closed_at"] == clock()
    assert doc == {**store.get(doc["_id"]), "version": doc["version"]}
    assert recorded(store.collection(), doc["_id"]) == [
        ev.OPENED.name,
        ev.CONSENT_RECORDED.name,
        ev.CONSENT_RECORDED.name,
        ev.ACCEPTED.name,
        ev.MEDIATOR_ASSIGNED.name,
        ev.SESSION_HELD.name,
        ev.AGREEMENT_REACHED.name,
        ev.FULFILMENT_RECORDED.name,
        ev.CLOSED.name,
    ]
    assert counter(m.CASES_OPENED, "huifeng", "neighbours") == opened_before + 1
    assert counter(m.OUTCOMES, "huifeng", "neighbours", "agreement") == agreements_before + 1
    assert counter(m.FULFILMENT, "huifeng", "fulfilled") == fulfilled_before + 1


def routed(request_id: str, target: str = "mediation"):
    data = {
        "request_id": request_id,
        "community": "huifeng",
        "compound": "huifeng-1",
        "category": "neighbour_dispute",
        "channel": "hotline",
        "status": "routed",
        "actor_role": "community_staff",
        "target": target,
        "department": None,
        "description": "邻居噪音扰民，电话138****1234",
        "location": None,
        "submitter": {"name": "王**", "phone": "138****1234"},
        "note": None,
        "submitter_ref": None,
        "name_digests": ["digest-1"],
    }
    return {"id": f"evt-{request_id}-{target}"}, INTAKE_ROUTED.data.model_validate(data)


def test_a_routed_request_opens_one_case_however_often_it_arrives(ctx):
    (subscription,) = [s for s in SUBSCRIPTIONS if s.topic == INTAKE_TOPIC]
    assert subscription.event_type is INTAKE_ROUTED
    before = counter(m.CASES_OPENED, "huifeng", "neighbours")
    for target in ("mediation", "mediation", "department"):
        subscription.handle(ctx, *routed("req-7", target))

    [case] = store.collection().find({})
    assert case["_id"] == domain.case_id_for_request("req-7")
    assert (case["origin"], case["case_type"], case["status"], case["request_ids"]) == (
        "intake_request",
        "neighbours",
        "registered",
        ["req-7"],
    )
    assert case["name_digests"] == ["digest-1"] and case["history"][0]["actor_id"] == "intake"
    assert recorded(store.collection(), case["_id"]) == [ev.OPENED.name]
    assert counter(m.CASES_OPENED, "huifeng", "neighbours") == before + 1


def test_a_refused_move_changes_nothing_and_says_why(ctx):
    doc = opened(ctx)
    with pytest.raises(InvalidTransition) as refused:
        actions.assign_mediator(ctx, doc, STAFF, "med-hf-02", False)
    assert refused.value.message == "cannot assign mediator: the case is registered"
    assert refused.value.details == {"status": "registered", "allowed_from": ["accepted", "mediating"]}
    assert store.get(doc["_id"])["version"] == 1

    refusals_before = counter(m.OUTCOMES, "huifeng", "neighbours", "refused")
    doc = actions.answer_consent(ctx, doc, STAFF, "p2", "refused", ["court"])
    assert counter(m.OUTCOMES, "huifeng", "neighbours", "refused") == refusals_before + 1
    with pytest.raises(InvalidTransition) as refused:
        actions.fail(ctx, doc, STAFF, "no_agreement", ["court"])
    assert refused.value.message == "cannot fail: the case is refused (the case is closed)"
    assert refused.value.details == {"status": "refused", "allowed_from": ["accepted", "mediating"]}
    assert store.get(doc["_id"])["version"] == doc["version"]
    assert recorded(store.collection(), doc["_id"]) == [
        ev.OPENED.name,
        ev.CONSENT_RECORDED.name,
        ev.CLOSED.name,
    ]


def test_a_passed_time_limit_is_flagged_once_and_counted(ctx, clock):
    doc = mediating(ctx)
    before = counter(m.OVERDUE, "huifeng")
    now = clock()
    assert scheduled.flag_overdue(ctx, now + timedelta(days=29)) == 0
    assert scheduled.flag_overdue(ctx, now + timedelta(days=31)) == 1
    assert scheduled.flag_overdue(ctx, now + timedelta(days=32)) == 0
    assert store.get(doc["_id"])["overdue"] is True
    assert recorded(store.collection(), doc["_id"]).count(ev.OVERDUE.name) == 1
    assert counter(m.OVERDUE, "huifeng") == before + 1

    doc = actions.extend(ctx, store.get(doc["_id"]), MEDIATOR, 10, "等待维修记录")  # clears the flag
    assert scheduled.flag_overdue(ctx, now + timedelta(days=35)) == 0
    assert scheduled.flag_overdue(ctx, now + timedelta(days=41)) == 1
    assert counter(m.OVERDUE, "huifeng") == before + 2


def test_overdue_terms_are_flagged_once_each_and_counted_without_an_event(ctx, clock):
    doc = with_agreement(ctx, clock, due_in_days=(3, 3, 10))
    events_before = recorded(store.collection(), doc["_id"])
    actions.record_fulfilment(ctx, doc, MEDIATOR, 2, "fulfilled")
    before = counter(m.TERMS_OVERDUE, "huifeng")
    now = clock()
    assert scheduled.flag_overdue_terms(ctx, now + timedelta(days=2)) == 0
    assert scheduled.flag_overdue_terms(ctx, now + timedelta(days=4)) == 1
    assert scheduled.flag_overdue_terms(ctx, now + timedelta(days=5)) == 0
    assert scheduled.flag_overdue_terms(ctx, now + timedelta(days=11)) == 1
    terms = store.get(doc["_id"])["agreement"]["terms"]
    assert [t["number"] for t in terms if t.get("overdue")] == [1, 3]
    assert counter(m.TERMS_OVERDUE, "huifeng") == before + 2
    assert recorded(store.collection(), doc["_id"]) == [*events_before, ev.FULFILMENT_RECORDED.name]


def test_the_confirmation_reminder_is_sent_once(ctx, clock):
    doc = with_agreement(ctx, clock)
    now = clock()
    assert scheduled.send_confirmation_reminders(ctx, now + timedelta(days=22)) == 0
    assert scheduled.send_confirmation_reminders(ctx, now + timedelta(days=24)) == 1
    assert scheduled.send_confirmation_reminders(ctx, now + timedelta(days=25)) == 0
    assert recorded(store.collection(), doc["_id"]).count(ev.CONFIRMATION_WINDOW_CLOSING.name) == 1


def test_outcomes_are_counted_from_the_commit_whoever_makes_it(ctx):
    failed_before = counter(m.OUTCOMES, "huifeng", "neighbours", "failed")
    escalated_before = counter(m.OUTCOMES, "huifeng", "neighbours", "escalated")
    breached_before = counter(m.FULFILMENT, "huifeng", "breached")
    actions.fail(ctx, mediating(ctx), MEDIATOR, "no_agreement", ["court", "arbitration"])
    actions.escalate(ctx, opened(ctx), STAFF, "物业费争议", "全小区物业费调整引发的纠纷")
    assert counter(m.OUTCOMES, "huifeng", "neighbours", "failed") == failed_before + 1
    assert counter(m.OUTCOMES, "huifeng", "neighbours", "escalated") == escalated_before + 1
    assert counter(m.FULFILMENT, "huifeng", "breached") == breached_before


def test_the_open_cases_gauge_is_set_from_the_store(ctx, clock):
    mediating(ctx)
    opened(ctx)
    actions.answer_consent(ctx, opened(ctx), STAFF, "p1", "refused", ["court"])
    scheduled.refresh_open_cases(clock())
    assert m.OPEN_CASES.labels("huifeng")._value.get() == 2


def test_a_job_leaves_a_case_changed_meanwhile_to_its_next_run(ctx, clock, monkeypatch):
    doc = mediating(ctx)
    late = clock() + timedelta(days=31)
    stale = list(store.overdue(late))
    actions.extend(ctx, doc, MEDIATOR, 1, "另一位调解员同时延期")  # another writer, after the job read it
    monkeypatch.setattr(store, "overdue", lambda now: stale)
    assert scheduled.flag_overdue(ctx, late) == 0
    monkeypatch.undo()
    assert scheduled.flag_overdue(ctx, late) == 1
