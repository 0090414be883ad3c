from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import jsonschema
import pytest

from civic146.auth import Actor
from civic146.errors import Forbidden, InvalidTransition
from civic146.outbox import applied as apply
from civic146.outbox import stamped
from employment import common, matching, reference, reservations, statistics
from employment import events as ev
from employment.jobs import domain as job_domain
from employment.referrals import domain as referral_domain
from employment.seekers import domain as seeker_domain

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
STAFF = Actor("staff-1", "community_staff")
RESIDENT = Actor("res-1", "resident")
VOCAB = reference.load()
SCHEMAS = {t.name: t.schema() for t in [*ev.PUBLISHED, ev.PROGRESS]}
PERSON = {"name": "李秀英", "phone": "13912345678", "id_number": "11010519491231002X"}
PROFILE = {
    "desired_occupations": ["cashier"],
    "skills": ["cashiering", "mandarin"],
    "experience": [],
    "education": "junior_secondary",
    "availability": {
        "hours_types": ["part_time"],
        "shifts": ["morning", "afternoon"],
        "max_hours_per_week": 30,
    },
    "max_commute_km": 3,
    "expected_pay": {"amount": 22, "unit": "hour"},
    "target_group": "middle_aged",
    "needs_accessible": False,
}
SEEKER_IN = {
    "community": "huifeng",
    "compound": "lefu-international",
    "person": PERSON,
    "profile": PROFILE,
    "employment_difficulty": True,
    "consent": {"given": True, "retention_days": None},
}


def routed(category="job_seeking", submitter_ref=None):
    return SimpleNamespace(
        request_id="req-1",
        community="huifeng",
        compound="lefu-international",
        category=category,
        description="想在家附近找份兼职工作，电话13912345678",
        submitter=SimpleNamespace(name="李**", phone="139****5678"),
        submitter_ref=submitter_ref,
    )


def job_doc(hours_type="part_time", hours=12, openings=1):
    fields = {
        "employer_name": "汇丰便民超市",
        "contact_name": "王经理",
        "contact_phone": "13811112222",
        "title": "收银员（兼职）",
        "description": None,
        "occupation": "cashier",
        "required_skills": ["cashiering"],
        "optional_skills": [],
        "hours_type": hours_type,
        "shifts": ["morning"],
        "hours_per_week": hours,
        "community": "huifeng",
        "compound": "huifeng-1",
        "pay_min": 24,
        "pay_max": 26,
        "pay_unit": "hour",
        "openings": openings,
        "no_experience_needed": True,
        "min_experience_years": 0,
        "min_education": "none",
        "age_friendly": False,
        "accessible": False,
        "valid_from": None,
        "valid_until": None,
    }
    doc, _ = job_domain.post_job(fields, STAFF, None, T0)
    return {**doc, "version": 1}


def active_seeker():
    doc, change = seeker_domain.register_seeker(SEEKER_IN, actor=RESIDENT, now=T0, default_days=365)
    return {**doc, "version": 1}, change


def all_events(*changes):
    """The events as published: the outbox stamps each with its `sequence` at commit."""
    return [item["event"] for c in changes for item in stamped(c.outbox, 2)]


def assert_no_personal_or_sensitive_data(events):
    for event in events:
        jsonschema.validate(event, SCHEMAS[event["type"]])
        text = str(event)
        for secret in ("李秀英", "13912345678", "11010519491231002X", "employment_difficulty", "difficulty"):
            assert secret not in text, (secret, event["type"])


def referral(seeker, job, stage="offered"):
    features = matching.seeker_features(
        {**seeker["profile"], "community": seeker["community"], "compound": seeker["compound"]}, VOCAB
    )
    match = matching.explain(features, matching.job_features(job, VOCAB), VOCAB)
    doc, change = referral_domain.new_referral(seeker, job, match=match, trigger="staff", actor=STAFF, now=T0)
    return {**doc, "version": 1, "stage": stage}, change


def test_intake_request_becomes_a_draft_and_the_resident_completes_it_with_consent():
    draft, c1 = seeker_domain.seeker_draft_from_intake(routed(), T0)
    assert draft["status"] == "draft" and draft["_id"] == common.draft_id("seeker", "req-1")
    c2 = seeker_domain.complete_seeker(
        {**draft, "version": 1}, fields=SEEKER_IN, actor=RESIDENT, now=T0, default_days=365
    )
    done = apply(draft, c2)
    assert done["status"] == "active" and done["resident_id"] == "res-1"
    assert done["consent"]["expires_at"] == T0 + timedelta(days=365) and done["consent"]["via"] == "resident"
    progress = [e for e in all_events(c2) if e["type"] == ev.PROGRESS.name]
    assert [p["data"]["state"] for p in progress] == ["in_progress"] and progress[0]["data"][
        "request_id"
    ] == "req-1"
    assert_no_personal_or_sensitive_data(all_events(c1, c2))


