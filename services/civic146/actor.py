"""Who makes a change, in which role, and the pseudonym that stands for them in events: plain data,
imported by every service's domain. Checking who the caller is (the JWT bearer) is `civic146.auth`'s.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

RESIDENT = "resident"
COMMUNITY_STAFF = "community_staff"
SUBDISTRICT_ADMIN = "subdistrict_admin"
DEPUTY = "deputy"
CPPCC_MEMBER = "cppcc_member"
MEDIATOR = "mediator"
EMPLOYER = "employer"
EXTERNAL_SYSTEM = "external_system"
# The Party organisation (community Party committee, sub-district Party working committee): the
# "1 core" of the 146 mechanism, which reviews deliberation's topics and decisions.
PARTY_ORGANISATION = "party_organisation"
ROLES = (
    RESIDENT,
    COMMUNITY_STAFF,
    SUBDISTRICT_ADMIN,
    DEPUTY,
    CPPCC_MEMBER,
    MEDIATOR,
    EMPLOYER,
    EXTERNAL_SYSTEM,
    PARTY_ORGANISATION,
)
STAFF_ROLES = (COMMUNITY_STAFF, SUBDISTRICT_ADMIN)


@dataclass(frozen=True)
class Actor:
    """Who made a change, as histories and events record it: an account id and its role (a
    worker acting on its own is `Actor("<service>-worker", "system")`)."""

    id: str
    role: str


def pseudonym(secret: str, sub: str) -> str:
    """A stable reference to a user that services may pass in events instead of the user id.

    Every service holds JWT_SECRET, so each can compute the pseudonym of its caller and compare;
    a reader of the event stream without the secret can neither reverse nor recompute it. The
    prefix keeps it apart from any other HMAC keyed by the same secret.
    """
    return hmac.new(secret.encode(), b"subject:" + sub.encode(), hashlib.sha256).hexdigest()[:32]
