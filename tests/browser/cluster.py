"""Runs a small paxos-cpp cluster on loopback with --trace, and reads what it leaves behind.

Shared by the tests in this folder. Python standard library only. Every wait has a timeout, and
the only processes ever killed are the ones started here, by PID.
"""

import json
import os
import re
import socket
import subprocess
import time
from dataclasses import dataclass, field

# The seed's run3: 1 proposer, 3 acceptors (UIDs 1-3), 1 learner; 4 clients through proposer 1.
RUN3_ROLES = (1, 3, 1)
RUN3_CLIENT_VALUES = ("55", "56", "57", "230")
RUN3_DESIRED_PROPOSER = "1"
CRASHED_ACCEPTOR = 2

RUN_LIMIT_S = 20        # every process of a run must have exited by then
NODE_IDLE_MS = 5000     # condriver --idle-timeout: a node left alone exits by itself
CLIENT_TIMEOUT_MS = 8000  # clidriver --timeout
TOOL_LIMIT_S = 30       # one paxos-trace call

FINAL_LINE = re.compile(r"^Final message received by client from \w+: (.*)$")


class TestFailure(Exception):
    """A check failed; the message says which and why."""


def require(condition, message):
    if not condition:
        raise TestFailure(message)


def require_binaries(bin_dir, names=("condriver", "clidriver", "paxos-trace")):
    missing = [n for n in names if not os.access(os.path.join(bin_dir, n), os.X_OK)]
    require(not missing, f"not built in {bin_dir}: {', '.join(missing)} "
            "(cmake --build build builds them)")


def free_ports(count, kind=socket.SOCK_DGRAM):
    """Ports the kernel hands out for 127.0.0.1, all held at once so they differ (UDP, or TCP
    with kind=socket.SOCK_STREAM)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, kind)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def write_hosts(path, roles, clients, ports):
    """The seed's text hosts format: role counts, then one `localhost PORT con|cli` per UID."""
    proposers, acceptors, learners = roles
    nodes = proposers + acceptors + learners
    lines = [f"PROPOSERS {proposers}", f"ACCEPTORS {acceptors}", f"LEARNERS {learners}"]
    lines += [f"localhost {ports[uid]} con" for uid in range(nodes)]
    lines += [f"localhost {ports[nodes + k]} cli" for k in range(clients)]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


@dataclass
class Proc:
    uid: int
    kind: str          # "node" or "client"
    popen: subprocess.Popen
    trace: str         # its --trace file
    returncode: object = None

    def traced(self):
        """It has written at least one trace record."""
        return os.path.exists(self.trace) and os.path.getsize(self.trace) > 0


@dataclass
class Run:
    """One finished cluster run in `directory`."""
    directory: str
    node_uids: list
    client_uids: list
    crashed: set
    returncodes: dict = field(default_factory=dict)  # uid -> exit code (-9: SIGKILL)
    seconds: float = 0.0

    @property
    def uids(self):
        return self.node_uids + self.client_uids

    def trace_path(self, uid):
        return os.path.join(self.directory, f"{uid}.trace.jsonl")

    def stdout(self, uid):
        with open(os.path.join(self.directory, f"{uid}.out")) as f:
            return f.read()