def test_another_resident_cannot_claim_the_draft():
    draft, _ = seeker_domain.seeker_draft_from_intake(routed(), T0)
    with pytest.raises(Forbidden):
        seeker_domain.complete_seeker(
            {**draft, "version": 1},
            fields={**SEEKER_IN, "person": {**PERSON, "phone": "13700000000"}},
            actor=RESIDENT,
            now=T0,
            default_days=365,
        )


def test_a_draft_naming_its_resident_is_claimed_by_that_pseudonym_alone():
    draft, c1 = seeker_domain.seeker_draft_from_intake(routed(submitter_ref="ref-of-res-1"), T0)
    assert draft["owner_ref"] == "ref-of-res-1"
    assert all("ref-of-res-1" not in str(e) for e in all_events(c1))
    other_person = {**SEEKER_IN, "person": {**PERSON, "name": "王小明", "phone": "13700000000"}}
    done = apply(
        draft,
        seeker_domain.complete_seeker(
            {**draft, "version": 1},
            fields=other_person,
            actor=RESIDENT,
            now=T0,
            default_days=365,
            caller_ref="ref-of-res-1",
        ),
    )  # no name/phone proof needed
    assert done["status"] == "active" and done["resident_id"] == "res-1"
    for caller_ref in ("ref-of-someone-else", None):  # the request's name and phone do not open it
        with pytest.raises(Forbidden):
            seeker_domain.complete_seeker(
                {**draft, "version": 1},
                fields=SEEKER_IN,
                actor=Actor("res-9", "resident"),
                now=T0,
                default_days=365,
                caller_ref=caller_ref,
            )
    closed = apply(
        done, seeker_domain.close_seeker({**done, "version": 2}, "consent_withdrawn", RESIDENT, T0)
    )
    assert closed["owner_ref"] is None


def test_hiring_resolves_the_request_and_schedules_retention_checks():
    seeker, _ = active_seeker()
    seeker["request_id"] = "req-1"
    job = job_doc()
    ref, c0 = referral(seeker, job)
    change = referral_domain.hire(ref, STAFF, T0)
    hired = apply(ref, change)
    assert hired["stage"] == "hired" and [c["checkpoint"] for c in hired["retention"]] == [30, 90, 180]
    assert hired["next_check_at"] == T0 + timedelta(days=30)
    [progress] = [e for e in all_events(change) if e["type"] == ev.PROGRESS.name]
    assert progress["data"]["state"] == "resolved" and progress["data"]["handled_by"] == "employment"
    assert referral_domain.retention_due(hired, T0 + timedelta(days=29)) is None
    due = referral_domain.retention_due(hired, T0 + timedelta(days=30, seconds=1))
    checked = apply(hired, due)
    assert checked["retention"][0]["status"] == "due" and checked["next_check_at"] is None
    with pytest.raises(InvalidTransition):
        referral_domain.record_retention(
            checked, checkpoint=90, outcome="retained", reason=None, actor=STAFF, now=T0
        )
    rec = referral_domain.record_retention(
        checked, checkpoint=30, outcome="retained", reason=None, actor=STAFF, now=T0 + timedelta(days=31)
    )
    kept = apply(checked, rec)
    assert kept["stage"] == "retained" and kept["next_check_at"] == T0 + timedelta(days=90)
    assert_no_personal_or_sensitive_data(all_events(c0, change, due, rec))


def test_one_person_may_hold_two_part_time_placements_but_not_more():
    seeker, _ = active_seeker()
    first, _ = referral(seeker, job_doc())
    second, _ = referral(seeker, {**job_doc(), "_id": "job-2"})
    third, _ = referral(seeker, {**job_doc(), "_id": "job-3"})
    holding = {**seeker, "placements": [first["_id"]]}
    assert (
        seeker_domain.reserve_placement(holding, second, [first], T0) is not None
    )  # 12 + 12 hours, both part time
    with pytest.raises(InvalidTransition):
        seeker_domain.reserve_placement(
            {**seeker, "placements": [first["_id"], second["_id"]]}, third, [first, second], T0
        )
    full_time = {
        **third,
        "_id": "ref-ft",
        "hours_type": "full_time",
    }  # e.g. a profile that later accepted full-time work
    with pytest.raises(InvalidTransition, match="part-time"):
        seeker_domain.reserve_placement(holding, full_time, [first], T0)
    with pytest.raises(InvalidTransition, match="part-time"):
        seeker_domain.reserve_placement({**seeker, "placements": [full_time["_id"]]}, third, [full_time], T0)
    long, _ = referral(seeker, {**job_doc("part_time", 24), "_id": "job-5"})
    with pytest.raises(InvalidTransition, match="hours"):
        seeker_domain.reserve_placement(holding, long, [first], T0)  # 24 + 12 > 30 offered


