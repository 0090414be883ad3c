"""A seeker's decisions, pure and returning `civic146.change.Change`, one module per subject:
`profile.py` (the profile from draft to closing, and the seeker's own activity), `placements.py` (the
jobs the seeker holds or has reserved) and `pathway.py` (the support pathway: steps, caseworker,
contacts, jobs pushed); `documents.py` holds the stored document they decide on (`Seeker`). The
decisions the use cases call are listed here."""

from .documents import Seeker
from .pathway import assign_caseworker, contacts_due, job_pushed, push_channels, record_contact, record_step
from .placements import reserve_placement, seeker_placement_change, settle_placement
from .profile import (
    check_claim,
    close_seeker,
    complete_seeker,
    consent_expired,
    is_dormant,
    register_seeker,
    seeker_acted,
    seeker_draft_from_intake,
    seeker_draft_from_survey,
    update_profile,
)

__all__ = [
    "Seeker",
    "assign_caseworker",
    "check_claim",
    "close_seeker",
    "complete_seeker",
    "consent_expired",
    "contacts_due",
    "is_dormant",
    "job_pushed",
    "push_channels",
    "record_contact",
    "record_step",
    "register_seeker",
    "reserve_placement",
    "seeker_acted",
    "seeker_draft_from_intake",
    "seeker_draft_from_survey",
    "seeker_placement_change",
    "settle_placement",
    "update_profile",
]
