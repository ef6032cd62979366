#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang++-14 (ASan+UBSan) into build-fuzz/ and runs
# each for DURATION seconds (default 60) on a copy of fuzz/corpus/NAME, so the committed corpus
# never grows. Prints executions and exit status per target; exits 1 on any finding (the crash
# input path is printed), 2 when it cannot build.
# Usage: run/fuzz.sh [SECONDS] [TARGET...]   TARGET: wire text_hosts yaml_hosts
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$ROOT/build-fuzz"
DURATION=${1:-60}
shift $(($# > 0 ? 1 : 0))
TARGETS=("${@:-wire text_hosts yaml_hosts}")
TARGETS=(${TARGETS[*]})
PACKAGES="clang-14 libclang-rt-14-dev libyaml-cpp-dev libfmt-dev"

missing=()
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages; install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${missing[@]}" >&2 ||
    { apt-get update -q >&2 && apt-get install -y -q "${missing[@]}" >&2; } ||
    { echo "apt-get install failed" >&2; exit 2; }
fi
command -v clang++-14 >/dev/null || { echo "clang++-14 not found" >&2; exit 2; }

CXX=(clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined
     -fno-sanitize-recover=undefined -I "$ROOT/libpaxos" -I "$ROOT/fuzz")
WIRE_SRC=("$ROOT/libpaxos/wire/message.cpp" "$ROOT/libpaxos/wire/codec.cpp"
          "$ROOT/libpaxos/wire/batch.cpp" "$ROOT/libpaxos/core/configuration.cpp"
          "$ROOT/libpaxos/core/membership.cpp")
HOSTS_SRC=("$ROOT/libpaxos/config/hosts.cpp" "$ROOT/libpaxos/config/text_hosts.cpp"
           "$ROOT/libpaxos/config/yaml_hosts.cpp")
mkdir -p "$OUT" || exit 2

build() {  # build NAME: fuzz/fuzz_NAME.cpp -> build-fuzz/fuzz_NAME
  local name=$1 src
  case $name in
    wire) src=("${WIRE_SRC[@]}") ;;
    text_hosts | yaml_hosts) src=("${HOSTS_SRC[@]}") ;;
    *) echo "unknown target $name" >&2; return 2 ;;
  esac
  "${CXX[@]}" "$ROOT/fuzz/fuzz_$name.cpp" "${src[@]}" -lyaml-cpp -lfmt -o "$OUT/fuzz_$name" \
    >"$OUT/build_$name.log" 2>&1 || { cat "$OUT/build_$name.log" >&2; return 2; }
}

echo "building ${TARGETS[*]} into $OUT"
pids=()
for t in "${TARGETS[@]}"; do build "$t" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p" || { echo "build failed" >&2; exit 2; }; done

# The wire seeds come from the real encoder. The committed ones go stale when the format changes
# (then every seed is rejected and the fuzzer starts blind), so fresh ones join each run's copy.
clang++-14 -std=c++20 -I "$ROOT/libpaxos" "$ROOT/fuzz/gen_wire_seeds.cpp" "${WIRE_SRC[@]}" \
  -lfmt -o "$OUT/gen_wire_seeds" || exit 2

status=0
pids=()
for t in "${TARGETS[@]}"; do
  work="$OUT/work/$t"
  rm -rf "$work" && mkdir -p "$work/corpus" "$work/crashes"
  cp -r "$ROOT/fuzz/corpus/$t/." "$work/corpus/"
  if [ "$t" = wire ]; then
    mkdir -p "$work/corpus/fresh" && "$OUT/gen_wire_seeds" "$work/corpus/fresh" || exit 2
  fi
  # timeout: an out-of-memory report can hang in ASan's stack dump; never let a run outlive that.
  timeout -k 10 $((DURATION + 120)) "$OUT/fuzz_$t" -max_total_time="$DURATION" -timeout=20 \
    -print_final_stats=1 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -artifact_prefix="$work/crashes/" "$work/corpus" >"$work/log" 2>&1 &
  pids+=($!)
done
for i in "${!TARGETS[@]}"; do
  t=${TARGETS[$i]} work="$OUT/work/${TARGETS[$i]}"
  wait "${pids[$i]}"
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
  echo "$t: exit $rc, ${execs:-?} executions in ${DURATION}s, log $work/log"
  if [ "$rc" != 0 ]; then
    status=1
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$work/log" | head -3 | sed 's/^/  /'
    for f in "$work"/crashes/*; do [ -e "$f" ] && echo "  crash input: $f"; done
  fi
done
exit $status
