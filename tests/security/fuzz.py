"""`make fuzz`: schemathesis over each service's OpenAPI document, against its API under gunicorn.

Starts the four APIs (each with its own database) against the Kafka and document server named by
KAFKA_BOOTSTRAP and MONGODB_URI (the Makefile starts them on ports of their own), and runs
schemathesis once per service and token: a sub-district admin (sees everything) and a resident
(the resident-only routes). FUZZ_EXAMPLES (default 100) bounds the cases per operation and phase;
FUZZ_SERVICES picks services (comma-separated); FUZZ_SEED makes a run repeatable.

Before fuzzing, each service is given a few real documents of community A (a request, a topic
with a notice, a seeker and an open job, a case), so that lists, statistics and job-fair rounds
answer with data (and their responses are checked against their schemas) instead of empty.

Checks: not_a_server_error, response_schema_conformance, status_code_conformance. Prints per
service the operations, cases and failures, and for each failure the operation, the check, the
status, a curl line to reproduce it and the API's log lines of the error. Exits 1 on any failure.

    python -m tests.security.fuzz [--examples N] [--services intake,employment] [--report-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.security.apis import COMMUNITY_A, SERVICES, Api, token

CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance"
BIN = Path(sys.executable).parent


def _token(sub: str, roles: list[str], communities: list[str]) -> str:
    now = int(time.time())
    return token(
        sub, roles, communities, iat=now, exp=now + 3 * 3600
    )  # outlasts a long run, under any ceiling


TOKENS = {
    "admin": lambda: _token("fuzz-admin", ["subdistrict_admin"], []),
    "resident": lambda: _token("fuzz-resident", ["resident"], [COMMUNITY_A]),
}


@dataclass
class Result:
    service: str
    who: str
    operations: int = 0
    cases: int = 0
    failures: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    log: str = ""
    details: str = ""


def run_schemathesis(
    api: Api,
    who: str,
    examples: int,
    report_dir: Path,
    seed: str | None,
    phases: str = "examples,coverage,fuzzing",
) -> Result:
    report = report_dir / f"{api.name}-{who}.json"
    offset = api.log_size()
    cmd = [
        str(BIN / "schemathesis"),
        "run",
        f"{api.url}/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(examples),
        "--phases",
        phases,
        "--workers",
        "1",
        "--header",
        f"Authorization: Bearer {TOKENS[who]()}",
        "--request-timeout",
        "20",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--no-color",
        "--output-truncate",
        "true",
        "--warnings",
        "off",
    ]
    if seed:
        cmd += ["--seed", seed]
    out = subprocess.run(cmd, capture_output=True, text=True)
    (report_dir / f"{api.name}-{who}.out").write_text(out.stdout + out.stderr)
    result = Result(api.name, who, log=api.log_since(offset), details=failure_details(out.stdout))
    if not report.exists():
        result.errors.append(
            {
                "message": f"schemathesis wrote no report (exit {out.returncode}): "
                f"{(out.stdout + out.stderr)[-2000:]}"
            }
        )
        return result
    data = json.loads(report.read_text())
    result.operations = data["operations"]["tested"]
    result.cases = data["test_cases"]["generated"]
    result.failures = data.get("failures") or []
    result.errors = data.get("errors") or []
    return result


def _seed_bodies() -> dict[str, list[tuple[str, str, dict, str]]]:
    """Per service: (method, path, body, token) of documents made before fuzzing, taken from the
    integration tests' own valid bodies."""
    from tests.integration.test_employment_api import JOB, SEEKER
    from tests.integration.test_intake_api import GOOD as REQUEST
    from tests.integration.test_mediation_api import GOOD as CASE

    topic = {
        "title": "北侧道路修复",
        "description": "乐福国际小区北侧道路因强降雨损毁",
        "community": COMMUNITY_A,
        "compound": "lefu-international",
        "category": "roads_and_facilities",
        "platform": "residents_council",
    }
    return {
        "intake": [("POST", "/v1/requests", REQUEST, "resident")],
        "deliberation": [("POST", "/v1/topics", topic, "admin")],
        "employment": [("POST", "/v1/seekers", SEEKER, "resident"), ("POST", "/v1/jobs", JOB, "admin")],
        "mediation": [("POST", "/v1/cases", CASE, "admin")],
    }


def seed_documents(api: Api) -> None:
    import requests

    for method, path, body, who in _seed_bodies().get(api.name, []):
        resp = requests.request(
            method,
            f"{api.url}{path}",
            json=body,
            timeout=20,
            headers={"Authorization": f"Bearer {TOKENS[who]()}"},
        )
        if resp.status_code >= 300:
            raise SystemExit(
                f"{api.name}: seeding {method} {path} answered {resp.status_code}: {resp.text[:500]}"
            )


