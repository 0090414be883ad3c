"""A seeded, generated population of seekers and jobs (Chinese-language data) for the matching
quality tests and the benchmark. Names, employers and titles are invented."""

from __future__ import annotations

import random

from civic146.reference import communities
from employment import matching, reference
from employment.jobs import domain as job_domain

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡"
    "贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
    "漕钱汤尹黎易常武乔贺赖龚文"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国建华志强淑珍凤兰海燕文博宇轩子涵欣怡"
)
SHOPS = [
    "便民超市",
    "家常菜馆",
    "快递驿站",
    "物业服务中心",
    "社区养老驿站",
    "连锁药店",
    "面馆",
    "洗衣店",
    "美发店",
    "汽修厂",
    "幼儿园",
    "家政服务公司",
    "保安服务公司",
    "物流仓库",
    "烘焙坊",
    "电商工作室",
    "水果店",
    "早餐店",
]
GROUPS = ["youth", "middle_aged", "older_worker", None]


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _place(rng: random.Random, vocab) -> tuple[str, str]:
    compound, community = rng.choice(_compounds(vocab))
    return community, compound


def _compounds(vocab) -> list[tuple[str, str]]:
    return [(k, c.id) for c in communities().values() for k in c.compounds if k in vocab.places]


def seeker(rng: random.Random, vocab, i: int) -> dict:
    occs = list(vocab.occupations)
    desired = rng.sample(occs, rng.choice((1, 1, 2)))
    typical = sorted({s for o in desired for s in vocab.occupations[o].typical_skills})
    skills = [s for s in typical if rng.random() < 0.7] + rng.sample(sorted(vocab.skills), rng.randint(0, 3))
    community, compound = _place(rng, vocab)
    types = rng.choice([["full_time"], ["part_time"], ["full_time", "part_time"]])
    group = rng.choice(GROUPS)
    profile = {
        "desired_occupations": desired,
        "skills": sorted(set(skills)),
        "experience": [
            {"occupation": o, "years": rng.choice((0, 1, 2, 3, 5, 8))} for o in desired if rng.random() < 0.6
        ],
        "education": rng.choice(matching.EDUCATION[:7]),
        "availability": {
            "hours_types": types,
            "shifts": sorted(rng.sample(matching.SHIFTS, rng.randint(1, 4)), key=matching.SHIFTS.index),
            "max_hours_per_week": 40 if "full_time" in types else rng.choice((15, 20, 25, 30)),
        },
        "max_commute_km": rng.choice((1, 2, 3, 5, 8)),
        "expected_pay": rng.choice(
            [
                None,
                {"amount": rng.randint(18, 35), "unit": "hour"},
                {"amount": rng.randint(30, 70) * 100, "unit": "month"},
            ]
        ),
        "target_group": group,
        "needs_accessible": rng.random() < 0.03,
    }
    return {
        "_id": f"seeker-{i:05d}",
        "status": "active",
        "community": community,
        "compound": compound,
        "person": {"name": person_name(rng), "phone": f"13{rng.randint(100000000, 999999999)}"},
        "profile": profile,
        "employment_difficulty": rng.random() < 0.05,
    }


def job_fields(rng: random.Random, vocab, occupation: str | None = None) -> dict:
    occupation = occupation or rng.choice(list(vocab.occupations))
    occ = vocab.occupations[occupation]
    community, compound = _place(rng, vocab)
    part = rng.random() < 0.45
    hpw = rng.choice((12, 16, 20, 24)) if part else 40
    required = sorted(rng.sample(occ.typical_skills, rng.randint(0, len(occ.typical_skills))))
    optional = sorted(set(rng.sample(sorted(vocab.skills), rng.randint(0, 2))) - set(required))
    hourly = rng.randint(18, 40)
    unit = "hour" if part else "month"
    low = hourly if part else round(hourly * 40 * matching.WEEKS_PER_MONTH, -2)
    return {
        "employer_name": vocab_compound_name(compound) + rng.choice(SHOPS),
        "contact_name": person_name(rng),
        "contact_phone": f"139{rng.randint(10000000, 99999999)}",
        "title": occ.label_zh + ("（兼职）" if part else ""),
        "description": None,
        "occupation": occupation,
        "required_skills": required,
        "optional_skills": optional,
        "hours_type": "part_time" if part else "full_time",
        "shifts": sorted(rng.sample(matching.SHIFTS, rng.randint(1, 3)), key=matching.SHIFTS.index),
        "hours_per_week": hpw,
        "community": community,
        "compound": compound,
        "pay_min": low,
        "pay_max": round(low * rng.choice((1.0, 1.1, 1.3)), 2),
        "pay_unit": unit,
        "openings": rng.choice((1, 1, 1, 2, 3)),
        "no_experience_needed": rng.random() < 0.4,
        "min_experience_years": rng.choice((0, 1, 2, 3)),
        "min_education": rng.choice(matching.EDUCATION[:6]),
        "age_friendly": rng.random() < 0.2,
        "accessible": rng.random() < 0.3,
        "valid_from": None,
        "valid_until": None,
    }


def vocab_compound_name(compound: str) -> str:
    for c in communities().values():
        if compound in c.compounds:
            return c.compounds[compound].replace("小区", "")
    return ""


def job(fields: dict, i: int) -> dict:
    return {"_id": f"job-{i:05d}", "status": "open", "filled": 0, **job_domain.job_values(fields)}


def population(n_seekers: int = 10_000, n_jobs: int = 10_000, seed: int = 146):
    rng = random.Random(seed)
    vocab = reference.load()
    seekers = [seeker(rng, vocab, i) for i in range(n_seekers)]
    jobs = [job(job_fields(rng, vocab), i) for i in range(n_jobs)]
    return vocab, seekers, jobs


def features(vocab, seekers: list[dict], jobs: list[dict]):
    s_f = [
        matching.seeker_features(
            {**s["profile"], "community": s["community"], "compound": s["compound"]}, vocab
        )
        for s in seekers
    ]
    j_f = [matching.job_features(j, vocab) for j in jobs]
    return s_f, j_f
