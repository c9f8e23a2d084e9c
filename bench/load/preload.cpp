// pp_preload: fills a data directory with N stored leads before a load run, so that the engine's
// throughput can be measured with a store that already holds 10^5 or 10^6 leads (issue 6, growth).
//   build/bench/pp_preload --config FILE --data DIR --leads N [--days 30]
// Leads go to every campaign of the configuration in turn, spread over the last --days days
// (bench/support/seed_leads.h), written with sync off, then compacted (as a store filled over days
// would be); closing the store flushes the WAL.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "api/app.h"
#include "core/config.h"
#include "seed_leads.h"

using namespace pp;

int main(int argc, char** argv) {
  std::string config_path, dir;
  size_t n = 0;
  int days = 30;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--config")
      config_path = v;
    else if (a == "--data")
      dir = v;
    else if (a == "--leads")
      n = std::stoul(v);
    else if (a == "--days")
      days = std::max(1, std::stoi(v));
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (config_path.empty() || dir.empty()) {
    std::fprintf(stderr, "usage: pp_preload --config FILE --data DIR --leads N [--days 30]\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  auto text = api::read_file(config_path);
  auto loaded = text ? load_config(*text) : ConfigLoadResult{};
  if (!loaded.config) {
    std::fprintf(stderr, "config %s: %s\n", config_path.c_str(),
                 loaded.errors.empty() ? "unreadable" : loaded.errors[0].c_str());
    return 1;
  }
  auto store = bench::open_bench_store(dir);
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto t0 = std::chrono::steady_clock::now();
  size_t failed = bench::seed_leads(*store, *loaded.config, n,
                                    now - int64_t(days) * 86400000 - 3600000, now - 3600000, 7);
  // Compacted before it is used, as a store that received these leads over days would be: the
  // growth scenario measures the engine on a large store, not the compaction of a fresh burst
  // (which otherwise runs inside pingpostd during the measurement).
  store->compact_all();
  store.reset();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("{\"leads\":%zu,\"failed\":%zu,\"seconds\":%.1f}\n", n, failed, secs);
  return failed ? 1 : 0;
}
