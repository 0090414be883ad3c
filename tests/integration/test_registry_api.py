"""The shared registry of places and people, read over the API of every service: the same 14
communities and 62 compounds (each with its venues, heads and committees) and the same people with
their accounts, whichever service is asked."""

from __future__ import annotations

import importlib

import pytest

SERVICES = ["intake", "deliberation", "employment", "mediation"]


@pytest.fixture(params=SERVICES)
def registry_client(request, service_settings, service_app):
    service = importlib.import_module(f"{request.param}.service").SERVICE
    return service_app(service, service_settings(service)).test_client()


def test_every_service_lists_14_communities_and_62_compounds_each_with_its_venues(registry_client, mint):
    r = registry_client.get("/v1/communities", headers=mint("res-1", "resident"))
    assert r.status_code == 200, r.json
    body = r.json
    compounds = [k for c in body["items"] for k in c["compounds"]]
    assert (body["communities"], body["compounds"], body["committees"]) == (14, 62, 28)
    assert len(body["items"]) == 14 and len(compounds) == 62
    assert [k["id"] for k in compounds if not k["venues"]] == []
    assert all([h["title"] for h in k["heads"]] == ["院长", "楼长", "单元长"] for k in compounds)
    lefu = next(k for k in compounds if k["name_zh"] == "乐福国际小区")
    assert [v["id"] for v in lefu["venues"]] == ["venue-lefu-international"]
    assert sum(len(c["committees"]) for c in body["items"]) == 28


def test_one_community_with_its_compounds_heads_committees_and_venues(registry_client, mint):
    r = registry_client.get("/v1/communities/huifeng", headers=mint("staff-1", "community_staff"))
    assert r.status_code == 200, r.json
    huifeng = r.json
    assert huifeng["name_zh"] == "汇丰社区" and len(huifeng["compounds"]) == 5
    assert {v["id"] for v in huifeng["venues"]} >= {"huifeng-yishiting", "subdistrict-council-hall"}
    assert huifeng["committees"] and all(
        any(m["id"] in k["committees"] for k in huifeng["compounds"]) for m in huifeng["committees"]
    )
    head = huifeng["compounds"][0]["heads"][0]["person"]
    person = registry_client.get(f"/v1/people/{head}", headers=mint("res-1", "resident")).json
    assert person["roles"] == ["compound_head"] and person["communities"] == ["huifeng"]
    missing = registry_client.get("/v1/communities/atlantis", headers=mint("res-1", "resident"))
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"


def test_people_by_role_community_and_account(registry_client, mint):
    headers = mint("res-1", "resident")
    deputies = registry_client.get("/v1/people?role=deputy", headers=headers).json["items"]
    assert len(deputies) == 35 and all(d["station"] and d["account"] for d in deputies)
    serving = registry_client.get("/v1/people?role=lawyer&community=ruyijie", headers=headers).json["items"]
    assert [p["id"] for p in serving] == ["law-01"]  # serves the whole sub-district
    [mediator] = registry_client.get("/v1/people?account=med-qian", headers=headers).json["items"]
    assert mediator["id"] == "med-hf-02" and mediator["communities"] == ["huifeng"]
    bad = registry_client.get("/v1/people?role=wizard&community=atlantis", headers=headers)
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json["error"]["details"]} == {"role", "community"}
    stations = registry_client.get("/v1/stations", headers=headers).json["items"]
    assert len(stations) == 5 and sum(len(s["deputies"]) for s in stations) == 35


def test_the_registry_needs_a_token(registry_client):
    assert registry_client.get("/v1/communities").status_code == 401
