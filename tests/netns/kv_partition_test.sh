#!/usr/bin/env bash
# The key-value service stays linearizable through partitions that heal (issue 14, point 5),
# over real network hops: every node in its own namespace (tests/netns/lib.sh), the history
# recorder in a further one that reaches every node throughout.
#
# Cluster (service mode, docs/KV.md): proposers 0-1, acceptors 2-4, learners 5-7 each serving
# HTTP on ADDRESS:8080; paxos-lincheck records from namespace 8 against all three learners.
#
#   1. The nodes start; once every learner answers a linearizable read, `paxos-lincheck record`
#      runs RECORD_S (22) s: RECORD_CLIENTS (8) clients, KEYS (10) keys, random learner per op.
#   2. Phase A: {acceptor 4, learner 7} is cut off (every node namespace drops the other
#      side's traffic, both ways) for CUT_MS (5000) ms, then healed.
#   3. Once learner 7 has caught up, phase B: {the leading proposer, acceptor 2, learner 6} is
#      cut off for CUT_MS, then healed: the other proposer must take over.
#   4. When the recorder is done, every key is read (linearizably) on every learner and those
#      reads are appended to the history.
#
# Checks: `paxos-lincheck check` finds 0 anomalies in the history with the final reads; no
# acknowledged write is lost (each key's final version is at least its last acknowledged
# write's) and each replica's stale read equals the linearizable one; during each cut the
# cut-off learner applies no slot, answers none of the recorder's ops with a 2xx, answers every
# probe write with 503 or 504, while the majority side acknowledges writes (probes and
# recorder); after each heal the cut-off learner's applied slot reaches what the others had
# applied at the heal within CATCHUP_MS (5000); in the end all three learners have applied the
# same slot; every node is still running and exits 0 on SIGTERM.
#
# usage: tests/netns/kv_partition_test.sh [BINDIR [OUTDIR]]   (BINDIR defaults to build/bin)
# Exit 0 pass, 1 fail, 77 skipped (not root, no namespaces/veth/bridge/nftables, no python3).
# Env: RECORD_S, CUT_MS, CATCHUP_MS, RECORD_CLIENTS, KEYS, SEED (recorder, default 1), LOSS (percent
# of UDP lost per hop, default 0), LIMIT (seconds any process may run, default 90), KEEP=1,
# CONDRIVER_OPTS.
set -u

TEST=kv-partition
LIMIT=${LIMIT:-90}
LOSS=${LOSS:-0}
DRIVERS="condriver paxos-lincheck"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROPOSERS=2 ACCEPTORS=3 LEARNERS=3 CLIENTS=1
CONS=$((PROPOSERS + ACCEPTORS + LEARNERS)) ALL=$((CONS + CLIENTS))
HTTP_PORT=8080
REC=$CONS  # the recorder's namespace
RECORD_S=${RECORD_S:-22}
CUT_MS=${CUT_MS:-5000}
CATCHUP_MS=${CATCHUP_MS:-5000}
RECORD_CLIENTS=${RECORD_CLIENTS:-8}
KEYS=${KEYS:-10}
SEED=${SEED:-1}
# A command not applied in 2 s is answered 504; the recorder waits 3 s, so it sees the 504.
NODE_OPTS=(--duplicate 0.05 --delay 1:2 --request-timeout 2000)
PY=$(command -v python3) || skip "no python3 (the history helpers need it)"
HELPER="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kv_history.py"

netns_setup "$@"
netns_topology

url() { echo "http://$(addr $1):$HTTP_PORT"; }
URLS="$(url 5),$(url 6),$(url 7)"
# Everything HTTP goes from the recorder's namespace, which the cuts never touch.
helper() { in_ns "$(ns $REC)" "$PY" "$HELPER" "$@"; }
# status UID: "applied leader unavailable timeouts commands-applied" of learner UID.
status() { helper status "$(url $1)"; }
applied() { status "$1" | awk '{print $1}'; }
leader_of() { status "$1" | awk '{print $2}'; }
rel() { echo $(($(ms) - T_REC)); }  # ms on (about) the recorder's clock

CUT_AT=0 HEAL_AT=0 LEADERS=""
in_set() { local x=$1; shift; [[ " $* " == *" $x "* ]]; }
# cut on|off UID...: every node namespace drops the traffic between UID... and the other nodes
# (input and output); the recorder's namespace is on neither side.
cut() {
  local mode=$1 uid peer n other; shift
  for ((uid = 0; uid < CONS; uid++)); do
    n=$(ns $uid)
    if [ "$mode" = off ]; then in_ns "$n" nft delete table inet paxos_cut || return 1; continue; fi
    other=()
    for ((peer = 0; peer < CONS; peer++)); do
      if in_set $uid "$@"; then in_set $peer "$@" || other+=("$(addr $peer)")
      else in_set $peer "$@" && other+=("$(addr $peer)"); fi
    done
    in_ns "$n" nft -f - <<EOF || return 1
table inet paxos_cut {
  chain input { type filter hook input priority -10; policy accept; ip saddr { $(IFS=,; echo "${other[*]}") } counter drop; }
  chain output { type filter hook output priority -10; policy accept; ip daddr { $(IFS=,; echo "${other[*]}") } counter drop; }
}
EOF
  done
}

