"""What deliberation's views, handlers and jobs need, built once per process (see civic146.context)."""

from __future__ import annotations

from dataclasses import dataclass

from civic146.context import ServiceContext
from civic146.outbox import Outbox
from civic146.reference import COMMUNITIES, Community

from . import colour_map, domain, reference
from .settings import DeliberationSettings


@dataclass
class Deliberation(ServiceContext):
    settings: DeliberationSettings
    registries: reference.Registries
    communities: dict[str, Community]
    policy: domain.Policy
    colour_map: colour_map.Layout  # the notice board's map, checked against the registry at start


def build(settings: DeliberationSettings, outbox: Outbox) -> Deliberation:
    return Deliberation(
        settings=settings,
        outbox=outbox,
        registries=reference.load(settings.reference_dir),
        communities=COMMUNITIES.use(settings.reference_dir),
        policy=settings.policy,
        colour_map=colour_map.load(settings.reference_dir),
    )
