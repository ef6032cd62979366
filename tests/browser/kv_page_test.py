"""The key-value service's status page (GET /, docs/KV.md) as a person sees it: in headless
Chromium, against a real service cluster on loopback (2 proposers, 3 acceptors, 3 learners with
HTTP). After a write, the page must list the eight members with their roles, mark the leader, show
each replica's applied slot (read from that replica's own /v1/status, across origins), and the
write among the latest commands. Python standard library only; every wait is bounded, and only
the processes started here are stopped, by PID.

usage: kv_page_test.py BIN_DIR
"""

import html
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from browser import find_chromium, run_chromium
from cluster import TestFailure, free_ports, require

ROLES = ["proposer"] * 2 + ["acceptor"] * 3 + ["learner"] * 3
READY_S = 20


def http(method, url, body=None):
    req = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def main(bin_dir):
    chromium = find_chromium()
    work = tempfile.mkdtemp(prefix="kv-page-")
    udp = free_ports(len(ROLES))
    tcp = free_ports(3, socket.SOCK_STREAM)
    hosts = os.path.join(work, "hosts.txt")
    with open(hosts, "w") as f:
        f.write("PROPOSERS 2\nACCEPTORS 3\nLEARNERS 3\nMODE multi\n")
        for uid, port in enumerate(udp):
            extra = f" 127.0.0.1:{tcp[uid - 5]}" if uid >= 5 else ""
            f.write(f"127.0.0.1 {port} con{extra}\n")
    procs = []
    try:
        for uid in range(len(ROLES)):
            log = open(os.path.join(work, f"{uid}.log"), "w")
            procs.append(subprocess.Popen([os.path.join(bin_dir, "condriver"), str(uid),
                                           "--hosts", hosts], stdout=log, stderr=log,
                                          stdin=subprocess.DEVNULL))
        base = f"http://127.0.0.1:{tcp[0]}"
        deadline = time.monotonic() + READY_S
        while True:
            try:
                status, body = http("PUT", base + "/v1/kv/page-test", b"hello")
                if status in (200, 201):
                    break
            except OSError:
                pass
            require(time.monotonic() < deadline, f"no PUT succeeded within {READY_S} s ({work})")
            time.sleep(0.1)
        dom = run_chromium(chromium, ["--virtual-time-budget=3000", "--dump-dom"], base + "/")
        rows = re.findall(r"<tr[^>]*>(.*?)</tr>", dom, re.S)
        cells = [[html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td>(.*?)</td>", r, re.S)]
                 for r in rows]
        cells = [c for c in cells if c]
        require(len(cells) == len(ROLES), f"the page lists {len(cells)} members, not 8: {cells}")
        for uid, row in enumerate(cells):
            require(row[0] == str(uid), f"row {uid} is {row}")
            require(row[1].startswith(ROLES[uid]), f"uid {uid} shown as {row[1]}, not {ROLES[uid]}")
        leaders = [row for row in cells if "(leader)" in row[1]]
        require(len(leaders) == 1 and leaders[0][0] == "1",
                f"the page should mark proposer 1 as the leader: {cells}")
        for row in cells[5:]:
            require(row[2].startswith("127.0.0.1:") and row[7] == "up",
                    f"replica {row[0]} not shown up with its address: {row}")
            require(row[3].isdigit() and int(row[3]) >= 1,
                    f"replica {row[0]} shows no applied slot (read from its own /v1/status): {row}")
        require("put page-test" in dom, "the write is not among the latest commands on the page")
        print(f"kv page: 8 members, leader 1, replicas applied {[r[3] for r in cells[5:]]}")
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    for uid, p in enumerate(procs):
        require(p.returncode == 0, f"uid {uid} exited {p.returncode} after SIGTERM ({work})")


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except TestFailure as e:
        print(f"FAIL: {e}")
        sys.exit(1)
