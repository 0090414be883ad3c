"""Residents' votes (民主决): opened online or recorded after a count on paper, ballots, the
tally, and the closing of votes whose window has passed.

Ballots are secret by construction: a vote keeps the ids of those who voted (one ballot each)
and, separately, a count per option. Which voter chose which option is never stored anywhere.

A vote set up to open later takes the roll when it opens (`awaiting_roll`, `with_rolls`,
`take_rolls`); a read shows a vote due to close as closed (`with_due_votes_closed`) while the
job or the next write commits the same (`close_due_votes`)."""

from __future__ import annotations

from datetime import datetime

from civic146.actor import Actor
from civic146.change import Change
from civic146.errors import Forbidden, InvalidInput, InvalidTransition

from .. import events as ev
from .steps import (
    SYSTEM,
    TOPIC,
    Policy,
    Topic,
    _facts,
    _find,
    _record,
    _replace,
    happened,
    new_id,
    scrub,
    step_began,
)

APPROVAL_OPTIONS = ["approve", "oppose", "abstain"]


class VoteNotOpen(InvalidTransition):
    code = "vote_not_open"


class AlreadyVoted(InvalidTransition):
    code = "already_voted"


class NotEligible(Forbidden):
    code = "not_eligible"


def awaiting_roll(doc: Topic, now: datetime) -> list[dict]:
    """Open votes that have opened since they were set up: their list of eligible voters is still the
    roll as it was then, and becomes the roll as it was when they opened."""
    return [
        v
        for v in doc["votes"]
        if v["status"] == "open" and v.get("roll_taken_at", v["opens_at"]) < v["opens_at"] <= now
    ]


def with_rolls(doc: Topic, rolls: dict[str, list[str]]) -> Topic:
    """The topic with these votes' lists of eligible voters taken as of their opening (`rolls`:
    vote id -> the roll when it opened)."""
    if not rolls:
        return doc
    votes = [
        {
            **v,
            "eligible": sorted(set(rolls[v["id"]])),
            "eligible_count": len(set(rolls[v["id"]])),
            "roll_taken_at": v["opens_at"],
        }
        if v["id"] in rolls
        else v
        for v in doc["votes"]
    ]
    return {**doc, "votes": votes}


def take_rolls(doc: Topic, rolls: dict[str, list[str]], now: datetime) -> Change | None:
    """Commit the lists of eligible voters of votes that opened (see with_rolls); no event: the
    vote's closing carries how many were eligible."""
    if not rolls:
        return None
    return Change(set={"votes": with_rolls(doc, rolls)["votes"], "updated_at": now})


def eligible_count(vote: dict) -> int:
    """How many were on the roll when the vote opened (a past matter's vote knows only the number)."""
    return vote.get("eligible_count", len(vote["eligible"]))


def _new_vote(
    doc: Topic, fields: dict, eligible: list[str], opens_at: datetime, now: datetime, policy: Policy
) -> dict:
    options = fields.get("options") or APPROVAL_OPTIONS
    return {
        "id": new_id(),
        "question": scrub(doc, fields["question"], policy),
        "options": options,
        "kind": "approval" if options == APPROVAL_OPTIONS else "choice",
        "scope": fields["scope"],
        "eligible": sorted(set(eligible)),
        "eligible_count": len(set(eligible)),
        "voters": [],
        "counts": [0] * len(options),
        "opens_at": opens_at,
        "closes_at": fields["closes_at"],
        "quorum": fields.get("quorum") or policy.default_quorum,
        "threshold": fields.get("threshold") or policy.default_threshold,
        "status": "open",
        "result": None,
        "winning_option": None,
        "turnout": None,
        "closed_at": None,
        "paper": False,
        # the time as of which `eligible` is the roll: a vote that opens later reads it again then
        "roll_taken_at": min(opens_at, now),
    }


def _check_vote_opening(doc: Topic, eligible: list[str] | int) -> None:
    TOPIC.require(doc, ("consultation",), "open a residents' vote")
    if any(v["status"] == "open" for v in doc["votes"]):
        raise InvalidTransition("another vote of this topic is still open")
    if not eligible:
        raise InvalidInput(
            "no eligible voters are registered for this scope",
            [{"field": "scope", "message": "register voters first: POST /v1/communities/<id>/voters"}],
        )


