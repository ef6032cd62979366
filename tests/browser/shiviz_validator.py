#!/usr/bin/env python3
"""Checks a log against ShiViz's rules (https://github.com/DistributedClocks/shiviz).

usage: shiviz_validator.py LOG        exit 0 if valid, 1 with one line per problem
       shiviz_validator.py --self-test

The file: line 1 is the parser regex, with named groups host, clock and event (JavaScript's
`(?<name>`); line 2 is blank (no multiple-execution delimiter); the rest must be covered by
back-to-back matches of the regex, one event each, separated by newlines only (ShiViz applies it
with the m flag and silently skips text between matches, so a gap here means an event ShiViz
would lose or misread). Each clock is a JSON object of host -> positive integer, and:
  - the event's host is a key of its own clock;
  - each host's own component is 1 on its first event and grows by exactly 1 per event;
  - along one host, no component ever decreases;
  - every key is a host that has events, with a value no larger than that host's event count
    (ShiViz's "unrecognized host" and "invalid clock value" errors);
  - causal consistency: an event that has seen event k of host h has seen all that event saw;
  - a receive has seen its send: when the description names a message id in brackets
    (`recv PREPARE ... [0:5]`, as paxos-trace writes it) and exactly one send has that id, the
    receive's clock is >= the send's componentwise.
Python standard library only.
"""

import json
import re
import sys
from dataclasses import dataclass

MAX_ERRORS = 20
MESSAGE = re.compile(r"\b(send|recv|drop)\b.*\[([^\[\]\s]+)\]")


@dataclass
class Event:
    line: int   # 1-based line of the "host clock" line in the file
    host: str
    clock: dict
    text: str

    @property
    def own(self):
        return self.clock.get(self.host)


def python_regex(js_regex):
    """JavaScript named groups `(?<name>` become Python's `(?P<name>`."""
    return re.sub(r"\(\?<([A-Za-z_][A-Za-z0-9_]*)>", r"(?P<\1>", js_regex)


def parse(text):
    """(events, errors): the events the regex reads from the log, in file order."""
    lines = text.split("\n")
    if len(lines) < 3:
        return [], ["fewer than 3 lines: expected a regex, a blank line, then events"]
    try:
        regex = re.compile(python_regex(lines[0]), re.M)
    except re.error as e:
        return [], [f"line 1: the regex does not compile: {e}"]
    missing = {"host", "clock", "event"} - set(regex.groupindex)
    if missing:
        return [], [f"line 1: the regex lacks the named groups {sorted(missing)}"]
    if lines[1] != "":
        return [], [f"line 2 must be blank (no execution delimiter), found {lines[1]!r}"]

    body = "\n".join(lines[2:])
    first_line = 3
    events, errors, pos = [], [], 0
    while pos < len(body) and body[pos:].strip():
        match = regex.match(body, pos)
        line = first_line + body.count("\n", 0, pos)
        if not match or match.end() == pos:
            errors.append(f"line {line}: no event matches here: {body[pos:pos + 80]!r}")
            break
        events.append(parse_event(match, line, errors))
        pos = match.end()
        if pos < len(body):
            if body[pos] != "\n":
                errors.append(f"line {line}: text after the event: {body[pos:pos + 40]!r}")
                break
            pos += 1
    if not events and not errors:
        errors.append("no events")
    return [e for e in events if e], errors


def parse_event(match, line, errors):
    host, clock_text = match.group("host"), match.group("clock")
    if not host:
        errors.append(f"line {line}: empty host")
        return None
    try:
        clock = json.loads(clock_text)
    except json.JSONDecodeError as e:
        errors.append(f"line {line}: clock is not JSON ({e}): {clock_text!r}")
        return None
    if not isinstance(clock, dict):
        errors.append(f"line {line}: clock is not a JSON object: {clock_text!r}")
        return None
    bad = {k: v for k, v in clock.items()
           if not (isinstance(v, int) and not isinstance(v, bool) and v > 0)}
    if bad:
        errors.append(f"line {line}: clock values must be positive integers: {bad}")
        return None
    if host not in clock:
        errors.append(f"line {line}: host {host} is not a key of its own clock {clock_text}")
        return None
    return Event(line, host, clock, match.group("event"))


def covers(later, earlier):
    """later >= earlier componentwise (a missing key counts 0)."""
    return all(later.get(h, 0) >= n for h, n in earlier.items())


