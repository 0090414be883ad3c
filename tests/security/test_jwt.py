"""Forged, tampered and ill-formed bearer tokens are refused with 401 (through intake's API; the
check is the kit's, civic146.auth, the same in every service)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
import requests

from tests.helpers import JWT_SECRET
from tests.security.apis import COMMUNITY_A, token

MAX_LIFETIME = 12 * 3600  # JWT_MAX_LIFETIME_SECONDS' default


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict, claims: dict, key: bytes | None = JWT_SECRET.encode(), digest=hashlib.sha256) -> str:
    """A token assembled by hand: any header, any claims, an HMAC signature with `key` (none without)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = b64(hmac.new(key, signing_input.encode(), digest).digest()) if key is not None else ""
    return f"{signing_input}.{signature}"


def claims(**overrides) -> dict:
    now = int(time.time())
    body = {
        "sub": "res-a",
        "roles": ["resident"],
        "communities": [COMMUNITY_A],
        "iss": "civic146",
        "aud": "civic146-api",
        "iat": now,
        "exp": now + 600,
        **overrides,
    }
    return {k: v for k, v in body.items() if v is not None}


def tampered_roles() -> str:
    header, _, signature = token("res-a", ["resident"], [COMMUNITY_A]).split(".")
    return f"{header}.{b64(json.dumps(claims(roles=['subdistrict_admin'])).encode())}.{signature}"


def get(api, bearer: str):
    return requests.get(f"{api.url}/v1/requests", headers={"Authorization": bearer}, timeout=10)


def test_a_valid_token_is_accepted(intake_api):
    assert get(intake_api, "Bearer " + token("res-a", ["resident"], [COMMUNITY_A])).status_code == 200


def test_a_token_within_the_lifetime_ceiling_is_accepted(intake_api):
    now = int(time.time())
    good = token("res-a", ["resident"], [COMMUNITY_A], iat=now, exp=now + MAX_LIFETIME - 60)
    assert get(intake_api, "Bearer " + good).status_code == 200


NOW = int(time.time())
HS256 = {"alg": "HS256", "typ": "JWT"}
FORGED = {
    "alg none, no signature": lambda: forge({"alg": "none", "typ": "JWT"}, claims(), key=None),
    "alg none, signed anyway": lambda: forge({"alg": "none", "typ": "JWT"}, claims()),
    "wrong key": lambda: forge(HS256, claims(), key=b"not-the-secret"),
    "RS256 header over an HMAC signature": lambda: forge({"alg": "RS256", "typ": "JWT"}, claims()),
    "HS512 with the right secret": lambda: forge(
        {"alg": "HS512", "typ": "JWT"}, claims(), digest=hashlib.sha512
    ),
    "expired": lambda: token("res-a", ["resident"], iat=NOW - 7200, exp=NOW - 3600),
    "no exp": lambda: token("res-a", ["resident"], exp=None),
    "no iss": lambda: token("res-a", ["resident"], iss=None),
    "wrong iss": lambda: token("res-a", ["resident"], iss="someone-else"),
    "no aud": lambda: token("res-a", ["resident"], aud=None),
    "wrong aud": lambda: token("res-a", ["resident"], aud="another-api"),
    "no sub": lambda: forge(HS256, claims(sub=None)),
    "empty sub": lambda: token("", ["resident"]),
    "sub not a string": lambda: forge(HS256, claims(sub=12345)),
    "no iat": lambda: token("res-a", ["resident"], iat=None),
    "iat in the future": lambda: token("res-a", ["resident"], iat=NOW + 3600, exp=NOW + 7200),
    "not yet valid (nbf)": lambda: token("res-a", ["resident"], nbf=NOW + 3600),
    "lifetime over the ceiling": lambda: token("res-a", ["resident"], iat=NOW, exp=NOW + MAX_LIFETIME + 3600),
    "roles tampered after signing": tampered_roles,
    "unknown role": lambda: token("res-a", ["superuser"]),
    "roles not a list": lambda: token("res-a", "subdistrict_admin"),
    "communities not a list": lambda: token("staff-a", ["community_staff"], communities="huifeng"),
    "garbage": lambda: "a.b.c",
}


@pytest.mark.parametrize("name", list(FORGED))
def test_a_forged_or_ill_formed_token_is_refused(intake_api, name):
    resp = get(intake_api, "Bearer " + FORGED[name]())
    assert resp.status_code == 401, resp.text
    assert resp.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    "header",
    [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        "Token " + token("res-a", ["resident"]),
        "bearer" + token("res-a", ["resident"]),
    ],
    # Named without the tokens: a token minted at collection carries that second's iat, and the test
    # processes of a run must collect the same ids.
    ids=["basic", "bearer-alone", "bearer-space", "token-scheme", "bearer-glued-to-the-token"],
)
def test_other_authorization_schemes_are_refused(intake_api, header):
    assert get(intake_api, header).status_code == 401