def _vote_opened(change: Change, doc: Topic, vote: dict, actor: Actor, now: datetime) -> None:
    _record(
        change,
        ev.VOTE_OPENED,
        doc,
        ev.VoteOpened(
            **_facts(doc, doc["step"], actor, vote["opens_at"]),
            vote_id=vote["id"],
            question=vote["question"],
            options=vote["options"],
            scope=vote["scope"],
            eligible_count=eligible_count(vote),
            opens_at=vote["opens_at"],
            closes_at=vote["closes_at"],
            quorum=vote["quorum"],
            threshold=vote["threshold"],
        ),
        now,
    )


def open_vote(
    doc: Topic, *, fields: dict, eligible: list[str], actor: Actor, now: datetime, policy: Policy
) -> tuple[str, Change]:
    """A vote on the platform: residents cast their ballots within the window. `eligible`: the roll
    as it is when the vote opens (the caller reads it as of `opens_at` when that has passed)."""
    TOPIC.require(doc, ("consultation",), "open a residents' vote")
    if fields["closes_at"] <= now:
        raise InvalidInput(
            "the window must close in the future", [{"field": "closes_at", "message": "already passed"}]
        )
    _check_vote_opening(doc, eligible)
    given = fields.get("opens_at")
    if given is not None and given <= now:  # it opened already: within the bounds of a past fact
        opens_at = happened(
            given,
            "opens_at",
            now=now,
            policy=policy,
            since=step_began(doc),
            since_what="the consultation began",
        )
    else:
        opens_at = given or now
    if fields["closes_at"] <= opens_at:
        raise InvalidInput(
            "the window must close after it opens", [{"field": "closes_at", "message": "not after opens_at"}]
        )
    vote = _new_vote(doc, fields, eligible, opens_at, now, policy)
    change = Change(set={"votes": [*doc["votes"], vote], "updated_at": now})
    _vote_opened(change, doc, vote, actor, now)
    return vote["id"], change


def record_paper_vote(
    doc: Topic,
    *,
    fields: dict,
    eligible: list[str],
    actor: Actor,
    now: datetime,
    policy: Policy,
    past_roll_size: int | None = None,
) -> tuple[str, Change]:
    """A vote held on paper and counted off the platform, recorded after its window closed:
    `opens_at` and `closes_at` in the past (not before the consultation began), the count per
    option. `eligible`: the roll as it was when the vote opened, on which the quorum is computed.
    The vote is closed with its result in the same change (both events recorded). A matter settled
    before the platform has no roll: `past_roll_size` is how many were on it (the ids stay unknown)."""
    _check_vote_opening(doc, eligible if past_roll_size is None else past_roll_size)
    opens_at = happened(
        fields["opens_at"],
        "opens_at",
        now=now,
        policy=policy,
        since=step_began(doc),
        since_what="the consultation began",
    )
    closes_at = happened(
        fields["closes_at"], "closes_at", now=now, policy=policy, since=opens_at, since_what="opens_at"
    )
    if closes_at == opens_at:
        raise InvalidInput(
            "the window must close after it opens", [{"field": "closes_at", "message": "not after opens_at"}]
        )
    vote = _new_vote(doc, {**fields, "closes_at": closes_at}, eligible, opens_at, now, policy)
    if past_roll_size is not None:
        vote["eligible_count"] = past_roll_size
    counts = fields["counts"]
    if unknown := sorted(set(counts) - set(vote["options"])):
        raise InvalidInput(
            "counts name an option the vote does not have",
            [
                {
                    "field": "counts",
                    "message": f"unknown {', '.join(unknown)}; options: {', '.join(vote['options'])}",
                }
            ],
        )
    vote["counts"] = [int(counts.get(o, 0)) for o in vote["options"]]
    if sum(vote["counts"]) > eligible_count(vote):
        message = (
            f"{sum(vote['counts'])} ballots counted, but {eligible_count(vote)} residents were on the roll "
            f"when the vote opened ({opens_at.isoformat()})"
        )
        raise InvalidInput(f"counts: {message}", [{"field": "counts", "message": message}])
    vote["paper"] = True
    closed = _closed(vote)
    change = Change(set={"votes": [*doc["votes"], closed], "updated_at": now})
    _vote_opened(change, doc, vote, actor, now)
    _vote_closed(change, doc, closed, actor, now)
    return vote["id"], change


