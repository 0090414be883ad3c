"""What intake's views, handlers and jobs need, built once per process (see civic146.context)."""

from __future__ import annotations

from dataclasses import dataclass

from civic146.context import ServiceContext
from civic146.outbox import Outbox

from . import domain, reference
from .reference import Category
from .settings import IntakeSettings


@dataclass
class Intake(ServiceContext):
    settings: IntakeSettings
    categories: dict[str, Category]
    policy: domain.Policy


def build(settings: IntakeSettings, outbox: Outbox) -> Intake:
    return Intake(
        settings=settings,
        outbox=outbox,
        categories=dict(reference.load(settings.reference_dir)),
        policy=settings.policy,
    )
