#!/usr/bin/env python3
"""Snapshots and compaction on real processes (docs/KV.md#snapshots-and-compaction).

A service cluster (2 proposers, 3 acceptors, 3 learners with HTTP) snapshots every 20 slots, so
the acceptors trim the log. One learner is killed, its data dir wiped, and writes go on without
it; restarted with an empty disk it is behind the trim point, fetches a peer's snapshot, installs
it and goes on. The first peer it asks is down, so it must back off and ask another. Then every
replica must serve the same map (GET ?consistency=stale of every key) and hold the same revision
(every write applied exactly once), and the restarted one must have installed a snapshot rather
than replayed the log.

usage: kv_snapshot_test.py BIN_DIR [WORK_DIR]
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BIN = sys.argv[1]
WORK = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="kv-snapshot-")
BASE = 21000 + (os.getpid() % 400) * 10
HTTP = BASE + 5000
LEARNERS = [5, 6, 7]
KEYS = [f"k{i}" for i in range(30)]
procs = {}


def url(uid, path):
    return f"http://127.0.0.1:{HTTP + uid - 5}{path}"


def request(method, uid, path, body=None, timeout=5):
    req = urllib.request.Request(url(uid, path), data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None, b""


def status(uid):
    code, body = request("GET", uid, "/v1/status", timeout=2)
    return json.loads(body) if code == 200 else None


def start(uid):
    os.makedirs(f"{WORK}/data/{uid}", exist_ok=True)
    log = open(f"{WORK}/{uid}.log", "ab")
    procs[uid] = subprocess.Popen(
        [f"{BIN}/condriver", str(uid), "--hosts", f"{WORK}/hosts.txt", "--data-dir",
         f"{WORK}/data/{uid}", "--durability", "none", "--snapshot-every", "20"],
        stdout=subprocess.DEVNULL, stderr=log)


def until(what, check, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out: {what}")


def put(uid, key, value):
    for _ in range(50):  # 503 before a leader is known, 504 on a lost race: retry
        code, _ = request("PUT", uid, f"/v1/kv/{key}", value.encode())
        if code in (200, 201):
            return
        time.sleep(0.1)
    raise AssertionError(f"PUT {key} on {uid} never succeeded")


def main():
    with open(f"{WORK}/hosts.txt", "w") as f:
        f.write("PROPOSERS 2\nACCEPTORS 3\nLEARNERS 3\nMODE multi\n")
        for uid in range(5):
            f.write(f"127.0.0.1 {BASE + uid} con\n")
        for uid in LEARNERS:
            f.write(f"127.0.0.1 {BASE + uid} con 127.0.0.1:{HTTP + uid - 5}\n")
    for uid in range(8):
        start(uid)
    n = 0
    for i in range(120):  # every replica snapshots, the acceptors trim
        put(LEARNERS[i % 2], KEYS[i % len(KEYS)], f"v{i}")
    until("every replica has a snapshot", lambda: all((status(u) or {}).get("snapshot", 0) >= 40
                                                     for u in LEARNERS))
    # Learner 7 loses its disk; the others write on, and snapshot past its last report.
    procs[7].send_signal(signal.SIGKILL)
    procs[7].wait(10)
    shutil.rmtree(f"{WORK}/data/7")
    for i in range(120, 240):
        put(LEARNERS[i % 2], KEYS[i % len(KEYS)], f"v{i}")
    # The first peer it asks (learner 5) is down: it must back off and ask the next one.
    procs[5].send_signal(signal.SIGKILL)
    procs[5].wait(10)
    for i in range(240, 250):
        put(6, KEYS[i % len(KEYS)], f"v{i}")
    start(7)
    until("learner 7 installed a peer's snapshot",
          lambda: ((status(7) or {}).get("commands") or {}).get("installed", 0) >= 1)
    failures = status(7)["commands"]["fetch_failures"]
    assert failures >= 1, f"learner 7 fetched from the dead peer? {failures} failures"
    start(5)  # with its disk: not behind, it catches up from the log
    for i in range(250, 270):  # and applies what follows
        put(LEARNERS[i % 3], KEYS[i % len(KEYS)], f"v{i}")

    def same():
        s = [status(u) for u in LEARNERS]
        return all(s) and len({(x["applied"], x["revision"]) for x in s}) == 1
    until("every replica applied the same slots and holds the same revision", same)
    s = {u: status(u) for u in LEARNERS}
    print("status:", {u: (s[u]["applied"], s[u]["snapshot"], s[u]["revision"], s[u]["keys"])
                      for u in LEARNERS})
    assert s[7]["snapshot"] > 0 and os.path.exists(f"{WORK}/data/7/replica-7.snap"), \
        "the installed snapshot is on learner 7's disk"
    for key in KEYS:
        values = {u: request("GET", u, f"/v1/kv/{key}?consistency=stale") for u in LEARNERS}
        assert len({v for v in values.values()}) == 1, f"{key}: replicas differ: {values}"
        assert values[5][0] == 200, f"{key}: {values[5]}"
    print(f"kv snapshot test: ok (learner 7 installed a snapshot after {failures} failed fetch(es), revision "
          f"{s[7]['revision']} everywhere, {len(KEYS)} keys equal)")


try:
    main()
    code = 0
except AssertionError as e:
    print("FAILED:", e, f"(logs in {WORK})")
    code = 1
finally:
    for p in procs.values():
        if p.poll() is None:
            p.terminate()
    for p in procs.values():
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
sys.exit(code)
