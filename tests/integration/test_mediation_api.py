"""The mediation API, consumer handler and scheduled jobs against the real mongo-java-server and Kafka."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from civic146.auth import Actor
from civic146.clock import now
from mediation import domain, store
from mediation import events as ev
from mediation.service import SERVICE

APPLICANT = {"role": "applicant", "name": "王小明", "phone": "13812341234", "user_id": "res-1"}
RESPONDENT = {"role": "respondent", "name": "李秀兰", "phone": "13698765432", "user_id": "res-2"}
GOOD = {
    "community": "huifeng",
    "compound": "huifeng-1",
    "case_type": "neighbours",
    "origin": "committee_initiative",
    "facts": "楼上漏水到楼下，双方争执。",
    "parties": [APPLICANT, RESPONDENT],
}


@pytest.fixture
def settings(service_settings):
    return service_settings(SERVICE)


@pytest.fixture
def app(settings, service_app):
    return service_app(SERVICE, settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def staff(mint):
    return mint("staff-1", "community_staff", communities=["huifeng"])


BAD_INPUTS = [
    ({**GOOD, "case_type": "alien_abduction"}, "case_type"),
    ({**GOOD, "origin": "intake_request"}, "origin"),
    ({**GOOD, "community": "atlantis"}, "community"),
    ({**GOOD, "compound": "yiyuan-1"}, "compound"),
    ({**GOOD, "facts": "短"}, "facts"),
    ({**GOOD, "parties": [{**APPLICANT, "phone": "12345"}]}, "parties.0.phone"),
    ({**GOOD, "parties": [{**APPLICANT, "id_number": "110105194912310021"}]}, "parties.0.id_number"),
    ({**GOOD, "parties": [{**APPLICANT, "related_mediators": ["nobody"]}]}, "parties.0.related_mediators.0"),
    ({**GOOD, "secret": 1}, "secret"),
]


@pytest.mark.parametrize("payload, field", BAD_INPUTS)
def test_bad_input_names_the_field_and_writes_nothing(client, staff, mongo_db, payload, field):
    resp = client.post("/v1/cases", json=payload, headers=staff)
    assert resp.status_code == 422, resp.json
    assert field in [d["field"] for d in resp.json["error"]["details"]], resp.json
    assert mongo_db.cases.count_documents({}) == 0


def test_staff_of_another_community_and_residents_for_others_are_refused(client, mint, mongo_db):
    other = mint("staff-2", "community_staff", communities=["yiyuan"])
    assert client.post("/v1/cases", json=GOOD, headers=other).status_code == 403
    resident = mint("res-9", "resident")
    resp = client.post("/v1/cases", json={**GOOD, "origin": "party_application"}, headers=resident)
    assert resp.status_code == 422 and resp.json["error"]["details"][0]["field"] == "parties"
    assert mongo_db.cases.count_documents({}) == 0


def test_a_resident_applies_and_reads_the_case_its_staff_read_it_masked_others_not(
    client, mint, staff, settings, topic_reader
):
    resident = mint("res-1", "resident")
    resp = client.post("/v1/cases", json={**GOOD, "origin": "party_application"}, headers=resident)
    assert resp.status_code == 201, resp.json
    case = resp.json
    assert case["details"]["facts"] == GOOD["facts"] and case["parties"][0]["phone"] == "13812341234"
    assert case["parties"][1]["phone"] == "136****5432"  # the other party's contact data stays masked
    summary = client.get("/v1/cases?community=huifeng", headers=staff).json["items"][0]
    assert summary["parties"][1]["phone"] == "136****5432"
    # The staff who manage the case read its details, with the parties masked; other staff do not.
    managed = client.get(f"/v1/cases/{case['id']}", headers=staff)
    assert managed.status_code == 200 and managed.json["details"]["facts"] == GOOD["facts"]
    assert [x["masked"] for x in managed.json["parties"]] == [True, True]
    elsewhere = mint("staff-2", "community_staff", communities=["yiyuan"])
    assert client.get(f"/v1/cases/{case['id']}", headers=elsewhere).status_code == 403
    [record] = topic_reader(settings.topic("mediation.cases")).read(1)
    assert record.key.decode() == case["id"] and json.loads(record.value)["type"] == ev.OPENED.name


def test_who_opens_a_case_staff_roster_mediators_and_residents_applying_for_themselves(
    client, mint, mongo_db
):
    application = {**GOOD, "origin": "party_application"}
    off_roster = {"med-nobody": "mediator", "dep-nobody": "deputy", "cppcc-nobody": "cppcc_member"}
    for sub, role in off_roster.items():  # not on the roster: not residents applying either
        as_applicant = {**application, "parties": [{**APPLICANT, "user_id": sub}, RESPONDENT]}
        resp = client.post("/v1/cases", json=as_applicant, headers=mint(sub, role))
        assert resp.status_code == 403, (role, resp.json)
    roster_elsewhere = client.post(
        "/v1/cases", json=GOOD, headers=mint("med-li", "mediator")
    )  # serves jiangnan
    assert roster_elsewhere.status_code == 403
    assert mongo_db.cases.count_documents({}) == 0

    assert client.post("/v1/cases", json=GOOD, headers=mint("med-qian", "mediator")).status_code == 201
    assert (
        client.post("/v1/cases", json=GOOD, headers=mint("admin-1", "subdistrict_admin")).status_code == 201
    )
    # Holding the resident role too, the same person applies for their own dispute.
    own = {**application, "parties": [{**APPLICANT, "user_id": "med-nobody"}, RESPONDENT]}
    assert (
        client.post("/v1/cases", json=own, headers=mint("med-nobody", "mediator", "resident")).status_code
        == 201
    )


def test_a_party_sees_their_own_contact_data_in_full_and_the_others_masked(client, mint, staff):
    applicant = {**APPLICANT, "id_number": "11010519491231002X"}
    cid = client.post("/v1/cases", json={**GOOD, "parties": [applicant, RESPONDENT]}, headers=staff).json[
        "id"
    ]
    for party in ("p1", "p2"):
        client.post(f"/v1/cases/{cid}/consent", json={"party_id": party, "decision": "given"}, headers=staff)
    assert (
        client.post(
            f"/v1/cases/{cid}/mediators", json={"mediator_id": "med-hf-02"}, headers=staff
        ).status_code
        == 200
    )

    def parties(headers):
        resp = client.get(f"/v1/cases/{cid}", headers=headers)
        assert resp.status_code == 200, resp.json
        return [(x["name"], x["phone"], x["id_number"], x["masked"]) for x in resp.json["parties"]]

    full = [("王小明", "13812341234", "11010519491231002X", False), ("李秀兰", "13698765432", None, False)]
    assert parties(mint("res-1", "resident")) == [full[0], ("李**", "136****5432", None, True)]
    assert parties(mint("res-2", "resident")) == [
        ("王**", "138****1234", "1101**********002X", True),
        full[1],
    ]
    assert parties(mint("med-qian", "mediator")) == full  # the assigned mediator
    assert parties(mint("med-sun", "mediator")) == full  # a supervisor


def test_the_roster_shows_each_mediators_account_and_a_token_with_it_acts_on_their_case(client, mint, staff):
    cid = client.post("/v1/cases", json={**GOOD, "parties": [APPLICANT, RESPONDENT]}, headers=staff).json[
        "id"
    ]
    for party in ("p1", "p2"):
        client.post(f"/v1/cases/{cid}/consent", json={"party_id": party, "decision": "given"}, headers=staff)
    roster = client.get("/v1/mediators", headers=staff).json["items"]
    entry = next(m for m in roster if m["id"] == "med-hf-02")
    assert entry["account"] == "med-qian"
    # The deputy who mediates is deliberation's deputy-01, with the same account: one person.
    assert next(m for m in roster if m["kind"] == "deputy")["id"] == "deputy-01"
    assigned = client.post(f"/v1/cases/{cid}/mediators", json={"mediator_id": entry["id"]}, headers=staff)
    assert assigned.status_code == 200, assigned.json
    as_mediator = mint(entry["account"], "mediator")
    read = client.get(f"/v1/cases/{cid}", headers=as_mediator)
    assert read.status_code == 200 and read.json["parties"][0]["masked"] is False
    by_roster_id = client.get(f"/v1/cases/{cid}", headers=mint(entry["id"], "mediator"))
    assert by_roster_id.status_code == 403  # the roster id is no account


def test_session_notes_are_for_the_mediators_and_supervisors_only(client, mint, staff):
    cid = client.post("/v1/cases", json={**GOOD, "parties": [APPLICANT, RESPONDENT]}, headers=staff).json[
        "id"
    ]
    for party in ("p1", "p2"):
        client.post(f"/v1/cases/{cid}/consent", json={"party_id": party, "decision": "given"}, headers=staff)
    client.post(f"/v1/cases/{cid}/mediators", json={"mediator_id": "med-hf-02"}, headers=staff)
    held = client.post(
        f"/v1/cases/{cid}/sessions",
        json={
            "held_at": datetime.now(UTC).isoformat(),
            "attendees": ["p1", "p2"],
            "notes": "双方情绪激动，私下称愿意让步",
        },
        headers=mint("med-qian", "mediator"),
    )
    assert held.status_code == 201, held.json

    def notes(headers):
        return [
            s["notes"] for s in client.get(f"/v1/cases/{cid}", headers=headers).json["details"]["sessions"]
        ]

    assert (
        notes(mint("med-qian", "mediator"))
        == notes(mint("med-sun", "mediator"))
        == ["双方情绪激动，私下称愿意让步"]
    )
    assert notes(mint("res-1", "resident")) == notes(mint("res-2", "resident")) == notes(staff) == [None]


def routed(request_id: str, target: str = "mediation") -> tuple[dict, object]:
    from mediation.handlers import INTAKE_ROUTED

    event = {
        "id": f"evt-{request_id}-{target}",
        "type": INTAKE_ROUTED.name,
        "data": {
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
            "name_digests": [],
        },
    }
    return event, INTAKE_ROUTED.data.model_validate(event["data"])


def test_a_routed_request_opens_one_case_however_often_it_is_delivered(settings, mongo_db):
    from civic146 import mongo
    from mediation.handlers import open_from_request

    mongo.connect(settings)
    context = SERVICE.build_context(settings)
    for target in ("mediation", "mediation", "department"):
        event, data = routed("req-7", target)
        open_from_request(context, event, data)
    [case] = mongo_db.cases.find({})
    assert case["_id"] == domain.case_id_for_request("req-7") and case["request_ids"] == ["req-7"]
    assert (case["origin"], case["case_type"], case["status"]) == (
        "intake_request",
        "neighbours",
        "registered",
    )


def test_worker_jobs_flag_overdue_and_remind_once(settings, mongo_db):
    from civic146 import mongo
    from mediation import reference
    from mediation.scheduled import flag_overdue, send_confirmation_reminders

    mongo.connect(settings)
    context = SERVICE.build_context(settings)
    outbox, t0, actor = context.outbox, now(), Actor("staff-1", "community_staff")
    doc, change = domain.open_case(GOOD, actor=actor, now=t0, policy=settings.policy)
    doc = store.insert(outbox, doc, change)
    for party in ("p1", "p2"):
        doc = store.apply(
            outbox, doc, domain.consent(doc, party, actor=actor, now=t0, policy=settings.policy)
        )
    doc = store.apply(
        outbox,
        doc,
        domain.assign_mediator(
            doc, mediator=reference.load()["med-hf-02"], chosen_by_parties=False, actor=actor, now=t0
        ),
    )
    assert flag_overdue(context, t0 + timedelta(days=29)) == 0
    assert flag_overdue(context, t0 + timedelta(days=31)) == 1
    assert flag_overdue(context, t0 + timedelta(days=32)) == 0
    doc = store.get(doc["_id"])
    assert doc["overdue"] is True
    doc = store.apply(
        outbox,
        doc,
        domain.hold_session(
            doc, held_at=t0, location=None, attendees=["p1", "p2"], notes="notes", actor=actor, now=t0
        ),
    )
    terms = [{"description": "赔偿", "obligor": "p1", "due_at": t0 + timedelta(days=3)}]
    store.apply(
        outbox,
        doc,
        domain.record_agreement(
            doc,
            terms=terms,
            signed_by=["p1", "p2"],
            effective_at=t0,
            actor=actor,
            now=t0,
            policy=settings.policy,
        ),
    )
    assert send_confirmation_reminders(context, t0 + timedelta(days=22)) == 0
    assert send_confirmation_reminders(context, t0 + timedelta(days=24)) == 1
    assert send_confirmation_reminders(context, t0 + timedelta(days=25)) == 0
    types = [item["event"]["type"] for item in mongo_db.cases.find_one({})["outbox"]]
    assert types.count(ev.OVERDUE.name) == 1 and types.count(ev.CONFIRMATION_WINDOW_CLOSING.name) == 1


def test_worker_flags_each_agreement_term_past_its_due_date_once_without_an_event(settings, mongo_db):
    from prometheus_client import REGISTRY

    from civic146 import mongo
    from mediation import reference, schemas
    from mediation.scheduled import flag_overdue_terms

    mongo.connect(settings)
    context = SERVICE.build_context(settings)
    outbox, actor = context.outbox, Actor("staff-1", "community_staff")
    t0 = now().replace(microsecond=0)  # the database keeps milliseconds
    doc, change = domain.open_case(GOOD, actor=actor, now=t0, policy=settings.policy)
    doc = store.insert(outbox, doc, change)
    for party in ("p1", "p2"):
        doc = store.apply(
            outbox, doc, domain.consent(doc, party, actor=actor, now=t0, policy=settings.policy)
        )
    doc = store.apply(
        outbox,
        doc,
        domain.assign_mediator(
            doc, mediator=reference.load()["med-hf-02"], chosen_by_parties=False, actor=actor, now=t0
        ),
    )
    doc = store.apply(
        outbox,
        doc,
        domain.hold_session(
            doc, held_at=t0, location=None, attendees=["p1", "p2"], notes="notes", actor=actor, now=t0
        ),
    )
    terms = [
        {"description": "赔偿", "obligor": "p1", "due_at": t0 + timedelta(days=3)},
        {"description": "道歉", "obligor": "p1", "due_at": t0 + timedelta(days=3)},
        {"description": "修缮", "obligor": "p2", "due_at": t0 + timedelta(days=10)},
    ]
    doc = store.apply(
        outbox,
        doc,
        domain.record_agreement(
            doc,
            terms=terms,
            signed_by=["p1", "p2"],
            effective_at=t0,
            actor=actor,
            now=t0,
            policy=settings.policy,
        ),
    )
    doc = store.apply(
        outbox,
        doc,
        domain.record_fulfilment(doc, 2, result="fulfilled", actor=actor, now=t0 + timedelta(days=2)),
    )

    def counted():
        return (
            REGISTRY.get_sample_value("civic146_mediation_terms_overdue_total", {"community": "huifeng"})
            or 0.0
        )

    def overdue_numbers():
        return [t["number"] for t in store.get(doc["_id"])["agreement"]["terms"] if t.get("overdue")]

    before, events_before = counted(), len(mongo_db.cases.find_one({"_id": doc["_id"]})["outbox"])
    assert flag_overdue_terms(context, t0 + timedelta(days=2)) == 0
    assert flag_overdue_terms(context, t0 + timedelta(days=4)) == 1  # term 1; term 2 was fulfilled in time
    assert overdue_numbers() == [1]
    assert flag_overdue_terms(context, t0 + timedelta(days=5)) == 0  # once
    assert flag_overdue_terms(context, t0 + timedelta(days=11)) == 1  # term 3
    assert flag_overdue_terms(context, t0 + timedelta(days=12)) == 0
    assert overdue_numbers() == [1, 3] and counted() - before == 2
    stored = store.get(doc["_id"])
    assert stored["agreement"]["terms"][0]["overdue_at"] == t0 + timedelta(days=4)
    assert (
        len(mongo_db.cases.find_one({"_id": doc["_id"]})["outbox"]) == events_before
    )  # state and metric only
    assert [t.overdue for t in schemas.AgreementOut.model_validate(stored["agreement"]).terms] == [
        True,
        False,
        True,
    ]

    # a late fulfilment is still recorded and keeps the flag; the case then ends as fulfilled
    doc = store.apply(
        outbox,
        stored,
        domain.record_fulfilment(stored, 1, result="fulfilled", actor=actor, now=t0 + timedelta(days=13)),
    )
    doc = store.apply(
        outbox,
        doc,
        domain.record_fulfilment(doc, 3, result="fulfilled", actor=actor, now=t0 + timedelta(days=13)),
    )
    assert doc["status"] == "fulfilled" and overdue_numbers() == [1, 3]
    assert flag_overdue_terms(context, t0 + timedelta(days=30)) == 0


def test_the_other_steps_over_http_extension_participant_confirmation_breach_statistics(client, mint, staff):
    mediator, party = mint("med-qian", "mediator"), mint("res-2", "resident")
    supervisor = mint("med-sun", "mediator")
    cid = client.post("/v1/cases", json=GOOD, headers=staff).json["id"]

    def post(path, body, headers, status=200):
        resp = client.post(f"/v1/cases/{cid}/{path}", json=body, headers=headers)
        assert resp.status_code == status, resp.json
        return resp.json

    for p in ("p1", "p2"):
        post("consent", {"party_id": p, "decision": "given"}, staff)
    post("mediators", {"mediator_id": "med-hf-02", "chosen_by_parties": True}, staff)
    post(
        "sessions", {"held_at": now().isoformat(), "attendees": ["p1"], "notes": "x"}, staff, 403
    )  # staff don't mediate
    post(
        "participants",
        {"name": "物业张经理", "capacity": "property company", "consent_of": ["p1", "p2"]},
        staff,
    )
    post(
        "sessions",
        {"held_at": now().isoformat(), "attendees": ["p1", "p2", "物业张经理"], "notes": "保密"},
        mediator,
        201,
    )
    case = post("extensions", {"days": 10, "reason": "等待物业公司提供维修记录"}, mediator)
    assert case["details"]["extensions"][0]["days"] == 10
    effective = now()
    post(
        "agreement",
        {
            "terms": [
                {
                    "description": "修复",
                    "obligor": "p1",
                    "due_at": (effective + timedelta(days=3)).isoformat(),
                }
            ],
            "signed_by": ["p1", "p2"],
            "effective_at": effective.isoformat(),
        },
        mediator,
        201,
    )
    case = post("court-confirmation", {"applied_at": now().isoformat(), "court": "上街区人民法院"}, party)
    assert case["details"]["agreement"]["court_confirmation"]["court"] == "上街区人民法院"
    case = post("fulfilment", {"term_number": 1, "result": "breached"}, mediator)
    assert (case["status"], case["advised_routes"]) == ("breached", ["court"])

    stats = client.get("/v1/statistics", headers=supervisor).json
    [huifeng] = stats["communities"]
    assert (huifeng["community"], huifeng["fulfilment_rate"], huifeng["confirmation_take_up"]) == (
        "huifeng",
        0.0,
        1.0,
    )
    assert client.get("/v1/statistics?community=yiyuan", headers=supervisor).status_code == 403


def test_statistics_average_the_days_in_the_database_per_community_and_overall(client, mint, mongo_db):
    t0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def case(n, community, status, outcome=None, outcome_days=None, closed_days=None):
        return {
            "_id": f"case-{n}",
            "version": 1,
            "outbox": [],
            "community": community,
            "case_type": "neighbours",
            "status": status,
            "outcome": outcome,
            "opened_at": t0,
            "outcome_at": t0 + timedelta(days=outcome_days) if outcome_days is not None else None,
            "closed_at": t0 + timedelta(days=closed_days) if closed_days is not None else None,
        }

    mongo_db.cases.insert_many(
        [
            case(1, "huifeng", "fulfilled", "agreement", 3, 6),
            case(2, "huifeng", "breached", "agreement", 3, 10),
            case(3, "huifeng", "failed", "failed", 20, 20),
            case(4, "yiyuan", "refused", "refused", 1, 1),
            case(5, "yiyuan", "agreement_reached", "agreement", 2.5),  # an outcome, not closed yet
            case(6, "ruyijie", "mediating"),
        ]
    )  # nothing to average
    stats = client.get("/v1/statistics", headers=mint("admin-1", "subdistrict_admin")).json
    days = {
        c["community"]: (c["average_days_to_close"], c["average_days_to_outcome"])
        for c in stats["communities"]
    }
    assert days == {"huifeng": (12.0, round(26 / 3, 2)), "yiyuan": (1.0, 1.75), "ruyijie": (None, None)}
    overall = stats["overall"]
    assert (overall["average_days_to_close"], overall["average_days_to_outcome"]) == (9.25, 5.9)
    assert overall["total"] == 6 and overall["by_outcome"]["agreement"] == 3
    empty = client.get(
        "/v1/statistics?from=2027-01-01T00:00:00Z", headers=mint("admin-1", "subdistrict_admin")
    ).json
    assert empty["overall"]["average_days_to_close"] is None and empty["communities"] == []
