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

apt_install pkg-config ${need_apt[@]+"${need_apt[@]}"}

# Rust components used by `make lint`.
rustup component add rustfmt clippy >/dev/null 2>&1 || true
