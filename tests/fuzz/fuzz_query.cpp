// Read API query strings: any query to /public/stats, /public/stats/supplier, /public/accounting
// and /public/leads over an (empty) store answers 200 or a 400 with details, never anything else.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "api/reports.h"
#include "engine/engine.h"
#include "fuzz_support.h"

namespace {

struct World {
  std::unique_ptr<pp::storage::Store> store;
  pp::ManualClock clock{1738368000000};
  std::unique_ptr<pp::engine::Engine> engine;
  World() {
    spdlog::set_level(spdlog::level::off);
    auto dir = std::filesystem::temp_directory_path() /
               ("pp-fuzz-query-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::string err;
    store = pp::storage::Store::open(dir.string(), {}, err);
    std::vector<std::string> errors;
    engine = std::make_unique<pp::engine::Engine>(
        pp::engine::Snapshot::build(pp::fuzz::demo_config_ptr(), errors), *store, clock);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World w;
  if (size == 0) return 0;
  using Endpoint = pp::api::Response (*)(pp::engine::Engine&, const pp::api::Request&);
  static const Endpoint eps[] = {&pp::api::stats_endpoint, &pp::api::supplier_stats_endpoint,
                                 &pp::api::accounting_endpoint, &pp::api::leads_endpoint};
  pp::api::Request r;
  r.method = "GET";
  r.query.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  pp::api::Response res = eps[data[0] % 4](*w.engine, r);
  if (res.status != 200 && res.status != 400) __builtin_trap();
  return 0;
}
