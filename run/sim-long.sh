#!/usr/bin/env bash
# The simulator's long run: paxos-sim --long over SEEDS seeds (default 1,000,000), each run in
# basic and multi mode under the mixed and harsh fault mixes (the tests' cluster shapes, see
# docs/SIMULATOR.md), on JOBS threads (default: every core). Builds paxos-sim into build/ if
# needed, prints one line per mode and mix and a total with seeds/s, and saves the output in
# runs/sim-long-DATE.log. Exits 1 on any violation (each printed with its seed and events).
# Usage: run/sim-long.sh [SEEDS] [JOBS] [extra paxos-sim options, e.g. --mixes mixed,harsh,slow]
#   TIMEOUT=SECONDS bounds the run (default none).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SEEDS=${1:-1000000}
JOBS=${2:-$(nproc)}
shift $(($# > 1 ? 2 : $#))
BIN="$ROOT/build/bin/paxos-sim"

if [ ! -x "$BIN" ]; then
  cmake -S "$ROOT" -B "$ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPAXOS_BENCH=OFF >&2 &&
    cmake --build "$ROOT/build" -j "$JOBS" --target paxos-sim >&2 ||
    { echo "build failed" >&2; exit 2; }
fi
mkdir -p "$ROOT/runs"
LOG="$ROOT/runs/sim-long-$(date +%Y%m%d-%H%M%S).log"
echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u +%FT%TZ)," \
  "$SEEDS seeds on $JOBS thread(s)" | tee "$LOG"
CMD=("$BIN" --long "$SEEDS" --jobs "$JOBS" "$@")  # default: --modes basic,multi --mixes mixed,harsh
echo "\$ ${CMD[*]#"$ROOT/"}" | tee -a "$LOG"
if [ -n "${TIMEOUT:-}" ]; then CMD=(timeout "$TIMEOUT" "${CMD[@]}"); fi
/usr/bin/time -f "real %es" "${CMD[@]}" 2>&1 | tee -a "$LOG"
status=${PIPESTATUS[0]}
echo "log: $LOG"
exit "$status"
