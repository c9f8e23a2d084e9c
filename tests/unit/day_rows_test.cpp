// Day rows of the statistics (issue 16): every quarter-hour row has a twin for its local day in
// the campaign's zone; reports read them only for whole days of that zone after the campaign's
// record; a zone change starts a new record and the figures stay exact on both sides of it.
#include "engine/day_rows.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <future>
#include <map>
#include <random>

#include "core/rollup.h"
#include "engine/reports.h"
#include "engine/settlement.h"
#include "storage/store.h"

namespace pp {
namespace {

using rollup::Kind;

ConfigPtr config_in(const std::string& zone, int campaign = 7) {
  auto loaded =
      load_config(R"({"account": {"name": "D", "timezone": "America/New_York"},
    "clients": [{"id": 1, "company": "S"}, {"id": 2, "company": "B"}],
    "campaigns": [{"id": )" +
                  std::to_string(campaign) +
                  R"(, "name": "Seven", "type": "direct_post", "timezone": ")" + zone + R"(",
      "fields": [{"name": "state", "type": "state"}],
      "suppliers": [{"id": 70, "client_id": 1, "lp_key": "supplier-key-70"}],
      "buyers": [{"id": 71, "client_id": 2, "type": "lead_store"}]}]})");
  EXPECT_TRUE(loaded.config) << (loaded.errors.empty() ? "" : loaded.errors[0]);
  return loaded.config;
}

TimeZone zone(const char* name) {
  TimeZone z;
  EXPECT_TRUE(TimeZone::lookup(name, z)) << name;
  return z;
}

Lead sold_lead(std::string id, UnixMs t) {
  Lead l;
  l.id = std::move(id);
  l.campaign_id = 7;
  l.supplier_id = 70;
  l.created_ms = t;
  l.status = LeadStatus::kAccepted;
  l.cost = Money::from_units(30000);
  l.revenue = Money::from_units(50000);
  l.fields = {{"lp_subid1", "fb"}};
  BuyerOutcome o;
  o.buyer_id = 71;
  o.status = BuyerStatus::kAccepted;
  o.sell_price = l.revenue;
  l.buyers.push_back(o);
  return l;
}

TEST(DayRows, EveryQuarterHourRowHasItsLocalDayRowWithTheSameAmounts) {
  // 2025-01-01 18:30 UTC is 00:15 on January 2 in Kathmandu (+05:45): that day starts at
  // 2025-01-01 18:15 UTC.
  const UnixMs t = 1735756200000;
  const TimeZone ktm = zone("Asia/Kathmandu");
  const Lead l = sold_lead("AAAAAAAAAAAAAAAAAAAA", t);
  auto deltas = engine::lead_rollups(l, DebugLog{}, &ktm);
  std::map<std::string, rollup::Values> quarter, day;
  for (const auto& d : deltas) {
    rollup::Key k;
    ASSERT_TRUE(rollup::decode(d.key, k));
    if (rollup::is_day_kind(k.kind)) {
      EXPECT_EQ(k.slot_ms, 1735755300000) << char(k.kind);
      k.kind = Kind(char(k.kind) & ~0x20);
      k.slot_ms = rollup::slot_of(t);
      day[rollup::encode(k)] = d.add;
    } else {
      quarter[d.key] = d.add;
    }
  }
  EXPECT_EQ(quarter.size(), 4u);  // S, U, B, X
  // Sub id rows have no day rows (a sub id that carries a click id makes one row per lead).
  for (auto it = quarter.begin(); it != quarter.end();)
    it = it->first[0] == char(Kind::kSubids) ? quarter.erase(it) : std::next(it);
  EXPECT_EQ(quarter.size(), 3u);
  EXPECT_EQ(quarter, day);
  // Without a zone (a lead of no campaign), no day rows.
  EXPECT_EQ(engine::lead_rollups(l, DebugLog{}, nullptr).size(), 4u);
  // A return adds to the same rows, day rows included.
  Lead r = l;
  r.returned = true;
  r.buyers[0].returned = true;
  EXPECT_EQ(engine::return_rollups(r, nullptr).size(), 4u);
  EXPECT_EQ(engine::return_rollups(r, &ktm).size(), 7u);

  // The day of a local midnight that does not exist starts at the transition (Havana springs
  // forward from 00:00 to 01:00 on 2025-03-09, i.e. 05:00 UTC).
  const TimeZone hav = zone("America/Havana");
  EXPECT_EQ(engine::local_day_start(hav, 1741510800000), 1741496400000);  // 09:00 UTC
  EXPECT_EQ(engine::local_day_start(ktm, t), 1735755300000);
}

