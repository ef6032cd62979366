#!/usr/bin/env bash
# The seed's run3: 1 proposer, 3 acceptors (so one may fail), 1 learner; 4 clients through
# proposer 1 (modulo 1: the only one).   Try KILL=2 (an acceptor) or KILL="2 3".
# usage: ./run/run3.sh [PORTBASE]    env: as run.sh
set -u
source "$(dirname "$0")/common.sh"
build_drivers
new_run run3
write_hosts 1 3 1 4 "${1:-10000}"
launch_started
for uid in 0 1 2 3 4; do start_node $uid; done
values=(55 56 57 230)
for i in 0 1 2 3; do start_client $((5 + i)) "${values[$i]}" 1; done
after_launch
report
