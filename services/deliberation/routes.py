"""The deliberation HTTP API: topics through the six steps, consultations, votes, public notices."""

from __future__ import annotations

from civic146 import paging
from civic146.auth import (
    CPPCC_MEMBER,
    DEPUTY,
    PARTY_ORGANISATION,
    RESIDENT,
    STAFF_ROLES,
    SUBDISTRICT_ADMIN,
    Principal,
    actor_of,
    principal,
    principal_pseudonym,
    require_named_community,
)
from civic146.errors import Forbidden, InvalidInput, NotFound
from civic146.web import ApiBlueprint, service_context

from . import actions, domain, schemas, store
from .context import Deliberation

CREATORS = (*STAFF_ROLES, DEPUTY, CPPCC_MEMBER)
READERS = (*STAFF_ROLES, DEPUTY, CPPCC_MEMBER, RESIDENT, PARTY_ORGANISATION)
PARTICIPANTS = (RESIDENT, DEPUTY, CPPCC_MEMBER, *STAFF_ROLES)

bp = ApiBlueprint("deliberation", __name__, url_prefix="/v1", tag="deliberation")


def ctx() -> Deliberation:
    return service_context()


# --- scope ---------------------------------------------------------------------------------------


def serves(p: Principal, community: str) -> bool:
    """Staff serve the communities in their token; deputies and CPPCC members also those of their
    registry entry (their liaison station's area, the communities they are assigned to)."""
    return p.serves(community) or (p.has(DEPUTY, CPPCC_MEMBER) and ctx().registries.serves(p.sub, community))


def check_serves(p: Principal, community: str) -> None:
    if not serves(p, community):
        raise Forbidden(f"you do not serve community {community}")


def concerns(doc: dict, p: Principal) -> bool:
    """Whether the topic concerns this resident: they raised one of its linked requests (intake's
    routed v2 event names them by pseudonym), or their token names its community and deliberation
    knows them as residents of its scope: on the voter roll of its compound (of its community when
    it has none), or called to one of its votes."""
    if not p.has(RESIDENT):
        return False
    if domain.raised_by(doc, principal_pseudonym()):
        return True
    return doc["community"] in p.communities and (
        any(p.sub in v["eligible"] for v in doc["votes"])
        or store.on_roll(doc["community"], doc.get("compound"), p.sub)
    )


def check_can_read(doc: dict, p: Principal) -> None:
    if (
        p.has(*STAFF_ROLES, DEPUTY, CPPCC_MEMBER, PARTY_ORGANISATION) and serves(p, doc["community"])
    ) or concerns(doc, p):
        return
    if p.has(RESIDENT):
        raise Forbidden(
            f"the topic is open to the residents of {doc['community']} on its voter roll; its notices "
            f"and results are public: /v1/public/communities/{doc['community']}/notices"
        )
    raise Forbidden(f"you do not serve community {doc['community']}")


def load(topic_id: str, *, manage: bool = False, check: bool = True) -> tuple[dict, Principal]:
    """The topic as stored and the caller, checked for scope: managing needs to serve the
    community, reading to serve it or to be a resident it concerns; `check=False` leaves the
    decision to the caller (ballots: the vote's own list of eligible voters)."""
    p = principal()
    doc = store.get(topic_id)
    if manage:
        check_serves(p, doc["community"])
    elif check:
        check_can_read(doc, p)
    return doc, p


def check_place(community: str, compound: str | None) -> None:
    known = ctx().communities.get(community)
    if known is None:
        raise InvalidInput(
            "unknown community", [{"field": "community", "message": f"unknown community {community!r}"}]
        )
    if compound is not None and compound not in known.compounds:
        raise InvalidInput(
            "unknown compound", [{"field": "compound", "message": f"{compound!r} is not in {community}"}]
        )


# --- presentation --------------------------------------------------------------------------------


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


# --- topics ----------------------------------------------------------------------------------------

ORIGIN_BY_ROLE = {DEPUTY: "deputy", CPPCC_MEMBER: "cppcc_member"}


