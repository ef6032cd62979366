#!/usr/bin/env bash
# The replicated key-value service (docs/KV.md): 2 proposers (UIDs 0-1), 3 acceptors (2-4) and
# 3 learners (5-7), each learner serving the HTTP/JSON API. Starts them in the background, prints
# the URLs and a curl example, and runs until Ctrl-C (or SIGTERM), which stops every node it
# started. State is kept in the run folder's data/ (acceptors' promises, replicas' snapshots).
# usage: ./run/kv.sh [PORTBASE] [HTTPBASE]    defaults 10100 and 8080; env DEBUG=1, CONDRIVER_OPTS
set -u
source "$(dirname "$0")/common.sh"
BASE=${1:-10100}
HTTP=${2:-8080}
build condriver
new_run kv
write_kv_hosts "$BASE" "$HTTP"

stop() {
  trap - INT TERM
  echo "stopping uids 0-7"
  kill -TERM "${PIDS[@]}" 2>/dev/null
  wait "${PIDS[@]}" 2>/dev/null
  echo "stopped; logs in $RUN_DIR"
  exit 0
}
trap stop INT TERM
for uid in 0 1 2 3 4 5 6 7; do start_node "$uid"; done

# Ready once a replica answers a linearizable read through the log (404 is an answer).
for _ in $(seq 100); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP/v1/kv/ready" 2>/dev/null)
  [ "$code" = 404 ] || [ "$code" = 200 ] && break
  sleep 0.1
done
for i in "${!PIDS[@]}"; do
  kill -0 "${PIDS[$i]}" 2>/dev/null || { echo "uid ${UIDS[$i]} failed: $RUN_DIR/${UIDS[$i]}.log"; stop; }
done
echo "paxos-cpp key-value service up (run folder: $RUN_DIR)"
for port in $HTTP $((HTTP + 1)) $((HTTP + 2)); do echo "  http://127.0.0.1:$port"; done
echo "try:"
echo "  curl -XPUT http://127.0.0.1:$HTTP/v1/kv/a -d 1"
echo "  curl http://127.0.0.1:$((HTTP + 1))/v1/kv/a"
echo "  curl -XPOST http://127.0.0.1:$((HTTP + 2))/state/ -d value=3"
echo "replace acceptor 3 by a new node 8 while it runs (docs/MEMBERSHIP.md):"
echo "  $BIN/condriver 8 --hosts $RUN_DIR/hosts.txt --join acceptor --listen 127.0.0.1:$((BASE + 8)) --data-dir $RUN_DIR/data 2>$RUN_DIR/8.log &"
echo "  curl -XPOST http://127.0.0.1:$HTTP/v1/members -d '{\"uid\":8,\"role\":\"acceptor\",\"address\":\"127.0.0.1:$((BASE + 8))\",\"replaces\":3}'"
echo "status page: http://127.0.0.1:$HTTP/    Ctrl-C stops the cluster (not node 8: stop it yourself)"
wait "${PIDS[@]}"
