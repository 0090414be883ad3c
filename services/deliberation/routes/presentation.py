"""A topic as a read shows it: as it stands now (reads never write: a vote that opened takes its
roll, a vote whose window has passed shows its result, as the job or the next write will commit),
presented for the caller."""

from __future__ import annotations

from civic146.auth import (
    STAFF_ROLES,
    Principal,
)

from .. import domain, schemas, store
from .scope import ctx


def present_vote(v: dict) -> schemas.VoteOut:
    closed = v["status"] == "closed"
    return schemas.VoteOut(
        id=v["id"],
        question=v["question"],
        options=v["options"],
        scope=v["scope"],
        opens_at=v["opens_at"],
        closes_at=v["closes_at"],
        quorum=v["quorum"],
        threshold=v["threshold"],
        status=v["status"],
        paper=v.get("paper", False),
        eligible_count=domain.eligible_count(v),
        ballots_cast=len(v["voters"]),
        counts=[schemas.OptionCountOut(option=o, count=c) for o, c in zip(v["options"], v["counts"])]
        if closed
        else None,
        turnout=v["turnout"],
        result=v["result"],
        winning_option=v["winning_option"],
    )


def standing(doc: dict, now) -> dict:
    """The topic as it stands at `now` (reads never write): a vote that opened since it was set up
    with the roll as it was when it opened, a vote whose window has passed with its result; the job
    or the next write commits the same."""
    due = domain.awaiting_roll(doc, now)
    opened = domain.with_rolls(doc, store.rolls_at_opening(doc, due)) if due else doc
    return domain.with_due_votes_closed(opened, now)


def as_they_stand(docs) -> list[dict]:
    """Topics as they stand now (see standing)."""
    now = ctx().now()
    return [standing(d, now) for d in docs]


def shown(doc: dict, p: Principal | None) -> schemas.TopicOut:
    """A stored topic as a read shows it: as it stands now (see standing)."""
    return present(standing(doc, ctx().now()), p)


def present(doc: dict, p: Principal | None) -> schemas.TopicOut:
    staff = p is not None and p.has(*STAFF_ROLES) and p.serves(doc["community"])
    requests = [
        schemas.LinkedRequestOut(
            **{k: v for k, v in r.items() if k not in ("description", "submitter_ref", "name_digests")},
            description=r.get("description") if staff else None,
        )
        for r in doc["requests"]
    ]
    return schemas.TopicOut(
        **{
            k: doc.get(k)
            for k in (
                "title",
                "description",
                "community",
                "compound",
                "category",
                "platform",
                "origin",
                "origin_ref",
                "vote_required",
                "step",
                "decision",
                "progress",
                "created_at",
                "updated_at",
                "version",
                "notice",
                "result",
            )
        },
        id=doc["_id"],
        steps=[schemas.StepOut.model_validate(s) for s in doc["steps"]],
        requests=requests,
        meetings=[schemas.MeetingOut(**mt) for mt in doc["meetings"]],
        votes=[present_vote(v) for v in doc["votes"]],
        claims=[schemas.ClaimOut(**c) for c in doc["claims"]],
        deputies=[schemas.DeputyOut(**d) for d in doc["deputies"]],
        tasks=[schemas.TaskOut(**t) for t in doc["tasks"]],
        declined_reason=(doc.get("declined") or {}).get("reason"),
        feedback=[schemas.FeedbackOut(**f) for f in doc["feedback"]],
        request_ratings=len(doc["request_ratings"]),
        mean_satisfaction=domain.satisfaction_summary(doc),
        evaluations=[schemas.EvaluationOut(**e) for e in doc["evaluations"]],
        reviews=[schemas.ReviewOut(**r) for r in doc.get("reviews", [])],
        imported=doc.get("imported"),
        closing_summary=(doc.get("closing") or {}).get("summary"),
        absorbs_requests=doc.get("absorbs_requests", True),
        absorbing_stopped=doc.get("absorbing_stopped"),
    )
