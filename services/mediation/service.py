"""Mediation, declared once: what it keeps, what it serves, what it publishes and consumes,
what it runs on a schedule. Its API (`mediation.api:create_app()`) and its worker
(`python -m mediation.worker`) are both built from this declaration (civic146.service)."""

from civic146.service import Service

from . import context, handlers, metrics, routes, scheduled, store
from .events import PUBLISHED
from .settings import MediationSettings

SERVICE = Service(
    title="Civic146 mediation API",
    description=(
        "Community dispute mediation: cases, consent, mediators, sessions, agreements, "
        "fulfilment, court confirmation and statistics."
    ),
    settings_class=MediationSettings,
    aggregates=[store.MediationCase],
    context=context.build,
    blueprints=[routes.bp],
    published=PUBLISHED,
    subscriptions=handlers.SUBSCRIPTIONS,
    jobs=scheduled.jobs,
    count=metrics.count,
)
