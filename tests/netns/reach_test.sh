#!/usr/bin/env bash
# Leadership follows reachability, over real network hops (issue 13): one-way and partial cuts
# between namespaces, made with nftables input rules (a namespace drops what it receives from
# the addresses cut off; what it sends still arrives).
#
# Topology and helpers: tests/netns/lib.sh. Cluster (MODE multi): proposers 0-1 (1, the highest,
# leads first), acceptors 2-4, learners 5-6, clients 7-10 (all asking proposer 1 first). Every
# namespace drops LOSS% (20) of incoming UDP; the nodes add --duplicate 0.1 --delay 1:3.
#
# Scenario (first argument):
#   A  the acceptors cannot hear proposer 1 (their namespaces drop its datagrams); proposer 0,
#      the learners and the clients still hear it, and it hears everyone.
#   B  proposer 1 cannot hear the acceptors (its namespace drops theirs); they still hear it.
#   C  proposers 0 and 1 cannot hear each other (each drops the other's datagrams); both reach
#      the acceptors and everyone else.
#
#   1. The nodes start; proposer 1 leads. Clients 7 and 8 stream VALUES values each.
#   2. Once client 7 has a value decided, the cut is installed; clients 9 and 10 then stream
#      CUT_VALUES values each, through proposer 1 first (in C only LATE_MS, 2 s, after the cut).
#   3. Every client must have all its values decided within DECIDE_MS of the cut; in A and B
#      proposer 0 must take over (proposer 1 cannot lead, and must stop being the one everyone
#      forwards to). The cut is never healed.
#
# Checks: every process exits 0; each node bound its own address; both learners print the same
# log holding every client value exactly once, in the slot order the clients were told; in C,
# the proposers started phase 1 (a new ballot) at most MAX_BALLOTS times over the whole run
# (a duel starts one after every NACK). Printed: time from the cut to proposer 0 leading and to
# the last decision, phase-1 starts and NACKs per proposer, datagrams cut.
#
# usage: tests/netns/reach_test.sh A|B|C [BINDIR [OUTDIR]]   (BINDIR defaults to build/bin)
# Exit 0 pass, 1 fail, 77 skipped (not root, no namespaces, no veth/bridge/nftables).
# Env: VALUES (clients 7-8, default 1000), CUT_VALUES (clients 9-10, default 500), DECIDE_MS
#      (default 15000), MAX_BALLOTS (C, default 3), LATE_MS (C 2000, else 0), WINDOW (clients'
#      --window, 64), LIMIT (seconds any process may run, default 30), LOSS (percent, default
#      20), KEEP=1 keeps OUTDIR after a pass, CONDRIVER_OPTS.
set -u

SCENARIO=${1:-}
case "$SCENARIO" in
  A | B | C) shift ;;
  *) echo "usage: $0 A|B|C [BINDIR [OUTDIR]]" >&2; exit 1 ;;
esac
TEST=reach-$SCENARIO
LIMIT=${LIMIT:-30}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
VALUES=${VALUES:-1000}
CUT_VALUES=${CUT_VALUES:-500}
DECIDE_MS=${DECIDE_MS:-15000}
MAX_BALLOTS=${MAX_BALLOTS:-3}
LATE_MS=${LATE_MS:-$([ "$SCENARIO" = C ] && echo 2000 || echo 0)}
NODE_OPTS=(--duplicate 0.1 --delay 1:3 --idle-timeout 10000)
# --latency: each decided line carries the value's wait, from its first send to its answer.
CLIENT_OPTS=(--timeout 20000 --window "${WINDOW:-64}" --latency)

netns_setup "$@"
netns_topology

# drop_from UID ADDRESSES...: UID's namespace drops every datagram it receives from ADDRESSES.
drop_from() {
  local n=$1; shift
  in_ns "$(ns $n)" nft -f - <<EOF
table inet paxos_cut {
  chain input { type filter hook input priority -10; policy accept; ip saddr { $(IFS=,; echo "$*") } counter drop; }
}
EOF
}
cut() {
  case "$SCENARIO" in
    A) for a in 2 3 4; do drop_from $a "$(addr 1)" || return 1; done ;;
    B) drop_from 1 "$(addr 2)" "$(addr 3)" "$(addr 4)" ;;
    C) drop_from 0 "$(addr 1)" && drop_from 1 "$(addr 0)" ;;
  esac
}
describe() {
  case "$SCENARIO" in
    A) echo "acceptors 2-4 drop everything from proposer 1" ;;
    B) echo "proposer 1 drops everything from acceptors 2-4" ;;
    C) echo "proposers 0 and 1 drop everything from each other" ;;
  esac
}
clients_done() {
  local uid
  for ((uid = CONS; uid < ALL; uid++)); do running $uid && return 1; done
  return 0
}

