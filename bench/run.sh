#!/usr/bin/env bash
# bench/run.sh — h2o's benchmark harness (`make bench`). See bench/README.md.
#
# Builds the release binaries and the C load generators (make bench-tools), starts the
# servers it needs on 127.0.0.1 (nghttpd and the h2o server, h2c and TLS), and runs each
# part's clients interleaved (the client order rotates every round) on each workload,
# ROUNDS times, each run under /usr/bin/time (CPU, peak RSS). Medians of the per-round values
# and of the same-round ratios go to bench/results/latest.md (also printed); `make bench-check`
# (bench/check.sh) fails when a goal in it is missed.
#
# Parts (PARTS, any subset, each runnable on its own):
#   load     h2c: h2o bench vs h2load vs hyper; 13 B GETs 1x1, 1x100, 4x100, 1x1000; 1 MiB GETs
#            1x10; 1 MiB uploads 1x10; one 100 MiB download
#   tls      TLS 1.3: h2o bench vs h2load, 13 B GETs 1x100 and 4x100; time to the first
#            response byte of a fresh connection (TCP + TLS handshake + one GET), h2o vs h2load
#   c        the C API (callback mode, poll mode) vs the Rust API (h2o bench) vs libcurl multi,
#            1x100 13 B GETs over h2c and TLS; ns per empty h2o_client_poll (idle, 100 in flight)
#   python   h2o_client AsyncClient vs httpx (http2), 1x100 13 B GETs, nghttpd h2c
#   node     h2o-native vs node:http2 vs undici, 1x100 13 B GETs, nghttpd h2c
#   latency  1x1 sequential GETs (h2o, h2load) vs a raw TCP ping-pong of the same bytes, against
#            nghttpd and against a minimal HTTP/2 responder (pingpong h2serve: the client's own share)
#   mem      client RSS from 100 to 1000 in-flight streams; threads: 1 vs 2 submitting
#   threads; alloc (allocations per request)
#   instr    callgrind instruction counts per request: h2o, h2load, hyper, the C API (callback
#            and poll mode); nghttpd h2c 1x100 (not in the default set)
#
# Environment:
#   ROUNDS=5             rounds per workload (medians of the per-round values and ratios)
#   PARTS="load tls c python node latency mem threads alloc"
#   SERVERS="nghttpd h2o"            servers for load, tls and c (python, node, latency: nghttpd)
#   SMALL_N=300000 BIG_N=2000        requests per run (13 B at 1x100.. and 1 MiB workloads)
#   SEQ_N=20000 UP_N=300 HUGE_N=3    1x1 requests, 1 MiB uploads, 100 MiB downloads per run
#   TLS_N=100000 C_N=100000          per run in the tls and c parts
#   C_ROUNDS=9           rounds in part c (its ratio goals sit within the run-to-run spread)
#   PY_N=20000 NODE_N=20000 LAT_N=20000 HS_N=20
#   H2LOAD_PCTS=1        h2load's p50/p99 from an extra untimed run of N/3 with --log-file (0: none)
#   SKIP_BUILD=1         use the binaries already built (target/release, build/bench)
#   H2O_TEST_ASSETS      shared docroot and certificates (default $TMPDIR/h2o-test-assets)
#   RESULTS_DIR          where the results go (default bench/results; e.g. a scratch dir for smoke runs)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
ROUNDS=${ROUNDS:-5}
PARTS=${PARTS:-"load tls c python node latency mem threads alloc"}
SERVERS=${SERVERS:-"nghttpd h2o"}
SMALL_N=${SMALL_N:-300000}
BIG_N=${BIG_N:-2000}
SEQ_N=${SEQ_N:-20000}
UP_N=${UP_N:-300}
HUGE_N=${HUGE_N:-3}
TLS_N=${TLS_N:-100000}
C_N=${C_N:-100000}
# Part c's goals are ratios of 0.95 and 0.90 whose per-round values spread by ±10% here:
# more rounds than elsewhere, for a steadier median.
C_ROUNDS=${C_ROUNDS:-9}
PY_N=${PY_N:-20000}
NODE_N=${NODE_N:-20000}
LAT_N=${LAT_N:-20000}
HS_N=${HS_N:-20}
CARGO=${CARGO:-cargo}
assets=${H2O_TEST_ASSETS:-${TMPDIR:-/tmp}/h2o-test-assets}
rel=$root/target/release
bt=$root/build/bench
py=$root/bindings/python/.venv/bin/python
results=${RESULTS_DIR:-$root/bench/results}
mkdir -p "$results"

