#!/usr/bin/env bash
# Real network hops: a multi-mode cluster with every process in its own network namespace.
#
# Topology: one "switch" namespace holds a bridge; every node and client namespace holds one end
# of a veth pair (eth0, 10.A.B.(UID+1)/24), the other end is a port of that bridge. Nothing is
# created in, or read from, the root namespace: the host's interfaces and routes are untouched.
#
# Cluster (hosts.txt, MODE multi): proposers 0-1 (1 leads), acceptors 2-4, learners 5-6,
# clients 7-10. Every namespace drops 20% of incoming UDP with an nftables numgen rule; the
# consensus nodes add their own --duplicate 0.1 --delay 1:3 (this kernel has no netem).
#
#   1. Clients 7 (majority side) and 8 (minority side) start streaming.
#   2. A partition cuts {leader proposer 1, acceptor 4, learner 6, clients 8 and 10} from the
#      rest (nftables rules in every namespace drop the other side's datagrams).
#   3. During it client 9 (majority side) must get every value decided (proposer 0 takes over);
#      client 10 (minority side) must get nothing decided.
#   4. The partition heals; client 10's values must then be decided too.
#
# Checks: every process exits 0; each node bound its own 10.x address; the two learners print
# the same log holding every client value exactly once and in the slot order the clients were
# told; what the learners had printed at the heal is a prefix of their final log.
#
# usage: tests/netns/netns_test.sh [BINDIR [OUTDIR]]   (BINDIR defaults to build/bin)
# Exit 0 pass, 1 fail, 77 skipped (not root, no namespaces, no veth/bridge/nftables).
# Env: VALUES (values of clients 7-8, default 150), CUT_VALUES (of clients 9-10, started during
#      the cut, default 50), CUT_MS (least partition length, default 1500),
#      LIMIT (seconds any process may run, default 60), KEEP=1 keeps OUTDIR after a pass,
#      CONDRIVER_OPTS (more condriver options, e.g. --debug), MINORITY (UIDs cut off, "1 4 6 8 10").
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$(cd "${1:-$ROOT/build/bin}" 2>/dev/null && pwd) || { echo "netns: no bin dir ${1:-}" >&2; exit 1; }
VALUES=${VALUES:-150}
CUT_VALUES=${CUT_VALUES:-50}
CUT_MS=${CUT_MS:-1500}
LIMIT=${LIMIT:-60}
IP=$(command -v ip || echo /usr/sbin/ip)
PORT=7000
PROPOSERS=2 ACCEPTORS=3 LEARNERS=2 CLIENTS=4
CONS=$((PROPOSERS + ACCEPTORS + LEARNERS))
ALL=$((CONS + CLIENTS))
# The leader proposer, one acceptor of three, one learner and two clients (env MINORITY overrides).
read -r -a MINORITY <<<"${MINORITY:-1 4 6 8 10}"
NODE_OPTS=(--duplicate 0.1 --delay 1:3 --idle-timeout 15000)
CLIENT_OPTS=(--timeout 20000)

skip() {
  echo "netns: SKIPPED: $*" >&2
  [ "${OUT_IS_TEMP:-0}" = 1 ] && rm -rf "$OUT"
  exit 77
}
fail() { echo "netns: FAIL: $*" >&2; FAILED=1; }
ms() { echo $(($(date +%s%N) / 1000000)); }

[ -x "$BIN/condriver" ] && [ -x "$BIN/clidriver" ] || { echo "netns: no drivers in $BIN" >&2; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root to create network namespaces (run as root, or it is skipped)"
[ -x "$IP" ] || skip "no ip command (iproute2)"
if ! command -v nft >/dev/null; then
  echo "netns: installing nftables" >&2
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -q nftables || { apt-get update -q && apt-get install -y -q nftables; }; } \
    >/dev/null 2>&1 || skip "nft is missing and apt-get install nftables failed"
  command -v nft >/dev/null || skip "nft is missing"
fi

# Names unique to this run; everything created is listed in NAMESPACES and deleted on exit.
SUFFIX=$$-$RANDOM
NET="10.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1))"
SW="pxsw-$SUFFIX"
ns() { echo "pxn$1-$SUFFIX"; }
addr() { echo "$NET.$(($1 + 1))"; }
NAMESPACES=()
PIDS=()
FAILED=0
OUT=${2:-}
OUT_IS_TEMP=0
if [ -n "$OUT" ]; then mkdir -p "$OUT" || exit 1
else OUT=$(mktemp -d "${TMPDIR:-/tmp}/paxos-netns.XXXXXX") && OUT_IS_TEMP=1 || exit 1; fi

