# pingpost: the two commands a newcomer needs.
#   make run    install missing packages, build, start the engine on 127.0.0.1:8080 (demo config)
#   make test   install missing packages, build, run every test
#   make bench  Release build, every benchmark against its reference (< 10 min), writes
#               bench/results/latest.md (BENCHMARKS.md quotes it)
#   make fuzz   clang + libFuzzer build of tests/fuzz, each target FUZZ_SECONDS (default 60)
#   make package  Release build of pingpostd and ppctl, then a Debian package (CPack) in
#               build-package/ (install: apt install ./build-package/pingpost_*.deb)
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
LISTEN ?= 127.0.0.1:8080
CONFIG ?= configs/demo.json
DATA ?= var/data
SANITIZE ?=

.PHONY: deps configure build run test clean bench fuzz package

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DPINGPOST_SANITIZE=$(SANITIZE) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@mkdir -p $(DATA)
	./$(BUILD_DIR)/pingpostd --config $(CONFIG) --data $(DATA) --listen $(LISTEN)

TEST_FUZZ_SECONDS ?= 10
test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 300
	@# Every libFuzzer target briefly (clang build in $(FUZZ_DIR)); not in sanitizer runs.
	@if [ -z "$(SANITIZE)" ]; then $(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS); fi

clean:
	rm -rf $(BUILD_DIR)

BENCH_DIR ?= build-release
BENCH_ARGS ?=
bench:
	@bash scripts/install-deps.sh --bench
	@cmake -S . -B $(BENCH_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BENCH_DIR) -j $(JOBS) --target pingpostd pp_micro pp_fakebuyer pp_loadgen pp_preload pp_reportbench pp_minlead pp_listbench \
	  pp_outboxbench pp_exportbench
	python3 bench/run_bench.py --build $(BENCH_DIR) --out bench/results/latest.md $(BENCH_ARGS)

FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = fuzz_intake fuzz_template fuzz_response fuzz_condition fuzz_query fuzz_config fuzz_checks
fuzz: deps
	@cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPINGPOST_FUZZ=ON \
	  -DPINGPOST_BUILD_BENCH=OFF -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
	@cmake --build $(FUZZ_DIR) -j $(JOBS) --target $(FUZZ_TARGETS)
	bash scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

PACKAGE_DIR ?= build-package
package: deps
	@cmake -S . -B $(PACKAGE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DPINGPOST_BUILD_TESTS=OFF \
	  -DPINGPOST_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(PACKAGE_DIR) -j $(JOBS) --target pingpostd ppctl
	cd $(PACKAGE_DIR) && cpack -G DEB
