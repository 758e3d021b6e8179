#!/usr/bin/env bash
# Installs what `make test` needs on a fresh Debian machine. Idempotent: each step is
# skipped when its result is already present. Needs root (or sudo) for apt-get.
set -euo pipefail

need_apt=()
for pkg in "$@"; do need_apt+=("$pkg"); done

apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "install-deps: apt-get install ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

apt_install pkg-config curl ${need_apt[@]+"${need_apt[@]}"}

# Real HTTP/2 servers and clients for tests/servers and tests/support (RealServer):
# nginx, the h2o server, nghttpd (nghttp2-server), apache2; nghttp and h2load (nghttp2-client);
# openssl for tests/servers/gen-certs.sh. Tests start them from their own configs on 127.0.0.1;
# the packages' system services must not start (port 80 etc.): while installing, a policy-rc.d
# that forbids starting services is put in place unless the machine already has one.
server_pkgs=(nginx h2o nghttp2-server nghttp2-client apache2 openssl)
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ] && ! dpkg -s "${server_pkgs[@]}" >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    trap '$sudo rm -f "$policy"' EXIT
fi
apt_install "${server_pkgs[@]}"

# The C API's tests (make c-test): a C and a C++ compiler (header check, ASan/UBSan build),
# valgrind (memcheck run), binutils (nm/readelf for the export check).
apt_install gcc g++ valgrind binutils

# The benchmark harness (make bench, bench/run.sh): /usr/bin/time and jq read the runs;
# libcurl's headers for the libcurl peer (bench/curl-multi, part c). h2load comes with
# nghttp2-client above.
apt_install time jq libcurl4-openssl-dev

# cbindgen regenerates include/h2o.h (make header, make header-check). Pinned: another
# version may format the header differently and fail header-check.
if ! command -v cbindgen >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cbindgen" ]; then
    echo "install-deps: cargo install cbindgen --locked --version 0.29.4"
    cargo install cbindgen --locked --version 0.29.4
fi

# Python bindings (bindings/python, `make python-test`): a virtualenv, and libpython for the
# workspace build of the pyo3 crate (only maturin's extension build skips linking it).
apt_install python3 python3-venv python3-dev

# Node.js and npm for bindings/node (`make node-test`): Debian's packages unless a node is present.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || apt_install nodejs npm

# Rust components used by `make lint`.
rustup component add rustfmt clippy >/dev/null 2>&1 || true
