"""Matching quality on a generated population of 10,000 seekers and 10,000 jobs (Chinese data).

Into the population we plant, for sampled seekers, an ideal job and jobs that differ from it in one
respect only (a known defect). Known good matches must rank above known poor ones, and the
reasons returned must name what drove the score: the component that changed, by the amount it
changed.
"""

import random

import numpy as np
import pytest

from employment import matching
from tests.employment_population import features, population

SAMPLED = 300


@pytest.fixture(scope="module")
def world():
    vocab, seekers, jobs = population(10_000, 10_000, seed=146)
    seeker_f, job_f = features(vocab, seekers, jobs)
    assert len(seekers) >= 10_000 and len(jobs) >= 10_000
    assert any("超市" in j["employer"]["name"] or "店" in j["employer"]["name"] for j in jobs)  # Chinese data
    return vocab, seekers, jobs, seeker_f, job_f


def ideal_job(s: matching.SeekerFeatures, vocab) -> matching.JobFeatures:
    """Everything the seeker asks for: desired occupation, skills they hold, at home, their shifts."""
    occupation = s.desired[0]
    held = sorted(s.skills)
    kind = 2 if s.types & 2 else 1  # part time if they take it
    hours = min(s.max_hours, 20 if kind == 2 else 40)
    pay = (s.expected_hourly or 25.0) * 1.2
    return matching.JobFeatures(
        occupation=occupation,
        required=frozenset(held[:2]),
        optional=frozenset(held[2:3]),
        type=kind,
        shifts=s.shifts,
        hours_per_week=hours,
        position=s.position,
        pay_min_hourly=pay,
        pay_max_hourly=pay * 1.1,
        pay_unit_label="hour",
        min_experience_years=0,
        no_experience_needed=True,
        min_education=0,
        age_friendly=s.older_worker,
        accessible=True,
        open=True,
        openings_left=1,
    )


def unrelated_occupation(s, vocab) -> str:
    near = {o for o, fit in s.occupation_fit.items() if fit > 0}
    return next(o for o in vocab.occupations if o not in near)


def related_occupation(s, vocab) -> str | None:
    return next((o for o, fit in s.occupation_fit.items() if fit == matching.OCCUPATION_FIT["related"]), None)


def variants(s, vocab, good: matching.JobFeatures) -> dict[str, matching.JobFeatures]:
    """One defect each, named by the component it must lower."""
    from dataclasses import replace

    far = (s.position[0] + s.max_commute_km * 0.9, s.position[1])
    lowest_shift = s.shifts & -s.shifts
    out = {
        "occupation": replace(good, occupation=unrelated_occupation(s, vocab)),
        "skills": replace(
            good,
            required=frozenset({"forklift", "livestream"}) - s.skills or frozenset({"__unknown__"}),
            optional=frozenset(),
        ),
        "commute": replace(good, position=far),
        "pay": replace(
            good,
            pay_min_hourly=(s.expected_hourly or 25.0) * 0.55,
            pay_max_hourly=(s.expected_hourly or 25.0) * 0.6,
        ),
        "experience": replace(good, no_experience_needed=False, min_experience_years=30),
    }
    if lowest_shift != s.shifts:  # add a shift the seeker cannot work: half-fitting hours
        missing = next(1 << i for i in range(len(matching.SHIFTS)) if not s.shifts >> i & 1)
        out["hours"] = replace(good, shifts=lowest_shift | missing)
    if s.expected_hourly is None:
        del out["pay"]
    return out


def poor_job(s, vocab, good) -> matching.JobFeatures:
    """Wrong occupation, none of the skills, at the edge of the commute, no experience asked for though."""
    from dataclasses import replace

    return replace(
        good,
        occupation=unrelated_occupation(s, vocab),
        required=frozenset({"__unknown__"}),
        optional=frozenset(),
        position=(s.position[0] + s.max_commute_km * 0.95, s.position[1]),
        pay_min_hourly=(s.expected_hourly or 25.0) * 0.5,
        pay_max_hourly=(s.expected_hourly or 25.0) * 0.5,
    )


@pytest.fixture(scope="module")
def planted(world):
    vocab, seekers, jobs, seeker_f, job_f = world
    rng = random.Random(7)
    picks = rng.sample(range(len(seekers)), SAMPLED)
    extra, owners = [], []
    for i in picks:
        s = seeker_f[i]
        good = ideal_job(s, vocab)
        planted_jobs = {"good": good, "poor": poor_job(s, vocab, good), **variants(s, vocab, good)}
        if (rel := related_occupation(s, vocab)) is not None:
            from dataclasses import replace

            planted_jobs["related"] = replace(good, occupation=rel)
        offset = len(job_f) + len(extra)
        extra.extend(planted_jobs.values())
        owners.append((i, {name: offset + k for k, name in enumerate(planted_jobs)}))
    index = matching.JobIndex(job_f + extra, vocab)
    return index, owners


