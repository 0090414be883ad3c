"""A deliberation topic's six steps, one function per step (or per act within a step): determine
the topic (raised from residents' requests, or created by staff; settled; reviewed by the
community Party committee), the public notice, the consultation (talks scheduled and held), the
implementation (the decision reviewed, tasks added and reported), the result published, feedback
opened and the topic closed. Each takes a transport (`tests.stories`) and the tokens of who acts.

Also the bulletin's road story north of 乐福国际小区, as data the walks share.
"""

from __future__ import annotations

from civic146.auth import mint
from tests.helpers import JWT_SECRET, wait_until
from tests.stories import at, intake_requests

ROAD = {
    "title": "乐福国际小区北侧道路修复",
    "description": "乐福国际小区北侧道路因强降雨损毁，路面坑洼，单元口台阶损坏，充电难",
    "community": "huifeng",
    "compound": "lefu-international",
    "category": "roads_and_facilities",
    "platform": "small_bench_talk",
}
ROAD_NOTICE = {
    "text": "关于乐福国际小区北侧道路因强降雨损毁的修复议题，现予公示，欢迎居民提出意见。",
    "period_days": 5,
    "venue_id": "huifeng-yishiting",
    "online": True,
}
ROAD_DECISION = "修复硬化路面230米、单元口台阶12处，整合空地1处，增设充电桩22个"
ROAD_WORKS = [
    ("修复硬化路面", "m", 230),
    ("修复单元口台阶", "处", 12),
    ("整合空地", "处", 1),
    ("增设充电桩", "个", 22),
]
ROAD_OWNER = "汇丰社区居委会、物业公司"


def path(topic_id: str) -> str:
    return f"/v1/topics/{topic_id}"


def party(community: str) -> dict:
    """The token of the community's Party committee, which reviews topics and decisions."""
    token = mint(JWT_SECRET, f"party-{community}", ["party_organisation"], [community])
    return {"Authorization": "Bearer " + token}


# --- 1. determine the topic --------------------------------------------------------------------------


def submit_and_route(intake, staff: dict, mint_token, residents: dict[str, str], **request) -> dict[str, str]:
    """Each resident submits a request (`residents`: their id -> its description); staff accept it and
    route it (by its category: deliberation). Request ids by resident."""
    ids = {}
    for resident, description in residents.items():
        body = {
            **request,
            "description": description,
            "submitter": {"name": "居民" + resident[-1], "phone": "13812341234"},
        }
        rid = intake_requests.submit(intake, mint_token(resident, "resident"), body)
        assert intake_requests.route(intake, staff, rid)["route_target"] == "deliberation"
        ids[resident] = rid
    return ids


def the_one_topic(call, staff: dict, community: str, request_ids: set[str]) -> dict:
    """The one topic deliberation grouped the routed requests into."""

    def grouped():
        items = call("GET", f"/v1/topics?community={community}", staff)["items"]
        return items if sum(len(t["requests"]) for t in items) == len(request_ids) else None

    items = wait_until(grouped, timeout=60, message="routed requests taken up by deliberation")
    assert len(items) == 1, f"the requests should share one topic: {[t['request_ids'] for t in items]}"
    assert {r["request_id"] for r in items[0]["requests"]} == request_ids
    return items[0]


def create(call, staff: dict, body: dict) -> dict:
    return call("POST", "/v1/topics", staff, body, expect=201)


def settle(call, staff: dict, topic_id: str, **fields) -> dict:
    return call("PATCH", path(topic_id), staff, fields)


def assign_deputy(call, staff: dict, topic_id: str, deputy_id: str, **when) -> dict:
    """A deputy of the people's congress takes the topic on; `when`: assigned_at."""
    return call("POST", f"{path(topic_id)}/deputies", staff, {"deputy_id": deputy_id, **when})


def claim(call, member: dict, topic_id: str, resources: list[str]) -> dict:
    """A CPPCC member claims the topic and links the resources they bring."""
    return call("POST", f"{path(topic_id)}/claim", member, {"resources": resources})


def review(call, reviewer: dict, topic_id: str, stage: str, **fields) -> dict:
    """The Party organisation approves the topic (before its notice) or the decision (before its
    implementation); `fields`: reviewed_at, comment."""
    body = {"stage": stage, "approved": True, "organisation": "community_party_committee", **fields}
    return call("POST", f"{path(topic_id)}/reviews", reviewer, body, expect=201)


# --- 2. public notice ---------------------------------------------------------------------------------


def publish_notice(call, staff: dict, topic_id: str, notice: dict) -> dict:
    return call("POST", f"{path(topic_id)}/notice", staff, notice)


# --- 3. consultation ----------------------------------------------------------------------------------


def start_consultation(call, staff: dict, topic_id: str, **when) -> dict:
    """`when`: started_at, for a consultation recorded afterwards."""
    return call("POST", f"{path(topic_id)}/consultation", staff, when or None)


def schedule_meeting(
    call, staff: dict, topic_id: str, venue_id: str, scheduled_at: str, participants: dict
) -> dict:
    """The meeting scheduled."""
    body = {"venue_id": venue_id, "scheduled_at": scheduled_at, "participants": participants}
    return call("POST", f"{path(topic_id)}/meetings", staff, body, expect=201)["meetings"][-1]


