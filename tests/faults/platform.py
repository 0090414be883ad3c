"""The drills' private instance: infra.sh on ports of its own, and the four services as operators
run them (API under gunicorn, worker process: tests/processes.py), each a process it started and
can kill, stop, freeze and start again by pid."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pymongo

from civic146.auth import mint
from tests.helpers import ROOT, wait_until
from tests.processes import Proc, ServiceProcesses, stop_services

INFRA = ROOT / "deploy" / "local" / "infra.sh"
SERVICES = ("intake", "deliberation", "employment", "mediation")
SECRET = "faults-secret-not-for-production"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not Path(f"/proc/{pid}/stat").read_text().split(") ")[-1].startswith("Z")


@dataclass
class Infra:
    """Kafka and the document server of deploy/local/infra.sh, in a RUN_DIR of their own."""

    run_dir: Path
    kafka_port: int
    mongo_port: int
    brokers: int = 1
    env: dict = field(init=False)

    def __post_init__(self):
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "MONGO_")) and k != "RUN_DIR"
        }
        self.env.update(
            RUN_DIR=str(self.run_dir),
            KAFKA_PORT=str(self.kafka_port),
            KAFKA_BROKERS=str(self.brokers),
            # One node: its controller on the next port. A cluster: node I on KAFKA_PORT+I-1, the
            # controllers right after the brokers (infra.sh's default).
            **({"KAFKA_CONTROLLER_PORT": str(self.kafka_port + 1)} if self.brokers == 1 else {}),
            MONGO_PORT=str(self.mongo_port),
            MONGO_BACKEND="h2",  # the database drill kills it: what it keeps is under test too
            PYTHON=sys.executable,
        )

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.kafka_port + i}" for i in range(self.brokers))

    def leader(self, topic: str, partition: int) -> int:
        """The index of the cluster node leading the partition."""
        return int(self.run("leader", topic, str(partition)).strip())

    def node(self, index: int, action: str) -> None:
        self.run("node", str(index), action)

    @property
    def mongo_uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongo_port}/"

    def run(self, *args: str) -> str:
        done = subprocess.run([str(INFRA), *args], env=self.env, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"infra.sh {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def up(self) -> None:
        """Start what is not running (both at first; after a kill, only what was killed)."""
        self.run("up")

    def down(self) -> None:
        self.run("down", "--wipe")

    def pid(self, server: str) -> int:
        return int((self.run_dir / f"{server}.pid").read_text())

    def signal(self, server: str, sig: signal.Signals) -> int:
        pid = self.pid(server)
        os.kill(pid, sig)
        if sig in (signal.SIGKILL, signal.SIGTERM):
            wait_until(lambda: not alive(pid), timeout=60, message=f"{server} (pid {pid}) gone")
        return pid

    def db(self) -> pymongo.MongoClient:
        return pymongo.MongoClient(self.mongo_uri, serverSelectionTimeoutMS=2000, socketTimeoutMS=5000)


class Platform:
    """The infra and the four services; tokens for the numbered work."""

    def __init__(self, run_dir: Path, kafka_port: int, mongo_port: int, brokers: int = 1):
        run_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir = run_dir
        self.infra = Infra(run_dir / "infra", kafka_port, mongo_port, brokers)
        env = {
            "KAFKA_BOOTSTRAP": self.infra.bootstrap,
            "MONGODB_URI": self.infra.mongo_uri,
            "JWT_SECRET": SECRET,
            "LOG_LEVEL": "WARNING",
            "THROTTLE_ENABLED": "false",  # the load comes from one address
        }
        # a machine busy with the drills' load starts a process slowly
        self.services = {name: ServiceProcesses(name, env, run_dir, ready_timeout=90) for name in SERVICES}
        self.resident = {
            "Authorization": "Bearer " + mint(SECRET, "faults-resident", ["resident"], ttl_seconds=43200)
        }
        self.staff = {
            "Authorization": "Bearer "
            + mint(SECRET, "faults-staff", ["community_staff"], ["huifeng", "ruyijie"], ttl_seconds=43200)
        }

    def start(self) -> None:
        started = time.monotonic()
        self.infra.up()
        # the workers first: each creates its topics before its API takes work
        workers = {svc: svc.add_worker() for svc in self.services.values()}
        for svc, worker in workers.items():
            svc.wait_worker(worker)
        for svc in self.services.values():
            svc.start_api()
        self.started_in = time.monotonic() - started

    def workers(self) -> list[Proc]:
        return [w for svc in self.services.values() for w in svc.workers]

    def stop(self) -> None:
        stop_services(self.services.values())
        self.infra.down()
