#!/usr/bin/env bash
# TLS benchmark (issue #4): `h2o bench` vs h2load over TLS 1.3 against nghttpd and the h2o
# server, 1×100 and 4×100 streams of /13b, interleaved rounds; and the time to the first
# response byte of a fresh connection (TCP + TLS handshake + one request), h2o vs h2load.
# Prints a markdown table of medians. ROUNDS (3), N (100000).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
N=${N:-100000}
H2O=target/release/h2o
[ -x "$H2O" ] || cargo build --release -p h2o-cli >/dev/null
assets=${H2O_TEST_ASSETS:-/tmp/h2o-test-assets}
tests/servers/make-docroot.sh "$assets/www" >/dev/null
tests/servers/gen-certs.sh "$assets/certs" >/dev/null
ca="$assets/certs/ca.pem"
pids=()
trap 'for p in "${pids[@]}"; do kill -- -"$p" 2>/dev/null || true; done' EXIT
start() { # name port
    local dir; dir=$(mktemp -d /tmp/h2o-tlsbench.XXXXXX)
    ln -s "$assets/www" "$dir/www"
    CERTS_DIR="$assets/certs" setsid tests/servers/serve.sh "$1" tls "$2" "$dir" >"$dir/serve.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/"$2") 2>/dev/null && return 0; sleep 0.05; done
    echo "tls.sh: $1 did not start" >&2; exit 1
}
start nghttpd 19443
start h2o 19444
cpu() { /usr/bin/time -f '%U %S' "$@" 2>&1 >/dev/null | tail -1 | awk '{print $1+$2}'; }
rps_h2o() { "$H2O" bench --cacert "$ca" "$@" 2>/dev/null | sed -n 's/.*"req_per_s":\([0-9.]*\).*/\1/p'; }
rps_h2load() { h2load "$@" 2>/dev/null | sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p'; }
results=$(mktemp)
for round in $(seq "$ROUNDS"); do
    for srv in nghttpd:19443 h2o:19444; do
        name=${srv%%:*}; port=${srv##*:}; url="https://127.0.0.1:$port/13b"
        for cm in "1 100" "4 100"; do
            set -- $cm; c=$1; m=$2
            a=$(rps_h2o -n "$N" -c "$c" -m "$m" "$url"); ac=$(cpu "$H2O" bench --cacert "$ca" -n "$N" -c "$c" -m "$m" "$url")
            b=$(rps_h2load -n "$N" -c "$c" -m "$m" "$url"); bc=$(cpu h2load -n "$N" -c "$c" -m "$m" "$url")
            echo "$name ${c}x$m $a $ac $b $bc" >>"$results"
        done
        # Time to first byte of a fresh connection (includes TCP + TLS handshake), in ms.
        t1=$("$H2O" bench --cacert "$ca" -n 1 -m 1 "$url" 2>/dev/null | sed -n 's/.*"p50_us":\([0-9]*\).*/\1/p')
        t2=$(h2load -n 1 -c 1 -m 1 "$url" 2>/dev/null | awk '/time to 1st byte/ {print $5}')
        echo "$name ttfb $t1 ${t2}" >>"$results"
    done
done
python3 - "$results" "$N" <<'PY'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1])]
n = int(sys.argv[2])
print("| server | workload | h2o req/s | h2load req/s | req/s ratio | h2o CPU µs/req | h2load CPU µs/req | CPU ratio |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for srv in ("nghttpd", "h2o"):
    for w in ("1x100", "4x100"):
        r = [x for x in rows if x[0] == srv and x[1] == w]
        ratios = [float(x[2]) / float(x[4]) for x in r]
        cpur = [float(x[3]) / float(x[5]) for x in r]
        print(f"| {srv} | {w} | {st.median(float(x[2]) for x in r):.0f} | {st.median(float(x[4]) for x in r):.0f} | "
              f"{st.median(ratios):.2f} | {st.median(float(x[3]) for x in r)*1e6/n:.2f} | {st.median(float(x[5]) for x in r)*1e6/n:.2f} | {st.median(cpur):.2f} |")
print()
print("| server | first response on a fresh TLS connection | h2o | h2load |")
print("|---|---|---:|---:|")
def ms(v):
    v = v.strip()
    if v.endswith("ms"): return float(v[:-2])
    if v.endswith("us"): return float(v[:-2]) / 1000
    if v.endswith("s"): return float(v[:-1]) * 1000
    return float(v)
for srv in ("nghttpd", "h2o"):
    r = [x for x in rows if x[0] == srv and x[1] == "ttfb" and len(x) >= 4]
    if r:
        print(f"| {srv} | median of {len(r)} | {st.median(int(x[2]) / 1000 for x in r):.2f} ms | {st.median(ms(x[3]) for x in r):.2f} ms |")
PY
