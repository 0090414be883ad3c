"""What the routes of employment's aggregates share: who may see and change what (the resident's
ownership of a profile or of the draft made from their own request, the staff serving a community,
the roles that see sensitive data, loading a profile for someone allowed to).

A resident sees their own profile; staff see the profiles of the communities they serve; raw ID
numbers and the employment-difficulty group only go to the owner and to the roles in
SENSITIVE_DATA_ROLES (serving the community); employers see candidates through referrals, masked and
without sensitive data, and only once a referral has been made.
"""

from __future__ import annotations

from civic146.auth import RESIDENT, STAFF_ROLES, Principal, principal, principal_pseudonym
from civic146.errors import Forbidden
from civic146.web import service_context

from .context import Employment
from .seekers import store as seeker_store


def ctx() -> Employment:
    return service_context()


def is_staff_for(p: Principal, community: str) -> bool:
    return p.has(*STAFF_ROLES) and p.serves(community)


def owns(p: Principal, seeker: dict) -> bool:
    """The resident's own profile, or the draft made from the resident's own request (intake's
    routed event named them by pseudonym)."""
    if not p.has(RESIDENT):
        return False
    if seeker.get("resident_id") == p.sub:
        return True
    return (
        seeker["status"] == "draft"
        and bool(seeker.get("owner_ref"))
        and seeker["owner_ref"] == principal_pseudonym()
    )


def plain_view(p: Principal, seeker: dict) -> bool:
    """Unmasked contact data and the request's own text: the owner (of a draft, the resident who
    submitted its request) and staff."""
    return owns(p, seeker) or is_staff_for(p, seeker["community"])


def sees_sensitive(p: Principal, seeker: dict) -> bool:
    return owns(p, seeker) or (p.has(*ctx().settings.sensitive_role_list) and p.serves(seeker["community"]))


def seeker_for(seeker_id: str, write: bool = False) -> tuple[dict, Principal]:
    p = principal()
    seeker = seeker_store.get(seeker_id)
    if not (owns(p, seeker) or is_staff_for(p, seeker["community"])):
        raise Forbidden(
            "only the resident and staff serving the community may "
            + ("change" if write else "see")
            + " this profile"
        )
    return seeker, p
