"""The public notice board (公示栏) in a browser: one page for the sub-district, one per community and
one per public matter, with the colour map of the area (彩色动态图). Server-rendered with Flask's
Jinja templates (templates/board/, static/board/), Chinese first with an English switch, no script.

The pages show the public models of routes/public.py (`public_topic`, `public_result`) and the registry's
names, nothing else: the same masking as the public JSON. Each page is validated by an ETag and a
Last-Modified computed from the ids and versions of the public topics it draws, the day, the query
and the release (code, registry, layout, settings), before anything is read or rendered: a hall
screen that reloads its page every minute costs one small read and a 304 while nothing changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Literal

from flask import Response, render_template, request, url_for
from markupsafe import Markup, escape
from pydantic import Field
from werkzeug.http import is_resource_modified

from civic146 import registry
from civic146.errors import NotFound
from civic146.payloads import Input
from civic146.registry import REGISTRY
from civic146.web import ApiBlueprint, service_context

from . import colour_map, domain, schemas, store
from .context import Deliberation
from .routes.presentation import as_they_stand
from .routes.public import known_community, public_result, public_topic, public_topic_of

HERE = Path(__file__).parent
bp = ApiBlueprint(
    "board",
    __name__,
    url_prefix="/board",
    tag="notice board",
    template_folder="templates",
    static_folder="static/board",
    static_url_path="/static",
)

# Pages run no script and load only their own stylesheet and icon.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
# The code, templates and static files that draw the pages: a new release is a new page (see release).
CODE = b"".join(
    p.read_bytes()
    for p in (
        HERE / "board.py",
        HERE / "colour_map.py",
        *sorted((HERE / "templates" / "board").glob("*")),
        *sorted((HERE / "static" / "board").glob("*")),
    )
)
STARTED = datetime.now(UTC).replace(microsecond=0)  # a page is no older than the process drawing it


def ctx() -> Deliberation:
    return service_context()


class PageQuery(Input):
    lang: Literal["zh", "en"] = Field("zh", description="Language of the page: zh (default) or en")
    refresh: int | None = Field(
        None, ge=30, le=3600, description="Seconds after which the page reloads itself (a hall screen)"
    )


def html_operation(what: str) -> dict:
    return {
        "responses": {
            "200": {"description": what, "content": {"text/html": {"schema": {"type": "string"}}}},
            "304": {"description": "not modified since the ETag or Last-Modified the client sent"},
            "404": {"description": "no such community or public matter"},
            "422": {"description": "a query parameter out of range (JSON error naming it)"},
            "429": {"description": "too many requests; retry after the `Retry-After` seconds"},
        }
    }


# --- words -----------------------------------------------------------------------------------------

LABELS = {
    "subdistrict": ("中心路街道", "Zhongxinlu sub-district"),
    "board": ("公示栏", "Notice board"),
    "skip": ("跳到正文", "Skip to content"),
    "switch": ("English", "中文"),
    "map": ("彩色动态图", "Colour map"),
    "map_desc": (
        "每个楼院一格，颜色表示其公开事项的状态",
        "One cell per compound, coloured by the state of its public matters",
    ),
    "map_table": ("以表格查看楼院状态", "Compound states as a table"),
    "compound": ("楼院", "Compound"),
    "state": ("状态", "State"),
    "communities": ("社区", "Communities"),
    "notices": ("当前公示", "Current notices"),
    "no_notices": ("暂无公示", "No notice is up"),
    "consultations": ("协商议事", "Consultations"),
    "no_consultations": ("暂无协商活动", "No consultation yet"),
    "results": ("结果公示", "Results"),
    "no_results": ("暂无结果公示", "No result published yet"),
    "period": ("公示期", "Notice period"),
    "to": ("至", "to"),
    "venue": ("地点", "Venue"),
    "online": ("线上同步公示", "also online"),
    "planned": ("计划", "planned"),
    "held": ("已召开", "held"),
    "attendance": ("参加人数", "attendance"),
    "platform": ("协商平台", "Platform"),
    "step": ("当前步骤", "Current step"),
    "steps": ("六步流程", "The six steps"),
    "tasks": ("实施任务", "Tasks"),
    "progress": ("进度", "progress"),
    "votes": ("居民共同表决", "Residents' votes"),
    "turnout": ("参与率", "turnout"),
    "feedback": ("满意度", "Satisfaction"),
    "ratings": ("份评价", "ratings"),
    "no_feedback": ("暂无评价", "no rating yet"),
    "when_matter": ("时间 / 事项", "When / matter"),
    "back": ("返回", "Back to"),
    "open_topics": ("进行中的事项", "matters in progress"),
    "results_published": ("已公示结果", "results published"),
    "consultations_held": ("次协商", "consultations held"),
    "declined": ("不予立项", "declined"),
    "implemented": ("已实施", "implemented"),
    "topic_review": ("党组织审议议题", "Party organisation approved the topic"),
    "decision_review": ("党组织审议决定", "Party organisation approved the decision"),
    "passed": ("通过", "passed"),
    "rejected": ("未通过", "rejected"),
    "quorum_not_met": ("参与人数不足", "quorum not met"),
    "demo_note": (
        "演示数据：除公告中出现的名称外，社区、楼院、场所名称均为虚构。",
        "Demo data: apart from the names in the source bulletin, community, compound and venue names "
        "are invented.",
    ),
    "updated": ("数据更新于", "Data as of"),
    "reached": ("已完成", "done"),
}
STEP_LABELS = {
    "determine_topic": ("确定议题", "Determine the topic"),
    "public_notice": ("公示告知", "Public notice"),
    "consultation": ("开展协商", "Consultation"),
    "implementation": ("组织实施", "Implementation"),
    "publish_result": ("公示结果", "Publish the result"),
    "feedback": ("反馈情况", "Feedback"),
    "closed": ("已办结", "Closed"),
    "declined": ("不予立项", "Declined"),
}
PLATFORM_LABELS = {
    "small_bench_talk": ("小板凳恳谈会", "Small-bench talk"),
    "cppcc_consultation": ("政协“有事好商量”协商议事平台", "CPPCC consultation platform"),
    "deputy_liaison_station": ("人大代表联络站", "NPC deputies' liaison station"),
    "residents_council": ("街道居民议事会", "Residents' council"),
}
STATE_LABELS = {
    colour_map.OVERDUE: ("有逾期任务", "Task overdue"),
    colour_map.OPEN: ("事项进行中", "Matter in progress"),
    colour_map.SOLVED_RECENTLY: ("近期已解决", "Solved recently"),
    colour_map.SOLVED: ("曾解决事项", "Solved before"),
    colour_map.QUIET: ("暂无公开事项", "No public matter"),
}


def words(lang: str) -> Callable[..., str]:
    index = 0 if lang == "zh" else 1

    def say(key: str, table: dict = LABELS) -> str:
        return table[key][index]  # a missing label is a bug (tests/unit/test_board_words.py)

    return say


# --- what a page shows -------------------------------------------------------------------------------


def zone() -> tzinfo:
    """The sub-district's time zone (BOARD_UTC_OFFSET_HOURS)."""
    return timezone(timedelta(hours=ctx().settings.board_utc_offset_hours))


