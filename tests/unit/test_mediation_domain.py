from datetime import UTC, datetime, timedelta

import jsonschema
import pytest

from civic146 import pii
from civic146.auth import Actor
from civic146.errors import InvalidInput, InvalidTransition
from civic146.outbox import Change, stamped
from civic146.outbox import applied as apply
from mediation import domain, reference
from mediation import events as ev
from mediation.domain.mediators import ConflictOfInterest

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
STAFF = Actor("staff-1", "community_staff")
MEDIATOR = Actor("med-qian", "mediator")
POLICY = domain.Policy(name_key=pii.name_key("test-secret"))
ROSTER = reference.load()
SCHEMAS = {t.name: t.schema() for t in ev.PUBLISHED}
APPLICANT = {
    "role": "applicant",
    "name": "王小明",
    "phone": "13812341234",
    "id_number": "11010519491231002X",
    "user_id": "res-1",
}
RESPONDENT = {"role": "respondent", "name": "李秀兰", "phone": "13698765432", "user_id": "res-2"}
NOTES = "机密笔记：李秀兰承认漏水，愿意赔偿，电话13698765432"


def events_of(change: Change) -> list[dict]:
    for item in stamped(change.outbox, 2):  # as published (the outbox adds `sequence`)
        jsonschema.validate(item["event"], SCHEMAS[item["event"]["type"]])
        assert item["topic"] == "mediation.cases" and item["key"] == item["event"]["subject"]
    return [item["event"] for item in change.outbox]


def new_case(parties=(APPLICANT, RESPONDENT), request_ids=("req-1",), case_type="neighbours"):
    fields = {
        "community": "huifeng",
        "compound": "huifeng-1",
        "case_type": case_type,
        "origin": "intake_request",
        "facts": "楼上王小明家漏水到楼下李秀兰家，双方争执。",
        "request_ids": list(request_ids),
        "parties": list(parties),
    }
    doc, change = domain.open_case(fields, actor=STAFF, now=T0, policy=POLICY)
    [opened] = events_of(change)
    assert opened["type"] == ev.OPENED.name and opened["data"]["parties_count"] == len(parties)
    return {**doc, "version": 1}


def mediating_case():
    doc = new_case()
    doc = apply(doc, domain.consent(doc, "p1", actor=STAFF, now=T0, policy=POLICY))
    doc = apply(doc, domain.consent(doc, "p2", actor=STAFF, now=T0, policy=POLICY))
    return apply(
        doc,
        domain.assign_mediator(
            doc, mediator=ROSTER["med-hf-02"], chosen_by_parties=False, actor=STAFF, now=T0
        ),
    )


def with_agreement(doc, at=T0 + timedelta(days=3)):
    doc = apply(
        doc,
        domain.hold_session(
            doc,
            held_at=at - timedelta(hours=2),
            location="调解室",
            attendees=["p1", "p2", "med-hf-02"],
            notes=NOTES,
            actor=MEDIATOR,
            now=at,
        ),
    )
    terms = [
        {"description": "王小明修复防水层", "obligor": "p1", "due_at": at + timedelta(days=10)},
        {"description": "王小明赔偿800元", "obligor": "p1", "due_at": at + timedelta(days=5)},
    ]
    return apply(
        doc,
        domain.record_agreement(
            doc, terms=terms, signed_by=["p1", "p2"], effective_at=at, actor=MEDIATOR, now=at, policy=POLICY
        ),
    )


def test_consent_of_every_party_accepts_the_case_and_reports_in_progress():
    doc = new_case()
    change = domain.consent(doc, "p1", actor=STAFF, now=T0, policy=POLICY)
    assert "status" not in change.set and [e["data"]["decision"] for e in events_of(change)] == ["given"]
    doc = apply(doc, change)
    change = domain.consent(doc, "p2", actor=STAFF, now=T0 + timedelta(hours=1), policy=POLICY)
    types = [e["type"] for e in events_of(change)]
    assert types == [ev.CONSENT_RECORDED.name, ev.ACCEPTED.name, ev.PROGRESS.name]
    progress = events_of(change)[-1]["data"]
    assert progress["request_id"] == "req-1" and progress["state"] == "in_progress"
    assert progress["handled_by"] == "mediation" and progress["reference"] == doc["_id"]
    doc = apply(doc, change)
    assert doc["status"] == "accepted" and doc["due_at"] == T0 + timedelta(hours=1, days=30)


