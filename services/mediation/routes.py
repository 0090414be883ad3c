"""The mediation HTTP API: cases, consent, mediators, sessions, outcomes, statistics.

Who may do what (besides the JWT role named on each route):
- read a case's details (facts, sessions, agreement): the parties, the case's assigned mediators
  and supervisors (sub-district admins, or roster entries with the supervisor flag for their
  communities), and the community staff who manage it (serving its community); session notes
  only the mediators and supervisors. Everyone else allowed on the route sees the summary: ids,
  type, community, status, dates and masked parties;
- the parties' names, phones and ID numbers in full: the mediators and supervisors see everyone's,
  a party its own; the other parties' are masked for it;
- open a case: see check_may_open;
- manage a case (parties, mediators, participants, extensions, escalation): community staff
  serving its community, supervisors and its assigned mediators;
- mediate (sessions, agreement, fulfilment, failure): its assigned mediators and supervisors;
- consent or refuse: the party (its own account) or a manager recording it on the party's behalf.
"""

from __future__ import annotations

from civic146 import pii
from civic146.auth import (
    COMMUNITY_STAFF,
    CPPCC_MEMBER,
    DEPUTY,
    MEDIATOR,
    RESIDENT,
    SUBDISTRICT_ADMIN,
    Principal,
    actor_of,
    principal,
)
from civic146.errors import Forbidden, InvalidInput
from civic146.web import ApiBlueprint, service_context

from . import actions, domain, reference, schemas, store
from .context import Mediation
from .reference import Mediator

MANAGERS = (COMMUNITY_STAFF, SUBDISTRICT_ADMIN, MEDIATOR, DEPUTY, CPPCC_MEMBER)
EVERYONE = (*MANAGERS, RESIDENT)

bp = ApiBlueprint("mediation", __name__, url_prefix="/v1", tag="cases")


def ctx() -> Mediation:
    return service_context()


# --- who may do what ---------------------------------------------------------------------------------


def roster_entry(p: Principal) -> Mediator | None:
    return reference.by_user(ctx().roster, p.sub)


def is_party(doc: dict, p: Principal) -> bool:
    return p.sub in doc.get("party_user_ids", [])


def is_assigned_mediator(doc: dict, p: Principal) -> bool:
    return p.sub in doc.get("mediator_user_ids", [])


def is_supervisor(doc: dict, p: Principal) -> bool:
    entry = roster_entry(p)
    return p.is_admin or bool(entry and entry.supervisor and entry.serves(doc["community"]))


def is_managing_staff(doc: dict, p: Principal) -> bool:
    return p.has(COMMUNITY_STAFF) and p.serves(doc["community"])


def may_read(doc: dict, p: Principal) -> bool:
    """The details: whoever is in the case, and the staff who manage it (they add its parties,
    assign its mediators and escalate it: they cannot do that blind)."""
    return (
        is_party(doc, p) or is_managing_staff(doc, p) or is_assigned_mediator(doc, p) or is_supervisor(doc, p)
    )


def is_manager(doc: dict, p: Principal) -> bool:
    return is_managing_staff(doc, p) or is_supervisor(doc, p) or is_assigned_mediator(doc, p)


def check_read(doc: dict, p: Principal) -> None:
    if not may_read(doc, p):
        raise Forbidden(
            "case details are confidential: only the parties, the staff serving its community, the "
            "assigned mediators and supervisors may read them"
        )


def check_manage(doc: dict, p: Principal) -> None:
    if not is_manager(doc, p):
        raise Forbidden(
            f"only staff serving {doc['community']}, supervisors and the case's mediators manage it"
        )


def check_party_or_manage(doc: dict, p: Principal) -> None:
    if not (is_party(doc, p) or is_manager(doc, p)):
        raise Forbidden("only the parties, staff serving the community, supervisors and the case's mediators")


def check_mediate(doc: dict, p: Principal) -> None:
    if not (is_assigned_mediator(doc, p) or is_supervisor(doc, p)):
        raise Forbidden("only a mediator assigned to the case or a supervisor may do this")


def load(case_id: str, check) -> tuple[dict, Principal]:
    p = principal()
    doc = store.get(case_id)
    check(doc, p)
    return doc, p


# --- presentation ------------------------------------------------------------------------------------


def sees_in_full(doc: dict, party: dict, p: Principal) -> bool:
    """A party's name, phone and ID number: in full to the case's mediators and supervisors, and to
    the party itself; every other party and reader sees them masked."""
    own = bool(party.get("user_id")) and party["user_id"] == p.sub
    return own or is_assigned_mediator(doc, p) or is_supervisor(doc, p)


