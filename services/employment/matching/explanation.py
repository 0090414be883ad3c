"""One pair, explained: the score's components as reasons (their contributions add up to the score)
and the hard constraints that block the pair. The straightforward per-pair computation, also the
benchmark's pure-Python baseline."""

from __future__ import annotations

from dataclasses import dataclass

from ..reference import Vocabulary
from .features import (
    NEAR_KM,
    SHIFT_ZH,
    SHIFTS,
    WEIGHTS,
    JobFeatures,
    SeekerFeatures,
    _experience_share,
    _per_hour,
)


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
