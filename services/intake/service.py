"""Intake, declared once: what it keeps, what it serves, what it publishes and consumes, what it
runs on a schedule. Its API (`intake.api:create_app()`) and its worker (`python -m intake.worker`)
are both built from this declaration (civic146.service)."""

from civic146.service import Service

from . import context, handlers, metrics, routes, scheduled, store
from .events import PUBLISHED
from .open311 import routes as open311
from .settings import IntakeSettings

SERVICE = Service(
    title="Civic146 intake API",
    description="The front door: residents' requests, routing, status, feedback and statistics.",
    settings_class=IntakeSettings,
    aggregates=[store.IntakeRequest],
    context=context.build,
    blueprints=[routes.bp, open311.bp],  # open311: the GeoReport v2 door for other reporting systems
    published=PUBLISHED,
    subscriptions=handlers.SUBSCRIPTIONS,
    jobs=scheduled.jobs,
    count=metrics.count,
)