def present(doc: dict, p: Principal) -> schemas.CaseOut:
    show = may_read(doc, p)
    parties = []
    for x in doc["parties"]:
        full = sees_in_full(doc, x, p)
        parties.append(
            schemas.PartyOut(
                id=x["id"],
                role=x["role"],
                consent=x.get("consent"),
                masked=not full,
                name=x["name"] if full else pii.mask_name(x["name"]),
                phone=x.get("phone") if full else pii.mask_phone(x.get("phone")),
                id_number=x.get("id_number") if full else pii.mask_id_number(x.get("id_number")),
            )
        )
    details = None
    if show:
        escalation = doc.get("escalation") or {}
        # Session notes are the mediators' confidential record: parties see the sessions without them.
        notes_visible = is_assigned_mediator(doc, p) or is_supervisor(doc, p)
        sessions = doc["sessions"] if notes_visible else [{**s, "notes": None} for s in doc["sessions"]]
        details = schemas.CaseDetails(
            facts=doc["facts"],
            participants=doc["participants"],
            sessions=sessions,
            extensions=doc["extensions"],
            agreement=doc.get("agreement"),
            escalation_cause=escalation.get("cause"),
            escalation_summary=escalation.get("summary"),
            history=[schemas.HistoryOut.model_validate(h) for h in doc["history"]],
        )
    return schemas.CaseOut(
        id=doc["_id"],
        parties=parties,
        details=details,
        overdue=bool(doc.get("overdue")),
        **{
            k: doc.get(k)
            for k in (
                "community",
                "compound",
                "case_type",
                "origin",
                "status",
                "request_ids",
                "mediators",
                "due_at",
                "opened_at",
                "accepted_at",
                "outcome",
                "failure_reason",
                "advised_routes",
                "closed_at",
                "version",
            )
        },
    )


# --- opening and reading -----------------------------------------------------------------------------


def check_may_open(body: schemas.OpenCaseIn, p: Principal) -> None:
    """Who opens a case: community staff serving its community and sub-district admins, and
    mediators on the roster serving it (any origin); a resident only by applying for their own
    dispute. A mediator, deputy or CPPCC member who is not on the roster for the community opens
    nothing (holding the resident role too, they may still apply for their own dispute)."""
    entry = roster_entry(p)
    staff = p.has(COMMUNITY_STAFF, SUBDISTRICT_ADMIN) and p.serves(body.community)
    if staff or (entry is not None and entry.serves(body.community)):
        return
    if not p.has(RESIDENT):
        raise Forbidden(
            f"only staff serving {body.community}, mediators on its roster and residents applying for "
            "their own dispute open cases"
        )
    if body.origin != "party_application":
        raise InvalidInput(
            "residents open cases by applying", [{"field": "origin", "message": "must be party_application"}]
        )
    if not any(x.role == "applicant" and x.user_id == p.sub for x in body.parties):
        raise InvalidInput(
            "name yourself as an applicant",
            [{"field": "parties", "message": f"no applicant with user_id {p.sub!r}"}],
        )


@bp.endpoint(
    "/cases",
    "POST",
    summary="Open a case (a party's application, a referral, the committee's initiative)",
    body=schemas.OpenCaseIn,
    response=schemas.CaseOut,
    status=201,
    roles=EVERYONE,
)
def open_case(body: schemas.OpenCaseIn):
    p = principal()
    check_may_open(body, p)
    return present(actions.open_case(ctx(), body.model_dump(), actor_of(p)), p)


def scope_filter(p: Principal, community: str | None) -> dict:
    """Summaries: staff see their communities, supervisors and roster mediators theirs, everyone
    the cases they are a party to or mediate."""
    entry = roster_entry(p)
    served = set(p.communities) if p.has(COMMUNITY_STAFF) else set()
    if entry is not None:
        served |= set(entry.communities)
    own = [{"party_user_ids": p.sub}, {"mediator_user_ids": p.sub}]
    if p.is_admin or "*" in served:
        return {"community": community} if community else {}
    if community:
        return {"community": community} if community in served else {"community": community, "$or": own}
    return {"$or": [{"community": {"$in": sorted(served)}}, *own]}


@bp.endpoint(
    "/cases",
    "GET",
    summary="List cases (summaries, newest first)",
    query=schemas.ListQuery,
    response=schemas.CaseList,
    roles=EVERYONE,
)
def list_cases(query: schemas.ListQuery):
    p = principal()
    flt = scope_filter(p, query.community)
    for key in ("status", "case_type"):
        if getattr(query, key):
            flt[key] = getattr(query, key)
    if query.request_id:
        flt["request_ids"] = query.request_id
    if query.overdue is not None:
        flt["overdue"] = query.overdue
    return schemas.CaseList(items=[present(d, p) for d in store.page(flt, query.limit)])


