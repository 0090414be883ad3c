"""Benchmark of employment matching, each figure beside a straightforward pure-Python loop measured
in the same run, on the generated population of the quality tests (10,000 seekers, 10,000 jobs).

1. Ranking 10,000 jobs for one seeker (top 10): numpy (JobIndex.rank) against a Python loop over
   every job, once with matching.explain (score and reason texts) and once computing the score only
   (pure_python_score), then sorting. p50/p95 over sampled seekers.
2. Job-fair rounds (stable matching with capacities): numpy preference lists against the same
   deferred-acceptance loop fed by the pure-Python scores-only loop.
   a. Measured on both sides in this run: --round-seekers (1,000) seekers x all jobs; both sides
      include scoring every pair (numpy: building the job index too). The assignments are compared.
   b. The full 10,000 x 10,000 round: numpy measured; the pure-Python side takes minutes, so here
      its scoring is measured on --baseline-samples seekers (each against all jobs) and
      extrapolated linearly; the output says so. `--round-seekers 10000` measures the full round
      on both sides in (a) instead (about two and a half minutes more).

No servers needed. Not part of `make test`: it measures; it only checks that both sides compute the
same scores.
Run: .venv/bin/python tests/bench/bench_employment.py [--seekers N] [--jobs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "services"))

import numpy as np  # noqa: E402

from employment import matching  # noqa: E402
from employment.matching import rounds  # noqa: E402
from tests.employment_population import features, population  # noqa: E402

MIN_SCORE = 0.5


def pure_python_score(s, j, vocab) -> tuple[float, bool]:
    """explain()'s score and eligibility for one pair, without the reason texts (see matching.explain)."""
    w = matching.WEIGHTS
    fit = s.occupation_fit.get(j.occupation, 0.0)
    req_cov = len(j.required & s.skills) / len(j.required) if j.required else 1.0
    opt_cov = len(j.optional & s.skills) / len(j.optional) if j.optional else 0.0
    if j.required:
        skills = 0.8 * req_cov + 0.2 * opt_cov if j.optional else req_cov
    else:
        skills = 0.5 + 0.5 * opt_cov if j.optional else 1.0
    d = vocab.distance_km(s.position, j.position)
    near = matching.NEAR_KM
    commute = 1.0 if d <= near else max(0.0, 1.0 - (d - near) / max(s.max_commute_km - near, near))
    job_shift_n = bin(j.shifts).count("1")
    common = j.shifts & s.shifts
    hours = bin(common).count("1") / job_shift_n if job_shift_n else 1.0
    if s.expected_hourly is None:
        pay = 1.0
    else:
        e = s.expected_hourly
        pay = 1.0 if j.pay_min_hourly >= e else min(0.8, max(0.0, j.pay_max_hourly * (1.6 / e) - 0.8))
    if j.no_experience_needed or j.min_experience_years <= 0:
        exp = 1.0
    else:
        exp = min(1.0, s.experience_years.get(j.occupation, 0.0) / j.min_experience_years)
    score = (
        w["occupation"] * fit
        + w["skills"] * skills
        + w["commute"] * commute
        + w["hours"] * hours
        + w["pay"] * pay
        + w["experience"] * exp
    )
    if s.older_worker:
        score += w["age_friendly"] * (1.0 if j.age_friendly else 0.0)
    eligible = (
        j.open
        and d <= s.max_commute_km
        and bool(j.type & s.types)
        and bool(common)
        and j.hours_per_week <= s.max_hours
        and s.education >= j.min_education
        and (j.accessible or not s.needs_accessible)
    )
    return score, eligible


def pure_python_rank(s, jobs, vocab, k=10, score=None):
    """Every job scored in a loop (with explain's reason texts, or `score` only), best k first."""
    scored = []
    for j, job in enumerate(jobs):
        if score is None:
            m = matching.explain(s, job, vocab)
            value, eligible = m.score, m.eligible
        else:
            value, eligible = score(s, job, vocab)
        if eligible and value >= MIN_SCORE:
            scored.append((-value, j))
    scored.sort()
    return scored[:k]


def pure_python_preferences(seekers, jobs, vocab):
    """Preference lists for the deferred-acceptance loop, scored pair by pair (scores only)."""
    cache = {}

    def produce(i, start, length):
        if i not in cache:
            cache[i] = pure_python_rank(seekers[i], jobs, vocab, k=len(jobs), score=pure_python_score)
        ranked = cache[i]
        return [(j, -neg) for neg, j in ranked[start : start + length]], len(ranked)

    return produce


