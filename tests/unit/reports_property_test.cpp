// Property test for the read API (issue 5): random leads, buyers, returns and time zones (DST days
// included) are stored through the real settlement path; then every report endpoint's figures
// must equal a brute-force recomputation from the stored leads (read back through the index),
// and lead search must page through exactly the matching leads, never skipping or repeating one.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <cmath>
#include <filesystem>
#include <future>
#include <map>
#include <random>
#include <set>

#include "api/reports.h"
#include "core/text.h"
#include "engine/engine.h"
#include "engine/reports.h"
#include "engine/settlement.h"

namespace pp {
namespace {

namespace json = boost::json;
using Flat = std::map<std::string, int64_t>;

constexpr const char* kConfig = R"({
  "account": {"name": "Prop", "timezone": "America/New_York"},
  "clients": [{"id": 1, "company": "Sup One", "first_name": "A", "last_name": "B",
               "email": "a@example.com", "phone": "555-000-0001"},
              {"id": 2, "company": "Sup Two"}, {"id": 3, "company": "Buy Three"},
              {"id": 4, "company": "Buy Four"}, {"id": 5, "company": "Both Five"}],
  "api_tokens": [{"name": "t", "token": "tok-tok-tok", "role": "admin"}],
  "campaigns": [
    {"id": 10, "name": "Ten", "type": "direct_post", "tags": ["solar"],
     "fields": [{"name": "state", "type": "state"}, {"name": "phone", "type": "phone"}],
     "suppliers": [{"id": 100, "client_id": 1, "lp_key": "supplier-key-100"},
                   {"id": 101, "client_id": 2, "lp_key": "supplier-key-101"},
                   {"id": 102, "client_id": 5, "lp_key": "supplier-key-102"}],
     "buyers": [{"id": 300, "client_id": 3, "type": "lead_store"},
                {"id": 301, "client_id": 4, "type": "lead_store"},
                {"id": 302, "client_id": 5, "type": "lead_store"}]},
    {"id": 11, "name": "Eleven", "type": "direct_post", "tags": ["windows"],
     "timezone": "Asia/Kolkata",
     "fields": [{"name": "state", "type": "state"}, {"name": "phone", "type": "phone"}],
     "suppliers": [{"id": 110, "client_id": 1, "lp_key": "supplier-key-110"}],
     "buyers": [{"id": 310, "client_id": 3, "type": "lead_store"},
                {"id": 311, "client_id": 4, "type": "lead_store"}]}
  ]})";

const std::set<std::string> kMoneyKeys = {"total_buy",
                                          "total_sell",
                                          "profit",
                                          "gross_cost",
                                          "gross_revenue",
                                          "gross_profit",
                                          "returned_cost",
                                          "returned_revenue",
                                          "net_profit",
                                          "net_cost",
                                          "net_revenue",
                                          "pings_avg_bid",
                                          "pings_post_ratio",
                                          "total",
                                          "total_amount",
                                          "returned_amount",
                                          "net_amount",
                                          "avg_price",
                                          "returned_buyer_amount",
                                          "returned_supplier_amount"};

int64_t leaf(const std::string& key, const json::value& v) {
  if (kMoneyKeys.count(key)) {
    double d = v.is_double() ? v.as_double() : double(v.to_number<int64_t>());
    return std::llround(d * 10000);
  }
  EXPECT_TRUE(v.is_int64() || v.is_uint64()) << key << " must be an integer";
  return v.to_number<int64_t>();
}

// Numeric leaves of one object under `prefix`.
void numbers(const json::object& o, const std::string& prefix, Flat& out) {
  for (const auto& [k, v] : o) {
    if (v.is_number()) out[prefix + std::string(k)] = leaf(std::string(k), v);
  }
}

struct World {
  std::string dir;
  std::unique_ptr<storage::Store> store;
  ConfigPtr cfg;
  engine::SnapshotPtr snap;
  ManualClock clock{1767225600000};  // 2026-01-01
  std::unique_ptr<engine::Engine> engine;
  std::vector<Lead> leads;  // as stored (after returns), read back
  std::map<std::string, DebugLog> debug;

  World() {
    std::random_device rd;
    dir = (std::filesystem::temp_directory_path() /
           ("pp-reports-" + std::to_string(rd()) + std::to_string(rd())))
              .string();
    auto loaded = load_config(kConfig);
    EXPECT_TRUE(loaded.config) << (loaded.errors.empty() ? "" : loaded.errors[0]);
    cfg = loaded.config;
    std::vector<std::string> errors;
    snap = engine::Snapshot::build(cfg, errors);
    std::string err;
    storage::StoreOptions so;
    so.sync = false;
    store = storage::Store::open(dir, so, err);
    EXPECT_TRUE(store) << err;
    engine = std::make_unique<engine::Engine>(snap, *store, clock);
  }
  ~World() {
    engine.reset();
    store->close();
    std::filesystem::remove_all(dir);
  }

