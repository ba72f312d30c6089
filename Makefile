# The two README commands: `make demo` and `make check`. Each installs what it needs.
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_TSAN ?= build-tsan
BUILD_FUZZ ?= build-fuzz
FUZZ_CC    ?= clang
FUZZ_SECONDS ?= 60
JOBS       ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build demo check check-fast check-asan check-tsan check-valgrind check-fuzz fuzz fuzz-build style install bench bench-quick clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	scripts/demo.sh $(BUILD)

# Everything: style, sanitizers, valgrind, fuzzing, then the plain suite whose summary ends the output.
check: deps style check-asan check-tsan check-valgrind check-fuzz check-fast

check-fast: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 600

check-asan: deps
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DHTTPX_SANITIZE=ON >/dev/null
	cmake --build $(BUILD_ASAN) -j$(JOBS)
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  HTTPX_TEST_SCALE=small ctest --output-on-failure -j$(JOBS) --timeout 600 -LE nosan

# ThreadSanitizer on what crosses threads: the loop core and the hand-over.
check-tsan: deps
	cmake -S . -B $(BUILD_TSAN) -DCMAKE_BUILD_TYPE=Debug -DHTTPX_TSAN=ON >/dev/null
	cmake --build $(BUILD_TSAN) -j$(JOBS) --target threads_test async_test loop_test
	cd $(BUILD_TSAN) && TSAN_OPTIONS=halt_on_error=1 \
	  HTTPX_TEST_SCALE=small ctest --output-on-failure --timeout 600 -R 'threads|async_test|loop_test'

check-valgrind: build
	cd $(BUILD) && HTTPX_TEST_SCALE=small HTTPX_VALGRIND=1 \
	  ctest --output-on-failure -j$(JOBS) --timeout 900 -L valgrind

style:
	@scripts/check-style.sh

# Fuzzing (docs: fuzz/run.sh). The libFuzzer targets fuzz/*_fuzz.c, built by clang
# with ASan+UBSan in $(BUILD_FUZZ)/fuzz/; each runs FUZZ_SECONDS from its seeds in
# fuzz/corpus/<name>, keeping what it finds in $(BUILD_FUZZ)/corpus-grown/<name>
# and crash inputs in $(BUILD_FUZZ)/crashes/<name>/. The corpora themselves are
# replayed by every test build (ctest -R fuzz).
fuzz-build: deps
	cmake -S . -B $(BUILD_FUZZ) -DCMAKE_C_COMPILER=$(FUZZ_CC) -DCMAKE_BUILD_TYPE=Debug \
	  -DHTTPX_FUZZ=ON -DHTTPX_TESTS=OFF >/dev/null
	cmake --build $(BUILD_FUZZ) -j$(JOBS) --target fuzzers

fuzz: fuzz-build
	fuzz/run.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

# In `make check`: every target for 30 s with a fixed seed (fuzz/run.sh), when clang
# can build libFuzzer binaries.
check-fuzz: deps
	@if fuzz/run.sh --available $(FUZZ_CC); then \
	  FUZZ_SEED=1 $(MAKE) --no-print-directory fuzz FUZZ_SECONDS=30; \
	else \
	  echo "check-fuzz: skipped: $(FUZZ_CC) cannot build libFuzzer binaries (clang and libclang-rt-14-dev)"; \
	fi

install: build
	cmake --install $(BUILD)

# Benchmarks (issue 6): libhttpx next to wrk, h2load, libcurl, HTTPX and aiohttp, same
# run, same servers. Builds its own Release library in build-bench/; writes
# bench/results.md and bench/results.png. See docs/performance.md.
bench: deps
	bench/run.sh full

bench-quick: deps
	bench/run.sh quick

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_TSAN) $(BUILD_FUZZ)