ready() { local c; c=$(helper probe "$(url $1)" ready-probe x "ready-$1"); [ "$c" = 200 ] || [ "$c" = 201 ]; }
applied_grew() { [ "$(applied 5)" -ge "$1" ] 2>/dev/null; }
caught_up() { [ "$(applied "$1")" -ge "$2" ] 2>/dev/null; }

# phase NAME CUT_LEARNER CUT_UIDS...: cut, hold CUT_MS while probing, heal, wait for catch-up.
# Sets CUT_AT and HEAL_AT (recorder clock, ms) and LEADERS (what the majority learner named as
# leader during the cut).
phase() {
  local name=$1 learner=$2; shift 2
  local majority=5 before after t_cut t_heal t_end probes=0 cut_bad=0 cut_codes="" maj_n=0 maj_ok=0 code
  LEADERS=""
  [ "$learner" = 5 ] && majority=6
  local t_install; t_install=$(ms)
  cut on "$@" || { fail "cannot install the cut of phase $name"; return 1; }
  t_cut=$(rel)
  echo "$TEST: phase $name: {$*} cut off at $t_cut ms (recorder clock; rules installed in $((t_cut + T_REC - t_install)) ms)"
  before=$(status "$learner")
  # Hold the cut for CUT_MS; meanwhile one write to the cut-off learner and one to the
  # majority side at a time. A write to the cut-off learner starts only if its 504 (2 s) would
  # still come before the heal.
  t_end=$((T_REC + t_cut + CUT_MS))
  while [ "$(ms)" -lt $t_end ]; do
    probes=$((probes + 1))
    if [ $((t_end - $(ms))) -gt 2500 ]; then
      code=$(helper probe "$(url "$learner")" "probe-$name" "p$probes" "probe-$name-cut-$probes")
      cut_codes="${cut_codes:+$cut_codes }$code"
      [ "$code" = 503 ] || [ "$code" = 504 ] || cut_bad=$((cut_bad + 1))
    fi
    [ $((t_end - $(ms))) -gt 500 ] || break
    maj_n=$((maj_n + 1))
    code=$(helper probe "$(url $majority)" "probe-$name" "m$probes" "probe-$name-maj-$probes")
    [ "$code" = 200 ] || [ "$code" = 201 ] && maj_ok=$((maj_ok + 1))
    code=$(leader_of $majority)
    [[ " $LEADERS " == *" $code "* ]] || LEADERS+=" $code"
    [ $((t_end - $(ms))) -gt 100 ] && sleep 0.1
  done
  after=$(status "$learner")
  t_heal=$(rel)
  cut off "$@" || { fail "cannot remove the cut of phase $name"; return 1; }
  CUT_AT=$t_cut HEAL_AT=$t_heal
  echo "  probe writes to learner $learner (cut off): ${cut_codes:-none}"
  echo "  probe writes to learner $majority (majority): $maj_ok of $maj_n acknowledged; its leader:$LEADERS"
  [ -n "$cut_codes" ] && [ $cut_bad = 0 ] || fail "phase $name: the cut-off learner answered writes with: ${cut_codes:-nothing}"
  [ $maj_ok -gt 0 ] || fail "phase $name: the majority side acknowledged no probe write"
  # applied leader unavailable timeouts commands-applied, at the cut and at the heal.
  read -r a0 _ u0 x0 c0 <<<"$before"
  read -r a1 _ u1 x1 c1 <<<"$after"
  echo "  learner $learner during the cut: applied slot $a0 -> $a1, answered $((u1 - u0)) 503, $((x1 - x0)) 504, $((c1 - c0)) applied commands"
  [ "$a0" = "$a1" ] && [ "$c0" = "$c1" ] || fail "phase $name: the cut-off learner applied slots or commands while cut off"
  # Catch-up: reach what the others had applied at the heal.
  local target=0 a uid
  for uid in 5 6 7; do
    [ $uid = "$learner" ] && continue
    a=$(applied $uid); [ "${a:-0}" -gt $target ] 2>/dev/null && target=$a
  done
  local t0; t0=$(ms)
  if wait_for "$CATCHUP_MS" caught_up "$learner" "$target"; then
    echo "  healed at $t_heal ms; learner $learner reached slot $target (the others' at the heal) in $(($(ms) - t0)) ms"
  else
    fail "phase $name: learner $learner did not reach slot $target within $CATCHUP_MS ms of the heal (at $(applied "$learner"))"
  fi
}

