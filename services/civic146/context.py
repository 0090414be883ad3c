"""The context of a service: what its views, handlers and jobs need, built once per process.

Each service subclasses ServiceContext (adding its policy and reference data) in its
`context.py`, whose `build(settings, outbox)` its declaration (civic146.service) names, so both
processes build it the same way: the API's `create_app` and the worker's `serve`. Views reach it
with the service's `ctx()`; actions, handlers and jobs are given it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from . import clock
from .config import Settings
from .outbox import Outbox


@dataclass
class ServiceContext:
    settings: Settings
    outbox: Outbox

    def now(self) -> datetime:
        """The wall clock, plus the tests' and drills' offset (Settings.clock_offset_file)."""
        return clock.now(self.settings.clock_offset_file)