  void save(const Lead& l, const DebugLog& d) {
    std::promise<storage::Status> done;
    storage::LeadExtras extras;
    const CampaignConfig* c = cfg->find_campaign(l.campaign_id);
    extras.rollups = engine::lead_rollups(l, d, c ? &c->tz : nullptr);
    if (c) extras.index_fields = &c->indexed_fields;  // as the engine stores them
    store->save_lead(l, d, std::move(extras), [&](storage::Status s) { done.set_value(s); });
    ASSERT_TRUE(done.get_future().get().ok());
  }

  engine::Engine::ReturnResult return_lead(const std::string& id) {
    // One io_context for every call: the store's commit thread posts the completion into it and
    // may still be inside that post (signalling) when run() returns, so it must outlive the call
    // (a per-call io_context was destroyed under it: ThreadSanitizer).
    static boost::asio::io_context io;
    auto f =
        boost::asio::co_spawn(io, engine->return_lead(id, "Bad phone"), boost::asio::use_future);
    io.restart();
    io.run();
    return f.get();
  }

  // Every stored lead, read back through the campaign index.
  void reload() {
    leads.clear();
    debug.clear();
    for (const auto& c : cfg->campaigns) {
      store->scan_campaign_leads(c.id, 0, INT64_MAX / 2, std::nullopt,
                                 [&](const storage::LeadIndexEntry& e) {
                                   auto l = store->get_lead(e.id);
                                   EXPECT_TRUE(l);
                                   if (l) leads.push_back(*l);
                                   auto d = store->get_debug(e.id);
                                   if (d) debug[std::string(e.id)] = *d;
                                   return true;
                                 });
    }
  }

  json::value get(api::Response (*endpoint)(engine::Engine&, const api::Request&),
                  const std::string& query, int expect_status = 200) {
    api::Request r;
    r.method = "GET";
    r.query = query;
    api::Response resp = endpoint(*engine, r);
    EXPECT_EQ(resp.status, expect_status) << query << " -> " << resp.body;
    return json::parse(resp.body);
  }
};

// ---- random data ------------------------------------------------------------------------------

// Windows around DST changes: US (Mar 9, Nov 2 2025), EU (Mar 30, Oct 26), Adelaide (Apr 6, Oct 5).
const std::vector<std::pair<UnixMs, UnixMs>> kWindows = {
    {1741305600000, 1741737600000},  // 2025-03-07 .. 2025-03-12
    {1743120000000, 1743552000000},  // 2025-03-28 .. 2025-04-02
    {1743811200000, 1744070400000},  // 2025-04-05 .. 2025-04-08
    {1759449600000, 1759795200000},  // 2025-10-03 .. 2025-10-07
    {1761264000000, 1762300800000},  // 2025-10-24 .. 2025-11-05
};

