"""Following the agreement's fulfilment: each term recorded as fulfilled or breached (a breach ends
the case as breached, the last fulfilled term as fulfilled), and terms past their due date flagged
for the mediators."""

from __future__ import annotations

from datetime import datetime

from civic146.actor import Actor
from civic146.change import Change
from civic146.errors import InvalidInput, InvalidTransition

from .. import events as ev
from .case import CASE, Case, _change, _close, _event, _facts, _progress, _record_all, _routes_text


def overdue_terms(doc: Case, now: datetime) -> list[int]:
    """Numbers of the agreement's terms whose due date passed with neither fulfilment nor breach
    recorded, not flagged yet."""
    agreement = doc.get("agreement")
    if doc["status"] != "agreement_reached" or not agreement:
        return []
    return [
        t["number"]
        for t in agreement["terms"]
        if t["result"] is None and not t.get("overdue") and t["due_at"] <= now
    ]


def overdue_terms_change(doc: Case, now: datetime) -> Change | None:
    """Flag each overdue term once, so the mediators follow it up. State only: no released event
    type describes a term (`case.overdue` is the case's time limit), so none is published."""
    numbers = overdue_terms(doc, now)
    if not numbers:
        return None
    terms = [
        {**t, "overdue": True, "overdue_at": now} if t["number"] in numbers else t
        for t in doc["agreement"]["terms"]
    ]
    return Change(set={"agreement": {**doc["agreement"], "terms": terms}})


def record_fulfilment(doc: Case, term_number: int, *, result: str, actor: Actor, now: datetime) -> Change:
    """Follow-up of the agreement: a breached term ends it as breached (the court route is advised),
    the last fulfilled term ends it as fulfilled."""
    CASE.target(doc, "record_fulfilment")
    agreement = doc["agreement"]
    term = next((t for t in agreement["terms"] if t["number"] == term_number), None)
    if term is None:
        raise InvalidInput(
            f"no term {term_number}",
            [{"field": "term_number", "message": f"the agreement has {len(agreement['terms'])} terms"}],
        )
    if term["result"] is not None:
        raise InvalidTransition(
            f"term {term_number} is already recorded as {term['result']}", {"term": term_number}
        )
    terms = [
        {**t, "result": result, "recorded_at": now} if t["number"] == term_number else t
        for t in agreement["terms"]
    ]
    ends = "breached" if result == "breached" else ("fulfilled" if all(t["result"] for t in terms) else None)
    change = (
        _change(doc, "record_fulfilment", actor, now, to=ends) if ends else Change(set={"updated_at": now})
    )
    change.set["agreement"] = {**agreement, "terms": terms}
    change.record(
        ev.FULFILMENT_RECORDED,
        _event(
            ev.FULFILMENT_RECORDED,
            doc,
            ev.FulfilmentRecorded(
                **_facts(doc, ends or doc["status"], actor), term_number=term_number, result=result
            ),
            now,
        ),
    )
    if ends == "fulfilled":
        _close(change, doc, "agreement", now, actor, ends, result="fulfilled")
        _record_all(
            change,
            _progress(
                doc,
                "resolved",
                "调解达成协议并已履行完毕 / Mediation reached an agreement and it was fulfilled",
                now,
            ),
        )
    elif ends == "breached":
        change.set["advised_routes"] = ["court"]
        _close(change, doc, "agreement", now, actor, ends, result="breached", advised_routes=["court"])
        _record_all(
            change,
            _progress(
                doc,
                "resolved",
                "调解协议未履行；建议途径："
                + _routes_text(["court"])
                + " / The agreement was not fulfilled; advised route: court",
                now,
            ),
        )
    return change
