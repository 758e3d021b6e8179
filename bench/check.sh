#!/usr/bin/env bash
# bench/check.sh (`make bench-check`): reads bench/results/latest.md and fails if any goal of
# its Goals table is missed (status MISS), or if there is no Goals table to read. The goals
# (issues #3, #6, #10) are written by bench/summarize.py; see bench/README.md.
set -euo pipefail
md=${1:-$(cd "$(dirname "$0")" && pwd)/results/latest.md}
[ -f "$md" ] || { echo "bench-check: $md not found: run make bench first" >&2; exit 2; }
goals=$(awk '/^## Goals/ { on = 1; next } /^## / { on = 0 } on && /^\| / && !/^\| goal/ && !/^\|---/' "$md")
[ -n "$goals" ] || { echo "bench-check: no goals in $md" >&2; exit 2; }
total=$(grep -c . <<<"$goals")
missed=$(grep '| MISS |$' <<<"$goals" || true)
if [ -n "$missed" ]; then
    echo "bench-check: $(grep -c . <<<"$missed") of $total goals missed ($md):" >&2
    echo "$missed" >&2
    exit 1
fi
echo "bench-check: all $total goals met ($md)"
