"""python -m tests.faults [drill ...] [--short]: start the private instance, run the drills (all,
the named ones, or the short subset of `make test`), print one line per drill and `N passed, M
failed`; exit 1 if any failed. FAULTS_KAFKA_PORT (and the next port, its controller),
FAULTS_MONGO_PORT and FAULTS_RUN_DIR choose its ports and its directory."""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

from tests.helpers import ROOT

from .drills import DRILLS, SHORT
from .platform import Platform


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults")
    parser.add_argument("drills", nargs="*", help=f"default: every drill ({', '.join(DRILLS)})")
    parser.add_argument("--short", action="store_true", help=f"the subset make test runs: {', '.join(SHORT)}")
    args = parser.parse_args(argv)
    names = SHORT if args.short else (args.drills or list(DRILLS))
    unknown = [n for n in names if n not in DRILLS]
    if unknown:
        parser.error(f"no drill {', '.join(unknown)}; drills: {', '.join(DRILLS)}")
    platform = Platform(
        Path(os.environ.get("FAULTS_RUN_DIR", ROOT / ".run" / "faults")),
        int(os.environ.get("FAULTS_KAFKA_PORT", "31600")),
        int(os.environ.get("FAULTS_MONGO_PORT", "31617")),
    )
    started = time.monotonic()
    results = []
    try:
        platform.start()
        print(f"private instance up in {platform.started_in:.1f} s (logs in {platform.run_dir})", flush=True)
        for name in names:
            try:
                result = DRILLS[name](platform)
            except Exception as exc:  # a drill that breaks is a failed drill, and the others still run
                from .drills import Result

                where = traceback.extract_tb(exc.__traceback__)[-1]
                result = Result(
                    name, failures=[f"{type(exc).__name__}: {exc} ({where.filename}:{where.lineno})"]
                )
            results.append(result)
            print(result.line(), flush=True)
    finally:
        platform.stop()
    failed = sum(not r.passed for r in results)
    print(f"{len(results) - failed} passed, {failed} failed in {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
