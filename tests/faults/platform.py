"""The drills' private instance: infra.sh on ports of its own, and the four services as operators
run them (API under gunicorn, worker process), each a process this module started and can kill,
stop, freeze and start again by pid."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pymongo
import requests

from civic146.auth import mint
from tests.helpers import ROOT, free_port, spawn, wait_until

INFRA = ROOT / "deploy" / "local" / "infra.sh"
BIN = Path(sys.executable).parent
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


@dataclass
class Proc:
    """One process of a service: its command, environment and log; started again at will."""

    args: list[str]
    env: dict
    log: Path
    popen: subprocess.Popen | None = None

    def start(self) -> None:
        self.popen = spawn(self.args, self.env, self.log)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """The whole process group (gunicorn's master and its workers, a worker and its threads)."""
        if self.running():
            os.killpg(self.popen.pid, sig)
            self.popen.wait(30)

    def stop(self) -> None:
        if self.running():
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Service:
    name: str
    env: dict
    run_dir: Path
    api_port: int = field(default_factory=free_port)
    api: Proc = field(init=False)
    workers: list[Proc] = field(default_factory=list)

    def __post_init__(self):
        self.api = Proc(
            [str(BIN / "gunicorn"), "-c", "python:civic146.gunicorn_conf", f"{self.name}.api:create_app()"],
            {
                **self.env,
                "GUNICORN_BIND": f"127.0.0.1:{self.api_port}",
                "GUNICORN_WORKERS": "2",
                "API_METRICS_PORT": str(free_port()),
                "PROMETHEUS_MULTIPROC_DIR": str(self.run_dir / f"{self.name}-prom"),
            },
            self.run_dir / f"{self.name}-api.log",
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def add_worker(self) -> Proc:
        proc = Proc(
            [sys.executable, "-m", f"{self.name}.worker"],
            {**self.env, "WORKER_METRICS_PORT": str(free_port())},
            self.run_dir / f"{self.name}-worker-{len(self.workers)}.log",
        )
        self.workers.append(proc)
        proc.start()
        return proc

    def start_api(self) -> None:
        (self.run_dir / f"{self.name}-prom").mkdir(exist_ok=True)
        self.api.start()
        wait_until(self.ready, timeout=90, message=f"{self.name} API ready (log {self.api.log})")

    def ready(self) -> bool:
        if not self.api.running():
            raise RuntimeError(f"{self.name} API exited: {self.api.log.read_text()[-2000:]}")
        try:
            return requests.get(f"{self.url}/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def gunicorn_workers(self) -> list[int]:
        """The master's children (its worker processes), from /proc."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(") ", 1)[1].split()
            except (OSError, IndexError):  # gone meanwhile
                continue
            if int(fields[1]) == self.api.pid:
                children.append(int(stat.parent.name))
        return children

    def stop(self) -> None:
        for proc in [self.api, *self.workers]:
            proc.stop()


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
            "PYTHONPATH": str(ROOT / "services"),
            "THROTTLE_ENABLED": "false",  # the load comes from one address
        }
        self.services = {name: Service(name, env, run_dir) for name in SERVICES}
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
        for svc in self.services.values():
            svc.add_worker()  # creates its topics before the API takes work
        for svc in self.services.values():
            svc.start_api()
        self.started_in = time.monotonic() - started

    def workers(self) -> list[Proc]:
        return [w for svc in self.services.values() for w in svc.workers]

    def stop(self) -> None:
        for svc in self.services.values():
            svc.stop()
        self.infra.down()
