# pingpost: the two commands a newcomer needs.
#   make run    install missing packages, build, start the engine on 127.0.0.1:8080 (demo config)
#   make test   install missing packages, build, run every test
#   make bench  Release build, every benchmark against its reference (< 10 min), writes
#               bench/results/latest.md (BENCHMARKS.md quotes it)
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
LISTEN ?= 127.0.0.1:8080
CONFIG ?= configs/demo.json
DATA ?= var/data
SANITIZE ?=

.PHONY: deps configure build run test clean bench

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DPINGPOST_SANITIZE=$(SANITIZE) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@mkdir -p $(DATA)
	./$(BUILD_DIR)/pingpostd --config $(CONFIG) --data $(DATA) --listen $(LISTEN)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 300

clean:
	rm -rf $(BUILD_DIR)

BENCH_DIR ?= build-release
BENCH_ARGS ?=
bench:
	@bash scripts/install-deps.sh --bench
	@cmake -S . -B $(BENCH_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BENCH_DIR) -j $(JOBS) --target pingpostd pp_micro pp_fakebuyer pp_loadgen pp_preload pp_reportbench
	python3 bench/run_bench.py --build $(BENCH_DIR) --out bench/results/latest.md $(BENCH_ARGS)
