#!/usr/bin/env bash
# Usage: tests/c/run.sh [--hostile] COMMAND [ARGS...]
# Starts the hyper test server (h2o-testserver) on 127.0.0.1 with an ephemeral port,
# exports H2O_TEST_PORT, runs COMMAND, then stops the server (by its pid) and returns
# COMMAND's exit status. Build the server first: cargo build -p h2o-testserver.
# --hostile also starts tests/e2e's hostile_server (the conformance catalogue served to
# the C tests; cargo build -p h2o-e2e --bin hostile_server) and exports its control port
# as H2O_HOSTILE_PORT; a missing or failing hostile server is an error (exit 2).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
hostile=0
if [ "${1:-}" = "--hostile" ]; then hostile=1; shift; fi
server=${H2O_TESTSERVER:-$root/target/debug/h2o-testserver}
hostile_server=${H2O_HOSTILE_SERVER:-$root/target/debug/hostile_server}
[ -x "$server" ] || { echo "run.sh: $server not built (cargo build -p h2o-testserver)" >&2; exit 2; }
if [ $hostile = 1 ] && [ ! -x "$hostile_server" ]; then
    echo "run.sh: $hostile_server not built (cargo build -p h2o-e2e --bin hostile_server)" >&2; exit 2
fi
pids=()
outs=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -f "${outs[@]}"
}
trap cleanup EXIT
# start NAME BINARY ARGS...: runs it, waits for "listening on HOST:PORT", sets $port.
start() {
    local name=$1 out line=""
    shift
    out=$(mktemp)
    outs+=("$out")
    "$@" >"$out" 2>&1 &
    local pid=$!
    pids+=("$pid")
    for _ in $(seq 1 200); do
        line=$(head -n1 "$out" || true)
        [[ $line == listening\ on\ * ]] && break
        kill -0 "$pid" 2>/dev/null || { echo "run.sh: $name exited: $(cat "$out")" >&2; exit 2; }
        sleep 0.05
    done
    [[ $line == listening\ on\ * ]] || { echo "run.sh: no 'listening on' line from $name" >&2; exit 2; }
    port=${line##*:}
}
start "the test server" "$server" --listen 127.0.0.1:0
export H2O_TEST_PORT=$port
if [ $hostile = 1 ]; then
    start "the hostile server" "$hostile_server"
    export H2O_HOSTILE_PORT=$port
fi
set +e
"$@"
status=$?
set -e
exit $status
