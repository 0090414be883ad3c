"""The time a fact happened, as every payload recording a fact afterwards declares it."""

from __future__ import annotations

from pydantic import Field


def _when(what: str) -> object:
    """A time a fact happened, when it is recorded afterwards (default: now). Not in the future, not
    older than BACKDATE_HORIZON_DAYS, not before the step it belongs to (else 422 naming it)."""
    return Field(None, description=f"When {what}, if before it is recorded; default now")
