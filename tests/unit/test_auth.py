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


@pytest.mark.parametrize("claims, algorithm, why", [
    ({"exp": time.time() - 10}, ALGORITHM, "expired"),
    ({"aud": "other"}, ALGORITHM, "invalid"),
    ({"iss": "other"}, ALGORITHM, "invalid"),
    ({}, "HS512", "invalid"),  # algorithm is pinned
    ({"roles": ["superuser"]}, ALGORITHM, "unknown role"),
    ({"roles": ["community_staff"], "communities": "huifeng"}, ALGORITHM, "communities must be a list"),
])
def test_rejected_tokens(claims, algorithm, why):
    base = {"sub": "u", "roles": ["resident"], "iss": ISS, "aud": AUD, "exp": time.time() + 60}
    token = jwt.encode({**base, **claims}, SECRET, algorithm=algorithm)
    with pytest.raises(Unauthorized, match=why):
        decode(token, SECRET, ISS, AUD)


def test_unsigned_token_is_rejected():
    token = jwt.encode({"sub": "u", "roles": [], "iss": ISS, "aud": AUD, "exp": time.time() + 60}, None, algorithm="none")
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