class DayRowsStore : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    std::random_device rd;
    dir_ =
        (std::filesystem::temp_directory_path() / ("pp-dayrows-" + std::to_string(rd()))).string();
    std::string err;
    storage::StoreOptions so;
    so.sync = false;
    store_ = storage::Store::open(dir_, so, err);
    ASSERT_TRUE(store_) << err;
  }
  void TearDown() override {
    store_->close();
    std::filesystem::remove_all(dir_);
    spdlog::set_level(spdlog::level::info);
  }
  void save(const Lead& l, std::vector<rollup::Delta> rollups) {
    std::promise<storage::Status> p;
    storage::LeadExtras x;
    x.rollups = std::move(rollups);
    store_->save_lead(l, DebugLog{}, std::move(x), [&](storage::Status s) { p.set_value(s); });
    ASSERT_TRUE(p.get_future().get().ok());
  }
  // Leads of campaign 7 in [from, to) by `group` in `tz`, as the report gives them.
  std::map<UnixMs, int64_t> leads_by(const Config& cfg, UnixMs from, UnixMs to, const TimeZone& tz,
                                     CalendarPeriod group) {
    auto figures = engine::campaign_stats(*store_, {cfg.find_campaign(7)},
                                          engine::TimeRange{from, to}, tz, group);
    std::map<UnixMs, int64_t> out;
    for (const auto& [p, v] : figures.at(0).totals.periods) out[p] = v[rollup::sm::kLeads];
    return out;
  }
  std::string dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(DayRowsStore, TheRecordStartsWithTheCampaignOrAtAZoneChange) {
  const UnixMs now = 1767225600000;  // 2026-01-01
  ConfigPtr ny = config_in("America/New_York"), london = config_in("Europe/London");
  ASSERT_TRUE(engine::ensure_day_rows(*store_, *ny, nullptr, now).ok());
  auto rec = engine::read_day_rows(*store_, 7);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->zone, "America/New_York");
  EXPECT_EQ(rec->since_ms, 0);  // no statistics yet: complete from the first lead

  // The same zone again (a restart, another change): the record stands.
  ASSERT_TRUE(engine::ensure_day_rows(*store_, *ny, ny.get(), now + 5000).ok());
  EXPECT_EQ(engine::read_day_rows(*store_, 7)->since_ms, 0);

  // A zone change: complete from a minute after it.
  ASSERT_TRUE(engine::ensure_day_rows(*store_, *london, ny.get(), now + 9000).ok());
  rec = engine::read_day_rows(*store_, 7);
  EXPECT_EQ(rec->zone, "Europe/London");
  EXPECT_EQ(rec->since_ms, now + 9000 + engine::kDayRowsMarginMs);

  // A campaign whose statistics predate its record (a store from before day rows): from now on.
  ASSERT_TRUE(store_->put_state(engine::day_rows_key(7), "garbage").ok());
  EXPECT_FALSE(engine::read_day_rows(*store_, 7));
  save(sold_lead("AAAAAAAAAAAAAAAAAAAB", now),
       engine::lead_rollups(sold_lead("x", now), {}, nullptr));
  ASSERT_TRUE(engine::ensure_day_rows(*store_, *london, nullptr, now + 20000).ok());
  EXPECT_EQ(engine::read_day_rows(*store_, 7)->since_ms, now + 20000 + engine::kDayRowsMarginMs);

  // The previous configuration's zone counts too: a record left by a failed change (London)
  // while leads ran in New York is rewritten when London comes back.
  ASSERT_TRUE(engine::ensure_day_rows(*store_, *london, ny.get(), now + 30000).ok());
  EXPECT_EQ(engine::read_day_rows(*store_, 7)->since_ms, now + 30000 + engine::kDayRowsMarginMs);

  // A campaign created again after a delete (returns while it was gone reached its quarter hours
  // only): its record starts again, though the zone is the same.
  ConfigPtr without = config_in("Europe/London", 8);  // campaign 7 deleted
  ASSERT_TRUE(engine::ensure_day_rows(*store_, *london, london.get(), now + 40000).ok());
  EXPECT_EQ(engine::read_day_rows(*store_, 7)->since_ms, now + 30000 + engine::kDayRowsMarginMs);
  ASSERT_TRUE(engine::ensure_day_rows(*store_, *london, without.get(), now + 50000).ok());
  EXPECT_EQ(engine::read_day_rows(*store_, 7)->since_ms, now + 50000 + engine::kDayRowsMarginMs);
}

