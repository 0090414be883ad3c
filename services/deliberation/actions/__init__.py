"""Deliberation's use cases, called by the API, the consumer's handlers and the jobs alike: each
decides (domain) and commits the change with its events (store, through the outbox, which also
counts the domain metrics). Callers load and authorise; a conflict is retried where the caller is a
machine (handlers), left to the next run by a job, and reported by the API (409: the client retries).

Every decision on a topic is made on the topic as it stands now (see decide.py). One module per
part of the mechanism (see each module's docstring); this package re-exports their use cases:
callers read `actions.open_vote(...)`.
"""

from .incoming import record_rating, take_up_escalation, take_up_request
from .past_matters import import_past_matters, past_matter
from .roll import register_voters, remove_voter
from .steps import (
    add_task,
    assign_deputy,
    claim,
    close,
    decline,
    evaluate,
    give_feedback,
    hold_meeting,
    open_feedback,
    progress_task,
    publish_notice,
    publish_result,
    review,
    schedule_meeting,
    start_consultation,
    start_implementation,
)
from .topics import attach_request, create_topic, detach_request, update
from .votes import cast_ballot, close_due_votes, open_vote, record_paper_vote