def test_stage_machine_refuses_skipping_and_records_decline_reasons():
    seeker, _ = active_seeker()
    ref, _ = referral(seeker, job_doc(), stage="suggested")
    with pytest.raises(InvalidTransition):
        referral_domain.transition(ref, "hire", actor=STAFF, now=T0)
    change = referral_domain.transition(
        ref, "decline", actor=STAFF, now=T0, reason="离家太远，电话13912345678", declined_by="seeker"
    )
    assert change.set["decline_reason"] == "离家太远，电话139****5678"


def test_closing_a_profile_erases_personal_and_sensitive_data():
    seeker, _ = active_seeker()
    closed = apply(seeker, seeker_domain.close_seeker(seeker, "consent_withdrawn", RESIDENT, T0))
    assert (
        closed["person"] is None and closed["employment_difficulty"] is None and closed["status"] == "closed"
    )
    assert seeker_domain.consent_expired(seeker, T0 + timedelta(days=364)) is None
    assert seeker_domain.consent_expired(seeker, T0 + timedelta(days=366)) is not None


def test_a_job_filled_by_hires_closes_itself():
    seeker, _ = active_seeker()
    job = job_doc(openings=1)
    ref, _ = referral(seeker, job, stage="hired")
    change = job_domain.job_hire_change(job, ref, T0)
    assert change.set["status"] == "filled" and change.set["filled"] == 1
    assert job_domain.job_hire_change(apply(job, change), ref, T0) is None  # idempotent


def test_statistics_count_the_difficulty_group_only_for_allowed_roles():
    seeker, _ = active_seeker()
    stats = statistics.compute_statistics([seeker], [], [job_doc()], with_sensitive=False)
    assert "employment_difficulty" not in stats["seekers_by_group"] and stats["seekers_by_group"] == {
        "middle_aged": 1
    }
    stats = statistics.compute_statistics([seeker], [], [job_doc()], with_sensitive=True)
    assert stats["seekers_by_group"]["employment_difficulty"] == 1 and stats["open_positions"] == 1


def test_an_employer_hiring_request_becomes_a_draft_posting_published_by_staff():
    draft, change = job_domain.job_draft_from_intake(routed("staff_hiring"), T0)
    assert draft["status"] == "draft" and draft["_id"] == common.draft_id("job", "req-1")
    api_fields = {
        "employer_name": "汇丰便民超市",
        "contact_name": "王经理",
        "contact_phone": "13811112222",
        "title": "收银员（兼职）",
        "description": None,
        "occupation": "cashier",
        "required_skills": [],
        "optional_skills": [],
        "hours_type": "part_time",
        "shifts": ["morning"],
        "hours_per_week": 12,
        "community": "huifeng",
        "compound": None,
        "pay_min": 24,
        "pay_max": 26,
        "pay_unit": "hour",
        "openings": 1,
        "no_experience_needed": True,
        "min_experience_years": 0,
        "min_education": "none",
        "age_friendly": True,
        "accessible": False,
        "valid_from": None,
        "valid_until": None,
    }
    published = job_domain.publish_draft(
        {**draft, "version": 1}, fields=api_fields, actor=STAFF, employer_id=None, now=T0
    )
    assert published.set["status"] == "open" and published.set["employer"]["name"] == "汇丰便民超市"
    types = [e["type"] for e in all_events(change, published)]
    assert types == [ev.JOB_DRAFTED.name, ev.JOB_POSTED.name, ev.PROGRESS.name]
    assert_no_personal_or_sensitive_data(all_events(change, published))


def test_hiring_needs_an_open_job_with_a_position_left():
    seeker, _ = active_seeker()
    job = job_doc(openings=1)
    first, _ = referral(seeker, job)
    other_seeker = {**seeker, "_id": "seeker-2"}
    second, _ = referral(other_seeker, job)
    # the job's `hires` are reservations, taken before the referral is hired: they alone count
    with pytest.raises(InvalidTransition, match="openings"):
        job_domain.reserve_opening({**job, "hires": [first["_id"]]}, second, T0)
    for status in ("closed", "filled", "draft"):
        with pytest.raises(InvalidTransition, match=status):
            job_domain.reserve_opening({**job, "status": status}, second, T0)
    assert job_domain.reserve_opening(job, second, T0).set["hires"] == [second["_id"]]


