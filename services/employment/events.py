"""Events the employment service publishes (Kafka key = aggregate id).

employment.seekers    seeker profiles (key seeker id), the jobs pushed to them (key seeker id) and the
                      outreach tasks about them (key task id)
employment.jobs       job postings (key job id)
employment.referrals  referrals through hiring and retention (key referral id), and the shared
                      request-progress event for the intake request a profile or posting came from

No personal data: names, phone and ID numbers never appear, nor the employment-difficulty group
(a sensitive category kept in the service's database only). Target groups in events are the
public ones: youth, middle_aged, older_worker.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from civic146.events import EventData, EventType, published_in, request_progress_on

SEEKERS = "employment.seekers"
JOBS = "employment.jobs"
REFERRALS = "employment.referrals"
SOURCE = "/civic146/employment"

PublicGroup = Literal["youth", "middle_aged", "older_worker"]
SeekerStatus = Literal["draft", "active", "placed", "closed"]
JobStatus = Literal["draft", "open", "filled", "closed"]
Stage = Literal["suggested", "referred", "interview", "offered", "hired", "declined", "retained", "left"]
HoursType = Literal["full_time", "part_time"]
Shift = Literal["morning", "afternoon", "evening", "night", "weekend"]
Checkpoint = Literal[30, 90, 180]


class SeekerFacts(EventData):
    seeker_id: str
    community: str
    compound: str | None
    status: SeekerStatus
    request_id: str | None = Field(None, description="Intake request the profile came from, if any")
    actor_role: str


class ProfileSummary(EventData):
    desired_occupations: list[str]
    skills: list[str]
    hours_types: list[HoursType]
    shifts: list[Shift]
    max_hours_per_week: float
    max_commute_km: float
    education: str
    target_group: PublicGroup | None = Field(None, description="Public target group only")


class SeekerDrafted(SeekerFacts):
    description: str = Field(description="The resident's words from intake, scrubbed of phone and ID numbers")


class SeekerRegistered(SeekerFacts):
    profile: ProfileSummary
    consent_expires_at: datetime


class SeekerUpdated(SeekerFacts):
    profile: ProfileSummary


class SeekerClosed(SeekerFacts):
    reason: Literal["consent_withdrawn", "retention_expired"]


OutreachKind = Literal["job_fit", "job_push", "disengaged"]


class OutreachTaskOpened(EventData):
    task_id: str
    seeker_id: str
    kind: OutreachKind = Field(
        description="job_fit: a new job fits a dormant seeker; job_push: a job was pushed to a seeker "
        "with no online channel; disengaged: a seeker of a pathway stopped answering its contacts"
    )
    job_id: str | None = Field(None, description="The job it is about (job_fit, job_push)")
    community: str
    target_group: PublicGroup
    score: float | None = None
    reason: str = Field(description="Why staff should reach out, in words (no personal data)")


class JobPushed(EventData):
    """For a mini-program or SMS gateway: which seeker to tell about which job, and over which of the
    seeker's online channels. Contact details are not on Kafka: the gateway has its own."""

    seeker_id: str
    job_id: str
    community: str = Field(description="The seeker's community")
    job_community: str
    target_group: PublicGroup
    pathway: str
    score: float
    channels: list[Literal["mini_program", "sms"]] = Field(
        description="The seeker's online channels; empty: staff tell them (an outreach task)"
    )
    title: str = Field(description="The job's title, scrubbed")
    occupation: str
    hours_type: HoursType
    hours_per_week: float
    pay_min: float
    pay_max: float
    pay_unit: Literal["hour", "day", "month"]


class OutreachTaskDone(EventData):
    task_id: str
    seeker_id: str
    community: str
    outcome: Literal["contacted", "not_reachable", "not_interested", "referred"]


class JobFacts(EventData):
    job_id: str
    community: str
    compound: str | None
    status: JobStatus
    request_id: str | None = None
    actor_role: str


class JobDrafted(JobFacts):
    description: str = Field(description="The request's words from intake, scrubbed of phone and ID numbers")


class JobPosted(JobFacts):
    employer_name: str
    title: str
    occupation: str
    required_skills: list[str]
    optional_skills: list[str]
    hours_type: HoursType
    shifts: list[Shift]
    hours_per_week: float
    pay_min: float
    pay_max: float
    pay_unit: Literal["hour", "day", "month"]
    openings: int
    no_experience_needed: bool
    age_friendly: bool
    accessible: bool
    valid_until: datetime | None


