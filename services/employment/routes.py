"""The employment HTTP API: profiles, job postings, matches, referrals, outreach and statistics.

Who sees what: a resident sees their own profile; staff see the profiles of the communities they
serve; raw ID numbers and the employment-difficulty group only go to the owner and to the roles in
SENSITIVE_DATA_ROLES (serving the community); employers see candidates through referrals, masked and
without sensitive data, and only once a referral has been made.
"""

from __future__ import annotations

from civic146 import pii
from civic146.auth import (
    EMPLOYER,
    RESIDENT,
    STAFF_ROLES,
    Principal,
    actor_of,
    community_scope,
    principal,
    principal_pseudonym,
)
from civic146.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from civic146.web import ApiBlueprint, service_context

from . import domain, schemas, store, workflows
from . import metrics as m
from .context import Employment
from .matching import Unscorable, explain, job_features

bp = ApiBlueprint("employment", __name__, url_prefix="/v1", tag="employment")
ANY = ()
JOB_WRITERS = (EMPLOYER, *STAFF_ROLES)


def ctx() -> Employment:
    return service_context()


# --- scope ---------------------------------------------------------------------------------------------


def is_staff_for(p: Principal, community: str) -> bool:
    return p.has(*STAFF_ROLES) and p.serves(community)


def owns(p: Principal, seeker: dict) -> bool:
    """The resident's own profile, or the draft made from the resident's own request (intake's
    routed event named them by pseudonym)."""
    if not p.has(RESIDENT):
        return False
    if seeker.get("resident_id") == p.sub:
        return True
    return (
        seeker["status"] == "draft"
        and bool(seeker.get("owner_ref"))
        and seeker["owner_ref"] == principal_pseudonym()
    )


def plain_view(p: Principal, seeker: dict) -> bool:
    """Unmasked contact data and the request's own text: the owner (of a draft, the resident who
    submitted its request) and staff."""
    return owns(p, seeker) or is_staff_for(p, seeker["community"])


def sees_sensitive(p: Principal, seeker: dict) -> bool:
    return owns(p, seeker) or (p.has(*ctx().settings.sensitive_role_list) and p.serves(seeker["community"]))


def seeker_for(seeker_id: str, write: bool = False) -> tuple[dict, Principal]:
    p = principal()
    seeker = store.get("seekers", seeker_id)
    if not (owns(p, seeker) or is_staff_for(p, seeker["community"])):
        raise Forbidden(
            "only the resident and staff serving the community may "
            + ("change" if write else "see")
            + " this profile"
        )
    return seeker, p


def job_writer_for(job: dict, p: Principal) -> None:
    if not ((p.has(EMPLOYER) and job.get("employer_id") == p.sub) or is_staff_for(p, job["community"])):
        raise Forbidden("only the employer who posted it and staff serving its community may change this job")


def unscorable(exc: Unscorable, field: str, what: str) -> InvalidInput:
    """A stored profile or posting that matching cannot use (older data outside today's bounds):
    the request is refused with the reason, instead of failing."""
    return InvalidInput(
        f"the stored {what} cannot be matched; change it", [{"field": field, "message": str(exc)}]
    )


# --- presentation ----------------------------------------------------------------------------------------


def present_seeker(doc: dict, p: Principal) -> schemas.SeekerOut:
    sensitive = sees_sensitive(p, doc)
    person = None
    if doc.get("person"):
        raw = doc["person"]
        plain = plain_view(p, doc)
        person = schemas.PersonOut(
            name=raw["name"] if plain else pii.mask_name(raw["name"]),
            phone=raw["phone"] if plain else pii.mask_phone(raw["phone"]),
            id_number=raw.get("id_number") if sensitive else pii.mask_id_number(raw.get("id_number")),
            masked=not sensitive,
        )
    elif doc.get("submitter_masked"):
        person = schemas.PersonOut(**doc["submitter_masked"], masked=True)
    return schemas.SeekerOut(
        id=doc["_id"],
        status=doc["status"],
        source=doc["source"],
        request_id=doc.get("request_id"),
        community=doc["community"],
        compound=doc.get("compound"),
        description=pii.scrub_text(doc.get("description")) if plain_view(p, doc) else None,
        person=person,
        profile=doc.get("profile"),
        employment_difficulty=doc.get("employment_difficulty") if sensitive else None,
        consent=doc.get("consent"),
        placements=doc.get("placements", []),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        version=doc["version"],
    )


