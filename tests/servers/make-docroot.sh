#!/usr/bin/env bash
# make-docroot.sh DIR: creates the static docroot that every real server serves.
#   0b     empty
#   13b    "Hello, world!" (no newline); also as `hello` for compatibility
#   1m     1 MiB   of the pattern byte i = i % 251
#   100m   100 MiB of the same pattern
# Idempotent (files already present are kept) and safe to run concurrently (flock).
set -euo pipefail
dir=${1:?usage: make-docroot.sh DIR}
dir=${dir%/}
mkdir -p "$dir"
chmod 755 "$dir"
# The lock sits beside the docroot, so that the servers serve only the files below.
exec 9>"$dir.lock"
flock 9

# write_pattern SIZE FILE: the first SIZE bytes of the repeating 0..250 pattern.
write_pattern() {
    local size=$1 out=$2 tmp
    [ -f "$out" ] && [ "$(stat -c %s "$out")" -eq "$size" ] && return 0
    tmp=$(mktemp "$dir/.tmp.XXXXXX")
    local blk="$tmp.blk"
    : >"$blk"
    local i
    for ((i = 0; i < 251; i++)); do printf "\\$(printf '%03o' "$i")" >>"$blk"; done
    # Double whole 251-byte periods until the block is big enough, then cut.
    while [ "$(stat -c %s "$blk")" -lt "$size" ]; do
        cat "$blk" "$blk" >"$blk.2" && mv "$blk.2" "$blk"
    done
    head -c "$size" "$blk" >"$tmp"
    rm -f "$blk"
    chmod 644 "$tmp"
    mv "$tmp" "$out"
}

[ -f "$dir/0b" ] || { : >"$dir/0b.tmp" && mv "$dir/0b.tmp" "$dir/0b"; }
for f in 13b hello; do
    [ -f "$dir/$f" ] || { printf 'Hello, world!' >"$dir/$f.tmp" && mv "$dir/$f.tmp" "$dir/$f"; }
done
write_pattern $((1024 * 1024)) "$dir/1m"
write_pattern $((100 * 1024 * 1024)) "$dir/100m"
chmod 644 "$dir/0b" "$dir/13b" "$dir/hello"