has_part() { [[ " $PARTS " == *" $1 "* ]]; }

for tool in h2load nghttpd h2o jq python3; do
    command -v "$tool" >/dev/null || { echo "bench: $tool missing (make deps)" >&2; exit 127; }
done
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (make deps)" >&2; exit 127; }

if [ -z "${SKIP_BUILD:-}" ]; then
    echo "== building release binaries" >&2
    $CARGO build --release -p h2o-cli -p h2o-bench-hyper -p h2o-testserver >&2
    if has_part c || has_part latency || has_part instr; then make -s -C "$root" bench-tools >&2; fi
    if has_part python; then make -s -C "$root" python-build >&2; fi
    if has_part node; then (cd "$root/bindings/node" && npm install --no-audit --no-fund >&2 && npm run -s build >&2); fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/h2o-bench.XXXXXX")
chmod 755 "$work"
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        # Each server runs in its own process group (setsid): its pgid is its pid.
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

load1() { cut -d' ' -f1 /proc/loadavg; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
    local p i
    for i in $(seq 1 100); do
        p=$((20000 + RANDOM % 30000))
        port_open "$p" || { echo "$p"; return 0; }
    done
    echo "bench: no free port" >&2
    return 1
}

wait_port() {
    local i
    for i in $(seq 1 100); do
        port_open "$1" && return 0
        sleep 0.1
    done
    echo "bench: nothing listens on port $1" >&2
    return 1
}

ca=$assets/certs/ca.pem
declare -A port
start_server() { # SERVER [MODE=h2c] -> port[SERVER-MODE]
    local s=$1 mode=${2:-h2c} p wd
    [ -n "${port[$s-$mode]:-}" ] && return 0
    p=$(free_port)
    wd=$work/$s-$mode
    mkdir -p "$wd"
    ln -sfn "$assets/www" "$wd/www"
    CERTS_DIR=$assets/certs setsid "$root/tests/servers/serve.sh" "$s" "$mode" "$p" "$wd" >"$wd/serve.out" 2>&1 &
    pids+=($!)
    wait_port "$p" || { cat "$wd/serve.out" "$wd/error.log" >&2 2>/dev/null; exit 1; }
    port[$s-$mode]=$p
    echo "== $s $mode on 127.0.0.1:$p (pid ${pids[-1]})" >&2
}
base_url() { # SERVER MODE -> base=http(s)://127.0.0.1:PORT (not in a subshell: start_server records pids)
    start_server "$1" "$2"
    if [ "$2" = tls ]; then base="https://127.0.0.1:${port[$1-$2]}"; else base="http://127.0.0.1:${port[$1-$2]}"; fi
}

start_testserver() { # -> testserver_addr
    local out=$work/testserver.out i
    setsid "$rel/h2o-testserver" --listen 127.0.0.1:0 --max-concurrent-streams 2000 >"$out" 2>&1 &
    pids+=($!)
    for i in $(seq 1 100); do
        testserver_addr=$(sed -n 's/^listening on //p' "$out")
        [ -n "$testserver_addr" ] && break
        sleep 0.1
    done
    [ -n "$testserver_addr" ] || { echo "bench: h2o-testserver did not start" >&2; cat "$out" >&2; exit 1; }
    echo "== h2o-testserver on $testserver_addr (max_concurrent_streams 2000)" >&2
}

# Percentiles (µs) of h2load's --log-file (3rd column: request duration in µs): "p50 p99".
h2load_pcts() {
    sort -n -k3,3 "$1" | awk '{ d[NR] = $3 } END {
        if (NR == 0) { print "0 0"; exit }
        i50 = int((NR - 1) * 0.5 + 0.5) + 1; i99 = int((NR - 1) * 0.99 + 0.5) + 1
        print d[i50], d[i99] }'
}

