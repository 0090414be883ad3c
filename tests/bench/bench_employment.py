"""Benchmark of employment matching, each figure beside a straightforward pure-Python loop measured
in the same run, on the generated population of the quality tests (10,000 seekers, 10,000 jobs).

1. Ranking 10,000 jobs for one seeker (top 10): numpy (JobIndex.rank) against scoring every job
   with matching.explain in a Python loop and sorting. p50/p95 over sampled seekers.
2. A full 10,000 x 10,000 job-fair round (stable matching with capacities): numpy preference lists
   against the same deferred-acceptance loop fed by pure-Python scoring. The pure-Python round would
   take about half an hour, so its scoring is measured on a subset of seekers (each against all
   10,000 jobs) and extrapolated linearly; the output says so.

No servers needed. Not part of `make test`: it measures, it does not assert.
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
from tests.employment_population import features, population  # noqa: E402

MIN_SCORE = 0.5


def pure_python_rank(s, jobs, vocab, k=10):
    scored = []
    for j, job in enumerate(jobs):
        m = matching.explain(s, job, vocab)
        if m.eligible and m.score >= MIN_SCORE:
            scored.append((-m.score, j))
    scored.sort()
    return scored[:k]


def pure_python_preferences(seekers, jobs, vocab):
    """Preference lists for the deferred-acceptance loop, scored pair by pair."""
    cache = {}

    def produce(i, start, length):
        if i not in cache:
            cache[i] = pure_python_rank(seekers[i], jobs, vocab, k=len(jobs))
        ranked = cache[i]
        return [(j, -neg) for neg, j in ranked[start:start + length]], len(ranked)
    return produce


def pct(values, q):
    return float(np.percentile(values, q)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seekers", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--rank-samples", type=int, default=200, help="seekers timed with numpy")
    parser.add_argument("--baseline-samples", type=int, default=20, help="seekers timed with the Python loop")
    args = parser.parse_args()

    t = time.perf_counter()
    vocab, seekers, jobs = population(args.seekers, args.jobs, seed=146)
    seeker_f, job_f = features(vocab, seekers, jobs)
    print(f"population: {len(seekers):,} seekers, {len(jobs):,} jobs (generated in {time.perf_counter() - t:.1f} s)")

    t = time.perf_counter()
    index = matching.JobIndex(job_f, vocab)
    print(f"job index built in {(time.perf_counter() - t) * 1000:.0f} ms (once per round / per request)\n")

    # 1. ranking for one seeker
    fast, slow = [], []
    for s in seeker_f[:args.rank_samples]:
        t = time.perf_counter()
        index.rank(s, 10, MIN_SCORE)
        fast.append(time.perf_counter() - t)
    agree = 0
    for s in seeker_f[:args.baseline_samples]:
        t = time.perf_counter()
        baseline = pure_python_rank(s, job_f, vocab)
        slow.append(time.perf_counter() - t)
        agree += [j for _, j in baseline][:5] == [j for j, _ in index.rank(s, 10, MIN_SCORE)][:5]
    print(f"rank {len(jobs):,} jobs for one seeker (top 10)")
    print(f"  numpy        p50 {pct(fast, 50):8.2f} ms   p95 {pct(fast, 95):8.2f} ms   ({len(fast)} seekers)")
    print(f"  pure Python  p50 {pct(slow, 50):8.2f} ms   p95 {pct(slow, 95):8.2f} ms   ({len(slow)} seekers)")
    print(f"  speed-up at p50: {statistics.median(slow) / statistics.median(fast):.0f}x; "
          f"same top 5 for {agree}/{len(slow)} seekers\n")

    # 2. full batch round
    t = time.perf_counter()
    result = matching.stable_match(index, seeker_f, min_score=MIN_SCORE)
    numpy_round = time.perf_counter() - t
    per_job = np.bincount(list(result.assignment.values()), minlength=index.n)
    assert (per_job <= index.capacity).all()

    subset = seeker_f[:args.baseline_samples]
    t = time.perf_counter()
    produce = pure_python_preferences(subset, job_f, vocab)
    for i in range(len(subset)):
        produce(i, 0, 20)
    scoring = (time.perf_counter() - t) / len(subset) * len(seeker_f)
    # the proposal loop is the same code on both sides: time it once with ready lists
    lists = matching.first_lists(index, seeker_f, 20, MIN_SCORE)
    t = time.perf_counter()
    matching.stable_match(index, seeker_f, min_score=MIN_SCORE,
                          preferences=lambda i, start, length: lists[i] if start == 0 else
                          matching._preference_lists(index, seeker_f[i], start, length, MIN_SCORE))
    loop = time.perf_counter() - t
    print(f"job-fair round, {len(seeker_f):,} seekers x {len(jobs):,} jobs (stable matching, openings as capacities)")
    print(f"  numpy        {numpy_round:8.1f} s   matched {len(result.assignment):,}, {result.proposals:,} proposals")
    print(f"  pure Python  {scoring + loop:8.1f} s   EXTRAPOLATED: scoring measured on {len(subset)} seekers x "
          f"{len(jobs):,} jobs ({scoring / len(seeker_f) * 1000:.0f} ms each) x {len(seeker_f):,}, plus the "
          f"proposal loop ({loop:.1f} s)")
    print(f"  speed-up: {(scoring + loop) / numpy_round:.0f}x")


if __name__ == "__main__":
    main()
