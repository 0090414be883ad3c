"""A mediation that fails (a party withdrew, no agreement, a party unreachable, outside the scope):
the case closes and the other routes are advised."""

from __future__ import annotations

from datetime import datetime

from civic146.actor import Actor
from civic146.change import Change

from .case import FAILURE_LABELS, Case, _change, _close, _progress, _record_all, _routes_text


def fail(doc: Case, *, reason: str, routes: list[str], actor: Actor, now: datetime) -> Change:
    change = _change(doc, "fail", actor, now, reason)
    change.set.update(outcome="failed", outcome_at=now, failure_reason=reason, advised_routes=routes)
    _close(change, doc, "failed", now, actor, "failed", failure_reason=reason, advised_routes=routes)
    _record_all(
        change,
        _progress(
            doc,
            "resolved",
            f"调解未成功（{FAILURE_LABELS[reason]}）；建议途径："
            + _routes_text(routes)
            + f" / Mediation failed ({reason.replace('_', ' ')}); "
            "advised routes: " + ", ".join(routes),
            now,
        ),
    )
    return change
