#!/usr/bin/env bash
# TLS benchmark (issue #4): now part `tls` of bench/run.sh (`PARTS=tls make bench`): h2o bench
# vs h2load over TLS 1.3 against nghttpd and the h2o server, 1×100 and 4×100 streams of /13b,
# interleaved rounds, and the first response on a fresh connection. Kept as a shortcut.
# ROUNDS (5), TLS_N (100000), HS_N (20): see bench/README.md.
exec env PARTS=tls "$(cd "$(dirname "$0")" && pwd)/run.sh" "$@"
