"""What employment's views, handlers and jobs need, built once per process (see civic146.context)."""

from __future__ import annotations

from dataclasses import dataclass

from civic146.context import ServiceContext
from civic146.outbox import Outbox

from . import vocabulary
from .settings import EmploymentSettings
from .vocabulary import Vocabulary


@dataclass
class Employment(ServiceContext):
    settings: EmploymentSettings
    vocab: Vocabulary


def build(settings: EmploymentSettings, outbox: Outbox) -> Employment:
    return Employment(
        settings=settings, outbox=outbox, vocab=vocabulary.VOCABULARY.use(settings.reference_dir)
    )
