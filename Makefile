# h2o — HTTP/2 client library. `make demo` and `make test` are the two commands a new user runs.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: all build release demo test lint fmt-check clippy unit deps bench bench-check bench-micro clean servers-check \
	ffi header header-check c-header-test c-test c-test-plain c-test-asan c-test-valgrind c-symbols \
	examples examples-run install install-check uninstall c-bench bench-tools docs \
	python-venv python-build python-test python-bench node-test \
	conformance fuzz-all fuzz-seeds tsan

all: build

build:
	$(CARGO) build --workspace

release:
	$(CARGO) build --workspace --release

## demo: build what it needs and run the main job locally (no network beyond 127.0.0.1).
demo:
	$(CARGO) build --release -p h2o-cli -p h2o-testserver
	./scripts/demo.sh

## docs: regenerate the settings table of docs/CONFIG.md from the core's settings registry
## (`make unit` fails while it is stale).
docs:
	UPDATE_DOCS=1 $(CARGO) test -p h2o-core --test config docs_table_is_current

## deps: install what the tests need (system packages and cargo tools). Idempotent.
deps:
	./scripts/install-deps.sh

## test: install what tests need, then lint and run every test.
test: deps lint unit c-test python-test node-test

lint: fmt-check clippy

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

unit:
	$(CARGO) test --workspace

## conformance: the hostile-server catalogue (tests/e2e/src/catalogue.rs: RFC 9113 / 7541
## scenarios run against the real client over loopback); prints one table row per scenario.
## `make conformance ONLY=flood` runs a group or the scenarios whose name contains ONLY.
conformance:
	$(CARGO) run -q -p h2o-e2e --bin conformance -- $(ONLY)

## fuzz-all: every cargo-fuzz target for FUZZ_SECONDS each (default 600), one line per target
## with executions and crashes (fuzz/run-all.sh; MERGE=1 merges new inputs into fuzz/corpus).
FUZZ_SECONDS ?= 600
fuzz-all:
	fuzz/run-all.sh $(FUZZ_SECONDS)

## fuzz-seeds: regenerate the recorded-session seeds (hyper test server, nghttpd, nginx, h2o)
## and the HPACK seeds from the vendored hpack-test-case corpus.
fuzz-seeds:
	$(CARGO) run -q -p h2o-e2e --bin record_sessions -- fuzz/corpus
	fuzz/make-hpack-seeds.py

## tsan: the thread-heavy tests (tests/e2e/tests/threads.rs) under ThreadSanitizer. Needs a
## nightly toolchain with rust-src (`rustup component add rust-src --toolchain nightly`; std is
## rebuilt instrumented with -Zbuild-std) in target/tsan: ~20 min the first time, seconds after.
## Not part of `make test`. tests/tsan.supp: one tokio false positive (epoll ordering).
TSAN_TARGET := x86_64-unknown-linux-gnu
tsan:
	CARGO_TARGET_DIR=target/tsan RUSTFLAGS="-Zsanitizer=thread" RUSTDOCFLAGS="-Zsanitizer=thread" \
	  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(abspath tests/tsan.supp)" \
	  $(CARGO) +nightly test -Zbuild-std --target $(TSAN_TARGET) -p h2o-e2e --test threads

## node-test: build the Node.js package (bindings/node; `npm install` fetches @napi-rs/cli, `npm run build`
## compiles the addon in release mode) and run its node:test suites against the test server and nginx.
node-test:
	$(CARGO) build -p h2o-testserver
	cd bindings/node && npm install --no-audit --no-fund && npm run build && npm test

## servers-check: start each real server (nginx, h2o, nghttpd, apache2) in h2c and TLS mode and
## check it serves HTTP/2 (nghttp) and measure it (h2load); one line per combination.
servers-check: deps
	./tests/servers/check.sh

## ---- bench ------------------------------------------------------------------------
## bench: h2o vs its peers in interleaved rounds (ROUNDS=5): h2o bench vs h2load vs hyper (h2c,
## TLS), the C API vs the Rust API vs libcurl, Python vs httpx, Node vs node:http2 and undici,
## latency over a TCP ping-pong, memory per in-flight stream, 1 vs 2 submitting threads,
## allocations per request; PARTS="..." selects; writes and prints bench/results/latest.md
## (see bench/README.md).
bench:
	./bench/run.sh

