"""Deliberation, declared once: what it keeps, what it serves, what it publishes and consumes,
what it runs on a schedule. Its API (`deliberation.api:create_app()`) and its worker
(`python -m deliberation.worker`) are both built from this declaration (civic146.service)."""

from civic146.service import Service

from . import board, context, handlers, metrics, routes, scheduled, store
from .events import PUBLISHED
from .settings import DeliberationSettings

SERVICE = Service(
    title="Civic146 deliberation API",
    description=(
        "The six-step process on the four consultation platforms: topics, public notices, "
        "consultations, residents' votes, implementation, results and feedback."
    ),
    settings_class=DeliberationSettings,
    aggregates=[store.Topic],
    records=[store.Voter],
    context=context.build,
    blueprints=[routes.bp, board.bp],  # board: the public notice board's pages (HTML)
    published=PUBLISHED,
    subscriptions=handlers.SUBSCRIPTIONS,
    jobs=scheduled.jobs,
    count=metrics.count,
)