@bp.endpoint(
    "/topics",
    "POST",
    summary="Raise a topic (step 1)",
    body=schemas.CreateTopicIn,
    response=schemas.TopicOut,
    status=201,
    roles=CREATORS,
)
def create_topic(body: schemas.CreateTopicIn):
    p, c = principal(), ctx()
    check_serves(p, body.community)
    origin = "community_staff" if p.has(*STAFF_ROLES) else ORIGIN_BY_ROLE[p.primary_role]
    return present(actions.create_topic(c, body.model_dump(), origin, actor_of(p)), p)


@bp.endpoint(
    "/topics",
    "GET",
    summary="List topics (newest first, cursor pagination; ?request_id= the topic holding a request)",
    query=schemas.ListQuery,
    response=schemas.TopicPage,
    roles=CREATORS,
)
def list_topics(query: schemas.ListQuery):
    p = principal()
    if query.community:
        check_serves(p, query.community)
        flt: dict = {"community": query.community}
    elif p.is_admin:
        flt = {}
    else:
        raise InvalidInput(
            "name a community", [{"field": "community", "message": "required unless sub-district admin"}]
        )
    for key in ("step", "platform"):
        if getattr(query, key):
            flt[key] = getattr(query, key)
    if query.request_id:
        flt["request_ids"] = query.request_id
    conditions = [flt, paging.after(query.cursor, "created_at")] if query.cursor else [flt]
    docs, next_cursor = paging.page_of(
        store.page({"$and": conditions}, query.limit + 1), query.limit, "created_at"
    )
    return schemas.TopicPage(items=[shown(d, p) for d in docs], next_cursor=next_cursor)


@bp.endpoint(
    "/topics/<topic_id>",
    "GET",
    summary="One topic with its steps, meetings, votes and tasks",
    response=schemas.TopicOut,
    roles=READERS,
)
def get_topic(topic_id: str):
    doc, p = load(topic_id)
    return shown(doc, p)


@bp.endpoint(
    "/topics/<topic_id>",
    "PATCH",
    summary="Edit the topic (text and platform in step 1)",
    body=schemas.UpdateTopicIn,
    response=schemas.TopicOut,
    roles=STAFF_ROLES,
)
def update_topic(topic_id: str, body: schemas.UpdateTopicIn):
    doc, p = load(topic_id, manage=True)
    return present(actions.update(ctx(), doc, actor_of(p), body.model_dump(exclude_unset=True)), p)


@bp.endpoint(
    "/topics/<topic_id>/requests",
    "POST",
    summary="Attach a request (moves it from its current topic)",
    body=schemas.AttachIn,
    response=schemas.TopicOut,
    roles=STAFF_ROLES,
)
def attach_request(topic_id: str, body: schemas.AttachIn):
    doc, p = load(topic_id, manage=True)
    return present(actions.attach_request(ctx(), doc, actor_of(p), body.request_id), p)


@bp.endpoint(
    "/topics/<topic_id>/requests/<request_id>/detach",
    "POST",
    summary="Detach a request into a topic of its own (returns the new topic)",
    response=schemas.TopicOut,
    status=201,
    roles=STAFF_ROLES,
)
def detach_request(topic_id: str, request_id: str):
    doc, p = load(topic_id, manage=True)
    return present(actions.detach_request(ctx(), doc, actor_of(p), request_id), p)


# --- the steps --------------------------------------------------------------------------------------


@bp.endpoint(
    "/topics/<topic_id>/notice",
    "POST",
    summary="Step 2: publish the public notice",
    body=schemas.NoticeIn,
    response=schemas.TopicOut,
    roles=STAFF_ROLES,
)
def publish_notice(topic_id: str, body: schemas.NoticeIn):
    doc, p = load(topic_id, manage=True)
    return present(actions.publish_notice(ctx(), doc, actor_of(p), body.model_dump()), p)


