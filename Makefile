# h2o — HTTP/2 client library. `make demo` and `make test` are the two commands a new user runs.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: all build release demo test lint fmt-check clippy unit deps bench clean servers-check node-test

all: build

build:
	$(CARGO) build --workspace

release:
	$(CARGO) build --workspace --release

## demo: build what it needs and run the main job locally (no network beyond 127.0.0.1).
demo:
	$(CARGO) build --release -p h2o-cli -p h2o-testserver
	./scripts/demo.sh

## deps: install what the tests need (system packages and cargo tools). Idempotent.
deps:
	./scripts/install-deps.sh

## test: install what tests need, then lint and run every test.
test: deps lint unit node-test

lint: fmt-check clippy

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

unit:
	$(CARGO) test --workspace

## node-test: build the Node.js package (bindings/node; `npm install` fetches @napi-rs/cli, `npm run build`
## compiles the addon in release mode) and run its node:test suites against the test server and nginx.
node-test:
	$(CARGO) build -p h2o-testserver
	cd bindings/node && npm install --no-audit --no-fund && npm run build && npm test

## servers-check: start each real server (nginx, h2o, nghttpd, apache2) in h2c and TLS mode and
## check it serves HTTP/2 (nghttp) and measure it (h2load); one line per combination.
servers-check: deps
	./tests/servers/check.sh

bench:
	$(CARGO) bench -p h2o-core

clean:
	$(CARGO) clean
