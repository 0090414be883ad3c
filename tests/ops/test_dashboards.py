"""The Grafana dashboards: valid dashboard models (read through Grafana's own typed model), every
query on the provisioned datasource, every query valid PromQL (promtool), every agreed domain
metric on the governance overview. tests/ops/test_live_prometheus.py runs the queries for real."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import yaml
from grafana_foundation_sdk.models.dashboard import Dashboard

from tests.helpers import ROOT
from tests.ops.promql import (
    DASHBOARDS,
    dashboard_expressions,
    load_dashboard,
    panels,
    provisioned_datasource_uid,
)
from tests.ops.test_prometheus_rules import promtool

GOVERNANCE_METRICS = {  # the agreed domain metrics of the four services (metric names shared with them)
    "civic146_intake_requests_submitted_total",
    "civic146_intake_transitions_total",
    "civic146_intake_overdue_total",
    "civic146_intake_ratings_total",
    "civic146_intake_follow_ups_total",
    "civic146_intake_response_rate",
    "civic146_intake_resolution_rate",
    "civic146_intake_satisfaction_rate",
    "civic146_intake_open_overdue",
    "civic146_deliberation_topics_created_total",
    "civic146_deliberation_step_transitions_total",
    "civic146_deliberation_consultations_held_total",
    "civic146_deliberation_consultation_participants_total",
    "civic146_deliberation_ballots_cast_total",
    "civic146_deliberation_votes_closed_total",
    "civic146_deliberation_matters_solved_total",
    "civic146_deliberation_topics_by_step",
    "civic146_deliberation_last_vote_turnout",
    "civic146_employment_seekers_registered_total",
    "civic146_employment_jobs_posted_total",
    "civic146_employment_referral_transitions_total",
    "civic146_employment_placements_total",
    "civic146_employment_retention_checks_total",
    "civic146_employment_open_jobs",
    "civic146_employment_active_seekers",
    "civic146_employment_group_days_to_placement",
    "civic146_employment_group_drop_out_rate",
    "civic146_employment_group_retention_rate",
    "civic146_mediation_cases_opened_total",
    "civic146_mediation_outcomes_total",
    "civic146_mediation_fulfilment_total",
    "civic146_mediation_overdue_total",
    "civic146_mediation_open_cases",
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def as_plain(obj):
    return json.loads(json.dumps(obj, default=lambda o: o.to_json() if hasattr(o, "to_json") else o.__dict__))


def lost_keys(original, kept, path="") -> list[str]:
    """Keys of `original` that Grafana's model did not keep: misspelt or unknown fields."""
    if isinstance(original, dict):
        if not isinstance(kept, dict):
            return [path or "/"]
        return [
            k
            for key, value in original.items()
            for k in ([f"{path}/{key}"] if key not in kept else lost_keys(value, kept[key], f"{path}/{key}"))
        ]
    if isinstance(original, list) and isinstance(kept, list) and len(original) == len(kept):
        return [k for i, (a, b) in enumerate(zip(original, kept)) for k in lost_keys(a, b, f"{path}[{i}]")]
    return []


@pytest.fixture(params=[p.name for p in DASHBOARDS])
def dashboard(request) -> dict:
    return load_dashboard(ROOT / "deploy" / "grafana" / "dashboards" / request.param)


def test_the_dashboard_files_are_generated_from_dashboards_py():
    result = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "grafana" / "dashboards.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(DASHBOARDS) == 3


def test_each_dashboard_is_a_grafana_dashboard_model(dashboard):
    kept = as_plain(Dashboard.from_json(dashboard).to_json())
    assert lost_keys(dashboard, kept) == []
    assert 8 <= len(dashboard["uid"]) <= 40 and dashboard["title"] and dashboard["schemaVersion"] >= 36
    ids = [p["id"] for p in panels(dashboard)]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    cells = set()
    for p in panels(dashboard):
        g = p["gridPos"]
        assert g["w"] > 0 and g["h"] > 0 and 0 <= g["x"] and g["x"] + g["w"] <= 24, f"{p['title']}: {g}"
        mine = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not cells & mine, f"{p['title']} overlaps another panel"
        cells |= mine


def test_every_query_uses_the_provisioned_datasource_by_uid(dashboard):
    uid = provisioned_datasource_uid()
    provisioning = yaml.safe_load((ROOT / "deploy/grafana/provisioning/dashboards/civic146.yml").read_text())
    assert provisioning["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    for p in panels(dashboard):
        if p["type"] == "row":
            continue
        assert p["datasource"] == {"type": "prometheus", "uid": uid}, p["title"]
        assert p["targets"], f"{p['title']} has no query"
        for t in p["targets"]:
            assert t["datasource"] == {"type": "prometheus", "uid": uid} and t["refId"] and t["expr"].strip()
    for v in dashboard["templating"]["list"]:
        assert v["datasource"] == {"type": "prometheus", "uid": uid}, v["name"]


def test_every_query_is_valid_promql(tmp_path):
    """promtool parses rule expressions offline, so each query becomes a recording rule."""
    expressions = dashboard_expressions()
    rules = {
        "groups": [
            {
                "name": "dashboards",
                "rules": [
                    {"record": f"dashboard:query_{i}", "expr": e.expr} for i, e in enumerate(expressions)
                ],
            }
        ]
    }
    (tmp_path / "queries.yml").write_text(yaml.safe_dump(rules, allow_unicode=True))
    result = promtool("check", "rules", str(tmp_path / "queries.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_governance_overview_is_bilingual_and_shows_every_agreed_metric():
    overview = load_dashboard(ROOT / "deploy" / "grafana" / "dashboards" / "civic146-governance.json")
    for p in [overview, *panels(overview)]:
        english, _, chinese = p["title"].rpartition(" / ")
        assert re.search(r"[A-Za-z]", english) and CJK.search(chinese), f"not bilingual: {p['title']}"
    used = {m for e in dashboard_expressions() if e.where.startswith(overview["title"]) for m in e.metrics}
    assert GOVERNANCE_METRICS - used == set()
