"""Public views (no token): a community's notices and results, and one matter.

What the public may see of a topic is decided here once: the JSON of these views and the notice
board's pages (board.py) show these models and nothing else."""

from __future__ import annotations

from civic146.errors import NotFound

from .. import domain, schemas, store
from .presentation import as_they_stand, present_vote, standing
from .scope import bp, ctx

# What the public may see of a topic is decided here once: the JSON below and the notice board's pages
# (board.py) show these models and nothing else (no linked request, no minutes, no actor, no comment).


def known_community(community: str) -> None:
    """404 for a community the register does not know (public routes name it in their path)."""
    if community not in ctx().communities:
        raise NotFound(f"unknown community {community}")


def public_tasks(doc: dict) -> list[schemas.PublicTaskOut]:
    return [
        schemas.PublicTaskOut(title=t["title"], unit=t["unit"], target=t["target"], done=t["done"])
        for t in doc["tasks"]
    ]


# A mean of fewer ratings than this would show one or two residents' own scores: it stays unpublished.
PUBLIC_MIN_RATINGS = 3


def public_common(doc: dict) -> dict:
    """What every public view of a topic says: which matter, where, on which platform, in which
    step, its tasks' figures, its closed votes' totals and its satisfaction score."""
    ratings = len(doc["feedback"]) + len(doc["request_ratings"])
    return {
        "topic_id": doc["_id"],
        "title": doc["title"],
        "community": doc["community"],
        "compound": doc.get("compound"),
        "platform": doc["platform"],
        "step": doc["step"],
        "tasks": public_tasks(doc),
        "votes": [present_vote(v) for v in doc["votes"] if v["status"] == "closed"],
        "mean_satisfaction": domain.satisfaction_summary(doc) if ratings >= PUBLIC_MIN_RATINGS else None,
        "ratings": ratings,
    }


def public_result(d: dict) -> schemas.PublicResultOut:
    return schemas.PublicResultOut(
        **public_common(d),
        outcome=d["result"].get("outcome", "implemented"),
        result=schemas.NoticeOut(**d["result"]),
        consultations_held=sum(1 for mt in d["meetings"] if mt["status"] == "held"),
    )


def public_topic(d: dict) -> schemas.PublicTopicOut:
    """One public matter as it stands (see standing), with its step trail: the steps, and the Party
    organisation's approvals (a refusal, and what was said, stay with staff until it approves)."""
    trail = [
        schemas.PublicStepOut(step=s["step"], at=s["at"])
        if not s.get("review")
        else schemas.PublicStepOut(step=s["step"], at=s["at"], review=s["review"]["stage"], approved=True)
        for s in d["steps"]
        if not s.get("review") or s["review"]["approved"]
    ]
    return schemas.PublicTopicOut(
        **public_common(d),
        steps=trail,
        notice=schemas.NoticeOut(**d["notice"]) if d.get("notice") else None,
        meetings=[
            schemas.PublicMeetingOut(
                **{
                    k: m.get(k)
                    for k in ("platform", "venue_id", "scheduled_at", "status", "held_at", "attendance")
                },
                participants=m.get("participants", {}),
            )
            for m in d["meetings"]
        ],
        progress=d["progress"],
        result=schemas.NoticeOut(**d["result"]) if d.get("result") else None,
        outcome=d["result"].get("outcome", "implemented") if d.get("result") else None,
        updated_at=d["updated_at"],
    )


def public_topic_of(topic_id: str) -> dict:
    """The stored topic as it stands now, if the public may see it (else 404, as for no topic)."""
    doc = store.public_topic(topic_id)
    if doc is None:
        raise NotFound(f"no public topic {topic_id}")
    return standing(doc, ctx().now())


@bp.endpoint(
    "/public/communities/<community>/notices",
    "GET",
    summary="Public notices (topics and results) of a community, newest first",
    response=schemas.PublicNoticeList,
    roles=None,
)
def public_notices(community: str):
    known_community(community)
    items = []
    for d in store.published(community, "notice"):
        base = {
            "topic_id": d["_id"],
            "title": d["title"],
            "community": d["community"],
            "compound": d.get("compound"),
            "platform": d["platform"],
        }
        items.append(schemas.PublicNoticeOut(**base, kind="topic", notice=schemas.NoticeOut(**d["notice"])))
        if d.get("result"):
            items.append(
                schemas.PublicNoticeOut(**base, kind="result", notice=schemas.NoticeOut(**d["result"]))
            )
    return schemas.PublicNoticeList(items=sorted(items, key=lambda i: i.notice.starts_at, reverse=True))


@bp.endpoint(
    "/public/communities/<community>/results",
    "GET",
    summary="Published results of a community",
    response=schemas.PublicResultList,
    roles=None,
)
def public_results(community: str):
    known_community(community)
    return schemas.PublicResultList(
        items=[public_result(d) for d in as_they_stand(store.published(community, "result"))]
    )


@bp.endpoint(
    "/public/topics/<topic_id>",
    "GET",
    summary="One public matter (notice up or result published) with its step trail, meetings and figures",
    response=schemas.PublicTopicOut,
    roles=None,
)
def public_topic_view(topic_id: str):
    return public_topic(public_topic_of(topic_id))
