"""What a domain decision changes in one aggregate document, and the events it records with it.

Plain data and pure functions, imported by every service's domain: `Change` (the fields set, the
elements appended, the outbox entries), `applied` (the document as a change leaves it) and the
CloudEvents `sequence` each recorded event is stamped with. Writing a change to MongoDB and
publishing its events is `civic146.outbox`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .events import EventType

MAX_EVENTS_PER_CHANGE = 999  # the event's place in its change is three digits of its sequence


def entry(event_type: EventType, event: dict) -> dict:
    """An outbox element: where the event goes (topic without prefix, key) and the event."""
    return {"topic": event_type.topic, "key": event["subject"], "event": event}


def sequence(version: int, position: int) -> str:
    """The CloudEvents `sequence` of the `position`-th event (from 1) of the change that made the
    aggregate `version`: fixed width, so ordering the strings orders the events of one key."""
    return f"{version:012d}.{position:03d}"


def stamped(outbox: list[dict], version: int) -> list[dict]:
    """The entries with their events' `sequence` set, as they are stored and published."""
    if len(outbox) > MAX_EVENTS_PER_CHANGE:
        raise ValueError(f"a change records at most {MAX_EVENTS_PER_CHANGE} events, not {len(outbox)}")
    return [
        {**item, "event": {**item["event"], "sequence": sequence(version, i)}}
        for i, item in enumerate(outbox, 1)
    ]


@dataclass
class Change:
    """What a domain decision changes in one aggregate document, plus the events it records."""

    set: dict = field(default_factory=dict)
    push: dict = field(default_factory=dict)  # field -> one element to append
    outbox: list[dict] = field(default_factory=list)  # entries made with entry()

    def record(self, event_type: EventType, event: dict) -> None:
        self.outbox.append(entry(event_type, event))

    def followed_by(self, then: Change) -> Change:
        """One commit of two changes to a document, `then` decided on the document as this one
        leaves it: its fields win where both set one, its events follow. Both appending to the same
        field is refused (a push is one element), never silently half-applied."""
        if both := self.push.keys() & then.push.keys():
            raise ValueError(f"both changes append to {sorted(both)}: decide them as one")
        return Change(
            set={**self.set, **then.set}, push={**self.push, **then.push}, outbox=[*self.outbox, *then.outbox]
        )


def applied(doc: dict, change: Change, version: int | None = None) -> dict:
    """The document as `change` leaves it (the state the commit writes, without the events): the
    one place that says what `set` and `push` mean, for the outbox and for tests of decisions.
    `version` defaults to the next one."""
    updated = {**doc, **change.set, "version": doc.get("version", 0) + 1 if version is None else version}
    for key, value in change.push.items():
        updated[key] = [*doc.get(key, []), value]
    return updated
