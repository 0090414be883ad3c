"""The states an aggregate moves through, checked the same way in every service.

A service's domain declares one `Lifecycle` per aggregate: the field that holds its state and, per
action, the states it may start from and the state it leads to. Every decision that changes the
state asks the lifecycle first, so a refused move is the same 409 (`invalid_transition`, with the
current state and the allowed ones) everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from .errors import InvalidTransition


@dataclass(frozen=True)
class Lifecycle:
    field: str  # the document's field holding the state: "status", "step", "stage"
    # action -> (states it may start from, state it leads to; None: the state stays)
    moves: dict[str, tuple[frozenset[str], str | None]]
    # The refusal's message, given the action's words and the document (says what it is and its state).
    refusal: Callable[[str, dict], str]

    def state(self, doc: dict) -> str:
        return doc[self.field]

    def target(self, doc: dict, action: str) -> str | None:
        """The state `action` leads `doc` to, or InvalidTransition if it may not start from here."""
        allowed_from, to = self.moves[action]
        if self.state(doc) not in allowed_from:
            raise InvalidTransition(
                self.refusal(action.replace("_", " "), doc),
                {self.field: self.state(doc), "allowed_from": sorted(allowed_from)},
            )
        return to

    def require(self, doc: dict, states: Collection[str], doing: str) -> None:
        """For what is not a move of its own: `doing` is allowed only in `states`."""
        if self.state(doc) not in states:
            raise InvalidTransition(
                self.refusal(doing, doc), {self.field: self.state(doc), "allowed_in": sorted(states)}
            )
