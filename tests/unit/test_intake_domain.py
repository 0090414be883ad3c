from datetime import UTC, datetime, timedelta

import jsonschema
import pytest

from civic146.errors import Forbidden, InvalidTransition
from civic146.outbox import applied as apply
from civic146.outbox import stamped
from intake import domain, reference
from intake import events as ev

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
RESIDENT = domain.Actor("res-1", "resident")
STAFF = domain.Actor("staff-1", "community_staff")
CATS = reference.load()
POLICY = domain.Policy()


def new_doc(
    description="乐福国际小区北侧道路因暴雨损毁，请尽快修复。联系人张三，电话13812341234",
    category="roads_and_facilities",
):
    fields = {
        "category": category,
        "description": description,
        "community": "huifeng",
        "compound": "lefu-international",
        "location": "北侧道路",
        "channel": "e_net_mini_program",
        "attachments": [],
        "submitter": {"name": "张三", "phone": "13812341234", "id_number": "11010519491231002X"},
    }
    doc, change = domain.submit(fields, CATS[category], RESIDENT, T0)
    return {**doc, "version": 1}, change


def test_submission_records_an_event_without_personal_data():
    doc, change = new_doc()
    [item] = change.outbox
    event = item["event"]
    assert item["topic"] == "intake.requests" and item["key"] == doc["_id"] == event["subject"]
    assert "sequence" not in event  # the outbox stamps it when it commits
    [published] = stamped(change.outbox, 1)
    assert published["event"]["sequence"] == "000000000001.001"
    jsonschema.validate(published["event"], ev.SUBMITTED.schema())
    text = str(event)
    assert "13812341234" not in text and "11010519491231002X" not in text and "张三" not in text
    assert event["data"]["submitter"] == {"name": "张*", "phone": "138****1234"}
    assert event["data"]["description"].endswith("联系人张*，电话138****1234")
    assert doc["response_due_at"] == T0 + timedelta(hours=24)
    assert doc["resolution_due_at"] == T0 + timedelta(days=60)


def test_full_lifecycle_records_one_event_per_transition():
    doc, _ = new_doc()
    steps = [
        lambda d: domain.accept(d, STAFF, T0 + timedelta(hours=1)),
        lambda d: domain.route(
            d, category=CATS["roads_and_facilities"], actor=STAFF, now=T0 + timedelta(hours=2)
        ),
        lambda d: domain.start(
            d, actor=STAFF, now=T0 + timedelta(hours=3), handled_by="deliberation", reference="topic-1"
        ),
        lambda d: domain.resolve(
            d, actor=STAFF, now=T0 + timedelta(days=20), outcome="路面已硬化230米", policy=POLICY
        ),
        lambda d: domain.rate(d, actor=RESIDENT, now=T0 + timedelta(days=21), satisfaction=5, comment="满意"),
        lambda d: domain.close(d, STAFF, T0 + timedelta(days=22)),
    ]
    types = []
    for step in steps:
        change = step(doc)
        for item in stamped(change.outbox, 2):
            jsonschema.validate(
                item["event"], next(t for t in ev.PUBLISHED if t.name == item["event"]["type"]).schema()
            )
            types.append(".".join(item["event"]["type"].split(".")[-2:]))
        doc = apply(doc, change)
    assert types == ["accepted.v2", "routed.v4", "in-progress.v2", "resolved.v2", "rated.v2", "closed.v2"]
    assert doc["status"] == "closed" and doc["route_target"] == "deliberation"
    assert [h["to"] for h in doc["history"]] == [
        "submitted",
        "accepted",
        "routed",
        "in_progress",
        "resolved",
        "closed",
    ]


@pytest.mark.parametrize("action", ["close", "resolve", "start", "reopen"])
def test_illegal_transitions_from_submitted_are_refused(action):
    doc, _ = new_doc()
    with pytest.raises(InvalidTransition):
        domain.transition(doc, action, actor=STAFF, now=T0)