T0=$(ms)
for ((uid = 0; uid < CONS; uid++)); do start_node $uid; done
wait_bound
wait_for 5000 leads 1 || fail "proposer 1 did not take the lead within 5 s"
start_client 7 a "$VALUES"
start_client 8 b "$VALUES"
wait_for 5000 has_decision 7 || fail "client 7 had nothing decided within 5 s"

T_CUT=$(ms)
cut || { fail "cannot install the cut"; exit 1; }
echo "$TEST: cut at $((T_CUT - T0)) ms: $(describe)"
# Proposer 0 leading counts from its first "leading with ballot" line after the cut.
leads_before=$(grep -c "leading with ballot" "$OUT/0.log")
took_over() { [ "$(grep -c "leading with ballot" "$OUT/0.log")" -gt "$leads_before" ]; }
# In C the cut lasts LATE_MS before the last values arrive, long enough for a duel to show
# (each round of one takes about leaderTimeout, 200 ms): a held cut, not a synchronisation.
[ "$LATE_MS" -gt 0 ] && sleep "$(awk "BEGIN { print $LATE_MS / 1000 }")"
start_client 9 c "$CUT_VALUES"
start_client 10 d "$CUT_VALUES"
T_TAKEOVER="" T_DECIDED=""
deadline=$((T_CUT + DECIDE_MS))
while :; do
  [ -z "$T_TAKEOVER" ] && took_over && T_TAKEOVER=$(ms)
  clients_done && { T_DECIDED=$(ms); break; }
  [ "$(ms)" -lt $deadline ] || break
  sleep 0.05
done
# In A and B proposer 1 cannot lead: proposer 0 must take over (2 s more if the clients were
# done first).
if [ "$SCENARIO" != C ] && [ -z "$T_TAKEOVER" ]; then
  wait_for 2000 took_over && T_TAKEOVER=$(ms)
  [ -n "$T_TAKEOVER" ] || fail "proposer 0 did not take over from proposer 1"
fi
echo "  proposer 0 leading: $([ -n "$T_TAKEOVER" ] && echo "$((T_TAKEOVER - T_CUT)) ms after the cut" || echo never)"

if [ -n "$T_DECIDED" ]; then
  echo "  every client done $((T_DECIDED - T_CUT)) ms after the cut"
  check_exits
else
  fail "the clients were not all done within $DECIDE_MS ms of the cut"
fi
T_END=$(ms)

# --- Results -----------------------------------------------------------------------------------
check_clients
# The longest any value waited from its first send to its answer: the stall around the cut.
slowest=$(cat "$OUT"/{7,8,9,10}.out 2>/dev/null | awk '$1 == "decided" && $4 > m { m = $4 } END { print int(m / 1000) }')
echo "  slowest value: answered $slowest ms after its first send"
ballots=0
for p in 0 1; do
  starts=$(grep -c "phase 1 for every slot" "$OUT/$p.log")
  nacks=$(grep -c "NACKed" "$OUT/$p.log")
  ballots=$((ballots + starts))
  echo "  proposer $p: $starts phase-1 starts, $nacks NACKed, last: $(grep -h "phase 1 for every slot" "$OUT/$p.log" | tail -1 | sed 's/^.*ballot \([0-9.]*\):.*/\1/')"
done
echo "  ballots: $ballots phase-1 starts in all"
[ "$SCENARIO" != C ] || [ $ballots -le "$MAX_BALLOTS" ] ||
  fail "$ballots phase-1 starts (more than $MAX_BALLOTS): the proposers duelled"
if [ -n "$T_DECIDED" ]; then
  check_log
  check_senders
fi
echo "$TEST: done in $((T_END - T0)) ms; nftables lost $(lost_count paxos_loss) datagrams and cut $(lost_count paxos_cut); output in $OUT"
netns_finish
