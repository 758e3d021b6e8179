#!/usr/bin/env bash
# `make demo`: start the project's own HTTP/2 test server on 127.0.0.1 and show the client
# at work: several URLs fetched concurrently on one connection, then a short benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release

log=$(mktemp)
"$bin/h2o-testserver" --listen 127.0.0.1:0 >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
    grep -q '^listening on' "$log" && break
    sleep 0.05
done
addr=$(sed -n 's/^listening on //p' "$log")
[ -n "$addr" ] || { echo "demo: test server did not start:"; cat "$log"; exit 1; }
base="http://$addr"
echo "== embedded HTTP/2 test server (hyper) on $base"

echo
echo "== h2o get: 4 URLs multiplexed on one h2c connection (status and headers on stderr)"
"$bin/h2o" get -v "$base/hello" "$base/trailers" "$base/status/204" "$base/delay/100"
echo
echo
echo "== h2o get: 1 MiB body, checksum"
"$bin/h2o" get "$base/bytes/1048576" | sha256sum

echo
echo "== h2o bench: 20000 requests, 100 concurrent streams, 1 connection"
"$bin/h2o" bench -n 20000 -m 100 "$base/hello"