def cast_ballot(doc: Topic, vote_id: str, *, voter_id: str, choice: str, now: datetime) -> Change:
    """One secret ballot: the voter joins `voters`, the option's count goes up; nothing links the two.
    No event is recorded (an event per ballot would tie its time to a voter)."""
    vote = _find(doc["votes"], vote_id, "vote")
    if vote["status"] != "open" or now >= vote["closes_at"]:
        raise VoteNotOpen("the voting window has closed", {"closes_at": vote["closes_at"].isoformat()})
    if now < vote["opens_at"]:
        raise VoteNotOpen("the voting window has not opened yet", {"opens_at": vote["opens_at"].isoformat()})
    if voter_id not in vote["eligible"]:
        raise NotEligible("you are not a registered voter for this vote")
    if voter_id in vote["voters"]:
        raise AlreadyVoted("you have already voted; a ballot cannot be changed")
    if choice not in vote["options"]:
        raise InvalidInput(
            "unknown option", [{"field": "choice", "message": f"one of {', '.join(vote['options'])}"}]
        )
    counts = list(vote["counts"])
    counts[vote["options"].index(choice)] += 1
    cast = {**vote, "voters": [*vote["voters"], voter_id], "counts": counts}
    return Change(set={"votes": _replace(doc["votes"], cast)})


def tally(vote: dict) -> tuple[str, str | None, float]:
    """(result, winning option, turnout) of a vote: the turnout quorum first, then the threshold
    over the ballots cast (abstentions count as cast but not in favour). The eligible voters are
    the roll as it was when the vote opened."""
    cast = sum(vote["counts"])
    eligible = eligible_count(vote)
    turnout = round(cast / eligible, 4) if eligible else 0.0
    if turnout < vote["quorum"]:
        return "quorum_not_met", None, turnout
    if vote["kind"] == "approval":
        leading, top = "approve", vote["counts"][0]
    else:
        ranked = sorted(zip(vote["counts"], vote["options"]), reverse=True)
        if len(ranked) > 1 and ranked[0][0] == ranked[1][0]:
            return "rejected", None, turnout  # a tie decides nothing
        top, leading = ranked[0]
    share = top / cast if cast else 0.0
    passed = share > 0.5 if vote["threshold"] == "simple_majority" else share >= 2 / 3
    return ("passed", leading, turnout) if passed else ("rejected", None, turnout)


def _due(doc: Topic, now: datetime) -> list[dict]:
    return [v for v in doc["votes"] if v["status"] == "open" and v["closes_at"] <= now]


def _closed(vote: dict) -> dict:
    """The vote with its result, computed at the window's end (whenever that is done)."""
    result, winning, turnout = tally(vote)
    return {
        **vote,
        "status": "closed",
        "result": result,
        "winning_option": winning,
        "turnout": turnout,
        "closed_at": vote["closes_at"],
    }


def with_due_votes_closed(doc: Topic, now: datetime) -> Topic:
    """The topic as it stands at `now`: every vote whose window has passed shows its result. Reads
    present this without writing anything (the result is the same whenever it is computed); the
    closing is committed by the worker's job or by the next write to the topic (close_due_votes)."""
    due = _due(doc, now)
    if not due:
        return doc
    votes = doc["votes"]
    for vote in due:
        votes = _replace(votes, _closed(vote))
    return {**doc, "votes": votes}


def _vote_closed(change: Change, doc: Topic, closed: dict, actor: Actor, now: datetime) -> None:
    _record(
        change,
        ev.VOTE_CLOSED,
        doc,
        ev.VoteClosed(
            **_facts(doc, doc["step"], actor, closed["closes_at"]),
            vote_id=closed["id"],
            eligible_count=eligible_count(closed),
            ballots_cast=sum(closed["counts"]),
            turnout=closed["turnout"],
            counts=[ev.OptionCount(option=o, count=c) for o, c in zip(closed["options"], closed["counts"])],
            result=closed["result"],
            winning_option=closed["winning_option"],
        ),
        now,
    )


def close_due_votes(doc: Topic, now: datetime) -> Change | None:
    """Close every open vote whose window has passed, recording each result (the worker's job, and
    every write to the topic, in the same commit: see Change.followed_by)."""
    due = _due(doc, now)
    if not due:
        return None
    change = Change()
    for vote in due:
        _vote_closed(change, doc, _closed(vote), SYSTEM, now)
    change.set = {"votes": with_due_votes_closed(doc, now)["votes"], "updated_at": now}
    return change
