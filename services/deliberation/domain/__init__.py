"""The deliberation domain: a topic's six steps, consultations, residents' votes, tasks, feedback.

Pure decisions, no I/O, one module per part of the mechanism (see each module's docstring). This
package re-exports their public names: callers read `domain.open_vote(...)`.
"""

from .consultations import NoticePeriodNotElapsed, hold_meeting, schedule_meeting, start_consultation
from .deputies_and_members import assign_deputy, claim
from .evaluation import EVALUATION_STEPS, HANDLING, evaluate, involved
from .notices import publish_notice
from .results import (
    close,
    decline,
    give_feedback,
    open_feedback,
    publish_result,
    record_request_rating,
    satisfaction_summary,
)
from .reviews import REVIEW_STAGES, ReviewRequired, review
from .statistics import compute_statistics, evaluation_summary, step_hours
from .steps import (
    FINAL_STEPS,
    OPEN_STEPS,
    STEPS,
    SYSTEM,
    TOPIC,
    Policy,
    Topic,
    derived_id,
    happened,
    known_names,
    new_id,
    scrub,
    step_began,
    transition,
)
from .tasks import add_task, progress_task, rolled_up, start_implementation
from .topics import (
    attach_request,
    detach_request,
    matching_topic,
    new_topic,
    raised_by,
    request_entry,
    title_from,
    update,
)
from .votes import (
    APPROVAL_OPTIONS,
    AlreadyVoted,
    NotEligible,
    VoteNotOpen,
    awaiting_roll,
    cast_ballot,
    close_due_votes,
    eligible_count,
    open_vote,
    record_paper_vote,
    take_rolls,
    tally,
    with_due_votes_closed,
    with_rolls,
)