@bp.endpoint(
    "/topics/<topic_id>/consultation",
    "POST",
    summary="Step 3: start the consultation (after the notice's minimum period)",
    body=schemas.StartConsultationIn,
    body_required=False,
    response=schemas.TopicOut,
    roles=STAFF_ROLES,
)
def start_consultation(topic_id: str, body: schemas.StartConsultationIn):
    doc, p = load(topic_id, manage=True)
    return present(actions.start_consultation(ctx(), doc, actor_of(p), body.started_at), p)


@bp.endpoint(
    "/topics/<topic_id>/meetings",
    "POST",
    summary="Schedule a consultation meeting at a venue",
    body=schemas.MeetingIn,
    response=schemas.TopicOut,
    status=201,
    roles=STAFF_ROLES,
)
def schedule_meeting(topic_id: str, body: schemas.MeetingIn):
    doc, p = load(topic_id, manage=True)
    return present(actions.schedule_meeting(ctx(), doc, actor_of(p), body.model_dump()), p)


@bp.endpoint(
    "/topics/<topic_id>/meetings/<meeting_id>/held",
    "POST",
    summary="Record a meeting as held (attendance and minutes required)",
    body=schemas.MeetingHeldIn,
    response=schemas.TopicOut,
    roles=STAFF_ROLES,
)
def hold_meeting(topic_id: str, meeting_id: str, body: schemas.MeetingHeldIn):
    doc, p = load(topic_id, manage=True)
    return present(actions.hold_meeting(ctx(), doc, actor_of(p), meeting_id, body.model_dump()), p)


@bp.endpoint(
    "/topics/<topic_id>/votes",
    "POST",
    summary="Open a residents' vote (during the consultation)",
    body=schemas.VoteIn,
    response=schemas.TopicOut,
    status=201,
    roles=STAFF_ROLES,
)
def open_vote(topic_id: str, body: schemas.VoteIn):
    doc, p = load(topic_id, manage=True)
    return present(actions.open_vote(ctx(), doc, actor_of(p), body.model_dump()), p)


@bp.endpoint(
    "/topics/<topic_id>/votes/paper",
    "POST",
    summary="Record a vote held on paper, after it closed (the quorum on the roll as it was then)",
    body=schemas.PaperVoteIn,
    response=schemas.TopicOut,
    status=201,
    roles=STAFF_ROLES,
)
def record_paper_vote(topic_id: str, body: schemas.PaperVoteIn):
    doc, p = load(topic_id, manage=True)
    return present(actions.record_paper_vote(ctx(), doc, actor_of(p), body.model_dump()), p)


@bp.endpoint(
    "/topics/<topic_id>/reviews",
    "POST",
    summary="The Party organisation reviews the topic (step 1) or the decision (before implementation)",
    body=schemas.ReviewIn,
    response=schemas.TopicOut,
    status=201,
    roles=(PARTY_ORGANISATION, *STAFF_ROLES),
)
def review(topic_id: str, body: schemas.ReviewIn):
    doc, p = load(topic_id, manage=True)
    if not p.has(PARTY_ORGANISATION) and body.reviewed_at is None:
        # Staff record a review the Party committee made off the platform, with its date.
        raise InvalidInput(
            "staff record a review made off the platform",
            [{"field": "reviewed_at", "message": "required when staff record the review"}],
        )
    return present(actions.review(ctx(), doc, actor_of(p), body.model_dump()), p)


@bp.endpoint(
    "/topics/<topic_id>/votes/<vote_id>/ballots",
    "POST",
    summary="Cast a secret ballot (registered residents, once, within the window)",
    body=schemas.BallotIn,
    response=schemas.BallotOut,
    status=201,
    roles=(RESIDENT,),
)
def cast_ballot(topic_id: str, vote_id: str, body: schemas.BallotIn):
    doc, p = load(topic_id, check=False)  # the vote's eligible voters (from the roll) decide
    doc = actions.cast_ballot(ctx(), doc, p.sub, vote_id, body.choice)
    vote = next(v for v in doc["votes"] if v["id"] == vote_id)
    return schemas.BallotOut(vote_id=vote_id, recorded=True, ballots_cast=len(vote["voters"]))


