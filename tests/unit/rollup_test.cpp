// Statistics vocabulary and storage (issue 5): rollup keys, quarter-hour slots, local dates, the
// search_after cursor, cost shares, element-wise merges and the 90-day debug-log retention.
#include "core/rollup.h"

#include <date/tz.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <random>

#include "engine/reports.h"
#include "engine/settlement.h"
#include "storage/store.h"

namespace pp {
namespace {

TEST(Rollup, KeysRoundTripAndSortByCampaignThenTime) {
  rollup::Key k{rollup::Kind::kCross, 21626, 1737149400000, 55086, 55088, ""};
  rollup::Key d;
  ASSERT_TRUE(rollup::decode(rollup::encode(k), d));
  EXPECT_EQ(d.kind, rollup::Kind::kCross);
  EXPECT_EQ(d.campaign, 21626);
  EXPECT_EQ(d.slot_ms, 1737149400000);
  EXPECT_EQ(d.a, 55086);
  EXPECT_EQ(d.b, 55088);
  rollup::Key u{rollup::Kind::kSubids, 7, 900000, 3, 0, rollup::join_subids({"fb", "", "x"})};
  ASSERT_TRUE(rollup::decode(rollup::encode(u), d));
  EXPECT_EQ(d.subids, u.subids);
  EXPECT_EQ(rollup::split_subids(d.subids), (std::vector<std::string>{"fb", "", "x", "", "", ""}));
  EXPECT_FALSE(rollup::decode("S123", d));

  // Later slots sort after earlier ones; campaigns do not interleave.
  rollup::Key a{rollup::Kind::kSupplier, 5, 900000, 99, 0, ""};
  rollup::Key b = a;
  b.slot_ms = 1800000;
  b.a = 1;
  rollup::Key c = a;
  c.campaign = 6;
  c.slot_ms = 0;
  EXPECT_LT(rollup::encode(a), rollup::encode(b));
  EXPECT_LT(rollup::encode(b), rollup::encode(c));
  auto [lo, hi] = rollup::campaign_range(rollup::Kind::kSupplier, 5, 900000, 1800001);
  EXPECT_LE(lo, rollup::encode(a));
  EXPECT_LT(rollup::encode(b), hi);  // the slot starting at 1800000 starts before 1800001
  EXPECT_LT(hi, rollup::encode(c));
}

TEST(Rollup, QuarterHourSlotsCutEveryZonesLocalHours) {
  EXPECT_EQ(rollup::slot_of(0), 0);
  EXPECT_EQ(rollup::slot_of(899999), 0);
  EXPECT_EQ(rollup::slot_of(900000), 900000);
  // Kathmandu is UTC+05:45: its local midnight is a slot boundary.
  TimeZone ktm;
  ASSERT_TRUE(TimeZone::lookup("Asia/Kathmandu", ktm));
  UnixMs midnight = period_start(ktm, CalendarPeriod::kDay, 1741305600000);
  EXPECT_EQ(rollup::slot_of(midnight), midnight);
}

TEST(Time, LocalDatesAcrossDaylightSavingChanges) {
  TimeZone ny;
  ASSERT_TRUE(TimeZone::lookup("America/New_York", ny));
  UnixMs t = 0;
  bool date_only = false;
  ASSERT_TRUE(parse_local_datetime(ny, "2025-03-09", t, date_only));
  EXPECT_TRUE(date_only);
  EXPECT_EQ(t, 1741496400000);  // 05:00 UTC
  // 02:30 does not exist that day: the transition (07:00 UTC).
  ASSERT_TRUE(parse_local_datetime(ny, "2025-03-09 02:30:00", t, date_only));
  EXPECT_FALSE(date_only);
  EXPECT_EQ(t, 1741503600000);
  // 01:30 happens twice on 2025-11-02: the first one (EDT, 05:30 UTC).
  ASSERT_TRUE(parse_local_datetime(ny, "2025-11-02 01:30:00", t, date_only));
  EXPECT_EQ(t, 1762061400000);
  EXPECT_EQ(period_end(ny, CalendarPeriod::kDay, 1762061400000) -
                period_start(ny, CalendarPeriod::kDay, 1762061400000),
            25 * 3600000);
  for (const char* bad : {"2025-02-30", "2025-1-01", "2025-01-01 24:00:00", "20250101", "",
                          "2025-01-01T", "1969-12-31"})
    EXPECT_FALSE(parse_local_datetime(ny, bad, t, date_only)) << bad;
  EXPECT_EQ(format_local_date(ny, 1741496400000), "2025-03-09");
  EXPECT_EQ(format_local_date(ny, 1741496399999), "2025-03-08");
}

TEST(Time, HandFormattedTimesMatchTheDateLibrary) {
  // format_utc, format_local and format_local_date are written by hand (reports label thousands
  // of periods); they agree with date::format at random instants of zones with odd offsets.
  std::mt19937_64 rng(1602);
  for (const char* name : {"UTC", "America/New_York", "Asia/Kathmandu", "America/St_Johns",
                           "Australia/Lord_Howe", "Pacific/Chatham"}) {
    TimeZone z;
    ASSERT_TRUE(TimeZone::lookup(name, z));
    for (int i = 0; i < 500; ++i) {
      const UnixMs t = int64_t(rng() % 4102444800000ULL);  // 1970 .. 2100
      using ms = std::chrono::milliseconds;
      const auto tp = std::chrono::floor<std::chrono::seconds>(
          std::chrono::time_point<std::chrono::system_clock, ms>(ms(t)));
      const auto local = date::make_zoned(z.get(), tp).get_local_time();
      EXPECT_EQ(z.format_local(t), date::format("%Y-%m-%d %H:%M:%S", local)) << name << " " << t;
      EXPECT_EQ(format_local_date(z, t), date::format("%Y-%m-%d", local)) << name << " " << t;
      EXPECT_EQ(format_utc(t), date::format("%Y-%m-%d %H:%M:%S", tp)) << t;
    }
  }
  EXPECT_EQ(format_utc(-1), "1969-12-31 23:59:59");
  EXPECT_EQ(format_utc(253402300800000), "10000-01-01 00:00:00");  // past four digits
}

TEST(Reports, CursorsRoundTripAndRejectGarbage) {
  storage::LeadCursor c{1735939764751, "Oi_PE5UB8JeApcHI06lG"};
  storage::LeadCursor d;
  ASSERT_TRUE(engine::decode_cursor(engine::encode_cursor(c), d));
  EXPECT_EQ(d.created_ms, c.created_ms);
  EXPECT_EQ(d.id, c.id);
  ASSERT_TRUE(engine::decode_cursor("1735939764751", d));  // the seed's bare milliseconds
  EXPECT_EQ(d.created_ms, 1735939764751);
  EXPECT_TRUE(d.id.empty());
  for (const char* bad :
       {"", "x", "-5", "17359.short", "1735939764751.Oi_PE5UB8JeApcHI06l!", "99999999999999999999"})
    EXPECT_FALSE(engine::decode_cursor(bad, d)) << bad;
}

TEST(Settlement, CostSharesFollowSellPricesAndAddUpExactly) {
  Lead l;
  l.cost = Money::from_units(100001);
  for (int64_t p : {30000, 0, 60000}) {
    BuyerOutcome o;
    o.status = p == 0 ? BuyerStatus::kError : BuyerStatus::kAccepted;
    o.sell_price = Money::from_units(p);
    l.buyers.push_back(o);
  }
  auto s = engine::cost_shares(l);
  EXPECT_EQ(s[0].units(), 33333 + 1);  // the rounding remainder goes to the first sale
  EXPECT_EQ(s[1].units(), 0);
  EXPECT_EQ(s[2].units(), 66667);
  EXPECT_EQ(s[0].units() + s[2].units(), 100001);
  for (auto& o : l.buyers) o.sell_price = Money();  // free sales: even split
  s = engine::cost_shares(l);
  EXPECT_EQ(s[0].units() + s[2].units(), 100001);
  EXPECT_EQ(s[2].units(), 50000);
}

TEST(Settlement, TestLeadsAndPingFailuresCountNowhereTheyShouldNot) {
  Lead l;
  l.id = "AAAAAAAAAAAAAAAAAAAA";
  l.campaign_id = 1;
  l.supplier_id = 2;
  l.status = LeadStatus::kError;
  BuyerOutcome o;
  o.buyer_id = 3;
  o.status = BuyerStatus::kError;
  l.buyers.push_back(o);
  DebugLog d;
  BuyerDebug bd;
  bd.buyer_id = 3;
  bd.ping = HttpExchangeLog{};  // pinged, no bid: a failed ping, not a failed lead
  d.buyers.push_back(bd);
  auto deltas = engine::lead_rollups(l, d, nullptr);
  bool buyer_row = false;
  for (const auto& x : deltas) {
    rollup::Key k;
    ASSERT_TRUE(rollup::decode(x.key, k));
    if (k.kind != rollup::Kind::kBuyer) continue;
    buyer_row = true;
    EXPECT_EQ(x.add[rollup::bm::kPings], 1);
    EXPECT_EQ(x.add[rollup::bm::kPingsFailed], 1);
    EXPECT_EQ(x.add[rollup::bm::kLeads], 0);
    EXPECT_EQ(x.add[rollup::bm::kFailed], 0);
  }
  EXPECT_TRUE(buyer_row);
  l.test = true;
  EXPECT_TRUE(engine::lead_rollups(l, d, nullptr).empty());
  EXPECT_TRUE(engine::return_rollups(l, nullptr).empty());
}

class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ =
        (std::filesystem::temp_directory_path() / ("pp-rollup-" + std::to_string(rd()))).string();
    std::string err;
    store_ = storage::Store::open(dir_, storage::StoreOptions{}, err);
    ASSERT_TRUE(store_) << err;
  }
  void TearDown() override {
    store_->close();
    std::filesystem::remove_all(dir_);
  }
  void save(const Lead& l, const DebugLog& d, storage::LeadExtras x = {}) {
    std::promise<storage::Status> p;
    store_->save_lead(l, d, std::move(x), [&](storage::Status s) { p.set_value(s); });
    ASSERT_TRUE(p.get_future().get().ok());
  }
  std::string dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(StoreFixture, RollupRowsAddElementWiseAcrossWritesAndRestarts) {
  rollup::Key k{rollup::Kind::kBuyer, 1, 900000, 7, 0, ""};
  std::string key = rollup::encode(k);
  store_->add_rollups({{key, {1, 2, -3}}});
  for (int i = 0; i < 40; ++i) store_->add_rollups({{key, {1, 0, 0, 5}}});  // longer vectors
  Lead l;
  l.id = "AAAAAAAAAAAAAAAAAAAB";
  storage::LeadExtras x;
  x.rollups.push_back({key, {100}});
  save(l, DebugLog{}, std::move(x));  // FIFO: the earlier add_rollups are committed by now
  auto read = [&] {
    rollup::Values got;
    store_->scan_rollups(key, key + '\xff',
                         [&](std::string_view, const rollup::Values& v) { got = v; });
    return got;
  };
  EXPECT_EQ(read(), (rollup::Values{141, 2, -3, 200}));
  store_->close();
  std::string err;
  store_ = storage::Store::open(dir_, storage::StoreOptions{}, err);
  ASSERT_TRUE(store_) << err;
  EXPECT_EQ(read(), (rollup::Values{141, 2, -3, 200}));
  // A new process knows no rows: it reads the stored sum once and goes on from it.
  store_->add_rollups({{key, {1, 1}}});
  Lead l2;
  l2.id = "AAAAAAAAAAAAAAAAAAAC";
  storage::LeadExtras x2;
  x2.rollups.push_back({key, {0, 0, 0, 0, 7}});
  save(l2, DebugLog{}, std::move(x2));
  EXPECT_EQ(read(), (rollup::Values{142, 3, -3, 200, 7}));
}

TEST_F(StoreFixture, DebugLogsOlderThanNinetyDaysAreDroppedLeadsAreKept) {
  IdGenerator ids(1);
  const UnixMs now = SystemClock::instance().now_ms();
  Lead old_lead, new_lead;
  old_lead.id = ids.lead_id(now - 91LL * 86400000);
  new_lead.id = ids.lead_id(now - 89LL * 86400000);
  EXPECT_EQ(lead_id_time(old_lead.id), now - 91LL * 86400000);
  for (Lead* l : {&old_lead, &new_lead}) {
    DebugLog d;
    d.lead_id = l->id;
    d.buyers.push_back(BuyerDebug{});
    save(*l, d);
  }
  store_->compact_expiring();
  EXPECT_FALSE(store_->get_debug(old_lead.id));
  EXPECT_TRUE(store_->get_debug(new_lead.id));
  EXPECT_TRUE(store_->get_lead(old_lead.id));
}

}  // namespace
}  // namespace pp