void generate(World& w, uint64_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  IdGenerator ids(seed);
  auto pick = [&](auto& v) -> auto& { return v[rng() % v.size()]; };
  std::vector<UnixMs> shared_ms;  // many leads in the same millisecond
  for (size_t i = 0; i < n; ++i) {
    const auto& win = pick(kWindows);
    UnixMs t;
    if (!shared_ms.empty() && rng() % 4 == 0) {
      t = pick(shared_ms);
    } else {
      t = win.first + int64_t(rng() % uint64_t(win.second - win.first));
      if (rng() % 10 == 0) shared_ms.push_back(t);
    }
    const CampaignConfig& c = w.cfg->campaigns[rng() % w.cfg->campaigns.size()];
    Lead l;
    l.id = ids.lead_id(t);
    l.created_ms = t;
    l.campaign_id = c.id;
    l.supplier_id = rng() % 12 == 0 ? 199 : c.suppliers[rng() % c.suppliers.size()].id;
    l.test = rng() % 10 == 0;
    if (rng() % 10 == 0) l.tags.push_back("repost");
    static const std::vector<std::string> subs1 = {"", "a", "b"}, subs2 = {"", "x"},
                                          states = {"CA", "NY", "TX"};
    if (auto s = pick(subs1); !s.empty()) l.fields.emplace_back("lp_subid1", s);
    if (auto s = pick(subs2); !s.empty()) l.fields.emplace_back("lp_subid2", s);
    l.fields.emplace_back("state", pick(states));
    l.fields.emplace_back("phone", "212555010" + std::to_string(rng() % 4));
    const bool from_ping = rng() % 5 == 0;
    if (from_ping) l.fields.emplace_back("lp_ping_id", "ping-" + std::to_string(i));

    DebugLog d;
    d.lead_id = l.id;
    int r = int(rng() % 20);
    l.status = r < 10   ? LeadStatus::kAccepted
               : r < 13 ? LeadStatus::kDuplicated
                        : LeadStatus::kError;
    size_t sold_wanted = l.status == LeadStatus::kAccepted ? 1 + (rng() % 4 == 0) : 0;
    size_t sold = 0;
    for (const auto& b : c.buyers) {
      if (rng() % 3 == 0) continue;  // not involved at all
      BuyerOutcome o;
      o.buyer_id = b.id;
      BuyerDebug bd;
      bd.buyer_id = b.id;
      const bool pinged = rng() % 2 == 0;
      if (pinged) {
        bd.ping = HttpExchangeLog{};
        bd.has_bid = rng() % 3 != 0;
      }
      if (sold < sold_wanted && (!pinged || bd.has_bid)) {
        o.status = BuyerStatus::kAccepted;
        o.sell_price = Money::from_units(int64_t(rng() % 300000));
        ++sold;
      } else {
        static const std::vector<BuyerStatus> others = {
            BuyerStatus::kError, BuyerStatus::kDuplicated, BuyerStatus::kSkipped,
            BuyerStatus::kOutbid, BuyerStatus::kPinged};
        o.status = pick(others);
      }
      l.buyers.push_back(o);
      d.buyers.push_back(std::move(bd));
    }
    if (l.status == LeadStatus::kAccepted && sold == 0) l.status = LeadStatus::kError;
    for (const auto& o : l.buyers) {
      if (o.status == BuyerStatus::kAccepted) l.revenue += o.sell_price;
    }
    l.cost = Money::from_units(
        l.revenue.units() == 0 ? 0 : int64_t(rng() % uint64_t(l.revenue.units() + 1)));
    w.save(l, d);
  }
  w.reload();
  ASSERT_EQ(w.leads.size(), n) << "every lead is in the campaign index";
  // Return about a quarter of the leads that can be returned; others must be refused.
  size_t returned = 0;
  for (const auto& l : w.leads) {
    if (rng() % 4 != 0) continue;
    size_t sold = 0;
    for (const auto& o : l.buyers) sold += o.status == BuyerStatus::kAccepted;
    auto res = w.return_lead(l.id);
    if (l.status == LeadStatus::kAccepted && sold == 1) {
      EXPECT_EQ(res, engine::Engine::ReturnResult::kDone);
      EXPECT_EQ(w.return_lead(l.id), engine::Engine::ReturnResult::kRefused) << "twice";
      ++returned;
    } else {
      EXPECT_NE(res, engine::Engine::ReturnResult::kDone);
    }
  }
  EXPECT_GT(returned, 10u);
  w.reload();
}

// ---- brute force ------------------------------------------------------------------------------

const BuyerDebug* dbg_of(const World& w, const Lead& l, BuyerId b) {
  auto it = w.debug.find(l.id);
  if (it == w.debug.end()) return nullptr;
  for (const auto& d : it->second.buyers) {
    if (d.buyer_id == b) return &d;
  }
  return nullptr;
}

struct SupplierSums {
  int64_t leads = 0, acc = 0, dup = 0, failed = 0, ret = 0, cost = 0, rev = 0, rcost = 0, rrev = 0,
          posts = 0;
  void add(const Lead& l) {
    ++leads;
    acc += l.status == LeadStatus::kAccepted;
    dup += l.status == LeadStatus::kDuplicated;
    failed += l.status == LeadStatus::kError;
    cost += l.cost.units();
    rev += l.revenue.units();
    if (l.returned) {
      ++ret;
      rcost += l.cost.units();
      rrev += l.revenue.units();
    }
  }
  void write(const std::string& p, Flat& f, bool campaign_level) const {
    f[p + "leads_total"] = leads;
    f[p + "leads_accepted"] = acc;
    f[p + "leads_duplicated"] = dup;
    f[p + "leads_failed"] = failed;
    f[p + "total_buy"] = cost;
    f[p + "total_sell"] = rev;
    f[p + "profit"] = rev - cost;
    if (campaign_level) return;
    f[p + "leads_returned"] = ret;
    f[p + "gross_cost"] = cost;
    f[p + "gross_revenue"] = rev;
    f[p + "gross_profit"] = rev - cost;
    f[p + "returned_cost"] = rcost;
    f[p + "returned_revenue"] = rrev;
    f[p + "net_leads_accepted"] = acc - ret;
    f[p + "net_profit"] = (rev - rrev) - (cost - rcost);
    f[p + "net_cost"] = cost - rcost;
    f[p + "net_revenue"] = rev - rrev;
    for (const char* k : {"preping_total", "preping_accepted", "preping_failed", "pings_total",
                          "pings_accepted", "pings_failed", "pings_avg_bid", "pings_post_ratio"})
      f[p + k] = 0;  // no supplier pings in this data
  }
};

