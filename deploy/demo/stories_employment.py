"""The bulletin's targeted employment promotion (精准促就业): one seeker of each of the three groups it
names (young people whose willingness to work is weak, middle-aged people who struggle to get
information, older people who want to keep contributing), each on the support pathway of their group
and placed in a local job found for them. The bulletin tells of the mechanism, not of people: the
seekers, employers and jobs are invented. The employment API records when it is told, so these
stories carry the day the demo ran.

A story is found again by its seeker's phone (staff serving the community see it) and its job's
employer and title; the referral of the pair is one per seeker and job (the service derives its id)."""

from __future__ import annotations

from demo_api import EMPLOYMENT, STAFF, client, wait_for

call = client(EMPLOYMENT)


def seeker(community: str, compound: str, name: str, phone: str, **profile) -> dict:
    return {
        "community": community,
        "compound": compound,
        "person": {"name": name, "phone": phone},
        "profile": profile,
        "consent": {"given": True},
    }


def job(community: str, compound: str, employer: str, kind: str, contact: tuple[str, str], **posting) -> dict:
    return {
        "community": community,
        "compound": compound,
        "employer_name": employer,
        "employer_kind": kind,
        "contact_name": contact[0],
        "contact_phone": contact[1],
        **posting,
    }


YOUTH = {
    "label": "young person, little wish to work",
    "seeker": seeker(
        "shengshi",
        "shengshi-2",
        "周小航",
        "13900146101",
        desired_occupations=["ecommerce_operator", "customer_service"],
        skills=["computer", "smartphone", "photo_editing"],
        education="vocational",
        availability={
            "hours_types": ["full_time"],
            "shifts": ["morning", "afternoon"],
            "max_hours_per_week": 40,
        },
        max_commute_km=5,
        target_group="youth",
        online_channels=["mini_program"],
    ),
    # A trial place with a local enterprise: the youth pathway puts the best one among the suggestions.
    "job": job(
        "shengshi",
        "shengshi-1",
        "上街好物电子商务有限公司",
        "enterprise",
        ("陈经理", "13900146201"),
        offer="trial_work",
        title="电商运营见习岗（直播助理）",
        description="为新春年货节、鸿盛美食街商户的线上销售做直播助理，见习三个月，期满可转正",
        occupation="ecommerce_operator",
        required_skills=["computer"],
        optional_skills=["livestream", "photo_editing"],
        hours_type="full_time",
        shifts=["morning", "afternoon"],
        hours_per_week=40,
        pay_min=2200,
        pay_max=2600,
        pay_unit="month",
        openings=2,
        no_experience_needed=True,
    ),
    "caseworker": "demo-staff",
    "contact": "社区就业专干上门谈心，本人愿意先试岗",
    "steps_before": [("guidance_conversation", "就业指导谈话：兴趣在电商，愿意先见习")],
    "steps_after": [("trial_work", "已到上街好物电子商务有限公司见习")],
}

MIDDLE_AGED = {
    "label": "middle-aged, short of job news",
    "seeker": seeker(
        "yiyuan",
        "yiyuan-meiliyuan",
        "吴桂芳",
        "13900146102",
        desired_occupations=["shelf_stocker", "cashier"],
        skills=["cashiering", "inventory", "smartphone"],
        education="junior_secondary",
        availability={
            "hours_types": ["full_time"],
            "shifts": ["morning", "afternoon"],
            "max_hours_per_week": 40,
        },
        max_commute_km=3,
        target_group="middle_aged",
        online_channels=["mini_program"],  # 中中e网通's 找工作 board
    ),
    # Posted after she registered, so that her pathway pushes it to her at once.
    "job": job(
        "yiyuan",
        "yiyuan-2",
        "颐苑便民生活超市",
        "merchant",
        ("刘店长", "13900146202"),
        title="超市理货员",
        occupation="shelf_stocker",
        required_skills=["inventory"],
        optional_skills=["cashiering"],
        hours_type="full_time",
        shifts=["morning", "afternoon"],
        hours_per_week=40,
        pay_min=2600,
        pay_max=3000,
        pay_unit="month",
        openings=1,
        no_experience_needed=True,
    ),
    "pushed": True,
    "steps_before": [("information_session", "参加社区岗位信息说明会，学会在小程序上看岗位")],
    "steps_after": [],
}

