"""Views of the six steps and what happens in them: notice, consultation and meetings, votes and
ballots, the Party organisation's reviews, claims and deputies, implementation and tasks, result,
feedback, closing, declining and evaluations. Their order here is the OpenAPI document's."""

from __future__ import annotations

from civic146.auth import (
    CPPCC_MEMBER,
    DEPUTY,
    PARTY_ORGANISATION,
    RESIDENT,
    STAFF_ROLES,
    Actor,
    actor_of,
)
from civic146.errors import Forbidden, InvalidInput

from .. import actions, schemas
from .presentation import present
from .scope import PARTICIPANTS, bp, check_serves, ctx, load


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
    who = Actor(p.sub, role)
    return present(actions.evaluate(ctx(), doc, who, body.target, body.score, body.comment), p)
