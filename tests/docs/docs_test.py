#!/usr/bin/env python3
"""The docs stay true: ctest `docs`.

1. Every option an executable's --help lists (condriver, clidriver, paxos-sim, paxos-trace and
   each of its subcommands, paxos-bench when built) has a table row in that executable's section
   of docs/OPTIONS.md (the "## NAME" heading up to the next "## "): the option is in the row's
   first cell, so a mention in another option's text does not count. And --version prints
   "NAME (paxos-cpp) X.Y.Z" and exits 0 (paxos-micro too, when built).
2. Every README.md block right after a `<!-- docs_test: runs the next block -->` line still works
   from a fresh clone: it runs in a new temporary folder holding only a copy of hosts/ (its
   loopback ports replaced by free ones) and build/bin (a link to the built binaries). Every
   command's exit status must be 0, background ones included (waited for, each with a deadline),
   and every `# prints: TEXT` comment's TEXT must be in the block's stdout.

Usage: docs_test.py SOURCE_DIR BIN_DIR. Exit 0 when all holds, 1 naming each problem.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

SOURCE, BIN = sys.argv[1], sys.argv[2]
HELP_PROGRAMS = ["condriver", "clidriver", "paxos-sim", "paxos-trace", "paxos-bench",
                 "paxos-lincheck", "paxos-members"]
OPTIONAL = {"paxos-bench", "paxos-micro"}  # not built with -DPAXOS_BENCH=OFF
VERSION_PROGRAMS = HELP_PROGRAMS + ["paxos-micro"]
MARK = "<!-- docs_test: runs the next block -->"
BLOCK_SECONDS = 30  # a by-hand block decides in well under a second; nodes exit on the client's DONE

problems = []


def run(args, seconds=10):
    return subprocess.run(args, capture_output=True, text=True, timeout=seconds)


def options_section(text, program):
    """The first cells of the table rows under the heading "## PROGRAM...", up to the next "## "."""
    match = re.search(r"^## " + re.escape(program) + r"\b.*?(?=^## |\Z)", text, re.M | re.S)
    if not match:
        return ""
    rows = [line.split("|")[1] for line in match.group(0).splitlines() if line.startswith("|")]
    return "\n".join(rows) or "(no table)"


def listed_options(help_text):
    return sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", help_text)))


def subcommands(help_text):
    """CLI11 lists them under "Subcommands:", one per line: "  NAME  description"."""
    part = help_text.split("Subcommands:", 1)
    return re.findall(r"^  (\S+)", part[1], re.M) if len(part) == 2 else []


def check_options():
    with open(os.path.join(SOURCE, "docs", "OPTIONS.md"), encoding="utf-8") as f:
        options_md = f.read()
    for program in HELP_PROGRAMS:
        path = os.path.join(BIN, program)
        if not os.path.exists(path):
            if program not in OPTIONAL:
                problems.append(f"{program}: not built ({path})")
            continue
        section = options_section(options_md, program)
        if not section:
            problems.append(f"docs/OPTIONS.md has no '## {program}' section")
            continue
        commands = [[path]]
        top = run([path, "--help"])
        commands += [[path, sub] for sub in subcommands(top.stdout)]
        for command in commands:
            name = " ".join([program] + command[1:])
            result = run(command + ["--help"])
            if result.returncode != 0:
                problems.append(f"{name} --help exited {result.returncode}")
            for option in listed_options(result.stdout):
                if not re.search(r"(?<![\w-])" + re.escape(option) + r"(?![\w-])", section):
                    problems.append(f"{name}: {option} is in --help but not in the "
                                    f"first column of the '## {program}' tables in docs/OPTIONS.md")
    for program in VERSION_PROGRAMS:
        path = os.path.join(BIN, program)
        if not os.path.exists(path):
            continue
        result = run([path, "--version"])
        if result.returncode != 0 or not re.fullmatch(
                re.escape(program) + r" \(paxos-cpp\) \d+\.\d+\.\d+\n", result.stdout):
            problems.append(f"{program} --version: exit {result.returncode}, printed "
                            f"{result.stdout!r} (expected '{program} (paxos-cpp) X.Y.Z')")


def marked_blocks(readme):
    blocks, lines = [], readme.splitlines()
    for i, line in enumerate(lines):
        if line.strip() != MARK:
            continue
        if i + 1 >= len(lines) or not lines[i + 1].startswith("```"):
            problems.append(f"README.md:{i + 1}: {MARK} is not followed by a ``` block")
            continue
        end = next((j for j in range(i + 2, len(lines)) if lines[j].startswith("```")), None)
        if end is None:
            problems.append(f"README.md:{i + 2}: the block never ends")
            continue
        blocks.append((i + 2, lines[i + 2:end]))
    return blocks


def free_ports(count):
    """Loopback ports free right now: bound to port 0 by the kernel, all held until all are known."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def fresh_folder():
    """What a fresh clone offers a by-hand command, with free ports instead of 10000 and up."""
    folder = tempfile.mkdtemp(prefix="paxos-docs-test-")
    shutil.copytree(os.path.join(SOURCE, "hosts"), os.path.join(folder, "hosts"))
    texts = {}
    for name in os.listdir(os.path.join(folder, "hosts")):
        with open(os.path.join(folder, "hosts", name), encoding="utf-8") as f:
            texts[name] = f.read()
    pattern = r"(?<=localhost )\d+|(?<=port: )\d+"
    ports = sorted({int(p) for text in texts.values() for p in re.findall(pattern, text)})
    new = dict(zip(ports, free_ports(len(ports))))
    for name, text in texts.items():
        with open(os.path.join(folder, "hosts", name), "w", encoding="utf-8") as f:
            f.write(re.sub(pattern, lambda m: str(new[int(m.group(0))]), text))
    os.makedirs(os.path.join(folder, "build"))
    os.symlink(os.path.abspath(BIN), os.path.join(folder, "build", "bin"))
    return folder


