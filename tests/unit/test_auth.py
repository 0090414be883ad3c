import hashlib
import hmac
import time

import jwt
import pytest

from civic146.auth import ALGORITHM, decode, mint, pseudonym
from civic146.errors import Unauthorized

SECRET, ISS, AUD = "s3cret", "civic146", "civic146-api"


def test_round_trip_carries_roles_and_communities():
    p = decode(mint(SECRET, "u1", ["community_staff"], ["huifeng"]), SECRET, ISS, AUD)
    assert p.sub == "u1" and p.has("community_staff") and p.serves("huifeng") and not p.serves("yiyuan")


def test_admin_serves_every_community():
    assert decode(mint(SECRET, "a", ["subdistrict_admin"]), SECRET, ISS, AUD).serves("anything")


@pytest.mark.parametrize(
    "claims, algorithm, why",
    [
        ({"exp": time.time() - 10}, ALGORITHM, "expired"),
        ({"aud": "other"}, ALGORITHM, "invalid"),
        ({"iss": "other"}, ALGORITHM, "invalid"),
        ({}, "HS512", "invalid"),  # algorithm is pinned
        ({"roles": ["superuser"]}, ALGORITHM, "unknown role"),
        ({"roles": ["community_staff"], "communities": "huifeng"}, ALGORITHM, "communities must be a list"),
        ({"sub": ""}, ALGORITHM, "sub"),  # every token without a subject would be one shared user
        ({"sub": "   "}, ALGORITHM, "sub must name the user"),
        ({"sub": 7}, ALGORITHM, "invalid"),
        ({"iat": None}, ALGORITHM, "iat"),  # without iat the lifetime cannot be known
        (
            {"iat": int(time.time()) + 3600, "exp": int(time.time()) + 7200},
            ALGORITHM,
            "invalid",
        ),  # issued in the future
        (
            {"iat": int(time.time()), "exp": int(time.time()) + 20 * 365 * 86400},
            ALGORITHM,
            "lifetime",
        ),  # the probe's 20-year token
        ({"iat": int(time.time()), "exp": int(time.time()) + 12 * 3600 + 1}, ALGORITHM, "lifetime"),
    ],
)
def test_rejected_tokens(claims, algorithm, why):
    base = {
        "sub": "u",
        "roles": ["resident"],
        "iss": ISS,
        "aud": AUD,
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
    }
    token = jwt.encode(
        {k: v for k, v in {**base, **claims}.items() if v is not None}, SECRET, algorithm=algorithm
    )
    with pytest.raises(Unauthorized, match=why):
        decode(token, SECRET, ISS, AUD)


def test_lifetime_ceiling_is_configurable_and_inclusive():
    now = int(time.time())
    claims = {"sub": "u", "roles": ["resident"], "iss": ISS, "aud": AUD, "iat": now, "exp": now + 12 * 3600}
    assert decode(jwt.encode(claims, SECRET, algorithm=ALGORITHM), SECRET, ISS, AUD).sub == "u"
    with pytest.raises(Unauthorized, match="longer than 3600 s"):
        decode(jwt.encode(claims, SECRET, algorithm=ALGORITHM), SECRET, ISS, AUD, max_lifetime_seconds=3600)


def test_unsigned_token_is_rejected():
    token = jwt.encode(
        {
            "sub": "u",
            "roles": [],
            "iss": ISS,
            "aud": AUD,
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
        None,
        algorithm="none",
    )
    with pytest.raises(Unauthorized):
        decode(token, SECRET, ISS, AUD)


def test_pseudonym_is_a_keyed_hash_of_the_user_id():
    ref = pseudonym(SECRET, "u1")
    assert ref == hmac.new(SECRET.encode(), b"subject:u1", hashlib.sha256).hexdigest()[:32]
    assert len(ref) == 32 and ref == pseudonym(SECRET, "u1")
    assert "u1" not in ref and ref != hashlib.sha256(b"u1").hexdigest()[:32]


def test_pseudonym_differs_by_user_and_by_secret():
    assert pseudonym(SECRET, "u1") != pseudonym(SECRET, "u2")
    assert pseudonym(SECRET, "u1") != pseudonym("other-secret", "u1")
