# Helpers shared by the network-namespace tests (netns_test.sh, reach_test.sh); sourced, not run.
#
# Topology: one "switch" namespace holds a bridge; every node and client namespace holds one end
# of a veth pair (eth0, 10.A.B.(UID+1)/24), the other end is a port of that bridge. Nothing is
# created in, or read from, the root namespace: the host's interfaces and routes are untouched.
# Every namespace drops LOSS% (default 20) of incoming UDP with an nftables numgen rule.
#
# Cluster (hosts.txt, MODE multi): proposers 0-1 (1 leads), acceptors 2-4, learners 5-6,
# clients 7-10.
#
# A test sets TEST (its name in messages), sources this file, then calls
#   netns_setup "$@"     arguments [BINDIR [OUTDIR]], checks (exit 77 when it cannot run), trap;
#                        BINDIR must hold DRIVERS (default "condriver clidriver")
#   netns_topology       namespaces, bridge, loss rules, OUT/hosts.txt (with HTTP_PORT set: a
#                        service, every learner line carries ADDRESS:HTTP_PORT, no client lines)
#   start_node UID, start_client UID PREFIX COUNT, running UID, wait_bound, wait_for ...
#   check_exits, check_clients, check_log, check_senders, netns_finish
# Rules kept here: only addresses in namespaces this run created are bound, every wait has a
# deadline, only PIDs started here are signalled, every namespace is deleted on exit.

TEST=${TEST:-netns}
LIMIT=${LIMIT:-60}
LOSS=${LOSS:-20}
IP=$(command -v ip || echo /usr/sbin/ip)
PORT=7000
PROPOSERS=2 ACCEPTORS=3 LEARNERS=2 CLIENTS=4
CONS=$((PROPOSERS + ACCEPTORS + LEARNERS))
ALL=$((CONS + CLIENTS))
NODE_OPTS=(--duplicate 0.1 --delay 1:3 --idle-timeout 15000)
CLIENT_OPTS=(--timeout 20000)

skip() {
  echo "$TEST: SKIPPED: $*" >&2
  [ "${OUT_IS_TEMP:-0}" = 1 ] && rm -rf "$OUT"
  exit 77
}
fail() { echo "$TEST: FAIL: $*" >&2; FAILED=1; }
ms() { echo $(($(date +%s%N) / 1000000)); }

netns_setup() {
  ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  BIN=$(cd "${1:-$ROOT/build/bin}" 2>/dev/null && pwd) || { echo "$TEST: no bin dir ${1:-}" >&2; exit 1; }
  local driver
  for driver in ${DRIVERS:-condriver clidriver}; do
    [ -x "$BIN/$driver" ] || { echo "$TEST: no $driver in $BIN" >&2; exit 1; }
  done
  [ "$(id -u)" = 0 ] || skip "needs root to create network namespaces (run as root, or it is skipped)"
  [ -x "$IP" ] || skip "no ip command (iproute2)"
  if ! command -v nft >/dev/null; then
    echo "$TEST: installing nftables" >&2
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y -q nftables || { apt-get update -q && apt-get install -y -q nftables; }; } \
      >/dev/null 2>&1 || skip "nft is missing and apt-get install nftables failed"
    command -v nft >/dev/null || skip "nft is missing"
  fi

  # Names unique to this run; everything created is listed in NAMESPACES and deleted on exit.
  SUFFIX=$$-$RANDOM
  NET="10.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1))"
  SW="pxsw-$SUFFIX"
  NAMESPACES=()
  PIDS=()
  declare -gA PID_OF=()
  FAILED=0
  OUT=${2:-}
  OUT_IS_TEMP=0
  if [ -n "$OUT" ]; then mkdir -p "$OUT" || exit 1
  else OUT=$(mktemp -d "${TMPDIR:-/tmp}/paxos-$TEST.XXXXXX") && OUT_IS_TEMP=1 || exit 1; fi
  trap cleanup EXIT
  trap 'exit 1' INT TERM HUP
}

ns() { echo "pxn$1-$SUFFIX"; }
addr() { echo "$NET.$(($1 + 1))"; }
in_ns() { local n=$1; shift; "$IP" netns exec "$n" "$@"; }

cleanup() {
  local pid n
  # Each PID is a `timeout` wrapper: it passes TERM on to its driver and KILLs it 2 s later.
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  for n in "${NAMESPACES[@]}"; do "$IP" netns del "$n" 2>/dev/null; done
}

netns_topology() {
  local uid n kind http
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
      "$IP" -n "$n" link set eth0 up || { echo "$TEST: cannot set up $n" >&2; exit 1; }
    # LOSS% of incoming UDP is lost on every hop into a process.
    in_ns "$n" nft -f - 2>"$OUT/netns.err" <<EOF || skip "nftables does not work here: $(cat "$OUT/netns.err")"
table inet paxos_loss {
  chain input {
    type filter hook input priority 0; policy accept;
    meta l4proto udp numgen random mod 100 < $LOSS counter drop
  }
}
EOF
  done
  {
    echo "# paxos-cpp $TEST test: one namespace per process on bridge $SW/br0"
    echo "PROPOSERS $PROPOSERS"
    echo "ACCEPTORS $ACCEPTORS"
    echo "LEARNERS $LEARNERS"
    echo "MODE multi"
    for ((uid = 0; uid < ALL; uid++)); do
      if [ -n "${HTTP_PORT:-}" ]; then
        # Service mode: learners carry their HTTP address; clients speak HTTP, not in the file.
        [ $uid -ge $CONS ] && continue
        http=""; [ $uid -ge $((PROPOSERS + ACCEPTORS)) ] && http=" $(addr $uid):$HTTP_PORT"
        echo "$(addr $uid) $PORT con$http"
      else
        kind=con; [ $uid -ge $CONS ] && kind=cli
        echo "$(addr $uid) $PORT $kind"
      fi
    done
  } >"$OUT/hosts.txt"
}

