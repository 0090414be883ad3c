"""Hiring without locks against the real database: concurrent hires from several processes and
threads keep the job's openings and the seeker's placement rules, and the worker releases what an
interrupted hire reserved."""

import multiprocessing
import os
import queue
import threading
from datetime import timedelta

import pytest

from civic146.errors import ConcurrencyConflict, DomainError, InvalidTransition
from employment import events as ev

STAFF = ("staff-1", "community_staff")
HOLDING, HIRED = ["hired", "retained"], ["hired", "retained", "left"]
FULL_TIME_JOB = {
    "employer_name": "汇丰便民超市",
    "contact_name": "王经理",
    "contact_phone": "13811112222",
    "title": "收银员（全职）",
    "description": None,
    "occupation": "cashier",
    "required_skills": [],
    "optional_skills": [],
    "hours_type": "full_time",
    "shifts": ["morning"],
    "hours_per_week": 40,
    "community": "huifeng",
    "compound": "huifeng-1",
    "pay_min": 4000,
    "pay_max": 5000,
    "pay_unit": "month",
    "openings": 1,
    "no_experience_needed": True,
    "min_experience_years": 0,
    "min_education": "none",
    "age_friendly": False,
    "accessible": False,
    "valid_from": None,
    "valid_until": None,
}
FULL_TIME_SEEKER = {
    "community": "huifeng",
    "compound": "lefu-international",
    "person": {"name": "李秀英", "phone": "13912345678", "id_number": "11010519491231002X"},
    "profile": {
        "desired_occupations": ["cashier"],
        "skills": ["cashiering"],
        "experience": [],
        "education": "junior_secondary",
        "availability": {
            "hours_types": ["full_time"],
            "shifts": ["morning", "afternoon"],
            "max_hours_per_week": 40,
        },
        "max_commute_km": 3,
        "expected_pay": {"amount": 4000, "unit": "month"},
        "target_group": "middle_aged",
        "needs_accessible": False,
    },
    "employment_difficulty": False,
    "consent": {"given": True, "retention_days": None},
}


@pytest.fixture
def hiring(base_env, monkeypatch, mongo_db):
    """An employment context in this process (no relay: events stay in the documents' outboxes)."""
    from civic146 import mongo
    from employment.service import SERVICE

    for k, v in base_env.items():
        monkeypatch.setenv(k, v)
    settings = SERVICE.load_settings()
    mongo.connect(settings)
    SERVICE.ensure_indexes()
    return SERVICE.build_context(settings)


def staff():
    from civic146.auth import Actor

    return Actor(*STAFF)


def post_job(ctx, **fields) -> str:
    from employment.jobs import domain, store

    doc, change = domain.post_job({**FULL_TIME_JOB, **fields}, staff(), None, ctx.now())
    return store.insert(ctx.outbox, doc, change)["_id"]


def register_seeker(ctx) -> str:
    from employment.seekers import domain, store

    doc, change = domain.register_seeker(FULL_TIME_SEEKER, actor=staff(), now=ctx.now(), default_days=365)
    return store.insert(ctx.outbox, doc, change)["_id"]


def offered(ctx, seeker_id: str, job_id: str) -> str:
    """A referral at `offered`, made the way staff make one (refer, then the employer's offer)."""
    from employment import matching, ranking
    from employment.jobs import store as job_store
    from employment.referrals import domain, store
    from employment.seekers import store as seeker_store

    seeker, job = seeker_store.get(seeker_id), job_store.get(job_id)
    match = matching.explain(
        ranking.seeker_features(seeker, ctx.vocab),
        matching.job_features(job, ctx.vocab, ctx.now()),
        ctx.vocab,
    )
    doc, change = domain.new_referral(
        seeker, job, match=match, trigger="staff", actor=staff(), now=ctx.now(), stage="referred"
    )
    doc = store.insert(ctx.outbox, doc, change)
    store.apply(ctx.outbox, doc, domain.transition(doc, "offer", actor=staff(), now=ctx.now()))
    return doc["_id"]


