"""Intake's HTTP routes: the platform's front door for residents, staff and other systems. Each view
authorises, calls one use case (actions) or query (store), and presents the result."""

from __future__ import annotations

from datetime import datetime

from civic146 import paging, pii
from civic146.auth import (
    COMMUNITY_STAFF,
    CPPCC_MEMBER,
    DEPUTY,
    EXTERNAL_SYSTEM,
    RESIDENT,
    STAFF_ROLES,
    SUBDISTRICT_ADMIN,
    Principal,
    actor_of,
    community_scope,
    principal,
    require_named_community,
)
from civic146.errors import Forbidden
from civic146.reference import COMMUNITIES
from civic146.web import ApiBlueprint, service_context

from . import actions, domain, reference, schemas, store
from .context import Intake

SUBMITTERS = (RESIDENT, COMMUNITY_STAFF, SUBDISTRICT_ADMIN, EXTERNAL_SYSTEM, DEPUTY, CPPCC_MEMBER)
READERS = (RESIDENT, COMMUNITY_STAFF, SUBDISTRICT_ADMIN, DEPUTY, CPPCC_MEMBER, EXTERNAL_SYSTEM)

bp = ApiBlueprint("intake", __name__, url_prefix="/v1", tag="requests")


def ctx() -> Intake:
    return service_context()


# --- presentation and scope ------------------------------------------------------------------


def sees_personal_data(doc: dict, p: Principal) -> bool:
    return doc.get("submitted_by") == p.sub or (p.has(*STAFF_ROLES) and p.serves(doc["community"]))


FREE_TEXT = ("description", "location", "rejection_reason", "outcome")


def present(doc: dict, p: Principal) -> schemas.RequestOut:
    """The request as `p` may see it: roles that don't need personal data get it masked, in the
    submitter's fields and in every free text (where residents type numbers and names)."""
    raw = doc["submitter"]
    show = sees_personal_data(doc, p)
    text = (lambda t: t) if show else (lambda t: domain.scrub(doc, t))
    submitter = schemas.SubmitterOut(
        name=raw["name"] if show else pii.mask_name(raw["name"]),
        phone=raw["phone"] if show else pii.mask_phone(raw["phone"]),
        id_number=raw.get("id_number") if show else pii.mask_id_number(raw.get("id_number")),
        masked=not show,
    )
    plain = {
        k: doc.get(k)
        for k in schemas.RequestOut.model_fields
        if k not in ("id", "submitter", "history", "response_overdue", "resolution_overdue", *FREE_TEXT)
    }
    return schemas.RequestOut(
        **plain,
        **{k: text(doc.get(k)) for k in FREE_TEXT},
        id=doc["_id"],
        submitter=submitter,
        response_overdue=bool(doc.get("response_overdue")),
        resolution_overdue=bool(doc.get("resolution_overdue")),
        history=[
            schemas.HistoryOut.model_validate({**h, "reason": text(h.get("reason"))}) for h in doc["history"]
        ],
    )


def check_can_read(doc: dict, p: Principal) -> None:
    if p.has(RESIDENT) and not p.has(*STAFF_ROLES):
        if doc.get("submitted_by") != p.sub:
            raise Forbidden("residents see only their own requests")
    elif not p.serves(doc["community"]):
        raise Forbidden(f"you do not serve community {doc['community']}")


def check_staff_scope(community: str, p: Principal) -> None:
    if not p.serves(community):
        raise Forbidden(f"you do not serve community {community}")


def load_for_staff(request_id: str) -> tuple[dict, Principal]:
    p = principal()
    doc = store.get(request_id)
    check_staff_scope(doc["community"], p)
    return doc, p


# --- submitting --------------------------------------------------------------------------------


@bp.endpoint(
    "/requests",
    "POST",
    summary="Submit a request",
    body=schemas.SubmitRequestIn,
    response=schemas.RequestOut,
    status=201,
    roles=SUBMITTERS,
)
def submit_request(body: schemas.SubmitRequestIn):
    p = principal()
    if not p.has(RESIDENT, EXTERNAL_SYSTEM):
        check_staff_scope(body.community, p)
    return present(actions.submit(ctx(), body.model_dump(mode="json"), actor_of(p)), p)


# --- reading -----------------------------------------------------------------------------------


