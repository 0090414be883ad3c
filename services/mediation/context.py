"""What mediation's views, handlers and jobs need, built once per process (see civic146.context)."""

from __future__ import annotations

from dataclasses import dataclass

from civic146.context import ServiceContext
from civic146.outbox import Outbox

from . import domain, reference
from .reference import Mediator
from .settings import MediationSettings


@dataclass
class Mediation(ServiceContext):
    settings: MediationSettings
    roster: dict[str, Mediator]
    policy: domain.Policy


def build(settings: MediationSettings, outbox: Outbox) -> Mediation:
    return Mediation(
        settings=settings,
        outbox=outbox,
        roster=reference.ROSTER.use(settings.reference_dir),
        policy=settings.policy,
    )