# Runs the block's lines as written, then waits for each background job it started: the
# script fails if any command (foreground or background) exits non-zero.
WRAPPER = """set -o pipefail
status=0
trap 'status=1' ERR
{block}
trap - ERR
for pid in $(jobs -p); do wait "$pid" || {{ echo "background job $pid exited $?" >&2; status=1; }}; done
exit $status
"""


def check_readme():
    with open(os.path.join(SOURCE, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    blocks = marked_blocks(readme)
    if not blocks:
        problems.append(f"README.md has no block marked {MARK}")
    for first_line, lines in blocks:
        folder = fresh_folder()
        script = WRAPPER.format(block="\n".join(lines))
        # A session of its own, so that on a timeout exactly the processes this block started
        # (the shell and its background jobs) are killed, and nothing else.
        shell = subprocess.Popen(["bash", "-c", script], cwd=folder, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, err = shell.communicate(timeout=BLOCK_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(shell.pid, signal.SIGKILL)
            out, err = shell.communicate()
            problems.append(f"README.md:{first_line}: block still running after "
                            f"{BLOCK_SECONDS} s; stderr:\n{err[-2000:]}")
            continue
        if shell.returncode != 0:
            problems.append(f"README.md:{first_line}: block failed (exit {shell.returncode}) in "
                            f"{folder}; stderr:\n{err[-2000:]}")
            continue
        for line in lines:
            expected = re.search(r"# prints: (.*)$", line)
            if expected and expected.group(1).strip() not in out:
                problems.append(f"README.md: expected '{expected.group(1).strip()}' from "
                                f"'{line.split('#')[0].strip()}', got:\n{out}")
        if not any(p.startswith("README.md") for p in problems):
            shutil.rmtree(folder)


check_options()
check_readme()
for problem in problems:
    print("FAIL", problem)
if not problems:
    print("docs: every --help option is in docs/OPTIONS.md, --version works, "
          "README's marked blocks run")
sys.exit(1 if problems else 0)
