#!/usr/bin/env bash
# Where a value's time and CPU go (docs/BENCHMARKS.md, issue 16), for the drivers in BINDIR
# (default build/bin; give another build's to compare before and after a change):
#   1. one value in flight (1 client, window 1, WINDOW1_VALUES values): each process's system
#      calls per value by kind (strace -c), its wake-ups (epoll_wait calls) and the datagrams
#      the nodes sent and received (their exit summaries);
#   2. saturation (4 clients x window 1024, SATURATED_VALUES values each, --durability none,
#      or fsync with FSYNC=1): decided values/s and each process's user + system CPU seconds per
#      million values; PERF=FILE also records 2 s of `perf record -a -g` there.
# The cluster is 1 proposer, 3 acceptors, 1 learner on localhost ports from PORTBASE; every
# process is started here and stopped here. Needs strace (and perf for PERF).
# usage: ./run/profile.sh [BINDIR]    env: WINDOW1_VALUES=2000 SATURATED_VALUES=1000000
#   PORTBASE=10400
set -u
source "$(dirname "$0")/common.sh"
ensure_packages strace time
BINDIR=${1:-$BIN}
[ -x "$BINDIR/condriver" ] || { [ $# -eq 0 ] && build_drivers; }
[ -x "$BINDIR/condriver" ] || { echo "profile.sh: no condriver in $BINDIR" >&2; exit 2; }
BINDIR=$(cd "$BINDIR" && pwd)  # the runs below work in folders of their own
W1=${WINDOW1_VALUES:-2000}
PORTBASE=${PORTBASE:-10400}
SAT=${SATURATED_VALUES:-1000000}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/paxos-profile.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
ROLES=(proposer acceptor acceptor acceptor learner client client client client)

# values FILE COUNT PREFIX: COUNT distinct 64-byte lines.
values() {
  python3 -c "
import sys
with open('$1', 'w') as f:
    for i in range($2): f.write(('$3%d-' % i).ljust(64, 'x') + '\n')"
}
# wait_exit SECONDS PID...: waits for the PIDs to exit, at most SECONDS.
wait_exit() {
  local limit=$(($(date +%s) + $1)) pid
  shift
  for pid in "$@"; do
    while kill -0 "$pid" 2>/dev/null; do
      [ "$(date +%s)" -ge "$limit" ] && return 1
      sleep 0.05
    done
  done
}

echo "profile.sh: drivers in $BINDIR; $(nproc) CPUs"

# 1. One value in flight, under strace.
D=$DIR/w1
mkdir -p "$D" && cd "$D" || exit 2
write_hosts 1 3 1 1 "$PORTBASE" multi
values "$D/in" "$W1" w
nodes=()
for uid in 0 1 2 3 4; do
  "$BINDIR/condriver" $uid --hosts "$D/hosts.txt" >"$D/$uid.out" 2>"$D/$uid.log" &
  nodes+=($!)
done
tracers=()
for uid in 0 1 2 3 4; do
  strace -c -f -o "$D/$uid.strace" -p "${nodes[$uid]}" 2>/dev/null &
  tracers+=($!)
done
sleep 0.5  # strace attached
timeout 120 strace -c -f -o "$D/5.strace" "$BINDIR/clidriver" 5 - 0 --hosts "$D/hosts.txt" \
  --window 1 --timeout 10000 <"$D/in" >"$D/5.out" 2>"$D/5.log"
kill -INT "${tracers[@]}" 2>/dev/null
wait_exit 10 "${tracers[@]}"
kill -TERM "${nodes[@]}" 2>/dev/null
wait_exit 10 "${nodes[@]}"
decided=$(wc -l <"$D/5.out")
echo
echo "## One value in flight: $decided values (window 1), per value"
echo
echo "| process | system calls | wake-ups (epoll_wait) | datagrams sent / received | calls by kind |"
echo "|---|---|---|---|---|"
total_calls=0 total_wakes=0
for uid in 0 1 2 3 4 5; do
  read -r calls wakes < <(awk -v v="$decided" '
    $NF == "total" { total = $4 }
    $NF == "epoll_wait" { w = $4 }
    END { printf "%.2f %.2f\n", total / v, w / v }' "$D/$uid.strace")
  kinds=$(awk -v v="$decided" 'NR > 2 && $NF != "total" && $4 ~ /^[0-9]+$/ && $4 / v >= 0.05 {
      printf "%.2f %s\n", $4 / v, $NF }' "$D/$uid.strace" | sort -rn |
    awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1}')
  dgrams=$(sed -n 's/.*summary: .* sent \([0-9]*\) received \([0-9]*\) .*/\1 \2/p' "$D/$uid.log" |
    awk -v v="$decided" '{printf "%.2f / %.2f", $1 / v, $2 / v}')
  echo "| $uid ${ROLES[$uid]} | $calls | $wakes | ${dgrams:--} | $kinds |"
  total_calls=$(awk -v a="$total_calls" -v b="$calls" 'BEGIN {print a + b}')
  total_wakes=$(awk -v a="$total_wakes" -v b="$wakes" 'BEGIN {print a + b}')
done
echo "| all | $total_calls | $total_wakes | | |"

# 2. Saturation, timed.
D=$DIR/sat
mkdir -p "$D" && cd "$D" || exit 2
write_hosts 1 3 1 4 "$PORTBASE" multi
durability=(--durability none)
[ "${FSYNC:-0}" != 0 ] && durability=()
for c in 0 1 2 3; do values "$D/in$c" "$SAT" "c$c-"; done
nodes=()
for uid in 0 1 2 3 4; do
  /usr/bin/time -o "$D/$uid.time" -f "%U %S" "$BINDIR/condriver" $uid --hosts "$D/hosts.txt" \
    --data-dir "$D/data" "${durability[@]}" >"$D/$uid.out" 2>"$D/$uid.log" &
  nodes+=($!)
done
start=$(date +%s.%N)
clients=()
for c in 0 1 2 3; do
  uid=$((5 + c))
  /usr/bin/time -o "$D/$uid.time" -f "%U %S" "$BINDIR/clidriver" $uid - 0 --hosts "$D/hosts.txt" \
    --window 1024 --timeout 10000 <"$D/in$c" >"$D/$uid.out" 2>"$D/$uid.log" &
  clients+=($!)
done
if [ -n "${PERF:-}" ]; then
  sleep 1
  perf record -a -g -F 1999 -o "$PERF" -- sleep 2 >/dev/null 2>&1
fi
wait_exit 300 "${clients[@]}" || echo "profile.sh: the clients did not finish in 300 s" >&2
end=$(date +%s.%N)
# The clients' DONE shuts the nodes down: each exits by itself once idle (the learner last).
wait_exit 30 "${nodes[@]}" || { echo "profile.sh: nodes still running 30 s after the clients" >&2; exit 1; }
decided=$(($(stat -c %s "$D/4.out") / 65))
echo
echo "## Saturation: $decided values in $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f", b - a}') s" \
  "(4 clients x window 1024, ${durability[*]:-fsync}), CPU seconds per million values"
echo
echo "| process | user | system | user + system |"
echo "|---|---|---|---|"
for uid in 0 1 2 3 4 5 6 7 8; do
  awk -v v="$decided" -v who="$uid ${ROLES[$uid]}" \
    '{printf "| %s | %.3f | %.3f | %.3f |\n", who, $1 / v * 1e6, $2 / v * 1e6, ($1 + $2) / v * 1e6}' \
    "$D/$uid.time"
done
cat "$D"/*.time | awk -v v="$decided" -v a="$start" -v b="$end" '{u += $1; s += $2}
  END {printf "| all | %.3f | %.3f | **%.3f** (%.0f values/s) |\n", u / v * 1e6, s / v * 1e6, (u + s) / v * 1e6, v / (b - a)}'
