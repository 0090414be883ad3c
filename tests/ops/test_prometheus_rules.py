"""promtool (Debian's prometheus package) checks the scrape configuration, the alert rules and
their unit tests, so they run inside `make test`."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.ops.promql import PROMETHEUS_CONFIG, RULE_FILES, RULE_TESTS, RULES_DIR, alert_rules, alert_signals

# The operators' list: down, errors, latency, outbox, lag, dead letters, overdue, satisfaction.
REQUIRED_ALERTS = {
    "ServiceDown",
    "ServiceMissing",
    "HighErrorRate",
    "HighLatency",
    "OutboxBacklog",
    "OutboxStale",
    "ConsumerLagHigh",
    "DeadLettersGrowing",
    "RequestsOverdue",
    "SatisfactionDropping",
}


def promtool(*args: str, cwd=None) -> subprocess.CompletedProcess:
    if shutil.which("promtool") is None:
        pytest.fail("promtool is missing: `make test` installs it (apt-get install prometheus)")
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_promtool_check_config_with_the_rules_it_loads(tmp_path):
    """The compose config names its rules by their path inside the container; the check runs on
    a copy that points at the repository's rule files, so promtool loads and checks them too."""
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    config["rule_files"] = [str(RULES_DIR / "*.yml")]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    result = promtool("check", "config", str(tmp_path / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {sum(1 for _ in alert_rules())} rules found" in result.stdout + result.stderr


def test_promtool_check_rules():
    assert RULE_FILES
    result = promtool("check", "rules", *map(str, RULE_FILES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_test_rules():
    assert RULE_TESTS
    for test_file in RULE_TESTS:
        result = promtool("test", "rules", test_file.name, cwd=test_file.parent)
        assert result.returncode == 0, result.stdout + result.stderr


def test_every_required_alert_exists_and_is_unit_tested():
    names = {r["alert"] for r in alert_rules()}
    assert REQUIRED_ALERTS <= names
    tested = {
        case["alertname"]
        for f in RULE_TESTS
        for t in yaml.safe_load(f.read_text())["tests"]
        for case in t.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert names <= tested, f"alerts never shown firing in a rule test: {sorted(names - tested)}"


def test_every_alert_has_a_signal_the_live_test_can_query_and_a_summary():
    for rule in alert_rules():
        assert alert_signals(rule), f"{rule['alert']}: write it as '<signal> <op> <number>' or absent(...)"
        assert rule["labels"]["severity"] in ("critical", "warning")
        assert rule["annotations"]["summary"]
