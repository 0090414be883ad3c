"""The Grafana dashboards of Civic146, written as data: `python deploy/grafana/dashboards.py`
regenerates deploy/grafana/dashboards/*.json (commit both); `--check` fails when they differ.

Every query uses the provisioned datasource (uid civic146-prometheus). Panels that count over the
dashboard's time range use instant queries over $__range; rates use $__rate_interval. Titles are
bilingual: English / 中文. A service that lands adds its panels here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "civic146-prometheus"}
NOT_PROBES = 'route!~"/metrics|/healthz|/readyz"'


def query(expr: str, legend: str = "", instant: bool = False) -> dict:
    return {"expr": expr, "legendFormat": legend or "__auto", "instant": instant, "range": not instant}


def panel(
    title: str,
    kind: str,
    queries: list[dict],
    *,
    unit: str = "short",
    w: int = 8,
    h: int = 8,
    description: str = "",
    options: dict | None = None,
    decimals: int | None = None,
) -> dict:
    defaults: dict = {"unit": unit}
    if decimals is not None:
        defaults["decimals"] = decimals
    if unit == "percentunit":
        defaults.update(min=0, max=1)
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": {"w": w, "h": h},
        "targets": [
            {**q, "refId": chr(ord("A") + i), "datasource": DATASOURCE} for i, q in enumerate(queries)
        ],
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": options or {},
    }


def row(title: str, repeat: str | None = None) -> dict:
    r = {"type": "row", "title": title, "collapsed": False, "panels": [], "gridPos": {"w": 24, "h": 1}}
    if repeat:
        r["repeat"] = repeat
    return r


def variable(name: str, label: str, definition: str) -> dict:
    return {
        "type": "query",
        "name": name,
        "label": label,
        "datasource": DATASOURCE,
        "query": definition,
        "refresh": 2,
        "sort": 1,
        "multi": True,
        "includeAll": True,
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "hide": 0,
    }


def layout(items: list[dict]) -> list[dict]:
    """Flow panels left to right in Grafana's 24-column grid; a row starts a new line."""
    x = y = line_h = 0
    for i, item in enumerate(items, start=1):
        item["id"] = i
        w, h = item["gridPos"]["w"], item["gridPos"]["h"]
        if item["type"] == "row" or x + w > 24:
            x, y, line_h = 0, y + line_h, 0
        item["gridPos"].update(x=x, y=y)
        x, line_h = x + w, max(line_h, h)
        if item["type"] == "row":
            x, y, line_h = 0, y + h, 0
    return items


def dashboard(
    uid: str,
    title: str,
    description: str,
    items: list[dict],
    variables: list[dict],
    time_from: str = "now-6h",
) -> dict:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["civic146"],
        "editable": False,
        "graphTooltip": 1,
        "timezone": "browser",
        "refresh": "30s",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": time_from, "to": "now"},
        "templating": {"list": variables},
        "annotations": {"list": []},  # Grafana adds its built-in annotations itself
        "links": [{"type": "dashboards", "tags": ["civic146"], "asDropdown": True, "title": "Civic146"}],
        "panels": layout(items),
    }


# --- service health: RED per service ---------------------------------------------------------------


def zero_if_none(expr_5xx: str, expr_all: str) -> str:
    """The error ratio is 0, not empty, while no 5xx has been counted yet."""
    return f"({expr_5xx} or {expr_all} * 0) / {expr_all}"


