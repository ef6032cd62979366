#!/usr/bin/env python3
"""HTTP and history helpers for tests/netns/kv_partition_test.sh (standard library only).

  status URL                      one line: applied leader unavailable timeouts commands-applied
  probe URL KEY VALUE ID          PUT KEY=VALUE with X-Request-Id ID; prints the status (0: none)
  final HISTORY OUT URL...        appends, after the last op of HISTORY, a linearizable read of
                                  every key of HISTORY on every URL, and writes the whole to OUT;
                                  then compares each replica's stale read with the linearizable
                                  one and checks that no acknowledged write was lost (exit 1)
  summary HISTORY PHASE...        per-phase counts of the answers' statuses; PHASE is
                                  NAME:START_MS:END_MS:CUT_URL on the recorder's clock, CUT_URL
                                  the learner cut off in it or "-"; exit 1 if a cut-off learner
                                  gave a 2xx within its cut or the majority side acknowledged
                                  no write

The history format is harness/history_recorder.hpp's (JSON lines).
"""
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

TIMEOUT_S = 5
MARGIN_NS = 250_000_000


def request(method, url, body=None, headers=None):
    """(status, parsed JSON body or None); status 0 when nothing came back."""
    data = body.encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    except (urllib.error.URLError, OSError):
        return 0, None
    try:
        return status, json.loads(text)
    except ValueError:
        return status, None


def status(url):
    code, j = request("GET", url + "/v1/status")
    if code != 200 or not isinstance(j, dict):
        print("- - - - -")
        return 1
    c = j.get("commands", {})
    leader = j.get("leader")
    print(j.get("applied", 0), "-" if leader is None else leader, c.get("unavailable", 0),
          c.get("timeouts", 0), c.get("applied", 0))
    return 0


def probe(url, key, value, request_id):
    code, _ = request("PUT", url + "/v1/kv/" + urllib.parse.quote(key, safe=""), value,
                      {"X-Request-Id": request_id})
    print(code)
    return 0


