"""Employment, declared once: what it keeps, what it serves, what it publishes and consumes,
what it runs on a schedule. Its API (`employment.api:create_app()`) and its worker
(`python -m employment.worker`) are both built from this declaration (civic146.service)."""

from civic146.service import Service

from . import context, handlers, routes, scheduled, store
from .events import PUBLISHED
from .settings import EmploymentSettings

SERVICE = Service(
    title="Civic146 employment API",
    description=(
        "Targeted employment promotion: seekers, local jobs, explainable matches, referrals and "
        "placement follow-up."
    ),
    settings_class=EmploymentSettings,
    aggregates=list(store.DOCUMENTS.values()),
    context=context.build,
    blueprints=[routes.bp],
    published=PUBLISHED,
    subscriptions=handlers.SUBSCRIPTIONS,
    jobs=scheduled.jobs,
)
