"""Headless Chromium for the tests in this folder: the DOM after scripts ran, and screenshots.

Chromium gets a fresh profile per call, no network (no QUIC, no background traffic, and every
host name but 127.0.0.1 resolves to nothing), and a bounded time; on a timeout only the process group of the
chromium started here is killed. Python standard library only.
"""

import html
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile

from cluster import TestFailure, require

CHROMIUM_PACKAGE = "chromium"  # Debian's package; run/test.sh installs it
CHROMIUM_LIMIT_S = 60
VIRTUAL_TIME_MS = 2000
MEASURE_JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "measure.js")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--hide-scrollbars",
         "--force-device-scale-factor=1"]


def find_chromium():
    """The chromium binary; a clear failure (never a skip) when it is missing."""
    path = os.environ.get("PAXOS_CHROMIUM") or shutil.which("chromium")
    require(path and os.access(path, os.X_OK),
            f"chromium not found on PATH: install the Debian package '{CHROMIUM_PACKAGE}' "
            f"(as root: apt-get install -y {CHROMIUM_PACKAGE}; run/test.sh does it). "
            "This test checks the trace picture in a real browser and cannot pass without one.")
    return path


def run_chromium(chromium, args, page):
    """Runs chromium on a local file (or an http:// URL on loopback); returns its stdout. Fails on
    an error exit or a timeout."""
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    target = page if page.startswith("http://") else "file://" + page
    cmd = [chromium, *FLAGS, f"--user-data-dir={profile}", *args, target]
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=CHROMIUM_LIMIT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group this chromium leads, nothing else
            proc.communicate(timeout=10)
            raise TestFailure(f"chromium did not finish within {CHROMIUM_LIMIT_S} s: {cmd}")
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    require(proc.returncode == 0, f"chromium exited {proc.returncode}: {cmd}\n"
            + "\n".join(err.decode(errors="replace").splitlines()[-15:]))
    return out.decode(errors="replace")


def injected_copy(page, copy, expected):
    """Writes `copy`: `page` with measure.js (and the expected arrow ends) before </body>."""
    with open(page, encoding="utf-8") as f:
        text = f.read()
    with open(MEASURE_JS, encoding="utf-8") as f:
        script = f.read()
    data = json.dumps(expected).replace("</", "<\\/")
    block = f"<script>window.PAXOS_EXPECTED = {data};\n{script}</script>\n"
    at = text.lower().rfind("</body>")
    text = text[:at] + block + text[at:] if at >= 0 else text + block
    with open(copy, "w", encoding="utf-8") as f:
        f.write(text)


RESULT = re.compile(r'<pre id="result">(.*?)</pre>', re.S)


def measure_page(chromium, page, work_dir, expected=None, window=(1400, 2000)):
    """Renders a copy of `page` and returns what measure.js saw (see that file)."""
    copy = os.path.join(work_dir, os.path.basename(page) + ".measure.html")
    injected_copy(page, copy, expected or {})
    dom = run_chromium(chromium, [f"--virtual-time-budget={VIRTUAL_TIME_MS}",
                                  f"--window-size={window[0]},{window[1]}", "--dump-dom"], copy)
    found = RESULT.findall(dom)  # the last one: the one the script appended to <body>
    require(found, f"the measuring script left no <pre id=result> in the DOM of {copy} "
            f"(it did not run, or chromium dumped the DOM before load); DOM starts: {dom[:300]!r}")
    result = json.loads(html.unescape(found[-1]))
    require("error" not in result, f"the measuring script failed: {result.get('error')}")
    return result


def screenshot(chromium, page, png, window=(1400, 2000)):
    run_chromium(chromium, [f"--window-size={window[0]},{window[1]}", f"--screenshot={png}",
                            f"--virtual-time-budget={VIRTUAL_TIME_MS}"], page)
    require(os.path.exists(png), f"chromium wrote no screenshot {png}")
