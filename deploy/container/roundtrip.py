"""One resident request through intake to deliberation and back, over the APIs only.

Run by deploy/container/smoke.sh inside the intake-api container (the project's image, standard
library plus civic146), so that it needs nothing on the host:

    docker-compose exec -T -e STAFF_TOKEN=... intake-api python - INTAKE_URL DELIBERATION_URL < roundtrip.py

STAFF_TOKEN is a community-staff token of huifeng (the smoke mints it with the command the
operator's guide gives); the resident's token is minted here with the container's JWT_SECRET.
The request is accepted and routed by staff; deliberation must then hold it on a topic (the
routed event went intake -> Kafka -> deliberation), and intake must show it in progress
(deliberation's progress event came back the same way). Prints one JSON line per step with its
duration, and exits 1 with the last answer if a step does not happen within its time.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request

from civic146.auth import mint

COMMUNITY, COMPOUND = "huifeng", "lefu-international"
REQUEST = {
    "category": "roads_and_facilities",
    "description": "乐福国际小区北侧道路暴雨后损毁，坑洼严重，请尽快修复。",
    "community": COMMUNITY,
    "compound": COMPOUND,
    "channel": "opinion_express",
    "submitter": {"name": "王小明", "phone": "13812341234"},
}


def call(method: str, url: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def step(name: str, t0: float, **detail) -> None:
    print(json.dumps({"step": name, "ms": round((time.monotonic() - t0) * 1000), **detail}), flush=True)


def wait_for(name: str, probe, timeout: float = 60.0):
    t0, last = time.monotonic(), None
    while time.monotonic() - t0 < timeout:
        found, last = probe()
        if found:
            return found, t0
        time.sleep(0.2)
    sys.exit(f"{name}: not seen within {timeout:.0f} s; last answer: {json.dumps(last, ensure_ascii=False)}")


def main() -> None:
    intake, deliberation = sys.argv[1].rstrip("/"), sys.argv[2].rstrip("/")
    staff = os.environ["STAFF_TOKEN"]
    resident = mint(
        os.environ["JWT_SECRET"],
        "smoke-resident-1",
        ["resident"],
        None,
        os.environ.get("JWT_ISSUER", "civic146"),
        os.environ.get("JWT_AUDIENCE", "civic146-api"),
    )
    total = time.monotonic()

    t0 = time.monotonic()
    status, body = call("POST", f"{intake}/v1/requests", resident, REQUEST)
    if status != 201:
        sys.exit(f"submit: {status} {body}")
    rid = body["id"]
    step("submitted to intake", t0, request_id=rid, status=body["status"])

    for action, done in (("accept", "accepted"), ("route", "routed")):
        t0 = time.monotonic()
        status, body = call("POST", f"{intake}/v1/requests/{rid}/{action}", staff, {})
        if status != 200:
            sys.exit(f"{action}: {status} {body}")
        step(f"{done} by staff", t0, status=body["status"], route_target=body.get("route_target"))
    if body.get("route_target") != "deliberation":
        sys.exit(f"routed to {body.get('route_target')}, not deliberation")

    def topic_holds_request():
        status, page = call("GET", f"{deliberation}/v1/topics?community={COMMUNITY}", staff)
        for topic in page.get("items", []) if status == 200 else []:
            if rid in {r["request_id"] for r in topic["requests"]}:
                return topic, page
        return None, page

    topic, t0 = wait_for("deliberation topic holding the request", topic_holds_request)
    step("deliberation holds it on a topic", t0, topic_id=topic["id"], topic_step=topic["step"])

    def intake_in_progress():
        status, doc = call("GET", f"{intake}/v1/requests/{rid}", staff)
        return (doc if status == 200 and doc.get("status") == "in_progress" else None), doc

    doc, t0 = wait_for("intake request in progress", intake_in_progress)
    step("intake shows deliberation's progress", t0, status=doc["status"])
    step("round trip", total, request_id=rid, topic_id=topic["id"])


if __name__ == "__main__":
    main()
