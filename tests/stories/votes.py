"""A residents' vote on a topic (民主决): the voter roll, a vote opened, ballots cast, the vote
closed by its window; or a paper vote recorded afterwards."""

from __future__ import annotations

from tests.helpers import wait_until
from tests.stories.topics import path


def register(call, staff: dict, community: str, resident_ids: list[str], expect: int = 201, **fields) -> dict:
    """Residents put on the community's roll (`fields`: compound, registered_at): the roll's answer."""
    body = {"resident_ids": resident_ids, **fields}
    return call("POST", f"/v1/communities/{community}/voters", staff, body, expect=expect)


def remove(call, staff: dict, community: str, resident_id: str, reason: str, **when) -> dict:
    """A resident taken off the roll (`when`: removed_at): their entry, with its history."""
    body = {"reason": reason, **when}
    return call("POST", f"/v1/communities/{community}/voters/{resident_id}/removal", staff, body)


def open_vote(call, staff: dict, topic_id: str, vote: dict) -> dict:
    """`vote`: question, scope, quorum, threshold, opens_at, closes_at. The new vote."""
    return call("POST", f"{path(topic_id)}/votes", staff, vote, expect=201)["votes"][-1]


def ballot(call, voter: dict, topic_id: str, vote_id: str, choice: str, expect: int = 201) -> dict:
    return call("POST", f"{path(topic_id)}/votes/{vote_id}/ballots", voter, {"choice": choice}, expect=expect)


def record_paper_vote(call, staff: dict, topic_id: str, vote: dict) -> list[dict]:
    """A vote counted on paper (`vote` with opens_at, closes_at and counts): the topic's votes."""
    return call("POST", f"{path(topic_id)}/votes/paper", staff, vote, expect=201)["votes"]


def wait_closed(call, staff: dict, topic_id: str, index: int = -1) -> list[dict]:
    """The topic's votes, once the one at `index` is closed (by the worker, or by a read)."""
    return wait_until(
        lambda: (
            (votes := call("GET", path(topic_id), staff)["votes"])
            and votes[index]["status"] == "closed"
            and votes
        ),
        message="vote closed",
    )
