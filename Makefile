# The two README commands: `make demo` and `make check`. Each installs what it needs.
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_TSAN ?= build-tsan
JOBS       ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build demo check check-fast check-asan check-tsan check-valgrind style install bench bench-quick clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	scripts/demo.sh $(BUILD)

# Everything: style, sanitizers, valgrind, then the plain suite whose summary ends the output.
check: deps style check-asan check-tsan check-valgrind check-fast

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
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_TSAN)