def present_job(doc: dict, p: Principal) -> schemas.JobOut:
    employer = doc.get("employer") or {}
    contact_ok = (p.has(EMPLOYER) and doc.get("employer_id") == p.sub) or is_staff_for(p, doc["community"])
    return schemas.JobOut(
        **{
            k: doc.get(k)
            for k in (
                "status",
                "source",
                "request_id",
                "title",
                "occupation",
                "hours",
                "pay",
                "community",
                "compound",
                "openings",
                "valid_from",
                "valid_until",
                "created_at",
                "version",
            )
        },
        id=doc["_id"],
        description=pii.scrub_text(
            doc.get("description"), () if contact_ok else domain.known_names(None, doc)
        ),
        employer_name=employer.get("name"),
        contact_name=employer.get("contact_name")
        if contact_ok
        else pii.mask_name(employer.get("contact_name")),
        contact_phone=employer.get("contact_phone")
        if contact_ok
        else pii.mask_phone(employer.get("contact_phone")),
        required_skills=doc.get("required_skills", []),
        optional_skills=doc.get("optional_skills", []),
        filled=doc.get("filled", 0),
        no_experience_needed=bool(doc.get("no_experience_needed")),
        min_experience_years=doc.get("min_experience_years") or 0,
        min_education=doc.get("min_education") or "none",
        age_friendly=bool(doc.get("age_friendly")),
        accessible=bool(doc.get("accessible")),
    )


def candidate(seeker: dict) -> schemas.CandidateOut:
    profile = seeker.get("profile") or {}
    return schemas.CandidateOut(
        seeker_id=seeker["_id"],
        name=pii.mask_name((seeker.get("person") or {}).get("name")),
        community=seeker["community"],
        desired_occupations=profile.get("desired_occupations", []),
        skills=profile.get("skills", []),
        experience=profile.get("experience", []),
        target_group=profile.get("target_group"),
    )


def reasons_out(match) -> list[schemas.ReasonOut]:
    return [
        schemas.ReasonOut(
            component=r.component,
            weight=r.weight,
            value=round(r.value, 4),
            contribution=round(r.contribution, 4),
            detail=r.detail,
        )
        for r in [*match.reasons, *match.blocked_by]
    ]


def present_referral(doc: dict, p: Principal, seeker: dict | None = None) -> schemas.ReferralOut:
    show_candidate = p.has(EMPLOYER, *STAFF_ROLES)
    if show_candidate and seeker is None:
        try:
            seeker = store.get("seekers", doc["seeker_id"])
        except NotFound:
            seeker = None
    return schemas.ReferralOut(
        **{
            k: doc.get(k)
            for k in (
                "seeker_id",
                "job_id",
                "job_title",
                "community",
                "job_community",
                "stage",
                "score",
                "reasons",
                "trigger",
                "decline_reason",
                "declined_by",
                "hired_at",
                "retention",
                "version",
            )
        },
        id=doc["_id"],
        candidate=candidate(seeker) if show_candidate and seeker else None,
        history=[schemas.HistoryOut.model_validate(h) for h in doc["history"]],
    )


def referral_for(
    referral_id: str, *, employer_may: bool = True, resident_may: bool = True
) -> tuple[dict, Principal]:
    p = principal()
    doc = store.get("referrals", referral_id)
    if is_staff_for(p, doc["community"]) or is_staff_for(p, doc["job_community"]):
        return doc, p
    if employer_may and p.has(EMPLOYER) and doc.get("employer_id") == p.sub and doc["stage"] != "suggested":
        return doc, p
    if resident_may and p.has(RESIDENT):
        seeker = store.get("seekers", doc["seeker_id"])
        if owns(p, seeker):
            return doc, p
    raise Forbidden("you may not act on this referral")


# --- vocabulary -------------------------------------------------------------------------------------------


