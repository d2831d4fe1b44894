# stablevfs front door. `make run` and `make test` are the whole Quick start: each installs what is missing,
# builds, and runs. Every target is idempotent.

# Debian packages the project needs (build, tests, benchmarks, tools).
PACKAGES := g++ cmake make libsqlite3-dev sqlite3 libgtest-dev libgmock-dev librapidcheck-dev \
            libbenchmark-dev valgrind
JOBS ?= 2
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
STABLEVFS := build/default/harness/cli/stablevfs

.PHONY: deps build build-asan run test test-asan nofailpoints bench bench-readme clean

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
