"""Events the deliberation service publishes on `deliberation.topics` (key = topic id).

Every payload repeats the topic's facts (community, compound, platform, step) so consumers need
no other lookup. One event per step action; the outcome for linked intake requests travels as
the shared `civic146.request.progress.v2`. No personal data: people are named by registry ids
(deputies, CPPCC members) or by role only; free text is scrubbed of phone and ID numbers; ballots
never appear (a closed vote carries totals only).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from civic146.events import EventData, EventType, published_in, request_progress_on, request_reassigned_on

TOPIC = "deliberation.topics"
SOURCE = "/civic146/deliberation"

Platform = Literal["small_bench_talk", "cppcc_consultation", "deputy_liaison_station", "residents_council"]
PLATFORMS: tuple[str, ...] = Platform.__args__
Step = Literal[
    "determine_topic",
    "public_notice",
    "consultation",
    "implementation",
    "publish_result",
    "feedback",
    "closed",
    "declined",
]
Origin = Literal["intake_request", "community_staff", "deputy", "cppcc_member", "mediation_case"]
ParticipantRole = Literal[
    "party_members",
    "resident_representatives",
    "compound_heads",
    "volunteers",
    "deputies",
    "cppcc_members",
    "property_company",
    "enterprises",
    "community_staff",
]
VoteResult = Literal["passed", "rejected", "quorum_not_met"]
Threshold = Literal["simple_majority", "two_thirds"]


class TopicFacts(EventData):
    occurred_at: datetime = Field(
        description="When it happened: before the event's `time` (when the platform recorded it) for "
        "a fact recorded afterwards (a notice posted on a board, a meeting held last week, a paper vote, "
        "a matter settled before the platform)"
    )
    topic_id: str
    community: str
    compound: str | None
    platform: Platform
    step: Step = Field(description="The topic's step after this change")
    actor_role: str = Field(
        description="Role of whoever caused the change (community_staff, resident, system, ...)"
    )


class Created(TopicFacts):
    title: str
    description: str
    category: str | None
    origin: Origin
    origin_ref: str | None = Field(description="Request or mediation case the topic came from")
    vote_required: bool
    request_ids: list[str]


class Updated(TopicFacts):
    title: str
    description: str
    category: str | None
    vote_required: bool


class RequestAttached(TopicFacts):
    request_id: str
    via: Literal["similarity", "new_topic", "staff", "mediation_case"]


class RequestDetached(TopicFacts):
    request_id: str
    moved_to: str | None = Field(description="Topic the request now belongs to")


class Notice(EventData):
    text: str
    period_days: int
    venue_id: str | None
    online: bool
    starts_at: datetime
    ends_at: datetime


class NoticePublished(TopicFacts):
    notice: Notice


class ConsultationStarted(TopicFacts):
    notice_posted_at: datetime


class MeetingScheduled(TopicFacts):
    meeting_id: str
    meeting_platform: Platform
    venue_id: str
    scheduled_at: datetime
    participants: dict[ParticipantRole, int]


class MeetingHeld(TopicFacts):
    meeting_id: str
    meeting_platform: Platform
    venue_id: str
    participants: dict[ParticipantRole, int]
    attendance: int
    minutes: str
    opinions: list[str]
    outcome: str


class VoteOpened(TopicFacts):
    vote_id: str
    question: str
    options: list[str]
    scope: Literal["compound", "community"]
    eligible_count: int
    opens_at: datetime
    closes_at: datetime
    quorum: float
    threshold: Threshold


class OptionCount(EventData):
    option: str
    count: int


class VoteClosed(TopicFacts):
    vote_id: str
    eligible_count: int
    ballots_cast: int
    turnout: float
    counts: list[OptionCount]
    result: VoteResult
    winning_option: str | None


class Claimed(TopicFacts):
    member_id: str = Field(description="CPPCC member's registry id")
    resources: list[str]


class DeputyAssigned(TopicFacts):
    deputy_id: str
    station: str


class ImplementationStarted(TopicFacts):
    decision: str


class TaskAdded(TopicFacts):
    task_id: str
    title: str
    owner: str = Field(description="Responsible organisation or team")
    due_date: date
    unit: str
    target: float


class TaskProgressed(TopicFacts):
    task_id: str
    done: float
    target: float
    task_progress: float = Field(description="0..100")
    topic_progress: float = Field(description="0..100, mean of the tasks' progress")


class ResultTask(EventData):
    title: str
    unit: str
    done: float


class ResultPublished(TopicFacts):
    outcome: Literal["implemented", "declined"]
    result: Notice
    tasks: list[ResultTask]


class FeedbackOpened(TopicFacts):
    pass


class FeedbackReceived(TopicFacts):
    by_role: str
    satisfaction: int = Field(ge=1, le=5)
    comment: str | None


class Closed(TopicFacts):
    summary: str
    feedback_count: int
    request_ratings_count: int
    mean_satisfaction: float | None


class Declined(TopicFacts):
    reason: str


class Evaluated(TopicFacts):
    by_role: Literal["resident", "deputy", "cppcc_member"]
    target: str = Field(
        description="A resident's evaluation: the registry id of the deputy or CPPCC member rated; "
        "a deputy's or CPPCC member's: 'handling' (how the matter was handled)"
    )
    target_role: Literal["deputy", "cppcc_member", "handling"]
    score: int = Field(ge=1, le=5)
    comment: str | None


class Reviewed(TopicFacts):
    stage: Literal["topic", "decision"] = Field(
        description="topic: in step 1, before the notice; decision: in the consultation, before the "
        "implementation"
    )
    approved: bool
    organisation: Literal["community_party_committee", "subdistrict_party_working_committee"]
    comment: str | None


def _t(name: str, data: type[EventData], description: str) -> EventType:
    # v3: every payload carries `occurred_at` beside the envelope's `time` (facts recorded afterwards)
    return EventType(f"civic146.deliberation.topic.{name}.v3", data, TOPIC, description)


CREATED = _t(
    "created",
    Created,
    "Step 1: a topic was raised (from requests, staff, a deputy, a CPPCC member or a mediation case).",
)
UPDATED = _t("updated", Updated, "The topic's title, description or vote requirement changed.")
REQUEST_ATTACHED = _t("request-attached", RequestAttached, "An intake request now belongs to the topic.")
REQUEST_DETACHED = _t("request-detached", RequestDetached, "An intake request left the topic.")
NOTICE_PUBLISHED = _t("notice-published", NoticePublished, "Step 2: the public notice was posted.")
CONSULTATION_STARTED = _t(
    "consultation-started", ConsultationStarted, "Step 3: consultation began (the notice period passed)."
)
MEETING_SCHEDULED = _t(
    "meeting-scheduled", MeetingScheduled, "A consultation meeting was scheduled at a venue."
)
MEETING_HELD = _t(
    "meeting-held", MeetingHeld, "A consultation meeting was held: attendance, minutes, opinions, outcome."
)
VOTE_OPENED = _t("vote-opened", VoteOpened, "A residents' vote was opened for a window.")
VOTE_CLOSED = _t(
    "vote-closed", VoteClosed, "A residents' vote closed: totals and result (ballots are secret)."
)
CLAIMED = _t("claimed", Claimed, "A CPPCC member claimed the topic and linked resources.")
DEPUTY_ASSIGNED = _t(
    "deputy-assigned", DeputyAssigned, "An NPC deputy of the area was assigned to the topic."
)
IMPLEMENTATION_STARTED = _t(
    "implementation-started", ImplementationStarted, "Step 4: implementation of the decision began."
)
TASK_ADDED = _t("task-added", TaskAdded, "An implementation task was added.")
TASK_PROGRESSED = _t(
    "task-progressed",
    TaskProgressed,
    "An implementation task progressed; carries the rolled-up topic progress.",
)
RESULT_PUBLISHED = _t("result-published", ResultPublished, "Step 5: the result was published.")
FEEDBACK_OPENED = _t("feedback-opened", FeedbackOpened, "Step 6: feedback is being collected.")
FEEDBACK_RECEIVED = _t("feedback-received", FeedbackReceived, "A participant gave their satisfaction.")
CLOSED = _t("closed", Closed, "Feedback was reported and the topic closed.")
DECLINED = _t("declined", Declined, "The topic was declined with a reason (steps 1-3).")
EVALUATED = _t(
    "evaluated",
    Evaluated,
    "Two-way evaluation once the result is published: a resident rates a deputy or CPPCC member the "
    "matter involved, or one of them rates how it was handled.",
)
REVIEWED = _t(
    "reviewed",
    Reviewed,
    "The Party organisation reviewed the topic (step 1) or the decision (before the implementation).",
)
REQUEST_PROGRESS = request_progress_on(TOPIC)
REQUEST_REASSIGNED = request_reassigned_on(TOPIC)

PUBLISHED = published_in(globals())  # every event type bound above
