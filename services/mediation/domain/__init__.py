"""The mediation domain: a case from registration to agreement, fulfilment and court confirmation.

Follows the People's Mediation Law (2010): mediation is voluntary (it goes ahead only when every
party agrees; a refusal ends it and the other routes are advised), a signed agreement binds the
parties and the committee follows its fulfilment, and the parties may jointly apply to a court
for confirmation within 30 days of the agreement taking effect.

Pure functions, no I/O. A decision takes the current case document (a `Case`) and returns a
Change: the fields to set, the history entry to append and the events to record. One module per
sub-feature; the decisions the use cases call are listed here.
"""

from .agreements import apply_court_confirmation, confirmation_reminder, record_agreement
from .case import CATEGORY_CASE_TYPES, INTAKE, OPEN_STATUSES, Case, Policy, case_id_for_request
from .consent import consent, refuse
from .escalation import escalate
from .failure import fail
from .fulfilment import overdue_terms, overdue_terms_change, record_fulfilment
from .mediators import assign_mediator, invite_participant
from .opening import add_party, open_case
from .sessions import extend, hold_session, overdue_change
from .statistics import average_days_pipeline, compute_statistics

__all__ = [
    "CATEGORY_CASE_TYPES",
    "INTAKE",
    "OPEN_STATUSES",
    "Case",
    "Policy",
    "add_party",
    "apply_court_confirmation",
    "assign_mediator",
    "average_days_pipeline",
    "case_id_for_request",
    "compute_statistics",
    "confirmation_reminder",
    "consent",
    "escalate",
    "extend",
    "fail",
    "hold_session",
    "invite_participant",
    "open_case",
    "overdue_change",
    "overdue_terms",
    "overdue_terms_change",
    "record_agreement",
    "record_fulfilment",
    "refuse",
]
