// Read-API benchmark (issue 5): stores N leads (default 1,000,000) spread over 31 days in three
// campaigns through the real settlement path (lead + debug log + rollups + indexes), then times
// the report endpoints as the API serves them (parameter checks, engine, JSON rendering), against
// a reference on the same data: the same figures recomputed by reading every lead in the range,
// which is what reports without rollups would have to do.
//
//   build/bench/pp_reportbench [--leads N] [--repeat R] [--dir PATH]
//
// Loading uses sync=false (no fsync per group: this measures reads, not the disk).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "api/reports.h"
#include "core/config.h"
#include "engine/engine.h"
#include "seed_leads.h"

using namespace pp;
using Clk = std::chrono::steady_clock;

namespace {

constexpr const char* kConfig = R"({
  "account": {"name": "Bench", "timezone": "America/New_York"},
  "clients": [{"id": 1, "company": "S1"}, {"id": 2, "company": "S2"}, {"id": 3, "company": "B1"},
              {"id": 4, "company": "B2"}, {"id": 5, "company": "B3"}],
  "api_tokens": [{"name": "t", "token": "bench-token-1", "role": "admin"}],
  "campaigns": [CAMPAIGNS]})";

std::string campaign_json(int c) {
  std::string s = R"({"id": )" + std::to_string(c) + R"(, "name": "C)" + std::to_string(c) +
                  R"(", "type": "direct_post",
    "fields": [{"name": "state", "type": "state"}, {"name": "phone", "type": "phone"},
               {"name": "email", "type": "email"}],
    "suppliers": [)";
  for (int i = 0; i < 5; ++i) {
    s += (i ? "," : "") + std::string(R"({"id": )") + std::to_string(c * 100 + i) +
         R"(, "client_id": )" + std::to_string(1 + i % 2) + R"(, "lp_key": "supplier-key-)" +
         std::to_string(c * 100 + i) + "\"}";
  }
  s += R"(], "buyers": [)";
  for (int i = 0; i < 8; ++i) {
    if (i) s += ',';
    s += R"({"id": )" + std::to_string(c * 100 + 50 + i) + R"(, "client_id": )" +
         std::to_string(3 + i % 3) + R"(, "type": "lead_store"})";
  }
  return s + "]}";
}

struct Timing {
  double min_ms = 0, p50_ms = 0, max_ms = 0;
  size_t bytes = 0;
};

