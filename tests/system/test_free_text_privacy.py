"""Personal data written in free text does not reach the topics or the public pages.

All four services run as operators run them and a story goes through each of them with names,
full-width mobile numbers and ID numbers written in groups in every free-text field: a request's
description, route note and rating comment; a topic's description, notice, minutes, opinions,
decision, tasks, result and closing summary; a mediation case's session notes and escalation; a
job's title and description and a referral's decline reason. The names are those the platform
was told for the record, written where someone else mentions them: the submitters of the
requests a topic links, the parties of a case, a seeker and a job's contact person. Then every
topic of the run is read from the beginning, and the public notices and results pages fetched:
none of the names or numbers appears as written.

A name the platform was never told (a neighbour named only in the text) cannot be recognised;
the README and the AsyncAPI document say so, and this story writes none.
"""

import json
import re

import requests

from civic146.pii import fold
from tests.helpers import service_database, wait_until
from tests.stories import Clock, hiring, http, intake_requests, topics
from tests.stories import mediation as cases
from tests.system import mediation_flows as flows

COMMUNITY, COMPOUND = "huifeng", "lefu-international"
ID_NUMBER = "11010519491231002X"
# Residents who raise the road matter, each on their own request.
CHEN = {"name": "陈美玲", "phone": "13912340001", "id_number": ID_NUMBER}
LIU = {"name": "刘桂芳", "phone": "13912340002"}
# Employment: the seeker and the employer's contact person.
SEEKER = {"name": "孙丽娟", "phone": "13912340003"}
CONTACT = {"name": "周建华", "phone": "13912340004"}
NAMES = (
    CHEN["name"],
    LIU["name"],
    SEEKER["name"],
    CONTACT["name"],
    cases.APPLICANT["name"],
    cases.RESPONDENT["name"],
    "孙律师",
)
PHONES = (CHEN["phone"], LIU["phone"], SEEKER["phone"], CONTACT["phone"], *flows.PHONES[:2])

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def full_width(number: str) -> str:
    return number.translate(FULL_WIDTH)


def grouped_id(sep: str = " ") -> str:
    return sep.join((ID_NUMBER[:6], ID_NUMBER[6:14], ID_NUMBER[14:]))


def grouped_phone(phone: str, sep: str = " ") -> str:
    return sep.join((phone[:3], phone[3:7], phone[7:]))


def leaks(raw: str) -> list[str]:
    """The names and numbers of this story that `raw` holds as written (numbers in any width or grouping)."""
    digits = re.sub(r"(?<=[\dX])[ \-](?=[\dX])", "", fold(raw))
    found = [f"name {n}" for n in NAMES if n in raw]
    found += [f"mobile {p}" for p in PHONES if p in digits]
    found += [f"ID number {ID_NUMBER}"] if ID_NUMBER in digits.upper() else []
    return found + flows.privacy_problems(fold(raw))


def test_the_scan_finds_every_form_it_looks_for():
    for text in (
        f"联系{full_width(CHEN['phone'])}",
        f"身份证{grouped_id()}",
        f"身份证{full_width(grouped_id('-'))}",
        f"电话{grouped_phone(LIU['phone'], '-')}",
        f"邻居{LIU['name']}",
    ):
        assert leaks(json.dumps({"data": {"text": text}}, ensure_ascii=False)), text
    assert (
        leaks(
            json.dumps(
                {"data": {"text": "陈**电话139****0001，身份证1101**********002X"}}, ensure_ascii=False
            )
        )
        == []
    )


def route(intake, staff, headers, body: dict, note: str) -> str:
    rid = intake_requests.submit(intake, headers, body)
    intake_requests.route(intake, staff, rid, note)
    return rid


def road_topic(delib, staff, rids: list[str]) -> dict:
    """The topic holding both road requests (staff attach the second if matching kept them apart)."""

    def placed():
        items = delib("GET", f"/v1/topics?community={COMMUNITY}", staff)["items"]
        holding = {r["request_id"]: t for t in items for r in t["requests"]}
        return holding if all(rid in holding for rid in rids) else None

    holding = wait_until(placed, timeout=60, message="road requests taken up by deliberation")
    topic = holding[rids[0]]
    if rids[1] not in {r["request_id"] for r in topic["requests"]}:
        topic = delib("POST", f"{topics.path(topic['id'])}/requests", staff, {"request_id": rids[1]})
    return topic