@bp.endpoint(
    "/vocabulary",
    "GET",
    summary="Occupations (with related and substitutable ones) and skills",
    response=schemas.VocabularyOut,
    roles=None,
)
def get_vocabulary():
    v = ctx().vocab
    return schemas.VocabularyOut(
        occupations=[
            schemas.VocabularyItem(
                id=o.id,
                label_zh=o.label_zh,
                label_en=o.label_en,
                substitutable=list(o.substitutable),
                related=list(o.related),
            )
            for o in v.occupations.values()
        ],
        skills=[
            schemas.VocabularyItem(id=s.id, label_zh=s.label_zh, label_en=s.label_en)
            for s in v.skills.values()
        ],
    )


# --- seekers ------------------------------------------------------------------------------------------------


@bp.endpoint(
    "/seekers",
    "POST",
    summary="Register a seeker profile (with consent)",
    body=schemas.SeekerIn,
    response=schemas.SeekerOut,
    status=201,
    roles=(RESIDENT, *STAFF_ROLES),
)
def register_seeker(body: schemas.SeekerIn):
    c, p = ctx(), principal()
    if not p.has(RESIDENT) and not p.serves(body.community):
        raise Forbidden(f"you do not serve community {body.community}")
    doc, change = domain.register_seeker(
        body.model_dump(mode="json"), actor_of(p), c.now(), c.settings.consent_retention_days
    )
    doc = store.insert(c.outbox, "seekers", doc, change)
    m.SEEKERS_REGISTERED.labels(doc["community"], domain.group_label(doc)).inc()
    return present_seeker(doc, p)


@bp.endpoint(
    "/seekers",
    "GET",
    summary="Profiles of the communities you serve",
    query=schemas.SeekerListQuery,
    response=schemas.SeekerPage,
    roles=STAFF_ROLES,
)
def list_seekers(query: schemas.SeekerListQuery):
    p = principal()
    flt = community_scope(p, query.community)
    if query.status:
        flt["status"] = query.status
    docs = store.find("seekers", flt, query.limit, [("created_at", -1)])
    return schemas.SeekerPage(items=[present_seeker(d, p) for d in docs])


@bp.endpoint(
    "/seekers/mine",
    "GET",
    summary="Your own profiles (residents)",
    response=schemas.SeekerPage,
    roles=(RESIDENT,),
)
def my_profiles():
    p = principal()
    return schemas.SeekerPage(
        items=[present_seeker(d, p) for d in store.find("seekers", {"resident_id": p.sub})]
    )


def seeker_of_request(request_id: str) -> dict:
    [doc] = store.find("seekers", {"request_id": request_id}, 1) or [None]
    if doc is None:
        raise NotFound(f"no profile for request {request_id}")
    return doc


@bp.endpoint(
    "/seekers/by-request/<request_id>",
    "GET",
    summary="The profile made from an intake request (staff "
    "serving the community; the resident once it is theirs)",
    response=schemas.SeekerOut,
    roles=(RESIDENT, *STAFF_ROLES),
)
def seeker_by_request(request_id: str):
    p = principal()
    doc = seeker_of_request(request_id)
    if not (owns(p, doc) or is_staff_for(p, doc["community"])):
        raise Forbidden(
            "staff serving the community and the resident it belongs to may see this profile; for "
            "a request staff entered for a resident, the resident finds the draft with POST "
            f"/v1/seekers/by-request/{request_id}/lookup, giving the name and phone of the request"
        )
    return present_seeker(doc, p)


@bp.endpoint(
    "/seekers/by-request/<request_id>/lookup",
    "POST",
    summary="A resident finds the draft profile made "
    "from their intake request, giving the full name and phone of the request (kept out of the URL)",
    body=schemas.DraftLookupIn,
    response=schemas.SeekerOut,
    roles=(RESIDENT,),
    throttled="guess",
)
def find_own_draft(request_id: str, body: schemas.DraftLookupIn):
    p = principal()
    doc = seeker_of_request(request_id)
    if not owns(p, doc):
        if doc["status"] != "draft":
            raise Forbidden("this profile belongs to another resident")
        domain.check_claim(doc, body.model_dump(), domain.Actor(p.sub, RESIDENT), principal_pseudonym())
    return present_seeker(doc, p)


