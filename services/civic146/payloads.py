"""Building blocks of HTTP payload models shared by every service."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationInfo,
    field_validator,
)
from pydantic_core import core_schema

from . import pii, reference


class Input(BaseModel):
    """Base of every request payload: unknown fields are an error, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict:
        described = handler(schema)
        for prop in described.get("properties", {}).values():
            for branch in (
                prop,
                *prop.get("anyOf", ()),
                *prop.get("items", {}).get("anyOf", ()),
                prop.get("items", {}),
            ):
                _length_after_stripping(branch)
        return described


def _length_after_stripping(schema: dict) -> None:
    """A minLength counts what is left once the string is stripped: said as a pattern (JSON Schema
    patterns match anywhere), so that blanks around too short a value are not taken for valid."""
    least = schema.get("minLength", 0)
    if schema.get("type") == "string" and least >= 1 and "pattern" not in schema and "enum" not in schema:
        schema["pattern"] = r"\S" if least == 1 else rf"\S[\s\S]{{{least - 2},}}\S"


def _mobile(value: str) -> str:
    if not pii.is_mobile(value):
        raise ValueError("must be a mainland mobile number: 11 digits starting with 13-19")
    return value


def _id_number(value: str) -> str:
    if problem := pii.id_number_problem(value):
        raise ValueError(f"invalid resident ID number: {problem}")
    return value


MobilePhone = Annotated[
    str,
    AfterValidator(_mobile),
    Field(description="Mainland mobile number, 11 digits", json_schema_extra={"pattern": "^1[3-9][0-9]{9}$"}),
]
IdNumber = Annotated[
    str,
    BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v),
    AfterValidator(_id_number),
    Field(
        description="18-digit resident ID number (GB 11643): a real date of birth in digits 7-14 "
        "and the check digit (0-9 or X) of the ISO 7064 MOD 11-2 checksum last",
        json_schema_extra={
            "pattern": "^[0-9]{6}(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]$"
        },
    ),
]


class Registered:
    """Annotation of a string that must be an id of reference data the service loaded at start
    (communities, a vocabulary, a catalogue, a roster): checked against `ids()` when a payload is
    parsed, and listed as the JSON Schema `enum` when a document is built, so both follow the data
    the operator installed. An empty string is no id either."""

    def __init__(self, what: str, ids: Callable[[], Collection[str]], hint: str = ""):
        self.what, self.ids, self.hint = what, ids, hint

    def __get_pydantic_core_schema__(
        self, source: type, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict:
        described = handler(schema)
        described["enum"] = sorted(self.ids())
        return described

    def _check(self, value: str) -> str:
        if value not in self.ids():
            problem = f"name a {self.what}" if value == "" else f"unknown {self.what} {value!r}"
            raise ValueError(problem + (f"; {self.hint}" if self.hint else ""))
        return value


def _community_ids() -> Collection[str]:
    return reference.COMMUNITIES().keys()


def _compound_ids() -> Collection[str]:
    return reference.community_of_compound().keys()


CommunityId = Annotated[
    str,
    Registered("community", _community_ids, "see the communities register"),
    Field(description="Community id from the communities register"),
]
CompoundId = Annotated[
    str,
    Registered("compound", _compound_ids, "see the communities register"),
    Field(description="Compound id from the communities register; it must lie in the community"),
]


def _compound_per_community(schema: dict) -> None:
    """Which compounds go with which community, said in the document: one branch per community."""
    branches = []
    for community in sorted(reference.COMMUNITIES().values(), key=lambda c: c.id):
        compound = (
            {"anyOf": [{"enum": sorted(community.compounds)}, {"type": "null"}]}
            if community.compounds
            else {"type": "null"}
        )
        branches.append({"properties": {"community": {"const": community.id}, "compound": compound}})
    schema["anyOf"] = branches


class PlaceIn(Input):
    """Base of a payload about a place: a community of the register and, optionally, one of its
    compounds. The community scopes who may see and change what the payload creates."""

    model_config = ConfigDict(json_schema_extra=_compound_per_community)

    community: CommunityId
    compound: CompoundId | None = None

    @field_validator("compound")
    @classmethod
    def _compound_in_community(cls, compound: str | None, info: ValidationInfo) -> str | None:
        community = info.data.get("community")  # absent when the community itself was refused
        if (
            compound is not None
            and community is not None
            and reference.community_of_compound()[compound] != community
        ):
            raise ValueError(f"compound {compound!r} is not in community {community!r}")
        return compound


class _Distinct:
    """Annotation of a list whose items are each given at most once (JSON Schema `uniqueItems`)."""

    def __get_pydantic_core_schema__(
        self, source: type, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict:
        return {**handler(schema), "uniqueItems": True}

    @staticmethod
    def _check(values: list) -> list:
        if len(set(values)) != len(values):
            raise ValueError("name each item once")
        return values


Distinct = _Distinct()


def _integral(value):
    return int(value) if isinstance(value, float) and value.is_integer() else value


# A JSON integer: 3 and 3.0 are the same number in JSON (and in JSON Schema's "integer"), so both
# are taken; strings ("3"), booleans and fractions are refused.
WholeNumber = Annotated[int, BeforeValidator(_integral), Field(strict=True)]


def _not_a_number(value):
    # pydantic reads a bare number as seconds since 1970: `to=0.5` would be a filter in 1970.
    try:
        float(value)
    except (TypeError, ValueError):
        return value
    raise ValueError("must be an ISO 8601 date-time such as 2026-05-01T00:00:00+08:00, not a number")


# A point in time given in a query string or body: ISO 8601 only.
DateTime = Annotated[datetime, BeforeValidator(_not_a_number)]
