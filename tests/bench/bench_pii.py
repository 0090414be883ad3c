"""Time to scrub one 2,000-character free text (civic146.pii.scrub_text), the work every event
with text does on the write path, beside a baseline measured in the same run: the scrub as it
was before names were masked by digest and numbers recognised in full width and in groups
(two regular expressions and a replace per raw name).

    python tests/bench/bench_pii.py
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for _path in (ROOT, ROOT / "services"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from civic146 import pii  # noqa: E402

_OLD_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
_OLD_ID = re.compile(r"(?<![\dXx])\d{17}[\dXx](?![\dXx])")


def old_scrub(text: str, names: tuple[str, ...] = ()) -> str:
    text = _OLD_ID.sub(lambda m: pii.mask_id_number(m.group(0).upper()), text)
    text = _OLD_MOBILE.sub(lambda m: pii.mask_phone("".join(m.groups())), text)
    for name in sorted({n for n in names if n and len(n) >= 2}, key=len, reverse=True):
        text = text.replace(name, pii.mask_name(name))
    return text


SENTENCE = (
    "乐福国际小区北侧道路因强降雨损毁，坑洼严重，老人出行不便，单元口台阶也坏了，"
    "王建国和李秀兰多次反映，联系电话１３９１２３４０００１，身份证110105 19491231 002X。"
)
TEXT = (SENTENCE * (2000 // len(SENTENCE) + 1))[:2000]
NAMES = ("王建国", "李秀兰")
KEY = pii.name_key("bench-secret")
# A topic with a dozen linked requests: the digests of a dozen names.
DIGESTS = pii.known_by_digest(
    KEY, pii.name_digests(KEY, ["王建国", "李秀兰", *(f"居民{i:02d}" for i in range(10))])
)


def per_text_ms(fn, rounds: int = 7, repeat: int = 50) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        times.append((time.perf_counter() - start) / repeat * 1000)
    return statistics.median(times)


def main() -> None:
    cases = [
        ("baseline: the old scrub, numbers + 2 raw names", lambda: old_scrub(TEXT, NAMES)),
        ("scrub_text, numbers only", lambda: pii.scrub_text(TEXT)),
        (
            "scrub_text, numbers + 2 raw names (intake, mediation, employment)",
            lambda: pii.scrub_text(TEXT, NAMES),
        ),
        (
            "scrub_text, numbers + 12 names by digest (deliberation)",
            lambda: pii.scrub_text(TEXT, digests=DIGESTS),
        ),
    ]
    print(f"scrub of one {len(TEXT)}-character text (median of 7 rounds of 50), ms per text")
    for label, fn in cases:
        print(f"  {per_text_ms(fn):7.3f}  {label}")


if __name__ == "__main__":
    main()
