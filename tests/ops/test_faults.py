"""The short subset of the fault drills (`make faults` runs them all): poison on every consumed
topic with a replay of dead letters, and a worker killed under load.
On a private instance of its own (ports and directory below), beside the test session's servers."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.faults.drills import SHORT
from tests.helpers import ROOT

pytestmark = pytest.mark.infra


def test_the_short_fault_drills_pass(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "tests.faults", "--short"],
        cwd=ROOT,
        env={
            **{k: v for k, v in __import__("os").environ.items() if not k.startswith("PROMETHEUS_")},
            "FAULTS_KAFKA_PORT": "31700",
            "FAULTS_MONGO_PORT": "31717",
            "FAULTS_RUN_DIR": str(tmp_path / "faults"),
        },
        capture_output=True,
        text=True,
        timeout=900,
    )
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and lines and lines[-1].startswith(f"{len(SHORT)} passed, 0 failed"), (
        done.stdout + done.stderr[-3000:]
    )
