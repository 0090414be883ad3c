"""Domain metrics of deliberation: consultations held, votes and turnout, matters solved."""

from prometheus_client import Counter, Gauge, Histogram

from civic146.outbox import Change

TOPICS_CREATED = Counter(
    "civic146_deliberation_topics_created_total", "Topics raised", ["community", "platform", "origin"]
)
STEP_TRANSITIONS = Counter(
    "civic146_deliberation_step_transitions_total",
    "Topics entering a step",
    ["community", "platform", "step"],
)
CONSULTATIONS_HELD = Counter(
    "civic146_deliberation_consultations_held_total", "Consultation meetings held", ["community", "platform"]
)
PARTICIPANTS = Counter(
    "civic146_deliberation_consultation_participants_total",
    "Attendance of consultation meetings",
    ["community", "platform"],
)
BALLOTS_CAST = Counter("civic146_deliberation_ballots_cast_total", "Secret ballots cast", ["community"])
VOTES_CLOSED = Counter(
    "civic146_deliberation_votes_closed_total", "Residents' votes closed, by result", ["community", "result"]
)
MATTERS_SOLVED = Counter(
    "civic146_deliberation_matters_solved_total",
    "Topics closed after implementation (not declined)",
    ["community"],
)
STEP_DURATION = Histogram(
    "civic146_deliberation_step_duration_seconds",
    "Time a topic spent in a step",
    ["step"],
    buckets=(3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 60 * 86400, 120 * 86400),
)

# Refreshed by the worker from the database.
TOPICS_BY_STEP = Gauge(
    "civic146_deliberation_topics_by_step",
    "Topics currently in each step",
    ["platform", "step"],
    multiprocess_mode="max",
)
LAST_VOTE_TURNOUT = Gauge(
    "civic146_deliberation_last_vote_turnout",
    "Turnout of the community's last closed vote",
    ["community"],
    multiprocess_mode="max",
)


def count(before: dict, change: Change) -> None:
    """Count what a committed change did (the outbox calls this after every commit of deliberation's,
    API, consumer and jobs alike): read from the events it recorded, and, for ballots (which record
    no event, see domain.cast_ballot), from the votes it wrote. An insert (a new topic, a roll
    entry) comes with `before` empty and the new document as `change.set`."""
    if before and "step" in change.set:
        STEP_TRANSITIONS.labels(before["community"], before["platform"], change.set["step"]).inc()
        entered = next(s["at"] for s in reversed(before["steps"]) if not s.get("review"))
        STEP_DURATION.labels(before["step"]).observe(
            max(0.0, (change.push["steps"]["at"] - entered).total_seconds())
        )
    if "votes" in change.set:
        # Online ballots from the voters a write added; a vote counted on paper arrives whole.
        known = {v["id"] for v in before.get("votes", [])}
        cast_before = {v["id"]: len(v["voters"]) for v in before.get("votes", [])}
        cast = sum(
            sum(v["counts"])
            if v.get("paper") and v["id"] not in known
            else len(v["voters"]) - cast_before.get(v["id"], 0)
            for v in change.set["votes"]
        )
        if cast:
            BALLOTS_CAST.labels(change.set.get("community") or before["community"]).inc(cast)
    for item in change.outbox:
        event = item["event"]
        data, kind = event["data"], event["type"].split(".")[-2]
        community = event["community"]
        if kind == "created":
            TOPICS_CREATED.labels(community, data["platform"], data["origin"]).inc()
            STEP_TRANSITIONS.labels(community, data["platform"], "determine_topic").inc()
        elif kind == "meeting-held":
            CONSULTATIONS_HELD.labels(community, data["meeting_platform"]).inc()
            PARTICIPANTS.labels(community, data["meeting_platform"]).inc(data["attendance"])
        elif kind == "vote-closed":
            VOTES_CLOSED.labels(community, data["result"]).inc()
        elif kind == "closed" and not before.get("declined"):
            MATTERS_SOLVED.labels(community).inc()