struct BuyerSums {
  int64_t leads = 0, acc = 0, dup = 0, failed = 0, ret = 0, rev = 0, rrev = 0, pings = 0, pacc = 0,
          pfail = 0;
  bool any = false;
  void add(const Lead& l, const BuyerOutcome& o, const BuyerDebug* d) {
    const bool from_ping = find_field(l.fields, "lp_ping_id") != nullptr;
    const bool pinged = d && d->ping, bid = pinged && d->has_bid;
    if (pinged && !from_ping) {
      any = true;
      ++pings;
      (bid ? pacc : pfail)++;
    }
    if (pinged && !bid) return;
    if (o.status == BuyerStatus::kAccepted) {
      any = true;
      ++leads, ++acc, rev += o.sell_price.units();
      if (o.returned) ++ret, rrev += o.sell_price.units();
    } else if (o.status == BuyerStatus::kDuplicated) {
      any = true;
      ++leads, ++dup;
    } else if (o.status == BuyerStatus::kError) {
      any = true;
      ++leads, ++failed;
    }
  }
  void write(const std::string& p, Flat& f) const {
    f[p + "leads_total"] = leads;
    f[p + "leads_accepted"] = acc;
    f[p + "leads_duplicated"] = dup;
    f[p + "leads_failed"] = failed;
    f[p + "leads_returned"] = ret;
    f[p + "total_sell"] = rev;
    f[p + "pings_total"] = pings;
    f[p + "pings_accepted"] = pacc;
    f[p + "pings_failed"] = pfail;
    f[p + "returned_revenue"] = rrev;
    f[p + "gross_revenue"] = rev;
    f[p + "net_leads_accepted"] = acc - ret;
    f[p + "net_revenue"] = rev - rrev;
  }
};

std::string label(const TimeZone& tz, CalendarPeriod g, UnixMs t) {
  UnixMs s = period_start(tz, g, t);
  std::string local = tz.format_local(s);
  if (g == CalendarPeriod::kMonth) return local.substr(0, 7);
  if (g != CalendarPeriod::kHour) return local.substr(0, 10);
  int64_t off = tz.offset_seconds(s), a = std::abs(off);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%c%02lld:%02lld", off < 0 ? '-' : '+', (long long)(a / 3600),
                (long long)(a % 3600 / 60));
  return local.substr(0, 10) + "T" + local.substr(11) + buf;
}

Flat expected_stats(const World& w, const TimeZone& tz, UnixMs from, UnixMs to,
                    std::optional<CalendarPeriod> g, const std::vector<CampaignId>& campaigns) {
  Flat f;
  for (CampaignId cid : campaigns) {
    const CampaignConfig& c = *w.cfg->find_campaign(cid);
    std::string cp = "c" + std::to_string(cid) + "/";
    std::map<std::string, SupplierSums> sup;  // "sID/" or "sID/pLABEL/" or "campaign/..."
    std::map<std::string, BuyerSums> buy;
    for (const auto& s : c.suppliers) sup["s" + std::to_string(s.id) + "/"];
    for (const auto& b : c.buyers) buy["b" + std::to_string(b.id) + "/"];
    sup["campaign/"];
    for (const auto& l : w.leads) {
      if (l.campaign_id != cid || l.test || l.created_ms < from || l.created_ms >= to) continue;
      std::string s = "s" + std::to_string(l.supplier_id) + "/";
      std::string per = g ? "p" + label(tz, *g, l.created_ms) + "/" : "";
      sup[s].add(l);
      sup["campaign/"].add(l);
      if (g) {
        sup[s + per].add(l);
        sup["campaign/" + per].add(l);
      }
      for (const auto& o : l.buyers) {
        const BuyerDebug* d = dbg_of(w, l, o.buyer_id);
        std::string b = "b" + std::to_string(o.buyer_id) + "/";
        buy[b].add(l, o, d);
        if (g) {
          buy[b + per].add(l, o, d);
          if (!buy[b + per].any) buy.erase(b + per);  // periods without traffic are absent
        }
      }
    }
    for (const auto& [k, v] : sup) v.write(cp + k, f, k.rfind("campaign/", 0) == 0);
    for (const auto& [k, v] : buy) v.write(cp + k, f);
  }
  return f;
}

Flat flatten_stats(const json::value& doc) {
  Flat f;
  for (const auto& cv : doc.as_array()) {
    const auto& o = cv.as_object();
    const auto& camp = o.at("campaign").as_object();
    std::string cp = "c" + std::to_string(camp.at("id").to_number<int64_t>()) + "/";
    numbers(camp, cp + "campaign/", f);
    f.erase(cp + "campaign/id");
    auto periods = [&](const json::object& e, const std::string& p) {
      if (const auto* b = e.if_contains("breakdown")) {
        for (const auto& pv : b->as_array()) {
          numbers(pv.as_object(), p + "p" + std::string(pv.at("period").as_string()) + "/", f);
        }
      }
    };
    periods(camp, cp + "campaign/");
    for (const char* list : {"suppliers", "buyers"}) {
      for (const auto& ev : o.at(list).as_array()) {
        const auto& e = ev.as_object();
        std::string p = cp + (list[0] == 's' ? "s" : "b") +
                        std::to_string(e.at("id").to_number<int64_t>()) + "/";
        numbers(e, p, f);
        f.erase(p + "id");
        f.erase(p + "client_id");
        periods(e, p);
      }
    }
  }
  return f;
}

