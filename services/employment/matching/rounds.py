"""A job-fair round: seeker-proposing stable matching with the jobs' capacities (openings left)."""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass

import numpy as np

from .features import SeekerFeatures
from .index import JobIndex


@dataclass
class RoundResult:
    assignment: dict[int, int]  # seeker index -> job index
    proposals: int


def _ordered(row: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Candidates best first: higher score, then lower job index."""
    return candidates[np.lexsort((candidates, -row[candidates]))]


def _preference_lists(
    index: JobIndex, seeker: SeekerFeatures, start: int, length: int, min_score: float = 0.0
):
    score, eligible = index.scores(seeker)
    order = _ordered(score, np.flatnonzero(eligible & (score >= min_score)))
    return [(int(j), float(score[j])) for j in order[start : start + length]], len(order)


def first_lists(
    index: JobIndex, seekers: list[SeekerFeatures], length: int, min_score: float = 0.0
) -> list[tuple[list, int]]:
    """Every seeker's `length` best acceptable jobs, and how many jobs are acceptable."""
    out = []
    k = min(length, index.n)
    for s in seekers:
        score, eligible = index.scores(s)
        row = np.where(eligible & (score >= min_score), score, -np.inf)
        count = int(np.count_nonzero(row > -np.inf))
        if k and k < index.n:
            kth = -np.partition(-row, k - 1)[k - 1]
            candidates = np.flatnonzero(row >= max(kth, np.finfo(np.float64).min))  # ties at the k-th kept
        else:
            candidates = np.flatnonzero(row > -np.inf)
        top = _ordered(row, candidates)[:length]
        out.append(([(int(j), float(row[j])) for j in top], count))
    return out


def stable_match(
    index: JobIndex,
    seekers: list[SeekerFeatures],
    list_length: int = 20,
    min_score: float = 0.0,
    preferences=None,
) -> RoundResult:
    """Seeker-proposing deferred acceptance with job capacities (openings left).

    Both sides rank by the pair's score (a job prefers the better-fitting candidate; ties go to
    the lower index), over eligible pairs scoring at least `min_score` only. A seeker's list is produced
    `list_length` jobs at
    a time and extended only when exhausted, so the round never materialises all pairs' orders.
    `preferences(seeker_index, start, length)` may replace how lists are produced (the benchmark's
    pure-Python baseline does).
    """
    produce = preferences or (
        lambda i, start, length: _preference_lists(index, seekers[i], start, length, min_score)
    )
    lists: dict[int, list] = {}
    pointer = [0] * len(seekers)
    offset = [0] * len(seekers)
    total: list = [None] * len(seekers)
    if preferences is None:
        for i, (first, count) in enumerate(first_lists(index, seekers, list_length, min_score)):
            lists[i], total[i], offset[i] = first, count, len(first)
    held: list[list] = [[] for _ in range(index.n)]  # min-heap of (score, -seeker) per job
    free = deque(range(len(seekers)))
    proposals = 0
    while free:
        i = free.popleft()
        if i not in lists or pointer[i] >= len(lists[i]):
            if total[i] is not None and offset[i] >= total[i]:
                continue  # every eligible job has rejected this seeker
            lists[i], total[i] = produce(i, offset[i], list_length)
            pointer[i] = 0
            offset[i] += len(lists[i])
            if not lists[i]:
                continue
        j, score = lists[i][pointer[i]]
        pointer[i] += 1
        proposals += 1
        cap = int(index.capacity[j])
        if cap <= 0:
            free.append(i)
            continue
        entry = (score, -i)
        if len(held[j]) < cap:
            heapq.heappush(held[j], entry)
        elif entry > held[j][0]:
            _, loser = heapq.heapreplace(held[j], entry)
            free.append(-loser)
        else:
            free.append(i)
    assignment = {-neg: j for j, heap in enumerate(held) for _, neg in heap}
    return RoundResult(assignment, proposals)


def blocking_pairs(
    index: JobIndex, seekers: list[SeekerFeatures], assignment: dict[int, int], min_score: float = 0.0
) -> list[tuple[int, int]]:
    """Pairs that would both rather have each other (empty for a stable round); for tests."""
    rows = [index.scores(s) for s in seekers]
    holders: dict[int, list[tuple[float, int]]] = {}
    for i, j in assignment.items():
        holders.setdefault(j, []).append((float(rows[i][0][j]), -i))
    found = []
    for i, (score, eligible) in enumerate(rows):
        current = assignment.get(i)
        mine = (float(score[current]), -current) if current is not None else None
        for j in np.flatnonzero(eligible & (score >= min_score)):
            j = int(j)
            if j == current or (mine is not None and (float(score[j]), -j) <= mine):
                continue
            held = holders.get(j, [])
            if len(held) < index.capacity[j] or (float(score[j]), -i) > min(held):
                found.append((i, j))
    return found
