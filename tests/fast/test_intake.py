"""Intake's use cases, handler and jobs on the in-memory store: the request's whole life, the
progress a downstream service reports, the deadlines and follow-ups, and the metrics the outbox
counts from each commit."""

from datetime import timedelta

import pytest

from civic146.auth import Actor
from civic146.errors import InvalidInput, InvalidTransition
from civic146.events import REQUEST_PROGRESS, REQUEST_REASSIGNED, RequestProgressData, RequestReassignedData
from intake import actions, scheduled, store
from intake import events as ev
from intake import metrics as m
from intake.handlers import SUBSCRIPTIONS
from intake.schemas import SubmitRequestIn
from intake.service import SERVICE
from tests.fast.conftest import recorded

REQUEST = {
    "category": "sanitation",
    "description": "垃圾清运不及时，楼下有异味",
    "community": "yiyuan",
    "channel": "hotline",
    "submitter": {"name": "钱七", "phone": "13600002222"},
}
RESIDENT = Actor("r1", "resident")
STAFF = Actor("s1", "community_staff")


@pytest.fixture
def ctx(memory_service):
    return memory_service(SERVICE)


def submitted(ctx) -> dict:
    return actions.submit(ctx, SubmitRequestIn.model_validate(REQUEST).model_dump(mode="json"), RESIDENT)


def counter(metric, *labels) -> float:
    return metric.labels(*labels)._value.get()


def test_a_request_goes_from_submission_to_rating_and_each_step_is_recorded_and_counted(ctx, clock):
    submitted_before = counter(m.SUBMITTED, "yiyuan", "hotline", "sanitation")
    resolved_before = counter(m.TRANSITIONS, "yiyuan", "resolved")
    rated_before = counter(m.RATINGS, "yiyuan", "5")

    doc = submitted(ctx)
    doc = actions.accept(ctx, doc, STAFF)
    doc = actions.route(ctx, doc, STAFF, None, None, "清运")
    clock.advance(hours=2)
    doc = actions.resolve(ctx, doc, STAFF, "已清运", None)
    doc = actions.rate(ctx, doc, RESIDENT, 5, "及时")

    assert doc["status"] == "resolved" and doc["rating"]["satisfaction"] == 5
    assert recorded(store.collection(), doc["_id"]) == [
        ev.SUBMITTED.name,
        ev.ACCEPTED.name,
        ev.ROUTED.name,
        ev.RESOLVED.name,
        ev.RATED.name,
    ]
    assert counter(m.SUBMITTED, "yiyuan", "hotline", "sanitation") == submitted_before + 1
    assert counter(m.TRANSITIONS, "yiyuan", "resolved") == resolved_before + 1
    assert counter(m.RATINGS, "yiyuan", "5") == rated_before + 1


def test_refused_steps_change_nothing(ctx):
    doc = submitted(ctx)
    with pytest.raises(InvalidTransition, match="cannot close a request that is submitted"):
        actions.close(ctx, doc, STAFF)
    with pytest.raises(InvalidInput):
        actions.mark_duplicate(ctx, doc, STAFF, "0" * 32)
    assert store.get(doc["_id"])["version"] == 1
    assert recorded(store.collection(), doc["_id"]) == [ev.SUBMITTED.name]


def test_progress_from_downstream_moves_the_request_once_however_often_it_arrives(ctx):
    doc = actions.route(ctx, actions.accept(ctx, submitted(ctx), STAFF), STAFF, None, None, None)
    (subscription,) = {
        s for s in SUBSCRIPTIONS if s.topic == "deliberation.topics" and s.event_type is REQUEST_PROGRESS
    }
    data = RequestProgressData(
        request_id=doc["_id"], state="resolved", handled_by="deliberation", summary="已议定", reference="t1"
    )
    for _ in range(2):
        subscription.handle(ctx, {"id": "event-1"}, data)
    doc = store.get(doc["_id"])
    assert doc["status"] == "resolved" and doc["applied_events"] == ["event-1"]
    assert recorded(store.collection(), doc["_id"]).count(ev.RESOLVED.name) == 1