// Leads behind the figures compared so far: the test must compare real traffic, not zeros.
int64_t g_compared_leads = 0;

void expect_same(const Flat& want, const Flat& got, const std::string& what) {
  for (const auto& [k, v] : want) {
    if (std::string_view(k).ends_with("/leads_accepted") ||
        std::string_view(k).ends_with("/total_leads"))
      g_compared_leads += v;
  }
  size_t shown = 0;
  for (const auto& [k, v] : want) {
    auto it = got.find(k);
    if (it == got.end()) {
      if (shown++ < 10) ADD_FAILURE() << what << ": missing " << k << " (want " << v << ")";
    } else if (it->second != v) {
      if (shown++ < 10) ADD_FAILURE() << what << ": " << k << " = " << it->second << ", want " << v;
    }
  }
  for (const auto& [k, v] : got) {
    if (!want.count(k) && shown++ < 10) ADD_FAILURE() << what << ": unexpected " << k << " = " << v;
  }
}

std::string q(std::string s) {
  for (auto& ch : s) {
    if (ch == ' ') ch = '+';
  }
  return s;
}

class ReportsProperty : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    spdlog::set_level(spdlog::level::warn);
    world_ = new World();
    generate(*world_, 20251102, 3000);
  }
  static void TearDownTestSuite() {
    spdlog::set_level(spdlog::level::info);
    delete world_;
    world_ = nullptr;
  }
  void SetUp() override { g_compared_leads = 0; }
  static World* world_;
};
World* ReportsProperty::world_ = nullptr;

const std::vector<std::string> kZones = {"America/New_York",   "Asia/Kolkata",  "Asia/Kathmandu",
                                         "Australia/Adelaide", "Europe/London", "UTC",
                                         "America/St_Johns"};

struct Query {
  TimeZone tz;
  std::string start, end;
  UnixMs from = 0, to = 0;
};

Query random_range(std::mt19937_64& rng, int max_days) {
  Query r;
  TimeZone::lookup(kZones[rng() % kZones.size()], r.tz);
  const auto& win = kWindows[rng() % kWindows.size()];
  UnixMs a = win.first - 86400000 + int64_t(rng() % uint64_t(win.second - win.first));
  r.start = format_local_date(r.tz, a);
  UnixMs b = a + int64_t(rng() % uint64_t(max_days)) * 86400000;
  r.end = format_local_date(r.tz, b);
  bool date_only;
  parse_local_datetime(r.tz, r.start, r.from, date_only);
  parse_local_datetime(r.tz, r.end, r.to, date_only);
  r.to = period_end(r.tz, CalendarPeriod::kDay, r.to);
  return r;
}

TEST_F(ReportsProperty, StatsEqualBruteForce) {
  World& w = *world_;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 40; ++i) {
    std::optional<CalendarPeriod> g;
    std::string gname;
    switch (i % 5) {
      case 1:
        g = CalendarPeriod::kHour, gname = "hour";
        break;
      case 2:
        g = CalendarPeriod::kDay, gname = "day";
        break;
      case 3:
        g = CalendarPeriod::kWeek, gname = "week";
        break;
      case 4:
        g = CalendarPeriod::kMonth, gname = "month";
        break;
      default:
        break;
    }
    Query r = random_range(rng, g == CalendarPeriod::kHour ? 7 : 40);
    std::vector<CampaignId> campaigns = {10, 11};
    std::string query = "start_date=" + r.start + "&end_date=" + r.end + "&timezone=" + r.tz.name();
    if (g) query += "&group=" + gname;
    if (i % 3 == 1) {
      campaigns = {11};
      query += "&campaign=11";
    } else if (i % 3 == 2) {
      campaigns = {10};
      query += "&tags=SOLAR";
    }
    json::value doc = w.get(&api::stats_endpoint, query);
    expect_same(expected_stats(w, r.tz, r.from, r.to, g, campaigns), flatten_stats(doc), query);
  }
  EXPECT_GT(g_compared_leads, 2000) << "the queries must cover real traffic";
}

