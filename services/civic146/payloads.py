"""Building blocks of HTTP payload models shared by every service."""
from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from . import pii


class Input(BaseModel):
    """Base of every request payload: unknown fields are an error, strings are stripped."""
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _mobile(value: str) -> str:
    if not pii.is_mobile(value):
        raise ValueError("must be a mainland mobile number: 11 digits starting with 13-19")
    return value


def _id_number(value: str) -> str:
    if problem := pii.id_number_problem(value):
        raise ValueError(f"invalid resident ID number: {problem}")
    return value


MobilePhone = Annotated[str, AfterValidator(_mobile), Field(description="Mainland mobile number, 11 digits")]
IdNumber = Annotated[str, BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v),
                     AfterValidator(_id_number), Field(description="18-digit resident ID number (GB 11643)")]