## bench-tools: the C load generators of bench/run.sh (part c, latency) in build/bench:
## c-api-bench (libh2o-client, release), curl-multi (Debian's libcurl), pingpong.
BENCH_BIN := build/bench
bench-tools:
	$(MAKE) --no-print-directory ffi FFI_PROFILE=release CLIB=$(CBUILD)/lib-release
	mkdir -p $(BENCH_BIN)
	$(CC) -std=gnu11 $(C_WARN) -O2 -Iinclude bench/c-api/c_api_bench.c -o $(BENCH_BIN)/c-api-bench \
	  -L$(CBUILD)/lib-release -lh2o-client -Wl,-rpath,$(abspath $(CBUILD)/lib-release) -lpthread
	$(CC) -std=gnu11 $(C_WARN) -O2 bench/curl-multi/curl_multi.c -o $(BENCH_BIN)/curl-multi \
	  $$(pkg-config --cflags --libs libcurl)
	$(CC) -std=gnu11 $(C_WARN) -O2 bench/c-api/pingpong.c -o $(BENCH_BIN)/pingpong

## bench-check: exits non-zero if bench/results/latest.md misses a goal (issues #3, #6, #10).
bench-check:
	./bench/check.sh

## bench-micro: criterion micro-benchmarks of h2o-core (sans-IO connection, HPACK).
bench-micro:
	$(CARGO) bench -p h2o-core --bench proto

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

## ---------------------------------------------------------------------------------------
## C ABI (h2o-ffi): libh2o-client.so / .a, include/h2o.h, C tests, examples, install.
## Installed names avoid Debian's libh2o (the h2o server): see h2o-ffi/README.md.
FFI_PROFILE ?= debug
FFI_TARGET := target/$(FFI_PROFILE)
FFI_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
CBUILD := build/c
CLIB := $(CBUILD)/lib
CC ?= cc
CXX ?= c++
C_WARN := -Wall -Wextra -pedantic -Werror
C_LINK := -L$(CLIB) -lh2o-client -Wl,-rpath,$(abspath $(CLIB)) -lpthread
TESTSERVER := target/debug/h2o-testserver
VALGRIND ?= valgrind
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include

## ffi: build the library and stage it under build/c/lib as libh2o-client.so.0 (its soname).
ffi:
	$(CARGO) build -p h2o-ffi $(if $(filter release,$(FFI_PROFILE)),--release)
	mkdir -p $(CLIB)
	ln -sf $(abspath $(FFI_TARGET))/libh2o.so $(CLIB)/libh2o-client.so.0
	ln -sf libh2o-client.so.0 $(CLIB)/libh2o-client.so
	ln -sf $(abspath $(FFI_TARGET))/libh2o.a $(CLIB)/libh2o-client.a

## header: regenerate include/h2o.h from h2o-ffi (cbindgen, see h2o-ffi/cbindgen.toml).
header:
	cbindgen --config h2o-ffi/cbindgen.toml --crate h2o-ffi --output include/h2o.h h2o-ffi

## header-check: fail when the committed include/h2o.h differs from a fresh generation.
header-check:
	@tmp=$$(mktemp --suffix=.h) && \
	cbindgen --quiet --config h2o-ffi/cbindgen.toml --crate h2o-ffi --output $$tmp h2o-ffi && \
	if diff -u include/h2o.h $$tmp; then echo "header-check: include/h2o.h is up to date"; rm -f $$tmp; \
	else rm -f $$tmp; echo "header-check: include/h2o.h is stale: run 'make header'" >&2; exit 1; fi

## c-header-test: the header compiles as C99 and C++11 with -Wall -Wextra -pedantic -Werror;
## a C++ program links and runs against the library.
c-header-test: ffi
	$(CC) -std=c99 $(C_WARN) -Iinclude -c tests/c/header_c.c -o $(CBUILD)/header_c.o
	$(CXX) -std=c++11 $(C_WARN) -Iinclude tests/c/header_cpp.cpp -o $(CBUILD)/header_cpp $(C_LINK)
	$(CBUILD)/header_cpp

$(TESTSERVER):
	$(CARGO) build -p h2o-testserver

## hostile-server: the conformance catalogue served to the C tests (tests/e2e/src/bin/hostile_server.rs).
## Always rebuilt (cargo is quick when nothing changed), so the C run never uses a stale catalogue.
.PHONY: hostile-server
hostile-server:
	$(CARGO) build -p h2o-e2e --bin hostile_server

## c-test: everything the C side promises: header, plain run, ASan+UBSan run, valgrind run.
c-test: header-check c-header-test c-test-plain c-test-asan c-test-valgrind c-symbols examples-run install-check

