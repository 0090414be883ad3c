import json
from datetime import UTC, datetime

import jsonschema
import pytest

from civic146.events import REQUEST_PROGRESS, MalformedEvent, RequestProgressData, decode, encode, new_event
from civic146.outbox import sequence, stamped


def progress_event():
    data = RequestProgressData(
        request_id="r1", state="resolved", handled_by="deliberation", reference="t1", summary="路面已修复"
    )
    recorded = new_event(
        REQUEST_PROGRESS,
        "/civic146/deliberation",
        "t1",
        "huifeng",
        data,
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    return stamped([{"topic": "x", "key": "t1", "event": recorded}], 7)[0][
        "event"
    ]  # as the outbox publishes it


def test_envelope_is_structured_cloudevent_that_validates_against_its_schema():
    event = progress_event()
    assert {"specversion", "id", "source", "type", "time", "subject", "community", "data"} <= set(event)
    assert event["specversion"] == "1.0" and event["type"] == "civic146.request.progress.v2"
    jsonschema.validate(event, REQUEST_PROGRESS.schema())
    assert decode(encode(event)) == event


def test_the_published_event_carries_a_fixed_width_sequence_that_orders_as_a_string():
    event = progress_event()
    assert event["sequence"] == "000000000007.001"
    with pytest.raises(jsonschema.ValidationError):  # published events must carry it
        jsonschema.validate({k: v for k, v in event.items() if k != "sequence"}, REQUEST_PROGRESS.schema())
    later = [sequence(7, 2), sequence(8, 1), sequence(10, 1), sequence(123456, 1)]
    assert sorted(later, reverse=True) == list(reversed(later)) and all(s > event["sequence"] for s in later)
    with pytest.raises(ValueError):
        stamped([{"event": {}}] * 1000, 1)


def test_schema_pins_the_type_and_rejects_extra_data_fields():
    event = progress_event()
    schema = REQUEST_PROGRESS.schema()
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**event, "type": "civic146.other.v1"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**event, "data": {**event["data"], "phone": "13812341234"}}, schema)


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[1,2]",
        json.dumps({"id": "x"}).encode(),
        None,
        json.dumps(
            {"specversion": "0.3", "id": "1", "source": "s", "type": "t", "time": "x", "subject": "s"}
        ).encode(),
    ],
)
def test_decode_rejects_what_is_not_a_cloudevent(raw):
    with pytest.raises(MalformedEvent):
        decode(raw)


GOOD_ENVELOPE = {
    "specversion": "1.0",
    "id": "e1",
    "source": "civic146/intake",
    "type": "t",
    "time": "x",
    "subject": "s",
    "community": "huifeng",
    "sequence": "000000000001.000",
}


@pytest.mark.parametrize(
    "attribute, value",
    [
        ("type", ["civic146.intake.request.routed.v3"]),  # unhashable: broke the handler lookup
        ("id", {"$drill": 1}),  # an operator in processed_events.find_one
        ("id", {"$ne": None}),
        ("subject", 7),
        ("source", True),
        ("sequence", {"$gt": ""}),
        ("community", ["huifeng"]),
    ],
)
def test_decode_refuses_envelope_attributes_that_are_not_strings(attribute, value):
    assert decode(json.dumps(GOOD_ENVELOPE).encode())["id"] == "e1"
    with pytest.raises(MalformedEvent, match=f"{attribute} must be strings"):
        decode(json.dumps({**GOOD_ENVELOPE, attribute: value}).encode())
