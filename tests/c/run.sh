#!/usr/bin/env bash
# Usage: tests/c/run.sh COMMAND [ARGS...]
# Starts the hyper test server (h2o-testserver) on 127.0.0.1 with an ephemeral port,
# exports H2O_TEST_PORT, runs COMMAND, then stops the server (by its pid) and returns
# COMMAND's exit status. Build the server first: cargo build -p h2o-testserver.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
server=${H2O_TESTSERVER:-$root/target/debug/h2o-testserver}
[ -x "$server" ] || { echo "run.sh: $server not built (cargo build -p h2o-testserver)" >&2; exit 2; }
out=$(mktemp)
"$server" --listen 127.0.0.1:0 >"$out" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$out"; }
trap cleanup EXIT
line=""
for _ in $(seq 1 200); do
    line=$(head -n1 "$out" || true)
    [[ $line == listening\ on\ * ]] && break
    kill -0 "$pid" 2>/dev/null || { echo "run.sh: test server exited: $(cat "$out")" >&2; exit 2; }
    sleep 0.05
done
[[ $line == listening\ on\ * ]] || { echo "run.sh: no 'listening on' line from the test server" >&2; exit 2; }
export H2O_TEST_PORT=${line##*:}
set +e
"$@"
status=$?
set -e
exit $status
