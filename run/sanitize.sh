#!/usr/bin/env bash
# Builds everything with AddressSanitizer and UndefinedBehaviorSanitizer (g++) into build-asan/
# and runs ctest there. Any sanitizer report fails the test that triggered it: UBSan does not
# recover, ASan aborts. The browser tests (trace_picture, trace_shiviz, kv_page) are left out:
# they check a picture in chromium, add nothing a sanitizer could find that the unit tests of
# paxos-trace and the kv process tests do not, and their timings do not survive a 2-3x slower
# build.
# Usage: run/sanitize.sh [CTEST ARGS...]   exits 2 when it cannot build, else ctest's status.
set -u
source "$(dirname "$0")/common.sh"
OUT="$ROOT/build-asan"
ensure_packages

# asio 1.22's handler allocator frees with plain delete what it got from aligned new; ASan's
# alloc-dealloc-mismatch check reports that, so asio is told not to use aligned new at all.
FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
FLAGS+=" -DASIO_DISABLE_STD_ALIGNED_ALLOC"
cmake -S "$ROOT" -B "$OUT" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_CXX_FLAGS="$FLAGS" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" -DPAXOS_BENCH=OFF \
  -DPAXOS_MUTANTS=OFF >/dev/null || exit 2
mkdir -p "$OUT"
nice cmake --build "$OUT" -j2 >"$OUT/build.log" 2>&1 ||
  { tail -30 "$OUT/build.log" >&2; echo "build failed (log $OUT/build.log)" >&2; exit 2; }

# detect_leaks: a leak is a finding too. Child processes (the drivers the process tests start)
# inherit these and write their reports to their stderr logs; their non-zero exit fails the test.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=0:strict_string_checks=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cd "$OUT" && ctest --output-on-failure -E '^(trace_(picture|shiviz)|kv_page)$' "$@"