# measure CLIENT URL N M C BODY [UPLOAD_FILE]
#   -> "req_per_s cpu_us_per_req peak_rss_kib p50_us p99_us errors", or "NA" when the client
#      cannot do this run (libcurl 7.88 over h2c: curl-multi exits 3).
# CPU: user+sys of the whole client process from /usr/bin/time, except python and node
# clients, whose runner reports the CPU of its timed phase (interpreter start and warm-up
# excluded). BODY: expected response body bytes per request (checked; -1: not checked).
measure() {
    local client=$1 url=$2 n=$3 m=$4 c=$5 body=$6 up=${7:-} out=$work/run.out tf=$work/run.time
    local cmd=() rps errors ok bytes json u s rss cpu p50=0 p99=0 rc=0 tlsopt=() dopt=()
    [[ $url == https://* ]] && tlsopt=(--cacert "$ca")
    [ -n "$up" ] && dopt=(-d "@$up")
    case $client in
    h2o) cmd=("$rel/h2o" bench -n "$n" -m "$m" -c "$c" "${tlsopt[@]}" "${dopt[@]}" "$url") ;;
    h2o-ef) # the same with the opt-in early flush (setting early_flush_frames)
        cmd=(env H2O_EARLY_FLUSH_FRAMES=32 "$rel/h2o" bench -n "$n" -m "$m" -c "$c" "${tlsopt[@]}" "${dopt[@]}" "$url") ;;
    h2load)
        rm -f "$work/h2load.log"
        cmd=(h2load -n "$n" -m "$m" -c "$c" ${up:+-d "$up"} "$url") ;;
    hyper) cmd=("$rel/hyper-client" -n "$n" -m "$m" -c "$c" "${dopt[@]}" "$url") ;;
    c-callback) cmd=("$bt/c-api-bench" callback -n "$n" -m "$m" -c "$c" "${tlsopt[@]}" "${dopt[@]}" "$url") ;;
    c-poll) cmd=("$bt/c-api-bench" poll -n "$n" -m "$m" -c "$c" "${tlsopt[@]}" "${dopt[@]}" "$url") ;;
    libcurl) cmd=("$bt/curl-multi" -n "$n" -m "$m" -c "$c" "${tlsopt[@]}" "${dopt[@]}" "$url") ;;
    pingpong) cmd=("$bt/pingpong" -n "$n" -q "$PP_Q" -r "$PP_R") ;;
    py-h2o) cmd=("$py" "$root/bindings/python/bench/bench.py" --runner h2o-async --url "$url" --n "$n" --concurrency "$m") ;;
    httpx) cmd=("$py" "$root/bindings/python/bench/bench.py" --runner httpx --url "$url" --n "$n" --concurrency "$m") ;;
    h2o-native | node:http2 | undici)
        cmd=(node "$root/bindings/node/bench/bench.mjs" --runner "$client" --url "${url%/*}" --path "/${url##*/}"
            --n "$n" --concurrency "$m") ;;
    *) echo "bench: unknown client $client" >&2; exit 2 ;;
    esac
    /usr/bin/time -o "$tf" -f '%U %S %M' timeout 300 "${cmd[@]}" >"$out" 2>&1 || rc=$?
    if [ "$client" = libcurl ] && [ "$rc" -eq 3 ]; then
        echo "NA"
        return
    fi
    if [ "$rc" -ne 0 ]; then
        echo "bench: run failed (exit $rc): ${cmd[*]}" >&2
        tail -n 5 "$out" >&2
        echo "0 0 0 0 0 $n"
        return
    fi
    read -r u s rss < <(tail -n 1 "$tf")
    cpu=$(awk -v u="$u" -v s="$s" -v n="$n" 'BEGIN { printf "%.3f", (u + s) * 1e6 / n }')
    case $client in
    h2load)
        rps=$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' "$out")
        ok=$(sed -n 's/^requests: .* \([0-9][0-9]*\) succeeded.*/\1/p' "$out")
        errors=$((n - ${ok:-0}))
        # Latency percentiles from a second, untimed run of N/3 requests with --log-file:
        # writing the log costs h2load CPU (+30..100% here), so the timed run goes without.
        if [ "${H2LOAD_PCTS:-1}" = 1 ] && [ "$errors" -eq 0 ]; then
            h2load -n "$(((n + 2) / 3))" -m "$m" -c "$c" --log-file "$work/h2load.log" ${up:+-d "$up"} "$url" >/dev/null 2>&1 || true
            read -r p50 p99 < <(h2load_pcts "$work/h2load.log")
        fi
        ;;
    h2o-native | node:http2 | undici)
        json=$(grep '^{' "$out" | tail -n 1)
        rps=$(jq -r .reqPerSec <<<"$json")
        cpu=$(jq -r .cpuUsPerReq <<<"$json")
        bytes=$(jq -r .bytes <<<"$json")
        errors=0
        ;;
    *)
        json=$(grep '^{"' "$out" | tail -n 1)
        rps=$(jq -r .req_per_s <<<"$json")
        errors=$(jq -r .errors <<<"$json")
        bytes=$(jq -r .bytes <<<"$json")
        p50=$(jq -r '.p50_us // 0' <<<"$json")
        p99=$(jq -r '.p99_us // 0' <<<"$json")
        case $client in py-h2o | httpx) cpu=$(jq -r .cpu_us_per_req <<<"$json") ;; esac
        ;;
    esac
    if [ "$client" != h2load ] && [ "$client" != pingpong ] && [ "$body" -ge 0 ] && [ "$errors" -eq 0 ] &&
        [ "$bytes" -ne $((n * body)) ]; then
        echo "bench: $client got $bytes body bytes, expected $((n * body))" >&2
        errors=1
    fi
    awk -v r="${rps:-0}" -v cpu="$cpu" -v m="$rss" -v a="$p50" -v b="$p99" -v e="$errors" \
        'BEGIN { printf "%.2f %.3f %d %d %d %d\n", r, cpu, m, a, b, e }'
}

