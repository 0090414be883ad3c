"""`make dev`'s data survives `make dev-down` then `make dev`.

The data of a local run lives only in the document server, so these tests drive
deploy/local/infra.sh exactly as the Makefile does (`up`, then `down`, which is what `make dev-down`
does for the infrastructure), each in a RUN_DIR and on ports of its own, beside the servers of the
test session. The dev default (H2) must give back every acknowledged document, including those
written just before the stop; the memory backend of `make test` must forget them, or the first test
would prove nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pymongo
import pytest

from tests.helpers import ROOT, free_port, wait_until

pytestmark = pytest.mark.infra

INFRA = ROOT / "deploy" / "local" / "infra.sh"


class LocalInfra:
    """One infra.sh instance: its own RUN_DIR and ports, no topics (the broker is not under test)."""

    def __init__(self, run_dir, **env: str):
        self.run_dir = run_dir
        ports: set[int] = set()
        while len(ports) < 3:  # infra.sh refuses two servers on one port
            ports.add(free_port())
        kafka_port, controller_port, self.mongo_port = ports
        # Knobs from the caller's shell would change what is under test (MONGO_BACKEND above all).
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "MONGO_")) and k != "RUN_DIR"
        }
        self.env.update(
            RUN_DIR=str(run_dir),
            KAFKA_PORT=str(kafka_port),
            KAFKA_CONTROLLER_PORT=str(controller_port),
            MONGO_PORT=str(self.mongo_port),
            KAFKA_TOPICS="",
            PYTHON=sys.executable,
            # A narrow terminal's width (pytest-xdist's workers have it too): ps cut the command lines
            # to it, infra.sh no longer found its servers' tags and took its own Kafka for a stranger.
            COLUMNS="80",
            **env,
        )

    def run(self, *args: str) -> str:
        done = subprocess.run([str(INFRA), *args], env=self.env, capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, (
            f"infra.sh {' '.join(args)} failed:\n{done.stdout}{done.stderr}{self.log_tail()}"
        )
        return done.stdout

    def log_tail(self) -> str:
        log = self.run_dir / "mongo" / "mongo.log"
        return f"\n--- {log}:\n" + "\n".join(log.read_text().splitlines()[-30:]) if log.exists() else ""

    def client(self) -> pymongo.MongoClient:
        return pymongo.MongoClient(
            "127.0.0.1", self.mongo_port, directConnection=True, serverSelectionTimeoutMS=5000
        )


@pytest.fixture
def local_infra(tmp_path):
    started = []

    def make(name: str, **env: str) -> LocalInfra:
        infra = LocalInfra(tmp_path / name, **env)
        started.append(infra)
        return infra

    yield make
    for infra in started:  # stops both servers by their pid files, even after a failed assertion
        if infra.run_dir.exists():
            subprocess.run([str(INFRA), "down"], env=infra.env, capture_output=True, timeout=120)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def write_documents(infra: LocalInfra) -> dict[str, list[dict]]:
    """Documents in two databases; the last writes are acknowledged just before `down`."""
    with infra.client() as client:
        intake, mediation = client["civic146_intake"]["requests"], client["civic146_mediation"]["cases"]
        intake.insert_many([{"_id": f"req-{i}", "version": 1, "outbox": [{"n": i}]} for i in range(500)])
        for i in range(0, 500, 5):
            intake.update_one({"_id": f"req-{i}"}, {"$inc": {"version": 1}, "$set": {"outbox": []}})
        for i in range(50):
            mediation.insert_one({"_id": f"case-{i}", "parties": ["a", "b"]})
        return {"intake": list(intake.find().sort("_id")), "mediation": list(mediation.find().sort("_id"))}


def read_documents(infra: LocalInfra) -> dict[str, list[dict]]:
    with infra.client() as client:
        return {
            "intake": list(client["civic146_intake"]["requests"].find().sort("_id")),
            "mediation": list(client["civic146_mediation"]["cases"].find().sort("_id")),
        }


def test_dev_data_survives_down_and_up(local_infra):
    dev = local_infra("dev")  # no MONGO_BACKEND: what `make dev` gets
    assert "mongo ready (h2)" in dev.run("up")
    written = write_documents(dev)
    dev.run("down")
    assert not (dev.run_dir / "mongo.pid").exists()

    dev.run("up")
    found = read_documents(dev)
    assert len(found["intake"]) == 500 and len(found["mediation"]) == 50, dev.log_tail()
    assert found == written


def test_memory_backend_forgets_on_down(local_infra):
    test = local_infra("test", MONGO_BACKEND="memory")
    assert "mongo ready (memory)" in test.run("up")
    write_documents(test)
    test.run("down")

    del test.env["MONGO_BACKEND"]  # a RUN_DIR remembers its backend, like its ports
    assert "mongo ready (memory)" in test.run("up")
    assert read_documents(test) == {"intake": [], "mediation": []}


def test_dev_data_acknowledged_just_before_a_kill_survives_it(local_infra):
    """kill -9 of the document server right after the last acknowledgement: every write was
    committed to the H2 file before it was acknowledged (H2 alone commits about once a second)."""
    dev = local_infra("killed")
    dev.run("up")
    written = write_documents(dev)
    pid = int((dev.run_dir / "mongo.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not process_alive(pid), timeout=10, message="document server killed")

    dev.run("up")
    assert read_documents(dev) == written, dev.log_tail()