TEST_F(DayRowsStore, ReportsReadDayRowsOnlyForWholeDaysOfTheirZoneAfterTheRecord) {
  ConfigPtr ny = config_in("America/New_York");
  ASSERT_TRUE(engine::ensure_day_rows(*store_, *ny, nullptr, 0).ok());
  const TimeZone nyz = zone("America/New_York"), utc = TimeZone::utc();
  const UnixMs day = 1736139600000;  // 2025-01-06 00:00 EST
  const UnixMs next = day + 86400000;
  // A quarter-hour row that says 1 lead at 10:00 and a day row that says 1,000 (planted: the two
  // never disagree in real life; here they tell which one a report read).
  rollup::Key q{Kind::kSupplier, 7, day + 10 * 3600000, 70, 0, ""};
  rollup::Key d{Kind::kSupplierDay, 7, day, 70, 0, ""};
  save(sold_lead("AAAAAAAAAAAAAAAAAAAC", day),
       {{rollup::encode(q), {1}}, {rollup::encode(d), {1000}}});

  using P = CalendarPeriod;
  EXPECT_EQ(leads_by(*ny, day, next, nyz, P::kDay), (std::map<UnixMs, int64_t>{{day, 1000}}));
  EXPECT_EQ(leads_by(*ny, day - 86400000, next + 86400000, nyz, P::kMonth).begin()->second, 1000);
  // Hours, another zone, a range that is not whole days: the quarter-hour rows.
  EXPECT_EQ(leads_by(*ny, day, next, nyz, P::kHour).begin()->second, 1);
  EXPECT_EQ(leads_by(*ny, day, next, utc, P::kDay).begin()->second, 1);
  EXPECT_EQ(leads_by(*ny, day + 3600000, next, nyz, P::kDay).begin()->second, 1);
  // Days before the record's start: the quarter-hour rows.
  ASSERT_TRUE(
      store_->put_state(engine::day_rows_key(7), std::to_string(day + 1) + " America/New_York")
          .ok());
  EXPECT_EQ(leads_by(*ny, day, next, nyz, P::kDay).begin()->second, 1);
  ASSERT_TRUE(
      store_->put_state(engine::day_rows_key(7), std::to_string(day) + " America/New_York").ok());
  EXPECT_EQ(leads_by(*ny, day, next, nyz, P::kDay).begin()->second, 1000);
  // A record in another zone than the campaign's: the quarter-hour rows.
  ASSERT_TRUE(store_->put_state(engine::day_rows_key(7), "0 Europe/London").ok());
  EXPECT_EQ(leads_by(*ny, day, next, nyz, P::kDay).begin()->second, 1);
}

TEST_F(DayRowsStore, FiguresStayExactAcrossAZoneChange) {
  // Leads every 37 minutes for 6 days, the campaign moving from New York to Kathmandu on the
  // third; every report by day, week and in total, in both zones and UTC, equals a count of the
  // leads themselves.
  ConfigPtr ny = config_in("America/New_York"), ktm_cfg = config_in("Asia/Kathmandu");
  const UnixMs start = 1741233600000;  // 2025-03-06 04:00 UTC, around the US change of Mar 9
  const UnixMs change = start + 3 * 86400000 + 7 * 3600000;
  ASSERT_TRUE(engine::ensure_day_rows(*store_, *ny, nullptr, start).ok());
  std::vector<UnixMs> times;
  bool changed = false;
  int n = 0;
  for (UnixMs t = start; t < start + 6 * 86400000; t += 37 * 60000) {
    if (!changed && t >= change) {
      ASSERT_TRUE(engine::ensure_day_rows(*store_, *ktm_cfg, ny.get(), change).ok());
      changed = true;
    }
    const Config& cfg = changed ? *ktm_cfg : *ny;
    char id[21];
    std::snprintf(id, sizeof id, "AAAAAAAAAAAAAAA%05d", n++);
    Lead l = sold_lead(id, t);
    save(l, engine::lead_rollups(l, DebugLog{}, &cfg.find_campaign(7)->tz));
    times.push_back(t);
  }
  ASSERT_TRUE(changed);
  const auto rec = engine::read_day_rows(*store_, 7);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->zone, "Asia/Kathmandu");
  int64_t compared = 0;
  for (const char* zn : {"Asia/Kathmandu", "America/New_York", "UTC"}) {
    const TimeZone tz = zone(zn);
    const UnixMs from = period_start(tz, CalendarPeriod::kDay, start);
    const UnixMs to = period_end(tz, CalendarPeriod::kDay, start + 6 * 86400000);
    for (CalendarPeriod g : {CalendarPeriod::kDay, CalendarPeriod::kWeek, CalendarPeriod::kHour}) {
      std::map<UnixMs, int64_t> want;
      for (UnixMs t : times) ++want[period_start(tz, g, t)];
      EXPECT_EQ(leads_by(*ktm_cfg, from, to, tz, g), want) << zn << " group " << int(g);
      for (const auto& [p, c] : want) compared += c;
    }
  }
  EXPECT_GT(compared, 2000);
}

}  // namespace
}  // namespace pp