T0=$(ms)
for ((uid = 0; uid < CONS; uid++)); do start_node $uid; done
wait_bound
for uid in 5 6 7; do
  wait_for 10000 ready $uid || { fail "learner $uid did not acknowledge a write within 10 s"; netns_finish; }
done
echo "$TEST: service up in $(($(ms) - T0)) ms; leader: proposer $(leader_of 5)"

start_applied=$(applied 5)
T_REC=$(ms)
(cd "$OUT" && exec timeout -k 2 "$LIMIT" "$IP" netns exec "$(ns $REC)" "$BIN/paxos-lincheck" record \
  --urls "$URLS" --clients "$RECORD_CLIENTS" --keys "$KEYS" --seconds "$RECORD_S" --seed "$SEED" \
  --timeout-ms 3000 --out history.jsonl >record.out 2>record.log) &
REC_PID=$!
PIDS+=($REC_PID)
# The cut starts once the recorder's writes flow (20 slots applied).
wait_for 5000 applied_grew $((start_applied + 20)) || fail "the recorder's ops were not applied within 5 s"

phase A 7 4 7
CUT_A=$CUT_AT HEAL_A=$HEAL_AT
L=$(leader_of 5)
[ "$L" = 0 ] || [ "$L" = 1 ] || { fail "no leader known before phase B ($L)"; L=1; }
phase B 6 "$L" 2 6
CUT_B=$CUT_AT HEAL_B=$HEAL_AT
[[ " $LEADERS " == *" $((1 - L)) "* ]] ||
  fail "phase B: proposer $((1 - L)) never led the majority while proposer $L was cut off"
# The recorder must still run for a while after the last heal (the "after" phase).
[ "$HEAL_B" -le $((RECORD_S * 1000 - 2000)) ] ||
  fail "phase B healed at $HEAL_B ms, less than 2 s before the recorder stopped (RECORD_S $RECORD_S too short)"

wait "$REC_PID"; rc=$?
[ $rc = 0 ] || fail "paxos-lincheck record exited $rc ($OUT/record.log)"
T_END=$(rel)
echo "$TEST: $(cat "$OUT/record.out")"

# --- Checks ------------------------------------------------------------------------------------
for uid in $(seq 0 $((CONS - 1))); do running $uid || fail "node $uid died ($OUT/$uid.log)"; done
helper final "$OUT/history.jsonl" "$OUT/history-final.jsonl" "$(url 5)" "$(url 6)" "$(url 7)" ||
  fail "final reads: a write was lost or a replica differs"
same_applied() { local a5 a6 a7; a5=$(applied 5); a6=$(applied 6); a7=$(applied 7); [ "$a5" = "$a6" ] && [ "$a6" = "$a7" ]; }
wait_for 5000 same_applied || fail "learners 5-7 applied different slots in the end"
echo "  applied slot in the end: learner 5 $(applied 5), 6 $(applied 6), 7 $(applied 7)"
helper summary "$OUT/history.jsonl" "before:0:$CUT_A:-" "cut-A:$CUT_A:$HEAL_A:$(url 7)" \
  "healed-A:$HEAL_A:$CUT_B:-" "cut-B:$CUT_B:$HEAL_B:$(url 6)" "after:$HEAL_B:$T_END:-" ||
  fail "the cut-off learner answered 2xx during its cut, or the majority acknowledged nothing"
check=$(timeout 60 "$BIN/paxos-lincheck" check "$OUT/history-final.jsonl" 2>"$OUT/check.log"); rc=$?
echo "  lincheck (with the final reads): $check"
[ $rc = 0 ] || fail "paxos-lincheck check exited $rc: $check"

# Every node ends on one SIGTERM (what an operator or systemd sends), with status 0. The
# signal goes to the node itself, not to its `timeout` wrapper, which would send it twice (to
# the node, then to its process group): a node that has finished shutting down and restored
# the default action by the second one dies of it (status 143).
node_pid() { local c; c=$(cat "/proc/$1/task/$1/children" 2>/dev/null); echo "${c%% *}"; }
for ((uid = 0; uid < CONS; uid++)); do
  pid=$(node_pid "${PID_OF[$uid]}")
  kill -TERM "${pid:-${PID_OF[$uid]}}" 2>/dev/null
done
for ((uid = 0; uid < CONS; uid++)); do
  wait "${PID_OF[$uid]}"; rc=$?
  [ $rc = 0 ] || fail "node $uid exited $rc on SIGTERM ($OUT/$uid.log)"
done
PIDS=()
echo "$TEST: done in $(($(ms) - T0)) ms; output in $OUT"
netns_finish
