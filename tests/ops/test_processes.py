"""tests/processes.py on its own: ports per xdist worker, stopping several processes at once, and
the readiness rule failing with the log of a process that exits."""

from __future__ import annotations

import sys
import time

import pytest

from tests import processes
from tests.processes import TEST_PORTS, NotReady, Proc, free_port, port_range, stop_all


def test_each_xdist_worker_hands_out_ports_from_a_slice_of_its_own(monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert port_range() == TEST_PORTS
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "3")
    slices = []
    for n in range(3):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", f"gw{n}")
        slices.append(set(port_range()))
        assert slices[-1] <= set(TEST_PORTS) and len(slices[-1]) >= 1000
        assert free_port() in slices[-1]
    assert not (slices[0] & slices[1] or slices[1] & slices[2] or slices[0] & slices[2])
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    assert set(port_range()) <= set(TEST_PORTS) and not set(port_range()) & set(
        range(TEST_PORTS.start, TEST_PORTS.start + len(TEST_PORTS) // processes.XDIST_SLICES)
    )


def test_processes_that_ignore_sigterm_all_get_it_first_then_share_one_grace(tmp_path, monkeypatch):
    stubborn = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('up', flush=True); time.sleep(60)"
    )
    procs = [
        Proc(f"stubborn-{i}", [sys.executable, "-c", stubborn], {}, tmp_path / f"{i}.log").start()
        for i in range(3)
    ]
    for proc in procs:
        while "up" not in proc.tail():
            assert proc.running(), proc.tail()
            time.sleep(0.05)
    steps = []
    terminate, wait_stopped = Proc.terminate, Proc.wait_stopped

    def recorded_terminate(proc):
        steps.append(("SIGTERM", proc.name))
        terminate(proc)

    def recorded_wait(proc, deadline):
        steps.append(("wait until", deadline))
        wait_stopped(proc, deadline)

    monkeypatch.setattr(Proc, "terminate", recorded_terminate)
    monkeypatch.setattr(Proc, "wait_stopped", recorded_wait)
    stop_all(procs, grace=1.0)
    assert not any(p.running() for p in procs)  # killed once the grace was over
    assert [s for s, _ in steps] == ["SIGTERM"] * 3 + ["wait until"] * 3  # all told before any wait
    assert len({deadline for s, deadline in steps if s == "wait until"}) == 1  # one grace for all


def test_a_process_that_exits_while_awaited_fails_with_its_log(tmp_path):
    proc = Proc(
        "broken", [sys.executable, "-c", "print('cannot bind'); raise SystemExit(3)"], {}, tmp_path / "b.log"
    )
    with pytest.raises(NotReady, match="(?s)exited with 3.*cannot bind"):
        processes.wait_ready(proc.start(), f"http://127.0.0.1:{free_port()}/readyz", timeout=20)
