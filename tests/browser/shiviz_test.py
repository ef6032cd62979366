#!/usr/bin/env python3
"""`paxos-trace shiviz` output, checked against ShiViz's rules (shiviz_validator.py).

usage: shiviz_test.py BIN_DIR [--keep]

Checks the validator on its own fixtures first, then runs the seed's run3 layout twice on
loopback with --trace (clean, and acceptor 2 crashing at its first ACCEPT), and for each run:
`paxos-trace shiviz DIR -o run.log` must be a valid ShiViz log, with one event per trace record
(per host: as many events as that node has records), and every receive whose send was traced
matched to that send by its message id. Exit 0 when all hold, 1 otherwise.
"""

import argparse
import collections
import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import shiviz_validator
from cluster import (CRASHED_ACCEPTOR, TestFailure, Timer, paxos_trace, read_traces, require,
                     require_binaries, run_cluster)


def check_validator():
    problems = shiviz_validator.self_test()
    require(not problems, "the validator misjudges its fixtures:\n  " + "\n  ".join(problems))


def check_run(name, crash_at, bin_dir, work_dir, timer):
    directory = os.path.join(work_dir, name)
    os.mkdir(directory)
    t = time.monotonic()
    run = run_cluster(directory, bin_dir, crash_at=crash_at)
    timer.lap(f"{name} cluster", t)
    records = read_traces(run)

    t = time.monotonic()
    log = os.path.join(directory, "run.log")
    paxos_trace(bin_dir, "shiviz", directory, "-o", log)
    timer.lap(f"{name} paxos-trace shiviz", t)
    with open(log, encoding="utf-8") as f:
        events, errors, matched = shiviz_validator.validate(f.read())
    require(not errors, f"{name}: {log} breaks ShiViz's rules:\n  " + "\n  ".join(errors[:20]))

    per_host = collections.Counter(e.host for e in events)
    per_node = collections.Counter(f"n{r['node']}" for r in records)
    require(per_host == per_node,
            f"{name}: events per host {dict(per_host)} differ from records per node "
            f"{dict(per_node)}")
    sent = {r["mid"] for r in records if r["event"] == "send"}
    arrivals = [r for r in records if r["event"] in ("recv", "drop") and r["mid"] in sent]
    require(matched == len(arrivals),
            f"{name}: {matched} receives matched to their send in the log, but the traces have "
            f"{len(arrivals)} recv/drop records of traced sends")
    print(f"{name}: {log}: {len(events)} events on {len(per_host)} hosts, {matched} receives "
          f"matched to their send, valid")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bin_dir", help="the build's bin folder: condriver, clidriver, paxos-trace")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    bin_dir = os.path.abspath(args.bin_dir)
    ok, work_dir = False, None
    timer = Timer()
    try:
        require_binaries(bin_dir)
        check_validator()
        work_dir = tempfile.mkdtemp(prefix="trace-shiviz-")
        check_run("clean", {}, bin_dir, work_dir, timer)
        check_run("crashed", {CRASHED_ACCEPTOR: "accept"}, bin_dir, work_dir, timer)
        ok = True
    except TestFailure as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
    finally:
        print(f"timings: {timer.report()}")
        if work_dir and (args.keep or not ok):
            print(f"kept {work_dir}")
        elif work_dir:
            shutil.rmtree(work_dir, ignore_errors=True)
    print("PASS" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
