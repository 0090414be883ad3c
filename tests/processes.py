"""The one way tests and tools start and stop service processes.

The system, browser, ops, security, bench and fault layers all run the services as operators do:
the API under gunicorn (`<service>.api:create_app()`, `civic146.gunicorn_conf`) and the worker
(`python -m <service>.worker`), each with metrics on a port of its own. They used to do it with a
copy each of the same few dozen lines, and the copies drifted (readiness rules, time-outs, stop
order, port choice). Everything about such a process lives here instead:

- `spawn`: the only `subprocess.Popen` of a service (or helper server) process: in a session of
  its own (so its whole process group can be signalled: gunicorn's master and workers), output to
  a log file, the test run's environment minus its PROMETHEUS_* variables;
- `Proc`: one such process, started (and started again) at will, stopped by pid: SIGTERM to the
  process group, SIGKILL after a grace; never by name, since other runs share the machine;
- `wait_ready`: the one readiness rule. An API is ready when `/readyz` answers 200, a worker when
  its metrics port answers (and, for callers that need it, when its relay holds the service's
  lease). A process that exits while it is awaited fails at once, with its log's tail;
- `ServiceProcesses`: one service's API and workers, their ports, URLs and environment;
- `stop_all`: SIGTERM to every process first, then one wait for all of them, so a test's teardown
  takes as long as its slowest process, not the sum of them;
- `free_port`: ports for servers under test.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STOP_GRACE = 20.0  # seconds between SIGTERM and SIGKILL
LOG_TAIL = 3000  # characters of a log quoted in a failure

# --- ports -----------------------------------------------------------------------------------------

# Below the kernel's ephemeral range (ip_local_port_range, 32768-60999 by default): a port from
# inside it can be taken by any outgoing connection (Kafka and MongoDB clients open many) between
# the moment it is handed out and the moment the server under test binds it.
TEST_PORTS = range(20000, 32000)
XDIST_SLICES = 16  # slices of TEST_PORTS when the number of xdist workers is not known
_HANDED_OUT: set[int] = set()


def port_range() -> range:
    """The ports this process may hand out: all of TEST_PORTS, or under pytest-xdist the slice of
    worker gwN (one slice per worker, so two test processes never pick the same port)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.removeprefix("gw").isdigit():
        return TEST_PORTS
    index = int(worker.removeprefix("gw"))
    slices = max(int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or XDIST_SLICES), index + 1)
    size = len(TEST_PORTS) // slices
    start = TEST_PORTS.start + index * size
    return range(start, start + size)


def free_port() -> int:
    """A port nobody listens on now, outside the ephemeral range and never the same twice in this
    process (a test asks for all its servers' ports before any of them binds)."""
    ports = port_range()
    while True:
        port = random.choice(ports)
        if port in _HANDED_OUT:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:  # in use
                continue
        _HANDED_OUT.add(port)
        return port


# --- one process -----------------------------------------------------------------------------------


class NotReady(AssertionError):
    """A process exited while it was awaited, or did not become ready in time (its log's tail is
    in the message)."""


