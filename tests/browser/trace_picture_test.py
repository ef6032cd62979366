#!/usr/bin/env python3
"""The trace picture, checked as a person sees it: in a real (headless) browser.

usage: trace_picture_test.py BIN_DIR [--keep] [--save-screenshot PNG]

Runs the seed's run3 layout (1 proposer, 3 acceptors, 1 learner, 4 clients proposing 55 56 57
230 through proposer 1) twice on loopback with --trace: clean, and with acceptor 2 crashing at its
first ACCEPT. For each run: every process exits within 20 s; `paxos-trace html|check|merge` work
on the run folder; Chromium renders the page and a script injected into a copy of it counts what
is visible: one lane per process, one arrow per recv record, a lost arrow for every send nobody
received, an event mark per other record, the crash mark on the crashed lane, nothing fetched.
A screenshot of the crashed run must be a 1400x2000 PNG with more than one colour. Finally every
client printed the value `paxos-trace check` reports.

--keep leaves the temporary folder (runs, pages, screenshot) and prints its path;
--save-screenshot copies the crashed run's screenshot there once every check has passed.
Exit 0 when every check passes, 1 otherwise (including: chromium or paxos-trace missing).
"""

import argparse
import collections
import os
import re
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

from browser import find_chromium, measure_page, screenshot
from cluster import (CRASHED_ACCEPTOR, TestFailure, Timer, checked_value, client_answers,
                     paxos_trace, read_traces, require, require_binaries, run_cluster)
from pngread import read_png, sample_pixels

WINDOW = (1400, 2000)

# A tiny page that follows the HTML contract, for checking the harness itself. Of its five
# arrows, 0:2 and 0:3 are hidden by CSS and 0:4 lies outside the <svg>; 0:5 is visible but
# stops short of lane 1, where it is said to arrive.
FIXTURE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>fixture</title></head><body>
<svg width="300" height="200">
<g class="lane" data-node="0"><line x1="50" y1="0" x2="50" y2="190" stroke="#999"/>
<g class="event crash" data-event="crash"><path d="M44,90 L56,102" stroke="#b00"/></g></g>
<g class="lane" data-node="1"><line x1="150" y1="0" x2="150" y2="190" stroke="#999"/></g>
<g class="msg" data-mid="0:1" data-type="X"><path d="M50,10 L150,40" stroke="red"/></g>
<g class="msg" data-mid="0:2" data-type="X" style="display:none"><path d="M50,10 L150,40"/></g>
<g class="msg" data-mid="0:3" data-type="X" style="visibility:hidden"><path d="M50,9 L150,9"/></g>
<g class="msg" data-mid="0:4" data-type="X"><path d="M50,10 L650,40" stroke="red"/></g>
<g class="msg" data-mid="0:5" data-type="X"><path d="M50,120 L100,130" stroke="red"/></g>
<g class="msg lost" data-mid="0:6" data-type="X"><path d="M50,50 L90,60" stroke="red"/></g>
</svg></body></html>
"""


def check_harness(chromium, work_dir):
    """The measuring script must see exactly what the fixture shows, or its counts mean nothing."""
    page = os.path.join(work_dir, "fixture.html")
    with open(page, "w") as f:
        f.write(FIXTURE)
    ends = {mid: ["0", "1"] for mid in ("0:1", "0:2", "0:3", "0:4", "0:5")}
    seen = measure_page(chromium, page, work_dir, ends, WINDOW)
    short = [re.search(r'data-mid="([^"]*)"', p).group(1)
             for p in seen["delivered"]["endProblems"]]
    got = (sorted(seen["lanes"]["visible"]), seen["delivered"]["visibleMids"],
           len(seen["delivered"]["problems"]), seen["lost"]["visibleMids"],
           seen["events"]["visible"], seen["delivered"]["endsChecked"], short)
    require(got == (["0", "1"], ["0:1", "0:5"], 3, ["0:6"], [["0", "crash"]], 2, ["0:5"]),
            f"the harness misjudges its fixture: {got}\n{seen}")


# --- the traces ----------------------------------------------------------------------------


def recvs(records):
    return [r for r in records if r["event"] == "recv"]


def undelivered_sends(records):
    received = {r["mid"] for r in recvs(records)}
    return [r for r in records if r["event"] == "send" and r["mid"] not in received]


def sends_to_after_crash(records, uid):
    """Sends to `uid` written after its crash record (ts is one monotonic clock per machine)."""
    crash = [r for r in records if r["node"] == uid and r["event"] == "crash"]
    require(len(crash) == 1, f"expected one crash record of n{uid}, found {len(crash)}")
    return [r for r in records
            if r["event"] == "send" and r["to"] == uid and r["ts"] > crash[0]["ts"]]


# --- the page ------------------------------------------------------------------------------

URL = re.compile(r"https?://[^\s\"'<>)]*", re.I)
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink",
              "http://www.w3.org/1999/xhtml"}
REFERENCE = re.compile(r"""\b(?:src|href|xlink:href)\s*=\s*["']?([^"'\s>]*)"""
                       r"""|url\(\s*["']?([^"')]*)""", re.I)


