"""The shared registry of places and people: the bundled register is whole (14 communities, 62
compounds each with a venue, 28 committees), every person deliberation and mediation name is one
entry of it, and a register with an id given twice or an id naming nothing stops the start."""

from __future__ import annotations

import copy
import importlib
import json
import shutil

import pytest

from civic146 import registry
from civic146.contracts import SERVICES
from civic146.reference import BUNDLED, load_json
from civic146.registry import RegistryError
from deliberation import reference as deliberation_reference
from mediation import reference as mediation_reference


def raw() -> tuple[dict, dict, dict]:
    return tuple(
        copy.deepcopy(load_json(name)) for name in ("communities.json", "venues.json", "people.json")
    )


def test_the_bundled_register_has_the_bulletins_places():
    reg = registry.load()
    assert len(reg.communities) == 14
    assert len(reg.compounds) == 62
    assert len(reg.committees()) == 28
    assert [k for k in reg.compounds if not reg.venues_of_compound(k)] == []
    assert [v.name_zh for v in reg.venues_of_compound("lefu-international")] == ["乐福国际小区小板凳议事点"]
    assert all([h.title for h in k.heads] == ["院长", "楼长", "单元长"] for k in reg.compounds.values())
    assert len(reg.with_role("deputy")) == 35 and len(reg.with_role("cppcc_member")) == 24


def test_the_bundled_files_say_which_names_are_invented():
    for name in ("communities.json", "venues.json", "people.json"):
        data = load_json(name)
        assert "invented" in data["_about"].lower()
    people = load_json("people.json")["people"]
    assert all(p["demo"] for p in people)  # the bulletin names no person


def test_every_person_deliberation_and_mediation_name_resolves_to_one_registry_entry():
    reg = registry.load()
    deliberation = deliberation_reference.load()
    roster = mediation_reference.load()
    used = [*deliberation.deputies, *deliberation.cppcc_members, *roster]
    assert used and all(pid in reg.people for pid in used)
    # One person, one entry: the same id is the same person everywhere, found again by its account.
    for pid in used:
        person = reg.people[pid]
        assert person.account is not None and reg.person_of_account(person.account) is person
    for m in roster.values():
        assert (m.user_id, m.name_zh, m.communities) == (
            reg.people[m.id].account,
            reg.people[m.id].name_zh,
            reg.people[m.id].communities,
        )
    # Deliberation's deputy-01 is the deputy who mediates, not a second person.
    assert roster["deputy-01"].kind == "deputy" and "deputy-01" in deliberation.deputies
    assert roster["cppcc-02"].communities == tuple(sorted(deliberation.cppcc_members["cppcc-02"].communities))
    # Every compound head (楼院三长: three per compound) is a person of the register, heading one compound.
    heads = [h.person for k in reg.compounds.values() for h in k.heads]
    assert len(heads) == len(set(heads)) == 3 * 62 and all(
        "compound_head" in reg.people[h].roles for h in heads
    )


@pytest.mark.parametrize(
    "spoil, problem",
    [
        (
            lambda c, v, p: p["people"].append(dict(p["people"][0])),
            "person ids given more than once: ['deputy-01']",
        ),
        (
            lambda c, v, p: p["people"].append({**p["people"][1], "id": "deputy-99"}),
            "accounts given more than once: ['deputy-02']",
        ),
        (
            lambda c, v, p: c["communities"][1]["compounds"].append(
                dict(c["communities"][0]["compounds"][0])
            ),
            "compound ids given more than once: ['xipan-meiyu']",
        ),
        (lambda c, v, p: v["venues"].append(dict(v["venues"][0])), "venue ids given more than once"),
        (lambda c, v, p: p["people"][0].update(station="station-9"), "names unknown station 'station-9'"),
        (
            lambda c, v, p: p["people"][40].update(communities=["atlantis"]),
            "names unknown communities ['atlantis']",
        ),
        (
            lambda c, v, p: c["communities"][0]["compounds"][0]["heads"].append(
                {"person": "nobody", "title": "楼长"}
            ),
            "compound xipan-meiyu names unknown head 'nobody'",
        ),
        (
            lambda c, v, p: c["communities"][0]["committees"][0]["compounds"].append("lefu-international"),
            "names compound 'lefu-international', which is not of jiangnan-xiaozhen",
        ),
        (lambda c, v, p: v["venues"][0].update(compound="lefu-international"), "which is not of jiangnan"),
        (lambda c, v, p: v["venues"][0].update(community="atlantis"), "names unknown community 'atlantis'"),
    ],
)
def test_a_duplicate_or_dangling_id_stops_the_start(spoil, problem):
    communities, venues, people = raw()
    registry.build(communities, venues, people)  # the bundled data passes
    spoil(communities, venues, people)
    with pytest.raises(RegistryError) as failed:
        registry.build(communities, venues, people)
    assert any(problem in p for p in failed.value.problems), failed.value.problems


@pytest.mark.parametrize(
    "spoil, problem",
    [
        ({"person": "med-nobody"}, "names people the registry does not know: ['med-nobody']"),
        ({"kind": "lawyer"}, "mediates as lawyer, which the registry does not say they are"),
        ({"person": "head-huifeng-1", "kind": "community_mediator"}, "mediates as community_mediator"),
    ],
)
def test_a_roster_naming_no_registry_person_or_in_a_capacity_they_lack_stops_mediations_start(
    tmp_path, spoil, problem
):
    for name in ("communities.json", "venues.json", "people.json"):
        shutil.copy(BUNDLED / name, tmp_path / name)
    roster = json.loads((mediation_reference.BUNDLED / "mediators.json").read_text(encoding="utf-8"))
    roster["mediators"][0].update(spoil)
    (tmp_path / "mediators.json").write_text(json.dumps(roster), encoding="utf-8")
    with pytest.raises(SystemExit) as failed:
        mediation_reference.load(str(tmp_path))
    assert problem in str(failed.value)


def a_register_with_a_dangling_head(tmp_path) -> str:
    """Every bundled reference file in one folder, with a compound naming a head who is no one."""
    for folder in (BUNDLED, *(BUNDLED.parents[1] / s / "reference" for s in SERVICES)):
        for path in folder.glob("*.json"):
            shutil.copy(path, tmp_path / path.name)
    communities = json.loads((tmp_path / "communities.json").read_text(encoding="utf-8"))
    communities["communities"][0]["compounds"][0]["heads"] = [{"person": "head-nobody", "title": "楼长"}]
    (tmp_path / "communities.json").write_text(json.dumps(communities), encoding="utf-8")
    return str(tmp_path)


@pytest.mark.parametrize("service", SERVICES)
def test_both_processes_of_every_service_refuse_to_start_on_a_dangling_id(service, tmp_path, monkeypatch):
    monkeypatch.setenv("JWT_SECRET", "x")
    monkeypatch.setenv("REFERENCE_DIR", a_register_with_a_dangling_head(tmp_path))
    declaration = importlib.import_module(f"{service}.service").SERVICE
    with pytest.raises(RegistryError, match="head-nobody"):
        declaration.create_app()
    with pytest.raises(RegistryError, match="head-nobody"):
        declaration.serve()  # before it connects to anything