@bp.endpoint(
    "/cases/<case_id>",
    "GET",
    summary="One case with its confidential details",
    response=schemas.CaseOut,
    roles=EVERYONE,
)
def get_case(case_id: str):
    doc, p = load(case_id, check_read)
    return present(doc, p)


# --- parties and consent -------------------------------------------------------------------------------


@bp.endpoint(
    "/cases/<case_id>/parties",
    "POST",
    summary="Add a party (before consent is collected)",
    body=schemas.PartyIn,
    response=schemas.CaseOut,
    status=201,
    roles=MANAGERS,
)
def add_party(case_id: str, body: schemas.PartyIn):
    doc, p = load(case_id, check_manage)
    return present(actions.add_party(ctx(), doc, actor_of(p), body.model_dump()), p)


@bp.endpoint(
    "/cases/<case_id>/consent",
    "POST",
    summary="A party agrees to mediation or refuses it",
    body=schemas.ConsentIn,
    response=schemas.CaseOut,
    roles=EVERYONE,
)
def consent(case_id: str, body: schemas.ConsentIn):
    p = principal()
    doc = store.get(case_id)
    own = any(x["id"] == body.party_id and x.get("user_id") == p.sub for x in doc["parties"])
    if not (own or is_manager(doc, p)):
        raise Forbidden("only the party, or staff and mediators recording it for the party, may answer")
    doc = actions.answer_consent(ctx(), doc, actor_of(p), body.party_id, body.decision, body.advised_routes)
    return present(doc, p)


# --- mediators and participants --------------------------------------------------------------------------


@bp.endpoint(
    "/mediators",
    "GET",
    summary="The mediator roster (demo entries are marked)",
    response=schemas.RosterOut,
    roles=EVERYONE,
)
def list_mediators():
    return schemas.RosterOut(
        items=[
            schemas.RosterEntryOut(
                id=m.id,
                account=m.user_id,
                name_zh=m.name_zh,
                kind=m.kind,
                communities=list(m.communities),
                supervisor=m.supervisor,
                demo=m.demo,
            )
            for m in ctx().roster.values()
        ]
    )


@bp.endpoint(
    "/cases/<case_id>/mediators",
    "POST",
    summary="Assign a mediator from the roster (conflict-checked)",
    body=schemas.AssignMediatorIn,
    response=schemas.CaseOut,
    roles=MANAGERS,
)
def assign_mediator(case_id: str, body: schemas.AssignMediatorIn):
    doc, p = load(case_id, check_manage)
    return present(
        actions.assign_mediator(ctx(), doc, actor_of(p), body.mediator_id, body.chosen_by_parties), p
    )


@bp.endpoint(
    "/cases/<case_id>/participants",
    "POST",
    summary="Invite another participant with the parties' consent",
    body=schemas.ParticipantIn,
    response=schemas.CaseOut,
    roles=MANAGERS,
)
def invite_participant(case_id: str, body: schemas.ParticipantIn):
    doc, p = load(case_id, check_manage)
    doc = actions.invite_participant(ctx(), doc, actor_of(p), body.name, body.capacity, body.consent_of)
    return present(doc, p)


# --- sessions and the time limit -------------------------------------------------------------------------


@bp.endpoint(
    "/cases/<case_id>/sessions",
    "POST",
    summary="Record a session (notes stay confidential)",
    body=schemas.SessionIn,
    response=schemas.CaseOut,
    status=201,
    roles=MANAGERS,
)
def hold_session(case_id: str, body: schemas.SessionIn):
    doc, p = load(case_id, check_mediate)
    doc = actions.hold_session(
        ctx(), doc, actor_of(p), body.held_at, body.location, body.attendees, body.notes
    )
    return present(doc, p)


@bp.endpoint(
    "/cases/<case_id>/extensions",
    "POST",
    summary="Extend the time limit, with a reason",
    body=schemas.ExtensionIn,
    response=schemas.CaseOut,
    roles=MANAGERS,
)
def extend(case_id: str, body: schemas.ExtensionIn):
    doc, p = load(case_id, check_mediate)
    return present(actions.extend(ctx(), doc, actor_of(p), body.days, body.reason), p)


# --- outcomes ----------------------------------------------------------------------------------------------


