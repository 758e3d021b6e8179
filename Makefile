# h2o — HTTP/2 client library. `make demo` and `make test` are the two commands a new user runs.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: all build release demo test lint fmt-check clippy unit deps bench clean servers-check \
	python-venv python-build python-test python-bench

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
test: deps lint unit python-test

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

bench:
	$(CARGO) bench -p h2o-core

## Python package (bindings/python): a virtualenv at bindings/python/.venv with maturin, pytest,
## mypy and httpx; the extension is built in release mode into it (`maturin develop`).
PY_DIR := bindings/python
PY_VENV := $(PY_DIR)/.venv
PY := $(PY_VENV)/bin/python

python-venv: $(PY_VENV)/.deps-stamp

$(PY_VENV)/.deps-stamp: $(PY_DIR)/requirements-dev.txt
	python3 -m venv $(PY_VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r $(PY_DIR)/requirements-dev.txt
	touch $@

python-build: python-venv
	cd $(PY_DIR) && VIRTUAL_ENV=$(abspath $(PY_VENV)) PATH=$(abspath $(PY_VENV))/bin:$$PATH maturin develop --release -q

## python-test: type stubs checked against the built module, then pytest against h2o-testserver,
## nginx (h2c) and a misbehaving h2 server.
python-test: python-build
	$(CARGO) build -p h2o-testserver
	cd $(PY_DIR) && .venv/bin/python -m mypy --strict python/h2o_client
	cd /tmp && $(abspath $(PY)) -m mypy.stubtest h2o_client
	cd $(PY_DIR) && .venv/bin/python -m pytest -q --durations=5 tests

## python-bench: h2o_client vs httpx (http2) against nghttpd h2c; table in bindings/python/README.md.
python-bench: python-build
	$(PY) $(PY_DIR)/bench/bench.py

clean:
	$(CARGO) clean
