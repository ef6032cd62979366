#!/bin/sh
# bench_smoke: paxos-bench --quick runs every figure; each must yield numbers and the JSON must
# parse. No timing is asserted: targets are reported as met or missed, never enforced here.
# Usage: smoke_test.sh PAXOS_BENCH OUTDIR
set -u
bench=$1 out=$2
mkdir -p "$out" || exit 1
timeout 100 "$bench" --quick --json "$out/bench.json" --svg "$out/latency.svg" \
  --svg-open "$out/open.svg" >"$out/bench.txt" 2>&1
status=$?
cat "$out/bench.txt"
[ $status = 0 ] || { echo "bench_smoke: paxos-bench exited $status"; exit 1; }
for plot in latency open; do
  grep -q '^<svg' "$out/$plot.svg" || { echo "bench_smoke: no SVG plot $plot.svg"; exit 1; }
  grep -q '<circle' "$out/$plot.svg" || { echo "bench_smoke: no points in $plot.svg"; exit 1; }
done
python3 - "$out/bench.json" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
rows = data["rows"]
figures = {"scenario", "latency", "throughput", "openloop", "scale", "memory"}
seen = {r["figure"] for r in rows if isinstance(r["value"], (int, float))}
missing = figures - seen
failed = [r["figure"] + ": " + r["name"] for r in rows if r["value"] is None]
if missing or failed:
    print("bench_smoke: no number for", sorted(missing), "failed rows:", failed)
    sys.exit(1)
if not data.get("sweep") or not data.get("open_loop"):
    print("bench_smoke: no load sweep, or no open-loop sweep")
    sys.exit(1)
print("bench_smoke: %d rows, every figure measured" % len(rows))
PY
