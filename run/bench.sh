#!/usr/bin/env bash
# Installs what is missing, builds, and runs the benchmark suite (docs/BENCHMARKS.md): every
# figure with its limit measured in the same run, the results table, docs/bench.json and the plot of
# latency against load. Arguments go to paxos-bench (e.g. --quick, or figure names).
# MICRO=1 also runs the Google Benchmark micro-benchmarks (paxos-micro).
set -u
source "$(dirname "$0")/common.sh"
ensure_packages etcd-server wrk  # paxos-bench kv: the load generator and the etcd it compares with
if [ "${MICRO:-0}" != 0 ]; then build paxos-bench paxos-micro; else build paxos-bench; fi
cd "$ROOT" || exit 2
"$BIN/paxos-bench" --json docs/bench.json --svg docs/bench-latency.svg "$@" || exit $?
if [ "${MICRO:-0}" != 0 ]; then
  "$BIN/paxos-micro" || exit $?
fi