def scope_filter(p: Principal, community: str | None) -> dict:
    if p.has(RESIDENT) and not p.has(*STAFF_ROLES):
        return {"submitted_by": p.sub, **({"community": community} if community else {})}
    return community_scope(p, community)


def date_filter(start: datetime | None, end: datetime | None) -> dict:
    span = {**({"$gte": start} if start else {}), **({"$lt": end} if end else {})}
    return {"submitted_at": span} if span else {}


@bp.endpoint(
    "/requests",
    "GET",
    summary="List requests (newest first, cursor pagination)",
    query=schemas.ListQuery,
    response=schemas.RequestPage,
    roles=READERS,
)
def list_requests(query: schemas.ListQuery):
    p = principal()
    flt = {**scope_filter(p, query.community), **date_filter(query.submitted_from, query.submitted_to)}
    for key in ("status", "category", "channel"):
        if getattr(query, key):
            flt[key] = getattr(query, key)
    conditions = [flt]
    if query.overdue is not None:
        either = [{"response_overdue": True}, {"resolution_overdue": True}]
        conditions.append({"$or": either} if query.overdue else {"$nor": either})
    if query.cursor:
        conditions.append(paging.after(query.cursor, "submitted_at"))
    docs, next_cursor = paging.page_of(store.page(conditions, query.limit + 1), query.limit, "submitted_at")
    return schemas.RequestPage(items=[present(d, p) for d in docs], next_cursor=next_cursor)


@bp.endpoint(
    "/requests/<request_id>",
    "GET",
    summary="One request with its history",
    response=schemas.RequestOut,
    roles=READERS,
)
def get_request(request_id: str):
    p = principal()
    doc = store.get(request_id)
    check_can_read(doc, p)
    return present(doc, p)


@bp.endpoint(
    "/requests/<request_id>/duplicates",
    "GET",
    summary="Possible duplicates, most similar first (a page of the ranking: limit, offset)",
    query=schemas.DuplicatesQuery,
    response=schemas.DuplicateList,
    roles=STAFF_ROLES,
)
def duplicate_suggestions(request_id: str, query: schemas.DuplicatesQuery):
    doc, _ = load_for_staff(request_id)
    ranking = domain.rank_duplicates(doc, store.duplicate_candidates(doc, ctx().policy.duplicate_window))
    ranked = ranking[query.offset : query.offset + query.limit]
    end = query.offset + len(ranked)
    return schemas.DuplicateList(
        total=len(ranking),
        compared_at_most=store.DUPLICATE_CANDIDATES,
        next_offset=end if end < len(ranking) else None,
        items=[
            schemas.DuplicateOut(
                id=c["_id"],
                similarity=round(s, 3),
                status=c["status"],
                submitted_at=c["submitted_at"],
                description=domain.scrub(c, c["description"]),
            )
            for c, s in ranked
        ],
    )


# --- staff actions -----------------------------------------------------------------------------


@bp.endpoint(
    "/requests/<request_id>/accept",
    "POST",
    summary="Accept (responds to the resident)",
    response=schemas.RequestOut,
    roles=STAFF_ROLES,
)
def accept(request_id: str):
    doc, p = load_for_staff(request_id)
    return present(actions.accept(ctx(), doc, actor_of(p)), p)


@bp.endpoint(
    "/requests/<request_id>/reject",
    "POST",
    summary="Reject with a reason",
    body=schemas.ReasonIn,
    response=schemas.RequestOut,
    roles=STAFF_ROLES,
)
def reject(request_id: str, body: schemas.ReasonIn):
    doc, p = load_for_staff(request_id)
    return present(actions.reject(ctx(), doc, actor_of(p), body.reason), p)


@bp.endpoint(
    "/requests/<request_id>/mark-duplicate",
    "POST",
    summary="Merge into an earlier request",
    body=schemas.DuplicateIn,
    response=schemas.RequestOut,
    roles=STAFF_ROLES,
)
def mark_duplicate(request_id: str, body: schemas.DuplicateIn):
    doc, p = load_for_staff(request_id)
    return present(actions.mark_duplicate(ctx(), doc, actor_of(p), body.duplicate_of), p)


@bp.endpoint(
    "/requests/<request_id>/route",
    "POST",
    summary="Route or reroute (default: the category's target)",
    body=schemas.RouteIn,
    response=schemas.RequestOut,
    roles=STAFF_ROLES,
)
def route(request_id: str, body: schemas.RouteIn):
    doc, p = load_for_staff(request_id)
    return present(actions.route(ctx(), doc, actor_of(p), body.target, body.department, body.note), p)