def spawn(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """Start `args` in a session of its own, from the repository's root, output appended to
    `log_path`, with the test run's environment (minus PROMETHEUS_*) updated by `env`."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PROMETHEUS_")}
    full_env.update(env)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            args, env=full_env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
        )


class Proc:
    """One process: its command, environment and log; started, and started again, at will."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path, port: int = 0):
        self.name, self.args, self.env, self.log, self.port = name, args, env, log, port
        self.popen: subprocess.Popen | None = None

    def __repr__(self) -> str:
        state = f"pid {self.popen.pid}" if self.running() else "not running"
        return f"<Proc {self.name} {state}>"

    def start(self) -> Proc:
        self.popen = spawn(self.args, self.env, self.log)
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None, f"{self.name} was never started"
        return self.popen.pid

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def kill(self, sig: signal.Signals = signal.SIGKILL, wait: float = 30) -> None:
        """`sig` to the whole process group (gunicorn's master and its workers, a worker and its
        threads); after SIGKILL or SIGTERM, waits for the process to exit."""
        if self.running():
            os.killpg(self.popen.pid, sig)
            if sig in (signal.SIGKILL, signal.SIGTERM):
                self.popen.wait(wait)

    def terminate(self) -> None:
        """SIGTERM to the process group, without waiting (the first half of `stop`)."""
        if self.running():
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
            except ProcessLookupError:  # exited meanwhile
                pass

    def wait_stopped(self, deadline: float) -> None:
        """Wait until time.monotonic() reaches `deadline` for the process to exit, then SIGKILL."""
        if self.popen is None:
            return
        try:
            self.popen.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL, wait=10)

    def stop(self, grace: float = STOP_GRACE) -> None:
        stop_all([self], grace)

    def tail(self, chars: int = LOG_TAIL) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def log_size(self) -> int:
        try:
            return self.log.stat().st_size
        except OSError:
            return 0

    def log_since(self, offset: int) -> str:
        with open(self.log, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")


def stop_all(procs: Iterable[Proc | None], grace: float = STOP_GRACE) -> None:
    """Stop every process: SIGTERM to all of them first, then wait for all (SIGKILL to those still
    running `grace` seconds after the SIGTERM)."""
    running = [p for p in procs if p is not None and p.running()]
    for proc in running:
        proc.terminate()
    deadline = time.monotonic() + grace
    for proc in running:
        proc.wait_stopped(deadline)


def wait_ready(proc: Proc, url: str, timeout: float = 60, then: Callable[[], bool] | None = None) -> None:
    """Poll `url` until it answers 200, then `then()` (if given) until it is true. Anything short of
    an answer (refused, reset, or a read time-out while the app is still importing) means "not
    ready yet"; the process exiting, or the deadline passing (the process is stopped then), fails
    with NotReady and the log's tail."""
    import requests

    deadline = time.monotonic() + timeout
    answered = False
    while time.monotonic() < deadline:
        if not proc.running():
            raise NotReady(f"{proc.name} exited with {proc.returncode} (log {proc.log}):\n{proc.tail()}")
        if not answered:
            try:
                answered = requests.get(url, timeout=2).status_code == 200
            except requests.RequestException:
                pass
        if answered and (then is None or then()):
            return
        time.sleep(0.2)
    proc.stop()
    raise NotReady(f"{proc.name} at {url} not ready after {timeout:.0f} s (log {proc.log}):\n{proc.tail()}")


def relay_lease_held(client, database: str) -> Callable[[], bool]:
    """True once some worker's relay holds the service's lease in `database` (a pymongo client's):
    before that, nothing the service commits would be published."""

    def held() -> bool:
        lease = client[database]["relay_lease"]
        return lease.find_one({"_id": "relay", "until": {"$gt": datetime.now(UTC)}}) is not None

    return held


# --- one service -----------------------------------------------------------------------------------


class ServiceProcesses:
    """One service as operators run it: its API under gunicorn and its worker processes, with the
    environment `env` (MONGODB_*, KAFKA_BOOTSTRAP, TOPIC_PREFIX, JWT_SECRET, ...), logs and the
    API's multiprocess metrics directory in `run_dir`. Ports are chosen when it is made, so they
    are known (for Prometheus's targets, say) before anything starts."""

    def __init__(
        self,
        name: str,
        env: dict[str, str],
        run_dir: Path,
        api_port: int | None = None,
        api_metrics_port: int | None = None,
        metrics_port: int | None = None,
        ready_timeout: float = 60,
    ):
        self.name = name
        self.ready_timeout = ready_timeout  # seconds a start may take before it fails
        self.env = {"PYTHONPATH": f"{ROOT / 'services'}{os.pathsep}{ROOT}", **env}
        self.run_dir = run_dir
        self.api_port = api_port or free_port()
        self.api_metrics_port = api_metrics_port or free_port()
        self.metrics_port = metrics_port or free_port()  # the first worker's; more workers get others
        self.api: Proc | None = None
        self.workers: list[Proc] = []

    def __repr__(self) -> str:
        return f"<ServiceProcesses {self.name} api {self.api} workers {self.workers}>"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def api_metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.api_metrics_port}/metrics"

    @property
    def worker_metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    @property
    def prom_dir(self) -> Path:
        """PROMETHEUS_MULTIPROC_DIR of the API's gunicorn workers."""
        return self.run_dir / f"{self.name}-prom"

    @property
    def worker(self) -> Proc | None:
        """The worker started last."""
        return self.workers[-1] if self.workers else None

    def start_api(
        self, workers: int | None = 2, app: str | None = None, timeout: float | None = None, **extra_env: str
    ) -> Proc:
        """The API under gunicorn (`app`, by default `<name>.api:create_app()`) with `workers`
        gunicorn workers (None: GUNICORN_WORKERS of the environment, else gunicorn_conf's
        default); returns once /readyz answers 200. Stops an API of this service still running."""
        if self.api is not None:
            self.api.stop()
        env = {
            **self.env,
            "GUNICORN_BIND": f"127.0.0.1:{self.api_port}",
            "API_METRICS_PORT": str(self.api_metrics_port),
            "PROMETHEUS_MULTIPROC_DIR": str(self.prom_dir),
            **({"GUNICORN_WORKERS": str(workers)} if workers is not None else {}),
            **extra_env,
        }
        args = [
            str(BIN / "gunicorn"),
            "-c",
            "python:civic146.gunicorn_conf",
            app or f"{self.name}.api:create_app()",
        ]
        self.api = Proc(f"{self.name} API", args, env, self.run_dir / f"{self.name}-api.log", self.api_port)
        self.api.start()
        wait_ready(self.api, f"{self.url}/readyz", timeout or self.ready_timeout)
        return self.api

    def add_worker(self, **extra_env: str) -> Proc:
        """Start one more worker process, without waiting for it. It serves its metrics on the
        service's worker metrics port unless a running worker already does (then on a port of its
        own)."""
        taken = any(w.running() and w.port == self.metrics_port for w in self.workers)
        port = free_port() if taken else self.metrics_port
        env = {**self.env, "WORKER_METRICS_PORT": str(port), **extra_env}
        log = self.run_dir / (f"{self.name}-worker.log" if not taken else f"{self.name}-worker-{port}.log")
        proc = Proc(f"{self.name} worker", [sys.executable, "-m", f"{self.name}.worker"], env, log, port)
        self.workers.append(proc.start())
        return proc

    def wait_worker(self, proc: Proc, lease: bool = False, timeout: float | None = None) -> Proc:
        """Until the worker's metrics port answers and, with `lease`, a relay holds the lease."""
        url = f"http://127.0.0.1:{proc.port}/metrics"
        timeout = timeout or self.ready_timeout
        if not lease:
            wait_ready(proc, url, timeout)
            return proc
        import pymongo

        with pymongo.MongoClient(
            self.env["MONGODB_URI"], tz_aware=True, serverSelectionTimeoutMS=5000
        ) as client:
            wait_ready(proc, url, timeout, then=relay_lease_held(client, self.env["MONGODB_DB"]))
        return proc

    def start_worker(self, lease: bool = False, timeout: float | None = None, **extra_env: str) -> Proc:
        """A worker, returned once it is ready (`wait_worker`)."""
        return self.wait_worker(self.add_worker(**extra_env), lease, timeout)

    def kill_worker(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """`sig` to the worker started last."""
        self.worker.kill(sig)

    def gunicorn_workers(self) -> list[int]:
        """The pids of the API master's children (its worker processes), from /proc."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(") ", 1)[1].split()
            except (OSError, IndexError):  # gone meanwhile
                continue
            if self.api is not None and int(fields[1]) == self.api.pid:
                children.append(int(stat.parent.name))
        return children

    def processes(self) -> list[Proc]:
        return [p for p in (self.api, *self.workers) if p is not None]

    def stop(self) -> None:
        stop_all(self.processes())


def stop_services(services: Iterable[ServiceProcesses]) -> None:
    """Every process of every service, stopped together (`stop_all`)."""
    stop_all(p for svc in services for p in svc.processes())