def failure_details(output: str, max_lines: int = 400) -> str:
    """The FAILURES and ERRORS sections of schemathesis' output: per failure the operation, the
    checks that failed, the status and body received and a curl line that reproduces it (errors
    of the tool itself cut to their first lines)."""
    kept, section, error_lines_left = [], None, 0
    for line in output.splitlines():
        if line.startswith("====="):
            section = "FAILURES" if " FAILURES " in line else "ERRORS" if " ERRORS " in line else None
            continue
        if section == "FAILURES":
            kept.append(line)
        elif section == "ERRORS":
            if line.startswith("_____"):
                error_lines_left = 4
            if error_lines_left > 0:
                kept.append(line[:300])
                error_lines_left -= 1
    text = "\n".join(x for x in kept if x.strip() and "st replay" not in x)
    lines = text.splitlines()
    return "\n".join(
        lines[:max_lines] + ([f"... {len(lines) - max_lines} more lines"] if len(lines) > max_lines else [])
    )


def error_lines(log: str) -> list[str]:
    """The API's log records of unhandled errors, shortened to the exception line."""
    lines = []
    for line in log.splitlines():
        if '"level": "error"' not in line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            lines.append(line[:400])
            continue
        exc = (record.get("exc") or "").strip().splitlines()
        where = [x.strip() for x in exc if x.strip().startswith('File "') and "/services/" in x]
        lines.append(
            f"{record.get('msg')} request_id={record.get('request_id')}: "
            f"{where[-1] if where else ''} -> {exc[-1] if exc else ''}"
        )
    return lines


def describe(failure: dict) -> str:
    """One failure of the JSON report, as far as its fields go."""
    parts = []
    for key in (
        "operation",
        "label",
        "check",
        "name",
        "title",
        "status_code",
        "message",
        "curl",
        "reproduce",
    ):
        if failure.get(key) not in (None, "", [], {}):
            parts.append(f"{key}: {failure[key]}")
    if not parts:
        parts.append(json.dumps(failure, ensure_ascii=False)[:2000])
    return "\n      ".join(str(p) for p in parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=int(os.environ.get("FUZZ_EXAMPLES", "100")))
    parser.add_argument("--services", default=os.environ.get("FUZZ_SERVICES", ",".join(SERVICES)))
    parser.add_argument("--report-dir", default=os.environ.get("FUZZ_REPORT_DIR", ""))
    parser.add_argument("--seed", default=os.environ.get("FUZZ_SEED"))
    args = parser.parse_args(argv)
    mongo = os.environ.get("MONGODB_URI", "mongodb://127.0.0.1:47317/")
    kafka = os.environ.get("KAFKA_BOOTSTRAP", "127.0.0.1:49192")
    report_dir = Path(args.report_dir or tempfile.mkdtemp(prefix="civic146-fuzz-"))
    report_dir.mkdir(parents=True, exist_ok=True)

    results: list[Result] = []
    for name in [s.strip() for s in args.services.split(",") if s.strip()]:
        api = Api(name, mongo, kafka, report_dir)
        print(
            f"{name}: API on {api.url}, fuzzing with {args.examples} examples per operation ...", flush=True
        )
        api.start()
        try:
            seed_documents(api)
            for who in TOKENS:
                results.append(run_schemathesis(api, who, args.examples, report_dir, args.seed))
        finally:
            api.stop()
            _drop(mongo, api.database)

    print(f"\n{'service':<13} {'token':<9} {'operations':>10} {'cases':>7} {'failures':>8} {'errors':>6}")
    for r in results:
        print(
            f"{r.service:<13} {r.who:<9} {r.operations:>10} {r.cases:>7} {len(r.failures):>8} "
            f"{len(r.errors):>6}"
        )
    for r in results:
        if not (r.failures or r.errors):
            continue
        print(f"\n== {r.service} ({r.who} token): {len(r.failures)} failures, {len(r.errors)} errors")
        for f in r.failures:
            print(f"  - {f.get('title')} ({f.get('code')}): {', '.join(f.get('operations', []))}")
        for e in r.errors:
            print(f"  ! {describe(e)}")
        for line in r.details.splitlines():
            print(f"    {line}")
        for line in error_lines(r.log):
            print(f"  log: {line}")
    print(f"\nreports and API logs: {report_dir}")
    return 1 if any(r.failures or r.errors for r in results) else 0


def _drop(mongo: str, database: str) -> None:
    import pymongo

    client = pymongo.MongoClient(mongo, serverSelectionTimeoutMS=5000)
    try:
        client.drop_database(database)
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
