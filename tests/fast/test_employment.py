"""Employment's use cases, handlers and jobs on the in-memory store: a seeker and a job matched by
the handlers of their own events, the referral's stages to a hire (the job's openings and the
seeker's placement kept in step), refused moves that change nothing, drafts from intake, the
retention checks, expiries and the repair of an interrupted hire, and the domain metrics the outbox
counts from each commit."""

from datetime import timedelta

import pytest

from civic146.auth import Actor
from civic146.errors import InvalidTransition
from civic146.events import ROUTED, Routed
from employment import events as ev
from employment import hiring, scheduled, suggestions
from employment import metrics as m
from employment.jobs import actions as job_actions
from employment.jobs import store as job_store
from employment.jobs.schemas import JobIn
from employment.referrals import actions as referral_actions
from employment.referrals import store as referral_store
from employment.seekers import actions as seeker_actions
from employment.seekers import store as seeker_store
from employment.seekers.schemas import SeekerIn
from employment.service import SERVICE
from tests.fast.conftest import recorded
from tests.integration.test_employment_api import JOB, PROFILE  # the same example data

SEEKER = {
    "community": "huifeng",
    "compound": "lefu-international",
    "person": {"name": "李秀英", "phone": "13912345678"},
    "profile": PROFILE,
    "consent": {"given": True},
}
RESIDENT = Actor("res-1", "resident")
STAFF = Actor("staff-1", "community_staff")
EMPLOYER = Actor("emp-1", "employer")


@pytest.fixture
def ctx(memory_service):
    return memory_service(SERVICE)


def counter(metric, *labels) -> float:
    return metric.labels(*labels)._value.get()


def registered(ctx, **profile) -> dict:
    fields = SeekerIn.model_validate({**SEEKER, "profile": {**PROFILE, **profile}}).model_dump(mode="json")
    return seeker_actions.register(ctx, fields, RESIDENT)


def posted(ctx, **fields) -> dict:
    return job_actions.post(
        ctx, JobIn.model_validate({**JOB, **fields}).model_dump(mode="python"), EMPLOYER, "emp-1"
    )


def deliver(ctx, collection, doc_id: str) -> None:
    """The document's recorded events to the service's subscriptions, as its consumer hands them."""
    for item in collection.find_one({"_id": doc_id})["outbox"]:
        event = item["event"]
        for s in SERVICE.subscriptions:
            if s.topic == item["topic"] and s.event_type.name == event["type"]:
                s.handle(ctx, event, s.event_type.data.model_validate(event["data"]))


def suggested(ctx) -> tuple[dict, dict, dict]:
    """A seeker and a job, matched by the handlers of their own events: one suggested referral."""
    seeker, job = registered(ctx), posted(ctx)
    deliver(ctx, seeker_store.collection(), seeker["_id"])
    deliver(ctx, job_store.collection(), job["_id"])  # the same pair again: still one referral
    [referral] = referral_store.find({})
    return seeker, job, referral


def test_a_suggestion_goes_through_the_stages_to_a_hire_that_fills_the_job_and_places_the_seeker(ctx):
    before = {
        "registered": counter(m.SEEKERS_REGISTERED, "huifeng", "middle_aged"),
        "posted": counter(m.JOBS_POSTED, "huifeng"),
        "hired": counter(m.PLACEMENTS, "huifeng", "middle_aged"),
        **{stage: counter(m.REFERRAL_TRANSITIONS, "huifeng", stage) for stage in ev.Stage.__args__},
    }
    seeker, job, referral = suggested(ctx)
    assert (referral["seeker_id"], referral["job_id"], referral["stage"]) == (
        seeker["_id"],
        job["_id"],
        "suggested",
    )

    referral = referral_actions.move(ctx, referral, "refer", RESIDENT, by_seeker=True)
    referral = referral_actions.move(ctx, referral, "interview", EMPLOYER, by_seeker=False)
    referral = referral_actions.move(ctx, referral, "offer", EMPLOYER, by_seeker=False)
    referral = hiring.hire(ctx, referral, EMPLOYER, ctx.now())

    assert referral["stage"] == "hired"
    assert referral_store.get(referral["_id"])["placement_synced"] is True  # confirmed at once
    job, seeker = job_store.get(job["_id"]), seeker_store.get(seeker["_id"])
    assert (job["status"], job["hires"], job["filled"], job["reservations"]) == (
        "filled",
        [referral["_id"]],
        1,
        [],
    )
    assert (seeker["status"], seeker["placements"], seeker["reservations"]) == (
        "placed",
        [referral["_id"]],
        [],
    )
    assert recorded(referral_store.collection(), referral["_id"]) == [
        ev.REFERRAL_SUGGESTED.name,
        *[ev.REFERRAL_STAGE_CHANGED.name] * 4,
    ]
    assert recorded(job_store.collection(), job["_id"]) == [ev.JOB_POSTED.name, ev.JOB_CLOSED.name]

    assert counter(m.SEEKERS_REGISTERED, "huifeng", "middle_aged") == before["registered"] + 1
    assert counter(m.JOBS_POSTED, "huifeng") == before["posted"] + 1  # closing as filled is not a posting
    assert counter(m.PLACEMENTS, "huifeng", "middle_aged") == before["hired"] + 1
    for stage in ("suggested", "referred", "interview", "offered", "hired"):
        assert counter(m.REFERRAL_TRANSITIONS, "huifeng", stage) == before[stage] + 1, stage
    assert counter(m.REFERRAL_TRANSITIONS, "huifeng", "declined") == before["declined"]


