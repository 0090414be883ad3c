"""HTTP routes of job postings: posting (employers for themselves, staff for a local employer),
drafts from intake requests, publishing and closing, a job's best candidates, and the vocabulary
postings and profiles are written in. Each view authorises, calls one use case (writes) or query
(reads), and presents the result."""

from __future__ import annotations

from civic146 import pii
from civic146.auth import (
    EMPLOYER,
    STAFF_ROLES,
    Principal,
    actor_of,
    community_scope,
    principal,
    require_named_community,
)
from civic146.errors import Forbidden, InvalidInput, NotFound
from civic146.web import ApiBlueprint

from .. import ranking, statistics
from ..access import ctx, is_staff_for
from ..common import known_names
from ..schemas import TopQuery, candidate_out, reasons_out
from . import actions as job_actions
from . import schemas, store

bp = ApiBlueprint("jobs", __name__, url_prefix="/v1", tag="employment")
ANY = ()
JOB_WRITERS = (EMPLOYER, *STAFF_ROLES)


def job_writer_for(job: dict, p: Principal) -> None:
    if not ((p.has(EMPLOYER) and job.get("employer_id") == p.sub) or is_staff_for(p, job["community"])):
        raise Forbidden("only the employer who posted it and staff serving its community may change this job")


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
        description=pii.scrub_text(doc.get("description"), () if contact_ok else known_names(None, doc)),
        employer_name=employer.get("name"),
        employer_kind=employer.get("kind") or "enterprise",
        offer=doc.get("offer") or "position",
        community_service=doc.get("community_service"),
        physical_demands=doc.get("physical_demands") or [],
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
    p = principal()
    if not p.has(EMPLOYER) and not p.serves(body.community):
        raise Forbidden(f"you do not serve community {body.community}")
    doc = job_actions.post(
        ctx(), body.model_dump(mode="python"), actor_of(p), p.sub if p.has(EMPLOYER) else None
    )
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
    return schemas.JobPage(items=[present_job(d, p) for d in store.find(flt, query.limit)])


@bp.endpoint(
    "/jobs/by-request/<request_id>",
    "GET",
    summary="The draft posting made from an intake request",
    response=schemas.JobOut,
    roles=STAFF_ROLES,
)
def job_by_request(request_id: str):
    p = principal()
    doc = store.of_request(request_id)
    if doc is None:
        raise NotFound(f"no job for request {request_id}")
    if not is_staff_for(p, doc["community"]):
        raise Forbidden(f"you do not serve community {doc['community']}")
    return present_job(doc, p)


@bp.endpoint("/jobs/<job_id>", "GET", summary="One job", response=schemas.JobOut, roles=ANY)
def get_job(job_id: str):
    p = principal()
    doc = store.get(job_id)
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
    p = principal()
    doc = store.get(job_id)
    job_writer_for(doc, p)
    return present_job(job_actions.publish(ctx(), doc, body.model_dump(mode="python"), actor_of(p)), p)


@bp.endpoint(
    "/jobs/<job_id>/close",
    "POST",
    summary="Stop taking candidates",
    body=schemas.CloseJobIn,
    response=schemas.JobOut,
    roles=JOB_WRITERS,
)
def close_job(job_id: str, body: schemas.CloseJobIn):
    p = principal()
    doc = store.get(job_id)
    job_writer_for(doc, p)
    return present_job(job_actions.close(ctx(), doc, body.reason, actor_of(p)), p)


@bp.endpoint(
    "/jobs/<job_id>/candidates",
    "GET",
    summary="Best seekers for a job, with the reasons of each score",
    query=TopQuery,
    response=schemas.CandidateList,
    roles=STAFF_ROLES,
)
def job_candidates(job_id: str, query: TopQuery):
    p = principal()
    doc = store.get(job_id)
    if not is_staff_for(p, doc["community"]):
        raise Forbidden(f"you do not serve community {doc['community']}")
    if doc["status"] == "draft":
        raise InvalidInput("the posting is a draft", [{"field": "job_id", "message": "publish it first"}])
    return schemas.CandidateList(
        job_id=job_id,
        items=[
            schemas.CandidateMatch(
                candidate=candidate_out(s), score=round(mt.score, 4), reasons=reasons_out(mt)
            )
            for s, mt in ranking.candidates_for_job(ctx(), doc, query.k)
        ],
    )


@bp.endpoint(
    "/resources",
    "GET",
    summary="What enterprises, merchants and social organisations offer (positions, trial places, "
    "internships, training), open now, per community",
    query=schemas.ResourcesQuery,
    response=schemas.ResourcesOut,
    roles=STAFF_ROLES,
)
def get_resources(query: schemas.ResourcesQuery):
    p = principal()
    require_named_community(p, query.community)
    jobs = store.open_in(community_scope(p, query.community))
    return schemas.ResourcesOut(community=query.community, by_community=statistics.resources(jobs))
