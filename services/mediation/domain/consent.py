"""Consent: mediation goes ahead only when every party agrees (the last consent accepts the case);
a party's refusal ends it and the other routes are advised."""

from __future__ import annotations

from datetime import datetime

from civic146.actor import Actor
from civic146.change import Change
from civic146.errors import InvalidTransition

from .. import events as ev
from .case import CASE, Case, Policy, _change, _close, _event, _facts, _progress, _record_all, _routes_text
from .opening import find_party


def _with_consent(doc: Case, party_id: str, decision: str, now: datetime) -> list[dict]:
    return [
        {**p, "consent": decision, "consent_at": now} if p["id"] == party_id else p for p in doc["parties"]
    ]


def consent(doc: Case, party_id: str, *, actor: Actor, now: datetime, policy: Policy) -> Change:
    """Record that a party agrees to mediation; when every party agreed, the committee accepts."""
    CASE.target(doc, "consent")
    roles = {p["role"] for p in doc["parties"]}
    if roles != {"applicant", "respondent"}:
        raise InvalidTransition(
            "consent is collected once the case has an applicant and a respondent",
            {"party_roles": sorted(roles)},
        )
    party = find_party(doc, party_id)
    if party["consent"] == "given":
        raise InvalidTransition(f"party {party_id} has already agreed to mediation", {"party_id": party_id})
    parties = _with_consent(doc, party_id, "given", now)
    everyone = all(p["consent"] == "given" for p in parties)
    change = _change(doc, "consent", actor, now) if everyone else Change(set={"updated_at": now})
    change.set["parties"] = parties
    change.record(
        ev.CONSENT_RECORDED,
        _event(
            ev.CONSENT_RECORDED,
            doc,
            ev.ConsentRecorded(
                **_facts(doc, "accepted" if everyone else doc["status"], actor),
                party_id=party_id,
                party_role=party["role"],
                decision="given",
            ),
            now,
        ),
    )
    if everyone:
        due = now + policy.time_limit
        change.set.update(accepted_at=now, due_at=due)
        change.record(
            ev.ACCEPTED,
            _event(ev.ACCEPTED, doc, ev.Accepted(**_facts(doc, "accepted", actor), due_at=due), now),
        )
        _record_all(
            change,
            _progress(
                doc,
                "in_progress",
                "人民调解委员会已受理，各方当事人同意调解 / "
                "Accepted for mediation: every party agreed to mediate",
                now,
            ),
        )
    return change


def refuse(doc: Case, party_id: str, *, routes: list[str], actor: Actor, now: datetime) -> Change:
    """A party's explicit refusal ends the mediation; the other routes are recorded as advised."""
    CASE.target(doc, "refuse")
    party = find_party(doc, party_id)
    change = _change(doc, "refuse", actor, now, f"party {party_id} refused mediation")
    change.set.update(
        parties=_with_consent(doc, party_id, "refused", now),
        outcome="refused",
        outcome_at=now,
        advised_routes=routes,
    )
    change.record(
        ev.CONSENT_RECORDED,
        _event(
            ev.CONSENT_RECORDED,
            doc,
            ev.ConsentRecorded(
                **_facts(doc, "refused", actor),
                party_id=party_id,
                party_role=party["role"],
                decision="refused",
            ),
            now,
        ),
    )
    _close(change, doc, "refused", now, actor, "refused", advised_routes=routes)
    _record_all(
        change,
        _progress(
            doc,
            "resolved",
            "一方当事人拒绝调解，调解终止；建议途径："
            + _routes_text(routes)
            + " / A party declined mediation; advised routes: "
            + ", ".join(routes),
            now,
        ),
    )
    return change