def test_no_event_and_no_public_page_shows_a_known_name_or_a_number_as_written(
    service_factory, mint, topic_reader, tmp_path
):
    clock = Clock(tmp_path / "clock-offset")
    env = {"CLOCK_OFFSET_FILE": str(clock.path), "SCHEDULER_INTERVAL_SECONDS": "1"}
    services = {n: service_factory(n, **env) for n in ("intake", "deliberation", "employment", "mediation")}
    for svc in services.values():
        svc.start_api(workers=2)
        svc.start_worker()
    intake, delib, employment, mediation = (
        services[n] for n in ("intake", "deliberation", "employment", "mediation")
    )
    tokens = cases.Tokens(mint)
    i, d, e, m = (http(svc) for svc in (intake, delib, employment, mediation))
    staff = mint("staff-huifeng", "community_staff", communities=[COMMUNITY])
    chen, liu = mint("res-chen", "resident"), mint("res-liu", "resident")

    # Intake: two residents report the road, each naming themselves and giving numbers in some form.
    request = {
        "category": "roads_and_facilities",
        "community": COMMUNITY,
        "compound": COMPOUND,
        "channel": "opinion_express",
    }
    rids = [
        route(
            i,
            staff,
            chen,
            {
                **request,
                "submitter": CHEN,
                "location": f"{CHEN['name']}家门口",
                "description": f"我是{CHEN['name']}，乐福国际小区北侧道路因强降雨损毁，坑洼严重，"
                f"电话{full_width(CHEN['phone'])}，身份证{grouped_id()}",
            },
            f"{CHEN['name']}来电补充，回电{grouped_phone(CHEN['phone'])}",
        ),
        route(
            i,
            staff,
            liu,
            {
                **request,
                "submitter": LIU,
                "description": f"{LIU['name']}反映：乐福国际小区北侧道路被暴雨冲毁，路面坑洼，"
                f"联系{grouped_phone(LIU['phone'], '-')}",
            },
            f"已联系{LIU['name']}（{full_width(LIU['phone'])}）核实",
        ),
    ]

    # Deliberation: staff write about the residents who raised the matter, in every step's text.
    tid = road_topic(d, staff, rids)["id"]
    both = f"{CHEN['name']}、{LIU['name']}"
    topics.settle(
        d,
        staff,
        tid,
        description=f"{both}等居民反映北侧道路损毁；联系人{CHEN['name']}，"
        f"电话{full_width(CHEN['phone'])}，身份证{grouped_id('-')}",
    )
    topics.review(d, topics.party(COMMUNITY), tid, "topic")
    topics.publish_notice(
        d,
        staff,
        tid,
        {
            "text": f"{both}反映的北侧道路修复议题现予公示，咨询{grouped_phone(LIU['phone'])}",
            "period_days": 3,
            "venue_id": "huifeng-yishiting",
            "online": True,
        },
    )
    clock.advance(days=3, hours=1)
    topics.start_consultation(d, staff, tid)
    meeting = topics.schedule_meeting(
        d, staff, tid, "huifeng-yishiting", clock.now().isoformat(), {"resident_representatives": 6}
    )
    topics.hold_meeting(
        d,
        staff,
        tid,
        meeting["id"],
        {
            "attendance": 8,
            "minutes": f"{CHEN['name']}介绍路面损毁情况，{LIU['name']}补充，身份证{full_width(ID_NUMBER)}",
            "opinions": [f"{LIU['name']}：先修路面", f"{CHEN['name']}：再修台阶"],
            "outcome": f"同意修复，{CHEN['name']}监督",
        },
    )
    topics.review(d, topics.party(COMMUNITY), tid, "decision")
    topics.implement(d, staff, tid, f"修复路面230米，由{LIU['name']}所在楼院先行")
    works = [(f"路面修复（{CHEN['name']}反映）", "m", 230)]
    [task] = topics.add_tasks(d, staff, tid, works, f"物业公司，{LIU['name']}协助", "2026-06-01")
    topics.report(d, staff, tid, task["id"], 230)
    topics.publish_result(
        d,
        staff,
        tid,
        {
            "text": f"已完成修复，感谢{both}，回访电话{full_width(LIU['phone'])}",
            "period_days": 3,
            "venue_id": "huifeng-yishiting",
            "online": True,
        },
    )
    topics.open_feedback(d, staff, tid)
    topics.close(d, staff, tid, f"已向{both}反馈")
    # The result resolves the requests in intake; a resident rates it, naming herself.
    cases.wait_for_request(i, tokens, rids[0], "resolved")
    i(
        "POST",
        f"/v1/requests/{rids[0]}/rating",
        chen,
        {"satisfaction": 5, "comment": f"{CHEN['name']}很满意，{full_width(CHEN['phone'])}"},
        expect=201,
    )

    # Mediation: a dispute from intake; the parties, a lawyer, sessions; escalated to deliberation,
    # where staff write about the parties in the new topic's notice.
    applicant, respondent = cases.APPLICANT, cases.RESPONDENT
    fee_rid = cases.route_dispute(
        i,
        tokens,
        "property_management",
        f"物业费上调三成，{applicant['name']}家有意见，电话{grouped_phone(applicant['phone'])}",
    )
    cid = cases.wait_for_case(m, tokens, fee_rid)["id"]
    cases.add_parties(m, tokens, cid, applicant, respondent)
    for party in ("p1", "p2"):
        cases.consent(m, tokens.staff, cid, party)
    cases.assign(m, tokens, cid, "med-hf-02")
    m(
        "POST",
        f"/v1/cases/{cid}/participants",
        tokens.staff,
        {"name": "孙律师", "capacity": "律师", "consent_of": ["p1", "p2"]},
    )
    cases.hold_session(
        m,
        tokens.mediator,
        cid,
        flows.utc_now().isoformat(),
        ["p1", "p2", "孙律师"],
        f"{applicant['name']}与{respondent['name']}各自陈述，孙律师释法；身份证{grouped_id()}",
    )
    cases.escalate(
        m,
        tokens,
        cid,
        f"{respondent['name']}等全小区业主均受影响",
        f"{applicant['name']}、{respondent['name']}与物业公司就物业费上调发生争议，孙律师建议议事协商；"
        f"{applicant['name']}电话{full_width(applicant['phone'])}",
    )

    def escalated():
        items = d("GET", f"/v1/topics?community={cases.COMMUNITY}", staff)["items"]
        return next((t for t in items if t["origin_ref"] == cid), None)

    fee_topic = wait_until(escalated, timeout=60, message="the escalated case became a topic")
    topics.review(d, topics.party(fee_topic["community"]), fee_topic["id"], "topic")
    topics.publish_notice(
        d,
        staff,
        fee_topic["id"],
        {
            "text": f"{applicant['name']}与{respondent['name']}所涉物业费议题公示，孙律师列席",
            "period_days": 3,
            "venue_id": "huifeng-yishiting",
            "online": True,
        },
    )

    # Employment: a job whose text names its contact person; a seeker referred, then declined by
    # the employer in words naming both.
    employer = mint("emp-zhou", "employer")
    job = hiring.post_job(
        e,
        employer,
        {
            "employer_name": "汇丰便民超市",
            "contact_name": CONTACT["name"],
            "contact_phone": CONTACT["phone"],
            "title": f"收银员（联系{CONTACT['name']}）",
            "description": f"联系人{CONTACT['name']}，电话{grouped_phone(CONTACT['phone'])}",
            "occupation": "cashier",
            "required_skills": ["cashiering"],
            "hours_type": "part_time",
            "shifts": ["morning"],
            "hours_per_week": 15,
            "community": COMMUNITY,
            "compound": "huifeng-1",
            "pay_min": 24,
            "pay_max": 26,
            "pay_unit": "hour",
            "openings": 1,
            "no_experience_needed": True,
        },
    )
    seeker = e(
        "POST",
        "/v1/seekers",
        staff,
        {
            "community": COMMUNITY,
            "compound": COMPOUND,
            "person": SEEKER,
            "consent": {"given": True},
            "profile": {
                "desired_occupations": ["cashier"],
                "skills": ["cashiering"],
                "education": "junior_secondary",
                "availability": {
                    "hours_types": ["part_time"],
                    "shifts": ["morning"],
                    "max_hours_per_week": 25,
                },
                "max_commute_km": 5,
                "expected_pay": {"amount": 22, "unit": "hour"},
            },
        },
        expect=201,
    )
    referral = e("POST", "/v1/referrals", staff, {"seeker_id": seeker["id"], "job_id": job["id"]}, expect=201)
    e(
        "POST",
        f"/v1/referrals/{referral['id']}/decline",
        employer,
        {
            "declined_by": "employer",
            "reason": f"{CONTACT['name']}面试后认为{SEEKER['name']}暂不合适，"
            f"可回电{full_width(SEEKER['phone'])}",
        },
    )

    # Every flow arrived (the escalation's progress reached intake), then everything is read.
    cases.wait_for_request(i, tokens, fee_rid, "in_progress")
    prefix = intake.env["TOPIC_PREFIX"]
    names = (
        "intake.requests",
        "deliberation.topics",
        "employment.seekers",
        "employment.jobs",
        "employment.referrals",
        "mediation.cases",
        *(f"{s}.deadletter" for s in ("intake", "deliberation", "employment", "mediation")),
    )
    problems, types = [], set()
    for name in names:
        try:
            reader = topic_reader(prefix + name)
        except AssertionError:  # a dead-letter topic nothing was ever sent to
            assert name.endswith(".deadletter"), f"no topic {name}"
            continue
        for record in reader.read_published(*(service_database(s.env) for s in services.values())):
            raw = record.value.decode("utf-8")
            types.add(json.loads(raw)["type"])
            problems += [f"{name}@{record.offset} {json.loads(raw)['type']}: {p}" for p in leaks(raw)]
    for page in ("notices", "results"):
        body = requests.get(f"{delib.url}/v1/public/communities/{COMMUNITY}/{page}", timeout=10).json()
        assert body["items"], f"nothing on the public {page} page"
        problems += [f"public {page}: {p}" for p in leaks(json.dumps(body, ensure_ascii=False))]
    assert problems == []
    # The scan covered every event type that carries text written in this story.
    delib_types = (
        "created",
        "updated",
        "notice-published",
        "meeting-held",
        "implementation-started",
        "task-added",
        "result-published",
        "closed",
    )
    assert {
        *(f"civic146.deliberation.topic.{t}.v3" for t in delib_types),
        "civic146.intake.request.submitted.v2",
        "civic146.intake.request.routed.v4",
        "civic146.intake.request.resolved.v2",
        "civic146.intake.request.rated.v2",
        "civic146.mediation.case.escalated.v3",
        "civic146.employment.job.posted.v2",
        "civic146.employment.referral.stage-changed.v2",
        "civic146.request.progress.v2",
    } <= types, types