class JobClosed(JobFacts):
    reason: Literal["filled", "withdrawn", "expired"]


class ReasonOut(EventData):
    component: str
    value: float
    contribution: float


class ReferralFacts(EventData):
    referral_id: str
    seeker_id: str
    job_id: str
    community: str = Field(description="The seeker's community")
    job_community: str
    stage: Stage
    target_group: PublicGroup | None
    actor_role: str


class ReferralSuggested(ReferralFacts):
    score: float
    reasons: list[ReasonOut]
    trigger: Literal["job_posted", "profile_changed", "job_fair", "staff"]


class ReferralStageChanged(ReferralFacts):
    previous_stage: Stage
    reason: str | None = Field(None, description="Why it was declined or left, scrubbed")
    declined_by: Literal["seeker", "employer", "staff"] | None = None


class RetentionCheckDue(ReferralFacts):
    checkpoint: Checkpoint
    due_at: datetime


class RetentionChecked(ReferralFacts):
    checkpoint: Checkpoint
    outcome: Literal["retained", "left"]
    reason: str | None = None


def _t(
    aggregate: str, name: str, data: type[EventData], topic: str, description: str, version: int = 2
) -> EventType:
    return EventType(f"civic146.employment.{aggregate}.{name}.v{version}", data, topic, description)


SEEKER_DRAFTED = _t(
    "seeker",
    "drafted",
    SeekerDrafted,
    SEEKERS,
    "A draft profile was made from an intake request; the resident completes it.",
)
SEEKER_REGISTERED = _t(
    "seeker",
    "registered",
    SeekerRegistered,
    SEEKERS,
    "A profile is complete and the resident consented: it is matched from now on.",
)
SEEKER_UPDATED = _t("seeker", "updated", SeekerUpdated, SEEKERS, "A profile changed (it is matched again).")
SEEKER_CLOSED = _t(
    "seeker",
    "closed",
    SeekerClosed,
    SEEKERS,
    "Consent was withdrawn or its retention period ended; personal data was erased.",
)
OUTREACH_CREATED = _t(
    "outreach",
    "task-created",
    OutreachTaskOpened,
    SEEKERS,
    "Community staff should reach out to a seeker: a new job fits a dormant middle-aged or older "
    "seeker, a job was pushed to a seeker with no online channel, or a seeker of a pathway stopped "
    "answering its contact attempts.",
    version=3,
)
JOB_PUSHED = _t(
    "seeker",
    "job-pushed",
    JobPushed,
    SEEKERS,
    "A newly posted job fits a seeker whose pathway pushes fitting jobs at once: tell them now.",
    version=1,
)
OUTREACH_DONE = _t(
    "outreach",
    "task-done",
    OutreachTaskDone,
    SEEKERS,
    "Community staff recorded the outcome of an outreach task.",
)
JOB_DRAFTED = _t(
    "job",
    "drafted",
    JobDrafted,
    JOBS,
    "A draft job posting was made from an intake request (employer hiring).",
)
JOB_POSTED = _t("job", "posted", JobPosted, JOBS, "A job is open for matching.")
JOB_CLOSED = _t(
    "job", "closed", JobClosed, JOBS, "A job stopped taking candidates (filled, withdrawn or expired)."
)
REFERRAL_SUGGESTED = _t(
    "referral",
    "suggested",
    ReferralSuggested,
    REFERRALS,
    "Matching suggests this seeker for this job, with the score's reasons.",
)
REFERRAL_STAGE_CHANGED = _t(
    "referral",
    "stage-changed",
    ReferralStageChanged,
    REFERRALS,
    "A referral moved: referred, interview, offered, hired or declined.",
)
RETENTION_CHECK_DUE = _t(
    "referral",
    "retention-check-due",
    RetentionCheckDue,
    REFERRALS,
    "A 30/90/180-day retention check of a placement is due.",
)
RETENTION_CHECKED = _t(
    "referral",
    "retention-checked",
    RetentionChecked,
    REFERRALS,
    "The outcome of a retention check: still employed or left.",
)
PROGRESS = request_progress_on(REFERRALS)

PUBLISHED = published_in(globals())  # every event type bound above