template <typename Fn>
Timing measure(int repeat, Fn&& fn) {
  std::vector<double> ms;
  Timing t;
  for (int i = 0; i < repeat; ++i) {
    auto t0 = Clk::now();
    t.bytes = fn();
    ms.push_back(std::chrono::duration<double, std::milli>(Clk::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  t.min_ms = ms.front();
  t.p50_ms = ms[ms.size() / 2];
  t.max_ms = ms.back();
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 1000000;
  int repeat = 15;
  std::string dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--leads") n = std::stoul(argv[i + 1]);
    if (a == "--repeat") repeat = std::stoi(argv[i + 1]);
    if (a == "--dir") dir = argv[i + 1];
  }
  spdlog::set_level(spdlog::level::warn);
  if (dir.empty()) {
    dir = (std::filesystem::temp_directory_path() / "pp-reportbench").string();
    std::filesystem::remove_all(dir);
  }
  std::string cfg_text = kConfig;
  cfg_text.replace(cfg_text.find("CAMPAIGNS"), 9,
                   campaign_json(1) + "," + campaign_json(2) + "," + campaign_json(3));
  auto loaded = load_config(cfg_text);
  if (!loaded.config) {
    std::fprintf(stderr, "config: %s\n", loaded.errors[0].c_str());
    return 1;
  }
  std::vector<std::string> errors;
  auto snap = engine::Snapshot::build(loaded.config, errors);
  auto store = bench::open_bench_store(dir);
  ManualClock clock(1738368000000);  // 2025-02-01
  engine::Engine eng(snap, *store, clock);

  // ---- load: 31 days of January 2025 (New York), three campaigns ----
  const UnixMs from = 1735707600000;  // 2025-01-01 00:00 EST
  const UnixMs span = 31LL * 86400000;
  auto t0 = Clk::now();
  // The engine's way (lead, debug log, indexes, rollups): bench/support/seed_leads.h.
  size_t failed = bench::seed_leads(*store, *loaded.config, n, from, from + span, 42);
  double load_s = std::chrono::duration<double>(Clk::now() - t0).count();
  std::printf("loaded %zu leads in %.1f s (%.0f leads/s, %zu failed)\n", n, load_s,
              double(n) / load_s, failed);

  if (getenv("PP_COMPACT")) {
    auto c0 = Clk::now();
    store->compact_expiring();
    std::printf("compacted in %.1f s\n", std::chrono::duration<double>(Clk::now() - c0).count());
  }
  auto call = [&](api::Response (*ep)(engine::Engine&, const api::Request&), const std::string& q) {
    api::Request r;
    r.method = "GET";
    r.query = q;
    api::Response resp = ep(eng, r);
    if (resp.status != 200)
      std::fprintf(stderr, "%s -> %d %s\n", q.c_str(), resp.status,
                   resp.body.substr(0, 200).c_str());
    return resp.body.size();
  };
  const std::string month = "start_date=2025-01-01&end_date=2025-01-31&timezone=America/New_York";

  // Reference: the campaign figures of the month recomputed from the leads themselves.
  auto reference = [&] {
    int64_t leads = 0, accepted = 0, cost = 0, revenue = 0;
    for (const auto& c : snap->config().campaigns) {
      store->scan_campaign_leads(c.id, from, from + span, std::nullopt,
                                 [&](const storage::LeadIndexEntry& e) {
                                   auto l = store->get_lead(e.id);
                                   if (!l) return true;
                                   ++leads;
                                   accepted += l->status == LeadStatus::kAccepted;
                                   cost += l->cost.units();
                                   revenue += l->revenue.units();
                                   return true;
                                 });
    }
    return size_t(leads + accepted + cost + revenue > 0);
  };

  struct Row {
    const char* name;
    Timing t;
  };
  std::vector<Row> rows;
  rows.push_back({"stats, 31 days, group=day", measure(repeat, [&] {
                    return call(&api::stats_endpoint, month + "&group=day");
                  })});
  rows.push_back(
      {"stats, 31 days", measure(repeat, [&] { return call(&api::stats_endpoint, month); })});
  rows.push_back({"stats, 7 days, group=hour", measure(repeat, [&] {
                    return call(&api::stats_endpoint,
                                "start_date=2025-01-10&end_date=2025-01-16&group=hour");
                  })});
  rows.push_back({"stats/supplier, 31 days, group=sub1", measure(repeat, [&] {
                    return call(&api::supplier_stats_endpoint,
                                month + "&campaign=1&supplier=100&group=sub1");
                  })});
  rows.push_back({"accounting simple, 31 days",
                  measure(repeat, [&] { return call(&api::accounting_endpoint, month); })});
  rows.push_back({"accounting granular buyers", measure(repeat, [&] {
                    return call(&api::accounting_endpoint,
                                month + "&mode=granular&client_type=buyers");
                  })});
  rows.push_back({"leads, first page (100)", measure(repeat, [&] {
                    return call(&api::leads_endpoint, month + "&campaign=2");
                  })});
  rows.push_back({"leads, status=accepted&return=0", measure(repeat, [&] {
                    return call(&api::leads_endpoint,
                                month + "&campaign=2&status=accepted&return=0");
                  })});
  rows.push_back({"leads, field_name=state&field_value=TX", measure(repeat, [&] {
                    return call(&api::leads_endpoint,
                                month + "&campaign=2&field_name=state&field_value=TX");
                  })});
  Timing ref = measure(std::max(1, repeat / 5), reference);

  std::printf("\n%-42s %10s %10s %10s %10s\n", "endpoint (in process, JSON rendered)", "min ms",
              "p50 ms", "max ms", "bytes");
  for (const auto& r : rows)
    std::printf("%-42s %10.2f %10.2f %10.2f %10zu\n", r.name, r.t.min_ms, r.t.p50_ms, r.t.max_ms,
                r.t.bytes);
  std::printf("%-42s %10.2f %10.2f %10.2f\n", "reference: scan the month's leads", ref.min_ms,
              ref.p50_ms, ref.max_ms);
  std::printf("\nstats 31 days by day vs reference scan: %.0fx faster (p50)\n",
              ref.p50_ms / rows[0].t.p50_ms);
  store->close();
  uintmax_t bytes = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) bytes += e.file_size();
  std::printf("database: %.0f MiB for %zu leads (%s)\n", double(bytes) / (1 << 20), n, dir.c_str());
  return 0;
}
