"""Following the support pathways across the aggregates: contact attempts past their grace are
settled, and a seeker who disengaged gets an outreach task for staff."""

from __future__ import annotations

from datetime import datetime

from .context import Employment
from .outreach import domain as outreach_domain
from .outreach import store as outreach_store
from .seekers import domain as seeker_domain
from .seekers import store as seeker_store


def follow_pathway(ctx: Employment, seeker: dict, now: datetime) -> bool:
    """Contact attempts past their grace are settled (answered or missed); a seeker who missed as
    many in a row as the pathway allows is disengaged and gets an outreach task for staff, long
    before the dormancy of DORMANT_AFTER_DAYS. The task is written first, so a crash in between
    leaves the attempts due and the next run finds the task already there."""
    change, missed = seeker_domain.contacts_due(seeker, now)
    if change is None:
        return False
    if missed:
        task, task_change = outreach_domain.disengagement_task(seeker, missed, now)
        outreach_store.insert_once(ctx.outbox, task, task_change)
    seeker_store.apply(ctx.outbox, seeker, change)
    return True
