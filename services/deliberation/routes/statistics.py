"""Views of the figures: statistics and the period's evaluation summary."""

from __future__ import annotations

from civic146.auth import (
    STAFF_ROLES,
    principal,
    require_named_community,
)

from .. import domain, schemas, store
from .presentation import as_they_stand
from .scope import bp, check_serves, ctx


@bp.endpoint(
    "/statistics",
    "GET",
    summary="Topics by step and platform, consultations, votes, matters solved",
    query=schemas.StatisticsQuery,
    response=schemas.Statistics,
    roles=STAFF_ROLES,
)
def statistics(query: schemas.StatisticsQuery):
    p = principal()
    require_named_community(p, query.community)
    if query.community:
        check_serves(p, query.community)
    flt = {"community": query.community} if query.community else {}
    docs = as_they_stand(store.statistics_rows(flt))
    return schemas.Statistics(community=query.community, **domain.compute_statistics(docs, ctx().now()))


@bp.endpoint(
    "/evaluations/summary",
    "GET",
    summary="Two-way evaluation over a period, per deputy and CPPCC member and per liaison station",
    query=schemas.EvaluationSummaryQuery,
    response=schemas.EvaluationSummary,
    roles=STAFF_ROLES,
)
def evaluation_summary(query: schemas.EvaluationSummaryQuery):
    p = principal()
    require_named_community(p, query.community)
    if query.community:
        check_serves(p, query.community)
    flt = {"community": query.community} if query.community else {}
    stations = {d.id: d.station for d in ctx().registries.deputies.values()}
    summary = domain.evaluation_summary(store.evaluation_rows(flt), query.since, query.until, stations)
    return schemas.EvaluationSummary(
        community=query.community, since=query.since, until=query.until, **summary
    )