def test_a_refused_stage_change_changes_nothing(ctx):
    _, job, referral = suggested(ctx)
    offered_before = counter(m.REFERRAL_TRANSITIONS, "huifeng", "offered")
    with pytest.raises(InvalidTransition, match="cannot offer a referral that is suggested") as refused:
        referral_actions.move(ctx, referral, "offer", EMPLOYER, by_seeker=False)
    assert refused.value.details == {"stage": "suggested", "allowed_from": ["interview", "referred"]}
    with pytest.raises(InvalidTransition, match="cannot hire a referral that is suggested"):
        hiring.hire(ctx, referral, EMPLOYER, ctx.now())  # reserves nothing first

    assert referral_store.get(referral["_id"])["version"] == referral["version"]
    assert recorded(referral_store.collection(), referral["_id"]) == [ev.REFERRAL_SUGGESTED.name]
    assert job_store.get(job["_id"])["hires"] == [] and job_store.get(job["_id"])["version"] == job["version"]
    assert counter(m.REFERRAL_TRANSITIONS, "huifeng", "offered") == offered_before

    job_actions.close(ctx, job_store.get(job["_id"]), "withdrawn", EMPLOYER)
    with pytest.raises(InvalidTransition, match="only an open job allows refer"):
        referral_actions.move(ctx, referral, "refer", STAFF, by_seeker=False)
    assert referral_store.get(referral["_id"])["stage"] == "suggested"


def test_the_retention_job_fires_each_check_once_and_a_departure_releases_the_placement(ctx, clock):
    seeker, job, referral = suggested(ctx)
    for action in ("refer", "offer"):
        referral = referral_actions.move(ctx, referral, action, STAFF, by_seeker=False)
    referral = hiring.hire(ctx, referral, STAFF, ctx.now())
    left_before = counter(m.RETENTION_CHECKS, "30", "left")

    assert scheduled.fire_retention_checks(ctx, clock() + timedelta(days=29)) == 0
    clock.advance(days=31)
    assert scheduled.fire_retention_checks(ctx, clock()) == 1
    assert scheduled.fire_retention_checks(ctx, clock()) == 0
    assert recorded(referral_store.collection(), referral["_id"])[-1] == ev.RETENTION_CHECK_DUE.name

    referral = referral_actions.record_retention(
        ctx, referral_store.get(referral["_id"]), 30, "left", "李秀英回老家了", STAFF
    )
    assert referral["stage"] == "left" and referral["retention"][0]["reason"] == "李**回老家了"
    assert counter(m.RETENTION_CHECKS, "30", "left") == left_before + 1
    seeker = seeker_store.get(seeker["_id"])
    assert (seeker["status"], seeker["placements"]) == ("active", [])
    assert job_store.get(job["_id"])["hires"] == [referral["_id"]]  # the opening stays taken
    assert scheduled.finish_placements(ctx, clock()) == 0  # nothing left to finish
    with pytest.raises(InvalidTransition, match="no retention check"):
        referral_actions.record_retention(ctx, referral, 90, "retained", None, STAFF)


def routed(request_id: str, category: str) -> Routed:
    return Routed(
        request_id=request_id,
        community="huifeng",
        compound="lefu-international",
        category=category,
        channel="e_net_mini_program",
        status="routed",
        actor_role="community_staff",
        target="employment",
        description="想在家附近找份兼职工作",
        submitter={"name": "李**", "phone": "139****5678"},
        submitter_ref=None,
        name_digests=[],
    )