@bp.endpoint(
    "/topics/<topic_id>/claim",
    "POST",
    summary="A CPPCC member claims the topic and links resources",
    body=schemas.ClaimIn,
    response=schemas.TopicOut,
    roles=(CPPCC_MEMBER,),
)
def claim(topic_id: str, body: schemas.ClaimIn):
    doc, p = load(topic_id)
    member = ctx().registries.cppcc_member_of_account(p.sub)
    if member is None or doc["community"] not in member.communities:
        raise Forbidden(f"you are not a registered CPPCC member serving {doc['community']}")
    return present(actions.claim(ctx(), doc, actor_of(p), body.resources, body.claimed_at), p)


@bp.endpoint(
    "/topics/<topic_id>/deputies",
    "POST",
    summary="Assign a deputy of the area's liaison station",
    body=schemas.DeputyIn,
    response=schemas.TopicOut,
    roles=STAFF_ROLES,
)
def assign_deputy(topic_id: str, body: schemas.DeputyIn):
    doc, p = load(topic_id, manage=True)
    return present(actions.assign_deputy(ctx(), doc, actor_of(p), body.deputy_id, body.assigned_at), p)


@bp.endpoint(
    "/topics/<topic_id>/implementation",
    "POST",
    summary="Step 4: start implementing the decision",
    body=schemas.DecisionIn,
    response=schemas.TopicOut,
    roles=STAFF_ROLES,
)
def start_implementation(topic_id: str, body: schemas.DecisionIn):
    doc, p = load(topic_id, manage=True)
    return present(actions.start_implementation(ctx(), doc, actor_of(p), body.decision, body.started_at), p)


@bp.endpoint(
    "/topics/<topic_id>/tasks",
    "POST",
    summary="Add an implementation task with its quantity",
    body=schemas.TaskIn,
    response=schemas.TopicOut,
    status=201,
    roles=STAFF_ROLES,
)
def add_task(topic_id: str, body: schemas.TaskIn):
    doc, p = load(topic_id, manage=True)
    return present(actions.add_task(ctx(), doc, actor_of(p), body.model_dump()), p)


@bp.endpoint(
    "/topics/<topic_id>/tasks/<task_id>/progress",
    "POST",
    summary="Report a task's progress",
    body=schemas.ProgressIn,
    response=schemas.TopicOut,
    roles=STAFF_ROLES,
)
def progress_task(topic_id: str, task_id: str, body: schemas.ProgressIn):
    doc, p = load(topic_id, manage=True)
    return present(actions.progress_task(ctx(), doc, actor_of(p), task_id, body.done, body.reported_at), p)


@bp.endpoint(
    "/topics/<topic_id>/result",
    "POST",
    summary="Step 5: publish the result (resolves the linked intake requests)",
    body=schemas.NoticeIn,
    response=schemas.TopicOut,
    roles=STAFF_ROLES,
)
def publish_result(topic_id: str, body: schemas.NoticeIn):
    doc, p = load(topic_id, manage=True)
    return present(actions.publish_result(ctx(), doc, actor_of(p), body.model_dump()), p)


@bp.endpoint(
    "/topics/<topic_id>/feedback/open",
    "POST",
    summary="Step 6: collect feedback",
    body=schemas.OpenFeedbackIn,
    body_required=False,
    response=schemas.TopicOut,
    roles=STAFF_ROLES,
)
def open_feedback(topic_id: str, body: schemas.OpenFeedbackIn):
    doc, p = load(topic_id, manage=True)
    return present(actions.open_feedback(ctx(), doc, actor_of(p), body.opened_at), p)


@bp.endpoint(
    "/topics/<topic_id>/feedback",
    "POST",
    summary="A participant's satisfaction (once per person)",
    body=schemas.FeedbackIn,
    response=schemas.TopicOut,
    status=201,
    roles=PARTICIPANTS,
)
def give_feedback(topic_id: str, body: schemas.FeedbackIn):
    doc, p = load(topic_id)
    if not p.has(RESIDENT):
        check_serves(p, doc["community"])
    return present(actions.give_feedback(ctx(), doc, actor_of(p), body.satisfaction, body.comment), p)


