#pragma once
// Stored leads for benchmarks: N leads written the way the engine writes them (lead, debug log,
// indexes, rollups), for pp_preload (growth runs) and the stats micro benchmark.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/config.h"
#include "storage/store.h"

namespace pp::bench {

// Opens (creating) a store for a benchmark with sync off: these tools measure reads or the engine,
// not the disk. Prints the error and exits with 1 when it cannot.
std::unique_ptr<storage::Store> open_bench_store(const std::string& dir);

// Writes n leads spread evenly over [from_ms, to_ms) to every campaign of `config` in turn: names,
// email, phone, state, zip, lp_subid1; a supplier and a buyer of the campaign; half sold, one in ten
// duplicated, the rest rejected. Waits until all are stored; returns how many failed.
size_t seed_leads(storage::Store& store, const Config& config, size_t n, int64_t from_ms,
                  int64_t to_ms, uint64_t seed);

}  // namespace pp::bench