def test_consent_needs_both_sides_and_is_given_once():
    doc = new_case(parties=(APPLICANT,))
    with pytest.raises(InvalidTransition):
        domain.consent(doc, "p1", actor=STAFF, now=T0, policy=POLICY)
    doc = new_case()
    doc = apply(doc, domain.consent(doc, "p1", actor=STAFF, now=T0, policy=POLICY))
    with pytest.raises(InvalidTransition):
        domain.consent(doc, "p1", actor=STAFF, now=T0, policy=POLICY)
    with pytest.raises(InvalidInput):
        domain.consent(doc, "p9", actor=STAFF, now=T0, policy=POLICY)


def test_refusal_ends_the_case_with_the_routes_advised_and_blocks_everything_after():
    doc = new_case()
    change = domain.refuse(doc, "p2", routes=["court", "arbitration"], actor=STAFF, now=T0)
    events = events_of(change)
    assert [e["type"] for e in events] == [ev.CONSENT_RECORDED.name, ev.CLOSED.name, ev.PROGRESS.name]
    assert events[1]["data"]["outcome"] == "refused" and events[1]["data"]["advised_routes"] == [
        "court",
        "arbitration",
    ]
    assert events[2]["data"]["state"] == "resolved" and "court" in events[2]["data"]["summary"]
    doc = apply(doc, change)
    assert doc["status"] == "refused" and doc["closed_at"] == T0
    with pytest.raises(InvalidTransition, match="closed"):
        domain.assign_mediator(
            doc, mediator=ROSTER["med-hf-02"], chosen_by_parties=False, actor=STAFF, now=T0
        )
    with pytest.raises(InvalidTransition):
        domain.consent(doc, "p1", actor=STAFF, now=T0, policy=POLICY)


@pytest.mark.parametrize(
    "mediator_id, parties, conflict",
    [
        ("med-hf-02", [{**RESPONDENT, "user_id": "med-qian"}], "is_party"),  # the mediator is a party
        ("med-hf-02", [{**RESPONDENT, "phone": "13900000102", "user_id": None}], "is_party"),
        ("med-hf-01", [{**RESPONDENT, "phone": "13700001111"}], "related"),  # declared in the roster
        (
            "med-hf-02",
            [{**RESPONDENT, "related_mediators": ["med-hf-02"]}],
            "related",
        ),  # declared by the party
    ],
)
def test_a_conflicted_mediator_is_refused(mediator_id, parties, conflict):
    doc = new_case(parties=(APPLICANT, *parties))
    doc = apply(doc, domain.consent(doc, "p1", actor=STAFF, now=T0, policy=POLICY))
    doc = apply(doc, domain.consent(doc, "p2", actor=STAFF, now=T0, policy=POLICY))
    with pytest.raises(ConflictOfInterest) as err:
        domain.assign_mediator(
            doc, mediator=ROSTER[mediator_id], chosen_by_parties=False, actor=STAFF, now=T0
        )
    assert err.value.details == [
        {"field": "mediator_id", "message": f"{conflict.replace('_', ' ')}: party p2"}
    ]