def test_a_request_moved_to_another_topic_gets_its_new_reference_and_a_history_entry(ctx, clock):
    doc = actions.route(ctx, actions.accept(ctx, submitted(ctx), STAFF), STAFF, None, None, None)
    progress = RequestProgressData(
        request_id=doc["_id"],
        state="in_progress",
        handled_by="deliberation",
        summary="已列为议题",
        reference="t1",
    )
    actions.apply_progress(ctx, "event-0", progress)
    (subscription,) = {s for s in SUBSCRIPTIONS if s.event_type is REQUEST_REASSIGNED}
    assert subscription.topic == "deliberation.topics"

    def moved(to: str, came_from: str, minutes: int) -> RequestReassignedData:
        return RequestReassignedData(
            request_id=doc["_id"],
            handled_by="deliberation",
            reference=to,
            previous_reference=came_from,
            summary=f"已从议题{came_from}转入议题{to}",
            reassigned_at=clock() + timedelta(minutes=minutes),
        )

    for _ in range(2):  # a repeat changes nothing
        subscription.handle(ctx, {"id": "event-1"}, moved("t2", "t1", 1))
    later = store.get(doc["_id"])
    assert (later["status"], later["reference"]) == ("in_progress", "t2")
    [entry] = [h for h in later["history"] if h.get("reference")]
    assert (entry["from"], entry["to"], entry["reference"]) == ("in_progress", "in_progress", "t2")
    assert entry["reason"] == "已从议题t1转入议题t2"
    # Moves of one request come from different topics, in no order: the later move wins.
    actions.apply_reassignment(ctx, "event-3", moved("t3", "t2", 3))
    actions.apply_reassignment(ctx, "event-2", moved("t9", "t1", 2))  # older than the move to t3
    final = store.get(doc["_id"])
    assert final["reference"] == "t3" and final["applied_events"][-2:] == ["event-3", "event-2"]
    assert [h["reference"] for h in final["history"] if h.get("reference")] == ["t2", "t3"]
    assert recorded(store.collection(), doc["_id"]).count(ev.REASSIGNED.name) == 2


def test_deadlines_are_flagged_once_each_and_follow_ups_sent_once(ctx, clock):
    doc = submitted(ctx)
    now = clock()
    assert scheduled.flag_overdue(ctx, now) == 0
    assert scheduled.flag_overdue(ctx, now + timedelta(hours=49)) == 1  # sanitation: 24 h to respond
    assert scheduled.flag_overdue(ctx, now + timedelta(hours=50)) == 0
    assert scheduled.flag_overdue(ctx, now + timedelta(days=8)) == 1  # 7 days to resolve
    assert recorded(store.collection(), doc["_id"]) == [ev.SUBMITTED.name, ev.OVERDUE.name, ev.OVERDUE.name]

    other = actions.route(ctx, actions.accept(ctx, submitted(ctx), STAFF), STAFF, None, None, None)
    actions.resolve(ctx, other, STAFF, "已清运", None)
    assert scheduled.send_follow_ups(ctx, now + timedelta(days=1)) == 0
    assert scheduled.send_follow_ups(ctx, now + timedelta(days=4)) == 1
    assert scheduled.send_follow_ups(ctx, now + timedelta(days=5)) == 0
    assert ev.FOLLOW_UP_DUE.name in recorded(store.collection(), other["_id"])


def test_a_job_leaves_a_document_changed_meanwhile_to_its_next_run(ctx, clock, monkeypatch):
    submitted(ctx)
    stale = list(store.overdue(clock() + timedelta(hours=49)))
    actions.accept(ctx, store.get(stale[0]["_id"]), STAFF)  # another writer, after the job read it
    monkeypatch.setattr(store, "overdue", lambda now: stale)
    assert scheduled.flag_overdue(ctx, clock() + timedelta(hours=49)) == 0
    monkeypatch.undo()
    assert scheduled.flag_overdue(ctx, clock() + timedelta(days=8)) == 1