## The hostile-server catalogue through the C API (tests/c/test_hostile.c, served by
## hostile_server via `tests/c/run.sh --hostile`; 148 scenarios). ASan+UBSan runs every
## scenario four ways: callbacks, poll, closed or cancelled mid-scenario (--close-early), and
## on_data pausing every chunk with h2o_client_resume from another thread (--pause). Plain
## runs the first three, then again on 2 runtime threads: callbacks, pause, poll for every
## 4th. Valgrind runs all four ways on the whole catalogue except 4 floods whose expectation
## needs native frame-processing speed (the test lists them with the reason; they run plain
## and under ASan), with the watchdog timeouts x3: ~2.5 min measured, so no smaller subset.
c-test-plain: ffi $(TESTSERVER) hostile-server
	$(CC) -std=gnu11 $(C_WARN) -g -O1 -Iinclude tests/c/test_h2o.c -o $(CBUILD)/test_h2o $(C_LINK)
	tests/c/run.sh $(CBUILD)/test_h2o
	H2O_TEST_RUNTIME_THREADS=2 tests/c/run.sh $(CBUILD)/test_h2o
	$(CC) -std=gnu11 $(C_WARN) -g -O1 -Iinclude tests/c/test_log.c -o $(CBUILD)/test_log $(C_LINK)
	tests/c/run.sh $(CBUILD)/test_log
	$(CC) -std=gnu11 $(C_WARN) -g -O1 -Iinclude tests/c/test_hostile.c -o $(CBUILD)/test_hostile $(C_LINK)
	tests/c/run.sh --hostile $(CBUILD)/test_hostile --close-early
	H2O_TEST_RUNTIME_THREADS=2 tests/c/run.sh --hostile $(CBUILD)/test_hostile --poll-every 4 --pause

c-test-asan: ffi $(TESTSERVER) hostile-server
	$(CC) -std=gnu11 $(C_WARN) -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	  -fno-sanitize-recover=all -Iinclude tests/c/test_h2o.c -o $(CBUILD)/test_h2o_asan $(C_LINK)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 LSAN_OPTIONS=suppressions=$(abspath tests/c/lsan.supp):print_suppressions=0 \
	  tests/c/run.sh $(CBUILD)/test_h2o_asan
	$(CC) -std=gnu11 $(C_WARN) -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	  -fno-sanitize-recover=all -Iinclude tests/c/test_log.c -o $(CBUILD)/test_log_asan $(C_LINK)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 LSAN_OPTIONS=suppressions=$(abspath tests/c/lsan.supp):print_suppressions=0 \
	  tests/c/run.sh $(CBUILD)/test_log_asan
	$(CC) -std=gnu11 $(C_WARN) -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	  -fno-sanitize-recover=all -Iinclude tests/c/test_hostile.c -o $(CBUILD)/test_hostile_asan $(C_LINK)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 LSAN_OPTIONS=suppressions=$(abspath tests/c/lsan.supp):print_suppressions=0 \
	  tests/c/run.sh --hostile $(CBUILD)/test_hostile_asan --close-early --pause

c-test-valgrind: c-test-plain
	tests/c/run.sh $(VALGRIND) -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect,possible \
	  --suppressions=tests/c/valgrind.supp $(CBUILD)/test_h2o
	tests/c/run.sh $(VALGRIND) -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect,possible \
	  --suppressions=tests/c/valgrind.supp $(CBUILD)/test_log
	H2O_HOSTILE_TIMEOUT_SCALE=3 tests/c/run.sh --hostile $(VALGRIND) -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect,possible \
	  --suppressions=tests/c/valgrind.supp $(CBUILD)/test_hostile --valgrind --close-early --pause

## c-symbols: the shared library exports only h2o_* symbols.
c-symbols: ffi
	@bad=$$(nm -D --defined-only $(CLIB)/libh2o-client.so.0 | awk '{print $$3}' | grep -v '^h2o_' || true); \
	if [ -n "$$bad" ]; then echo "c-symbols: non-h2o_ exports:" >&2; echo "$$bad" >&2; exit 1; fi; \
	echo "c-symbols: $$(nm -D --defined-only $(CLIB)/libh2o-client.so.0 | wc -l) exports, all h2o_*; soname $$(readelf -d $(CLIB)/libh2o-client.so.0 | sed -n 's/.*soname: \[\(.*\)\]/\1/p')"