@bp.endpoint(
    "/seekers/<seeker_id>",
    "GET",
    summary="One profile",
    response=schemas.SeekerOut,
    roles=(RESIDENT, *STAFF_ROLES),
)
def get_seeker(seeker_id: str):
    doc, p = seeker_for(seeker_id)
    return present_seeker(doc, p)


@bp.endpoint(
    "/seekers/<seeker_id>/complete",
    "POST",
    summary="Complete a draft profile, with consent",
    body=schemas.SeekerIn,
    response=schemas.SeekerOut,
    roles=(RESIDENT, *STAFF_ROLES),
)
def complete_seeker(seeker_id: str, body: schemas.SeekerIn):
    c, p = ctx(), principal()
    doc = store.get("seekers", seeker_id)
    if not (p.has(RESIDENT) or is_staff_for(p, doc["community"])):
        raise Forbidden(f"you do not serve community {doc['community']}")
    if not (owns(p, doc) or is_staff_for(p, doc["community"]) or doc["status"] == "draft"):
        # Before the domain's status check: its 409 would tell another resident this profile's status.
        raise Forbidden("this profile belongs to another resident")
    change = domain.complete_seeker(
        doc,
        body.model_dump(mode="json"),
        actor_of(p),
        c.now(),
        c.settings.consent_retention_days,
        principal_pseudonym(),
    )
    doc = store.apply(c.outbox, "seekers", doc, change)
    m.SEEKERS_REGISTERED.labels(doc["community"], domain.group_label(doc)).inc()
    return present_seeker(doc, p)


@bp.endpoint(
    "/seekers/<seeker_id>/profile",
    "PUT",
    summary="Change the profile (it is matched again)",
    body=schemas.ProfileUpdateIn,
    response=schemas.SeekerOut,
    roles=(RESIDENT, *STAFF_ROLES),
)
def update_profile(seeker_id: str, body: schemas.ProfileUpdateIn):
    doc, p = seeker_for(seeker_id, write=True)
    change = domain.update_profile(doc, body.profile.model_dump(mode="json"), actor_of(p), ctx().now())
    return present_seeker(store.apply(ctx().outbox, "seekers", doc, change), p)


@bp.endpoint(
    "/seekers/<seeker_id>/withdraw-consent",
    "POST",
    summary="Withdraw consent: the profile is closed and personal data erased",
    response=schemas.SeekerOut,
    roles=(RESIDENT, *STAFF_ROLES),
)
def withdraw_consent(seeker_id: str):
    doc, p = seeker_for(seeker_id, write=True)
    change = domain.close_seeker(doc, "consent_withdrawn", actor_of(p), ctx().now())
    return present_seeker(store.apply(ctx().outbox, "seekers", doc, change), p)


@bp.endpoint(
    "/seekers/<seeker_id>/matches",
    "GET",
    summary="Best jobs for a seeker, with the reasons of each score",
    query=schemas.TopQuery,
    response=schemas.JobMatchList,
    roles=(RESIDENT, *STAFF_ROLES),
)
def seeker_matches(seeker_id: str, query: schemas.TopQuery):
    doc, _ = seeker_for(seeker_id)
    if doc["status"] not in ("active", "placed"):
        raise InvalidInput(
            "the profile is not complete", [{"field": "seeker_id", "message": f"status {doc['status']}"}]
        )
    c = ctx()
    try:
        ranked = workflows.top_jobs(c, doc, c.now(), query.k)
    except Unscorable as exc:
        raise unscorable(exc, "seeker_id", "profile") from None
    items = [
        schemas.JobMatch(
            job_id=j["_id"],
            title=j["title"],
            employer_name=j["employer"]["name"],
            community=j["community"],
            score=round(mt.score, 4),
            reasons=reasons_out(mt),
        )
        for j, mt in ranked
    ]
    return schemas.JobMatchList(seeker_id=seeker_id, items=items)


# --- jobs ---------------------------------------------------------------------------------------------------