@bp.endpoint(
    "/topics/<topic_id>/close",
    "POST",
    summary="Report the feedback and close the topic",
    body=schemas.CloseIn,
    response=schemas.TopicOut,
    roles=STAFF_ROLES,
)
def close(topic_id: str, body: schemas.CloseIn):
    doc, p = load(topic_id, manage=True)
    return present(actions.close(ctx(), doc, actor_of(p), body.summary, body.closed_at), p)


@bp.endpoint(
    "/topics/<topic_id>/decline",
    "POST",
    summary="Decline the topic with a reason (steps 1-3)",
    body=schemas.ReasonIn,
    response=schemas.TopicOut,
    roles=STAFF_ROLES,
)
def decline(topic_id: str, body: schemas.ReasonIn):
    doc, p = load(topic_id, manage=True)
    return present(actions.decline(ctx(), doc, actor_of(p), body.reason, body.declined_at), p)


@bp.endpoint(
    "/topics/<topic_id>/evaluations",
    "POST",
    summary="Two-way evaluation once the result is published: residents rate a deputy or CPPCC member "
    "involved, they rate how the matter was handled",
    body=schemas.EvaluationIn,
    response=schemas.TopicOut,
    status=201,
    roles=(RESIDENT, DEPUTY, CPPCC_MEMBER),
)
def evaluate(topic_id: str, body: schemas.EvaluationIn):
    doc, p = load(topic_id)
    role = DEPUTY if p.has(DEPUTY) else CPPCC_MEMBER if p.has(CPPCC_MEMBER) else RESIDENT
    who = domain.Actor(p.sub, role)
    return present(actions.evaluate(ctx(), doc, who, body.target, body.score, body.comment), p)


# --- voter roll -------------------------------------------------------------------------------------


@bp.endpoint(
    "/communities/<community>/voters",
    "POST",
    summary="Register residents as eligible voters",
    body=schemas.VotersIn,
    response=schemas.VoterRollOut,
    status=201,
    roles=STAFF_ROLES,
)
def register_voters(community: str, body: schemas.VotersIn):
    p = principal()
    check_place(community, body.compound)
    check_serves(p, community)
    added = actions.register_voters(
        ctx(), community, body.compound, body.resident_ids, actor_of(p), body.registered_at
    )
    ids = store.roll(community, body.compound)
    return schemas.VoterRollOut(
        community=community, compound=body.compound, count=len(ids), added=added, resident_ids=sorted(ids)
    )


@bp.endpoint(
    "/communities/<community>/voters",
    "GET",
    summary="The voter roll of a community or compound",
    query=schemas.VotersQuery,
    response=schemas.VoterRollOut,
    roles=STAFF_ROLES,
)
def voter_roll(community: str, query: schemas.VotersQuery):
    check_serves(principal(), community)
    ids = store.roll(community, query.compound, query.as_of)
    return schemas.VoterRollOut(
        community=community, compound=query.compound, count=len(ids), resident_ids=sorted(ids)
    )


def present_voter(entry: dict) -> schemas.VoterEntryOut:
    return schemas.VoterEntryOut(
        community=entry["community"],
        compound=entry.get("compound"),
        resident_id=entry["resident_id"],
        on_roll=entry.get("removed_at") is None,
        history=[
            schemas.VoterEventOut(**h)
            for h in entry.get("history")
            or [{"action": "registered", "at": entry["registered_at"], "recorded_at": entry["registered_at"]}]
        ],
    )


@bp.endpoint(
    "/communities/<community>/voters/<resident_id>/removal",
    "POST",
    summary="Take a resident off the voter roll, with the reason (kept in the entry's history)",
    body=schemas.VoterRemovalIn,
    response=schemas.VoterEntryOut,
    roles=STAFF_ROLES,
)
def remove_voter(community: str, resident_id: str, body: schemas.VoterRemovalIn):
    p = principal()
    check_place(community, None)
    check_serves(p, community)
    entry = actions.remove_voter(ctx(), community, resident_id, actor_of(p), body.reason, body.removed_at)
    return present_voter(entry)


