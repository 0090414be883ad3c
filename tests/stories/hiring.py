"""A hire, one function per act: a job posted; a resident's request for work routed by intake
becomes a draft profile in employment, which the resident completes with consent; matching
suggests a job; the resident is referred, interviewed, offered and hired by the employer; the
30-day retention check falls due and staff record it.

Also the resident looking for part-time work near home in 汇丰 and the job that suits her.
"""

from __future__ import annotations

from tests.helpers import wait_until

PERSON = {"name": "李秀英", "phone": "13912345678", "id_number": "11010519491231002X"}
REQUEST = {
    "category": "job_seeking",
    "description": "想在家附近找份兼职工作（looking for part-time work near home），电话13912345678",
    "community": "huifeng",
    "compound": "lefu-international",
    "channel": "e_net_mini_program",
    "submitter": {"name": PERSON["name"], "phone": PERSON["phone"]},
}
PROFILE = {
    "desired_occupations": ["cashier"],
    "skills": ["cashiering", "mandarin"],
    "education": "junior_secondary",
    "availability": {
        "hours_types": ["part_time"],
        "shifts": ["morning", "afternoon"],
        "max_hours_per_week": 25,
    },
    "max_commute_km": 2,
    "expected_pay": {"amount": 22, "unit": "hour"},
    "target_group": "middle_aged",
}
JOB = {
    "employer_name": "汇丰便民超市",
    "contact_name": "王经理",
    "contact_phone": "13811112222",
    "title": "收银员（兼职）",
    "occupation": "cashier",
    "required_skills": ["cashiering"],
    "hours_type": "part_time",
    "shifts": ["morning"],
    "hours_per_week": 15,
    "community": "huifeng",
    "compound": "huifeng-1",
    "pay_min": 24,
    "pay_max": 26,
    "pay_unit": "hour",
    "openings": 2,
    "no_experience_needed": True,
}


def post_job(call, employer: dict, job: dict) -> dict:
    return call("POST", "/v1/jobs", employer, job, expect=201)


def found_draft(call, who: dict, request_id: str, person: dict, timeout: float = 45) -> dict:
    """The draft profile employment made of the routed request, found by the name and phone it holds."""

    def draft():
        status, answer = call.status(
            "POST",
            f"/v1/seekers/by-request/{request_id}/lookup",
            who,
            {"name": person["name"], "phone": person["phone"]},
        )
        return answer if status == 200 else None

    return wait_until(draft, timeout=timeout, message="draft profile from the routed request")


def complete(call, who: dict, profile_id: str, body: dict) -> dict:
    """The draft completed (`body`: community, compound, person, profile, consent, ...): the seeker."""
    return call("POST", f"/v1/seekers/{profile_id}/complete", who, body)


def suggestion(call, who: dict, seeker_id: str, timeout: float = 45) -> dict:
    """The one referral matching suggested for the seeker."""

    def suggested():
        return call("GET", f"/v1/referrals?seeker_id={seeker_id}", who)["items"] or None

    [referral] = wait_until(suggested, timeout=timeout, message="a suggestion from re-matching")
    return referral


def refer(call, who: dict, referral_id: str) -> dict:
    """The seeker (or staff) accepts the suggestion."""
    return call("POST", f"/v1/referrals/{referral_id}/refer", who)


def hire(call, employer: dict, referral_id: str) -> dict:
    """The employer interviews, offers and hires: the referral, hired."""
    for action in ("interview", "offer", "hire"):
        hired = call("POST", f"/v1/referrals/{referral_id}/{action}", employer)
    assert hired["stage"] == "hired"
    return hired


def retention_due(call, staff: dict, referral_id: str, timeout: float = 45) -> dict:
    """The referral, once its first retention check (30 days) is due."""

    def due():
        referral = call("GET", f"/v1/referrals/{referral_id}", staff)
        return referral if referral["retention"][0]["status"] == "due" else None

    return wait_until(due, timeout=timeout, message="30-day retention check due")


def record_retention(call, staff: dict, referral_id: str, outcome: str = "retained") -> dict:
    body = {"checkpoint": 30, "outcome": outcome}
    return call("POST", f"/v1/referrals/{referral_id}/retention-checks", staff, body)