@bp.endpoint(
    "/cases/<case_id>/agreement",
    "POST",
    summary="Record the signed agreement",
    body=schemas.AgreementIn,
    response=schemas.CaseOut,
    status=201,
    roles=MANAGERS,
)
def record_agreement(case_id: str, body: schemas.AgreementIn):
    doc, p = load(case_id, check_mediate)
    terms = [t.model_dump() for t in body.terms]
    doc = actions.record_agreement(ctx(), doc, actor_of(p), terms, body.signed_by, body.effective_at)
    return present(doc, p)


@bp.endpoint(
    "/cases/<case_id>/fulfilment",
    "POST",
    summary="Record a term fulfilled or breached",
    body=schemas.FulfilmentIn,
    response=schemas.CaseOut,
    roles=MANAGERS,
)
def record_fulfilment(case_id: str, body: schemas.FulfilmentIn):
    doc, p = load(case_id, check_mediate)
    return present(actions.record_fulfilment(ctx(), doc, actor_of(p), body.term_number, body.result), p)


@bp.endpoint(
    "/cases/<case_id>/court-confirmation",
    "POST",
    summary="Record the parties' joint application for court confirmation (within 30 days)",
    body=schemas.CourtConfirmationIn,
    response=schemas.CaseOut,
    roles=EVERYONE,
)
def apply_court_confirmation(case_id: str, body: schemas.CourtConfirmationIn):
    doc, p = load(case_id, check_party_or_manage)
    doc = actions.apply_court_confirmation(ctx(), doc, actor_of(p), body.applied_at, body.court)
    return present(doc, p)


@bp.endpoint(
    "/cases/<case_id>/failure",
    "POST",
    summary="End without agreement; advise the other routes",
    body=schemas.FailureIn,
    response=schemas.CaseOut,
    roles=MANAGERS,
)
def fail(case_id: str, body: schemas.FailureIn):
    doc, p = load(case_id, check_mediate)
    return present(actions.fail(ctx(), doc, actor_of(p), body.reason, body.advised_routes), p)


@bp.endpoint(
    "/cases/<case_id>/escalation",
    "POST",
    summary="Escalate a community-wide cause to deliberation",
    body=schemas.EscalationIn,
    response=schemas.CaseOut,
    roles=MANAGERS,
)
def escalate(case_id: str, body: schemas.EscalationIn):
    doc, p = load(case_id, check_manage)
    return present(actions.escalate(ctx(), doc, actor_of(p), body.cause, body.summary), p)


# --- statistics ---------------------------------------------------------------------------------------------


def statistics_scope(p: Principal, community: str | None) -> list[str] | None:
    """Communities whose statistics the caller may see (None: all)."""
    entry = roster_entry(p)
    served = set(p.communities) if p.has(COMMUNITY_STAFF) else set()
    if entry is not None:
        served |= set(entry.communities)
    everything = p.is_admin or "*" in served
    if community:
        if not (everything or community in served):
            raise Forbidden(f"you do not serve community {community}")
        return [community]
    if everything:
        return None
    if not served:
        raise Forbidden("statistics are for staff and mediators of a community")
    return sorted(served)


@bp.endpoint(
    "/statistics",
    "GET",
    summary="Cases by type and outcome per community; success, fulfilment, "
    "confirmation take-up, days to close",
    query=schemas.StatisticsQuery,
    response=schemas.Statistics,
    roles=MANAGERS,
)
def statistics(query: schemas.StatisticsQuery):
    c, p = ctx(), principal()
    scope = statistics_scope(p, query.community)
    flt: dict = {} if scope is None else {"community": {"$in": scope}}
    span = {
        **({"$gte": query.opened_from} if query.opened_from else {}),
        **({"$lt": query.opened_to} if query.opened_to else {}),
    }
    if span:
        flt["opened_at"] = span
    docs = store.statistics_rows(flt)
    days = store.average_days(flt)
    overall_days = days["overall"][0] if days["overall"] else None
    community_days = {row["_id"]: row for row in days["communities"]}
    now = c.now()
    per: dict[str, list[dict]] = {}
    for d in docs:
        per.setdefault(d["community"], []).append(d)
    return schemas.Statistics(
        opened_from=query.opened_from,
        opened_to=query.opened_to,
        overall=schemas.CommunityStatistics(
            community=query.community or "*", **domain.compute_statistics(docs, now, overall_days)
        ),
        communities=[
            schemas.CommunityStatistics(
                community=c, **domain.compute_statistics(items, now, community_days.get(c))
            )
            for c, items in sorted(per.items())
        ],
    )
