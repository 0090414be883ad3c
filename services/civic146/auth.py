"""JWT bearer authentication: algorithm pinned, exp/iat/iss/aud/sub required and checked, lifetime
bounded, roles and community scope.

Token claims: `sub` (user id), `roles` (list), `communities` (list of community ids the user
serves; staff are scoped to them), `name` (optional display name). `python -m civic146.auth`
mints a development token.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from functools import wraps

import jwt
from flask import current_app, g, request

# Who acts and in which role, and the pseudonym that stands for them in events, are the pure
# `civic146.actor`'s (what the domain imports); they are named here too, where routes and tests find them.
from .actor import (  # noqa: F401
    COMMUNITY_STAFF,
    CPPCC_MEMBER,
    DEPUTY,
    EMPLOYER,
    EXTERNAL_SYSTEM,
    MEDIATOR,
    PARTY_ORGANISATION,
    RESIDENT,
    ROLES,
    STAFF_ROLES,
    SUBDISTRICT_ADMIN,
    Actor,
    pseudonym,
)
from .errors import Forbidden, InvalidInput, Unauthorized

ALGORITHM = "HS256"  # pinned: a token that names another algorithm is rejected


@dataclass(frozen=True)
class Principal:
    sub: str
    roles: frozenset[str]
    communities: frozenset[str]

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_admin(self) -> bool:
        return SUBDISTRICT_ADMIN in self.roles

    def serves(self, community: str) -> bool:
        """Whether this user may act on data of the community (admins serve all)."""
        return self.is_admin or community in self.communities

    @property
    def primary_role(self) -> str:
        return next((r for r in ROLES if r in self.roles), "unknown")


MAX_LIFETIME_SECONDS = 12 * 3600  # the default of Settings.jwt_max_lifetime_seconds


def actor_of(p: Principal) -> Actor:
    """The authenticated caller as the actor of what they change."""
    return Actor(p.sub, p.primary_role)


def decode(
    token: str, secret: str, issuer: str, audience: str, max_lifetime_seconds: int = MAX_LIFETIME_SECONDS
) -> Principal:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=issuer,
            audience=audience,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token expired") from None
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid token: {exc}") from None
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub.strip():
        # Every token with an empty subject would be one and the same user.
        raise Unauthorized("invalid token: sub must name the user")
    if claims["exp"] - claims["iat"] > max_lifetime_seconds:
        raise Unauthorized(f"invalid token: lifetime (exp - iat) is longer than {max_lifetime_seconds} s")
    roles = claims.get("roles") or []
    if not isinstance(roles, list) or not set(roles) <= set(ROLES):
        raise Unauthorized("invalid token: unknown role")
    communities = claims.get("communities") or []
    if not isinstance(communities, list) or not all(isinstance(c, str) for c in communities):
        raise Unauthorized("invalid token: communities must be a list of community ids")
    return Principal(sub, frozenset(roles), frozenset(communities))


def mint(
    secret: str,
    sub: str,
    roles: list[str],
    communities: list[str] | None = None,
    issuer: str = "civic146",
    audience: str = "civic146-api",
    ttl_seconds: int = 3600,
) -> str:
    now = int(time.time())
    claims = {
        "sub": sub,
        "roles": roles,
        "communities": communities or [],
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def community_scope(p: Principal, community: str | None) -> dict:
    """The query filter of what a caller may list by community: the one asked for (403 unless
    they serve it), else every community they serve (admins: all of them)."""
    if community:
        if not p.serves(community):
            raise Forbidden(f"you do not serve community {community}")
        return {"community": community}
    return {} if p.is_admin else {"community": {"$in": sorted(p.communities)}}


def require_named_community(p: Principal, community: str | None) -> None:
    """What is computed per community (statistics, a job-fair round): staff name the community;
    only an admin may leave it out, for all of them. Whether they serve it is community_scope's."""
    if community is None and not p.is_admin:
        raise InvalidInput(
            "name a community", [{"field": "community", "message": "required for community staff"}]
        )


def principal() -> Principal:
    """The authenticated caller of the current request (after @requires)."""
    return g.principal


def principal_pseudonym() -> str:
    """The pseudonym of the authenticated caller of the current request (after @requires)."""
    return pseudonym(current_app.config["SETTINGS"].jwt_secret, g.principal.sub)


def _authenticate(header: str) -> Principal:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("expected 'Authorization: Bearer <token>'")
    s = current_app.config["SETTINGS"]
    return decode(token.strip(), s.jwt_secret, s.jwt_issuer, s.jwt_audience, s.jwt_max_lifetime_seconds)


def requires(*roles: str):
    """Route decorator: a valid bearer token holding one of `roles` (any role if none given)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            if not header:
                raise Unauthorized("missing bearer token")
            g.principal = _authenticate(header)
            if roles and not g.principal.has(*roles):
                raise Forbidden(f"requires one of the roles: {', '.join(roles)}")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Mint a development JWT (HS256) for Civic146.")
    parser.add_argument("--sub", default="dev-user")
    parser.add_argument("--role", action="append", choices=ROLES, required=True)
    parser.add_argument("--community", action="append", default=[])
    parser.add_argument(
        "--ttl", type=int, default=8 * 3600, help="seconds (at most JWT_MAX_LIFETIME_SECONDS)"
    )
    args = parser.parse_args(argv)
    secret = os.environ.get("JWT_SECRET")
    if not secret:
        sys.exit("JWT_SECRET is not set")
    print(
        mint(
            secret,
            args.sub,
            args.role,
            args.community,
            os.environ.get("JWT_ISSUER", "civic146"),
            os.environ.get("JWT_AUDIENCE", "civic146-api"),
            args.ttl,
        )
    )


if __name__ == "__main__":
    main()
