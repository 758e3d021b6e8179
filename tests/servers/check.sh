#!/usr/bin/env bash
# check.sh [SERVER...]: starts each real server (default: nginx h2o nghttpd apache2) in h2c and
# TLS mode with serve.sh, checks with `nghttp -nv` that GET /13b is answered over HTTP/2 with
# "Hello, world!", measures `h2load -n $H2LOAD_N -c 1 -m 100` (default 1000 requests) against
# /13b, prints one line per combination, and exits non-zero if any failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
assets=${H2O_TEST_ASSETS:-${TMPDIR:-/tmp}/h2o-test-assets}
n=${H2LOAD_N:-1000}
servers=("$@")
[ ${#servers[@]} -gt 0 ] || servers=(nginx h2o nghttpd apache2)
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

for tool in nghttp h2load; do
    command -v "$tool" >/dev/null || { echo "check.sh: $tool not installed: run make deps" >&2; exit 1; }
done
"$here/make-docroot.sh" "$assets/www" || exit 1
"$here/gen-certs.sh" "$assets/certs" || exit 1
export CERTS_DIR=$assets/certs

pid=""
stop() {
    [ -n "$pid" ] || return 0
    kill -TERM -- "-$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=""
}
trap stop EXIT
trap 'exit 130' INT TERM

accepting() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pass=0 fail=0
for server in "${servers[@]}"; do
    for mode in h2c tls; do
        work=$(mktemp -d "${TMPDIR:-/tmp}/h2o-check-$server-$mode.XXXXXX")
        chmod 755 "$work"
        ln -s "$assets/www" "$work/www"
        port=$((20000 + RANDOM % 30000))
        while accepting "$port"; do port=$((20000 + RANDOM % 30000)); done
        setsid "$here/serve.sh" "$server" "$mode" "$port" "$work" >"$work/serve.log" 2>&1 &
        pid=$!
        ready=0
        for _ in $(seq 200); do
            accepting "$port" && { ready=1; break; }
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        scheme=http
        [ "$mode" = tls ] && scheme=https
        url=$scheme://127.0.0.1:$port/13b
        line=$(printf '%-8s %-4s' "$server" "$mode")
        if [ "$ready" -ne 1 ]; then
            echo "$line FAIL: not accepting on port $port; $(tail -3 "$work/serve.log" "$work/error.log" 2>/dev/null | tr '\n' ' ')"
            fail=$((fail + 1)); stop; continue
        fi
        frames=$(timeout 10 nghttp -nv "$url" 2>&1)
        proto=h2c
        if [ "$mode" = tls ]; then
            proto=$(grep -o 'negotiated protocol: [^ ]*' <<<"$frames" | awk '{print $3}')
        fi
        body=$(timeout 10 nghttp "$url" 2>/dev/null)
        if ! grep -q ':status: 200' <<<"$frames" || ! grep -q 'recv DATA frame <length=13' <<<"$frames" ||
            [ "$body" != "Hello, world!" ] || { [ "$mode" = tls ] && [ "$proto" != h2 ]; }; then
            echo "$line FAIL: nghttp: proto=$proto body='$body' $(grep -m3 -E 'GOAWAY|RST_STREAM|ERROR|error' <<<"$frames" | tr '\n' ' ')"
            fail=$((fail + 1)); stop; continue
        fi
        # The server's MAX_CONCURRENT_STREAMS: the settings lines under its first SETTINGS frame.
        mcs=$(awk '/recv SETTINGS frame/ {s = 1; next} s && /^\[/ {exit}
            s && /MAX_CONCURRENT_STREAMS/ {sub(/.*:/, ""); sub(/\]/, ""); print; exit}' <<<"$frames")
        load=$(timeout 60 h2load -n "$n" -c 1 -m 100 "$url" 2>&1)
        rps=$(grep -o 'finished in [^,]*, [0-9.]* req/s' <<<"$load" | awk '{print $4}')
        ok=$(grep -o '[0-9]* succeeded' <<<"$load" | awk '{print $1}')
        if [ "${ok:-0}" != "$n" ]; then
            echo "$line FAIL: h2load: $(grep -E '^requests:' <<<"$load")"
            fail=$((fail + 1)); stop; continue
        fi
        printf '%s ok   proto=%-3s max_streams=%-4s GET /13b 200 "Hello, world!"  h2load -n %s -c 1 -m 100: %s req/s\n' \
            "$line" "$proto" "${mcs:-?}" "$n" "$rps"
        pass=$((pass + 1))
        stop
        rm -rf "$work"
    done
done
echo "check.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
