#!/usr/bin/env bash
# bench/run.sh — h2o's benchmark harness (`make bench`). See bench/README.md.
#
# Builds the release binaries, starts nghttpd and the h2o server (h2c, 127.0.0.1) and runs
# `h2o bench`, h2load and bench/hyper-client interleaved (the client order rotates every
# round) on each workload, ROUNDS times, each under /usr/bin/time (CPU, peak RSS). Then
# the memory probe (client RSS from 100 to 1000 in-flight streams on one connection), the
# multi-thread submit probe, and the allocation counter. Medians and same-round ratios go to
# bench/results/latest.md (also printed); `make bench-check` (bench/check.sh) reads it.
#
# Environment:
#   ROUNDS=5             rounds per workload (medians of the per-round values and ratios)
#   PARTS="load mem threads alloc"   what to run (also: instr, callgrind instructions/request,
#                        ~3 minutes: PARTS="load mem threads alloc instr")
#   SERVERS="nghttpd h2o"            servers for the load part
#   SMALL_N=300000 BIG_N=2000        requests per run (13-byte and 1 MiB workloads)
#   SKIP_BUILD=1         use the binaries already in target/release
#   H2O_TEST_ASSETS      shared docroot location (default $TMPDIR/h2o-test-assets)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
ROUNDS=${ROUNDS:-5}
PARTS=${PARTS:-"load mem threads alloc"}
SERVERS=${SERVERS:-"nghttpd h2o"}
SMALL_N=${SMALL_N:-300000}
BIG_N=${BIG_N:-2000}
CARGO=${CARGO:-cargo}
assets=${H2O_TEST_ASSETS:-${TMPDIR:-/tmp}/h2o-test-assets}
rel=$root/target/release
results=$root/bench/results
mkdir -p "$results"

has_part() { [[ " $PARTS " == *" $1 "* ]]; }

for tool in h2load nghttpd h2o jq python3; do
    command -v "$tool" >/dev/null || { echo "bench: $tool missing (make deps)" >&2; exit 127; }
done
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 127; }

if [ -z "${SKIP_BUILD:-}" ]; then
    echo "== building release binaries" >&2
    $CARGO build --release -p h2o-cli -p h2o-bench-hyper -p h2o-testserver >&2
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

declare -A port
start_server() { # SERVER -> port[SERVER]
    local s=$1 p wd
    p=$(free_port)
    wd=$work/$s
    mkdir -p "$wd"
    ln -sfn "$assets/www" "$wd/www"
    setsid "$root/tests/servers/serve.sh" "$s" h2c "$p" "$wd" >"$wd/serve.out" 2>&1 &
    pids+=($!)
    wait_port "$p" || { cat "$wd/serve.out" "$wd/error.log" >&2 2>/dev/null; exit 1; }
    port[$s]=$p
    echo "== $s h2c on 127.0.0.1:$p (pid ${pids[-1]})" >&2
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

# measure CLIENT URL N M C BODY -> "req_per_s cpu_us_per_req peak_rss_kib errors"
measure() {
    local client=$1 url=$2 n=$3 m=$4 c=$5 body=$6 out=$work/run.out tf=$work/run.time
    local cmd rps errors ok bytes json u s rss
    case $client in
    h2o) cmd=("$rel/h2o" bench -n "$n" -m "$m" -c "$c" "$url") ;;
    h2load) cmd=(h2load -n "$n" -m "$m" -c "$c" "$url") ;;
    hyper) cmd=("$rel/hyper-client" -n "$n" -m "$m" -c "$c" "$url") ;;
    esac
    if ! /usr/bin/time -o "$tf" -f '%U %S %M' timeout 120 "${cmd[@]}" >"$out" 2>&1; then
        echo "bench: run failed: ${cmd[*]}" >&2
        tail -n 5 "$out" >&2
        echo "0 0 0 $n"
        return
    fi
    case $client in
    h2load)
        rps=$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' "$out")
        ok=$(sed -n 's/^requests: .* \([0-9][0-9]*\) succeeded.*/\1/p' "$out")
        errors=$((n - ${ok:-0}))
        ;;
    *)
        json=$(grep '^{"requests"' "$out" | tail -n 1)
        rps=$(jq -r .req_per_s <<<"$json")
        errors=$(jq -r .errors <<<"$json")
        bytes=$(jq -r .bytes <<<"$json")
        if [ "$errors" -eq 0 ] && [ "$bytes" -ne $((n * body)) ]; then
            echo "bench: $client got $bytes body bytes, expected $((n * body))" >&2
            errors=1
        fi
        ;;
    esac
    read -r u s rss < <(tail -n 1 "$tf")
    awk -v r="${rps:-0}" -v u="$u" -v s="$s" -v n="$n" -v m="$rss" -v e="$errors" \
        'BEGIN { printf "%.1f %.3f %d %d\n", r, (u + s) * 1e6 / n, m, e }'
}

stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
raw=$results/latest-load.tsv
meta=$results/latest-meta.txt
{
    echo "started $stamp"
    echo "host $(uname -srm), $(nproc) cores"
    echo "load_at_start $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "rounds $ROUNDS"
    echo "h2o_commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet 2>/dev/null || echo +dirty)"
    echo "h2load $(h2load --version 2>/dev/null | head -n 1)"
} >"$meta"
"$root/tests/servers/make-docroot.sh" "$assets/www"

# workload: name path M C N body_bytes
workloads=(
    "13B_1x100 /13b 100 1 $SMALL_N 13"
    "13B_4x100 /13b 100 4 $SMALL_N 13"
    "13B_1x1000 /13b 1000 1 $SMALL_N 13"
    "1MiB_1x10 /1m 10 1 $BIG_N 1048576"
)
clients=(h2o h2load hyper)

if has_part load; then
    printf 'workload\tserver\tclient\tround\treq_per_s\tcpu_us_per_req\tpeak_rss_kib\terrors\tbody_bytes\tload1\n' >"$raw"
    for s in $SERVERS; do
        start_server "$s"
        for w in "${workloads[@]}"; do
            read -r name path m c n body <<<"$w"
            url="http://127.0.0.1:${port[$s]}$path"
            # One untimed warm-up so that file caches and the server are hot.
            measure h2load "$url" "$((n / 10))" "$m" "$c" "$body" >/dev/null
            for ((r = 1; r <= ROUNDS; r++)); do
                for ((k = 0; k < 3; k++)); do
                    cl=${clients[$(((r + k) % 3))]}
                    res=$(measure "$cl" "$url" "$n" "$m" "$c" "$body")
                    l=$(load1)
                    printf '%s\t%s\t%s\t%d\t%s\t%s\n' "$name" "$s" "$cl" "$r" "$(tr ' ' '\t' <<<"$res")" "$body	$l" >>"$raw"
                    echo "   $name $s $cl round $r: $res (load $l)" >&2
                done
            done
        done
    done
fi

if has_part mem; then
    start_testserver
    : >"$results/latest-mem.jsonl"
    for ((r = 1; r <= ${MEM_ROUNDS:-3}; r++)); do
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
    [ -n "${port[nghttpd]:-}" ] || start_server nghttpd
    : >"$results/latest-threads.jsonl"
    for api in async sink; do
        echo "   threads ($api API)" >&2
        "$rel/threads-probe" "http://127.0.0.1:${port[nghttpd]}/13b" -n "${THREADS_N:-100000}" -m 100 \
            -t 1,2 --rounds "$ROUNDS" --api "$api" | tee -a "$results/latest-threads.jsonl" >&2 ||
            echo "bench: threads-probe ($api) failed" >&2
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
    [ -n "${port[nghttpd]:-}" ] || start_server nghttpd
    command -v valgrind >/dev/null || { echo "bench: valgrind missing (part instr)" >&2; exit 127; }
    url="http://127.0.0.1:${port[nghttpd]}/13b"
    printf 'client\tn\tinstructions\n' >"$results/latest-instr.tsv"
    for cl in h2o h2load hyper; do
        for n in 20000 40000; do
            case $cl in
            h2o) cmd=("$rel/h2o" bench -n "$n" -m 100 -c 1 "$url") ;;
            h2load) cmd=(h2load -n "$n" -m 100 -c 1 "$url") ;;
            hyper) cmd=("$rel/hyper-client" -n "$n" -m 100 -c 1 "$url") ;;
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