def local(when: datetime) -> datetime:
    """A time as the sub-district reads it."""
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(zone())


def today() -> date:
    """The sub-district's day: what changes with time on a page (a notice period over, a task
    overdue, a result no longer recent) changes at its midnight, when the validators change."""
    return local(ctx().now()).date()


def notice_current(notice: schemas.NoticeOut | None, day: date) -> bool:
    return notice is not None and local(notice.starts_at).date() <= day <= local(notice.ends_at).date()


def number(value: float) -> str:
    """230.0 -> "230", 33.333 -> "33.33", 1234567.0 -> "1234567" (no exponent)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def community_names(lang: str) -> dict[str, str]:
    return {c.id: (c.name_zh if lang == "zh" else c.name_en) for c in ctx().communities.values()}


def community_name(community: str, lang: str) -> str:
    return community_names(lang).get(community, community)  # a community since left the register


def venue_name(venue_id: str | None) -> str | None:
    venue = REGISTRY().venues.get(venue_id) if venue_id else None
    return venue.name_zh if venue else venue_id


def compound_name(compound_id: str | None) -> str | None:
    compound = REGISTRY().compounds.get(compound_id) if compound_id else None
    return compound.name_zh if compound else compound_id


def map_model(docs: list[dict], community: str | None, query: PageQuery) -> dict:
    """What the colour map draws: the frame (the whole area or one community), each community's
    area and each compound's cell with its state, its name and where it links."""
    layout = ctx().colour_map
    register = REGISTRY()
    recent = timedelta(days=ctx().settings.board_recent_days)
    states = colour_map.states(docs, today(), recent, zone())
    latest = {}
    for d in sorted(docs, key=lambda d: d["updated_at"]):  # on a community's map a cell links to its latest
        if d.get("compound"):
            latest[d["compound"]] = d["_id"]
    names = community_names(query.lang)
    shown = [community] if community else list(layout.communities)
    frame = layout.communities[community] if community else None
    keep = {"lang": query.lang, "refresh": query.refresh}
    cells = []
    for cid in shown:
        for compound in register.communities[cid].compounds:
            if community:
                link = (
                    url_for(".topic", topic_id=latest[compound.id], **keep) if compound.id in latest else None
                )
            else:
                link = url_for(".community", community=cid, **keep)
            cells.append(
                {
                    "id": compound.id,
                    "name": compound.name_zh,
                    "community": cid,
                    "shape": layout.compounds[compound.id],
                    "state": states.get(compound.id, colour_map.QUIET),
                    "link": link,
                    # a long name gets smaller type, so that it stays inside its cell
                    "font_size": round(
                        min(9.5, 0.9 * layout.compounds[compound.id].width / len(compound.name_zh)), 2
                    ),
                }
            )
    margin = 6
    view_box = (
        (frame.x - margin, frame.y - margin, frame.width + 2 * margin, frame.height + 2 * margin)
        if frame
        else (0, 0, layout.width, layout.height)
    )
    return {
        "view_box": " ".join(f"{v:g}" for v in view_box),
        "areas": [{"id": cid, "name": names[cid], "shape": layout.communities[cid]} for cid in shown],
        "cells": cells,
        "states": colour_map.STATES,
        "counts": {s: sum(1 for c in cells if c["state"] == s) for s in colour_map.STATES},
    }