@bp.endpoint(
    "/jobs",
    "POST",
    summary="Post a job (employers for themselves, staff for a local employer)",
    body=schemas.JobIn,
    response=schemas.JobOut,
    status=201,
    roles=JOB_WRITERS,
)
def post_job(body: schemas.JobIn):
    c, p = ctx(), principal()
    if not p.has(EMPLOYER) and not p.serves(body.community):
        raise Forbidden(f"you do not serve community {body.community}")
    doc, change = domain.post_job(
        body.model_dump(mode="python"), actor_of(p), p.sub if p.has(EMPLOYER) else None, c.now()
    )
    doc = store.insert(c.outbox, "jobs", doc, change)
    m.JOBS_POSTED.labels(doc["community"]).inc()
    return present_job(doc, p)


@bp.endpoint(
    "/jobs",
    "GET",
    summary="Jobs (open ones by default)",
    query=schemas.JobListQuery,
    response=schemas.JobPage,
    roles=ANY,
)
def list_jobs(query: schemas.JobListQuery):
    p = principal()
    flt = {"status": query.status}
    for key in ("community", "occupation"):
        if getattr(query, key):
            flt[key] = getattr(query, key)
    if query.status == "draft":  # drafts are staff work
        flt.update(community_scope(p, query.community) if p.has(*STAFF_ROLES) else {"_id": None})
    docs = store.find("jobs", flt, query.limit, [("created_at", -1)])
    return schemas.JobPage(items=[present_job(d, p) for d in docs])


@bp.endpoint(
    "/jobs/by-request/<request_id>",
    "GET",
    summary="The draft posting made from an intake request",
    response=schemas.JobOut,
    roles=STAFF_ROLES,
)
def job_by_request(request_id: str):
    p = principal()
    [doc] = store.find("jobs", {"request_id": request_id}, 1) or [None]
    if doc is None:
        raise NotFound(f"no job for request {request_id}")
    if not is_staff_for(p, doc["community"]):
        raise Forbidden(f"you do not serve community {doc['community']}")
    return present_job(doc, p)


@bp.endpoint("/jobs/<job_id>", "GET", summary="One job", response=schemas.JobOut, roles=ANY)
def get_job(job_id: str):
    p = principal()
    doc = store.get("jobs", job_id)
    if doc["status"] == "draft" and not is_staff_for(p, doc["community"]):
        raise Forbidden("drafts are visible to staff serving the community")
    return present_job(doc, p)


@bp.endpoint(
    "/jobs/<job_id>/publish",
    "POST",
    summary="Complete and open a draft posting from intake",
    body=schemas.JobIn,
    response=schemas.JobOut,
    roles=STAFF_ROLES,
)
def publish_job(job_id: str, body: schemas.JobIn):
    c, p = ctx(), principal()
    doc = store.get("jobs", job_id)
    job_writer_for(doc, p)
    doc = store.apply(
        c.outbox,
        "jobs",
        doc,
        domain.publish_draft(doc, body.model_dump(mode="python"), actor_of(p), None, c.now()),
    )
    m.JOBS_POSTED.labels(doc["community"]).inc()
    return present_job(doc, p)


@bp.endpoint(
    "/jobs/<job_id>/close",
    "POST",
    summary="Stop taking candidates",
    body=schemas.CloseJobIn,
    response=schemas.JobOut,
    roles=JOB_WRITERS,
)
def close_job(job_id: str, body: schemas.CloseJobIn):
    c, p = ctx(), principal()
    doc = store.get("jobs", job_id)
    job_writer_for(doc, p)
    return present_job(
        store.apply(c.outbox, "jobs", doc, domain.close_job(doc, body.reason, actor_of(p), c.now())), p
    )


@bp.endpoint(
    "/jobs/<job_id>/candidates",
    "GET",
    summary="Best seekers for a job, with the reasons of each score",
    query=schemas.TopQuery,
    response=schemas.CandidateList,
    roles=STAFF_ROLES,
)
def job_candidates(job_id: str, query: schemas.TopQuery):
    c, p = ctx(), principal()
    doc = store.get("jobs", job_id)
    if not is_staff_for(p, doc["community"]):
        raise Forbidden(f"you do not serve community {doc['community']}")
    if doc["status"] == "draft":
        raise InvalidInput("the posting is a draft", [{"field": "job_id", "message": "publish it first"}])
    try:
        ranked = workflows.top_seekers(c, doc, c.now(), query.k)
    except Unscorable as exc:
        raise unscorable(exc, "job_id", "posting") from None
    return schemas.CandidateList(
        job_id=job_id,
        items=[
            schemas.CandidateMatch(candidate=candidate(s), score=round(mt.score, 4), reasons=reasons_out(mt))
            for s, mt in ranked
        ],
    )


