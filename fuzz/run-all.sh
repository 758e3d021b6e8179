#!/usr/bin/env bash
# fuzz/run-all.sh [SECONDS] [TARGET...]: runs every cargo-fuzz target (or the ones named) for
# SECONDS each (default 600), one after another at low priority, and prints one line per
# target: executions, rate, crashes (new files in fuzz/artifacts/<target>/), corpus growth.
# New inputs go to fuzz/target/corpus-new/<target> (not committed); MERGE=1 merges them into
# the committed seed corpus fuzz/corpus/<target> afterwards (libFuzzer -merge=1, minimizing).
# Exit status 1 if any target crashed. Logs: fuzz/target/run-all/<target>.log.
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(frame_decode hpack_decode connection c_request_builder)
fi
export RUSTC_BOOTSTRAP=1
logs=target/run-all
mkdir -p "$logs"
nice -n 19 cargo fuzz build -O "${targets[@]/#/}" >/dev/null 2>&1 || nice -n 19 cargo fuzz build -O || exit 2
status=0
printf '%-18s %8s %12s %10s %8s %8s\n' target seconds execs execs/s crashes new
for t in "${targets[@]}"; do
    new=target/corpus-new/$t
    mkdir -p "$new" "corpus/$t" "artifacts/$t"
    before=$(ls "artifacts/$t" | wc -l)
    nice -n 19 cargo fuzz run -O "$t" "$new" "corpus/$t" -- \
        -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        >"$logs/$t.log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -1)
    after=$(ls "artifacts/$t" | wc -l)
    crashes=$((after - before))
    if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes="rc=$rc"; fi
    [ "$rc" -ne 0 ] && status=1
    printf '%-18s %8s %12s %10s %8s %8s\n' "$t" "$secs" "${execs:-?}" \
        "$(( ${execs:-0} / (secs > 0 ? secs : 1) ))" "$crashes" "$(ls "$new" | wc -l)"
    if [ "${MERGE:-0}" = 1 ]; then
        nice -n 19 cargo fuzz run -O "$t" "corpus/$t" "$new" -- -merge=1 >>"$logs/$t.log" 2>&1
    fi
done
exit $status