def test_mediator_must_serve_the_community_and_a_free_one_is_assigned():
    doc = new_case()
    doc = apply(doc, domain.consent(doc, "p1", actor=STAFF, now=T0, policy=POLICY))
    doc = apply(doc, domain.consent(doc, "p2", actor=STAFF, now=T0, policy=POLICY))
    with pytest.raises(InvalidInput):
        domain.assign_mediator(
            doc, mediator=ROSTER["med-jn-01"], chosen_by_parties=False, actor=STAFF, now=T0
        )  # jiangnan-xiaozhen only
    change = domain.assign_mediator(
        doc, mediator=ROSTER["law-01"], chosen_by_parties=True, actor=STAFF, now=T0
    )  # serves every community
    [assigned] = events_of(change)
    assert assigned["data"]["mediator_kind"] == "lawyer" and assigned["data"]["chosen_by_parties"]
    assert apply(doc, change)["mediator_user_ids"] == ["law-wang"]


def test_sessions_keep_notes_out_of_events_and_check_attendees():
    doc = mediating_case()
    with pytest.raises(InvalidInput):
        domain.hold_session(
            doc, held_at=T0, location=None, attendees=["p1", "somebody"], notes=NOTES, actor=MEDIATOR, now=T0
        )
    with pytest.raises(InvalidInput):
        domain.hold_session(
            doc,
            held_at=T0 + timedelta(days=1),
            location=None,
            attendees=["p1"],
            notes=NOTES,
            actor=MEDIATOR,
            now=T0,
        )
    change = domain.hold_session(
        doc,
        held_at=T0,
        location="调解室",
        attendees=["p1", "p2", "med-hf-02"],
        notes=NOTES,
        actor=MEDIATOR,
        now=T0,
    )
    [held] = events_of(change)
    assert held["data"]["session_number"] == 1 and held["data"]["attendees_count"] == 3
    assert "机密" not in str(held) and "13698765432" not in str(held)
    assert apply(doc, change)["sessions"][0]["notes"] == NOTES


def test_participants_join_only_with_every_partys_consent():
    doc = mediating_case()
    with pytest.raises(InvalidInput):
        domain.invite_participant(
            doc, name="物业张经理", capacity="property company", consent_of=["p1"], actor=STAFF, now=T0
        )
    doc = apply(
        doc,
        domain.invite_participant(
            doc, name="物业张经理", capacity="property company", consent_of=["p1", "p2"], actor=STAFF, now=T0
        ),
    )
    assert [p["name"] for p in doc["participants"]] == ["物业张经理"]
    domain.hold_session(
        doc, held_at=T0, location=None, attendees=["p1", "物业张经理"], notes="notes", actor=MEDIATOR, now=T0
    )  # an invited participant attends


def test_agreement_needs_a_session_every_signature_and_known_obligors():
    doc = mediating_case()
    term = {"description": "赔偿", "obligor": "p1", "due_at": T0 + timedelta(days=5)}
    with pytest.raises(InvalidTransition):
        domain.record_agreement(
            doc, terms=[term], signed_by=["p1", "p2"], effective_at=T0, actor=MEDIATOR, now=T0, policy=POLICY
        )
    doc = apply(
        doc,
        domain.hold_session(
            doc, held_at=T0, location=None, attendees=["p1", "p2"], notes=NOTES, actor=MEDIATOR, now=T0
        ),
    )
    with pytest.raises(InvalidInput) as err:
        domain.record_agreement(
            doc,
            terms=[{**term, "obligor": "p7"}],
            signed_by=["p1"],
            effective_at=T0,
            actor=MEDIATOR,
            now=T0,
            policy=POLICY,
        )
    assert {d["field"] for d in err.value.details} == {"signed_by", "terms.0.obligor"}


def test_fulfilment_of_every_term_closes_the_case_and_resolves_the_request():
    doc = with_agreement(mediating_case())
    assert doc["status"] == "agreement_reached" and doc["outcome"] == "agreement"
    assert doc["agreement"]["confirmation_window_closes_at"] == T0 + timedelta(days=33)
    doc = apply(
        doc, domain.record_fulfilment(doc, 2, result="fulfilled", actor=MEDIATOR, now=T0 + timedelta(days=4))
    )
    assert doc["status"] == "agreement_reached"
    change = domain.record_fulfilment(doc, 1, result="fulfilled", actor=MEDIATOR, now=T0 + timedelta(days=9))
    events = events_of(change)
    assert [e["type"] for e in events] == [ev.FULFILMENT_RECORDED.name, ev.CLOSED.name, ev.PROGRESS.name]
    assert events[1]["data"]["result"] == "fulfilled" and events[2]["data"]["state"] == "resolved"
    doc = apply(doc, change)
    assert doc["status"] == "fulfilled"
    with pytest.raises(InvalidTransition, match="closed"):
        domain.record_fulfilment(doc, 1, result="breached", actor=MEDIATOR, now=T0 + timedelta(days=10))