# --- referrals ----------------------------------------------------------------------------------------------


def commit_referral(doc: dict, change) -> dict:
    doc = store.apply(ctx().outbox, "referrals", doc, change)
    if "stage" in change.set:
        m.REFERRAL_TRANSITIONS.labels(doc["community"], doc["stage"]).inc()
    return doc


@bp.endpoint(
    "/referrals",
    "POST",
    summary="Refer a seeker to a job (staff, or the resident applying)",
    body=schemas.ReferralIn,
    response=schemas.ReferralOut,
    status=201,
    roles=(RESIDENT, *STAFF_ROLES),
)
def create_referral(body: schemas.ReferralIn):
    c, p = ctx(), principal()
    seeker, _ = seeker_for(body.seeker_id, write=True)
    job = store.get("jobs", body.job_id)
    if seeker["status"] not in ("active", "placed"):
        raise InvalidInput(
            "the profile is not complete", [{"field": "seeker_id", "message": f"status {seeker['status']}"}]
        )
    if job["status"] != "open":  # a draft has no hours or pay to score yet; a closed job takes nobody
        raise InvalidTransition(
            f"the job is {job['status']}; only an open job takes referrals",
            {"field": "job_id", "status": job["status"]},
        )
    now = c.now()
    try:
        existing = store.get("referrals", domain.referral_id(seeker["_id"], job["_id"]))
    except NotFound:
        existing = None
    if existing is not None:
        doc = commit_referral(existing, domain.transition(existing, "refer", actor_of(p), now))
    else:
        try:
            seeker_f = workflows.seeker_features(seeker, c.vocab)
        except Unscorable as exc:
            raise unscorable(exc, "seeker_id", "profile") from None
        try:
            job_f = job_features(job, c.vocab, now)
        except Unscorable as exc:
            raise unscorable(exc, "job_id", "posting") from None
        match = explain(seeker_f, job_f, c.vocab)
        doc, change = domain.new_referral(seeker, job, match, "staff", actor_of(p), now, stage="referred")
        doc = store.insert(c.outbox, "referrals", doc, change)
        m.REFERRAL_TRANSITIONS.labels(doc["community"], "referred").inc()
    if owns(p, seeker):
        workflows.seeker_acted(c, seeker["_id"], now)
    return present_referral(doc, p, seeker)


@bp.endpoint(
    "/referrals",
    "GET",
    summary="Referrals you may see",
    query=schemas.ReferralListQuery,
    response=schemas.ReferralPage,
    roles=(RESIDENT, EMPLOYER, *STAFF_ROLES),
)
def list_referrals(query: schemas.ReferralListQuery):
    p = principal()
    flt: dict = {k: getattr(query, k) for k in ("seeker_id", "job_id", "stage") if getattr(query, k)}
    if p.has(*STAFF_ROLES):
        if query.community and not p.serves(query.community):
            raise Forbidden(f"you do not serve community {query.community}")
        if not p.is_admin or query.community:
            served = [query.community] if query.community else sorted(p.communities)
            flt["$or"] = [{"community": {"$in": served}}, {"job_community": {"$in": served}}]
    elif p.has(EMPLOYER):
        flt.update(employer_id=p.sub, stage=flt.get("stage") or {"$ne": "suggested"})
        if flt["stage"] == "suggested":
            return schemas.ReferralPage(items=[])
    else:
        own = [s["_id"] for s in store.find("seekers", {"resident_id": p.sub})]
        flt["seeker_id"] = flt["seeker_id"] if flt.get("seeker_id") in own else {"$in": own}
    docs = store.find("referrals", flt, query.limit, [("created_at", -1)])
    return schemas.ReferralPage(items=[present_referral(d, p) for d in docs])


