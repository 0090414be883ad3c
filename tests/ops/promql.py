"""The PromQL the operators rely on, collected from the alert rules and the dashboards, plus what
the ops tests need to know about the deployment files."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.helpers import ROOT

DEPLOY = ROOT / "deploy"
RULES_DIR = DEPLOY / "prometheus" / "rules"
RULE_FILES = sorted(RULES_DIR.glob("*.yml"))
RULE_TESTS = sorted((DEPLOY / "prometheus" / "tests").glob("*.yml"))
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
DATASOURCES = DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml"

# What Grafana puts in place of its built-in variables when the test runs a panel's query.
GRAFANA_BUILTINS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "10m"}

COMPARISON = re.compile(r"^(?P<signal>.*\S)\s*(?:>|<|>=|<=|==|!=)\s*-?[0-9.]+$", re.S)
ABSENT = re.compile(r"absent\((?P<selector>[^()]*)\)")
METRIC = re.compile(r"\b(civic146_[a-z0-9_]+)\b")
SERVICE_MATCHER = re.compile(r'service="([a-z]+)"')


def platform_services() -> list[str]:
    """Every service of the platform: a package under services/ with a worker entry point."""
    return sorted(
        p.parent.name for p in (ROOT / "services").glob("*/worker.py") if p.parent.name != "civic146"
    )


@dataclass(frozen=True)
class Expression:
    where: str  # e.g. "alert HighErrorRate" or "Civic146 · Event pipeline / Consumer lag"
    expr: str  # ready to run: dashboard variables replaced

    @property
    def metrics(self) -> set[str]:
        return set(METRIC.findall(self.expr))

    @property
    def services(self) -> set[str]:
        return set(SERVICE_MATCHER.findall(self.expr))


def alert_rules() -> list[dict]:
    return [
        rule
        for f in RULE_FILES
        for group in yaml.safe_load(f.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


def alert_signals(rule: dict) -> list[str]:
    """What an alert watches: the expression without its threshold, or the selectors it wants
    present. Rules follow this shape so that a live Prometheus can show the signal has data."""
    expr = " ".join(rule["expr"].split())
    if expr.startswith("absent("):
        return [m.group("selector") for m in ABSENT.finditer(expr)]
    match = COMPARISON.match(expr)
    return [match.group("signal")] if match else []


def rule_expressions() -> list[Expression]:
    return [Expression(f"alert {r['alert']}", signal) for r in alert_rules() for signal in alert_signals(r)]


def load_dashboard(path: Path) -> dict:
    return json.loads(path.read_text())


def panels(dashboard: dict) -> list[dict]:
    out = []
    for p in dashboard["panels"]:
        out.append(p)
        out.extend(p.get("panels", []))  # panels inside collapsed rows
    return out


def substitute(expr: str, variables: dict[str, str]) -> str:
    for name, value in {**GRAFANA_BUILTINS, **variables}.items():
        bare = name.lstrip("$")
        expr = expr.replace("${" + bare + "}", value).replace("$" + bare, value)
    return expr


def dashboard_variables(dashboard: dict) -> dict[str, str]:
    """Each variable as Grafana sends it with "All" selected."""
    return {
        "$" + v["name"]: v.get("allValue") or ".*" for v in dashboard.get("templating", {}).get("list", [])
    }


def dashboard_expressions() -> list[Expression]:
    out = []
    for path in DASHBOARDS:
        d = load_dashboard(path)
        variables = dashboard_variables(d)
        for p in panels(d):
            for t in p.get("targets", []):
                out.append(
                    Expression(
                        f"{d['title']} / {p['title']} [{t['refId']}]", substitute(t["expr"], variables)
                    )
                )
    return out


def variable_queries() -> list[tuple[str, str]]:
    """(where, definition) of every label_values(...) variable of the dashboards."""
    return [
        (f"{load_dashboard(p)['title']} / ${v['name']}", v["query"])
        for p in DASHBOARDS
        for v in load_dashboard(p).get("templating", {}).get("list", [])
        if v.get("type") == "query"
    ]


def provisioned_datasource_uid() -> str:
    [ds] = yaml.safe_load(DATASOURCES.read_text())["datasources"]
    return ds["uid"]