def service_health() -> dict:
    s = 'service=~"$service"'
    requests_all = (
        f"sum by (service) (rate(civic146_http_requests_total{{{s}, {NOT_PROBES}}}[$__rate_interval]))"
    )
    requests_5xx = (
        f'sum by (service) (rate(civic146_http_requests_total{{{s}, {NOT_PROBES}, status=~"5.."}}'
        f"[$__rate_interval]))"
    )
    items = [
        row("Targets / 抓取目标"),
        panel(
            "Processes up / 进程在线",
            "stat",
            [query(f'up{{job=~"api|worker", {s}}}', "{{service}} {{job}} {{instance}}", instant=True)],
            w=24,
            h=4,
            description="1 = Prometheus scrapes it; 0 = down.",
            options={
                "colorMode": "background",
                "graphMode": "none",
                "textMode": "value_and_name",
                "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            },
        ),
        row("$service", repeat="service"),
        panel(
            "Rate: requests per second / 请求速率",
            "timeseries",
            [
                query(
                    f"sum by (service, route) (rate(civic146_http_requests_total{{{s}, {NOT_PROBES}}}"
                    f"[$__rate_interval]))",
                    "{{route}}",
                )
            ],
            unit="reqps",
        ),
        panel(
            "Errors: share of 5xx / 错误率",
            "timeseries",
            [
                query(zero_if_none(requests_5xx, requests_all), "{{service}}"),
                query(
                    f"sum by (service, status) (rate(civic146_http_requests_total{{{s}, {NOT_PROBES}, "
                    f'status=~"4.."}}[$__rate_interval])) / ignoring (status) group_left {requests_all}',
                    "{{status}}",
                ),
            ],
            unit="percentunit",
            description="5xx is the alerting signal; 4xx are shown for input problems.",
        ),
        panel(
            "Duration: p50 / p95 / p99 / 响应时间",
            "timeseries",
            [
                query(
                    f"histogram_quantile({q}, sum by (service, le) "
                    "(rate(civic146_http_request_duration_seconds_bucket"
                    f"{{{s}, {NOT_PROBES}}}[$__rate_interval])))",
                    f"p{int(q * 100)}",
                )
                for q in (0.5, 0.95, 0.99)
            ],
            unit="s",
        ),
        panel(
            "Slowest routes, p95 / 最慢接口",
            "bargauge",
            [
                query(
                    f"topk(10, histogram_quantile(0.95, sum by (service, route, le) "
                    f"(rate(civic146_http_request_duration_seconds_bucket{{{s}, {NOT_PROBES}}}[$__range]))))",
                    "{{route}}",
                    instant=True,
                )
            ],
            unit="s",
            w=12,
            options={"orientation": "horizontal", "displayMode": "gradient"},
        ),
        panel(
            "Scheduled jobs / 定时任务",
            "timeseries",
            [
                query(
                    "sum by (service, exported_job, outcome) "
                    f"(increase(civic146_scheduled_job_runs_total{{{s}}}"
                    f"[$__rate_interval]))",
                    "{{exported_job}} {{outcome}}",
                )
            ],
            w=12,
            description="The job label is exported_job: Prometheus keeps `job` for the scrape job.",
        ),
    ]
    return dashboard(
        "civic146-service-health",
        "Civic146 · Service health (RED) / 服务健康",
        "Rate, errors and duration of every service's API, per service.",
        items,
        [variable("service", "Service / 服务", 'label_values(up{job=~"api|worker"}, service)')],
        time_from="now-1h",
    )


# --- event pipeline ----------------------------------------------------------------------------------


def event_pipeline() -> dict:
    s = 'service=~"$service"'
    published = f"sum by (service, topic) (rate(civic146_events_published_total{{{s}}}[$__rate_interval]))"
    items = [
        row("Outbox → Kafka / 发件箱到 Kafka"),
        panel(
            "Events published per second / 事件发布速率",
            "timeseries",
            [query(published, "{{service}} → {{topic}}")],
            unit="ops",
        ),
        panel(
            "Outbox backlog / 待发布事件",
            "timeseries",
            [
                query(
                    f"max by (service, collection) (civic146_outbox_backlog_events{{{s}}})",
                    "{{service}} {{collection}}",
                )
            ],
            description="Events committed but not yet acknowledged by Kafka.",
        ),
        panel(
            "Oldest unpublished event / 最久未发布事件",
            "timeseries",
            [
                query(
                    f"max by (service, collection) (civic146_outbox_oldest_age_seconds{{{s}}})",
                    "{{service}} {{collection}}",
                )
            ],
            unit="s",
        ),
        panel(
            "Publish latency (commit → ack) / 发布延迟",
            "timeseries",
            [
                query(
                    f"histogram_quantile({q}, sum by (service, le) "
                    "(rate(civic146_publish_latency_seconds_bucket"
                    f"{{{s}}}[$__rate_interval])))",
                    f"{{{{service}}}} p{int(q * 100)}",
                )
                for q in (0.5, 0.95)
            ],
            unit="s",
            w=12,
        ),
        panel(
            "Publish errors per second / 发布失败",
            "timeseries",
            [
                query(
                    f"sum by (service, topic) (rate(civic146_publish_errors_total{{{s}}}[$__rate_interval])) "
                    f"or {published} * 0",
                    "{{service}} → {{topic}}",
                )
            ],
            unit="ops",
            w=12,
        ),
        row("Consumers / 消费者"),
        panel(
            "Messages consumed by outcome / 消费结果",
            "timeseries",
            [
                query(
                    "sum by (service, topic, outcome) "
                    f"(rate(civic146_events_consumed_total{{{s}}}[$__rate_interval]))",
                    "{{service}} {{topic}} {{outcome}}",
                )
            ],
            unit="ops",
        ),
        panel(
            "Consumer lag / 消费积压",
            "timeseries",
            [
                query(
                    f"sum by (service, topic) (civic146_consumer_lag_messages{{{s}}})",
                    "{{service}} ← {{topic}}",
                )
            ],
            description="Log end offset minus the group's position, summed over partitions.",
        ),
        panel(
            "Handler duration p95 / 处理耗时",
            "timeseries",
            [
                query(
                    "histogram_quantile(0.95, sum by (service, type, le) "
                    "(rate(civic146_handler_duration_seconds_bucket"
                    f"{{{s}}}[$__rate_interval])))",
                    "{{service}} {{type}}",
                )
            ],
            unit="s",
        ),
        row("Dead letters / 死信"),
        panel(
            "Dead letters in range / 时段内死信",
            "stat",
            [
                query(
                    f"sum by (service, topic) (increase(civic146_dead_letters_total{{{s}}}[$__range]))",
                    "{{service}} ← {{topic}}",
                    instant=True,
                )
            ],
            w=8,
            decimals=0,
            description="Read and replay them: deploy/README.md, Dead letters.",
            options={
                "colorMode": "background",
                "graphMode": "none",
                "textMode": "value_and_name",
                "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            },
        ),
        panel(
            "Dead letters over time / 死信趋势",
            "timeseries",
            [
                query(
                    "sum by (service, topic) "
                    f"(increase(civic146_dead_letters_total{{{s}}}[$__rate_interval]))",
                    "{{service}} ← {{topic}}",
                )
            ],
            w=16,
        ),
    ]
    return dashboard(
        "civic146-event-pipeline",
        "Civic146 · Event pipeline / 事件管道",
        "Outbox, publishing, consumers, lag and dead letters.",
        items,
        [variable("service", "Service / 服务", 'label_values(up{job="worker"}, service)')],
        time_from="now-1h",
    )


# --- the "146" governance overview --------------------------------------------------------------------


def in_range(metric: str, by: str, extra: str = "", community: bool = True) -> str:
    selector = ", ".join(x for x in ('community=~"$community"' if community else "", extra) if x)
    return f"sum by ({by}) (increase({metric}{{{selector}}}[$__range]))"


def rate_gauge(metric: str) -> str:
    return f'max by (community) ({metric}{{community=~"$community"}})'


def governance() -> dict:
    c = 'community=~"$community"'
    bars = {"orientation": "horizontal", "displayMode": "gradient", "showUnfilled": True}
    pie = {
        "legend": {"displayMode": "table", "placement": "right", "values": ["value"]},
        "pieType": "donut",
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
    }
    items = [
        row("Residents' requests (intake) / 民意诉求"),
        panel(
            "Requests by channel / 按渠道诉求量",
            "piechart",
            [
                query(
                    in_range("civic146_intake_requests_submitted_total", "channel"),
                    "{{channel}}",
                    instant=True,
                )
            ],
            options=pie,
            decimals=0,
        ),
        panel(
            "Requests by community / 按社区诉求量",
            "bargauge",
            [
                query(
                    in_range("civic146_intake_requests_submitted_total", "community"),
                    "{{community}}",
                    instant=True,
                )
            ],
            options=bars,
            decimals=0,
        ),
        panel(
            "Requests by category / 按类别诉求量",
            "bargauge",
            [
                query(
                    in_range("civic146_intake_requests_submitted_total", "category"),
                    "{{category}}",
                    instant=True,
                )
            ],
            options=bars,
            decimals=0,
        ),
        panel(
            "Response rate (30 days) / 响应率",
            "bargauge",
            [query(rate_gauge("civic146_intake_response_rate"), "{{community}}", instant=True)],
            unit="percentunit",
            options=bars,
        ),
        panel(
            "Resolution rate (30 days) / 解决率",
            "bargauge",
            [query(rate_gauge("civic146_intake_resolution_rate"), "{{community}}", instant=True)],
            unit="percentunit",
            options=bars,
        ),
        panel(
            "Satisfaction rate (30 days) / 满意率",
            "bargauge",
            [query(rate_gauge("civic146_intake_satisfaction_rate"), "{{community}}", instant=True)],
            unit="percentunit",
            options=bars,
        ),
        panel(
            "Open requests overdue / 超期未办结",
            "stat",
            [
                query(
                    f"max by (community) (civic146_intake_open_overdue{{{c}}})", "{{community}}", instant=True
                )
            ],
            decimals=0,
            options={
                "colorMode": "background",
                "graphMode": "none",
                "textMode": "value_and_name",
                "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            },
        ),
        panel(
            "Deadlines passed in range / 时段内超期",
            "bargauge",
            [
                query(
                    in_range("civic146_intake_overdue_total", "community, deadline"),
                    "{{community}} {{deadline}}",
                    instant=True,
                )
            ],
            options=bars,
            decimals=0,
        ),
        panel(
            "Ratings 1-5 in range / 评价分布",
            "bargauge",
            [
                query(
                    in_range("civic146_intake_ratings_total", "satisfaction"),
                    "{{satisfaction}} ★",
                    instant=True,
                )
            ],
            options=bars,
            decimals=0,
        ),
        panel(
            "Status changes per hour / 办理进度",
            "timeseries",
            [
                query(
                    f"sum by (status) (increase(civic146_intake_transitions_total{{{c}}}[1h]))", "{{status}}"
                )
            ],
            w=16,
        ),
        panel(
            "Follow-ups for want of a rating / 回访",
            "stat",
            [query(in_range("civic146_intake_follow_ups_total", "community"), "{{community}}", instant=True)],
            decimals=0,
        ),
        row("Six steps on four platforms (deliberation) / 六步流程 · 四方平台"),
        panel(
            "Topics by step / 各步骤议题数",
            "bargauge",
            [
                query(
                    "sum by (step) (max by (platform, step) (civic146_deliberation_topics_by_step))",
                    "{{step}}",
                    instant=True,
                )
            ],
            options=bars,
            decimals=0,
            description="Sub-district wide: this gauge has no community label.",
        ),
        panel(
            "Topics by platform and step / 各平台议题",
            "bargauge",
            [
                query(
                    "max by (platform, step) (civic146_deliberation_topics_by_step)",
                    "{{platform}} · {{step}}",
                    instant=True,
                )
            ],
            options=bars,
            decimals=0,
        ),
        panel(
            "Topics created by origin / 议题来源",
            "piechart",
            [
                query(
                    in_range("civic146_deliberation_topics_created_total", "origin"),
                    "{{origin}}",
                    instant=True,
                )
            ],
            options=pie,
            decimals=0,
        ),
        panel(
            "Consultations held by platform / 协商次数",
            "bargauge",
            [
                query(
                    in_range("civic146_deliberation_consultations_held_total", "platform"),
                    "{{platform}}",
                    instant=True,
                )
            ],
            options=bars,
            decimals=0,
        ),
        panel(
            "Consultation participants / 参与人次",
            "stat",
            [
                query(
                    in_range("civic146_deliberation_consultation_participants_total", "platform"),
                    "{{platform}}",
                    instant=True,
                )
            ],
            decimals=0,
        ),
        panel(
            "Step transitions in range / 步骤推进",
            "bargauge",
            [
                query(
                    in_range("civic146_deliberation_step_transitions_total", "step"), "{{step}}", instant=True
                )
            ],
            options=bars,
            decimals=0,
        ),
        panel(
            "Votes by result / 表决结果",
            "piechart",
            [
                query(
                    in_range("civic146_deliberation_votes_closed_total", "result"), "{{result}}", instant=True
                )
            ],
            options=pie,
            decimals=0,
        ),
        panel(
            "Ballots cast / 投票数",
            "stat",
            [
                query(
                    in_range("civic146_deliberation_ballots_cast_total", "community"),
                    "{{community}}",
                    instant=True,
                )
            ],
            decimals=0,
        ),
        panel(
            "Turnout of the last vote / 最近一次表决参与率",
            "bargauge",
            [query(rate_gauge("civic146_deliberation_last_vote_turnout"), "{{community}}", instant=True)],
            unit="percentunit",
            options=bars,
        ),
        panel(
            "Livelihood matters solved / 解决民生实事",
            "stat",
            [
                query(
                    in_range("civic146_deliberation_matters_solved_total", "community"),
                    "{{community}}",
                    instant=True,
                )
            ],
            decimals=0,
            w=24,
            h=5,
        ),
        row("Targeted employment / 精准促就业"),
        panel(
            "Placements by target group / 按群体就业",
            "bargauge",
            [
                query(
                    in_range("civic146_employment_placements_total", "target_group"),
                    "{{target_group}}",
                    instant=True,
                )
            ],
            options=bars,
            decimals=0,
        ),
        panel(
            "Seekers registered by target group / 求职登记",
            "bargauge",
            [
                query(
                    in_range("civic146_employment_seekers_registered_total", "target_group"),
                    "{{target_group}}",
                    instant=True,
                )
            ],
            options=bars,
            decimals=0,
        ),
        panel(
            "Referrals by stage / 推荐进度",
            "bargauge",
            [
                query(
                    in_range("civic146_employment_referral_transitions_total", "stage"),
                    "{{stage}}",
                    instant=True,
                )
            ],
            options=bars,
            decimals=0,
        ),
        panel(
            "Jobs posted / 发布岗位",
            "stat",
            [
                query(
                    in_range("civic146_employment_jobs_posted_total", "community"),
                    "{{community}}",
                    instant=True,
                )
            ],
            decimals=0,
        ),
        panel(
            "Open jobs and active seekers / 在招岗位与求职者",
            "stat",
            [
                query(
                    f"sum(max by (community) (civic146_employment_open_jobs{{{c}}}))",
                    "open jobs / 在招岗位",
                    instant=True,
                ),
                query(
                    f"sum(max by (community) (civic146_employment_active_seekers{{{c}}}))",
                    "active seekers / 求职者",
                    instant=True,
                ),
            ],
            decimals=0,
        ),
        panel(
            "Retention checks / 稳岗回访",
            "bargauge",
            [
                query(
                    in_range(
                        "civic146_employment_retention_checks_total", "checkpoint, outcome", community=False
                    ),
                    "{{checkpoint}} days: {{outcome}}",
                    instant=True,
                )
            ],
            options=bars,
            decimals=0,
            description="Sub-district wide: retention checks carry no community label.",
        ),
        panel(
            "Days from need to placement by group / 各群体从登记需求到就业天数",
            "bargauge",
            [
                query(
                    "max by (target_group) (civic146_employment_group_days_to_placement >= 0)",
                    "{{target_group}}",
                    instant=True,
                )
            ],
            unit="d",
            options=bars,
            decimals=1,
            w=12,
            description="Median, sub-district wide, from the need's first record (an intake request, a "
            "survey row or a registration) to the first hire; the same figures as GET /v1/statistics. "
            "A group without a placement yet shows nothing.",
        ),
        panel(
            "Drop-out and retention by group / 各群体流失率与稳岗率",
            "bargauge",
            [
                query(
                    "max by (target_group) (civic146_employment_group_drop_out_rate >= 0)",
                    "{{target_group}} drop-out / 流失",
                    instant=True,
                ),
                query(
                    "max by (target_group, checkpoint) (civic146_employment_group_retention_rate >= 0)",
                    "{{target_group}} retained at {{checkpoint}} days / 稳岗",
                    instant=True,
                ),
            ],
            unit="percentunit",
            options=bars,
            w=12,
            description="Drop-out: seekers closed or disengaged from their pathway without a placement. "
            "Retention: of the checks recorded at each checkpoint. Sub-district wide.",
        ),
        row("Multi-party dispute resolution / 多元解纠纷"),
        panel(
            "Cases opened by type / 按类型立案",
            "bargauge",
            [
                query(
                    in_range("civic146_mediation_cases_opened_total", "case_type"),
                    "{{case_type}}",
                    instant=True,
                )
            ],
            options=bars,
            decimals=0,
        ),
        panel(
            "Mediation outcomes / 调解结果",
            "piechart",
            [query(in_range("civic146_mediation_outcomes_total", "outcome"), "{{outcome}}", instant=True)],
            options=pie,
            decimals=0,
        ),
        panel(
            "Agreement rate / 调解成功率",
            "stat",
            [
                query(
                    f'(sum(increase(civic146_mediation_outcomes_total{{{c}, outcome="agreement"}}'
                    "[$__range])) "
                    f"or sum(increase(civic146_mediation_outcomes_total{{{c}}}[$__range])) * 0) "
                    f"/ sum(increase(civic146_mediation_outcomes_total{{{c}}}[$__range]))",
                    "agreement / 达成协议",
                    instant=True,
                )
            ],
            unit="percentunit",
        ),
        panel(
            "Agreements fulfilled or breached / 协议履行",
            "piechart",
            [query(in_range("civic146_mediation_fulfilment_total", "result"), "{{result}}", instant=True)],
            options=pie,
            decimals=0,
        ),
        panel(
            "Open cases / 在办案件",
            "stat",
            [
                query(
                    f"max by (community) (civic146_mediation_open_cases{{{c}}})",
                    "{{community}}",
                    instant=True,
                )
            ],
            decimals=0,
        ),
        panel(
            "Cases overdue in range / 超期案件",
            "stat",
            [query(in_range("civic146_mediation_overdue_total", "community"), "{{community}}", instant=True)],
            decimals=0,
        ),
    ]
    return dashboard(
        "civic146-governance",
        "Civic146 · “146” governance overview / “146”服务治理总览",
        "Requests, the six steps on the four platforms, employment and mediation, by community.",
        items,
        [
            variable(
                "community",
                "Community / 社区",
                "label_values(civic146_intake_requests_submitted_total, community)",
            )
        ],
        time_from="now-7d",
    )


DASHBOARDS = {
    "civic146-service-health.json": service_health,
    "civic146-event-pipeline.json": event_pipeline,
    "civic146-governance.json": governance,
}


def render() -> dict[str, str]:
    return {
        name: json.dumps(build(), ensure_ascii=False, indent=2) + "\n" for name, build in DASHBOARDS.items()
    }


def main(argv: list[str]) -> int:
    rendered = render()
    if argv[1:] == ["--check"]:
        stale = [n for n, text in rendered.items() if not (OUT / n).exists() or (OUT / n).read_text() != text]
        print("dashboards match deploy/grafana/dashboards.py" if not stale else f"regenerate: {stale}")
        return 1 if stale else 0
    OUT.mkdir(exist_ok=True)
    for name, text in rendered.items():
        (OUT / name).write_text(text)
        print(f"wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