@bp.endpoint(
    "/referrals/<referral_id>",
    "GET",
    summary="One referral with its reasons and history",
    response=schemas.ReferralOut,
    roles=(RESIDENT, EMPLOYER, *STAFF_ROLES),
)
def get_referral(referral_id: str):
    doc, p = referral_for(referral_id)
    return present_referral(doc, p)


def _stage_action(referral_id: str, action: str, *, employer_may: bool, resident_may: bool):
    c = ctx()
    doc, p = referral_for(referral_id, employer_may=employer_may, resident_may=resident_may)
    domain.check_job_open(store.get("jobs", doc["job_id"]), action)
    now = c.now()
    doc = commit_referral(doc, domain.transition(doc, action, actor_of(p), now))
    if resident_may and p.has(RESIDENT) and owns(p, store.get("seekers", doc["seeker_id"])):
        workflows.seeker_acted(c, doc["seeker_id"], now)
    return present_referral(doc, p)


@bp.endpoint(
    "/referrals/<referral_id>/refer",
    "POST",
    summary="Refer a suggested match to the employer",
    response=schemas.ReferralOut,
    roles=(RESIDENT, *STAFF_ROLES),
)
def refer(referral_id: str):
    return _stage_action(referral_id, "refer", employer_may=False, resident_may=True)


@bp.endpoint(
    "/referrals/<referral_id>/interview",
    "POST",
    summary="An interview is arranged",
    response=schemas.ReferralOut,
    roles=(EMPLOYER, *STAFF_ROLES),
)
def interview(referral_id: str):
    return _stage_action(referral_id, "interview", employer_may=True, resident_may=False)


@bp.endpoint(
    "/referrals/<referral_id>/offer",
    "POST",
    summary="The employer made an offer",
    response=schemas.ReferralOut,
    roles=(EMPLOYER, *STAFF_ROLES),
)
def offer(referral_id: str):
    return _stage_action(referral_id, "offer", employer_may=True, resident_may=False)


@bp.endpoint(
    "/referrals/<referral_id>/hire",
    "POST",
    summary="The seeker was hired (the intake request is resolved)",
    response=schemas.ReferralOut,
    roles=(EMPLOYER, *STAFF_ROLES),
)
def hire(referral_id: str):
    c = ctx()
    doc, p = referral_for(referral_id, resident_may=False)
    now = c.now()
    doc = workflows.hire(c, doc, actor_of(p), now)
    m.REFERRAL_TRANSITIONS.labels(doc["community"], doc["stage"]).inc()
    m.PLACEMENTS.labels(doc["community"], doc.get("target_group") or "none").inc()
    workflows.sync_placement_now(
        c, doc, now
    )  # if this fails the worker finishes it (placement_synced is false)
    return present_referral(doc, p)


@bp.endpoint(
    "/referrals/<referral_id>/decline",
    "POST",
    summary="Declined by the seeker, the employer or staff",
    body=schemas.DeclineIn,
    response=schemas.ReferralOut,
    roles=(RESIDENT, EMPLOYER, *STAFF_ROLES),
)
def decline(referral_id: str, body: schemas.DeclineIn):
    c = ctx()
    doc, p = referral_for(referral_id)
    seeker = store.get("seekers", doc["seeker_id"])
    if not (is_staff_for(p, doc["community"]) or is_staff_for(p, doc["job_community"])):
        # outside staff, one declines for one's own side only (referral_for let them act on one side)
        own_side = "seeker" if owns(p, seeker) else "employer"
        if body.declined_by != own_side:
            raise InvalidInput(
                f"you decline as the {own_side}", [{"field": "declined_by", "message": f"must be {own_side}"}]
            )
    now = c.now()
    change = domain.transition(
        doc,
        "decline",
        actor_of(p),
        now,
        body.reason,
        body.declined_by,
        names=domain.known_names(seeker, store.get("jobs", doc["job_id"])),
    )
    doc = commit_referral(doc, change)
    if body.declined_by == "seeker":
        workflows.seeker_acted(c, seeker["_id"], now)
    return present_referral(doc, p, seeker)


