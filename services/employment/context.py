"""What employment's views, handlers and jobs need, built once per process (see civic146.context)."""

from __future__ import annotations

from dataclasses import dataclass

from civic146.context import ServiceContext
from civic146.outbox import Outbox

from . import common, reference
from .reference import Pathway, Vocabulary
from .settings import EmploymentSettings


@dataclass
class Employment(ServiceContext):
    settings: EmploymentSettings
    vocab: Vocabulary
    policy: common.Policy
    pathways: tuple[Pathway, ...] = ()


def build(settings: EmploymentSettings, outbox: Outbox) -> Employment:
    return Employment(
        settings=settings,
        outbox=outbox,
        vocab=reference.VOCABULARY.use(settings.reference_dir),
        policy=settings.policy,
        pathways=reference.load_pathways(settings.reference_dir),
    )
