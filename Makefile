# Thin wrapper over CMake for the README's two commands and a few extras.
#   make demo   install what is missing, build, run the pipeline on the embedded broker
#   make test   install what is missing, build with -Werror + ASan/UBSan, run every test
BUILD      ?= build
TEST_BUILD ?= build-test
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
SHARED     ?= $(or $(NW_SHARED_DIR),$(abspath ../shared))

.PHONY: all deps deps-test build demo test-build test check bench e2e e2e-short e2e-sweep fuzz format install clean

all: build

deps:
	@deploy/deps.sh

deps-test:
	@deploy/deps.sh --test

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNW_BUILD_TESTS=OFF >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	deploy/demo.sh $(BUILD)

# The tests run on the sanitizer build (ASan + UBSan) with warnings as errors.
test-build: deps-test
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DNW_WERROR=ON -DNW_SANITIZE=ON \
	      -DNW_SHARED_DIR=$(SHARED) >/dev/null
	cmake --build $(TEST_BUILD) -j$(JOBS)

test: test-build
	cd $(TEST_BUILD) && ctest --output-on-failure -j$(JOBS)

# The end-to-end harness's short form alone (`make test` runs it too), figures shown.
e2e-short: test-build
	cd $(TEST_BUILD) && ctest -V -R '^e2e\.short$$'

# The same tests on an optimised build without sanitizers.
check: deps-test
	cmake -S . -B build-check -DNW_WERROR=ON -DNW_SHARED_DIR=$(SHARED) >/dev/null
	cmake --build build-check -j$(JOBS)
	cd build-check && ctest --output-on-failure -j$(JOBS)

bench: deps-test
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DNW_SHARED_DIR=$(SHARED) >/dev/null
	cmake --build build-bench -j$(JOBS)
	@for b in build-bench/tests/bench/bench_*; do [ -x "$$b" ] && echo "== $$b" && "$$b"; done; true

# The whole pipeline under load and faults (tests/e2e/harness.py; docs/benchmarks.md).
# E2E_ARGS passes options through, e.g. make e2e E2E_ARGS="--rate 1000 --faults none".
E2E_ARGS ?= --rate 200 --duration 120 --faults full
e2e: build
	python3 tests/e2e/harness.py --build $(BUILD) --shared $(SHARED) --out out/e2e $(E2E_ARGS)

# The highest rate the pipeline sustains on this machine (tests/e2e/sweep.py).
# SWEEP_ARGS passes options through, e.g. make e2e-sweep SWEEP_ARGS="--rates 300,600".
e2e-sweep: build
	python3 tests/e2e/sweep.py --build $(BUILD) --shared $(SHARED) --out out/e2e-sweep $(SWEEP_ARGS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(TEST_BUILD) build-check build-bench out

# libFuzzer targets with clang; FUZZ_SECONDS per target (CI runs a short pass).
FUZZ_SECONDS ?= 20
FUZZ_RUNS ?=
fuzz: deps-test
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DNW_FUZZ=ON -DNW_BUILD_TESTS=ON >/dev/null
	cmake --build build-fuzz -j$(JOBS) --target fuzz-all
	NW_SHARED_DIR=$(SHARED) FUZZ_RUNS=$(FUZZ_RUNS) tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)