# --- Processes ---------------------------------------------------------------------------------
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

# wait_for MS COMMAND...: poll COMMAND every 50 ms until it succeeds (0) or MS pass (1).
wait_for() {
  local deadline=$(($(ms) + $1)); shift
  until "$@"; do
    [ "$(ms)" -lt $deadline ] || return 1
    sleep 0.05
  done
}

# Each node binds exactly its own line's address (not 0.0.0.0, not localhost): polled, 3 s each.
bound_addr() { in_ns "$(ns $1)" ss -Hlun 2>/dev/null | awk '{print $4}' | tr '\n' ' '; }
is_bound() { [ -n "$(bound_addr "$1")" ]; }
wait_bound() {
  local uid bound
  for ((uid = 0; uid < CONS; uid++)); do
    wait_for 3000 is_bound $uid
    bound=$(bound_addr $uid)
    [ "$bound" = "$(addr $uid):$PORT " ] || fail "node $uid bound '$bound', expected $(addr $uid):$PORT"
  done
}
# leads UID: proposer UID has logged that it leads (a promise from a majority for every slot).
leads() { grep -q "leading with ballot" "$OUT/$1.log" 2>/dev/null; }
# decisions UID: how many decisions client UID has been told of so far.
decisions() { local c; c=$(grep -c '^decided ' "$OUT/$1.out" 2>/dev/null); echo "${c:-0}"; }
has_decision() { [ "$(decisions "$1")" -gt 0 ]; }

# --- Checks ------------------------------------------------------------------------------------
# check_exits: wait for every process (each is bounded by LIMIT) and require exit 0.
check_exits() {
  local uid rc
  for ((uid = 0; uid < ALL; uid++)); do
    [ -n "${PID_OF[$uid]:-}" ] || continue
    wait "${PID_OF[$uid]}"; rc=$?
    [ $rc = 0 ] || fail "uid $uid exited $rc$([ $rc = 124 ] && echo " (killed after ${LIMIT}s)") (log $OUT/$uid.log)"
  done
  PIDS=()
}
# check_clients [LABEL-FUNCTION]: every client was told each of its values decided.
check_clients() {
  local uid told want
  for ((uid = CONS; uid < ALL; uid++)); do
    told=$(grep '^decided ' "$OUT/$uid.out" | awk '{print $3}' | sort -u | comm -12 - <(sort "$OUT/$uid.in") | wc -l)
    want=$(wc -l <"$OUT/$uid.in")
    echo "  client $uid$(${1:-true} $uid): $told of $want decided"
    [ "$told" = "$want" ] || fail "client $uid was told $told of its $want values decided"
  done
}
# check_log: both learners print the same log, holding every client value exactly once, in the
# slot order the clients were told.
check_log() {
  local dups missing unknown order clients=()
  cmp -s "$OUT/5.out" "$OUT/6.out" || fail "learners 5 and 6 printed different logs ($(cmp "$OUT/5.out" "$OUT/6.out" 2>&1 | head -1))"
  dups=$(sort "$OUT/5.out" | uniq -d | wc -l)
  missing=$(cat "$OUT"/*.in | sort | comm -23 - <(sort -u "$OUT/5.out") | wc -l)
  unknown=$(sort -u "$OUT/5.out" | comm -23 - <(cat "$OUT"/*.in | sort -u) | wc -l)
  for ((uid = CONS; uid < ALL; uid++)); do clients+=("$uid.out"); done
  # Slot order: the values of slot s come before those of any later slot in the learners' log.
  order=$(cd "$OUT" && awk 'FNR == NR { pos[$0] = FNR; next }
               $1 == "decided" && ($3 in pos) { p = pos[$3]
                 if (!($2 in lo) || p < lo[$2]) lo[$2] = p
                 if (!($2 in hi) || p > hi[$2]) hi[$2] = p }
               END { for (s in lo) print s, lo[s], hi[s] }' \
    5.out "${clients[@]}" | sort -n | awk 'NR > 1 && $2 <= last { bad++ } { last = $3 } END { print bad + 0 }')
  echo "  log: $(wc -l <"$OUT/5.out") values: $dups twice, $missing missing, $unknown unknown, $order slots out of order"
  [ "$dups$missing$unknown$order" = 0000 ] || fail "the learners' log is wrong"
}
# check_senders: no datagram was dropped because its source address did not match hosts.txt.
check_senders() {
  local drops
  drops=$(grep -ho 'wrong-sender [0-9]*' "$OUT"/*.log | awk '{s += $2} END {print s + 0}')
  [ "$drops" = 0 ] || fail "$drops datagrams dropped as wrong-sender: source addresses do not match hosts.txt"
}
# lost_count TABLE: datagrams the nftables TABLE's counters dropped, over every namespace.
lost_count() {
  local uid
  for ((uid = 0; uid < ALL; uid++)); do in_ns "$(ns $uid)" nft list table inet "$1"; done 2>/dev/null |
    grep -o 'packets [0-9]*' | awk '{s += $2} END {print s + 0}'
}

netns_finish() {
  if [ $FAILED = 0 ]; then
    echo "$TEST: PASS"
    [ "${KEEP:-0}" = 1 ] || [ $OUT_IS_TEMP = 0 ] || rm -rf "$OUT"
    exit 0
  fi
  echo "$TEST: FAILED (logs kept in $OUT)"
  exit 1
}
