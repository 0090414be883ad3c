"""The kit's body reader: nesting is measured on the raw text before parsing (brackets inside
strings and escapes do not count), and strings that cannot be stored are refused by path."""

import json

import pytest

from civic146.errors import InvalidInput, MalformedRequest
from civic146.web import MAX_JSON_DEPTH, nests_deeper_than, read_json


def arrays(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def objects(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.mark.parametrize("build", [arrays, objects])
def test_depth_is_exact_at_the_limit(build):
    assert not nests_deeper_than(build(MAX_JSON_DEPTH), MAX_JSON_DEPTH)
    assert nests_deeper_than(build(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)


def test_mixed_arrays_and_objects_count_every_level():
    body = json.dumps([{"a": [{"b": 1}]}]).encode()  # 4 levels
    assert not nests_deeper_than(body, 4) and nests_deeper_than(body, 3)


def test_brackets_and_escaped_quotes_inside_strings_do_not_count():
    text = ']]]] \\" [[[[ \\\\'  # brackets, an escaped quote and an escaped backslash in one string
    body = json.dumps([text, {text: [text]}]).encode()
    assert json.loads(body)[0] == text
    assert not nests_deeper_than(body, 3) and nests_deeper_than(body, 2)


def test_many_siblings_are_one_level():
    assert not nests_deeper_than(json.dumps([[1]] * 5000).encode(), 2)


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 1000, 20000])
def test_read_json_refuses_deep_bodies_before_parsing(levels):
    with pytest.raises(MalformedRequest) as caught:
        read_json(arrays(levels))
    assert caught.value.code == "json_too_deep"


@pytest.mark.parametrize("raw", [b"{not json", b'{"a": [1}', b"[" * 5000, b"\xff\xfe{}"])
def test_what_is_not_json_is_invalid_json(raw):
    with pytest.raises(MalformedRequest) as caught:
        read_json(raw)
    assert caught.value.code in ("invalid_json", "json_too_deep")


@pytest.mark.parametrize(
    "raw, field",
    [
        (b'{"a": {"b": ["ok", "x\\ud800y"]}}', "a.b.1"),
        (b'{"a": "\\ud800"}', "a"),
        (b'{"\\udc00": 1}', "\\udc00"),
    ],
)
def test_strings_that_cannot_be_stored_are_named(raw, field):
    with pytest.raises(InvalidInput) as caught:
        read_json(raw)
    assert caught.value.details[0]["field"] == field


def test_escapes_that_are_fine_pass():
    # a surrogate pair is one character; an escaped backslash before "ud800" is text; NUL can be stored
    assert read_json(b'{"a": "\\ud83d\\ude00 \\\\ud800 \\u0000"}') == {"a": "\U0001f600 \\ud800 \x00"}