@lru_cache(maxsize=4)
def release(reference_dir: str, recent_days: float, utc_offset_hours: float) -> str:
    """What every page of this process is drawn with besides the topics: the code and templates, the
    register and the map's layout (an operator who replaces them restarts the service), the settings."""
    data = (
        CODE,
        repr(registry.load(reference_dir)),
        repr(colour_map.load(reference_dir)),
        recent_days,
        utc_offset_hours,
    )
    return hashlib.sha256(repr(data).encode()).hexdigest()


def validators(page_key: tuple, query: PageQuery, community: str | None) -> tuple[str, datetime, datetime]:
    """The page's ETag, its Last-Modified and the time its data is as of, from what it draws: the
    public topics' ids and versions, the day (see today), the query and the release. The data is as
    of the latest of the topics' updates and the day's start; Last-Modified is that or the process's
    start, whichever is later (a new release is newer than any copy a client has kept)."""
    settings = ctx().settings
    rows = sorted((r["_id"], r["version"], r["updated_at"]) for r in store.public_versions(community))
    day = today()
    drawn_with = release(settings.reference_dir, settings.board_recent_days, settings.board_utc_offset_hours)
    digest = hashlib.sha256(
        repr((drawn_with, page_key, query.lang, query.refresh, day, [r[:2] for r in rows])).encode()
    ).hexdigest()[:32]
    day_began = datetime.combine(day, time(), zone()).astimezone(UTC)
    data_as_of = max([day_began, *(r[2] for r in rows)]).replace(microsecond=0)
    return digest, max(data_as_of, STARTED), data_as_of


def page(
    page_key: tuple, query: PageQuery, community: str | None, draw: Callable[[datetime], str]
) -> Response:
    """A page, or 304 when the client's copy is current; drawn (given the time its data is as of)
    only when it is not. Every process draws the same page for the same ETag."""
    etag, last_modified, data_as_of = validators(page_key, query, community)
    if not is_resource_modified(request.environ, etag=etag, last_modified=last_modified):
        response = Response(status=304)
    else:
        response = Response(draw(data_as_of), mimetype="text/html")
    response.set_etag(etag)
    response.last_modified = last_modified
    # Public and shared (a proxy in front of many screens may keep it), but validated on every use: a
    # notice or result shows as soon as it is published, and an unchanged page costs a 304.
    response.headers["Cache-Control"] = "public, no-cache"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Content-Language"] = "zh-CN" if query.lang == "zh" else "en"
    return response


