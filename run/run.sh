#!/usr/bin/env bash
# The seed's simplest scenario: 1 proposer, 1 acceptor, 1 learner, 1 client proposing 210.
# usage: ./run/run.sh [PORTBASE]    env: KILL="UID..." KILL_AFTER_MS DEBUG=1 CONDRIVER_OPTS CLIDRIVER_OPTS
set -u
source "$(dirname "$0")/common.sh"
build_drivers
new_run run
write_hosts 1 1 1 1 "${1:-10000}"
launch_started
for uid in 0 1 2; do start_node $uid; done
start_client 3 210 0
after_launch
report