@bp.endpoint(
    "/communities/<community>/voters/<resident_id>",
    "GET",
    summary="A resident's roll entry with its history (registered, removed: when, why)",
    response=schemas.VoterEntryOut,
    roles=STAFF_ROLES,
)
def voter_entry(community: str, resident_id: str):
    check_serves(principal(), community)
    return present_voter(store.voter_history(community, resident_id))


# --- public: notices, results and one matter (no token) ----------------------------------------------
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


# --- registries and statistics ----------------------------------------------------------------------


@bp.endpoint("/venues", "GET", summary="The venue registry", response=schemas.VenueList, roles=())
def venues():
    return schemas.VenueList(items=[schemas.VenueOut(**vars(v)) for v in ctx().registries.venues.values()])


@bp.endpoint(
    "/deputies",
    "GET",
    summary="NPC deputies and their liaison stations' areas",
    response=schemas.PersonList,
    roles=(),
)
def deputies():
    return schemas.PersonList(
        items=[
            schemas.PersonOut(
                id=d.id,
                name_zh=d.name_zh,
                account=d.account,
                communities=sorted(d.communities),
                station=d.station,
                demo=d.demo,
            )
            for d in ctx().registries.deputies.values()
        ]
    )


@bp.endpoint(
    "/cppcc-members",
    "GET",
    summary="CPPCC members and the communities each serves",
    response=schemas.PersonList,
    roles=(),
)
def cppcc_members():
    return schemas.PersonList(
        items=[
            schemas.PersonOut(
                id=c.id, name_zh=c.name_zh, account=c.account, communities=sorted(c.communities), demo=c.demo
            )
            for c in ctx().registries.cppcc_members.values()
        ]
    )


@bp.endpoint(
    "/statistics",
    "GET",
    summary="Topics by step and platform, consultations, votes, matters solved",
    query=schemas.StatisticsQuery,
    response=schemas.Statistics,
    roles=STAFF_ROLES,
)
def statistics(query: schemas.StatisticsQuery):
    p = principal()
    require_named_community(p, query.community)
    if query.community:
        check_serves(p, query.community)
    flt = {"community": query.community} if query.community else {}
    docs = as_they_stand(store.statistics_rows(flt))
    return schemas.Statistics(community=query.community, **domain.compute_statistics(docs, ctx().now()))


@bp.endpoint(
    "/evaluations/summary",
    "GET",
    summary="Two-way evaluation over a period, per deputy and CPPCC member and per liaison station",
    query=schemas.EvaluationSummaryQuery,
    response=schemas.EvaluationSummary,
    roles=STAFF_ROLES,
)
def evaluation_summary(query: schemas.EvaluationSummaryQuery):
    p = principal()
    require_named_community(p, query.community)
    if query.community:
        check_serves(p, query.community)
    flt = {"community": query.community} if query.community else {}
    stations = {d.id: d.station for d in ctx().registries.deputies.values()}
    summary = domain.evaluation_summary(store.evaluation_rows(flt), query.since, query.until, stations)
    return schemas.EvaluationSummary(
        community=query.community, since=query.since, until=query.until, **summary
    )


# --- past matters ------------------------------------------------------------------------------------

IMPORT_MAX_BYTES = 8 * 1024 * 1024  # a register of a thousand matters with their minutes


@bp.endpoint(
    "/imports/past-matters",
    "POST",
    summary="Import matters settled before the platform (whole file or nothing; idempotent by external_id)",
    body=schemas.PastMattersIn,
    response=schemas.PastMattersOut,
    roles=(SUBDISTRICT_ADMIN,),
    max_body_bytes=IMPORT_MAX_BYTES,
)
def import_past_matters(body: schemas.PastMattersIn):
    p = principal()
    rows = body.model_dump()["matters"]  # places are checked by the payload (PlaceIn)
    return schemas.PastMattersOut(**actions.import_past_matters(ctx(), rows, body.source, actor_of(p)))
