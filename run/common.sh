# Shared by the run scripts: install what is missing, build, write hosts.txt, launch the
# drivers in a fresh run folder, wait for every process to exit by itself, and report.
# Sourced, not run. Every function exits the script on error.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN="$ROOT/build/bin"
PACKAGES="cmake g++ libasio-dev libyaml-cpp-dev libspdlog-dev doctest-dev libcli11-dev nlohmann-json3-dev libsodium-dev pkg-config libbenchmark-dev librestinio-dev libhttp-parser-dev zlib1g-dev curl"

# Installs missing Debian packages (PACKAGES and any named) as root; otherwise prints the
# apt-get line and exits 2.
ensure_packages() {
  local missing=()
  for p in $PACKAGES "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages; install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 2
  fi
  echo "installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${missing[@]}" >&2 ||
    { apt-get update -q >&2 && apt-get install -y -q "${missing[@]}" >&2; } ||
    { echo "apt-get install failed" >&2; exit 2; }
}

# build [TARGET...]: configures build/ and builds those targets, or everything (tests, mutants,
# benchmarks) when none is named. Log in build/build.log.
build() {
  ensure_packages
  cmake -S "$ROOT" -B "$ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 2
  local targets=()
  [ $# -gt 0 ] && targets=(--target "$@")
  cmake --build "$ROOT/build" -j2 "${targets[@]}" >"$ROOT/build/build.log" 2>&1 ||
    { tail -30 "$ROOT/build/build.log" >&2; echo "build failed" >&2; exit 2; }
}

# build_drivers: what the run scripts start: condriver and clidriver, and paxos-trace with TRACE=1.
build_drivers() {
  if [ "${TRACE:-0}" != 0 ]; then build condriver clidriver paxos-trace; else build condriver clidriver; fi
}

# new_run NAME: makes and enters runs/NAME-TIMESTAMP.
new_run() {
  RUN_DIR="$ROOT/runs/$1-$(date +%Y%m%d-%H%M%S)-$$"
  mkdir -p "$RUN_DIR" && cd "$RUN_DIR" || exit 2
}

# write_hosts P A L CLIENTS BASE [MODE]: the seed's text format, localhost, consecutive ports;
# MODE multi adds the MODE line (docs/HOSTS.md).
write_hosts() {
  local p=$1 a=$2 l=$3 clients=$4 base=$5 mode=${6:-} uid
  {
    echo "PROPOSERS $p"
    echo "ACCEPTORS $a"
    echo "LEARNERS $l"
    [ -n "$mode" ] && echo "MODE $mode"
    for ((uid = 0; uid < p + a + l; uid++)); do echo "localhost $((base + uid)) con"; done
    for ((uid = p + a + l; uid < p + a + l + clients; uid++)); do echo "localhost $((base + uid)) cli"; done
  } >hosts.txt
}

# write_kv_hosts BASE HTTP: a service (docs/KV.md): proposers 0-1, acceptors 2-4 on UDP BASE+uid,
# learners 5-7 also serving HTTP on 127.0.0.1:HTTP, HTTP+1, HTTP+2. No clients: they use HTTP.
write_kv_hosts() {
  local base=$1 http=$2 uid
  {
    echo "# a service (learners with an HTTP address): docs/KV.md"
    echo "PROPOSERS 2"
    echo "ACCEPTORS 3"
    echo "LEARNERS 3"
    echo "MODE multi"
    for uid in 0 1 2 3 4; do echo "127.0.0.1 $((base + uid)) con"; done
    for uid in 5 6 7; do echo "127.0.0.1 $((base + uid)) con 127.0.0.1:$((http + uid - 5))"; done
  } >hosts.txt
}

PIDS=()
UIDS=()
LIMIT=${LIMIT:-60}  # seconds; a process still running then is killed and reported

debug_flag() { [ "${DEBUG:-0}" != 0 ] && echo --debug; }
trace_flag() { [ "${TRACE:-0}" != 0 ] && echo "--trace $1.trace.jsonl"; }

to_kill() { [[ " ${KILL:-} " == *" $1 "* ]]; }

# Records a started process. A UID named in KILL dies right away (SIGKILL: a crash the
# protocol cannot tell from a real one), unless KILL_AFTER_MS asks for later.
started() {
  PIDS+=($!) UIDS+=("$1")
  if to_kill "$1" && [ -z "${KILL_AFTER_MS:-}" ]; then kill_uid $((${#PIDS[@]} - 1)); fi
}

kill_uid() {  # kill_uid INDEX: SIGKILL and reap at once (reaping quietly: bash reports kills)
  local pid=${PIDS[$1]} state
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
  if [ "$state" = Z ]; then
    wait "$pid"
    echo "uid ${UIDS[$1]} had already exited ($?) before KILL"
    return
  fi
  if kill -KILL "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null
    echo "killed uid ${UIDS[$1]}"
  else  # exited and already reaped by bash: not running, nothing to kill
    wait "$pid"
    echo "uid ${UIDS[$1]} had already exited ($?) before KILL"
  fi
}

start_node() {  # start_node UID
  "$BIN/condriver" "$1" --hosts hosts.txt --data-dir data $(debug_flag) $(trace_flag "$1") \
    ${CONDRIVER_OPTS:-} \
    >"$1.out" 2>"$1.log" &
  started "$1"
}

start_client() {  # start_client UID VALUE DESIREDPROPOSER
  "$BIN/clidriver" "$1" "$2" "$3" --hosts hosts.txt $(debug_flag) $(trace_flag "$1") \
    ${CLIDRIVER_OPTS:-} \
    >"$1.out" 2>"$1.log" &
  started "$1"
}

start_stream_client() {  # start_stream_client UID DESIREDPROPOSER FILE: multi mode, FILE's lines
  "$BIN/clidriver" "$1" - "$2" --hosts hosts.txt $(debug_flag) $(trace_flag "$1") \
    ${CLIDRIVER_OPTS:-} \
    <"$3" >"$1.out" 2>"$1.log" &
  started "$1"
}

# After the launch: kills the KILL UIDs if KILL_AFTER_MS is set, and starts a watchdog that
# kills whatever is still running after LIMIT seconds, so the script always ends.
after_launch() {
  ( sleep "$LIMIT"; kill -KILL "${PIDS[@]}" 2>/dev/null ) &
  WATCHDOG=$!
  [ -z "${KILL_AFTER_MS:-}" ] && return 0
  sleep "$(awk "BEGIN { print $KILL_AFTER_MS / 1000 }")"
  local i
  for i in "${!UIDS[@]}"; do
    if to_kill "${UIDS[$i]}"; then kill_uid "$i"; fi
  done
}

# Waits for every process (but those KILL reaped) and stops the watchdog; sets T1 (ns) to when
# the last one exited. Returns non-zero if a process exited non-zero, and says which.
wait_all() {
  local status=0 i rc uid
  for i in "${!PIDS[@]}"; do
    uid=${UIDS[$i]}
    to_kill "$uid" && continue  # reaped by kill_uid
    wait "${PIDS[$i]}"; rc=$?
    if [ $rc != 0 ]; then
      echo "uid $uid exited $rc (log: $RUN_DIR/$uid.log)"
      status=1
    fi
  done
  T1=$(date +%s%N)
  { kill "$WATCHDOG" && wait "$WATCHDOG"; } 2>/dev/null
  return $status
}

# Waits for every process, then prints the leader, each role, each client's answer, and
# whether they agree. Returns non-zero if a process failed or clients disagree.
report() {
  local status=0 uid t1
  wait_all || status=1
  t1=$T1
  local leader
  leader=$(grep -ho 'summary: uid [0-9]* role [a-z]* leader [0-9-]*' ./*.log | awk '{print $7}' | sort -u | tr '\n' ' ')
  echo "leader: ${leader:-none}"
  for uid in "${UIDS[@]}"; do
    local line
    line=$(grep -ho 'summary: uid [0-9]* role [a-z]* leader [0-9-]* decided [^ ]*' "$uid.log" 2>/dev/null)
    if [ -n "$line" ]; then
      echo "$line" | awk '{printf "  uid %-3s %-9s decided %s\n", $3, $5, $9}'
    elif to_kill "$uid"; then
      printf '  uid %-3s killed\n' "$uid"
    fi
  done
  local answers
  answers=$(cat ./*.out 2>/dev/null | grep -h '^Final message received by client from learner: ' | sort -u)
  for uid in "${UIDS[@]}"; do
    if grep -qs '^Final' "$uid.out"; then
      echo "  client $uid: $(cat "$uid.out")"
    elif [ "$(sed -n "$((uid + 4))p" hosts.txt | awk '{print $3}')" = cli ] && ! to_kill "$uid"; then
      echo "  client $uid: no decision"
    fi
  done
  local distinct
  distinct=$(printf '%s' "$answers" | grep -c . || true)
  if [ "$distinct" = 1 ]; then
    echo "decided: ${answers##*: }"
  elif [ "$distinct" = 0 ]; then
    echo "decided: nothing (no client got an answer)"
    status=1
  else
    echo "DISAGREEMENT: clients printed different values"; status=1
  fi
  echo "run folder: $RUN_DIR  ($(((t1 - T0) / 1000000)) ms launch to exit)"
  [ "${TRACE:-0}" != 0 ] && report_traces
  return $status
}

launch_started() { T0=$(date +%s%N); }

# TRACE=1: the merged timeline, the picture and the trace check, from the traces alone.
report_traces() {
  "$BIN/paxos-trace" merge . >timeline.txt && "$BIN/paxos-trace" html . -o run.html ||
    { echo "paxos-trace failed" >&2; return 1; }
  "$BIN/paxos-trace" shiviz . -o shiviz.log
  echo "traces:   $RUN_DIR/*.trace.jsonl"
  echo "timeline: $RUN_DIR/timeline.txt"
  echo "picture:  $RUN_DIR/run.html"
  echo "check:    $("$BIN/paxos-trace" check . 2>&1 | head -1)"
}
