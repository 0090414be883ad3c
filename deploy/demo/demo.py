"""`make demo`: the bulletin's stories (上街信息 第84期, 2023-12-08) loaded into a running `make dev`,
through the public APIs only, so that a newcomer sees a populated platform. Idempotent: a story
already loaded is left as it is, a story an earlier run left half-way is carried on from its current
step, and a rerun adds nothing.

    make demo                       # after make dev
    SERVICE_PORT_OFFSET=1000 make demo   # a `make dev` started with the same offset

Loaded (deliberation, with their real dates: stories_deliberation.py): the road north of 乐福国际小区
(民主议: talks over two months, 230 m / 12 / 1 / 22), the 如意街 water pipes (民主决: two residents'
votes counted on paper), 江南小镇's health station with a CPPCC member's claim and a deputy's two-way
evaluation, and the bulletin's past matters (past-matters.json).
Employment (精准促就业, stories_employment.py): a young person, a middle-aged person and an older
person, each on their group's support pathway and hired for a local job (a trial place with an
enterprise; a supermarket job pushed to her mini-program the moment it was posted; a morning shift
at 颐苑社区's 便民维修铺子).
Mediation (多元解纠纷, stories_mediation.py): a neighbour dispute mediated to an agreement whose terms
are fulfilled, and a property-fee dispute escalated to deliberation, which takes it up as a topic.
The employment and mediation APIs record when they are told, so those stories carry the day of the
run. The employment and mediation services' workers (and deliberation's, for the escalation) do part
of the work: `make dev` runs them.
"""

from __future__ import annotations

import sys

import stories_deliberation as deliberation
import stories_employment as employment
import stories_mediation as mediation
from demo_api import ADMIN, DELIBERATION, EMPLOYMENT, MEDIATION, ready, retried


def main() -> int:
    down = [
        why
        for why in (
            ready("deliberation", DELIBERATION),
            ready("employment", EMPLOYMENT),
            ready("mediation", MEDIATION),
        )
        if why
    ]
    if down:
        print("demo: " + "; ".join(down) + "; run `make dev` first", file=sys.stderr)
        return 1
    print("Loading the bulletin's stories (上街信息 第84期, 2023-12-08)")
    print(f"deliberation, {DELIBERATION}:")
    for name, story in (
        ("road north of 乐福国际小区", deliberation.ROAD),
        ("如意街 water pipes", deliberation.WATER),
        ("江南小镇 health station", deliberation.HEALTH),
    ):
        topic_id, done = deliberation.load(story)
        print(f"  {name}: {done}  {DELIBERATION}/v1/topics/{topic_id}")
    past = deliberation.import_past_matters()
    print(f"  past matters: {past['imported']} imported, {past['already_imported']} already there")

    print(f"employment (精准促就业), {EMPLOYMENT}:")
    for story in employment.STORIES:
        told = retried(employment.load, story)
        s, j = story["seeker"], told["job"]
        pushed = ", pushed to the mini-program" if told["pushed"] else ""
        print(
            f"  {story['label']} ({s['person']['name']}, {s['community']}): {told['done']}\n"
            f"    pathway {told['pathway']}; {j['title']} at {j['employer_name']}{pushed}: {told['stage']}\n"
            f"    {EMPLOYMENT}/v1/seekers/{told['seeker_id']}/support"
        )

    print(f"mediation (多元解纠纷), {MEDIATION}:")
    for story in mediation.STORIES:
        told = retried(mediation.load, story)
        print(f"  {story['label']}: {told['done']}, {told['status']}  {MEDIATION}/v1/cases/{told['case_id']}")
        if told["status"] == "escalated":
            topic = (
                f"{DELIBERATION}/v1/topics/{told['topic_id']}"
                if told["topic_id"]
                else "not taken up yet (is deliberation's worker running?)"
            )
            print(f"    deliberation topic: {topic}")

    print()
    print("Where to look:")
    print(f"  notice board:   {DELIBERATION}/board/  (the colour map and every community; ?lang=en)")
    for community in ("huifeng", "ruyijie", "jiangnan-xiaozhen"):
        print(f"                  {DELIBERATION}/board/communities/{community}")
    for community in ("huifeng", "ruyijie", "jiangnan-xiaozhen"):
        print(f"  public results: {DELIBERATION}/v1/public/communities/{community}/results")
    print(f"  statistics:     {DELIBERATION}/v1/statistics, {EMPLOYMENT}/v1/statistics,")
    print(f"                  {MEDIATION}/v1/statistics (admin token below)")
    year = "since=2023-01-01T00:00:00%2B08:00&until=2024-01-01T00:00:00%2B08:00"
    print(f"  evaluations:    {DELIBERATION}/v1/evaluations/summary?{year}")
    print(f"  local jobs:     {EMPLOYMENT}/v1/resources")
    print(f"  admin token (1 h): {ADMIN['Authorization']}")
    print()
    print(
        "Names: the deliberation stories, 乐福国际小区, 溪畔美域, 颐园美丽园, 中央名邸, 汇丰社区居民议事亭,\n"
        "颐苑社区's 便民维修铺子 and the figures of the road come from the bulletin; every date,\n"
        "minute, voter, the counts of the votes, deputy-01 and cppcc-01 (and every registry entry\n"
        "marked demo) are invented, and so are the seekers (周小航, 吴桂芳, 郑长林), the other\n"
        "employers, every job and contact, the parties of the disputes (黄秀梅, 高建国, 林志强,\n"
        "汇丰宜居物业服务有限公司), their facts and terms, and the roster's mediators (钱和睦, 王律师)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
