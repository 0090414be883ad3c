"""Ranking stored seekers and jobs with matching: their features (a stored document matching cannot
score is left out, logged and counted, or refused with 422 when it is the one asked about), the best
jobs for a seeker and the best seekers for a job. Called by the API's matches and candidates and by
the suggestions."""

from __future__ import annotations

import logging
from datetime import datetime

from civic146.errors import InvalidInput

from . import matching
from . import metrics as m
from .context import Employment
from .jobs import store as job_store
from .reference import Vocabulary
from .seekers import store as seeker_store

log = logging.getLogger(__name__)


def seeker_features(seeker: dict, vocab: Vocabulary) -> matching.SeekerFeatures:
    """Raises matching.Unscorable for a stored profile matching cannot use."""
    profile = seeker.get("profile")
    if not isinstance(profile, dict):
        raise matching.Unscorable("no profile")
    return matching.seeker_features(
        {**profile, "community": seeker["community"], "compound": seeker.get("compound")}, vocab
    )


def skipped(kind: str, doc: dict, exc: matching.Unscorable) -> None:
    """One stored document that cannot be scored is left out (logged and counted); the others are
    matched as usual."""
    m.UNSCORABLE.labels(kind).inc()
    log.warning(
        "left out of matching: cannot be scored", extra={f"{kind}_id": doc.get("_id"), "error": str(exc)}
    )


def unscorable(exc: matching.Unscorable, field: str, what: str) -> InvalidInput:
    """A stored profile or posting that matching cannot use (older data outside today's bounds):
    the request is refused with the reason, instead of failing."""
    return InvalidInput(
        f"the stored {what} cannot be matched; change it", [{"field": field, "message": str(exc)}]
    )


def scorable_seekers(
    seekers: list[dict], vocab: Vocabulary
) -> tuple[list[dict], list[matching.SeekerFeatures]]:
    """The seekers whose profiles can be scored, and their features."""
    kept, features = [], []
    for s in seekers:
        try:
            features.append(seeker_features(s, vocab))
        except matching.Unscorable as exc:
            skipped("seeker", s, exc)
            continue
        kept.append(s)
    return kept, features


def open_jobs(
    ctx: Employment, now: datetime, community: str | None = None
) -> tuple[list[dict], list[matching.JobFeatures]]:
    """The open jobs that can be scored, and their features."""
    jobs, features = [], []
    for j in job_store.open_jobs(community):
        try:
            f = matching.job_features(j, ctx.vocab, now)
        except matching.Unscorable as exc:
            skipped("job", j, exc)
            continue
        if f.open:
            jobs.append(j)
            features.append(f)
    return jobs, features


def top_jobs(
    ctx: Employment, seeker: dict, now: datetime, k: int, min_score: float = 0.0, only=None
) -> list[tuple[dict, matching.Match]]:
    """`only(job) -> bool`: rank only the open jobs it keeps."""
    features = seeker_features(seeker, ctx.vocab)
    jobs, job_features = open_jobs(ctx, now)
    if only is not None:
        kept = [i for i, j in enumerate(jobs) if only(j)]
        jobs, job_features = [jobs[i] for i in kept], [job_features[i] for i in kept]
    if not jobs:
        return []
    index = matching.JobIndex(job_features, ctx.vocab)
    return [
        (jobs[i], matching.explain(features, index.jobs[i], ctx.vocab))
        for i, _ in index.rank(features, k, min_score)
    ]


def top_seekers(
    ctx: Employment,
    job: dict,
    now: datetime,
    k: int,
    min_score: float = 0.0,
    seekers: list[dict] | None = None,
) -> list[tuple[dict, matching.Match]]:
    job_f = matching.job_features(job, ctx.vocab, now)
    seekers, features = scorable_seekers(seeker_store.matchable() if seekers is None else seekers, ctx.vocab)
    ranked = matching.rank_seekers(job_f, features, ctx.vocab, k, min_score)
    return [(seekers[i], matching.explain(features[i], job_f, ctx.vocab)) for i, _ in ranked]


def matches_for_seeker(ctx: Employment, seeker: dict, k: int) -> list[tuple[dict, matching.Match]]:
    """The best `k` open jobs for a seeker (the API's matches), or 422 for an unscorable profile."""
    try:
        return top_jobs(ctx, seeker, ctx.now(), k)
    except matching.Unscorable as exc:
        raise unscorable(exc, "seeker_id", "profile") from None


def candidates_for_job(ctx: Employment, job: dict, k: int) -> list[tuple[dict, matching.Match]]:
    """The best `k` seekers for a job (the API's candidates), or 422 for an unscorable posting."""
    try:
        return top_seekers(ctx, job, ctx.now(), k)
    except matching.Unscorable as exc:
        raise unscorable(exc, "job_id", "posting") from None