TEST_F(ReportsProperty, SupplierStatsEqualBruteForce) {
  World& w = *world_;
  std::mt19937_64 rng(8);
  for (int i = 0; i < 20; ++i) {
    Query r = random_range(rng, 40);
    const bool both = i % 2 == 0;
    std::string query = "campaign=10&supplier=100&start_date=" + r.start + "&end_date=" + r.end +
                        "&timezone=" + r.tz.name() + (both ? "&group=sub2,sub1" : "&group=sub1");
    std::map<std::string, SupplierSums> rows;
    for (const auto& l : w.leads) {
      if (l.campaign_id != 10 || l.supplier_id != 100 || l.test || l.created_ms < r.from ||
          l.created_ms >= r.to)
        continue;
      auto sub = [&](const char* n) {
        const std::string* v = find_field(l.fields, n);
        return v ? *v : std::string("-");
      };
      std::string key = format_local_date(r.tz, l.created_ms) + "/" +
                        (both ? sub("lp_subid2") + "/" + sub("lp_subid1") : sub("lp_subid1")) + "/";
      rows[key].add(l);
    }
    Flat want;
    for (const auto& [k, v] : rows) v.write(k, want, false);
    Flat got;
    json::value doc = w.get(&api::supplier_stats_endpoint, query);
    for (const auto& rv : doc.as_array()) {
      const auto& o = rv.as_object();
      std::string key = std::string(o.at("day").as_string()) + "/" +
                        (both ? std::string(o.at("sub2").as_string()) + "/" +
                                    std::string(o.at("sub1").as_string())
                              : std::string(o.at("sub1").as_string())) +
                        "/";
      EXPECT_EQ(o.contains("sub2"), both);
      numbers(o, key, got);
      got.erase(key + "id");
      got.erase(key + "client_id");
    }
    expect_same(want, got, query);
  }
  EXPECT_GT(g_compared_leads, 300);
}

