#!/usr/bin/env bash
# Installs what is missing, builds, and runs the benchmark suite (docs/BENCHMARKS.md): every
# figure with its limit measured in the same run (the key-value service against etcd included,
# started with ./run/kv.sh), the results table, docs/bench.json and the plots of latency against
# load (closed and open loop). Arguments go to paxos-bench (e.g. --quick, or figure names: then
# only those run). MICRO=1 also runs the Google Benchmark micro-benchmarks (paxos-micro).
set -u
source "$(dirname "$0")/common.sh"
ensure_packages etcd-server wrk  # paxos-bench kv: the load generator and the etcd it compares with
if [ "${MICRO:-0}" != 0 ]; then build paxos-bench paxos-micro; else build paxos-bench; fi
cd "$ROOT" || exit 2
figures=(scenario latency throughput openloop scale memory kv)
for arg in "$@"; do
  case $arg in scenario | latency | throughput | openloop | scale | memory | kv) figures=() ;; esac
done
"$BIN/paxos-bench" "${figures[@]}" --kv-start ./run/kv.sh --json docs/bench.json \
  --svg docs/bench-latency.svg --svg-open docs/bench-openloop.svg "$@" || exit $?
if [ "${MICRO:-0}" != 0 ]; then
  "$BIN/paxos-micro" || exit $?
fi