def render(template: str, query: PageQuery, data_as_of: datetime, **values) -> str:
    def zh(text: str | None) -> Markup | str | None:
        """Chinese text (titles, notices, names) marked as such on an English page, for screen readers."""
        if text is None or query.lang == "zh":
            return text
        return Markup('<span lang="zh-CN">%s</span>') % escape(text)

    return render_template(
        f"board/{template}",
        lang=query.lang,
        refresh=query.refresh,
        t=words(query.lang),
        zh=zh,
        step_labels=STEP_LABELS,
        platform_labels=PLATFORM_LABELS,
        state_labels=STATE_LABELS,
        local=local,
        venue_name=venue_name,
        compound_name=compound_name,
        other_lang="en" if query.lang == "zh" else "zh",
        number=number,
        data_as_of=data_as_of,
        demo_data=ctx().colour_map.demo or any(c.demo for c in ctx().communities.values()),
        **values,
    )


# --- pages -----------------------------------------------------------------------------------------


@bp.endpoint(
    "/",
    "GET",
    summary="The sub-district's notice board: the colour map and every community (HTML)",
    query=PageQuery,
    roles=None,
    openapi=html_operation("the sub-district's board page"),
)
def subdistrict(query: PageQuery):
    def draw(data_as_of: datetime) -> str:
        rows = store.public_map_rows()  # every public matter, without a limit: the map and the counts
        summary = []
        for cid, name in community_names(query.lang).items():
            own = [d for d in rows if d["community"] == cid]
            summary.append(
                {
                    "id": cid,
                    "name": name,
                    "open": sum(1 for d in own if d["step"] in domain.OPEN_STEPS),
                    "results": sum(1 for d in own if d.get("result")),
                    "held": sum(1 for d in own for m in d["meetings"] if m["status"] == "held"),
                }
            )
        return render(
            "subdistrict.html", query, data_as_of, communities=summary, map=map_model(rows, None, query)
        )

    return page(("subdistrict",), query, None, draw)


@bp.endpoint(
    "/communities/<community>",
    "GET",
    summary="A community's notice board: notices, consultations, results and its colour map (HTML)",
    query=PageQuery,
    roles=None,
    openapi=html_operation("the community's board page"),
)
def community(community: str, query: PageQuery):
    known_community(community)

    def draw(data_as_of: datetime) -> str:
        docs = as_they_stand(store.public_topics(community))
        topics = [public_topic(d) for d in docs]
        meetings = sorted(
            ((t, m) for t in topics for m in t.meetings),
            key=lambda tm: tm[1].held_at or tm[1].scheduled_at,
            reverse=True,
        )
        day = today()
        return render(
            "community.html",
            query,
            data_as_of,
            community_name=community_name(community, query.lang),
            notices=[t for t in topics if notice_current(t.notice, day) or t.step in domain.OPEN_STEPS],
            meetings=meetings,
            results=[public_result(d) for d in docs if d.get("result")],
            map=map_model(docs, community, query),  # the topics just read carry what the map needs
        )

    return page(("community", community), query, community, draw)


@bp.endpoint(
    "/topics/<topic_id>",
    "GET",
    summary="One public matter: its six steps, notice, consultations, votes, tasks, result (HTML)",
    query=PageQuery,
    roles=None,
    openapi=html_operation("the matter's page"),
)
def topic(topic_id: str, query: PageQuery):
    community = store.public_community_of(topic_id)  # validated before the topic itself is read
    if community is None:
        raise NotFound(f"no public topic {topic_id}")

    def draw(data_as_of: datetime) -> str:
        shown = public_topic(public_topic_of(topic_id))
        reached = {s.step for s in shown.steps}
        return render(
            "topic.html",
            query,
            data_as_of,
            topic=shown,
            community_name=community_name(shown.community, query.lang),
            six_steps=[(s, s in reached, s == shown.step) for s in domain.STEPS],
        )

    return page(("topic", topic_id), query, community, draw)