header=$'workload\tserver\tclient\tround\treq_per_s\tcpu_us_per_req\tpeak_rss_kib\tp50_us\tp99_us\terrors\tbody_bytes\tload1'

# run_workload FILE NAME SERVER URL N M C BODY MBYTES UPLOAD CLIENTS...
#   ROUNDS rounds, the clients interleaved (order rotated each round), one TSV row per run.
#   BODY: expected response bytes per request (-1: unchecked); MBYTES: bytes per request
#   counted for MB/s (the response, or the upload).
run_workload() {
    local file=$1 name=$2 srv=$3 url=$4 n=$5 m=$6 c=$7 body=$8 mbytes=$9 up=${10}
    shift 10
    local clients=("$@") k=${#@} r i cl res l
    for ((r = 1; r <= ROUNDS; r++)); do
        for ((i = 0; i < k; i++)); do
            cl=${clients[$(((r + i) % k))]}
            res=$(measure "$cl" "$url" "$n" "$m" "$c" "$body" "$up")
            l=$(load1)
            echo "   $name $srv $cl round $r: $res (load $l)" >&2
            [ "$res" = NA ] && continue
            printf '%s\t%s\t%s\t%d\t%s\t%s\t%s\n' "$name" "$srv" "$cl" "$r" "$(tr ' ' '\t' <<<"$res")" "$mbytes" "$l" >>"$file"
        done
    done
}

stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
meta=$results/latest-meta.txt
{
    echo "started $stamp"
    echo "host $(uname -srm), $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
    echo "load_at_start $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "rounds $ROUNDS"
    echo "parts $PARTS"
    echo "h2o_commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet 2>/dev/null || echo +dirty)"
    echo "h2load $(h2load --version 2>/dev/null | head -n 1)"
    echo "libcurl $(curl-config --version 2>/dev/null || echo none)"
} >"$meta"
"$root/tests/servers/make-docroot.sh" "$assets/www"
"$root/tests/servers/gen-certs.sh" "$assets/certs" >/dev/null
head -c 1048576 "$assets/www/1m" >"$work/up-1m"

# Warm-up: one untimed h2load run so that file caches and the server are hot.
warm() { measure h2load "$1" "$2" "$3" 1 -1 >/dev/null; }

if has_part load; then
    raw=$results/latest-load.tsv
    echo "$header" >"$raw"
    # workload: name path M C N body_bytes upload clients
    workloads=(
        "13B_1x1 /13b 1 1 $SEQ_N 13 - h2o,h2load,hyper"
        "13B_1x100 /13b 100 1 $SMALL_N 13 - h2o,h2o-ef,h2load,hyper"
        "13B_4x100 /13b 100 4 $SMALL_N 13 - h2o,h2o-ef,h2load,hyper"
        "13B_1x1000 /13b 1000 1 $SMALL_N 13 - h2o,h2o-ef,h2load,hyper"
        "1MiB_1x10 /1m 10 1 $BIG_N 1048576 - h2o,h2load,hyper"
        "1MiB_upload_1x10 /13b 10 1 $UP_N 1048576 $work/up-1m h2o,h2load,hyper"
        "100MiB_1x1 /100m 1 1 $HUGE_N 104857600 - h2o,h2load,hyper"
    )
    for s in $SERVERS; do
        base_url "$s" h2c
        for w in "${workloads[@]}"; do
            read -r name path m c n body up cls <<<"$w"
            expect=$body
            if [ "$up" != - ]; then
                # nghttpd answers a POST to a file with the file; the h2o server's /upload
                # (mruby) reads the body and answers "len=N sha1=HEX".
                [ "$s" = h2o ] && path=/upload
                expect=-1
            else
                up=
            fi
            url=$base$path
            warm "$url" "$(((n + 9) / 10))" "$m"
            IFS=, read -r -a cl_list <<<"$cls"
            run_workload "$raw" "$name" "$s" "$url" "$n" "$m" "$c" "$expect" "$body" "$up" "${cl_list[@]}"
        done
    done
fi

if has_part tls; then
    raw=$results/latest-tls.tsv
    echo "$header" >"$raw"
    hs=$results/latest-handshake.tsv
    printf 'server\tclient\tround\tttfb_us\n' >"$hs"
    for s in $SERVERS; do
        base_url "$s" tls
        url=$base/13b
        warm "$url" "$((TLS_N / 10))" 100
        run_workload "$raw" 13B_1x100 "$s" "$url" "$TLS_N" 100 1 13 13 "" h2o h2o-ef h2load
        run_workload "$raw" 13B_4x100 "$s" "$url" "$TLS_N" 100 4 13 13 "" h2o h2o-ef h2load
        # Time to the first response byte on a fresh connection (TCP connect, TLS 1.3
        # handshake, one GET), HS_N connections one after another per client and round:
        # h2o bench -n 1 (its latency of the one request includes the connection), h2load's
        # "time to 1st byte" (from its connect). Process start-up is outside both.
        for ((r = 1; r <= ROUNDS; r++)); do
            for ((i = 0; i < HS_N; i++)); do
                t=$("$rel/h2o" bench -n 1 -m 1 --cacert "$ca" "$url" 2>/dev/null | grep '^{"' | jq -r .p50_us)
                printf '%s\th2o\t%d\t%s\n' "$s" "$r" "${t:-0}" >>"$hs"
                t=$(h2load -n 1 -c 1 -m 1 "$url" 2>/dev/null | awk '/time to 1st byte/ {
                    v = $5; f = 1000
                    if (v ~ /us$/) f = 1; else if (v ~ /ms$/) f = 1000; else if (v ~ /s$/) f = 1000000
                    sub(/[a-z]+$/, "", v); printf "%d", v * f }')
                printf '%s\th2load\t%d\t%s\n' "$s" "$r" "${t:-0}" >>"$hs"
            done
            echo "   handshake $s round $r: $(awk -F'\t' -v s="$s" -v r="$r" '$1 == s && $3 == r { sum[$2] += $4; n[$2]++ }
                END { for (c in sum) printf "%s %.0fus ", c, sum[c] / n[c] }' "$hs")" >&2
        done
    done
fi

if has_part c; then
    raw=$results/latest-c.tsv
    echo "$header" >"$raw"
    for s in $SERVERS; do
        for mode in h2c tls; do
            base_url "$s" "$mode"
            url=$base/13b
            warm "$url" "$((C_N / 10))" 100
            ROUNDS=$C_ROUNDS run_workload "$raw" "13B_1x100_$mode" "$s" "$url" "$C_N" 100 1 13 13 "" \
                c-callback c-poll h2o libcurl
        done
    done
    # The caller's cost of h2o_client_poll(timeout 0) with nothing waiting: idle client, and
    # 100 requests in flight and idle (h2o-testserver /delay), one line per round.
    [ -n "${testserver_addr:-}" ] || start_testserver
    : >"$results/latest-pollcost.jsonl"
    for ((r = 1; r <= ROUNDS; r++)); do
        "$bt/c-api-bench" pollcost "http://$testserver_addr" | tee -a "$results/latest-pollcost.jsonl" >&2 ||
            echo "bench: c-api-bench pollcost failed" >&2
    done
fi

if has_part python; then
    [ -x "$py" ] || { echo "bench: $py missing (make python-build)" >&2; exit 127; }
    raw=$results/latest-python.tsv
    echo "$header" >"$raw"
    base_url nghttpd h2c
    url=$base/13b
    run_workload "$raw" 13B_1x100 nghttpd "$url" "$PY_N" 100 1 13 13 "" py-h2o httpx
fi

if has_part node; then
    raw=$results/latest-node.tsv
    echo "$header" >"$raw"
    base_url nghttpd h2c
    url=$base/13b
    run_workload "$raw" 13B_1x100 nghttpd "$url" "$NODE_N" 100 1 13 13 "" h2o-native node:http2 undici
fi

if has_part latency; then
    raw=$results/latest-latency.tsv
    echo "$header" >"$raw"
    # Two servers: nghttpd (a real one: its HTTP/2 work is in the overhead) and `pingpong
    # h2serve`, a minimal responder that does what the ping-pong's echo process does (one
    # read, one write), so the overhead against it is the client's own.
    setsid "$bt/pingpong" h2serve >"$work/h2min.out" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 50); do grep -q '^listening' "$work/h2min.out" && break; sleep 0.1; done
    h2min_port=$(sed -n 's/^listening //p' "$work/h2min.out")
    [ -n "$h2min_port" ] || { echo "bench: pingpong h2serve did not start" >&2; exit 1; }
    base_url nghttpd h2c
    for srv in nghttpd h2min; do
        [ "$srv" = nghttpd ] && target=${port[nghttpd-h2c]} || target=$h2min_port
        # The bytes one 1x1 request and its response take on the wire, measured through a
        # counting relay (h2o bench, 2000 sequential GETs /13b; the connection preface and
        # SETTINGS are amortized in), rounded: the ping-pong's sizes.
        "$bt/pingpong" proxy "$target" >"$work/proxy.out" &
        proxy_pid=$!
        for _ in $(seq 1 50); do grep -q '^listening' "$work/proxy.out" && break; sleep 0.1; done
        pport=$(sed -n 's/^listening //p' "$work/proxy.out")
        "$rel/h2o" bench -n 2000 -m 1 "http://127.0.0.1:$pport/13b" >/dev/null 2>&1 || true
        wait "$proxy_pid" || true
        PP_Q=$(grep '^{' "$work/proxy.out" | jq -r '(.up / 2000) | round')
        PP_R=$(grep '^{' "$work/proxy.out" | jq -r '(.down / 2000) | round')
        echo "   latency ($srv): one request is $PP_Q bytes up, $PP_R bytes down on the wire" >&2
        echo "wire_bytes_per_request_$srv up $PP_Q down $PP_R" >>"$meta"
        run_workload "$raw" 13B_1x1 "$srv" "http://127.0.0.1:$target/13b" "$LAT_N" 1 1 13 13 "" h2o h2load pingpong
    done
