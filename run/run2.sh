#!/usr/bin/env bash
# The seed's run2: 11 consensus nodes (3 proposers, 3 acceptors, 5 learners) and 8 clients
# with different values and desired proposers (some beyond P: taken modulo).
# usage: ./run/run2.sh [PORTBASE]    env: as run.sh
set -u
source "$(dirname "$0")/common.sh"
build_drivers
new_run run2
write_hosts 3 3 5 8 "${1:-10000}"
launch_started
for uid in $(seq 0 10); do start_node "$uid"; done
values=(55 56 57 57 230 231 232 233)
desired=(0 1 2 3 1 45 41 10)
for i in "${!values[@]}"; do start_client $((11 + i)) "${values[$i]}" "${desired[$i]}"; done
after_launch
report