## examples: build examples/c/*.c into build/c/examples (run them with tests/c/run.sh).
examples: ffi
	mkdir -p $(CBUILD)/examples
	for f in examples/c/*.c; do \
	  $(CC) -std=gnu11 $(C_WARN) -O2 -Iinclude $$f -o $(CBUILD)/examples/$$(basename $$f .c) $(C_LINK) || exit 1; \
	done

## examples-run: run every example against the test server (part of c-test).
examples-run: examples $(TESTSERVER)
	tests/c/run.sh sh -c 'set -e; b=http://127.0.0.1:$$H2O_TEST_PORT; e=$(CBUILD)/examples; \
	  $$e/get $$b/hello >/dev/null; $$e/multiplex $$b 100; $$e/game_loop $$b 600; $$e/upload $$b/sha256 4; \
	  $$e/poll_loop $$b 10'

## c-bench: poll cost (empty, 100 idle requests) and callback throughput (1 conn x 100
## streams) of the release library, next to the same loop on the Rust EventSink API.
c-bench:
	$(CARGO) build --release -p h2o-ffi -p h2o-testserver --example bench_rust
	$(MAKE) --no-print-directory ffi FFI_PROFILE=release CLIB=$(CBUILD)/lib-release
	$(CC) -std=gnu11 $(C_WARN) -O2 -Iinclude tests/c/bench.c -o $(CBUILD)/bench \
	  -L$(CBUILD)/lib-release -lh2o-client -Wl,-rpath,$(abspath $(CBUILD)/lib-release) -lpthread
	H2O_TESTSERVER=target/release/h2o-testserver tests/c/run.sh sh -c 'set -e; b=http://127.0.0.1:$$H2O_TEST_PORT; \
	  for p in /bytes/16384 /hello; do $(CBUILD)/bench $$b 20000 $$p; target/release/examples/bench_rust $$b 20000 $$p; done'

## install: PREFIX=/usr/local (default) [DESTDIR=] [INSTALL_PROFILE=release|debug]:
## lib/libh2o-client.so.$(FFI_VERSION) (+ .so.0, .so links), lib/libh2o-client.a,
## include/h2o-client/h2o.h, lib/pkgconfig/h2o-client.pc.
INSTALL_PROFILE ?= release
install: FFI_PROFILE = $(INSTALL_PROFILE)
install: FFI_TARGET = target/$(INSTALL_PROFILE)
install: ffi
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/h2o-client
	install -m 755 $(FFI_TARGET)/libh2o.so $(DESTDIR)$(LIBDIR)/libh2o-client.so.$(FFI_VERSION)
	ln -sf libh2o-client.so.$(FFI_VERSION) $(DESTDIR)$(LIBDIR)/libh2o-client.so.0
	ln -sf libh2o-client.so.0 $(DESTDIR)$(LIBDIR)/libh2o-client.so
	install -m 644 $(FFI_TARGET)/libh2o.a $(DESTDIR)$(LIBDIR)/libh2o-client.a
	install -m 644 include/h2o.h $(DESTDIR)$(INCLUDEDIR)/h2o-client/h2o.h
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(FFI_VERSION)|' \
	  h2o-ffi/h2o-client.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/h2o-client.pc
	@echo "installed libh2o-client $(FFI_VERSION) under $(DESTDIR)$(PREFIX)"

## install-check: install (debug build) into a temp prefix, then build examples/c/get.c
## against it with pkg-config, shared and static, and run both.
install-check: $(TESTSERVER)
	@set -e; d=$$(mktemp -d); trap 'rm -rf $$d' EXIT; \
	$(MAKE) --no-print-directory install PREFIX=$$d INSTALL_PROFILE=debug >/dev/null; \
	export PKG_CONFIG_PATH=$$d/lib/pkgconfig; \
	$(CC) examples/c/get.c -o $$d/get_shared $$(pkg-config --cflags --libs h2o-client) -lpthread; \
	$(CC) examples/c/get.c -o $$d/get_static $$(pkg-config --cflags h2o-client) $$d/lib/libh2o-client.a \
	  $$(pkg-config --static --libs-only-l h2o-client | sed 's/-lh2o-client//'); \
	readelf -d $$d/get_shared | grep -q 'NEEDED.*libh2o-client.so.0'; \
	! readelf -d $$d/get_static | grep -q 'libh2o-client'; \
	LD_LIBRARY_PATH=$$d/lib tests/c/run.sh sh -c "$$d/get_shared http://127.0.0.1:\$$H2O_TEST_PORT/hello >/dev/null && \
	  $$d/get_static http://127.0.0.1:\$$H2O_TEST_PORT/hello >/dev/null"; \
	echo "install-check: installed layout, pkg-config, shared and static linking work"

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libh2o-client.so.$(FFI_VERSION) $(DESTDIR)$(LIBDIR)/libh2o-client.so.0 \
	  $(DESTDIR)$(LIBDIR)/libh2o-client.so $(DESTDIR)$(LIBDIR)/libh2o-client.a \
	  $(DESTDIR)$(LIBDIR)/pkgconfig/h2o-client.pc $(DESTDIR)$(INCLUDEDIR)/h2o-client/h2o.h
	-rmdir $(DESTDIR)$(INCLUDEDIR)/h2o-client