OLDER = {
    "label": "older person, keen to keep working",
    "seeker": seeker(
        "yiyuan",
        "yiyuan-1",
        "郑长林",
        "13900146103",
        desired_occupations=["property_repair", "electrician"],
        skills=["electrician_cert", "plumbing"],
        experience=[{"occupation": "electrician", "years": 30}],
        education="junior_secondary",
        availability={"hours_types": ["part_time"], "shifts": ["morning"], "max_hours_per_week": 15},
        max_commute_km=2,
        target_group="older_worker",
        physical_limits=["heavy_lifting", "heights"],
        community_service_interest=True,
    ),
    # The bulletin's 颐苑社区便民维修铺子: a community service position within his hours and limits.
    "job": job(
        "yiyuan",
        "yiyuan-3",
        "颐苑社区便民维修铺子",
        "social_organisation",
        ("马师傅", "13900146203"),
        community_service="repair_shop",
        title="便民维修铺子维修师傅（上午班）",
        occupation="property_repair",
        required_skills=["plumbing"],
        optional_skills=["electrician_cert"],
        hours_type="part_time",
        shifts=["morning"],
        hours_per_week=12,
        pay_min=20,
        pay_max=25,
        pay_unit="hour",
        openings=2,
        no_experience_needed=True,
        age_friendly=True,
    ),
    "steps_before": [("community_service_introduction", "介绍便民维修铺子、便民食堂、健康驿站的岗位")],
    "steps_after": [],
}

STORIES = (YOUTH, MIDDLE_AGED, OLDER)


def find_seeker(story: dict) -> dict | None:
    s = story["seeker"]
    items = call("GET", "/v1/seekers", STAFF, community=s["community"], limit="200")["items"]
    return next((i for i in items if (i["person"] or {}).get("phone") == s["person"]["phone"]), None)


def find_job(story: dict) -> dict | None:
    j = story["job"]
    for status in ("open", "filled", "closed"):  # a filled job is no longer among the open ones
        items = call("GET", "/v1/jobs", STAFF, community=j["community"], status=status, limit="200")["items"]
        found = next(
            (i for i in items if (i["employer_name"], i["title"]) == (j["employer_name"], j["title"])), None
        )
        if found:
            return found
    return None


def find_referral(seeker_id: str, job_id: str) -> dict | None:
    items = call("GET", "/v1/referrals", STAFF, seeker_id=seeker_id, job_id=job_id)["items"]
    return items[0] if items else None


def load(story: dict) -> dict:
    """Carry the story from wherever it is to the seeker's placement; returns what the demo prints."""
    person = find_seeker(story)
    done = "already loaded"
    if person is None:
        person = call("POST", "/v1/seekers", STAFF, story["seeker"])
        done = "loaded"
    sid = person["id"]
    url = f"/v1/seekers/{sid}/support"
    support = call("GET", url, STAFF)
    if story.get("caseworker") and not support["caseworker_id"]:
        support = call("POST", f"{url}/caseworker", STAFF, {"caseworker_id": story["caseworker"]})
        done = _carried(done, "the pathway")
    if story.get("contact") and not any(c["status"] == "reached" for c in support["contacts"]):
        support = call("POST", f"{url}/contacts", STAFF, {"outcome": "reached", "note": story["contact"]})
        done = _carried(done, "the pathway")
    support, done = _steps(url, support, story["steps_before"], done)

    posting = find_job(story)
    if posting is None:
        posting = call("POST", "/v1/jobs", STAFF, story["job"])
        done = _carried(done, "the job")
        if story.get("pushed"):  # the worker pushes it on the job's event; wait for it to be seen
            wait_for(lambda: _pushed(url, posting["id"]))
    referral = find_referral(sid, posting["id"])
    if referral is None:
        # The worker suggests the pair on the seeker's or the job's event (scored and explained); the
        # staff then refer that suggestion. Without a worker the staff refer the seeker themselves.
        referral = wait_for(lambda: find_referral(sid, posting["id"]), timeout=15)
        done = _carried(done, "the referral")
    if referral is None or referral["stage"] == "suggested":
        referral = call("POST", "/v1/referrals", STAFF, {"seeker_id": sid, "job_id": posting["id"]})
        done = _carried(done, "the referral")
    for stage, action in (("referred", "interview"), ("interview", "offer"), ("offered", "hire")):
        if referral["stage"] == stage:
            referral = call("POST", f"/v1/referrals/{referral['id']}/{action}", STAFF)
            done = _carried(done, "the referral")
    support, done = _steps(url, support, story["steps_after"], done)
    support = call("GET", url, STAFF)
    return {
        "seeker_id": sid,
        "done": done,
        "pathway": support["pathway"],
        "stage": referral["stage"],
        "pushed": _pushed(url, posting["id"]) is not None,
        "job": posting,
        "referral_id": referral["id"],
    }


def _steps(url: str, support: dict, steps: list[tuple[str, str]], done: str) -> tuple[dict, str]:
    for kind, note in steps:
        if any(s["kind"] == kind and s["status"] == "planned" for s in support["steps"]):
            support = call("POST", f"{url}/steps", STAFF, {"kind": kind, "status": "done", "note": note})
            done = _carried(done, "the pathway")
    return support, done


def _pushed(url: str, job_id: str) -> dict | None:
    return next((p for p in call("GET", url, STAFF)["pushed"] if p["job_id"] == job_id), None)


def _carried(done: str, what: str) -> str:
    """What a run did to a story found in place: carried it on (from the first part still missing)."""
    return f"carried on from {what}" if done == "already loaded" else done