def read_history(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def final(history_path, out_path, urls):
    ops = read_history(history_path)
    keys = sorted({op["key"] for op in ops})
    t = max((op["complete"] for op in ops), default=0) + 1_000_000
    next_id = max((op["id"] for op in ops), default=0) + 1
    appended, failed = [], 0
    finals = {}  # key -> [(url, outcome, value, version)]
    # Sequential reads, each after the previous completed: the clock only has to be increasing.
    for key in keys:
        for url in urls:
            code, j = request("GET", url + "/v1/kv/" + urllib.parse.quote(key, safe=""))
            op = {"id": next_id, "client": "final", "key": key, "op": "get", "value": "",
                  "invoke": t, "complete": t + 1000, "outcome": "unknown", "status": code,
                  "version": 0, "node": url, "request_id": "", "attempts": 1, "error": ""}
            next_id += 1
            t += 2000
            if code == 200 and isinstance(j, dict) and isinstance(j.get("value"), str):
                op.update(outcome="value", value=j["value"], version=j.get("version", 0))
            elif code == 404:
                op["outcome"] = "not_found"
            else:
                failed += 1
                print(f"  final read of {key} on {url}: status {code}", file=sys.stderr)
            appended.append(op)
            finals.setdefault(key, []).append((url, op["outcome"], op["value"], op["version"]))
    with open(out_path, "w") as f:
        for op in ops + appended:
            f.write(json.dumps(op) + "\n")

    bad = failed
    # Every replica's local (stale) read now equals the linearizable one: nothing is missing.
    stale_diff = 0
    for key, reads in finals.items():
        for url, outcome, value, _ in reads:
            code, j = request("GET", url + "/v1/kv/" + urllib.parse.quote(key, safe="") +
                              "?consistency=stale")
            local = ("value", j["value"]) if code == 200 and isinstance(j, dict) else \
                ("not_found", "") if code == 404 else ("status", str(code))
            if local != (outcome, value):
                stale_diff += 1
                print(f"  {url} holds {key}={local}, the log says {(outcome, value)}",
                      file=sys.stderr)
    # No acknowledged write is lost: the final version of a key is at least that of the last
    # acknowledged put/delete, and when equal it is that write's value.
    lost = 0
    for key, reads in finals.items():
        acked = [op for op in ops if op["key"] == key and op["op"] != "get" and op["outcome"] == "ok"]
        if not acked:
            continue
        last = max(acked, key=lambda op: op["version"])
        for url, outcome, value, version in reads:
            if outcome == "value":
                ok = version > last["version"] or (
                    version == last["version"] and last["op"] == "put" and value == last["value"])
            elif outcome == "not_found":
                # Absent: the last acknowledged write was a delete, or a later delete's
                # outcome is unknown (it may have been applied).
                ok = last["op"] == "delete" or any(
                    op["key"] == key and op["op"] == "delete" and op["outcome"] == "unknown"
                    for op in ops)
            else:
                continue
            if not ok:
                lost += 1
                print(f"  {key} on {url}: {outcome} {value!r} version {version}, but "
                      f"{last['op']} version {last['version']} ({last['value']!r}) was "
                      f"acknowledged", file=sys.stderr)
    bad += stale_diff + lost
    print(f"  final reads: {len(keys)} keys x {len(urls)} replicas, {failed} failed; "
          f"stale reads differing: {stale_diff}; acknowledged writes lost: {lost}")
    return 1 if bad else 0


def summary(history_path, phases):
    ops = read_history(history_path)
    bad = 0

    def bucket(status):
        if 200 <= status < 300:
            return "2xx"
        if status in (404, 503, 504):
            return str(status)
        return "other" if status else "none"

    print(f"  history: {len(ops)} ops, {sum(op['outcome'] == 'unknown' for op in ops)} unknown; "
          f"per phase, by invoke time, the status of each op's last attempt:")
    for spec in phases:
        name, start, end, cut = spec.split(":", 3)
        lo, hi = int(start) * 1_000_000, int(end) * 1_000_000
        inside = [op for op in ops if lo <= op["invoke"] < hi]
        counts = {}
        for op in inside:
            b = bucket(op["status"])
            counts[b] = counts.get(b, 0) + 1
        line = " ".join(f"{k} {counts.get(k, 0)}" for k in ("2xx", "404", "503", "504", "other", "none"))
        print(f"  {name:<10} {int(end) - int(start):>6} ms: {len(inside):>5} ops: {line}")
        if cut == "-":
            continue
        # Wholly inside the cut: invoked after it was installed, answered before the heal (with
        # a margin for the recorder's clock starting a little after the script's).
        within = [op for op in inside if op["complete"] < hi - MARGIN_NS]
        cut_2xx = [op for op in within if op["node"] == cut and 200 <= op["status"] < 300]
        cut_other = [op for op in within if op["node"] == cut and not 200 <= op["status"] < 300]
        majority_writes = [op for op in within if op["node"] != cut and op["op"] != "get"
                           and op["outcome"] == "ok"]
        retried = sum(op["attempts"] > 1 for op in within)
        print(f"  {'':<10} answered by the cut-off learner {cut}: {len(cut_2xx)} 2xx, "
              f"{len(cut_other)} other; {retried} ops retried after a 503; majority side: "
              f"{len(majority_writes)} writes ok")
        for op in cut_2xx[:5]:
            print(f"    answered {op['status']} by the cut-off learner: {json.dumps(op)}",
                  file=sys.stderr)
        if cut_2xx:
            bad += 1
        if not majority_writes:
            print(f"  the majority side acknowledged no write during {name}", file=sys.stderr)
            bad += 1
    return 1 if bad else 0


def main(argv):
    if len(argv) >= 2 and argv[0] == "status":
        return status(argv[1])
    if len(argv) == 5 and argv[0] == "probe":
        return probe(*argv[1:])
    if len(argv) >= 4 and argv[0] == "final":
        return final(argv[1], argv[2], argv[3:])
    if len(argv) >= 2 and argv[0] == "summary":
        return summary(argv[1], argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
