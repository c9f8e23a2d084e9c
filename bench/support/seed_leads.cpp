#include "seed_leads.h"

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>

#include "core/ids.h"
#include "engine/settlement.h"

namespace pp::bench {

std::unique_ptr<storage::Store> open_bench_store(const std::string& dir) {
  storage::StoreOptions so;
  so.sync = false;
  std::string err;
  auto store = storage::Store::open(dir, so, err);
  if (!store) {
    std::fprintf(stderr, "%s\n", err.c_str());
    std::exit(1);
  }
  return store;
}

size_t seed_leads(storage::Store& store, const Config& config, size_t n, int64_t from_ms,
                  int64_t to_ms, uint64_t seed) {
  if (config.campaigns.empty() || n == 0) return 0;
  const uint64_t span = uint64_t(std::max<int64_t>(1, to_ms - from_ms));
  std::mt19937_64 rng(seed);
  IdGenerator ids(seed);
  std::mutex mu;
  std::condition_variable cv;
  size_t in_flight = 0, failed = 0;
  static const char* states[] = {"CA", "NY", "TX", "FL", "NJ", "NM", "OH", "GA"};
  static const char* names[] = {"Leanne", "Ervin", "Clementine", "Patricia", "Chelsey", "Dennis"};
  for (size_t i = 0; i < n; ++i) {
    const CampaignConfig& c = config.campaigns[i % config.campaigns.size()];
    Lead l;
    l.created_ms = from_ms + int64_t(i * span / n);
    l.id = ids.lead_id(l.created_ms);
    l.campaign_id = c.id;
    if (!c.suppliers.empty()) l.supplier_id = c.suppliers[rng() % c.suppliers.size()].id;
    l.fields = {{"first_name", names[rng() % 6]},
                {"last_name", "Sanford"},
                {"email", "user" + std::to_string(rng() % 10000000) + "@example.org"},
                {"phone", std::to_string(2125550000 + rng() % 1000000)},
                {"state", states[rng() % 8]},
                {"zip_code", std::to_string(10000 + rng() % 89999)},
                {"lp_subid1", "s" + std::to_string(rng() % 20)}};
    int r = int(rng() % 10);
    l.status = r < 5 ? LeadStatus::kAccepted : r < 6 ? LeadStatus::kDuplicated : LeadStatus::kError;
    DebugLog d;
    d.lead_id = l.id;
    if (!c.buyers.empty()) {
      BuyerOutcome o;
      o.buyer_id = c.buyers[rng() % c.buyers.size()].id;
      o.status = l.status == LeadStatus::kAccepted ? BuyerStatus::kAccepted : BuyerStatus::kError;
      if (o.status == BuyerStatus::kAccepted) {
        o.sell_price = Money::from_units(100000 + int64_t(rng() % 200000));
        l.revenue = o.sell_price;
        l.cost = Money::from_units(l.revenue.units() * 6 / 10);
      }
      l.buyers.push_back(o);
      BuyerDebug bd;
      bd.buyer_id = o.buyer_id;
      HttpExchangeLog post;
      post.url = "http://127.0.0.1:19500/post";
      post.method = "post";
      post.payload = R"({"first_name":"Leanne","phone":"2125550000","email":"user@example.org"})";
      post.response = R"({"status":"accepted","price":"12.00","lead_id":"fb-1"})";
      post.http_status = 200;
      post.exec_time_us = 5200;
      bd.post = std::move(post);
      d.buyers.push_back(std::move(bd));
    }
    storage::LeadExtras x;
    x.rollups = engine::lead_rollups(l, d, &c.tz);
    {
      std::unique_lock lk(mu);
      cv.wait(lk, [&] { return in_flight < 4096; });
      ++in_flight;
    }
    store.save_lead(l, d, std::move(x), [&](storage::Status s) {
      std::lock_guard lk(mu);
      --in_flight;
      failed += !s.ok();
      cv.notify_all();
    });
  }
  std::unique_lock lk(mu);
  cv.wait(lk, [&] { return in_flight == 0; });
  return failed;
}

}  // namespace pp::bench
