// Exports at scale (issue 19): 10^6 leads exported as CSV and as XLSX by the export job, with the
// time each takes and the process's resident size while it runs (sampled every 20 ms from
// /proc/self/status).
//
//   build-release/bench/pp_exportbench [--leads 1000000] [--dir PATH] [--formats csv,xlsx]
//
// The leads (six fields, sold to one buyer, spread over one day) are written straight to storage
// (unsynced, as a data directory filled by traffic would hold them), then compacted; an App is
// started on that directory (no listener traffic) and its job runner makes each export.
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#include "api/app.h"
#include "core/ids.h"

using namespace pp;
using Clk = std::chrono::steady_clock;

namespace {

int64_t rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  return 0;
}

const char* kConfig = R"({
  "account": {"name": "Bench", "timezone": "America/New_York"},
  "clients": [{"id": 1, "company": "Supplier"}, {"id": 2, "company": "Buyer"}],
  "api_tokens": [{"name": "admin", "token": "bench-admin-token", "role": "admin"}],
  "campaigns": [{"id": 1, "name": "Bench", "type": "direct_post",
    "fields": [{"name": "first_name", "type": "text"}, {"name": "last_name", "type": "text"},
               {"name": "email", "type": "email"}, {"name": "phone", "type": "phone"},
               {"name": "state", "type": "state"}, {"name": "zip_code", "type": "zip"}],
    "suppliers": [{"id": 10, "client_id": 1, "lp_key": "bench-supplier-key",
                   "price": {"type": "static", "amount": "4.25"}}],
    "buyers": [{"id": 20, "client_id": 2, "type": "lead_store",
                "price": {"type": "static", "amount": "12.5"}}]}]})";

}  // namespace

int main(int argc, char** argv) {
  size_t n = 1'000'000;
  std::string dir, formats = "csv,xlsx";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--leads")
      n = std::stoul(v);
    else if (k == "--dir")
      dir = v;
    else if (k == "--formats")
      formats = v;
  }
  if (dir.empty()) dir = (std::filesystem::temp_directory_path() / "pp-exportbench").string();
  std::filesystem::remove_all(dir);
  const UnixMs day = 1'780'000'000'000;  // 2026-05-28
  {
    std::string err;
    storage::StoreOptions so;
    so.sync = false;
    auto store = storage::Store::open(dir, so, err);
    if (!store) {
      std::fprintf(stderr, "%s\n", err.c_str());
      return 1;
    }
    IdGenerator ids(7);
    std::mutex mu;
    std::condition_variable cv;
    size_t in_flight = 0;
    const auto t0 = Clk::now();
    const std::vector<std::string> indexed = {"email", "phone"};
    for (size_t i = 0; i < n; ++i) {
      Lead l;
      l.created_ms = day + UnixMs(i * 86'000'000 / n);
      l.id = ids.lead_id(l.created_ms);
      l.campaign_id = 1;
      l.supplier_id = 10;
      l.status = LeadStatus::kAccepted;
      l.cost = Money::from_units(42500);
      l.revenue = Money::from_units(125000);
      l.fields = {{"first_name", "Ann" + std::to_string(i % 1000)},
                  {"last_name", "O'Brien, \"Jr\""},
                  {"email", "ann" + std::to_string(i) + "@example.org"},
                  {"phone", std::to_string(4103000000 + i % 999999)},
                  {"state", "NY"},
                  {"zip_code", "01341"},
                  {"lp_subid1", "src" + std::to_string(i % 17)}};
      BuyerOutcome b;
      b.buyer_id = 20;
      b.status = BuyerStatus::kAccepted;
      b.sell_price = Money::from_units(125000);
      l.buyers.push_back(b);
      DebugLog d;
      d.lead_id = l.id;
      storage::LeadExtras x;
      x.index_fields = &indexed;
      {
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return in_flight < 20000; });
        ++in_flight;
      }
      store->save_lead(l, d, std::move(x), [&](storage::Status) {
        std::lock_guard lk(mu);
        --in_flight;
        cv.notify_all();
      });
    }
    {
      std::unique_lock lk(mu);
      cv.wait(lk, [&] { return in_flight == 0; });
    }
    const double fill_s = std::chrono::duration<double>(Clk::now() - t0).count();
    store->compact_all();
    store->close();
    std::printf("stored %zu leads in %.1f s\n", n, fill_s);
  }
  api::AppOptions o;
  o.config_text = kConfig;
  o.data_dir = dir;
  o.port = 0;
  std::vector<std::string> errors;
  auto app = api::App::create(o, errors);
  if (!app) {
    std::fprintf(stderr, "%s\n", errors.empty() ? "?" : errors[0].c_str());
    return 1;
  }
  app->start();
  for (std::string_view f : {std::string_view("csv"), std::string_view("xlsx")}) {
    if (formats.find(f) == std::string::npos) continue;
    engine::Job job;
    job.kind = engine::JobKind::kExport;
    job.type = "leads";
    job.campaigns = {1};
    job.params =
        std::string(R"({"format":")") + std::string(f) +
        R"(","params":{"campaign":"1","start_date":"2026-05-27","end_date":"2026-05-30"}})";
    const int64_t base = rss_kib();
    std::atomic<int64_t> peak{base};
    std::atomic<bool> sampling{true};
    std::thread sampler([&] {
      while (sampling) {
        peak = std::max(peak.load(), rss_kib());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
    const auto t0 = Clk::now();
    auto made = app->jobs().submit(job);
    storage::Read<engine::Job> now;
    for (;;) {
      now = app->jobs().get(made->id);
      if (now.found() && engine::is_finished(now.value->status)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const double secs = std::chrono::duration<double>(Clk::now() - t0).count();
    sampling = false;
    sampler.join();
    const engine::Job& j = *now.value;
    std::printf(
        "%-4s %s: %lld leads in %.1f s (%.0f leads/s), file %.1f MiB, resident before %.1f MiB, "
        "peak during %.1f MiB (+%.1f)\n",
        std::string(f).c_str(), std::string(engine::to_string(j.status)).c_str(), (long long)j.done,
        secs, double(j.done) / secs, double(j.file_bytes) / 1048576.0, double(base) / 1024.0,
        double(peak.load()) / 1024.0, double(peak.load() - base) / 1024.0);
  }
  app->shutdown();
  std::filesystem::remove_all(dir);
  return 0;
}