def test_known_good_matches_rank_above_known_poor_ones(world, planted):
    vocab, seekers, jobs, seeker_f, _ = world
    index, owners = planted
    top3 = 0
    for i, named in owners:
        score, eligible = index.scores(seeker_f[i])
        order = np.argsort(-np.where(eligible, score, -np.inf), kind="stable")
        rank = {int(j): r for r, j in enumerate(order)}
        good = rank[named["good"]]
        for name, j in named.items():
            if name != "good":
                assert good < rank[j], f"seeker {i}: the ideal job ranks below the {name} variant"
        assert rank[named["poor"]] > good
        if "related" in named:
            assert rank[named["related"]] < rank[named["occupation"]], (
                "related occupation should beat an unrelated one"
            )
        top3 += good < 3
    # Among 10,000 generated jobs the ideal one is (nearly always) in the seeker's top three.
    assert top3 >= 0.95 * len(owners), f"ideal job in the top 3 for only {top3} of {len(owners)} seekers"


def test_the_reasons_name_what_drove_the_score(world, planted):
    """For each one-defect variant, exactly the planted component differs from the ideal job's
    reasons, and the score drops by exactly that component's change in contribution."""
    vocab, seekers, jobs, seeker_f, _ = world
    index, owners = planted
    checked = 0
    for i, named in owners:
        s = seeker_f[i]
        good = matching.explain(s, index.jobs[named["good"]], vocab)
        good_parts = {r.component: r for r in good.reasons}
        assert good.eligible and good.reasons[0].contribution == max(r.contribution for r in good.reasons)
        for name, j in named.items():
            if name in ("good", "poor", "related"):
                continue
            bad = matching.explain(s, index.jobs[j], vocab)
            parts = {r.component: r for r in bad.reasons}
            changed = {c for c in parts if abs(parts[c].contribution - good_parts[c].contribution) > 1e-12}
            assert changed == {name}, f"seeker {i}, {name} variant: reasons changed for {changed}"
            drop = good.score - bad.score
            assert drop == pytest.approx(good_parts[name].contribution - parts[name].contribution, abs=1e-12)
            assert drop > 0
            checked += 1
    assert checked >= 5 * SAMPLED * 0.8


def test_reason_details_say_what_is_wrong(world, planted):
    vocab, _, _, seeker_f, _ = world
    index, owners = planted
    i, named = owners[0]
    s = seeker_f[i]

    def detail(name, comp):
        return next(
            r.detail
            for r in matching.explain(s, index.jobs[named[name]], vocab).reasons
            if r.component == comp
        )

    assert "是求职意向" in detail("good", "occupation")
    assert "与求职意向不符" in detail("occupation", "occupation")
    assert "缺少" in detail("skills", "skills")
    assert "通勤约" in detail("commute", "commute")
    assert "要求 30 年" in detail("experience", "experience")


def test_contributions_add_up_to_the_score_that_ranked_the_job(world):
    vocab, _, jobs, seeker_f, job_f = world
    index = matching.JobIndex(job_f, vocab)
    for s in seeker_f[:200]:
        for j, score in index.rank(s, 10):
            match = matching.explain(s, job_f[j], vocab)
            assert match.eligible
            assert sum(r.contribution for r in match.reasons) == pytest.approx(score, abs=1e-9)
            assert [r.contribution for r in match.reasons] == sorted(
                (r.contribution for r in match.reasons), reverse=True
            )


def test_vectorised_scores_equal_the_straightforward_computation(world):
    vocab, _, _, seeker_f, job_f = world
    index = matching.JobIndex(job_f, vocab)
    for s in seeker_f[:5]:
        score, eligible = index.scores(s)
        for k, j in enumerate(job_f):
            match = matching.explain(s, j, vocab)
            assert match.eligible == bool(eligible[k])
            assert abs(match.score - score[k]) < 1e-9


def test_ineligible_jobs_are_never_ranked_and_say_why(world):
    vocab, _, _, seeker_f, job_f = world
    index = matching.JobIndex(job_f, vocab)
    s = seeker_f[0]
    ranked = {j for j, _ in index.rank(s, 10_000)}
    blocked = [k for k, j in enumerate(job_f) if not matching.explain(s, j, vocab).eligible]
    assert blocked and not ranked & set(blocked)
    assert all(matching.explain(s, job_f[k], vocab).blocked_by for k in blocked[:50])


def test_job_fair_round_is_stable_and_respects_capacities(world):
    vocab, _, _, seeker_f, job_f = world
    seekers, jobs = seeker_f[:400], job_f[:150]
    index = matching.JobIndex(jobs, vocab)
    result = matching.stable_match(
        index, seekers, list_length=3, min_score=0.4
    )  # short lists: refills happen
    per_job = np.bincount(list(result.assignment.values()), minlength=index.n)
    assert (per_job <= index.capacity).all()
    assert result.assignment, "nobody was matched: the test proves nothing"
    for i, j in result.assignment.items():
        score, eligible = index.scores(seekers[i])
        assert eligible[j] and score[j] >= 0.4
    assert matching.blocking_pairs(index, seekers, result.assignment, min_score=0.4) == []
