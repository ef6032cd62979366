#!/usr/bin/env bash
# A replicated log (MODE multi): 2 proposers (UIDs 0-1, 1 leads while alive), 3 acceptors (2-4),
# 2 learners (5-6) and 2 clients (7-8) streaming VALUES values each (a1.., b1..) through
# `clidriver UID -`. Reports who led, each node's log length, each client's decisions, and
# checks that the learners printed the same log, holding every client value once and in the
# order of the slots the clients were told. Try KILL=1 KILL_AFTER_MS=100 (the leader, mid-stream).
# usage: ./run/multi.sh [PORTBASE]    env: VALUES=100, and as run.sh
set -u
source "$(dirname "$0")/common.sh"
PROPOSERS=2 ACCEPTORS=3 LEARNERS=2
LEARNER_UIDS=(5 6)
CLIENT_UIDS=(7 8)
PREFIXES=(a b)
VALUES=${VALUES:-100}

# The learners' logs agree, hold each value of a surviving client once, nothing nobody proposed,
# and order the values as the clients' `decided SLOT VALUE` lines do. Prints what it found.
check_logs() {
  local status=0 live=() uid ref dups missing unknown order
  for uid in "${LEARNER_UIDS[@]}"; do to_kill "$uid" || live+=("$uid"); done
  [ ${#live[@]} = 0 ] && { echo "log: every learner was killed"; return 1; }
  ref=${live[0]}
  for uid in "${live[@]:1}"; do
    if ! cmp -s "$ref.out" "$uid.out"; then
      echo "LEARNERS DIFFER: $ref.out and $uid.out ($(cmp "$ref.out" "$uid.out" 2>&1 | head -1))"
      status=1
    fi
  done
  dups=$(sort "$ref.out" | uniq -d | wc -l)
  # Every value of a client that was not killed must be there; any value must be someone's.
  missing=$(for uid in "${CLIENT_UIDS[@]}"; do to_kill "$uid" || cat "$uid.in"; done | sort |
    comm -23 - <(sort -u "$ref.out") | wc -l)
  unknown=$(sort -u "$ref.out" | comm -23 - <(cat ./*.in | sort -u) | wc -l)
  # slot -> first and last line in the log of its values; slots in order must not overlap.
  order=$(awk 'FNR == NR { pos[$0] = FNR; next }
               $1 == "decided" && ($3 in pos) { p = pos[$3]
                 if (!($2 in lo) || p < lo[$2]) lo[$2] = p
                 if (!($2 in hi) || p > hi[$2]) hi[$2] = p }
               END { for (s in lo) print s, lo[s], hi[s] }' "$ref.out" \
    "${CLIENT_UIDS[@]/%/.out}" |
    sort -n | awk 'NR > 1 && $2 <= last { bad++ } { last = $3 } END { print bad + 0 }')
  echo "log: $(wc -l <"$ref.out") values on learner(s) ${live[*]}: $dups twice, $missing missing," \
    "$unknown unknown, $order slots out of order"
  [ "$dups$missing$unknown$order" = 0000 ] || status=1
  [ $status = 0 ] && echo "learners agree: the same log, every value once, in slot order"
  return $status
}

# Waits for every process, then prints who led, each node and client, and checks the logs.
report_multi() {
  local status=0 uid t1 total=0
  wait_all || status=1
  t1=$T1
  echo "leaders:"
  grep -h "leading with ballot" [0-9]*.log | sort | sed 's/ info  / /; s/^/  /'
  for uid in "${UIDS[@]}"; do
    local line
    line=$(grep -ho 'summary: uid [0-9]* role [a-z]* leader [0-9-]* log [0-9]*' "$uid.log" 2>/dev/null)
    if [ -n "$line" ]; then
      echo "$line" | awk '{printf "  uid %-3s %-9s log %s\n", $3, $5, $9}'
    elif to_kill "$uid"; then
      printf '  uid %-3s killed\n' "$uid"
    fi
  done
  for uid in "${CLIENT_UIDS[@]}"; do
    to_kill "$uid" && continue
    printf '  client %s: %s of %s values decided\n' "$uid" "$(grep -c '^decided ' "$uid.out")" \
      "$(wc -l <"$uid.in")"
    total=$((total + $(wc -l <"$uid.in")))
  done
  check_logs || status=1
  local ms=$(((t1 - T0) / 1000000))
  echo "run folder: $RUN_DIR  ($ms ms launch to exit, $((total * 1000 / (ms > 0 ? ms : 1))) values/s)"
  [ "${TRACE:-0}" != 0 ] && report_traces
  return $status
}

build_drivers
new_run multi
write_hosts $PROPOSERS $ACCEPTORS $LEARNERS ${#CLIENT_UIDS[@]} "${1:-10000}" multi
for i in "${!CLIENT_UIDS[@]}"; do
  seq 1 "$VALUES" | sed "s/^/${PREFIXES[$i]}/" >"${CLIENT_UIDS[$i]}.in"
done
launch_started
for ((uid = 0; uid < PROPOSERS + ACCEPTORS + LEARNERS; uid++)); do start_node $uid; done
for i in "${!CLIENT_UIDS[@]}"; do start_stream_client "${CLIENT_UIDS[$i]}" "$i" "${CLIENT_UIDS[$i]}.in"; done
after_launch
report_multi