TEST_F(ReportsProperty, AccountingEqualsBruteForce) {
  World& w = *world_;
  std::mt19937_64 rng(9);
  for (int i = 0; i < 24; ++i) {
    Query r = random_range(rng, 40);
    const int mode = i % 3;  // simple, granular suppliers, granular buyers
    std::optional<ClientId> only;
    if (i % 4 == 3) only = ClientId(5);
    std::string query = "start_date=" + r.start + "&end_date=" + r.end + "&timezone=" + r.tz.name();
    if (mode == 1) query += "&mode=granular&client_type=suppliers";
    if (mode == 2) query += "&mode=granular&client_type=buyers";
    if (only) query += "&client=" + std::to_string(*only);

    // Brute force: per client and campaign, from each side.
    struct Side {
      int64_t qty = 0, amount = 0, ret = 0, ret_amount = 0;  // simple
      int64_t cost = 0, rev = 0, rcost = 0, rrev = 0;        // granular
      std::map<ClientId, std::array<int64_t, 6>> other;      // sold, rev, cost, ret, rrev, rcost
    };
    std::map<ClientId, std::map<CampaignId, Side>> as_sup, as_buy;
    auto client_of_s = [&](const Lead& l) {
      const SupplierConfig* s = w.cfg->find_campaign(l.campaign_id)->find_supplier(l.supplier_id);
      return s ? s->client_id : ClientId(0);
    };
    for (const auto& l : w.leads) {
      if (l.test || l.status != LeadStatus::kAccepted || l.created_ms < r.from ||
          l.created_ms >= r.to)
        continue;
      const CampaignConfig& c = *w.cfg->find_campaign(l.campaign_id);
      ClientId sc = client_of_s(l);
      auto shares = engine::cost_shares(l);
      if (!only || *only == sc) {
        Side& s = as_sup[sc][c.id];
        s.qty += 1, s.amount += l.cost.units();
        s.cost += l.cost.units(), s.rev += l.revenue.units();
        if (l.returned) {
          s.ret += 1, s.ret_amount += l.cost.units();
          s.rcost += l.cost.units(), s.rrev += l.revenue.units();
        }
      }
      for (size_t k = 0; k < l.buyers.size(); ++k) {
        const BuyerOutcome& o = l.buyers[k];
        if (o.status != BuyerStatus::kAccepted) continue;
        ClientId bc = c.find_buyer(o.buyer_id)->client_id;
        std::array<int64_t, 6> x = {1,
                                    o.sell_price.units(),
                                    shares[k].units(),
                                    o.returned ? 1 : 0,
                                    o.returned ? o.sell_price.units() : 0,
                                    o.returned ? shares[k].units() : 0};
        if (!only || *only == sc) {
          auto& a = as_sup[sc][c.id].other[bc];
          for (size_t j = 0; j < 6; ++j) a[j] += x[j];
        }
        if (!only || *only == bc) {
          Side& b = as_buy[bc][c.id];
          b.qty += 1, b.amount += o.sell_price.units();
          b.rev += o.sell_price.units(), b.cost += shares[k].units();
          if (o.returned) {
            b.ret += 1, b.ret_amount += o.sell_price.units();
            b.rrev += o.sell_price.units(), b.rcost += shares[k].units();
          }
          auto& a = b.other[sc];
          for (size_t j = 0; j < 6; ++j) a[j] += x[j];
        }
      }
    }
    Flat want;
    auto simple = [&](const std::string& p, const std::map<CampaignId, Side>& m) {
      int64_t total = 0;
      for (const auto& [cid, s] : m) {
        std::string cp = p + "c" + std::to_string(cid) + "/";
        want[cp + "quantity"] = s.qty;
        want[cp + "total_amount"] = s.amount;
        want[cp + "returned_leads"] = s.ret;
        want[cp + "returned_amount"] = s.ret_amount;
        want[cp + "net_leads"] = s.qty - s.ret;
        want[cp + "net_amount"] = s.amount - s.ret_amount;
        want[cp + "avg_price"] = s.qty == s.ret ? 0 : (s.amount - s.ret_amount) / (s.qty - s.ret);
        total += s.amount;
      }
      want[p + "total"] = total;
    };
    auto granular = [&](const std::string& p, const std::map<CampaignId, Side>& m, bool sup) {
      Side t;
      auto put = [&](const std::string& cp, const Side& s) {
        want[cp + "total_leads"] = s.qty;
        want[cp + "returned_leads"] = s.ret;
        want[cp + "net_leads"] = s.qty - s.ret;
        want[cp + "gross_cost"] = s.cost;
        want[cp + "gross_revenue"] = s.rev;
        want[cp + "gross_profit"] = s.rev - s.cost;
        want[cp + "returned_buyer_amount"] = s.rcost;
        want[cp + "returned_supplier_amount"] = s.rrev;
        want[cp + "net_cost"] = s.cost - s.rcost;
        want[cp + "net_revenue"] = s.rev - s.rrev;
        want[cp + "net_profit"] = (s.rev - s.rrev) - (s.cost - s.rcost);
      };
      for (const auto& [cid, s] : m) {
        std::string cp = p + "c" + std::to_string(cid) + "/";
        put(cp, s);
        t.qty += s.qty, t.ret += s.ret, t.cost += s.cost, t.rev += s.rev, t.rcost += s.rcost,
            t.rrev += s.rrev;
        for (const auto& [oc, x] : s.other) {
          std::string xp = cp + "x" + std::to_string(oc) + "/";
          want[xp + "total_leads"] = x[0];
          want[xp + "returned_leads"] = x[3];
          want[xp + "net_leads"] = x[0] - x[3];
          if (sup) {
            want[xp + "gross_revenue"] = x[1];
            want[xp + "returned_supplier_amount"] = x[4];
            want[xp + "net_revenue"] = x[1] - x[4];
          } else {
            want[xp + "gross_cost"] = x[2];
            want[xp + "returned_buyer_amount"] = x[5];
            want[xp + "net_cost"] = x[2] - x[5];
          }
        }
      }
      put(p + "totals/", t);
    };
    std::set<ClientId> clients;
    if (mode != 2)
      for (const auto& [c, m] : as_sup) clients.insert(c);
    if (mode != 1)
      for (const auto& [c, m] : as_buy) clients.insert(c);
    static const std::map<CampaignId, Side> none;
    for (ClientId c : clients) {
      std::string p = "cl" + std::to_string(c) + "/";
      auto sup = as_sup.count(c) ? as_sup.at(c) : none;
      auto buy = as_buy.count(c) ? as_buy.at(c) : none;
      if (mode == 0) {
        simple(p + "owed/", sup);
        simple(p + "due/", buy);
      } else {
        granular(p, mode == 1 ? sup : buy, mode == 1);
      }
    }

    json::value doc = w.get(&api::accounting_endpoint, query);
    ASSERT_TRUE(doc.at("success").as_bool());
    Flat got;
    for (const auto& dv : doc.at("data").as_array()) {
      const auto& o = dv.as_object();
      std::string p = "cl" + std::to_string(o.at("client").at("id").to_number<int64_t>()) + "/";
      auto campaigns = [&](const json::array& list, const std::string& cp0) {
        for (const auto& cv : list) {
          const auto& c = cv.as_object();
          std::string cp =
              cp0 + "c" + std::to_string(c.at("campaign_id").to_number<int64_t>()) + "/";
          numbers(c, cp, got);
          got.erase(cp + "campaign_id");
          for (const char* bd : {"revenue_breakdown", "cost_breakdown"}) {
            if (!c.contains(bd)) continue;
            for (const auto& xv : c.at(bd).as_array()) {
              std::string xp =
                  cp + "x" + std::to_string(xv.at("client").at("id").to_number<int64_t>()) + "/";
              numbers(xv.as_object(), xp, got);
            }
          }
        }
      };
      if (mode == 0) {
        for (const char* side : {"owed", "due"}) {
          const auto& s = o.at(side).as_object();
          got[p + side + "/total"] = leaf("total", s.at("total"));
          campaigns(s.at("breakdown").as_array(), p + side + "/");
        }
      } else {
        numbers(o.at("totals").as_object(), p + "totals/", got);
        campaigns(o.at("campaigns").as_array(), p);
      }
    }
    expect_same(want, got, query);
  }
  EXPECT_GT(g_compared_leads, 3000);
}

