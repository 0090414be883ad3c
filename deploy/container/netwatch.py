"""Watches the TCP and UDP sockets of every container process while the container smoke runs.

    python3 deploy/container/netwatch.py OUT.json [INTERVAL_S]     (stop it with SIGTERM)

Every INTERVAL_S (default 0.2 s) it reads `ss -tunap` and keeps the sockets whose process belongs
to a container (its cgroup names a docker container id). A socket passes when its local address
is a loopback address and, unless it only listens, so is its peer. On SIGTERM it writes OUT.json:
the number of samples, every distinct container socket seen (with its container), and the ones
that failed. Sampling can miss a socket that lives shorter than the interval; the smoke also
checks the network mode and the interfaces (smoke.sh).

Standard library only: it runs with the host's python3.
"""

from __future__ import annotations

import ipaddress
import json
import re
import signal
import subprocess
import sys
import time

CONTAINER_ID = re.compile(r"/docker[/-]([0-9a-f]{64})")
PROCESS = re.compile(r'\("([^"]*)",pid=(\d+),fd=\d+\)')


def container_of(pid: str, cache: dict[str, str | None]) -> str | None:
    if pid not in cache:
        try:
            with open(f"/proc/{pid}/cgroup") as f:
                m = CONTAINER_ID.search(f.read())
            cache[pid] = m.group(1)[:12] if m else None
        except OSError:
            cache[pid] = None
    return cache[pid]


def host_of(address: str) -> str:
    """'127.0.0.1:41001', '[::ffff:127.0.0.1]:41092', '*:*', '0.0.0.0:*' -> the host part."""
    host = address.rsplit(":", 1)[0]
    return host.strip("[]").split("%", 1)[0]


def is_loopback(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def sample(cache: dict[str, str | None]) -> list[dict]:
    out = subprocess.run(["ss", "-tunapH"], capture_output=True, text=True, check=False).stdout
    found = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 7:
            continue
        netid, state, local, peer = fields[0], fields[1], fields[4], fields[5]
        for name, pid in PROCESS.findall(line):
            cid = container_of(pid, cache)
            if cid is None:
                continue
            listening = state in ("LISTEN", "UNCONN") and host_of(peer) in ("*", "0.0.0.0", "::")
            ok = is_loopback(host_of(local)) and (listening or is_loopback(host_of(peer)))
            found.append(
                {
                    "container": cid,
                    "process": name,
                    "proto": netid,
                    "state": state,
                    "local": local,
                    "peer": peer,
                    "ok": ok,
                }
            )
            break
    return found


def main() -> None:
    out_path = sys.argv[1]
    interval = float(sys.argv[2]) if len(sys.argv) > 2 else 0.2
    seen: dict[tuple, dict] = {}
    samples = 0
    running = True

    def stop(*_):
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    cache: dict[str, str | None] = {}
    while running:
        for s in sample(cache):
            # One entry per socket shape: the ephemeral port of a client is not part of it.
            peer = s["peer"] if s["state"] in ("LISTEN", "UNCONN") else host_of(s["peer"])
            key = (
                s["container"],
                s["proto"],
                s["local"] if s["state"] == "LISTEN" else host_of(s["local"]),
                peer,
            )
            seen.setdefault(key, s)
        samples += 1
        if len(cache) > 5000:
            cache.clear()
        time.sleep(interval)
    sockets = list(seen.values())
    with open(out_path, "w") as f:
        json.dump(
            {
                "samples": samples,
                "interval_s": interval,
                "sockets": sockets,
                "not_loopback": [s for s in sockets if not s["ok"]],
            },
            f,
            indent=1,
        )


if __name__ == "__main__":
    main()
