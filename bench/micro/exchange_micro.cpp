// Micro benchmarks for the exchange and the read side: payloads in FORM and XML, ranking 50 bids,
// and a stats query over rollups (issue 6).
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <random>

#include "api/app.h"
#include "api/reports.h"
#include "buyers/payload.h"
#include "core/config.h"
#include "engine/engine.h"
#include "engine/lead_context.h"
#include "routing/ranking.h"
#include "seed_leads.h"

namespace {

using namespace pp;

ConfigPtr demo() {
  return load_config(*api::read_file(std::string(PP_SOURCE_DIR) + "/configs/demo.json")).config;
}

Lead sample_lead() {
  Lead lead;
  lead.id = "AbCdEfGhIjKlMnOpQrSt";
  lead.created_ms = 1737149951570;
  lead.campaign_id = 21624;
  lead.fields = {{"first_name", "Leanne"},          {"last_name", "Sanford"},
                 {"email", "ahamill@example.org"},  {"phone", "4103097989"},
                 {"address", "847 Weber Groves Suite 308 & Co <b>"},
                 {"city", "North Aida"},            {"state", "NM"},
                 {"zip_code", "01341"},             {"date_of_birth", "1980-04-02"},
                 {"ip_address", "36e1:e77:b803:84d5:303:cf53:1cc8:31bb"},
                 {"landing_page_url", "https://example.org/aliquid?a=1&b=2"}};
  return lead;
}

// The demo's first post template with its fields rendered as FORM, or as an XML body.
void render_in(benchmark::State& st, BodyFormat format) {
  auto cfg = demo();
  const auto* c = cfg->find_campaign(21624);
  HttpTemplateConfig t = c->find_buyer(55082)->post;
  t.format = format;
  if (format == BodyFormat::kXml) {
    t.body = "<?xml version=\"1.0\"?><lead>";
    for (const auto& [k, v] : t.fields) t.body += "<" + k + ">" + v + "</" + k + ">";
    t.body += "</lead>";
    t.fields.clear();
  }
  std::string err;
  auto req = buyers::CompiledRequest::compile(t, err);
  if (!req) {
    st.SkipWithError(err.c_str());
    return;
  }
  Lead lead = sample_lead();
  engine::LeadContext ctx(lead, *c, lead.created_ms);
  for (auto _ : st) {
    auto out = req->render(ctx, "pingpost");
    benchmark::DoNotOptimize(out);
  }
}
void BM_RenderFormPayload(benchmark::State& st) { render_in(st, BodyFormat::kForm); }
BENCHMARK(BM_RenderFormPayload);
void BM_RenderXmlPayload(benchmark::State& st) { render_in(st, BodyFormat::kXml); }
BENCHMARK(BM_RenderXmlPayload);

// 50 bids on one lead: margins (campaign, some buyer overrides), penalties, a supplier minimum.
void BM_RankBids50(benchmark::State& st) {
  CampaignConfig c;
  c.exchange.margin = {true, 2000};  // 20%
  SupplierConfig s;
  s.id = 1;
  s.min_buyer_bid = Money::from_whole(6);
  std::mt19937_64 rng(5);
  std::vector<routing::Bid> bids;
  for (size_t b = 0; b < 50; ++b) {
    BuyerConfig buyer;
    buyer.id = BuyerId(b + 1);
    buyer.priority = int(b % 7);
    if (b % 5 == 0) buyer.margin = Margin{false, Money::from_whole(2).units()};
    if (b % 3 == 0) buyer.bid_penalty_bp = 1000;
    c.buyers.push_back(std::move(buyer));
    bids.push_back({b, Money::from_units(int64_t(rng() % 300000))});
  }
  for (auto _ : st) {
    auto ranked = routing::rank_bids(c, s, bids);
    benchmark::DoNotOptimize(ranked);
  }
}
BENCHMARK(BM_RankBids50);

// GET /public/stats for 31 days by day (New York), as the API renders it, over a store holding
// 50,000 leads of one month in three campaigns (rollups compacted: the steady state).
void BM_StatsQuery31DaysOverRollups(benchmark::State& st) {
  spdlog::set_level(spdlog::level::warn);
  auto cfg = demo();
  auto dir = std::filesystem::temp_directory_path() /
             ("pp-micro-stats-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto store = bench::open_bench_store(dir.string());
  std::vector<std::string> errors;
  auto snap = engine::Snapshot::build(cfg, errors);
  const int64_t from = 1735707600000;  // 2025-01-01 00:00 New York
  ManualClock clock(from + 32LL * 86400000);
  // Started before the leads arrive, as a campaign is: its day rows count from its first lead.
  engine::Engine eng(snap, *store, clock);
  bench::seed_leads(*store, *cfg, 50000, from, from + 31LL * 86400000, 3);
  store->compact_expiring();
  api::Request r;
  r.method = "GET";
  r.query = "start_date=2025-01-01&end_date=2025-01-31&timezone=America/New_York&group=day";
  size_t bytes = 0;
  for (auto _ : st) {
    auto res = api::stats_endpoint(eng, r);
    if (res.status != 200) st.SkipWithError("stats answered an error");
    bytes = res.body.size();
    benchmark::DoNotOptimize(res);
  }
  st.counters["body_bytes"] = double(bytes);
  store.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_StatsQuery31DaysOverRollups)->Unit(benchmark::kMillisecond);

}  // namespace