def hold_meeting(call, staff: dict, topic_id: str, meeting_id: str, held: dict) -> dict:
    """`held`: attendance, minutes, outcome, opinions, held_at."""
    return call("POST", f"{path(topic_id)}/meetings/{meeting_id}/held", staff, held)


# --- 4. implementation --------------------------------------------------------------------------------


def implement(call, staff: dict, topic_id: str, decision: str, **when) -> dict:
    """`when`: started_at."""
    return call("POST", f"{path(topic_id)}/implementation", staff, {"decision": decision, **when})


def add_tasks(call, staff: dict, topic_id: str, works, owner: str, due_date: str) -> list[dict]:
    """A task for each (title, unit, target) of `works`: the topic's tasks."""
    for title, unit, target in works:
        body = {"title": title, "owner": owner, "unit": unit, "target": target, "due_date": due_date}
        tasks = call("POST", f"{path(topic_id)}/tasks", staff, body, expect=201)["tasks"]
    return tasks


def report(call, staff: dict, topic_id: str, task_id: str, done: float, **when) -> dict:
    """`when`: reported_at."""
    return call("POST", f"{path(topic_id)}/tasks/{task_id}/progress", staff, {"done": done, **when})


def complete_tasks(call, staff: dict, topic_id: str, **when) -> dict:
    """Every task reported done: the last report's answer."""
    for task in call("GET", path(topic_id), staff)["tasks"]:
        done = report(call, staff, topic_id, task["id"], task["target"], **when)
    return done


# --- 5. publish the result ----------------------------------------------------------------------------


def publish_result(call, staff: dict, topic_id: str, result: dict) -> dict:
    return call("POST", f"{path(topic_id)}/result", staff, result)


# --- 6. feedback ----------------------------------------------------------------------------------------


def open_feedback(call, staff: dict, topic_id: str, **when) -> dict:
    """`when`: opened_at."""
    return call("POST", f"{path(topic_id)}/feedback/open", staff, when or None)


def close(call, staff: dict, topic_id: str, summary: str, **when) -> dict:
    """`when`: closed_at."""
    return call("POST", f"{path(topic_id)}/close", staff, {"summary": summary, **when})


def give_feedback(call, who: dict, topic_id: str, feedback: dict) -> dict:
    """`feedback`: satisfaction (1 to 5), comment."""
    return call("POST", f"{path(topic_id)}/feedback", who, feedback, expect=201)


def evaluate(call, who: dict, topic_id: str, evaluation: dict) -> dict:
    """Once the result is published: a resident rates a person involved (`evaluation`: person_id,
    score), or a deputy or CPPCC member rates the handling (score, comment)."""
    return call("POST", f"{path(topic_id)}/evaluations", who, evaluation, expect=201)


# --- the road as it really happened in 2023, recorded afterwards ---------------------------------------

ROAD_TALKS = [("2023-08-31", 18), ("2023-09-21", 20), ("2023-10-19", 22)]  # day, attendance
ROAD_RESULT = (
    "历时2个月，多次召开小板凳恳谈会，完成修复硬化路面230米、单元口台阶12处，整合空地1处，增设充电桩22个。"
)


def road_of_2023_under_way(call, staff: dict, party: dict | None = None) -> str:
    """The road from August 2023 to its four tasks under way (due 20 November), each step on the
    bulletin's day; with the Party committee's reviews when `party` is given. The topic's id."""
    tid = create(call, staff, {**ROAD, "raised_at": at("2023-08-21")})["id"]
    if party:
        review(call, party, tid, "topic", reviewed_at=at("2023-08-23"))
    publish_notice(call, staff, tid, {**ROAD_NOTICE, "posted_at": at("2023-08-25", "08:00")})
    start_consultation(call, staff, tid, started_at=at("2023-08-29"))
    participants = {"party_members": 4, "resident_representatives": 8, "compound_heads": 3}
    for day, attendance in ROAD_TALKS:
        meeting = schedule_meeting(call, staff, tid, "huifeng-yishiting", at(day, "19:00"), participants)
        held = {
            "attendance": attendance,
            "minutes": f"{day} 小板凳恳谈会记录：居民意见",
            "outcome": "形成意见",
            "held_at": at(day, "21:00"),
        }
        hold_meeting(call, staff, tid, meeting["id"], held)
    if party:
        review(call, party, tid, "decision", reviewed_at=at("2023-10-20"))
    implement(call, staff, tid, ROAD_DECISION, started_at=at("2023-10-23"))
    add_tasks(call, staff, tid, ROAD_WORKS, ROAD_OWNER, "2023-11-20")
    return tid


def road_of_2023_result(call, staff: dict, topic_id: str) -> dict:
    """The road's tasks done on 20 November 2023 and its result posted on the 24th."""
    complete_tasks(call, staff, topic_id, reported_at=at("2023-11-20"))
    result = {**ROAD_NOTICE, "period_days": 7, "text": ROAD_RESULT, "posted_at": at("2023-11-24")}
    return publish_result(call, staff, topic_id, result)