def pct(values, q):
    return float(np.percentile(values, q)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seekers", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--rank-samples", type=int, default=200, help="seekers timed with numpy")
    parser.add_argument("--baseline-samples", type=int, default=20, help="seekers timed with the Python loop")
    parser.add_argument(
        "--round-seekers",
        type=int,
        default=1_000,
        help="seekers of the round measured on both sides (against all jobs)",
    )
    args = parser.parse_args()

    t = time.perf_counter()
    vocab, seekers, jobs = population(args.seekers, args.jobs, seed=146)
    seeker_f, job_f = features(vocab, seekers, jobs)
    print(
        f"population: {len(seekers):,} seekers, {len(jobs):,} jobs (generated in "
        f"{time.perf_counter() - t:.1f} s)"
    )

    t = time.perf_counter()
    index = matching.JobIndex(job_f, vocab)
    print(f"job index built in {(time.perf_counter() - t) * 1000:.0f} ms (once per round / per request)\n")

    # the scores-only baseline computes explain()'s numbers, or its timings mean nothing
    for s in seeker_f[: args.baseline_samples]:
        for job in job_f[:500]:
            m, (score, eligible) = matching.explain(s, job, vocab), pure_python_score(s, job, vocab)
            if eligible != m.eligible or abs(score - m.score) > 1e-9:
                raise SystemExit(f"pure_python_score disagrees with matching.explain: {score} != {m.score}")

    # 1. ranking for one seeker
    fast, slow, lean = [], [], []
    for s in seeker_f[: args.rank_samples]:
        t = time.perf_counter()
        index.rank(s, 10, MIN_SCORE)
        fast.append(time.perf_counter() - t)
    agree = 0
    for s in seeker_f[: args.baseline_samples]:
        t = time.perf_counter()
        baseline = pure_python_rank(s, job_f, vocab)
        slow.append(time.perf_counter() - t)
        t = time.perf_counter()
        scores_only = pure_python_rank(s, job_f, vocab, score=pure_python_score)
        lean.append(time.perf_counter() - t)
        top = [j for j, _ in index.rank(s, 10, MIN_SCORE)][:5]
        agree += [j for _, j in baseline][:5] == top == [j for _, j in scores_only][:5]
    print(f"rank {len(jobs):,} jobs for one seeker (top 10)")
    print(
        f"  numpy                    p50 {pct(fast, 50):8.2f} ms   p95 {pct(fast, 95):8.2f} ms   "
        f"({len(fast)} "
        "seekers)"
    )
    print(
        f"  pure Python, scores only p50 {pct(lean, 50):8.2f} ms   p95 {pct(lean, 95):8.2f} ms   "
        f"({len(lean)} "
        "seekers)"
    )
    print(
        f"  pure Python, explain     p50 {pct(slow, 50):8.2f} ms   p95 {pct(slow, 95):8.2f} ms   "
        f"({len(slow)} "
        "seekers)"
    )
    print(
        f"  speed-up at p50: {statistics.median(lean) / statistics.median(fast):.0f}x against scores only, "
        f"{statistics.median(slow) / statistics.median(fast):.0f}x against explain; "
        f"same top 5 on all three for {agree}/{len(slow)} seekers\n"
    )

    # 2a. a round measured on both sides
    few = seeker_f[: args.round_seekers]
    t = time.perf_counter()
    few_index = matching.JobIndex(job_f, vocab)
    numpy_few = matching.stable_match(few_index, few, min_score=MIN_SCORE)
    numpy_few_s = time.perf_counter() - t
    t = time.perf_counter()
    python_few = matching.stable_match(
        few_index,
        few,
        min_score=MIN_SCORE,  # the index gives capacities only
        preferences=pure_python_preferences(few, job_f, vocab),
    )
    python_few_s = time.perf_counter() - t
    same = sum(numpy_few.assignment.get(i) == python_few.assignment.get(i) for i in range(len(few)))
    print(f"job-fair round, {len(few):,} seekers x {len(jobs):,} jobs, MEASURED on both sides")
    print(
        f"  numpy                    {numpy_few_s:8.2f} s   matched {len(numpy_few.assignment):,}, "
        f"{numpy_few.proposals:,} proposals"
    )
    print(
        f"  pure Python, scores only {python_few_s:8.2f} s   matched {len(python_few.assignment):,}, "
        f"{python_few.proposals:,} proposals"
    )
    print(f"  speed-up: {python_few_s / numpy_few_s:.0f}x; same job for {same:,}/{len(few):,} seekers\n")

    # 2b. full batch round
    t = time.perf_counter()
    result = matching.stable_match(index, seeker_f, min_score=MIN_SCORE)
    numpy_round = time.perf_counter() - t
    per_job = np.bincount(list(result.assignment.values()), minlength=index.n)
    assert (per_job <= index.capacity).all()

    subset = seeker_f[: args.baseline_samples]
    t = time.perf_counter()
    produce = pure_python_preferences(subset, job_f, vocab)
    for i in range(len(subset)):
        produce(i, 0, 20)
    scoring = (time.perf_counter() - t) / len(subset) * len(seeker_f)
    # the proposal loop is the same code on both sides: time it once with ready lists
    lists = matching.first_lists(index, seeker_f, 20, MIN_SCORE)
    t = time.perf_counter()
    matching.stable_match(
        index,
        seeker_f,
        min_score=MIN_SCORE,
        preferences=lambda i, start, length: (
            lists[i] if start == 0 else rounds._preference_lists(index, seeker_f[i], start, length, MIN_SCORE)
        ),
    )
    loop = time.perf_counter() - t
    print(
        f"job-fair round, {len(seeker_f):,} seekers x {len(jobs):,} jobs (stable matching, openings as "
        "capacities)"
    )
    print(
        f"  numpy                    {numpy_round:8.1f} s   matched {len(result.assignment):,}, "
        f"{result.proposals:,} proposals"
    )
    print(
        f"  pure Python, scores only {scoring + loop:8.1f} s   EXTRAPOLATED: scoring measured on "
        f"{len(subset)} "
        f"seekers x {len(jobs):,} jobs ({scoring / len(seeker_f) * 1000:.0f} ms each) x {len(seeker_f):,}, "
        f"plus the proposal loop ({loop:.1f} s)"
    )
    print(f"  speed-up: {(scoring + loop) / numpy_round:.0f}x")


if __name__ == "__main__":
    main()