cleanup() {
  local pid n
  # Each PID is a `timeout` wrapper: it passes TERM on to its driver and KILLs it 2 s later.
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  for n in "${NAMESPACES[@]}"; do "$IP" netns del "$n" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

in_ns() { local n=$1; shift; "$IP" netns exec "$n" "$@"; }

# --- Topology ----------------------------------------------------------------------------------
"$IP" netns add "$SW" 2>"$OUT/netns.err" || skip "cannot create a network namespace: $(cat "$OUT/netns.err")"
NAMESPACES+=("$SW")
in_ns "$SW" true 2>"$OUT/netns.err" || skip "cannot enter a network namespace: $(cat "$OUT/netns.err")"
"$IP" -n "$SW" link add br0 type bridge 2>"$OUT/netns.err" || skip "no bridge support: $(cat "$OUT/netns.err")"
"$IP" -n "$SW" link set br0 up && "$IP" -n "$SW" link set lo up || skip "cannot bring up the bridge"
for ((uid = 0; uid < ALL; uid++)); do
  n=$(ns $uid)
  "$IP" netns add "$n" || skip "cannot create namespace $n"
  NAMESPACES+=("$n")
  "$IP" -n "$SW" link add "v$uid" type veth peer name eth0 netns "$n" 2>"$OUT/netns.err" ||
    skip "no veth support: $(cat "$OUT/netns.err")"
  "$IP" -n "$SW" link set "v$uid" master br0 up &&
    "$IP" -n "$n" link set lo up &&
    "$IP" -n "$n" addr add "$(addr $uid)/24" dev eth0 &&
    "$IP" -n "$n" link set eth0 up || { echo "netns: cannot set up $n" >&2; exit 1; }
  # 20% of incoming UDP is lost on every hop into a process.
  in_ns "$n" nft -f - 2>"$OUT/netns.err" <<EOF || skip "nftables does not work here: $(cat "$OUT/netns.err")"
table inet paxos_loss {
  chain input {
    type filter hook input priority 0; policy accept;
    meta l4proto udp numgen random mod 100 < 20 counter drop
  }
}
EOF
done
{
  echo "# paxos-cpp netns test: one namespace per process on bridge $SW/br0"
  echo "PROPOSERS $PROPOSERS"
  echo "ACCEPTORS $ACCEPTORS"
  echo "LEARNERS $LEARNERS"
  echo "MODE multi"
  for ((uid = 0; uid < ALL; uid++)); do
    kind=con; [ $uid -ge $CONS ] && kind=cli
    echo "$(addr $uid) $PORT $kind"
  done
} >"$OUT/hosts.txt"

# --- Processes ---------------------------------------------------------------------------------
declare -A PID_OF
start_node() {
  (cd "$OUT" && exec timeout -k 2 "$LIMIT" "$IP" netns exec "$(ns $1)" \
    "$BIN/condriver" "$1" --hosts hosts.txt "${NODE_OPTS[@]}" ${CONDRIVER_OPTS:-} >"$1.out" 2>"$1.log") &
  PIDS+=($!); PID_OF[$1]=$!
}
start_client() {  # start_client UID PREFIX COUNT
  seq 1 "$3" | sed "s/^/$2/" >"$OUT/$1.in"
  (cd "$OUT" && exec timeout -k 2 "$LIMIT" "$IP" netns exec "$(ns $1)" \
    "$BIN/clidriver" "$1" - 1 --hosts hosts.txt "${CLIENT_OPTS[@]}" <"$1.in" >"$1.out" 2>"$1.log") &
  PIDS+=($!); PID_OF[$1]=$!
}
running() { kill -0 "${PID_OF[$1]}" 2>/dev/null && [ "$(awk '{print $3}' "/proc/${PID_OF[$1]}/stat" 2>/dev/null)" != Z ]; }

in_minority() { [[ " ${MINORITY[*]} " == *" $1 "* ]]; }
# partition on|off: every namespace drops the other side's datagrams (both directions).
partition() {
  local uid n mine other peer
  for ((uid = 0; uid < ALL; uid++)); do
    n=$(ns $uid)
    if [ "$1" = off ]; then in_ns "$n" nft delete table inet paxos_cut || return 1; continue; fi
    other=()
    for ((peer = 0; peer < ALL; peer++)); do
      if in_minority $uid; then in_minority $peer || other+=("$(addr $peer)")
      else in_minority $peer && other+=("$(addr $peer)"); fi
    done
    mine=$(IFS=,; echo "${other[*]}")
    in_ns "$n" nft -f - <<EOF || return 1
table inet paxos_cut {
  chain input { type filter hook input priority -10; policy accept; ip saddr { $mine } drop; }
  chain output { type filter hook output priority -10; policy accept; ip daddr { $mine } drop; }
}
EOF
  done
}

T0=$(ms)
for ((uid = 0; uid < CONS; uid++)); do start_node $uid; done
# Each node binds exactly its own line's address (not 0.0.0.0, not localhost).
sleep 0.3
for ((uid = 0; uid < CONS; uid++)); do
  bound=""
  for _ in $(seq 20); do
    bound=$(in_ns "$(ns $uid)" ss -Hlun 2>/dev/null | awk '{print $4}' | tr '\n' ' ')
    [ -n "$bound" ] && break
    sleep 0.1
  done
  [ "$bound" = "$(addr $uid):$PORT " ] || fail "node $uid bound '$bound', expected $(addr $uid):$PORT"
done
sleep 0.2  # the election (Chang-Roberts, with 20% loss) settles within a few hundred ms

start_client 7 a "$VALUES"
start_client 8 b "$VALUES"
sleep 0.3
T_CUT=$(ms)
partition on || { fail "cannot install the partition rules"; exit 1; }
echo "netns: partition at $((T_CUT - T0)) ms: {${MINORITY[*]}} cut off from the rest"
start_client 9 c "$CUT_VALUES"
start_client 10 d "$CUT_VALUES"
# The majority side must decide all of client 9's values while the cut lasts.
# At most 12 s, so that the minority's nodes (--idle-timeout 15000) outlast the cut.
deadline=$((T_CUT + 12000))
while running 9 && [ "$(ms)" -lt $deadline ]; do sleep 0.05; done
while [ "$(ms)" -lt $((T_CUT + CUT_MS)) ]; do sleep 0.05; done
running 9 && ! in_minority 9 && fail "client 9 (majority side) did not finish during the partition"
for uid in 5 6 10; do cp "$OUT/$uid.out" "$OUT/$uid.at-heal"; done
T_HEAL=$(ms)
partition off || { fail "cannot remove the partition rules"; exit 1; }
echo "netns: healed at $((T_HEAL - T0)) ms (partition lasted $((T_HEAL - T_CUT)) ms)"

# --- Results -----------------------------------------------------------------------------------
for ((uid = 0; uid < ALL; uid++)); do
  wait "${PID_OF[$uid]}"; rc=$?
  [ $rc = 0 ] || fail "uid $uid exited $rc$([ $rc = 124 ] && echo " (killed after ${LIMIT}s)") (log $OUT/$uid.log)"
done
PIDS=()
T_END=$(ms)

in_minority 10 && [ -s "$OUT/10.at-heal" ] && fail "client 10 (minority side) got decisions during the partition: $(head -3 "$OUT/10.at-heal")"
grep -h "leading with ballot" "$OUT"/[0-9]*.log | sed 's/^[0-9:.]* info  /  /'
for ((uid = CONS; uid < ALL; uid++)); do
  told=$(grep '^decided ' "$OUT/$uid.out" | awk '{print $3}' | sort -u | comm -12 - <(sort "$OUT/$uid.in") | wc -l)
  want=$(wc -l <"$OUT/$uid.in")
  echo "  client $uid$(in_minority $uid && echo ' (minority)'): $told of $want decided"
  [ "$told" = "$want" ] || fail "client $uid was told $told of its $want values decided"
done
cmp -s "$OUT/5.out" "$OUT/6.out" || fail "learners 5 and 6 printed different logs ($(cmp "$OUT/5.out" "$OUT/6.out" 2>&1 | head -1))"
for uid in 5 6; do
  n=$(wc -l <"$OUT/$uid.at-heal")
  head -n "$n" "$OUT/5.out" | cmp -s - "$OUT/$uid.at-heal" ||
    fail "learner $uid's log at the heal is not a prefix of the final log"
  echo "  learner $uid: $n values at the heal, $(wc -l <"$OUT/$uid.out") at the end"
done
dups=$(sort "$OUT/5.out" | uniq -d | wc -l)
missing=$(cat "$OUT"/*.in | sort | comm -23 - <(sort -u "$OUT/5.out") | wc -l)
unknown=$(sort -u "$OUT/5.out" | comm -23 - <(cat "$OUT"/*.in | sort -u) | wc -l)
# Slot order: the values of slot s come before those of any later slot in the learners' log.
order=$(cd "$OUT" && awk 'FNR == NR { pos[$0] = FNR; next }
             $1 == "decided" && ($3 in pos) { p = pos[$3]
               if (!($2 in lo) || p < lo[$2]) lo[$2] = p
               if (!($2 in hi) || p > hi[$2]) hi[$2] = p }
             END { for (s in lo) print s, lo[s], hi[s] }' \
  5.out 7.out 8.out 9.out 10.out | sort -n | awk 'NR > 1 && $2 <= last { bad++ } { last = $3 } END { print bad + 0 }')
echo "  log: $(wc -l <"$OUT/5.out") values: $dups twice, $missing missing, $unknown unknown, $order slots out of order"
[ "$dups$missing$unknown$order" = 0000 ] || fail "the learners' log is wrong"
drops=$(grep -ho 'wrong-sender [0-9]*' "$OUT"/*.log | awk '{s += $2} END {print s + 0}')
[ "$drops" = 0 ] || fail "$drops datagrams dropped as wrong-sender: source addresses do not match hosts.txt"
lost=$(for ((uid = 0; uid < ALL; uid++)); do in_ns "$(ns $uid)" nft list table inet paxos_loss; done 2>/dev/null |
  grep -o 'packets [0-9]*' | awk '{s += $2} END {print s + 0}')
echo "netns: done in $((T_END - T0)) ms; nftables dropped $lost datagrams; output in $OUT"

if [ $FAILED = 0 ]; then
  echo "netns: PASS"
  [ "${KEEP:-0}" = 1 ] || [ $OUT_IS_TEMP = 0 ] || rm -rf "$OUT"
  exit 0
fi
echo "netns: FAILED (logs kept in $OUT)"
exit 1