def test_routing_defaults_to_the_category_target_and_department():
    doc, _ = new_doc(description="办理不动产证一直没有进展", category="property_certificate")
    doc = apply(doc, domain.accept(doc, STAFF, T0))
    change = domain.route(doc, category=CATS["property_certificate"], actor=STAFF, now=T0)
    assert change.set["route_target"] == "department" and "不动产" in change.set["department"]


def test_routing_records_one_event_with_the_residents_pseudonym():
    from civic146.auth import pseudonym

    doc, _ = new_doc()
    doc = apply(doc, domain.accept(doc, STAFF, T0))
    ref = domain.submitter_ref(doc, "s3cret")
    assert ref == pseudonym("s3cret", "res-1")
    change = domain.route(doc, category=CATS["roads_and_facilities"], actor=STAFF, now=T0, submitter_ref=ref)
    [routed] = (item["event"] for item in change.outbox)
    assert routed["type"] == ev.ROUTED.name == "civic146.intake.request.routed.v4"
    assert routed["data"]["submitter_ref"] == ref and routed["subject"] == doc["_id"]
    assert "res-1" not in str(routed)  # the account id never leaves intake
    for item in stamped(change.outbox, 3):
        jsonschema.validate(
            item["event"], next(t for t in ev.PUBLISHED if t.name == item["event"]["type"]).schema()
        )


def test_a_request_staff_entered_has_no_submitter_ref():
    fields = {
        "category": "roads_and_facilities",
        "description": "路灯坏了",
        "community": "huifeng",
        "compound": "lefu-international",
        "channel": "walk_in",
        "submitter": {"name": "张三", "phone": None},
    }
    doc, _ = domain.submit(fields, CATS["roads_and_facilities"], STAFF, T0)
    assert domain.submitter_ref(doc, "s3cret") is None


def _resolved(at=T0):
    doc, _ = new_doc()
    for step in (
        lambda d: domain.accept(d, STAFF, at),
        lambda d: domain.route(d, category=CATS["roads_and_facilities"], actor=STAFF, now=at),
        lambda d: domain.resolve(d, actor=STAFF, now=at, outcome="已修复", policy=POLICY),
    ):
        doc = apply(doc, step(doc))
    return doc


def test_rating_once_per_resolution_and_only_by_the_submitter():
    doc = _resolved()
    with pytest.raises(Forbidden):
        domain.rate(doc, actor=domain.Actor("someone-else", "resident"), now=T0, satisfaction=4, comment=None)
    doc = apply(doc, domain.rate(doc, actor=RESIDENT, now=T0, satisfaction=4, comment=None))
    with pytest.raises(InvalidTransition, match="already rated"):
        domain.rate(doc, actor=RESIDENT, now=T0, satisfaction=5, comment=None)


def test_reasons_leave_intake_without_numbers_or_the_submitters_name():
    doc, _ = new_doc()
    leaky = "张三说：请打13912345678，身份证11010519491231002X"
    events = [
        domain.reject(doc, STAFF, T0, leaky).outbox[0]["event"],
        domain.reopen(
            _resolved(), actor=RESIDENT, now=T0 + timedelta(days=1), reason=leaky, policy=POLICY
        ).outbox[0]["event"],
    ]
    for event in events:
        assert event["data"]["reason"] == "张*说：请打139****5678，身份证1101**********002X"


def test_reopen_only_within_the_window():
    doc = _resolved()
    with pytest.raises(InvalidTransition, match="window"):
        domain.reopen(
            doc,
            actor=RESIDENT,
            now=T0 + POLICY.reopen_window + timedelta(minutes=1),
            reason="没修好",
            policy=POLICY,
        )
    reopened = apply(
        doc, domain.reopen(doc, actor=RESIDENT, now=T0 + timedelta(days=1), reason="没修好", policy=POLICY)
    )
    assert reopened["status"] == "reopened" and reopened["rating"] is None


