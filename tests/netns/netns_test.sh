#!/usr/bin/env bash
# Real network hops: a multi-mode cluster with every process in its own network namespace.
#
# Topology and helpers: tests/netns/lib.sh (one namespace per process, veth pairs on a bridge in
# a namespace of its own; nothing is created in, or read from, the root namespace).
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
#      LOSS (percent of incoming UDP lost in every namespace, default 20),
#      CONDRIVER_OPTS (more condriver options, e.g. --debug), MINORITY (UIDs cut off, "1 4 6 8 10").
set -u

TEST=netns
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
VALUES=${VALUES:-150}
CUT_VALUES=${CUT_VALUES:-50}
CUT_MS=${CUT_MS:-1500}
# The leader proposer, one acceptor of three, one learner and two clients (env MINORITY overrides).
read -r -a MINORITY <<<"${MINORITY:-1 4 6 8 10}"

netns_setup "$@"
netns_topology

in_minority() { [[ " ${MINORITY[*]} " == *" $1 "* ]]; }
minority_label() { in_minority "$1" && echo ' (minority)'; }
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
wait_bound
# The election (Chang-Roberts, with 20% loss) settles within a few hundred ms: proposer 1 leads.
wait_for 5000 leads 1 || fail "proposer 1 did not take the lead within 5 s"

start_client 7 a "$VALUES"
start_client 8 b "$VALUES"
# Both clients are streaming (each has had a value decided) before the cut.
wait_for 5000 has_decision 7 && wait_for 5000 has_decision 8 ||
  fail "clients 7 and 8 had nothing decided within 5 s"
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
check_exits
T_END=$(ms)

in_minority 10 && [ -s "$OUT/10.at-heal" ] && fail "client 10 (minority side) got decisions during the partition: $(head -3 "$OUT/10.at-heal")"
grep -h "leading with ballot" "$OUT"/[0-9]*.log | sed 's/^[0-9:.]* info  /  /'
check_clients minority_label
for uid in 5 6; do
  n=$(wc -l <"$OUT/$uid.at-heal")
  head -n "$n" "$OUT/5.out" | cmp -s - "$OUT/$uid.at-heal" ||
    fail "learner $uid's log at the heal is not a prefix of the final log"
  echo "  learner $uid: $n values at the heal, $(wc -l <"$OUT/$uid.out") at the end"
done
check_log
check_senders
echo "netns: done in $((T_END - T0)) ms; nftables dropped $(lost_count paxos_loss) datagrams; output in $OUT"
netns_finish
