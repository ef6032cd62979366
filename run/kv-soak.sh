#!/usr/bin/env bash
# Soak test of the key-value service (docs/KV.md#snapshots-and-compaction): starts a cluster like
# ./run/kv.sh (2 proposers, 3 acceptors, 3 learners with HTTP; fsync on; each node its own data
# dir), drives a steady PUT load over a fixed key space with wrk (one wrk per learner, each
# connection pausing between requests, so the rate is bounded), and every 10 s samples each
# node's RSS (/proc/PID/status VmRSS), its data dir size, and each learner's applied slot,
# snapshot slot, revision and key count (GET /v1/status). Writes soak.csv and summary.txt in the
# run folder and prints the summary: start, peak and end RSS and disk per node. Memory and disk
# that stay flat while slots grow are what bounded looks like.
# usage: ./run/kv-soak.sh [MINUTES]   default 10
#   env: BASE (UDP ports, 10300), HTTP (8180), KEYS (1000), VALUE_BYTES (100),
#        CONNS (per learner, 2), PAUSE_MS (per connection between requests, 5),
#        SNAPSHOT_EVERY (1000), IDS=1 (every PUT carries a new X-Request-Id, so the store's
#        de-duplication table fills to its bound), CONDRIVER_OPTS
set -u
source "$(dirname "$0")/common.sh"
MINUTES=${1:-10}
BASE=${BASE:-10300}
HTTP=${HTTP:-8180}
KEYS=${KEYS:-1000}
VALUE_BYTES=${VALUE_BYTES:-100}
CONNS=${CONNS:-2}
PAUSE_MS=${PAUSE_MS:-5}
SNAPSHOT_EVERY=${SNAPSHOT_EVERY:-1000}
IDS=${IDS:-0}
command -v wrk >/dev/null || ensure_packages wrk
build condriver
new_run kv-soak
# A private copy: rebuilding build/ while the soak runs does not change what it measures.
cp "$BIN/condriver" ./condriver
write_kv_hosts "$BASE" "$HTTP"
cat >put.lua <<EOF
-- PUT /v1/kv/k<0..$((KEYS - 1))> with a ${VALUE_BYTES}-byte value, pausing ${PAUSE_MS} ms between requests
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
local body = string.rep("v", ${VALUE_BYTES})
local prefix, n = string.format("%08x-", math.random(0, 0x7fffffff)), 0
request = function()
  local headers = nil
  if ${IDS} ~= 0 then
    n = n + 1
    headers = {["X-Request-Id"] = prefix .. n}
  end
  return wrk.format("PUT", "/v1/kv/k" .. math.random(0, ${KEYS} - 1), headers, body)
end
delay = function() return ${PAUSE_MS} end
EOF

ROLES=(proposer proposer acceptor acceptor acceptor learner learner learner)
LOADS=()
stop() {
  trap - INT TERM
  kill -TERM "${LOADS[@]}" 2>/dev/null
  kill -TERM "${PIDS[@]}" 2>/dev/null
  wait "${LOADS[@]}" "${PIDS[@]}" 2>/dev/null
}
trap 'stop; exit 1' INT TERM
for uid in 0 1 2 3 4 5 6 7; do
  mkdir -p "data/$uid"
  nice ./condriver "$uid" --hosts hosts.txt --data-dir "data/$uid" --durability fsync \
    --snapshot-every "$SNAPSHOT_EVERY" ${CONDRIVER_OPTS:-} >"$uid.out" 2>"$uid.log" &
  started "$uid"
done
for _ in $(seq 100); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP/v1/kv/ready" 2>/dev/null)
  [ "$code" = 404 ] || [ "$code" = 200 ] && break
  sleep 0.1
done

status() {  # status PORT: "applied,snapshot,revision,keys" of that learner (empty fields if down)
  curl -s -m 2 "http://127.0.0.1:$1/v1/status" | python3 -c '
import json, sys
try:
    s = json.load(sys.stdin)
    print(",".join(str(s[k]) for k in ("applied", "snapshot", "revision", "keys")))
except Exception:
    print(",,,")' 2>/dev/null
}
sample() {  # sample SECONDS: one CSV row per node
  local t=$1 uid pid rss disk st
  for uid in 0 1 2 3 4 5 6 7; do
    pid=${PIDS[$uid]}
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
    disk=$(du -sk "data/$uid" 2>/dev/null | cut -f1)
    st=",,,"
    [ "$uid" -ge 5 ] && st=$(status $((HTTP + uid - 5)))
    echo "$t,$uid,${ROLES[$uid]},${rss:-},${disk:-},$st"
  done >>soak.csv
}

echo "time_s,uid,role,rss_kb,disk_kb,applied,snapshot,revision,keys" >soak.csv
sample 0
for port in $HTTP $((HTTP + 1)) $((HTTP + 2)); do
  nice wrk -t1 -c"$CONNS" -d"${MINUTES}m" --timeout 10s -s put.lua "http://127.0.0.1:$port" \
    >"wrk-$port.txt" 2>&1 &
  LOADS+=($!)
done
echo "soak: $MINUTES min, run folder $RUN_DIR"
START=$(date +%s)
END=$((START + MINUTES * 60))
while [ "$(date +%s)" -lt "$END" ]; do
  sleep 10
  sample $(($(date +%s) - START))
done
wait "${LOADS[@]}" 2>/dev/null
sample $(($(date +%s) - START))
stop

{
  echo "kv-soak: $MINUTES min, $KEYS keys, ${VALUE_BYTES}-byte values, 3 wrk x $CONNS connections" \
    "pausing ${PAUSE_MS} ms, --snapshot-every $SNAPSHOT_EVERY, fsync, request ids $IDS"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
  for port in $HTTP $((HTTP + 1)) $((HTTP + 2)); do
    echo "wrk :$port: $(grep -E 'requests in' "wrk-$port.txt" | sed 's/^ *//'); $(grep -E 'Requests/sec' "wrk-$port.txt" | tr -s ' ')" \
      "$(grep -E 'Non-2xx|Socket errors' "wrk-$port.txt" | tr -s ' ' | tr '\n' ' ')"
  done
  awk -F, 'NR > 1 && $4 != "" {
      u = $2; role[u] = $3
      if (!(u in r0)) { r0[u] = $4; d0[u] = $5 }
      if ($4 > rp[u]) rp[u] = $4
      if ($5 > dp[u]) dp[u] = $5
      r1[u] = $4; d1[u] = $5
      if ($6 != "") { a[u] = $6; s[u] = $7; v[u] = $8 }
    }
    END {
      printf "| uid | role | RSS start | RSS peak | RSS end | disk start | disk peak | disk end | applied | snapshot | revision |\n"
      printf "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
      for (u = 0; u < 8; u++)
        printf "| %d | %s | %.1f MB | %.1f MB | %.1f MB | %d KB | %d KB | %d KB | %s | %s | %s |\n",
          u, role[u], r0[u] / 1024, rp[u] / 1024, r1[u] / 1024, d0[u], dp[u], d1[u],
          (u in a) ? a[u] : "-", (u in s) ? s[u] : "-", (u in v) ? v[u] : "-"
    }' soak.csv
} | tee summary.txt
echo "CSV: $RUN_DIR/soak.csv"
