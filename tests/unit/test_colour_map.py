"""The colour map's layout against the registry, and a compound's state from its public matters."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from civic146 import registry
from civic146.reference import load_json
from civic146.registry import RegistryError
from deliberation import colour_map

CST = timezone(timedelta(hours=8))
TODAY = date(2026, 12, 7)  # in the sub-district's time zone
NOW = datetime(2026, 12, 7, 12, tzinfo=CST)
RECENT = timedelta(days=90)


def bundled() -> dict:
    return copy.deepcopy(load_json("map-layout.json", "", colour_map.BUNDLED))


def test_the_bundled_layout_draws_every_community_and_compound_of_the_register():
    layout = colour_map.load()
    register = registry.load()
    assert set(layout.communities) == set(register.communities) and len(layout.communities) == 14
    assert set(layout.compounds) == set(register.compounds) and len(layout.compounds) == 62
    assert layout.demo  # a schematic grid, says so
    for cid, place in register.communities.items():
        area = layout.communities[cid]
        for compound in place.compounds:  # each cell inside its community's area
            cell = layout.compounds[compound.id]
            assert area.x <= cell.x and cell.x + cell.width <= area.x + area.width
            assert area.y <= cell.y and cell.y + cell.height <= area.y + area.height


@pytest.mark.parametrize(
    "spoil, problem",
    [
        (lambda raw: raw["compounds"].pop(0), "draws no shape for the compounds"),
        (lambda raw: raw["communities"].pop(), "draws no shape for the communities"),
        (
            lambda raw: raw["compounds"].append({"id": "nowhere", "x": 0, "y": 0, "width": 1, "height": 1}),
            "compounds the registry does not know: ['nowhere']",
        ),
    ],
)
def test_a_layout_missing_a_compound_or_naming_an_unknown_one_stops_the_start(spoil, problem):
    raw = bundled()
    spoil(raw)
    with pytest.raises(RegistryError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        colour_map.build(raw, registry.load())


def test_a_compound_may_be_drawn_as_a_polygon():
    raw = bundled()
    raw["compounds"][0] = {"id": raw["compounds"][0]["id"], "points": [[10, 10], [50, 12], [40, 60]]}
    shape = colour_map.build(raw, registry.load()).compounds[raw["compounds"][0]["id"]]
    assert (shape.x, shape.y, shape.width, shape.height) == (10, 10, 40, 50)
    assert shape.svg_points == "10,10 50,12 40,60"


def topic(
    step: str,
    *,
    due: str | None = None,
    done: float = 0,
    result_days_ago: float | None = None,
    outcome: str = "implemented",
) -> dict:
    doc = {"step": step, "compound": "lefu-international", "tasks": [], "result": None}
    if due:
        doc["tasks"] = [{"due_date": due, "done": done, "target": 10}]
    if result_days_ago is not None:
        doc["result"] = {"starts_at": NOW - timedelta(days=result_days_ago), "outcome": outcome}
    return doc


@pytest.mark.parametrize(
    "docs, state",
    [
        ([], colour_map.QUIET),
        ([topic("public_notice")], colour_map.OPEN),
        ([topic("implementation", due="2026-12-31")], colour_map.OPEN),
        ([topic("implementation", due="2026-12-01")], colour_map.OVERDUE),
        ([topic("implementation", due="2026-12-07")], colour_map.OPEN),  # due today: overdue tomorrow
        ([topic("implementation", due="2026-12-01", done=10)], colour_map.OPEN),  # done: not overdue
        ([topic("publish_result", result_days_ago=5)], colour_map.SOLVED_RECENTLY),
        ([topic("closed", result_days_ago=400)], colour_map.SOLVED),
        (
            [topic("publish_result", result_days_ago=5, outcome="declined")],
            colour_map.QUIET,
        ),  # nothing solved
        # the most pressing state shows
        ([topic("closed", result_days_ago=5), topic("consultation")], colour_map.OPEN),
        (
            [topic("closed", result_days_ago=400), topic("feedback", result_days_ago=10)],
            colour_map.SOLVED_RECENTLY,
        ),
    ],
)
def test_a_compound_shows_the_most_pressing_state_of_its_public_matters(docs, state):
    assert colour_map.state_of(docs, TODAY, RECENT, CST) == state


def test_recent_counts_in_days_of_the_sub_districts_time_zone():
    # published at 07:00 on 8 September in China (23:00 on the 7th in UTC): 90 days before 7 December
    published = datetime(2026, 9, 8, 7, tzinfo=CST)
    doc = {**topic("closed"), "result": {"starts_at": published.astimezone(UTC)}}
    assert colour_map.state_of([doc], TODAY, RECENT, CST) == colour_map.SOLVED_RECENTLY
    assert colour_map.state_of([doc], TODAY + timedelta(days=1), RECENT, CST) == colour_map.SOLVED