def test_a_breached_term_closes_the_case_advising_the_court():
    doc = with_agreement(mediating_case())
    change = domain.record_fulfilment(doc, 1, result="breached", actor=MEDIATOR, now=T0 + timedelta(days=20))
    closed = events_of(change)[1]["data"]
    assert closed["result"] == "breached" and closed["advised_routes"] == ["court"]
    assert apply(doc, change)["status"] == "breached"


def test_failure_uses_the_taxonomy_and_resolves_the_request():
    doc = mediating_case()
    events = events_of(domain.fail(doc, reason="no_agreement", routes=["court"], actor=MEDIATOR, now=T0))
    assert events[0]["data"]["failure_reason"] == "no_agreement"
    assert events[1]["data"]["state"] == "resolved" and "no agreement" in events[1]["data"]["summary"]


def test_escalation_event_is_masked_and_matches_the_shared_contract():
    doc = new_case(case_type="property_management", request_ids=("req-1", "req-2"))
    change = domain.escalate(
        doc,
        cause="物业费上涨涉及全小区",
        summary="王小明与李秀兰等多户对物业费上涨有异议，电话13812341234",
        actor=STAFF,
        now=T0,
        policy=POLICY,
    )
    events = events_of(change)
    assert [e["type"] for e in events] == [ev.ESCALATED.name, ev.CLOSED.name]
    data = events[0]["data"]
    assert data["request_ids"] == ["req-1", "req-2"] and data["parties_count"] == 2
    assert (
        "王小明" not in data["summary"]
        and "李秀兰" not in data["summary"]
        and "13812341234" not in data["summary"]
    )
    assert "王**" in data["summary"] and "138****1234" in data["summary"]
    assert apply(doc, change)["status"] == "escalated"


def test_escalation_masks_every_name_the_case_knows_and_passes_their_digests_on():
    doc = {**mediating_case(), "name_digests": pii.name_digests(POLICY.name_key, ["赵大海"])}
    doc = apply(
        doc,
        domain.invite_participant(
            doc, name="孙律师", capacity="lawyer", consent_of=["p1", "p2"], actor=STAFF, now=T0
        ),
    )
    summary = "赵大海反映后，王小明、李秀兰和孙律师认为物业费问题涉及全楼院；身份证110105 19491231 002X"
    data = events_of(
        domain.escalate(doc, cause="涉及全楼院", summary=summary, actor=STAFF, now=T0, policy=POLICY)
    )[0]["data"]
    assert data["summary"] == "赵**反映后，王**、李**和孙**认为物业费问题涉及全楼院；身份证1101**********002X"
    assert data["name_digests"] == sorted(
        set(pii.name_digests(POLICY.name_key, ["赵大海", "王小明", "李秀兰", "孙律师"]))
    )


def test_overdue_once_and_extension_moves_the_deadline():
    doc = mediating_case()
    assert domain.overdue_change(doc, T0 + timedelta(days=29)) is None
    change = domain.overdue_change(doc, T0 + timedelta(days=30))
    assert [e["type"] for e in events_of(change)] == [ev.OVERDUE.name]
    doc = apply(doc, change)
    assert domain.overdue_change(doc, T0 + timedelta(days=31)) is None
    doc = apply(
        doc, domain.extend(doc, days=15, reason="当事人外出务工", actor=MEDIATOR, now=T0 + timedelta(days=31))
    )
    assert doc["due_at"] == T0 + timedelta(days=45) and doc["overdue"] is False
    assert doc["extensions"][0]["reason"] == "当事人外出务工"


