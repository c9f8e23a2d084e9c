// The whole lead path in one process (issue 16): Engine::direct_post with real validation, rules,
// delivery, settlement and a real RocksDB store, against an in-process transport that answers at
// once — the CPU a lead costs without the network and without waiting for the disk (the WAL is
// written, not synced). `BM_DirectPostLead` (one buyer) and `BM_ExchangeLead` (10 ping/post
// buyers, every one bids). With PP_MICRO_ITERATIONS=N each runs exactly N leads, so
// `bench/lead_instructions.sh` can count instructions per lead under callgrind, which repeats
// to the instruction where timings on this VM move by ±20%.
#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <filesystem>
#include <random>

#include <spdlog/spdlog.h>

#include "core/config.h"
#include "engine/engine.h"
#include "engine/snapshot.h"
#include "storage/store.h"

namespace {

namespace asio = boost::asio;
using namespace pp;

constexpr const char* kFields = R"([
  {"name": "first_name", "required": true}, {"name": "last_name", "required": true},
  {"name": "email", "type": "email", "required": true},
  {"name": "phone", "type": "phone", "required": true},
  {"name": "state", "type": "state", "required": true, "required_on_ping": true},
  {"name": "zip_code", "type": "zip", "required": true, "on_ping": true},
  {"name": "ip_address", "type": "ip"}, {"name": "landing_page_url", "type": "url"}])";

constexpr const char* kPostFields =
    R"({"first_name": "{{first_name}}", "last_name": "{{last_name}}", "email": "{{email}}",
        "phone": "{{phone}}", "state": "{{state}}", "zip": "{{zip_code}}", "id": "{{lp_lead_id}}"})";

// The configuration `make bench` runs (bench/run_bench.py, pingpost_config).
std::string config_text(bool exchange) {
  std::string buyers;
  const int n = exchange ? 10 : 1;
  for (int i = 0; i < n; ++i) {
    if (i) buyers += ",";
    const std::string id = std::to_string(100 + i);
    const std::string base = "http://127.0.0.1:" + std::to_string(19500 + i);
    if (exchange) {
      buyers += R"({"id": )" + id +
                R"(, "client_id": 2, "type": "ping_post", "price": {"type": "realtime"},
        "ping": {"url": ")" +
                base +
                R"(/ping", "format": "json", "timeout_ms": 5000,
                 "fields": {"state": "{{state}}", "zip": "{{zip_code}}"}},
        "ping_response": {"format": "json", "accepted": {"path": "status", "equals": ["accepted"]},
                          "price": "bid"},
        "post": {"url": ")" +
                base + R"(/post", "format": "json", "timeout_ms": 5000, "fields": )" + kPostFields +
                R"(},
        "post_response": {"format": "json", "accepted": {"path": "status", "equals": ["accepted"]},
                          "price": "price", "lead_id": "lead_id"}})";
    } else {
      buyers += R"({"id": )" + id +
                R"(, "client_id": 2, "type": "direct_post", "price": {"type": "realtime"},
        "post": {"url": ")" +
                base + R"(/post", "format": "json", "timeout_ms": 2000, "fields": )" + kPostFields +
                R"(},
        "post_response": {"format": "json", "accepted": {"path": "status", "equals": ["accepted"]},
                          "price": "price", "lead_id": "lead_id"}})";
    }
  }
  std::string campaign =
      R"({"id": 1, "name": "Bench", "fields": )" + std::string(kFields) +
      R"(, "suppliers": [{"id": 10, "client_id": 1, "lp_key": "bench-supplier-key",
                          "price": {"type": "revenue_share", "percent": 60}}],
                         "buyers": [)" +
      buyers + "]";
  campaign += exchange ? R"(, "type": "ping_post_exchange", "exchange": {"auction_timeout_ms": 200,
                          "network_buffer_ms": 10, "min_buyer_time_ms": 20,
                          "margin": {"type": "percent", "value": 20}}})"
                       : R"(, "type": "direct_post"})";
  return R"({"account": {"name": "bench", "timezone": "America/New_York"},
    "outbound": {"allow_private_networks": true, "breaker_failures": 0},
    "clients": [{"id": 1, "company": "Supplier"}, {"id": 2, "company": "Buyer"}],
    "campaigns": [)" +
         campaign + "]}";
}