TEST_F(ReportsProperty, LeadSearchPagesThroughExactlyTheMatchingLeads) {
  World& w = *world_;
  std::mt19937_64 rng(10);
  size_t total = 0;
  int pages_with_more = 0;
  for (int i = 0; i < 16; ++i) {
    Query r = random_range(rng, 60);
    std::string query =
        "campaign=10&start_date=" + r.start + "&end_date=" + r.end + "&timezone=" + q(r.tz.name());
    std::optional<LeadStatus> status;
    std::optional<bool> ret, test, repost;
    std::optional<SupplierId> sup;
    std::optional<std::pair<std::string, std::string>> field;
    switch (i % 8) {
      case 1:
        status = LeadStatus::kAccepted, query += "&status=accepted";
        break;
      case 2:
        ret = true, query += "&return=1";
        break;
      case 3:
        test = false, repost = true, query += "&test=0&repost=1";
        break;
      case 4:
        sup = 101, query += "&supplier=101";
        break;
      case 5:
        field.emplace("phone", "2125550102"),
            query += "&field_name=phone&field_value=(212)+555-0102";
        break;
      case 6:
        field.emplace("state", "CA"), status = LeadStatus::kError,
                                      query += "&field_name=state&field_value=CA&status=error";
        break;
      case 7:
        status = LeadStatus::kDuplicated, test = true, query += "&status=duplicated&test=1";
        break;
      default:
        break;
    }
    std::vector<const Lead*> want;
    for (const auto& l : w.leads) {
      if (l.campaign_id != 10 || l.created_ms < r.from || l.created_ms >= r.to) continue;
      if (status && l.status != *status) continue;
      if (ret && l.returned != *ret) continue;
      if (test && l.test != *test) continue;
      bool rp = std::find(l.tags.begin(), l.tags.end(), "repost") != l.tags.end();
      if (repost && rp != *repost) continue;
      if (sup && l.supplier_id != *sup) continue;
      if (field) {
        const std::string* v = find_field(l.fields, field->first);
        if (!v || *v != field->second) continue;
      }
      want.push_back(&l);
    }
    std::sort(want.begin(), want.end(), [](const Lead* a, const Lead* b) {
      return a->created_ms != b->created_ms ? a->created_ms > b->created_ms : a->id > b->id;
    });
    std::vector<std::string> got;
    std::string after;
    for (int page = 0; page < 100; ++page) {
      json::value doc = w.get(&api::leads_endpoint, query + after);
      const auto& leads = doc.at("leads").as_array();
      EXPECT_LE(leads.size(), 100u);
      for (const auto& lv : leads) got.emplace_back(lv.at("id").as_string());
      const auto& sa = doc.at("search_after");
      if (sa.is_null()) break;
      EXPECT_EQ(leads.size(), 100u) << "a short page has no continuation";
      after = "&search_after=" + std::string(sa.as_string());
    }
    std::vector<std::string> want_ids;
    for (const Lead* l : want) want_ids.push_back(l->id);
    EXPECT_EQ(got, want_ids) << query;
    total += got.size();
    pages_with_more += got.size() > 100;
  }
  EXPECT_GT(total, 500u);
  EXPECT_GT(pages_with_more, 2) << "several searches must span pages";
}

TEST_F(ReportsProperty, SmallScanBudgetsNeverSkipOrRepeat) {
  // The engine-level search with a tiny page and scan budget: short pages, same result.
  World& w = *world_;
  const CampaignConfig& c = *w.cfg->find_campaign(10);
  engine::LeadSearch s;
  s.campaign = 10;
  s.range = {0, INT64_MAX / 2};
  s.returned = true;
  s.limit = 7;
  s.scan_budget = 50;
  std::vector<std::string> got;
  for (int i = 0; i < 10000; ++i) {
    auto page = engine::search_leads(*w.store, c, s);
    for (const auto& l : page.leads) got.push_back(l.id);
    if (!page.next) break;
    s.after = page.next;
  }
  std::vector<const Lead*> want;
  for (const auto& l : w.leads)
    if (l.campaign_id == 10 && l.returned) want.push_back(&l);
  std::sort(want.begin(), want.end(), [](const Lead* a, const Lead* b) {
    return a->created_ms != b->created_ms ? a->created_ms > b->created_ms : a->id > b->id;
  });
  ASSERT_GT(want.size(), 20u);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], want[i]->id);
}

}  // namespace
}  // namespace pp
