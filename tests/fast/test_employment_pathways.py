"""Employment's support pathways on the in-memory store: the operator's pathways file decides what a
profile gets when it becomes active; contact attempts are answered by the seeker's own activity or
missed, and missing too many makes an outreach task once; a pushed job is pushed once, with a task for
staff only when the seeker has no online channel; the tracking statistics per group."""

import json
from datetime import timedelta

import pytest

from civic146.outbox import Change
from employment import events as ev
from employment import hiring, reference, scheduled, statistics, suggestions
from employment import metrics as m
from employment.jobs import store as job_store
from employment.outreach import store as outreach_store
from employment.referrals import actions as referral_actions
from employment.referrals import store as referral_store
from employment.seekers import actions as seeker_actions
from employment.seekers import domain as seeker_domain
from employment.seekers import store as seeker_store
from employment.service import SERVICE
from employment.surveys import domain as survey_domain
from employment.surveys import store as survey_store
from employment.surveys.schemas import SurveyIn
from tests.fast.conftest import recorded
from tests.fast.test_employment import EMPLOYER, RESIDENT, STAFF, counter, deliver, posted, registered

FAST_PATHWAY = {
    "pathways": [
        {
            "id": "youth-fast",
            "label_zh": "青年快速跟进",
            "eligibility": {"target_groups": ["youth", "middle_aged"]},
            "caseworker": True,
            "steps": [{"kind": "guidance_conversation", "label_zh": "就业指导谈话", "due_days": 2}],
            "contacts": {"every_days": 1, "attempts": 3, "grace_days": 0.5, "disengaged_after_missed": 2},
        }
    ]
}


@pytest.fixture
def ctx(memory_service):
    return memory_service(SERVICE)


def operator_pathways(tmp_path, data: dict) -> tuple:
    (tmp_path / "employment-pathways.json").write_text(json.dumps(data), encoding="utf-8")
    return reference.load_pathways(str(tmp_path))


def test_the_operators_pathways_file_decides_what_an_active_profile_gets(ctx, tmp_path, clock):
    ctx.pathways = operator_pathways(tmp_path, FAST_PATHWAY)
    seeker = registered(ctx, target_group="middle_aged")  # this operator gives middle-aged the youth plan
    support = seeker["support"]
    assert support["pathway"] == "youth-fast" and support["caseworker_needed"]
    now = clock()
    assert [c["due_at"] for c in support["contacts"]] == [now + timedelta(days=d) for d in (1, 2, 3)]
    assert support["next_due_at"] == now + timedelta(days=1.5)  # the first attempt's grace ends
    assert [st["due_at"] for st in support["steps"]] == [now + timedelta(days=2)]
    assert support["push_min_score"] is None
    older = registered(ctx, target_group="older_worker")
    assert "support" not in older  # no pathway of this file fits


def test_a_malformed_pathways_file_stops_the_process_saying_what_is_wrong(tmp_path):
    bad = {"pathways": [{**FAST_PATHWAY["pathways"][0], "eligibility": {"target_groups": ["retired"]}}]}
    with pytest.raises(SystemExit, match="unknown target group retired"):
        operator_pathways(tmp_path, bad)
    (tmp_path / "x").mkdir()
    with pytest.raises(SystemExit, match="malformed entry"):
        operator_pathways(tmp_path / "x", {"pathways": [{"id": "no-steps"}]})


