"""The bulletin's multi-party dispute resolution (多元解纠纷): a neighbour dispute mediated to a signed
agreement whose terms are then fulfilled, and a property-fee dispute whose cause is the whole
compound's, which mediation escalates and deliberation takes up as a topic (over Kafka, by its
worker). The bulletin names the mechanism only: parties, facts and terms are invented. The mediation
API records when it is told (a session or an agreement cannot be dated before the case was opened),
so these stories carry the day the demo ran.

A case is found again by its facts, which the staff serving its community read; the escalated
topic by its origin (the case)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from demo_api import ADMIN, DELIBERATION, MEDIATION, STAFF, client, token, wait_for

call = client(MEDIATION)
deliberation = client(DELIBERATION)

NEIGHBOURS = {
    "label": "neighbour dispute",
    "case": {
        "community": "huifeng",
        "compound": "huifeng-2",
        "case_type": "neighbours",
        "origin": "party_application",
        "facts": "汇丰二号院3单元：楼上卫生间防水层老化，持续向楼下渗水三个月，楼下天花板和墙面受损，"
        "双方多次协商未果，楼下住户申请调解",
        "parties": [
            {"role": "applicant", "name": "黄秀梅", "phone": "13900146111"},
            {"role": "respondent", "name": "高建国", "phone": "13900146112"},
        ],
    },
    "mediator": ("med-hf-02", token("med-qian", "mediator")),  # the roster's 钱和睦, no relations
    "sessions": [
        {
            "location": "汇丰社区人民调解室",
            "attendees": ["p1", "p2", "med-hf-02"],
            "notes": "双方到场；现场查看渗水位置，物业维修工确认系楼上防水层老化；楼上同意先修防水",
        },
        {
            "location": "汇丰社区人民调解室",
            "attendees": ["p1", "p2", "med-hf-02"],
            "notes": "商定赔偿：楼上负担楼下天花板、墙面修补费用1200元；双方同意签订调解协议",
        },
    ],
    # (what, obligor, days after the agreement takes effect)
    "terms": [
        ("被申请人于7日内重做卫生间防水层并闭水试验", "p2", 7),
        ("被申请人于15日内赔偿申请人天花板、墙面修补费用1200元", "p2", 15),
    ],
}

PROPERTY_FEE = {
    "label": "property-fee dispute",
    "case": {
        "community": "huifeng",
        "compound": "huifeng-3",
        "case_type": "property_management",
        "origin": "party_application",
        "facts": "汇丰三号院物业公司通知物业费由每平方米0.8元上调至1.2元，业主认为服务未改善、"
        "调价未征求意见，多户拒缴，业主代表申请调解",
        "parties": [
            {"role": "applicant", "name": "林志强", "phone": "13900146121"},
            {"role": "respondent", "name": "汇丰宜居物业服务有限公司"},
        ],
    },
    "mediator": ("law-01", token("law-wang", "mediator")),  # the roster's lawyer, serving every community
    "sessions": [
        {
            "location": "汇丰社区人民调解室",
            "attendees": ["p1", "p2", "law-01"],
            "notes": "物业公司出示成本测算；业主代表称全院住户都受调价影响，服务标准和收费应由全体业主商议",
        }
    ],
    # Not two parties' quarrel: every household of the compound pays the fee, so the staff escalate
    # it to deliberation (the 146 mechanism's topic), which mediation cannot settle between two.
    "escalation": {
        "cause": "物业费上调涉及汇丰三号院全体业主",
        "summary": "汇丰三号院物业费拟由每平方米0.8元上调至1.2元，业主与物业公司就服务标准和调价程序"
        "发生争议，涉及全院住户，需由居民协商议定",
    },
}

STORIES = (NEIGHBOURS, PROPERTY_FEE)


def now() -> str:
    return datetime.now(UTC).isoformat()


def find(story: dict) -> dict | None:
    c = story["case"]
    items = call("GET", "/v1/cases", STAFF, community=c["community"], case_type=c["case_type"], limit="200")
    for item in items["items"]:  # lists carry the summary: the facts are in each case's details
        case = call("GET", f"/v1/cases/{item['id']}", STAFF)
        if (case["details"] or {}).get("facts") == c["facts"]:
            return case
    return None


def load(story: dict) -> dict:
    """Carry the case from its status to its end (fulfilled, or escalated and taken up as a topic)."""
    case = find(story)
    done = "already loaded"
    if case is None:
        case = call("POST", "/v1/cases", STAFF, story["case"])
        done = "loaded"
    cid = case["id"]
    url = f"/v1/cases/{cid}"
    if case["status"] not in ("registered", "accepted", "mediating", "agreement_reached"):
        return _told(story, case, done)
    done = "loaded" if done == "loaded" else "carried on from status " + case["status"]
    mediator_id, mediator = story["mediator"]
    if case["status"] == "registered":  # each party agrees to mediation (the staff record it)
        for p in case["parties"]:
            if p["consent"] is None:
                case = call("POST", f"{url}/consent", STAFF, {"party_id": p["id"], "decision": "given"})
    if case["status"] == "accepted":
        case = call(
            "POST", f"{url}/mediators", STAFF, {"mediator_id": mediator_id, "chosen_by_parties": True}
        )
    if case["status"] == "mediating":
        held = len(call("GET", url, mediator)["details"]["sessions"])
        for session in story["sessions"][held:]:
            case = call("POST", f"{url}/sessions", mediator, {**session, "held_at": now()})
        if "escalation" in story:
            case = call("POST", f"{url}/escalation", STAFF, story["escalation"])
        else:
            effective = datetime.now(UTC)
            terms = [
                {
                    "description": what,
                    "obligor": obligor,
                    "due_at": (effective + timedelta(days=days)).isoformat(),
                }
                for what, obligor, days in story["terms"]
            ]
            body = {"terms": terms, "signed_by": [p["id"] for p in case["parties"]], "effective_at": now()}
            case = call("POST", f"{url}/agreement", mediator, body)
    if case["status"] == "agreement_reached":  # the mediator follows the terms up: both performed
        for term in call("GET", url, mediator)["details"]["agreement"]["terms"]:
            if term["result"] is None:
                body = {"term_number": term["number"], "result": "fulfilled", "note": "回访确认已履行"}
                case = call("POST", f"{url}/fulfilment", mediator, body)
    return _told(story, case, done)


def _told(story: dict, case: dict, done: str) -> dict:
    told = {"case_id": case["id"], "done": done, "status": case["status"], "topic_id": None}
    if case["status"] == "escalated":
        told["topic_id"] = wait_for(lambda: topic_of(case["id"], story["case"]["community"]), timeout=30)
    return told


def topic_of(case_id: str, community: str) -> str | None:
    """The deliberation topic the escalation became (its id derives from the case's)."""
    items = deliberation("GET", "/v1/topics", ADMIN, community=community, limit="200")["items"]
    return next(
        (t["id"] for t in items if (t["origin"], t["origin_ref"]) == ("mediation_case", case_id)), None
    )