def check_hosts(events):
    errors = []
    by_host = {}
    for e in events:
        previous = by_host.setdefault(e.host, [])
        want = len(previous) + 1
        if e.own != want:
            errors.append(f"line {e.line}: {e.host}'s own component is {e.own}, expected {want} "
                          f"({'first event' if want == 1 else 'one more than its last event'})")
        if previous and not covers(e.clock, previous[-1].clock):
            errors.append(f"line {e.line}: clock {e.clock} decreases from {e.host}'s previous "
                          f"{previous[-1].clock} (line {previous[-1].line})")
        previous.append(e)
    for e in events:
        for host, n in e.clock.items():
            if host not in by_host:
                errors.append(f"line {e.line}: clock names host {host}, which has no events")
            elif n > len(by_host[host]):
                errors.append(f"line {e.line}: clock has {host}:{n}, but {host} has only "
                              f"{len(by_host[host])} events")
            elif host != e.host and not covers(e.clock, by_host[host][n - 1].clock):
                seen = by_host[host][n - 1]
                errors.append(f"line {e.line}: has seen {host}:{n} (line {seen.line}) but not "
                              f"all that event saw: {seen.clock} vs {e.clock}")
    return errors


def check_messages(events):
    """Errors, and how many receives were matched to their send."""
    sends, receives = {}, []
    for e in events:
        m = MESSAGE.search(e.text)
        if m and m.group(1) == "send":
            sends.setdefault(m.group(2), []).append(e)
        elif m:
            receives.append((e, m.group(2)))
    errors, matched = [], 0
    for e, mid in receives:
        if len(sends.get(mid, [])) != 1:
            continue  # sender untraced, or an id reused by a restarted sender: no single send
        send = sends[mid][0]
        matched += 1
        if not covers(e.clock, send.clock):
            errors.append(f"line {e.line}: receive of [{mid}] has clock {e.clock}, not >= its "
                          f"send's {send.clock} (line {send.line})")
    return errors, matched


def validate(text):
    """(events, errors, matched receives) for the text of a ShiViz log."""
    events, errors = parse(text)
    matched = 0
    if not errors:
        errors += check_hosts(events)
        message_errors, matched = check_messages(events)
        errors += message_errors
    return events, errors, matched


HEAD = "(?<host>\\S*) (?<clock>{.*})\\n(?<event>.*)\n\n"
GOOD = HEAD + ('a {"a":1}\nsend M to b [a:1]\nb {"b":1}\ntimeout\n'
               'b {"a":1,"b":2}\nrecv M from a [a:1]\na {"a":2}\nexit\n')
BAD = {  # a broken log -> a piece of the error it must produce
    GOOD.replace('"b":2}', '"b":3}'): "own component is 3, expected 2",
    GOOD.replace('b {"a":1,"b":2}', 'b {"b":2}'): "not >= its send",
    GOOD.replace('a {"a":2}', 'a {"b":1}'): "not a key of its own clock",
    GOOD.replace('"a":1,"b":2', '"a":1,"b":2,"c":1'): "which has no events",
    (GOOD + 'c {"c":1}\nlocal\n').replace('"a":1,"b":2', '"a":1,"b":2,"c":1')
    .replace('a {"a":2}', 'a {"a":2,"b":2}'): "but not all that event saw",
    GOOD.replace("timeout\n", "timeout\nstray line\n"): "no event matches here",
    GOOD.replace('{"a":1}\nsend', '{"a":0}\nsend'): "positive integers",
    GOOD.replace("\n\n", "\nx\n", 1): "line 2 must be blank",
    GOOD.replace("(?<clock>", "(?<clk>"): "lacks the named groups",
    GOOD.replace('b {"b":1}', 'b {"a":1,"b":1}').replace('b {"a":1,"b":2}', 'b {"b":2}'):
        "decreases",
}


def self_test():
    """Errors of the validator itself: GOOD must pass, each BAD log must fail as described."""
    problems = []
    _, errors, matched = validate(GOOD)
    if errors or matched != 1:
        problems.append(f"the good log fails: {errors}, {matched} receives matched")
    for text, expected in BAD.items():
        _, errors, _ = validate(text)
        if not any(expected in e for e in errors):
            problems.append(f"expected an error with {expected!r}, got {errors}")
    return problems


def main(argv):
    if argv == ["--self-test"]:
        problems = self_test()
        print("\n".join(problems) or "self-test ok")
        return 1 if problems else 0
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as f:
        events, errors, matched = validate(f.read())
    for e in errors[:MAX_ERRORS]:
        print(f"{argv[0]}:{e}")
    if len(errors) > MAX_ERRORS:
        print(f"... and {len(errors) - MAX_ERRORS} more")
    hosts = len({e.host for e in events})
    print(f"{argv[0]}: {len(events)} events on {hosts} hosts, {matched} receives matched to "
          f"their send: {'INVALID' if errors else 'valid'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