def test_missed_contacts_make_a_disengagement_task_once_long_before_dormancy(ctx, tmp_path, clock):
    ctx.pathways = operator_pathways(tmp_path, FAST_PATHWAY)
    seeker = registered(ctx, target_group="youth")
    clock.advance(days=1, hours=13)  # attempt 1 past its grace: missed
    assert scheduled.follow_pathways(ctx, clock()) == 1
    assert outreach_store.collection().count_documents({}) == 0
    clock.advance(days=1)  # attempt 2 missed too: disengaged
    assert scheduled.follow_pathways(ctx, clock()) == 1
    [task] = outreach_store.find({}, 10)
    assert (task["kind"], task["seeker_id"], task["job_id"]) == ("disengaged", seeker["_id"], None)
    assert recorded(outreach_store.collection(), task["_id"]) == [ev.OUTREACH_CREATED.name]
    after = seeker_store.get(seeker["_id"])
    assert [c["status"] for c in after["support"]["contacts"]] == ["missed", "missed", "scheduled"]
    assert after["support"]["disengaged_at"] == clock() and after["support"]["next_due_at"] is None
    clock.advance(days=5)
    assert scheduled.follow_pathways(ctx, clock()) == 0  # nothing more is due once disengaged
    assert outreach_store.collection().count_documents({}) == 1

    # Staff reach them: engaged again, and the attempts go on.
    back = seeker_actions.record_contact(ctx, after, "reached", "电话联系上了", STAFF)
    assert back["support"]["disengaged_at"] is None and back["support"]["contacts"][2]["status"] == "reached"
    assert back["last_active_at"] == clock()


def test_the_seekers_own_activity_answers_a_contact_attempt(ctx, tmp_path, clock):
    ctx.pathways = operator_pathways(tmp_path, FAST_PATHWAY)
    seeker = registered(ctx, target_group="youth")
    clock.advance(hours=12)
    seeker = seeker_actions.update_profile(ctx, seeker, seeker["profile"], RESIDENT)  # they changed it
    clock.advance(days=1, hours=1)
    scheduled.follow_pathways(ctx, clock())
    assert seeker_store.get(seeker["_id"])["support"]["contacts"][0]["status"] == "responded"
    assert outreach_store.collection().count_documents({}) == 0


def test_a_fitting_new_job_is_pushed_once_with_a_task_only_without_an_online_channel(ctx):
    offline = registered(ctx, target_group="middle_aged")
    online = registered(ctx, target_group="middle_aged", online_channels=["sms"])
    before = counter(m.JOBS_PUSHED, "huifeng", "middle_aged")
    job = posted(ctx)
    deliver(ctx, job_store.collection(), job["_id"])
    deliver(ctx, job_store.collection(), job["_id"])  # a redelivery pushes nothing twice
    for seeker, channels in ((offline, []), (online, ["sms"])):
        doc = seeker_store.get(seeker["_id"])
        assert [(p["job_id"], p["channels"]) for p in doc["support"]["pushed"]] == [(job["_id"], channels)]
        assert recorded(seeker_store.collection(), seeker["_id"]).count(ev.JOB_PUSHED.name) == 1
    [task] = outreach_store.find({"kind": "job_push"}, 10)
    assert task["seeker_id"] == offline["_id"] and task["job_id"] == job["_id"]
    assert counter(m.JOBS_PUSHED, "huifeng", "middle_aged") == before + 2


def test_a_job_below_the_pathways_threshold_is_not_pushed(ctx):
    seeker = registered(ctx, target_group="middle_aged")
    job = posted(ctx, occupation="driver", required_skills=["driving_c1"])  # a poor fit
    suggestions.rematch_job(ctx, job["_id"])
    assert seeker_store.get(seeker["_id"])["support"]["pushed"] == []
    assert outreach_store.collection().count_documents({"kind": "job_push"}) == 0


