"""Explainable matching of seekers and jobs. Pure computation, no I/O.

A pair's score is the weighted sum of components, each a value in [0, 1]:

  occupation  0.30  desired occupation 1.0, substitutable 0.8, related 0.5, else 0
  skills      0.20  share of the required skills held (0.8) and of the optional ones (0.2)
  commute     0.15  1.0 within 0.5 km of home, falling to 0 at the seeker's maximum commute
  hours       0.15  share of the job's shifts the seeker can work
  pay         0.10  1.0 if the lowest pay meets the expectation, 0.8 if the range reaches it, falling
                    to 0 as the highest pay drops to half the expectation
  experience  0.10  years in the occupation (half for substitutable/related ones) against the years asked
  age_friendly 0.05 older workers only: the employer marked the job age-friendly

Hard constraints make a pair ineligible whatever its score (it is never suggested): the job is not
open, the commute is longer than the seeker's maximum, the kind of hours (full/part time) or the
shifts do not fit, the weekly hours exceed what the seeker offers, the education asked is higher,
the seeker needs an accessible workplace and the job is not, or the job makes a physical demand
the seeker said they cannot meet (older workers' physical limits).

`explain` is the straightforward per-pair computation; it returns the components as reasons (their
contributions add up to the score) and is the baseline of the benchmark. `JobIndex` computes the
same numbers for many pairs at once with numpy; `stable_match` runs a job-fair round.

Numbers come from stored documents, which may predate today's payload bounds (see LIMITS): the
feature builders refuse what cannot be scored (raising Unscorable, so callers skip that one
document and go on with the others), and every division is guarded so that a tiny but positive
number yields a finite score rather than an error or NaN.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from .reference import Vocabulary

# Realistic ranges of the numbers matching uses (the payload models take their bounds from here).
# Pay is in yuan per unit; a day is 8 hours; a month's pay is spread over the hours of the week
# times WEEKS_PER_MONTH.
PAY_PER_UNIT = {"hour": (5.0, 1000.0), "day": (40.0, 8000.0), "month": (300.0, 200000.0)}
LIMITS = {
    "hours_per_week": (1.0, 70.0),
    "commute_km": (0.5, 50.0),
    "experience_years": (0.0, 60.0),
    "min_experience_years": (0.0, 40.0),
}
EXPERIENCE_STEP_YEARS = 0.25  # experience asked for is 0 (none) or quarters of a year; also the least divisor
HOURS_PER_DAY = 8

WEIGHTS = {
    "occupation": 0.30,
    "skills": 0.20,
    "commute": 0.15,
    "hours": 0.15,
    "pay": 0.10,
    "experience": 0.10,
    "age_friendly": 0.05,
}
OCCUPATION_FIT = {"desired": 1.0, "substitutable": 0.8, "related": 0.5, "other": 0.0}
EDUCATION = (
    "none",
    "primary",
    "junior_secondary",
    "senior_secondary",
    "vocational",
    "college",
    "bachelor",
    "master",
)
SHIFTS = ("morning", "afternoon", "evening", "night", "weekend")
SHIFT_ZH = {"morning": "上午", "afternoon": "下午", "evening": "晚间", "night": "夜班", "weekend": "周末"}
HOURS_TYPES = ("full_time", "part_time")
PHYSICAL_DEMANDS = ("heavy_lifting", "long_standing", "heights", "outdoor_heat")
WEEKS_PER_MONTH = 52 / 12
NEAR_KM = 0.5
_POPCOUNT = np.array([bin(i).count("1") for i in range(1 << len(SHIFTS))], dtype=np.float64)


def _bits(names, universe) -> int:
    return sum(1 << universe.index(n) for n in set(names))  # a name stored twice is still one bit


class Unscorable(ValueError):
    """A stored profile or posting whose numbers matching cannot use (missing, not numbers, not
    finite, or out of range); the caller skips it, logs and counts it."""


def hourly(amount: float, unit: str, hours_per_week: float) -> float:
    if unit == "hour":
        return float(amount)
    if unit == "day":
        return float(amount) / HOURS_PER_DAY
    if unit == "month":
        return float(amount) / (max(hours_per_week, LIMITS["hours_per_week"][0]) * WEEKS_PER_MONTH)
    raise Unscorable(f"unknown pay unit {unit!r}")


def _number(value, what: str, low: float = 0.0, high: float = float("inf"), low_open: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Unscorable(f"{what} is not a number: {value!r}") from None
    if not np.isfinite(number) or number < low or (low_open and number == low) or number > high:
        raise Unscorable(f"{what} out of range: {value!r}")
    return number


def _per_hour(amount: float, per: float) -> float:
    """amount / per (a pay, per hour) with a divisor that cannot be zero (or subnormal)."""
    return amount / max(per, PAY_PER_UNIT["hour"][0] / 1000)


def _experience_share(years: float, asked: float) -> float:
    return min(1.0, years / max(asked, EXPERIENCE_STEP_YEARS))


# --- features: the numbers matching needs, taken from the documents once ----------------------------


@dataclass
class SeekerFeatures:
    desired: tuple[str, ...]
    skills: frozenset[str]
    experience: dict[str, float]  # occupation -> years
    education: int
    types: int  # bits of HOURS_TYPES
    shifts: int  # bits of SHIFTS
    max_hours: float
    position: tuple[float, float]
    max_commute_km: float
    expected_hourly: float | None
    older_worker: bool
    needs_accessible: bool
    physical_limits: int = 0  # bits of PHYSICAL_DEMANDS the seeker cannot meet
    # per-occupation vectors over the vocabulary (filled by prepare)
    occupation_fit: dict[str, float] = field(default_factory=dict)
    experience_years: dict[str, float] = field(default_factory=dict)


@dataclass
class JobFeatures:
    occupation: str
    required: frozenset[str]
    optional: frozenset[str]
    type: int
    shifts: int
    hours_per_week: float
    position: tuple[float, float]
    pay_min_hourly: float
    pay_max_hourly: float
    pay_unit_label: str
    min_experience_years: float
    no_experience_needed: bool
    min_education: int
    age_friendly: bool
    accessible: bool
    open: bool
    openings_left: int
    physical_demands: int = 0  # bits of PHYSICAL_DEMANDS


def seeker_features(profile: dict, vocab: Vocabulary) -> SeekerFeatures:
    """From a seeker document's profile fields (see schemas.ProfileIn) and home location. Raises
    Unscorable for a profile whose numbers matching cannot use."""
    try:
        av = profile["availability"]
        pay = profile.get("expected_pay")
        max_hours = _number(av["max_hours_per_week"], "max_hours_per_week", low_open=True)
        f = SeekerFeatures(
            desired=tuple(profile["desired_occupations"]),
            skills=frozenset(profile.get("skills", [])),
            experience={
                e["occupation"]: _number(e["years"], "experience years")
                for e in profile.get("experience", [])
            },
            education=EDUCATION.index(profile.get("education") or "none"),
            types=_bits(av["hours_types"], HOURS_TYPES),
            shifts=_bits(av["shifts"], SHIFTS),
            max_hours=max_hours,
            position=vocab.position(profile["community"], profile.get("compound")),
            max_commute_km=_number(profile["max_commute_km"], "max_commute_km", low_open=True),
            expected_hourly=_number(
                hourly(_number(pay["amount"], "expected_pay.amount"), pay["unit"], max_hours),
                "expected pay per hour",
            )
            if pay
            else None,
            older_worker=profile.get("target_group") == "older_worker",
            needs_accessible=bool(profile.get("needs_accessible")),
            physical_limits=_bits(limits, PHYSICAL_DEMANDS)
            if (limits := profile.get("physical_limits"))
            else 0,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, Unscorable):
            raise
        raise Unscorable(f"profile field missing or malformed: {exc!r}") from None
    return prepare(f, vocab)


def prepare(f: SeekerFeatures, vocab: Vocabulary) -> SeekerFeatures:
    """Occupation fit and effective experience for every occupation of the vocabulary."""
    desired = set(f.desired)
    subs = {s for d in desired if d in vocab.occupations for s in vocab.occupations[d].substitutable}
    rel = {r for d in desired if d in vocab.occupations for r in vocab.occupations[d].related}
    for oid, occ in vocab.occupations.items():
        kind = (
            "desired"
            if oid in desired
            else "substitutable"
            if oid in subs
            else "related"
            if oid in rel
            else "other"
        )
        f.occupation_fit[oid] = OCCUPATION_FIT[kind]
        near = [f.experience.get(o, 0.0) for o in (*occ.substitutable, *occ.related)]
        f.experience_years[oid] = max([f.experience.get(oid, 0.0)] + [0.5 * y for y in near])
    return f


def job_features(job: dict, vocab: Vocabulary, now=None) -> JobFeatures:
    """From a job document. Raises Unscorable for a posting whose numbers matching cannot use."""
    try:
        hours = job["hours"]
        pay = job["pay"]
        hpw = _number(hours["hours_per_week"], "hours_per_week", low_open=True)
        openings_left = int(job["openings"]) - int(job.get("filled", 0))
        in_window = now is None or (
            (job.get("valid_from") is None or job["valid_from"] <= now)
            and (job.get("valid_until") is None or now < job["valid_until"])
        )
        return JobFeatures(
            occupation=job["occupation"],
            required=frozenset(job.get("required_skills", [])),
            optional=frozenset(job.get("optional_skills", [])),
            type=_bits([hours["type"]], HOURS_TYPES),
            shifts=_bits(hours["shifts"], SHIFTS),
            hours_per_week=hpw,
            position=vocab.position(job["community"], job.get("compound")),
            pay_min_hourly=hourly(_number(pay["min"], "pay.min"), pay["unit"], hpw),
            pay_max_hourly=hourly(_number(pay["max"], "pay.max"), pay["unit"], hpw),
            pay_unit_label=pay["unit"],
            min_experience_years=_number(job.get("min_experience_years") or 0, "min_experience_years"),
            no_experience_needed=bool(job.get("no_experience_needed")),
            min_education=EDUCATION.index(job.get("min_education") or "none"),
            age_friendly=bool(job.get("age_friendly")),
            accessible=bool(job.get("accessible")),
            open=job.get("status", "open") == "open" and openings_left > 0 and in_window,
            openings_left=max(0, openings_left),
            physical_demands=_bits(demands, PHYSICAL_DEMANDS)
            if (demands := job.get("physical_demands"))
            else 0,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, Unscorable):
            raise
        raise Unscorable(f"job field missing or malformed: {exc!r}") from None


# --- one pair, explained (also the pure-Python baseline) --------------------------------------------


@dataclass
class Reason:
    component: str
    weight: float
    value: float
    contribution: float
    detail: str


@dataclass
class Match:
    score: float
    eligible: bool
    reasons: list[Reason]  # sorted by contribution, largest first; contributions sum to score
    blocked_by: list[Reason]  # hard constraints that make the pair ineligible (value 0, weight 0)


def _names(ids, vocab_items) -> str:
    return "、".join(vocab_items[i].label_zh if i in vocab_items else i for i in sorted(ids)) or "无"


def explain(s: SeekerFeatures, j: JobFeatures, vocab: Vocabulary) -> Match:
    occ = vocab.occupations.get(j.occupation)
    occ_label = occ.label_zh if occ else j.occupation
    parts: list[tuple[str, float, str]] = []

    fit = s.occupation_fit.get(j.occupation, 0.0)
    kind = {1.0: "是求职意向", 0.8: "与求职意向可替代", 0.5: "与求职意向相关", 0.0: "与求职意向不符"}[fit]
    parts.append(("occupation", fit, f"岗位工种「{occ_label}」{kind}"))

    held_req, held_opt = j.required & s.skills, j.optional & s.skills
    req_cov = len(held_req) / len(j.required) if j.required else 1.0
    opt_cov = len(held_opt) / len(j.optional) if j.optional else 0.0
    if j.required:
        skills = 0.8 * req_cov + 0.2 * opt_cov if j.optional else req_cov
    else:
        skills = 0.5 + 0.5 * opt_cov if j.optional else 1.0
    missing = j.required - s.skills
    parts.append(
        (
            "skills",
            skills,
            f"具备要求技能 {len(held_req)}/{len(j.required)}（{_names(held_req, vocab.skills)}）"
            + (f"，缺少：{_names(missing, vocab.skills)}" if missing else "")
            + (f"；加分技能 {len(held_opt)}/{len(j.optional)}" if j.optional else ""),
        )
    )

    d = vocab.distance_km(s.position, j.position)
    commute = (
        1.0 if d <= NEAR_KM else max(0.0, 1.0 - (d - NEAR_KM) / max(s.max_commute_km - NEAR_KM, NEAR_KM))
    )
    parts.append(("commute", commute, f"通勤约 {d:.1f} 公里（可接受 {s.max_commute_km:g} 公里）"))

    job_shift_n = bin(j.shifts).count("1")
    common = j.shifts & s.shifts
    hours = bin(common).count("1") / job_shift_n if job_shift_n else 1.0
    parts.append(
        (
            "hours",
            hours,
            f"班次吻合 {bin(common).count('1')}/{job_shift_n}（"
            + "、".join(SHIFT_ZH[n] for i, n in enumerate(SHIFTS) if common >> i & 1)
            + f"），每周 {j.hours_per_week:g} 小时",
        )
    )

    if s.expected_hourly is None:
        pay, pay_text = 1.0, "未提薪资期望"
    else:
        e = s.expected_hourly
        pay = 1.0 if j.pay_min_hourly >= e else min(0.8, max(0.0, 1.6 * _per_hour(j.pay_max_hourly, e) - 0.8))
        pay_text = f"薪资折合 {j.pay_min_hourly:.1f}–{j.pay_max_hourly:.1f} 元/小时，期望 {e:.1f} 元/小时"
    parts.append(("pay", pay, pay_text))

    years = s.experience_years.get(j.occupation, 0.0)
    if j.no_experience_needed or j.min_experience_years <= 0:
        exp, exp_text = 1.0, "无需经验"
    else:
        exp = _experience_share(years, j.min_experience_years)
        exp_text = f"相关经验约 {years:g} 年，要求 {j.min_experience_years:g} 年"
    parts.append(("experience", exp, exp_text))

    if s.older_worker:
        parts.append(
            ("age_friendly", 1.0 if j.age_friendly else 0.0, "适老岗位" if j.age_friendly else "非适老岗位")
        )

    reasons = [Reason(c, WEIGHTS[c], v, WEIGHTS[c] * v, t) for c, v, t in parts]
    score = sum(r.contribution for r in reasons)
    reasons.sort(key=lambda r: (-r.contribution, r.component))

    blocked = []
    if not j.open:
        blocked.append(("job_closed", "岗位已关闭或已招满"))
    if d > s.max_commute_km:
        blocked.append(("too_far", f"通勤 {d:.1f} 公里超过可接受的 {s.max_commute_km:g} 公里"))
    if not j.type & s.types:
        blocked.append(("hours_type", "全职/兼职类型不符"))
    if not common:
        blocked.append(("no_common_shift", "没有可上的班次"))
    if j.hours_per_week > s.max_hours:
        blocked.append(("too_many_hours", f"每周 {j.hours_per_week:g} 小时超过可工作的 {s.max_hours:g} 小时"))
    if s.education < j.min_education:
        blocked.append(("education", "学历低于岗位要求"))
    if s.needs_accessible and not j.accessible:
        blocked.append(("not_accessible", "工作场所无障碍条件不足"))
    if s.physical_limits & j.physical_demands:
        blocked.append(("physical_demands", "岗位的体力要求超出求职者可承受的范围"))
    return Match(score, not blocked, reasons, [Reason(c, 0.0, 0.0, 0.0, t) for c, t in blocked])


# --- many pairs at once ------------------------------------------------------------------------------


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


# --- a job-fair round: stable matching with capacities --------------------------------------------------


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