fi

if has_part mem; then
    start_testserver
    : >"$results/latest-mem.jsonl"
    for ((r = 1; r <= ${MEM_ROUNDS:-$ROUNDS}; r++)); do
        for cl in h2o hyper; do
            if "$rel/mem-probe" "$cl" "http://$testserver_addr" --delay-ms 2500 --settle-ms 600 \
                >"$work/mem.out" 2>"$work/mem.err"; then
                cat "$work/mem.out" >>"$results/latest-mem.jsonl"
            else
                echo "bench: mem-probe $cl failed" >&2
                cat "$work/mem.out" "$work/mem.err" >&2
            fi
            echo "   mem $cl round $r: $(cat "$work/mem.out")" >&2
        done
    done
fi

if has_part threads; then
    start_server nghttpd h2c
    : >"$results/latest-threads.jsonl"
    # work 0: the server bounds both thread counts (no collapse is what can show); work > 0:
    # each thread's own per-response work bounds it, so a second thread must add throughput.
    for work_us in 0 "${THREADS_WORK_US:-20}"; do
        for api in async sink; do
            echo "   threads ($api API, ${work_us} µs work per response)" >&2
            "$rel/threads-probe" "http://127.0.0.1:${port[nghttpd-h2c]}/13b" -n "${THREADS_N:-100000}" -m 100 \
                -t 1,2 --rounds "$ROUNDS" --api "$api" --work-us "$work_us" | tee -a "$results/latest-threads.jsonl" >&2 ||
                echo "bench: threads-probe ($api, work $work_us) failed" >&2
        done
    done