def test_decline_and_retention_reasons_mask_the_seekers_name():
    seeker, _ = active_seeker()
    ref, _ = referral(seeker, job_doc(), stage="referred")
    change = referral_domain.transition(
        ref,
        "decline",
        actor=STAFF,
        now=T0,
        reason="李秀英说离家太远",
        declined_by="seeker",
        names=("李秀英",),
    )
    assert change.set["decline_reason"] == "李**说离家太远"
    assert "李秀英" not in str(all_events(change)) and "李秀英" not in str(change.push)
    hired = apply(ref, referral_domain.hire({**ref, "stage": "offered"}, STAFF, T0))
    due = apply(hired, referral_domain.retention_due(hired, T0 + timedelta(days=31)))
    rec = referral_domain.record_retention(
        due,
        checkpoint=30,
        outcome="left",
        reason="李秀英已搬家",
        actor=STAFF,
        now=T0 + timedelta(days=32),
        names=("李秀英",),
    )
    assert rec.set["left_reason"] == "李**已搬家" and "李秀英" not in str(all_events(rec))


def test_a_seekers_own_action_makes_them_active_again():
    seeker, _ = active_seeker()
    later = T0 + timedelta(days=40)
    assert seeker_domain.is_dormant(seeker, later, 30)
    assert not seeker_domain.is_dormant(apply(seeker, seeker_domain.seeker_acted(seeker, later)), later, 30)
    assert seeker_domain.seeker_acted({**seeker, "status": "closed"}, later) is None


# --- reservations taken before a hire ----------------------------------------------------------------------


def two_seekers_for(job):
    seeker, _ = active_seeker()
    first, _ = referral(seeker, job)
    second, _ = referral({**seeker, "_id": "seeker-2"}, job)
    return seeker, first, second


def test_an_opening_is_reserved_once_per_referral_and_the_last_one_closes_the_job():
    job = job_doc(openings=2)
    _, first, second = two_seekers_for(job)
    change = job_domain.reserve_opening(job, first, T0)
    one = apply(job, change)
    assert one["hires"] == [first["_id"]] and one["filled"] == 1 and one["status"] == "open"
    assert one["reservations"] == [{"referral_id": first["_id"], "version": first["version"], "at": T0}]
    assert job_domain.reserve_opening(one, first, T0) is None  # a retry of the same step changes nothing
    full = apply(one, job_domain.reserve_opening(one, second, T0))
    assert full["status"] == "filled" and full["filled"] == 2 and full["history"][-1]["to"] == "filled"
    third, _ = referral({**active_seeker()[0], "_id": "seeker-3"}, job)
    with pytest.raises(InvalidTransition, match="openings"):
        job_domain.reserve_opening(full, third, T0)
    assert job_domain.reserve_opening(full, second, T0) is None  # still idempotent once the job is filled


def test_a_failed_hire_gives_its_opening_back_only_once_the_referral_moved_past_the_attempt():
    job = job_doc(openings=1)
    _, first, _ = two_seekers_for(job)
    reserved = apply(job, job_domain.reserve_opening(job, first, T0))
    assert reserved["status"] == "filled"
    # the referral is still at the attempt's version: that attempt (or a twin) could still commit
    assert (
        job_domain.settle_opening(reserved, first["_id"], version=first["version"], referral=first, now=T0)
        is None
    )
    abandoned = apply(first, referral_domain.abandon_hire(first, T0))
    abandoned["version"] = first["version"] + 1
    assert abandoned["stage"] == "offered" and not referral_domain.abandon_hire(first, T0).outbox
    change = job_domain.settle_opening(
        reserved, first["_id"], version=first["version"], referral=abandoned, now=T0
    )
    released = apply(reserved, change)
    assert released["hires"] == [] and released["filled"] == 0 and released["reservations"] == []
    assert released["status"] == "open" and released["history"][-1]["from"] == "filled"  # reopened
    [event] = all_events(change)
    assert event["type"] == ev.JOB_POSTED.name and event["data"]["status"] == "open"
    assert_no_personal_or_sensitive_data([event])
    assert (
        job_domain.settle_opening(
            released, first["_id"], version=first["version"], referral=abandoned, now=T0
        )
        is None
    )  # idempotent
    assert (
        job_domain.settle_opening(reserved, first["_id"], version=first["version"], referral=None, now=T0)
        is not None
    )  # referral gone


