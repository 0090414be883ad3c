"""Employment, declared once: what it keeps (its five aggregates: seekers, jobs, referrals, outreach
tasks, needs surveys), what it serves (one blueprint per aggregate), what it publishes and consumes,
what it runs on a schedule. Its API (`employment.api:create_app()`) and its worker
(`python -m employment.worker`) are both built from this declaration (civic146.service)."""

from civic146.service import Service

from . import context, handlers, metrics, scheduled
from .events import PUBLISHED
from .jobs import routes as jobs_routes
from .jobs import store as jobs_store
from .outreach import routes as outreach_routes
from .outreach import store as outreach_store
from .referrals import routes as referrals_routes
from .referrals import store as referrals_store
from .seekers import routes as seekers_routes
from .seekers import store as seekers_store
from .settings import EmploymentSettings
from .surveys import routes as surveys_routes
from .surveys import store as surveys_store

SERVICE = Service(
    title="Civic146 employment API",
    description=(
        "Targeted employment promotion: support pathways per target group, needs surveys, seekers, "
        "local jobs, explainable matches, referrals and placement follow-up."
    ),
    settings_class=EmploymentSettings,
    aggregates=[
        seekers_store.Seeker,
        jobs_store.Job,
        referrals_store.Referral,
        outreach_store.OutreachTask,
        surveys_store.NeedsSurvey,
    ],
    context=context.build,
    blueprints=[
        seekers_routes.bp,
        jobs_routes.bp,
        referrals_routes.bp,
        outreach_routes.bp,
        surveys_routes.bp,
    ],
    published=PUBLISHED,
    subscriptions=handlers.SUBSCRIPTIONS,
    jobs=scheduled.jobs,
    count=metrics.count,
)