def test_overdue_flags_each_deadline_once():
    doc, _ = new_doc()
    assert domain.overdue_changes(doc, T0 + timedelta(hours=23)) is None
    change = domain.overdue_changes(doc, T0 + timedelta(hours=25))
    assert [i["event"]["data"]["deadline"] for i in change.outbox] == ["response"]
    doc = apply(doc, change)
    assert domain.overdue_changes(doc, T0 + timedelta(hours=26)) is None
    change = domain.overdue_changes(doc, T0 + timedelta(days=61))
    assert [i["event"]["data"]["deadline"] for i in change.outbox] == ["resolution"]


def test_follow_up_when_no_rating_arrives():
    doc = _resolved()
    assert domain.follow_up_change(doc, T0 + timedelta(days=2)) is None
    change = domain.follow_up_change(doc, T0 + timedelta(days=3, seconds=1))
    assert change.outbox[0]["event"]["type"] == ev.FOLLOW_UP_DUE.name
    assert domain.follow_up_change(apply(doc, change), T0 + timedelta(days=4)) is None
    rated = apply(doc, domain.rate(doc, actor=RESIDENT, now=T0, satisfaction=5, comment=None))
    assert domain.follow_up_change(rated, T0 + timedelta(days=4)) is None


def test_duplicates_rank_by_text_similarity():
    doc, _ = new_doc(description="乐福国际小区北侧道路被暴雨冲坏了")
    candidates = [
        {"_id": "a", "description": "小区门口的路灯不亮"},
        {"_id": "b", "description": "北侧道路暴雨后损毁严重，坑洼很多"},
        {"_id": "c", "description": "乐福国际小区北侧道路被暴雨冲坏，无法通行"},
    ]
    ranked = domain.rank_duplicates(doc, candidates)
    assert [c["_id"] for c, _ in ranked] == ["c", "b", "a"]
    assert ranked[0][1] > 0.6 > ranked[2][1]


def test_statistics_follow_the_12345_definitions():
    def d(status, channel="hotline", responded=None, routed=None, resolved=None, rating=None, overdue=False):
        return {
            "status": status,
            "channel": channel,
            "category": "roads_and_facilities",
            "submitted_at": T0,
            "response_due_at": T0 + timedelta(hours=24),
            "responded_at": responded,
            "routed_at": routed,
            "resolved_at": resolved,
            "rating": {"satisfaction": rating} if rating else None,
            "response_overdue": overdue,
        }

    h = lambda n: T0 + timedelta(hours=n)  # noqa: E731
    docs = [
        d("closed", responded=h(1), routed=h(2), resolved=h(10), rating=5),
        d("resolved", responded=h(2), routed=h(4), resolved=h(30), rating=2),
        d("routed", channel="walk_in", responded=h(30), routed=h(31), overdue=True),
        d("rejected", responded=h(3)),
        d("submitted", overdue=True),
    ]
    s = domain.compute_statistics(docs)
    assert (
        s["total"] == 5 and s["by_status"]["closed"] == 1 and s["by_channel"] == {"hotline": 4, "walk_in": 1}
    )
    assert s["response_rate"] == 0.6  # 3 of 5 within 24 h
    assert s["resolution_rate"] == 0.5  # 2 of 4 valid (rejected excluded)
    assert s["satisfaction_rate"] == 0.5  # one 5, one 2
    assert s["median_hours_to_route"] == 4.0  # 2, 4, 31
    assert s["median_hours_to_resolve"] == 20.0
    assert s["overdue"] == 2


def test_category_suggestion_from_chinese_text():
    assert reference.suggest("想找一份离家近的兼职工作", CATS)[0][0] == "job_seeking"
    assert reference.suggest("楼上漏水到我家，邻居不肯处理，发生纠纷", CATS)[0][0] == "neighbour_dispute"
    assert reference.suggest("", CATS) == []
