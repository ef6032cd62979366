#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test through ctest.
set -u
source "$(dirname "$0")/common.sh"
build
cd "$ROOT/build" && ctest --output-on-failure "$@"