def test_a_reservation_taken_over_by_a_newer_attempt_survives_the_release_of_the_older_one():
    job = job_doc(openings=2)
    _, first, _ = two_seekers_for(job)
    old = apply(job, job_domain.reserve_opening(job, first, T0))
    newer = {**first, "version": first["version"] + 1}  # the first attempt failed and the referral moved on
    taken_over = apply(old, job_domain.reserve_opening(old, newer, T0))
    assert (
        taken_over["hires"] == [first["_id"]] and taken_over["reservations"][0]["version"] == newer["version"]
    )
    assert (
        job_domain.settle_opening(taken_over, first["_id"], version=first["version"], referral=newer, now=T0)
        is None
    )
    assert (
        job_domain.reserve_opening(taken_over, first, T0) is None
    )  # the stale attempt does not take it back


def test_a_hired_referral_keeps_and_confirms_its_reservations():
    job = job_doc(openings=1)
    seeker, first, _ = two_seekers_for(job)
    on_job = apply(job, job_domain.reserve_opening(job, first, T0))
    on_seeker = apply(seeker, seeker_domain.reserve_placement(seeker, first, [], T0))
    hired = {**apply(first, referral_domain.hire(first, STAFF, T0)), "version": first["version"] + 1}
    # a concurrent request hired it: the failed one settles by confirming, not releasing
    confirmed = apply(
        on_job,
        job_domain.settle_opening(on_job, first["_id"], version=first["version"], referral=hired, now=T0),
    )
    assert (
        confirmed["hires"] == [first["_id"]]
        and confirmed["reservations"] == []
        and confirmed["status"] == "filled"
    )
    assert job_domain.job_hire_change(confirmed, hired, T0) is None
    kept = apply(
        on_seeker,
        seeker_domain.settle_placement(
            on_seeker, first["_id"], version=first["version"], referral=hired, now=T0
        ),
    )
    assert kept["placements"] == [first["_id"]] and kept["reservations"] == [] and kept["status"] == "placed"
    assert seeker_domain.seeker_placement_change(kept, hired, T0) is None
    left = {**hired, "stage": "left"}  # a departure gives the placement up; the job's opening stays taken
    gone = apply(kept, seeker_domain.seeker_placement_change(kept, left, T0))
    assert gone["placements"] == [] and gone["status"] == "active"
    assert job_domain.job_hire_change(confirmed, left, T0) is None


def test_a_placement_is_reserved_once_and_released_when_the_hire_fails():
    seeker, _ = active_seeker()
    first, _ = referral(seeker, job_doc())
    reserved = apply(seeker, seeker_domain.reserve_placement(seeker, first, [], T0))
    assert reserved["placements"] == [first["_id"]] and reserved["status"] == "placed"
    assert reserved["reservations"][0]["referral_id"] == first["_id"]
    assert seeker_domain.reserve_placement(reserved, first, [], T0) is None
    # the sync of a referral not (yet) hired leaves the reservation to settle_placement
    assert seeker_domain.seeker_placement_change(reserved, first, T0) is None
    assert (
        seeker_domain.settle_placement(
            reserved, first["_id"], version=first["version"], referral=first, now=T0
        )
        is None
    )
    moved = {**first, "version": first["version"] + 1, "stage": "declined"}
    released = apply(
        reserved,
        seeker_domain.settle_placement(
            reserved, first["_id"], version=first["version"], referral=moved, now=T0
        ),
    )
    assert released["placements"] == [] and released["status"] == "active" and released["reservations"] == []


def test_placements_of_referrals_that_ended_do_not_block_a_hire():
    seeker, _ = active_seeker()
    gone, _ = referral(seeker, job_doc(), stage="left")  # the departure has not reached the seeker yet
    gone.update(hours_type="full_time", hours_per_week=40)
    ref, _ = referral(seeker, {**job_doc(), "_id": "job-2"})
    holding = {**seeker, "placements": [gone["_id"]]}
    assert seeker_domain.reserve_placement(holding, ref, [gone], T0).set["placements"] == [
        gone["_id"],
        ref["_id"],
    ]
    with pytest.raises(InvalidTransition, match="part-time"):
        seeker_domain.reserve_placement(holding, ref, [{**gone, "stage": "hired"}], T0)


def test_reservations_expire_after_the_grace_period():
    job = job_doc(openings=2)
    _, first, second = two_seekers_for(job)
    one = apply(job, job_domain.reserve_opening(job, first, T0))
    two = apply(one, job_domain.reserve_opening(one, second, T0 + timedelta(minutes=3)))
    grace = timedelta(minutes=5)
    assert reservations.expired_reservations(two, T0 + timedelta(minutes=4), grace) == []
    assert [
        r["referral_id"] for r in reservations.expired_reservations(two, T0 + timedelta(minutes=6), grace)
    ] == [first["_id"]]