// Answers every ping with a bid (5 to 25) and every post with acceptance, at once.
class InstantBuyers final : public buyers::Transport {
 public:
  asio::awaitable<buyers::HttpResult> send(buyers::OutboundRequest request) override {
    buyers::HttpResult r;
    r.status = 200;
    r.headers = {{"Content-Type", "application/json"}};
    if (request.url.find("/ping") != std::string::npos) {
      r.body = R"({"status":"accepted","bid":")" + std::to_string(5 + (n_++ % 20)) + R"("})";
    } else {
      r.body = R"({"status":"accepted","price":"12","lead_id":"fb-1"})";
    }
    r.elapsed_us = 1;
    co_return r;
  }

 private:
  uint64_t n_ = 0;
};

class LeadPath {
 public:
  explicit LeadPath(bool exchange) {
    spdlog::set_level(spdlog::level::warn);  // as make bench runs pingpostd
    dir_ = std::filesystem::temp_directory_path() /
           ("pp-micro-lead-" + std::to_string(std::random_device{}()));
    std::vector<std::string> errors;
    auto loaded = load_config(config_text(exchange));
    if (!loaded.config) throw std::runtime_error("config: " + loaded.errors.at(0));
    auto snap = engine::Snapshot::build(loaded.config, errors);
    if (!snap) throw std::runtime_error("snapshot: " + errors.at(0));
    storage::StoreOptions so;
    so.sync = false;  // the CPU of the path, not the disk's fsync
    std::string err;
    store_ = storage::Store::open(dir_.string(), so, err);
    if (!store_) throw std::runtime_error(err);
    engine_ = std::make_unique<engine::Engine>(snap, *store_, clock_);
  }
  ~LeadPath() {
    engine_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // One lead, start to durable answer; false unless it was sold.
  bool run_one() {
    engine::IntakeRequest req;
    const std::string seq = std::to_string(++seq_);
    req.params = {
        {"lp_campaign_id", "1"},
        {"lp_supplier_id", "10"},
        {"lp_key", "bench-supplier-key"},
        {"lp_subid1", "bench"},
        {"lp_subid2", seq},
        {"first_name", "Leanne"},
        {"last_name", "Sanford"},
        {"email", "ahamill" + seq + "@example.org"},
        {"phone", "4103097989"},
        {"state", "NM"},
        {"zip_code", "01341"},
        {"ip_address", "36e1:e77:b803:84d5:303:cf53:1cc8:31bb"},
        {"landing_page_url", "https://example.org/aliquid"},
        {"user_agent", "Mozilla/5.0 (X11; Linux i686; rv:7.0) Gecko/20170324 Firefox/36.0"}};
    req.body_hash = "bench-" + seq;
    bool sold = false;
    auto guard = asio::make_work_guard(io_);
    asio::co_spawn(io_, engine_->direct_post(std::move(req), transport_),
                   [&](std::exception_ptr e, engine::IntakeResult r) {
                     sold = !e && r.status == LeadStatus::kAccepted;
                     guard.reset();
                   });
    io_.run();
    io_.restart();
    return sold;
  }

 private:
  std::filesystem::path dir_;
  SystemClock clock_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<engine::Engine> engine_;
  asio::io_context io_{1};
  InstantBuyers transport_;
  uint64_t seq_ = 0;
};

void lead_path(benchmark::State& st, bool exchange) {
  LeadPath path(exchange);
  path.run_one();  // warm: first allocations, the first memtable
  uint64_t sold = 0;
  for (auto _ : st) sold += path.run_one();
  st.counters["sold"] = benchmark::Counter(double(sold) / double(st.iterations()));
}

void BM_DirectPostLead(benchmark::State& st) { lead_path(st, false); }
void BM_ExchangeLead(benchmark::State& st) { lead_path(st, true); }

// PP_MICRO_ITERATIONS=N: exactly N leads (for instruction counts); otherwise by time.
int register_lead_path() {
  const char* n = std::getenv("PP_MICRO_ITERATIONS");
  auto* a = benchmark::RegisterBenchmark("BM_DirectPostLead", BM_DirectPostLead);
  auto* b = benchmark::RegisterBenchmark("BM_ExchangeLead", BM_ExchangeLead);
  if (n != nullptr && std::atoi(n) > 0) {
    a->Iterations(std::atoi(n));
    b->Iterations(std::atoi(n));
  }
  return 0;
}
const int kRegistered = register_lead_path();

}  // namespace