def check_self_contained(page):
    """No http(s) URL (XML namespace names aside), no external script, style or resource."""
    with open(page, encoding="utf-8") as f:
        text = f.read()
    urls = sorted({u for u in URL.findall(text) if u not in NAMESPACES})
    require(not urls, f"{page} references URLs: {urls[:10]}")
    require(not re.search(r"<script\b[^>]*\bsrc\s*=", text, re.I), f"{page} loads a script")
    require(not re.search(r"<link\b", text, re.I), f"{page} has a <link> (external style?)")
    require(not re.search(r"@import", text, re.I), f"{page} has a CSS @import")
    external = sorted({a or b for a, b in REFERENCE.findall(text)
                       if not (a or b).startswith(("#", "data:"))})
    require(not external, f"{page} references files: {external[:10]}")


def expected_ends(records):
    """mid -> [from, to] of every received message: an arrow must touch both lifelines."""
    return {r["mid"]: [str(r["from"]), str(r["to"])] for r in recvs(records)}


def check_picture(seen, records, run, name):
    """What the browser showed against what the traces hold."""
    problems = []
    for part in ("lanes", "delivered", "lost", "events"):
        problems += [f"{part}: {p}" for p in seen[part]["problems"]]
    problems += [f"arrow: {p}" for p in seen["delivered"]["endProblems"]]
    require(not problems, f"{name}: elements not visible as drawn:\n  " + "\n  ".join(problems))

    lanes = sorted(seen["lanes"]["visible"], key=int)
    require(lanes == [str(u) for u in run.uids],
            f"{name}: visible lanes {lanes}, expected one per process {run.uids}")

    want = collections.Counter(r["mid"] for r in recvs(records))
    got = collections.Counter(seen["delivered"]["visibleMids"])
    require(seen["delivered"]["total"] == sum(want.values()) == sum(got.values()) and got == want,
            f"{name}: {sum(got.values())} visible delivered arrows "
            f"({seen['delivered']['total']} in the DOM), {sum(want.values())} recv records; "
            f"missing {dict(want - got)}, extra {dict(got - want)}")
    require(seen["delivered"]["untyped"] == 0,
            f"{name}: {seen['delivered']['untyped']} arrows without data-type")

    lost_want = {r["mid"] for r in undelivered_sends(records)}
    lost_got = set(seen["lost"]["visibleMids"])
    require(lost_got == lost_want,
            f"{name}: lost arrows for {sorted(lost_got - lost_want)} which were received, "
            f"none for {sorted(lost_want - lost_got)} which were not")

    marks = collections.Counter(tuple(m) for m in seen["events"]["visible"])
    marks_want = collections.Counter((str(r["node"]), r["event"]) for r in records
                                     if r["event"] not in ("send", "recv"))
    require(marks == marks_want, f"{name}: event marks differ from the records: "
            f"missing {dict(marks_want - marks)}, extra {dict(marks - marks_want)}")

    require(not seen["resources"], f"{name}: the page fetched {seen['resources']}")

    for uid in run.crashed:
        after = sends_to_after_crash(records, uid)
        require(len(seen["lost"]["visibleMids"]) >= len(after),
                f"{name}: {len(seen['lost']['visibleMids'])} lost arrows, but {len(after)} "
                f"sends to n{uid} after its crash")
        require(marks[(str(uid), "crash")] == 1, f"{name}: no crash mark on lane n{uid}")
    return (f"{len(lanes)} lanes, {sum(got.values())} arrows, {len(lost_got)} lost, "
            f"{sum(marks.values())} marks, {seen['lanes']['lifelines']} lifelines, "
            f"{seen['delivered']['endsChecked']} arrow ends checked, "
            f"page {seen['page']['width']}x{seen['page']['height']}")


