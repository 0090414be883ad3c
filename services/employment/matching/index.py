"""Many pairs at once: `JobIndex` holds the jobs as column arrays so that one seeker is scored against
all of them in a few numpy operations (the same numbers as `explain`), and ranks them; `rank_seekers`
ranks the seekers for one job."""

from __future__ import annotations

import numpy as np

from ..reference import Vocabulary
from .features import (
    EXPERIENCE_STEP_YEARS,
    HOURS_TYPES,
    NEAR_KM,
    SHIFTS,
    WEIGHTS,
    JobFeatures,
    SeekerFeatures,
    _per_hour,
)

_POPCOUNT = np.array([bin(i).count("1") for i in range(1 << len(SHIFTS))], dtype=np.float64)


class JobIndex:
    """The jobs as column arrays, so one seeker is scored against all of them in a few numpy operations.

    Whatever depends on the job alone is folded in advance: the skill component is one matrix-vector
    product (weights per job and skill), and the attributes with few distinct values (place, shifts,
    hours type, occupation) are looked up in small per-seeker tables instead of computed per job.
    """

    def __init__(self, jobs: list[JobFeatures], vocab: Vocabulary):
        self.jobs = jobs
        self.vocab = vocab
        self.n = n = len(jobs)
        self.occ_ids = list(vocab.occupations)
        self.skill_ids = list(vocab.skills)
        occ_pos = {o: i for i, o in enumerate(self.occ_ids)}
        skill_pos = {s: i for i, s in enumerate(self.skill_ids)}
        self.occ = np.array([occ_pos.get(j.occupation, len(self.occ_ids)) for j in jobs], dtype=np.int64)
        # skills: value = a*held_required + b*held_optional + c (see explain), weighted in advance
        w = WEIGHTS["skills"]
        skill_matrix = np.zeros((n, len(self.skill_ids)))
        self.skill_const = np.zeros(n)
        for i, j in enumerate(jobs):
            r, o = len(j.required), len(j.optional)
            a = (0.8 / r if o else 1.0 / r) if r else 0.0
            b = (0.2 / o if r else 0.5 / o) if o else 0.0
            self.skill_const[i] = w * (0.0 if r else 0.5 if o else 1.0)
            for x in j.required:
                if x in skill_pos:  # a skill outside the vocabulary is held by nobody indexed here
                    skill_matrix[i, skill_pos[x]] += w * a
            for x in j.optional:
                if x in skill_pos:
                    skill_matrix[i, skill_pos[x]] += w * b
        self.skill_rows = np.ascontiguousarray(skill_matrix.T)  # per skill: what holding it adds to each job
        self.places = sorted({j.position for j in jobs})
        place_pos = {p: i for i, p in enumerate(self.places)}
        self.place = np.array([place_pos[j.position] for j in jobs], dtype=np.int64)
        self.place_x = np.array([p[0] for p in self.places])
        self.place_y = np.array([p[1] for p in self.places])
        self.type = np.array([j.type for j in jobs], dtype=np.int64)
        self.shifts = np.array([j.shifts for j in jobs], dtype=np.int64)
        self.hours = np.array([j.hours_per_week for j in jobs])
        self.pay_min = np.array([j.pay_min_hourly for j in jobs])
        self.pay_max = np.array([j.pay_max_hourly for j in jobs])
        self.no_exp = np.array([j.no_experience_needed or j.min_experience_years <= 0 for j in jobs])
        asked = np.maximum(
            EXPERIENCE_STEP_YEARS, [j.min_experience_years for j in jobs] or 1.0
        )  # as _experience_share
        self.inv_min_exp = np.where(self.no_exp, 0.0, 1.0 / asked)
        self.exp_floor = self.no_exp.astype(np.float64)  # no experience needed: the component is 1
        self.min_edu = np.array([j.min_education for j in jobs], dtype=np.int64)
        self.age_friendly = np.array([j.age_friendly for j in jobs], dtype=np.float64)
        self.accessible = np.array([j.accessible for j in jobs])
        self.demands = np.array([j.physical_demands for j in jobs], dtype=np.int64)
        self.open = np.array([j.open for j in jobs])
        self.capacity = np.array([j.openings_left for j in jobs], dtype=np.int64)
        all_shifts = np.arange(1 << len(SHIFTS))
        self._shift_n = _POPCOUNT[all_shifts]

    def scores(self, s: SeekerFeatures) -> tuple[np.ndarray, np.ndarray]:
        """(score, eligible) of one seeker against every job, as explain() computes them."""
        w = WEIGHTS
        fit = np.array([s.occupation_fit.get(o, 0.0) for o in self.occ_ids] + [0.0])
        years = np.array([s.experience_years.get(o, 0.0) for o in self.occ_ids] + [0.0])
        held = [k for k, x in enumerate(self.skill_ids) if x in s.skills]
        # small per-seeker tables, looked up per job
        d = np.hypot(s.position[0] - self.place_x, s.position[1] - self.place_y)
        commute_t = np.where(
            d <= NEAR_KM, 1.0, np.maximum(0.0, 1.0 - (d - NEAR_KM) / max(s.max_commute_km - NEAR_KM, NEAR_KM))
        )
        common = np.arange(1 << len(SHIFTS)) & s.shifts
        with np.errstate(divide="ignore", invalid="ignore"):
            hours_t = np.where(self._shift_n > 0, _POPCOUNT[common] / self._shift_n, 1.0)
        type_ok = (np.arange(1 << len(HOURS_TYPES)) & s.types) != 0

        score = w["occupation"] * fit[self.occ] + (self.skill_rows[held].sum(axis=0) + self.skill_const)
        score += w["commute"] * commute_t[self.place]
        score += w["hours"] * hours_t[self.shifts]
        if s.expected_hourly is None:
            score += w["pay"]
        else:
            e = s.expected_hourly
            below = np.minimum(0.8, np.maximum(0.0, 1.6 * _per_hour(self.pay_max, e) - 0.8))
            score += w["pay"] * np.where(self.pay_min >= e, 1.0, below)
        score += w["experience"] * np.minimum(1.0, years[self.occ] * self.inv_min_exp + self.exp_floor)
        if s.older_worker:
            score += w["age_friendly"] * self.age_friendly
        eligible = (
            self.open
            & (d <= s.max_commute_km)[self.place]
            & type_ok[self.type]
            & (common != 0)[self.shifts]
            & (self.hours <= s.max_hours)
            & (self.min_edu <= s.education)
        )
        if s.needs_accessible:
            eligible &= self.accessible
        if s.physical_limits:
            eligible &= (self.demands & s.physical_limits) == 0
        return score, eligible

    def rank(self, s: SeekerFeatures, k: int = 10, min_score: float = 0.0) -> list[tuple[int, float]]:
        """The k best eligible jobs (index, score), best first; ties go to the lower index."""
        score, eligible = self.scores(s)
        masked = np.where(eligible & (score >= min_score), score, -np.inf)
        k = min(k, self.n)
        if k <= 0:
            return []
        top = np.argpartition(-masked, k - 1)[:k] if k < self.n else np.arange(self.n)
        top = top[np.lexsort((top, -masked[top]))]
        return [(int(i), float(masked[i])) for i in top if masked[i] > -np.inf]


def rank_seekers(
    job: JobFeatures, seekers: list[SeekerFeatures], vocab: Vocabulary, k: int = 10, min_score: float = 0.0
) -> list[tuple[int, float]]:
    """Top-k seekers for one job: the job indexed alone, each seeker scored against it."""
    index = JobIndex([job], vocab)
    scored = []
    for i, s in enumerate(seekers):
        score, eligible = index.scores(s)
        if eligible[0] and score[0] >= min_score:
            scored.append((i, float(score[0])))
    scored.sort(key=lambda t: (-t[1], t[0]))
    return scored[:k]
