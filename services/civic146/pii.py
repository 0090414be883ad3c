"""Personal data: validation (mainland mobile numbers, 18-digit resident ID numbers) and masking.

Raw personal data is stored by the owning service only; responses to roles that don't need it,
events and logs carry the masked forms.
"""
from __future__ import annotations

import re
from datetime import date

MOBILE = re.compile(r"^1[3-9]\d{9}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# In free text: an 11-digit mobile or an 18-character ID not glued to other digits.
# Also +86 / 86 prefixed and written in groups (138-1234-1234, 138 1234 1234).
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
_ID_IN_TEXT = re.compile(r"(?<![\dXx])\d{17}[\dXx](?![\dXx])")


def is_mobile(value: str) -> bool:
    return bool(MOBILE.match(value))


def id_number_problem(value: str) -> str | None:
    """Why an 18-digit resident ID number (GB 11643-1999) is invalid, or None if it is valid."""
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return "must be 17 digits followed by a digit or X"
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "contains an impossible birth date"
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS))
    if _ID_CHECK[total % 11] != value[17]:
        return "check digit does not match"
    return None


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "*" * len(phone)


def mask_id_number(value: str | None) -> str | None:
    if not value:
        return value
    return value[:4] + "*" * (len(value) - 8) + value[-4:] if len(value) > 8 else "*" * len(value)


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def scrub_text(text: str | None, names: tuple[str, ...] = ()) -> str | None:
    """Mask phone and ID numbers that residents typed into free text, and the given people's
    names (e.g. the submitter's own), before the text leaves the service."""
    if not text:
        return text
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0).upper()), text)
    text = _MOBILE_IN_TEXT.sub(lambda m: mask_phone("".join(m.groups())), text)
    for name in sorted({n for n in names if n and len(n) >= 2}, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    return text