def hire_like_the_api(ctx, referral_id: str) -> str:
    """What POST /v1/referrals/{id}/hire does (the hire confirms its reservations itself); the
    outcome as the error code, or `hired`."""
    from employment import hiring
    from employment.referrals import store

    try:
        hiring.hire(ctx, store.get(referral_id), staff(), ctx.now())
    except DomainError as exc:
        return exc.code
    return "hired"


def _hire_in_a_process(env: dict, referral_ids: list[str], start, results) -> None:
    """A forked process: its own database connection (civic146.mongo.connect reconnects after a fork),
    one thread per referral, all released together with the other processes' threads."""
    from civic146 import mongo
    from employment.service import SERVICE

    os.environ.update(env)
    settings = SERVICE.load_settings()
    mongo.connect(settings)
    ctx = SERVICE.build_context(settings)

    def hire(referral_id: str) -> None:
        try:
            start.wait(timeout=120)
            results.put((referral_id, os.getpid(), hire_like_the_api(ctx, referral_id)))
        except Exception as exc:  # reported, so the test fails with the reason instead of hanging
            results.put((referral_id, os.getpid(), f"error: {exc!r}"))

    threads = [threading.Thread(target=hire, args=(r,)) for r in referral_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def assert_documents_agree_with_referrals(mongo_db) -> None:
    """The job's hires and the seeker's placements are exactly the referrals that hold them, and no
    reservation is left unconfirmed."""
    for job in mongo_db.jobs.find():
        hired = {r["_id"] for r in mongo_db.referrals.find({"job_id": job["_id"], "stage": {"$in": HIRED}})}
        assert set(job["hires"]) == hired and len(job["hires"]) == len(hired) == job["filled"], job["_id"]
        assert job.get("reservations", []) == [], job["_id"]
        assert job["status"] == ("filled" if len(hired) >= job["openings"] else "open"), job["_id"]
    for seeker in mongo_db.seekers.find():
        holding = {
            r["_id"] for r in mongo_db.referrals.find({"seeker_id": seeker["_id"], "stage": {"$in": HOLDING}})
        }
        assert set(seeker["placements"]) == holding and len(seeker["placements"]) == len(holding), seeker[
            "_id"
        ]
        assert seeker.get("reservations", []) == [], seeker["_id"]
        assert seeker["status"] == ("placed" if holding else "active"), seeker["_id"]


@pytest.mark.server  # other processes write to the document server
def test_concurrent_hires_from_several_processes_and_threads_keep_openings_and_placements(
    hiring, base_env, isolation, mongo_db
):
    from employment import scheduled

    ctx = hiring
    fork = multiprocessing.get_context("fork")
    processes = 3
    env = {**base_env, "MONGODB_DB": isolation["mongodb_db"]}
    for round_ in range(2):
        # Eight people compete for a job with two openings; one full-time seeker has offers from four
        # other full-time jobs at once. (The contenders for the two openings have no other offer: an
        # attempt that reserves an opening and then fails on its seeker holds the opening for a moment,
        # and a contender turned away meanwhile does not come back, so "exactly two" would not hold.)
        job = post_job(ctx, openings=2, title=f"收银员（全职）{round_}")
        for_job = [offered(ctx, register_seeker(ctx), job) for _ in range(8)]
        person = register_seeker(ctx)
        others = [post_job(ctx, title=f"收银员（全职）{round_}-{i}") for i in range(4)]
        for_person = [offered(ctx, person, other) for other in others]
        referrals = for_job + for_person
        shares = [referrals[i::processes] for i in range(processes)]  # each process mixes both kinds
        start, results = fork.Barrier(len(referrals)), fork.Queue()
        procs = [
            fork.Process(target=_hire_in_a_process, args=(env, share, start, results)) for share in shares
        ]
        for p in procs:
            p.start()
        outcomes = {}
        try:
            while len(outcomes) < len(referrals):
                referral_id, pid, outcome = results.get(timeout=180)
                outcomes[referral_id] = (pid, outcome)
        except queue.Empty:
            pytest.fail(f"round {round_}: only {len(outcomes)} of {len(referrals)} hires answered")
        finally:
            for p in procs:
                p.join(timeout=60)
        assert len({pid for pid, _ in outcomes.values()}) == processes
        assert all(o in ("hired", "invalid_transition", "concurrent_update") for _, o in outcomes.values()), (
            outcomes
        )

        hired_for_job = [r["_id"] for r in mongo_db.referrals.find({"job_id": job, "stage": "hired"})]
        assert len(hired_for_job) == 2, (round_, outcomes)
        holding = [
            r["_id"] for r in mongo_db.referrals.find({"seeker_id": person, "stage": {"$in": HOLDING}})
        ]
        assert len(holding) <= 1, (round_, holding)
        assert {r for r, (_, o) in outcomes.items() if o == "hired"} == set(hired_for_job) | set(holding)
        unhired = mongo_db.referrals.find({"_id": {"$in": referrals, "$nin": hired_for_job + holding}})
        assert {r["stage"] for r in unhired} == {"offered"}
        # every hire holds what it reserved, and the attempts that failed gave theirs back
        scheduled.finish_placements(ctx, ctx.now())  # as the worker's next run: nothing to release yet
        assert_documents_agree_with_referrals(mongo_db)
        assert mongo_db.referrals.count_documents({"placement_synced": False}) == 0


def test_the_worker_releases_what_an_interrupted_hire_reserved_after_the_grace_period(hiring, mongo_db):
    from employment import hiring as hire_steps
    from employment import scheduled
    from employment.referrals import domain, store

    ctx = hiring
    job = post_job(ctx)  # one opening
    first, second = (offered(ctx, register_seeker(ctx), job) for _ in range(2))
    t0 = ctx.now()
    grace = timedelta(seconds=ctx.settings.hire_reservation_grace_seconds)
    assert grace == timedelta(minutes=5)

    # The process hiring `first` reserves the opening and the placement, then dies before the
    # referral's own write: the job is taken, and a second hire is refused.
    stalled = store.get(first)
    hire_steps.reserve_opening(ctx, stalled, t0)
    hire_steps.reserve_placement(ctx, stalled, t0)
    assert mongo_db.jobs.find_one({"_id": job})["status"] == "filled"
    with pytest.raises(InvalidTransition, match="openings"):
        hire_steps.hire(ctx, store.get(second), staff(), t0)

    # Within the grace period the worker leaves it alone (the attempt may still be running) ...
    scheduled.finish_placements(ctx, t0 + grace - timedelta(seconds=1))
    assert mongo_db.jobs.find_one({"_id": job})["hires"] == [first]
    # ... after it, it releases both reservations, and the job is open again.
    scheduled.finish_placements(ctx, t0 + grace + timedelta(seconds=1))
    job_doc = mongo_db.jobs.find_one({"_id": job})
    assert job_doc["hires"] == [] and job_doc["filled"] == 0 and job_doc["status"] == "open"
    assert job_doc.get("reservations") == [] and job_doc["history"][-1]["from"] == "filled"
    assert [e["event"]["type"] for e in job_doc["outbox"]][-1] == ev.JOB_POSTED.name
    person = mongo_db.seekers.find_one({"_id": stalled["seeker_id"]})
    assert person["placements"] == [] and person["status"] == "active" and person["reservations"] == []
    referral = mongo_db.referrals.find_one({"_id": first})
    assert referral["stage"] == "offered" and referral["version"] == stalled["version"] + 1

    # Had the stalled process come back, its commit would fail: the worker moved the referral on.
    with pytest.raises(ConcurrencyConflict):
        store.apply(ctx.outbox, stalled, domain.hire(stalled, staff(), t0))
    assert scheduled.finish_placements(ctx, t0 + 2 * grace) == 0  # and the repair is done

    # A hire interrupted after the referral's write (before its reservations are confirmed) is
    # finished by the worker at once: the hired referral keeps its opening and placement.
    later = t0 + 2 * grace
    hired = store.get(second)
    hire_steps.reserve_opening(ctx, hired, later)
    hire_steps.reserve_placement(ctx, hired, later)
    store.apply(ctx.outbox, hired, domain.hire(hired, staff(), later))
    assert scheduled.finish_placements(ctx, later) == 1
    assert_documents_agree_with_referrals(mongo_db)
    assert mongo_db.jobs.find_one({"_id": job})["hires"] == [second]
