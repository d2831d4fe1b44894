# stablevfs front door. `make run` and `make test` are the whole Quick start: each installs what is missing,
# builds, and runs. Every target is idempotent.

# Debian packages the project needs (build, tests, benchmarks, tools).
PACKAGES := g++ cmake make libsqlite3-dev sqlite3 libgtest-dev libgmock-dev librapidcheck-dev \
            libbenchmark-dev valgrind clang-14 libclang-rt-14-dev
JOBS ?= 2
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
STABLEVFS := build/default/harness/cli/stablevfs
# Seconds each fuzz target runs in `make fuzz-parsers` (one target at a time).
FUZZ_SECONDS ?= 600
CCACHE := $(shell command -v ccache >/dev/null 2>&1 && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)

.PHONY: deps build build-asan build-fuzz run test test-asan test-fuzz fuzz-parsers nofailpoints bench bench-readme clean

deps:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "make deps: all packages present"; fi

build: deps
	cmake --preset default
	cmake --build --preset default -j $(JOBS)

build-asan: deps
	cmake --preset asan
	cmake --build --preset asan -j $(JOBS)

# The libFuzzer targets (fuzz/, docs/fuzzing.md) in build/fuzz, with clang-14 and ASan + UBSan.
build-fuzz: deps
	cmake --preset fuzz $(CCACHE)
	cmake --build --preset fuzz -j $(JOBS)

# Every parser fuzzed for FUZZ_SECONDS each, one after another; a table of runs, exec/s, coverage, findings.
fuzz-parsers: build-fuzz
	fuzz/run_fuzzers.sh --build-dir build/fuzz --seconds $(FUZZ_SECONDS)

# CI's short fuzz run: 5 s per target (ctest label fuzz). Skipped, saying so, where clang-14 cannot link
# libFuzzer (the fuzz preset then registers one skipped test that says what to install).
test-fuzz: deps
	@if command -v clang++-14 >/dev/null 2>&1; then \
	  cmake --preset fuzz $(CCACHE) && cmake --build --preset fuzz -j $(JOBS) && ctest --preset fuzz; \
	else echo "make test-fuzz: SKIPPED: clang++-14 not found; install clang-14 and libclang-rt-14-dev (make deps)"; fi

# The default correctness gate: every builtin layout, each with the full budget, and the verdict matrix.
run: build
	$(STABLEVFS) check --layout all

test: build
	ctest --preset default

test-asan: build-asan
	ctest --preset asan

nofailpoints: deps
	cmake --preset nofailpoints
	cmake --build --preset nofailpoints -j $(JOBS)
	ctest --preset nofailpoints

# Both suites (VFS workloads and harness throughput), Markdown on stdout, JSON in build/bench-results/.
bench: build
	$(STABLEVFS) bench --build-type RelWithDebInfo --goal-clock cpu

# The same, and the README's performance section regenerated from the run.
bench-readme: build
	$(STABLEVFS) bench --build-type RelWithDebInfo --goal-clock cpu --readme README.md

clean:
	rm -rf build