def start(directory, bin_dir, uid, kind, args):
    program = os.path.join(bin_dir, "condriver" if kind == "node" else "clidriver")
    with open(os.path.join(directory, f"{uid}.out"), "w") as out, \
            open(os.path.join(directory, f"{uid}.log"), "w") as err:
        popen = subprocess.Popen(
            [program, str(uid), *args, "--hosts", "hosts.txt", "--trace", f"{uid}.trace.jsonl"],
            cwd=directory, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    return Proc(uid, kind, popen, os.path.join(directory, f"{uid}.trace.jsonl"))


def wait_traced(procs, deadline):
    """Waits until each process has written its first trace record (it is up) or has exited.

    Clients start only then: a node that came up after the decision would miss the run, and its
    --crash-at would never fire; that is launch timing, not what these tests are about.
    """
    pending = list(procs)
    while pending and time.monotonic() < deadline:
        time.sleep(0.005)
        pending = [p for p in pending if p.popen.poll() is None and not p.traced()]
    require(not pending, "no trace record before the deadline from: "
            + ", ".join(f"{p.kind} {p.uid}" for p in pending))


def wait_all(procs, deadline):
    """Waits until every process exits or the deadline passes; kills (by PID) the rest."""
    for p in procs:
        try:
            p.returncode = p.popen.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    late = [p for p in procs if p.returncode is None]
    for p in late:
        p.popen.kill()
        p.popen.wait(timeout=5)
    return late


def run_cluster(directory, bin_dir, roles=RUN3_ROLES, values=RUN3_CLIENT_VALUES,
                desired=RUN3_DESIRED_PROPOSER, crash_at=None):
    """Starts every node, then (once each has traced something) every client, in `directory`.

    crash_at: {uid: "accept"} gives those nodes `--crash-at`. Fails unless every process exits
    within RUN_LIMIT_S of the first start, crashed nodes by SIGKILL and all others with 0.
    """
    crash_at = crash_at or {}
    nodes = sum(roles)
    ports = free_ports(nodes + len(values))
    write_hosts(os.path.join(directory, "hosts.txt"), roles, len(values), ports)
    procs = []
    t0 = time.monotonic()
    deadline = t0 + RUN_LIMIT_S
    try:
        for uid in range(nodes):
            args = ["--idle-timeout", str(NODE_IDLE_MS)]
            if uid in crash_at:
                args += ["--crash-at", crash_at[uid]]
            procs.append(start(directory, bin_dir, uid, "node", args))
        wait_traced(procs, deadline)
        for k, value in enumerate(values):
            procs.append(start(directory, bin_dir, nodes + k, "client",
                               [value, desired, "--timeout", str(CLIENT_TIMEOUT_MS)]))
    except BaseException:  # a start failed: nothing started here outlives the test
        wait_all(procs, 0)
        raise
    late = wait_all(procs, deadline)
    require(not late, f"still running {RUN_LIMIT_S} s after the launch, killed: "
            + ", ".join(f"{p.kind} {p.uid} (pid {p.popen.pid})" for p in late))
    run = Run(directory, list(range(nodes)), list(range(nodes, nodes + len(values))),
              set(crash_at), {p.uid: p.returncode for p in procs}, time.monotonic() - t0)
    for p in procs:
        expected = -9 if p.uid in crash_at else 0
        require(p.returncode == expected,
                f"{p.kind} {p.uid} exited {p.returncode}, expected {expected}"
                f" (stderr: {os.path.join(directory, str(p.uid) + '.log')})")
    return run


def read_traces(run):
    """Every trace record of the run, as dicts, with the file each came from."""
    records = []
    for uid in run.uids:
        path = run.trace_path(uid)
        require(os.path.exists(path), f"no trace file {path}")
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError as e:
                        raise TestFailure(f"{path}:{n}: not JSON: {e}") from e
    return records


def client_answers(run):
    """uid -> the value the client printed; fails if a client printed no decision line."""
    answers = {}
    for uid in run.client_uids:
        lines = run.stdout(uid).splitlines()
        match = FINAL_LINE.match(lines[0]) if len(lines) == 1 else None
        require(match, f"client {uid} stdout is not one decision line: {lines!r}")
        answers[uid] = match.group(1)
    return answers


def paxos_trace(bin_dir, *args, expect=0):
    """Runs paxos-trace; returns its stdout. Fails on another exit code or a timeout."""
    tool = os.path.join(bin_dir, "paxos-trace")
    require(os.access(tool, os.X_OK), f"{tool} not found: build the paxos-trace target first")
    try:
        done = subprocess.run([tool, *args], capture_output=True, text=True, timeout=TOOL_LIMIT_S)
    except subprocess.TimeoutExpired as e:  # subprocess.run kills the child it started
        raise TestFailure(f"paxos-trace {' '.join(args)}: no exit within {TOOL_LIMIT_S} s") from e
    require(done.returncode == expect,
            f"paxos-trace {' '.join(args)} exited {done.returncode}, expected {expect}\n"
            f"stdout: {done.stdout[-2000:]}\nstderr: {done.stderr[-2000:]}")
    return done.stdout


CHECK_OK = re.compile(r"^ok: (?:inst \d+: )?(\d+) decisions of (.*) by (\d+) nodes$")


def checked_value(check_output):
    """The decided value `paxos-trace check` reports ("ok: 5 decisions of 55 by 3 nodes")."""
    values = [m.group(2) for m in map(CHECK_OK.match, check_output.splitlines()) if m]
    require(len(values) == 1, f"paxos-trace check reports no single decision:\n{check_output}")
    return values[0]


class Timer:
    """Named durations for the report at the end of a test."""

    def __init__(self):
        self.laps = []

    def lap(self, name, since):
        self.laps.append((name, time.monotonic() - since))

    def report(self):
        return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.laps)
