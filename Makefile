# h2o — HTTP/2 client library. `make demo` and `make test` are the two commands a new user runs.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: all build release demo test lint fmt-check clippy unit deps bench bench-check bench-micro clean servers-check

all: build

build:
	$(CARGO) build --workspace

release:
	$(CARGO) build --workspace --release

## demo: build what it needs and run the main job locally (no network beyond 127.0.0.1).
demo: release
	$(CARGO) run --release -p h2o-core --example codec_demo

## deps: install what the tests need (system packages and cargo tools). Idempotent.
deps:
	./scripts/install-deps.sh

## test: install what tests need, then lint and run every test.
test: deps lint unit

lint: fmt-check clippy

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

unit:
	$(CARGO) test --workspace

## servers-check: start each real server (nginx, h2o, nghttpd, apache2) in h2c and TLS mode and
## check it serves HTTP/2 (nghttp) and measure it (h2load); one line per combination.
servers-check: deps
	./tests/servers/check.sh

## ---- bench ------------------------------------------------------------------------
## bench: h2o bench vs h2load vs hyper against nghttpd and the h2o server (interleaved rounds,
## ROUNDS=5 by default), client memory per in-flight stream, 1 vs 2 submitting threads,
## allocations per request; writes and prints bench/results/latest.md (see bench/README.md).
bench:
	./bench/run.sh

## bench-check: exits non-zero if bench/results/latest.md misses a goal of issue #3.
bench-check:
	./bench/check.sh

## bench-micro: criterion micro-benchmarks of h2o-core (sans-IO connection, HPACK).
bench-micro:
	$(CARGO) bench -p h2o-core --bench proto

clean:
	$(CARGO) clean
