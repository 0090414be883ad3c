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


def test_processes_that_ignore_sigterm_are_killed_after_one_grace_for_all(tmp_path):
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
    started = time.monotonic()
    stop_all(procs, grace=1.0)
    took = time.monotonic() - started
    assert not any(p.running() for p in procs)
    assert 1.0 <= took < 2.5, f"three processes stopped in {took:.1f} s: one grace for all, not one each"


def test_a_process_that_exits_while_awaited_fails_with_its_log(tmp_path):
    proc = Proc(
        "broken", [sys.executable, "-c", "print('cannot bind'); raise SystemExit(3)"], {}, tmp_path / "b.log"
    )
    with pytest.raises(NotReady, match="(?s)exited with 3.*cannot bind"):
        processes.wait_ready(proc.start(), f"http://127.0.0.1:{free_port()}/readyz", timeout=20)
