"""Every word the notice board shows has its Chinese and its English: a step, a platform, a vote's
result, a state of the map or a review stage without a label would fail the page's rendering."""

from __future__ import annotations

import typing

import pytest

from deliberation import board, colour_map
from deliberation.events import Platform, Step, VoteResult


@pytest.mark.parametrize(
    "table, values",
    [
        (board.STEP_LABELS, typing.get_args(Step)),
        (board.PLATFORM_LABELS, typing.get_args(Platform)),
        (board.LABELS, typing.get_args(VoteResult)),
        (board.LABELS, ("implemented", "declined")),  # a result's outcome
        (board.LABELS, ("topic_review", "decision_review")),
        (board.STATE_LABELS, colour_map.STATES),
    ],
)
def test_every_value_a_page_shows_has_both_languages(table, values):
    missing = [v for v in values if v not in table]
    assert not missing, missing
    for value in values:
        zh, en = table[value]
        assert zh and en and zh != en


def test_numbers_are_shown_without_exponent_or_trailing_zeros():
    assert [board.number(v) for v in (230.0, 33.3333, 1234567.0, 0.5, 0)] == [
        "230",
        "33.33",
        "1234567",
        "0.5",
        "0",
    ]