def test_confirmation_reminder_fires_once_before_the_window_closes():
    doc = with_agreement(mediating_case())  # effective T0+3d: window closes T0+33d, reminder from T0+26d
    assert domain.confirmation_reminder(doc, T0 + timedelta(days=25)) is None
    change = domain.confirmation_reminder(doc, T0 + timedelta(days=26))
    [reminder] = events_of(change)
    assert reminder["type"] == ev.CONFIRMATION_WINDOW_CLOSING.name
    doc = apply(doc, change)
    assert domain.confirmation_reminder(doc, T0 + timedelta(days=27)) is None


def test_court_confirmation_only_within_the_window_and_no_reminder_after_it():
    doc = with_agreement(mediating_case())
    with pytest.raises(InvalidTransition, match="window"):
        domain.apply_court_confirmation(
            doc,
            applied_at=T0 + timedelta(days=34),
            court="区人民法院",
            actor=STAFF,
            now=T0 + timedelta(days=35),
        )
    doc = apply(
        doc,
        domain.apply_court_confirmation(
            doc,
            applied_at=T0 + timedelta(days=10),
            court="区人民法院",
            actor=STAFF,
            now=T0 + timedelta(days=10),
        ),
    )
    assert domain.confirmation_reminder(doc, T0 + timedelta(days=30)) is None


def test_statistics_rates_and_days():
    ok = with_agreement(mediating_case())
    ok = apply(
        ok, domain.record_fulfilment(ok, 1, result="fulfilled", actor=MEDIATOR, now=T0 + timedelta(days=5))
    )
    ok = apply(
        ok, domain.record_fulfilment(ok, 2, result="fulfilled", actor=MEDIATOR, now=T0 + timedelta(days=6))
    )
    ok = apply(
        ok,
        domain.apply_court_confirmation(
            ok, applied_at=T0 + timedelta(days=6), court="区人民法院", actor=STAFF, now=T0 + timedelta(days=6)
        ),
    )
    broken = with_agreement(mediating_case())
    broken = apply(
        broken,
        domain.record_fulfilment(broken, 1, result="breached", actor=MEDIATOR, now=T0 + timedelta(days=10)),
    )
    failed = apply(
        mediating_case(),
        domain.fail(
            mediating_case(),
            reason="no_agreement",
            routes=["court"],
            actor=MEDIATOR,
            now=T0 + timedelta(days=20),
        ),
    )
    refused = apply(
        new_case(), domain.refuse(new_case(), "p2", routes=["court"], actor=STAFF, now=T0 + timedelta(days=1))
    )
    open_case = new_case(case_type="property_management")
    averages = {
        "average_days_to_close": (6 + 10 + 20 + 1) / 4,
        "average_days_to_outcome": (3 + 3 + 20 + 1) / 4,
    }
    stats = domain.compute_statistics(
        [ok, broken, failed, refused, open_case], T0 + timedelta(days=40), averages
    )
    assert stats["total"] == 5
    assert stats["by_type"]["neighbours"] == {"total": 4, "agreement": 2, "failed": 1, "refused": 1}
    assert stats["by_type"]["property_management"] == {"total": 1, "open": 1}
    assert stats["success_rate"] == round(2 / 3, 4)  # refusals are not mediated outcomes
    assert stats["fulfilment_rate"] == 0.5
    assert stats["confirmation_take_up"] == 0.5  # one applied, one window closed unused
    assert stats["average_days_to_close"] == round((6 + 10 + 20 + 1) / 4, 2)
    assert stats["average_days_to_outcome"] == round((3 + 3 + 20 + 1) / 4, 2)
    nothing = domain.compute_statistics([open_case], T0, None)  # the database had nothing to average
    assert nothing["average_days_to_close"] is None and nothing["average_days_to_outcome"] is None