def check_screenshot(png_path):
    png = read_png(png_path)
    require((png.width, png.height) == WINDOW,
            f"{png_path} is {png.width}x{png.height}, expected {WINDOW[0]}x{WINDOW[1]}")
    colours = sample_pixels(png)
    require(len(colours) > 1, f"{png_path} has one colour only: {colours}")
    chromatic = [c for c in colours if len(c) >= 3 and len(set(c[:3])) > 1]
    require(chromatic, f"{png_path} has no coloured pixel (no arrow drawn?)")
    return f"{png.width}x{png.height}, {len(colours)} colours sampled, {len(chromatic)} not grey"


# --- one run -------------------------------------------------------------------------------


def check_run(name, crash_at, bin_dir, chromium, work_dir, timer):
    directory = os.path.join(work_dir, name)
    os.mkdir(directory)
    t = time.monotonic()
    run = run_cluster(directory, bin_dir, crash_at=crash_at)
    timer.lap(f"{name} cluster", t)
    records = read_traces(run)
    for uid in run.crashed:
        require(any(r["node"] == uid and r["event"] == "crash" for r in records),
                f"{name}: n{uid} was SIGKILLed but its trace has no crash record")

    t = time.monotonic()
    page = os.path.join(directory, "run.html")
    paxos_trace(bin_dir, "html", directory, "-o", page)
    value = checked_value(paxos_trace(bin_dir, "check", directory))
    merged = paxos_trace(bin_dir, "merge", directory)
    require(len(merged.splitlines()) == len(records),
            f"{name}: merge printed {len(merged.splitlines())} lines for {len(records)} records")
    timer.lap(f"{name} paxos-trace", t)

    check_self_contained(page)
    t = time.monotonic()
    seen = measure_page(chromium, page, directory, expected_ends(records), WINDOW)
    timer.lap(f"{name} chromium dom", t)
    print(f"{name}: {len(records)} records, exit codes {run.returncodes}, "
          f"{run.seconds:.2f} s launch to exit; picture: {check_picture(seen, records, run, name)}")

    if run.crashed:
        after = sends_to_after_crash(records, CRASHED_ACCEPTOR)
        print(f"{name}: {len(after)} sends to n{CRASHED_ACCEPTOR} after its crash")
        t = time.monotonic()
        png = os.path.join(directory, "run3-crashed-acceptor.png")
        screenshot(chromium, page, png, WINDOW)
        timer.lap(f"{name} screenshot", t)
        print(f"{name}: screenshot {png}: {check_screenshot(png)}")

    answers = client_answers(run)
    require(set(answers.values()) == {value},
            f"{name}: clients printed {answers}, paxos-trace check reports {value!r}")
    print(f"{name}: every client printed {value}, as paxos-trace check reports")
    return directory


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bin_dir", help="the build's bin folder: condriver, clidriver, paxos-trace")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--save-screenshot", metavar="PNG",
                        help="copy the crashed run's screenshot here when every check passes")
    args = parser.parse_args(argv)
    bin_dir = os.path.abspath(args.bin_dir)  # the processes run in their own folders
    ok, work_dir = False, None
    timer = Timer()
    try:
        require_binaries(bin_dir)
        chromium = find_chromium()
        work_dir = tempfile.mkdtemp(prefix="trace-picture-")
        t = time.monotonic()
        check_harness(chromium, work_dir)
        timer.lap("harness check", t)
        check_run("clean", {}, bin_dir, chromium, work_dir, timer)
        crashed = check_run("crashed", {CRASHED_ACCEPTOR: "accept"}, bin_dir, chromium,
                            work_dir, timer)
        if args.save_screenshot:
            shutil.copyfile(os.path.join(crashed, "run3-crashed-acceptor.png"),
                            args.save_screenshot)
            print(f"saved {args.save_screenshot}")
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