@bp.endpoint(
    "/requests/<request_id>/start",
    "POST",
    summary="Mark as being handled (direct handling)",
    body=schemas.StartIn,
    response=schemas.RequestOut,
    roles=STAFF_ROLES,
)
def start(request_id: str, body: schemas.StartIn):
    doc, p = load_for_staff(request_id)
    return present(actions.start(ctx(), doc, actor_of(p), body.handled_by, body.reference, body.summary), p)


@bp.endpoint(
    "/requests/<request_id>/resolve",
    "POST",
    summary="Resolve with the outcome",
    body=schemas.ResolveIn,
    response=schemas.RequestOut,
    roles=STAFF_ROLES,
)
def resolve(request_id: str, body: schemas.ResolveIn):
    doc, p = load_for_staff(request_id)
    return present(actions.resolve(ctx(), doc, actor_of(p), body.outcome, body.reference), p)


@bp.endpoint(
    "/requests/<request_id>/close",
    "POST",
    summary="Close a resolved request",
    response=schemas.RequestOut,
    roles=STAFF_ROLES,
)
def close(request_id: str):
    doc, p = load_for_staff(request_id)
    return present(actions.close(ctx(), doc, actor_of(p)), p)


# --- the resident's feedback (step 6) ------------------------------------------------------------


def load_own(request_id: str) -> tuple[dict, Principal]:
    p = principal()
    doc = store.get(request_id)
    check_can_read(doc, p)
    return doc, p


@bp.endpoint(
    "/requests/<request_id>/rating",
    "POST",
    summary="Rate the handling 1-5 (the submitter)",
    body=schemas.RatingIn,
    response=schemas.RequestOut,
    status=201,
    roles=(RESIDENT,),
)
def rate(request_id: str, body: schemas.RatingIn):
    doc, p = load_own(request_id)
    return present(actions.rate(ctx(), doc, actor_of(p), body.satisfaction, body.comment), p)


@bp.endpoint(
    "/requests/<request_id>/reopen",
    "POST",
    summary="Reopen within the window (the submitter)",
    body=schemas.ReasonIn,
    response=schemas.RequestOut,
    roles=(RESIDENT,),
)
def reopen(request_id: str, body: schemas.ReasonIn):
    doc, p = load_own(request_id)
    return present(actions.reopen(ctx(), doc, actor_of(p), body.reason), p)


# --- catalogue and statistics --------------------------------------------------------------------


@bp.endpoint(
    "/categories", "GET", summary="The category catalogue", response=schemas.CategoryList, roles=None
)
def list_categories():
    return schemas.CategoryList(
        items=[
            schemas.CategoryOut(**{k: getattr(c, k) for k in schemas.CategoryOut.model_fields})
            for c in ctx().categories.values()
        ]
    )


@bp.endpoint(
    "/categories/suggest",
    "GET",
    summary="Suggest categories for a text",
    query=schemas.SuggestQuery,
    response=schemas.SuggestionList,
    roles=None,
)
def suggest_category(query: schemas.SuggestQuery):
    return schemas.SuggestionList(
        items=[
            schemas.Suggestion(category=c, hits=n) for c, n in reference.suggest(query.text, ctx().categories)
        ]
    )


@bp.endpoint(
    "/statistics",
    "GET",
    summary="Indicators per community and period",
    query=schemas.StatisticsQuery,
    response=schemas.Statistics,
    roles=STAFF_ROLES,
)
def statistics(query: schemas.StatisticsQuery):
    p = principal()
    if not query.by_community:
        require_named_community(p, query.community)
    flt = {**scope_filter(p, query.community), **date_filter(query.submitted_from, query.submitted_to)}
    docs = store.statistics_rows(flt)
    per_community = None
    if query.by_community:
        in_scope = [c for c in COMMUNITIES() if (query.community or c) == c and p.serves(c)]
        per_community = [
            schemas.CommunityIndicators(community=c, **indicators)
            for c, indicators in domain.statistics_by_community(docs, in_scope).items()
        ]
    return schemas.Statistics(
        community=query.community,
        submitted_from=query.submitted_from,
        submitted_to=query.submitted_to,
        communities=per_community,
        **domain.compute_statistics(docs),
    )