def test_requests_routed_by_intake_become_drafts_once_and_count_when_completed(ctx):
    (from_intake,) = [s for s in SERVICE.subscriptions if s.event_type is ROUTED]
    for _ in range(2):  # a redelivery finds the draft made the first time
        from_intake.handle(ctx, {"id": "e1"}, routed("req-1", "job_seeking"))
        from_intake.handle(ctx, {"id": "e2"}, routed("req-2", "staff_hiring"))
    draft = seeker_store.of_request("req-1")
    job_draft = job_store.of_request("req-2")
    assert draft["status"] == "draft" and job_draft["status"] == "draft"
    assert recorded(seeker_store.collection(), draft["_id"]) == [ev.SEEKER_DRAFTED.name]
    assert recorded(job_store.collection(), job_draft["_id"]) == [ev.JOB_DRAFTED.name]

    registered_before = counter(m.SEEKERS_REGISTERED, "huifeng", "middle_aged")
    posted_before = counter(m.JOBS_POSTED, "huifeng")
    fields = SeekerIn.model_validate(SEEKER).model_dump(mode="json")
    seeker = seeker_actions.complete(ctx, draft, fields, STAFF, None)
    job = job_actions.publish(ctx, job_draft, JobIn.model_validate(JOB).model_dump(mode="python"), STAFF)
    assert seeker["status"] == "active" and job["status"] == "open"
    assert recorded(seeker_store.collection(), seeker["_id"])[-2:] == [
        ev.SEEKER_REGISTERED.name,
        ev.PROGRESS.name,
    ]
    assert counter(m.SEEKERS_REGISTERED, "huifeng", "middle_aged") == registered_before + 1
    assert counter(m.JOBS_POSTED, "huifeng") == posted_before + 1


def test_jobs_past_their_end_and_profiles_past_their_retention_are_closed_by_the_jobs(ctx, clock):
    job = posted(ctx, valid_until=(clock() + timedelta(days=10)).isoformat())
    seeker = registered(ctx)
    assert scheduled.expire_jobs(ctx, clock()) == 0 and scheduled.expire_consents(ctx, clock()) == 0
    assert scheduled.expire_jobs(ctx, clock() + timedelta(days=11)) == 1
    assert scheduled.expire_consents(ctx, clock() + timedelta(days=366)) == 1
    assert job_store.get(job["_id"])["closed_reason"] == "expired"
    closed = seeker_store.get(seeker["_id"])
    assert closed["status"] == "closed" and closed["person"] is None
    assert scheduled.expire_consents(ctx, clock() + timedelta(days=367)) == 0


def test_the_repair_job_releases_what_an_interrupted_hire_reserved_after_the_grace_period(ctx, clock):
    seeker, job, referral = suggested(ctx)
    for action in ("refer", "offer"):
        referral = referral_actions.move(ctx, referral, action, STAFF, by_seeker=False)
    hiring.reserve_opening(ctx, referral, clock())  # then the process died
    hiring.reserve_placement(ctx, referral, clock())
    assert job_store.get(job["_id"])["status"] == "filled"

    grace = ctx.policy.hire_reservation_grace
    assert scheduled.finish_placements(ctx, clock() + grace - timedelta(seconds=1)) == 0
    # one hire's reservations, on its job and its seeker together
    assert scheduled.finish_placements(ctx, clock() + grace + timedelta(seconds=1)) == 1
    job, seeker = job_store.get(job["_id"]), seeker_store.get(seeker["_id"])
    assert (job["status"], job["hires"], job["reservations"]) == ("open", [], [])
    assert (seeker["status"], seeker["placements"], seeker["reservations"]) == ("active", [], [])
    assert recorded(job_store.collection(), job["_id"])[-1] == ev.JOB_POSTED.name  # open again
    assert referral_store.get(referral["_id"])["version"] == referral["version"] + 1  # moved on


def test_a_job_fair_round_pairs_within_the_openings(ctx):
    for _ in range(3):
        registered(ctx)
    job = posted(ctx, openings=2)
    result = suggestions.job_fair_round(ctx, ctx.now(), "huifeng", 0.5)
    assert (result["seekers"], result["matched"]) == (3, 2)
    assert {p["job_id"] for p in result["pairs"]} == {job["_id"]}
    assert {r["trigger"] for r in referral_store.find({})} == {"job_fair"}