fi

if has_part alloc; then
    echo "   allocations (cargo bench -p h2o-core --bench alloc)" >&2
    $CARGO bench -q -p h2o-core --bench alloc -- --server "$rel/h2o-testserver" \
        >"$results/latest-alloc.jsonl" 2>"$work/alloc.err" || {
        echo "bench: alloc bench failed" >&2
        tail -n 20 "$work/alloc.err" >&2
    }
    cat "$results/latest-alloc.jsonl" >&2
fi

if has_part instr; then
    start_server nghttpd h2c
    command -v valgrind >/dev/null || { echo "bench: valgrind missing (part instr)" >&2; exit 127; }
    url="http://127.0.0.1:${port[nghttpd-h2c]}/13b"
    printf 'client\tn\tinstructions\n' >"$results/latest-instr.tsv"
    for cl in h2o h2load hyper c-callback c-poll; do
        for n in 20000 40000; do
            case $cl in
            h2o) cmd=("$rel/h2o" bench -n "$n" -m 100 -c 1 "$url") ;;
            h2load) cmd=(h2load -n "$n" -m 100 -c 1 "$url") ;;
            hyper) cmd=("$rel/hyper-client" -n "$n" -m 100 -c 1 "$url") ;;
            # The C API's cost over the Rust API, without the noise that moves its req/s
            # ratios (part c) by several percent from run to run.
            c-callback) cmd=("$bt/c-api-bench" callback -n "$n" -m 100 -c 1 "$url") ;;
            c-poll) cmd=("$bt/c-api-bench" poll -n "$n" -m 100 -c 1 "$url") ;;
            esac
            timeout 600 valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "${cmd[@]}" \
                >/dev/null 2>"$work/cg.err" || { echo "bench: callgrind $cl failed" >&2; tail -n 5 "$work/cg.err" >&2; }
            ir=$(sed -n 's/^totals: *//p' "$work/cg.out" | head -n 1)
            printf '%s\t%s\t%s\n' "$cl" "$n" "${ir:-0}" >>"$results/latest-instr.tsv"
            echo "   instructions $cl n=$n: $ir" >&2
        done
    done
fi

echo "load_at_end $(cut -d' ' -f1-3 /proc/loadavg)" >>"$meta"
echo "finished $(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$meta"
python3 "$root/bench/summarize.py" "$results" >"$results/latest.md"
cat "$results/latest.md"
