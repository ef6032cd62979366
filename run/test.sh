#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test through ctest.
set -u
source "$(dirname "$0")/common.sh"
ensure_packages chromium  # the trace picture is checked as a person sees it, in a browser
command -v python3 >/dev/null || ensure_packages python3
build
cd "$ROOT/build" && ctest --output-on-failure "$@"