@bp.endpoint(
    "/referrals/<referral_id>/retention-checks",
    "POST",
    summary="Record the outcome of a due retention check",
    body=schemas.RetentionIn,
    response=schemas.ReferralOut,
    roles=STAFF_ROLES,
)
def record_retention(referral_id: str, body: schemas.RetentionIn):
    c = ctx()
    doc, p = referral_for(referral_id, employer_may=False, resident_may=False)
    now = c.now()
    names = domain.known_names(store.get("seekers", doc["seeker_id"]), store.get("jobs", doc["job_id"]))
    doc = commit_referral(
        doc, domain.record_retention(doc, body.checkpoint, body.outcome, body.reason, actor_of(p), now, names)
    )
    m.RETENTION_CHECKS.labels(str(body.checkpoint), body.outcome).inc()
    if body.outcome == "left":
        workflows.sync_placement_now(c, doc, now)
    return present_referral(doc, p)


# --- outreach, job fairs, statistics
# ---------------------------------------------------------------------------


def present_task(doc: dict) -> schemas.OutreachOut:
    return schemas.OutreachOut(
        **{k: doc.get(k) for k in schemas.OutreachOut.model_fields if k != "id"}, id=doc["_id"]
    )


@bp.endpoint(
    "/outreach-tasks",
    "GET",
    summary="Outreach tasks for community staff",
    query=schemas.OutreachQuery,
    response=schemas.OutreachPage,
    roles=STAFF_ROLES,
)
def list_outreach(query: schemas.OutreachQuery):
    flt = community_scope(principal(), query.community)
    if query.status:
        flt["status"] = query.status
    return schemas.OutreachPage(
        items=[present_task(d) for d in store.find("outreach_tasks", flt, 200, [("created_at", -1)])]
    )


@bp.endpoint(
    "/outreach-tasks/<task_id>/done",
    "POST",
    summary="Record the outcome of an outreach task",
    body=schemas.OutreachDoneIn,
    response=schemas.OutreachOut,
    roles=STAFF_ROLES,
)
def outreach_done(task_id: str, body: schemas.OutreachDoneIn):
    c, p = ctx(), principal()
    doc = store.get("outreach_tasks", task_id)
    if not p.serves(doc["community"]):
        raise Forbidden(f"you do not serve community {doc['community']}")
    names = domain.known_names(store.get("seekers", doc["seeker_id"]), store.get("jobs", doc["job_id"]))
    change = domain.outreach_done(doc, body.outcome, body.note, actor_of(p), c.now(), names)
    return present_task(store.apply(c.outbox, "outreach_tasks", doc, change))


@bp.endpoint(
    "/job-fair-rounds",
    "POST",
    summary="Run a job-fair round: stable matching with openings as capacities",
    body=schemas.RoundIn,
    response=schemas.RoundOut,
    roles=STAFF_ROLES,
)
def job_fair_round(body: schemas.RoundIn):
    c, p = ctx(), principal()
    if body.community is None and not p.is_admin:
        raise InvalidInput(
            "name a community", [{"field": "community", "message": "required for community staff"}]
        )
    if body.community is not None and not p.serves(body.community):
        raise Forbidden(f"you do not serve community {body.community}")
    return workflows.job_fair_round(c, c.now(), body.community, body.min_score)


@bp.endpoint(
    "/statistics",
    "GET",
    summary="Seekers, placements, time to placement, retention, open jobs",
    query=schemas.StatisticsQuery,
    response=schemas.Statistics,
    roles=STAFF_ROLES,
)
def get_statistics(query: schemas.StatisticsQuery):
    p = principal()
    if query.community is None and not p.is_admin:
        raise InvalidInput(
            "name a community", [{"field": "community", "message": "required for community staff"}]
        )
    flt = community_scope(p, query.community)
    seekers = store.find("seekers", flt)
    referrals = store.find("referrals", {**flt, "hired_at": {"$ne": None}})
    jobs = store.find("jobs", {**flt, "status": "open"})
    with_sensitive = p.has(*ctx().settings.sensitive_role_list)
    return schemas.Statistics(
        community=query.community, **domain.compute_statistics(seekers, referrals, jobs, with_sensitive)
    )


# --- factory