def test_tracking_counts_time_from_need_to_placement_drop_out_and_retention_per_group(ctx, clock):
    placed = registered(ctx, target_group="middle_aged")
    job = posted(ctx)
    suggestions.rematch_job(ctx, job["_id"])
    [referral] = referral_store.find({"seeker_id": placed["_id"]})
    clock.advance(days=10)
    referral = referral_actions.move(ctx, referral, "refer", RESIDENT, by_seeker=True)
    referral = referral_actions.move(ctx, referral, "offer", EMPLOYER, by_seeker=False)
    referral = hiring.hire(ctx, referral, EMPLOYER, clock())
    clock.advance(days=31)
    scheduled.fire_retention_checks(ctx, clock())
    referral_actions.record_retention(ctx, referral_store.get(referral["_id"]), 30, "retained", None, STAFF)
    gone = registered(ctx, target_group="middle_aged")
    seeker_actions.withdraw_consent(ctx, seeker_store.get(gone["_id"]), RESIDENT)

    tracked = statistics.tracking(seeker_store.in_scope({}), referral_store.in_scope({}))
    middle = tracked["by_group"]["middle_aged"]
    assert (middle["seekers"], middle["placed"], middle["dropped_out"]) == (2, 1, 1)
    assert middle["median_days_to_placement"] == 10.0 and middle["drop_out_rate"] == 0.5
    assert (middle["retention_rate_30"], middle["retention_rate_90"]) == (1.0, None)
    assert middle["jobs_pushed"] == 1 and middle["jobs_pushed_acted_on"] == 1 and middle["referrals"] == 1
    assert tracked["by_community"]["huifeng"]["placed"] == 1

    scheduled.refresh_tracking(ctx, clock())
    assert m.GROUP_DAYS_TO_PLACEMENT.labels("middle_aged")._value.get() == 10.0
    assert m.GROUP_DROP_OUT_RATE.labels("middle_aged")._value.get() == 0.5
    assert m.GROUP_RETENTION_RATE.labels("middle_aged", "30")._value.get() == 1.0


def test_the_worker_makes_the_drafts_of_a_survey_a_crash_interrupted_once_each(ctx, clock):
    rows = [
        {
            "person": {"name": "吴海燕", "phone": "13912348001"},
            "target_group": "middle_aged",
            "consent": True,
        },
        {
            "person": {"name": "郑国强", "phone": "13912348002"},
            "target_group": "older_worker",
            "consent": True,
        },
    ]
    fields = SurveyIn.model_validate(
        {"community": "huifeng", "collected_by": "volunteer", "rows": rows}
    ).model_dump(mode="json")
    doc, change = survey_domain.new_survey(fields, STAFF, clock(), set())
    survey = survey_store.insert(ctx.outbox, doc, change)  # the API died before making the drafts
    first, _ = seeker_domain.seeker_draft_from_survey(survey, 0, rows[0], clock())
    seeker_store.insert_once(ctx.outbox, first, Change())  # ... after the first of them
    assert scheduled.finish_surveys(ctx, clock()) == 0  # within the grace the API may still be at it
    clock.advance(minutes=2)
    assert scheduled.finish_surveys(ctx, clock()) == 1
    assert scheduled.finish_surveys(ctx, clock()) == 0
    assert sorted(s["_id"] for s in seeker_store.find({"source": "survey"})) == sorted(survey["draft_ids"])
    done = survey_store.get(survey["_id"])
    assert done["drafts_created"] and done["rows"] is None


def test_a_young_seeker_is_always_suggested_the_best_trial_place_they_can_take(memory_service):
    ctx = memory_service(SERVICE, suggestions_per_change=1)
    position = posted(ctx)
    trial = posted(ctx, offer="trial_work", compound="huifeng-3", title="收银见习")  # a little farther
    seeker = registered(ctx, target_group="youth")
    assert seeker["support"]["prefer_offers"] == ["trial_work", "internship"]
    suggestions.rematch_seeker(ctx, seeker["_id"])
    suggested = {r["job_id"] for r in referral_store.find({"seeker_id": seeker["_id"]})}
    assert suggested == {position["_id"], trial["_id"]}
    middle = registered(ctx, target_group="middle_aged")  # their pathway prefers no offer: the best one only
    suggestions.rematch_seeker(ctx, middle["_id"])
    assert {r["job_id"] for r in referral_store.find({"seeker_id": middle["_id"]})} == {position["_id"]}
