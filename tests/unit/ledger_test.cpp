// Engine state over a real RocksDB store: cap ledger, duplicate table, request guard, pause state.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <random>
#include <thread>

#include "engine/caps_ledger.h"
#include "engine/dedup.h"
#include "engine/holds.h"
#include "engine/request_guard.h"

namespace pp::engine {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ =
        (std::filesystem::temp_directory_path() / ("pp-ledger-" + std::to_string(rd()))).string();
    open();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void open() {
    std::string err;
    store_ = storage::Store::open(dir_, {}, err);
    ASSERT_TRUE(store_) << err;
  }
  void save(storage::LeadExtras extras) {
    Lead l;
    l.id = "AAAAAAAAAAAAAAAAAAA" + std::to_string(n_++ % 10);
    std::promise<storage::Status> p;
    store_->save_lead(l, DebugLog{}, std::move(extras), [&](storage::Status s) { p.set_value(s); });
    ASSERT_TRUE(p.get_future().get().ok());
  }
  static TimeZone ny() {
    TimeZone z;
    TimeZone::lookup("America/New_York", z);
    return z;
  }

  std::string dir_;
  std::unique_ptr<storage::Store> store_;
  int n_ = 0;
};

constexpr UnixMs kNow = 1795366800000;  // Sunday 2026-11-22 12:00 EST

Caps day_cap(int64_t leads, int64_t budget_units = 0) {
  Caps c;
  c.leads.push_back({CapPeriod::kDay, -1, leads, "day"});
  if (budget_units) c.budget.push_back({CapPeriod::kTotal, -1, budget_units, "total"});
  return c;
}

TEST_F(StoreTest, CapsNeverOvershootUnderContention) {
  CapLedger ledger(*store_);
  Caps caps = day_cap(10);
  std::atomic<int> granted{0};
  std::vector<std::thread> ts;
  std::mutex mu;
  std::vector<std::pair<std::string, int64_t>> deltas;
  for (int t = 0; t < 8; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        std::string failed;
        auto h = ledger.reserve(CapOwner::kBuyer, 1, caps, ny(), kNow, Money(), failed);
        if (!h) {
          EXPECT_EQ(failed, "day");
          continue;
        }
        // Half of the deliveries fail and give their reservation back.
        if (i % 2) {
          ledger.release(*h);
        } else {
          std::lock_guard lk(mu);
          ledger.commit(*h, Money(), deltas);
          ++granted;
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(granted.load(), 10);
  EXPECT_EQ(ledger.used(CapOwner::kBuyer, 1, false, caps.leads[0], ny(), kNow), 10);
  // A new local day starts from zero.
  EXPECT_EQ(ledger.used(CapOwner::kBuyer, 1, false, caps.leads[0], ny(), kNow + 86400000), 0);
}

TEST_F(StoreTest, CapCountersSurviveARestart) {
  Caps caps = day_cap(3, Money::from_whole(20).units());
  {
    CapLedger ledger(*store_);
    storage::LeadExtras extras;
    for (int i = 0; i < 2; ++i) {
      std::string failed;
      auto h =
          ledger.reserve(CapOwner::kSupplier, 9, caps, ny(), kNow, Money::from_whole(8), failed);
      ASSERT_TRUE(h);
      ledger.commit(*h, Money::from_whole(8), extras.counter_deltas);
    }
    save(std::move(extras));
  }
  store_.reset();
  open();
  CapLedger again(*store_);
  EXPECT_EQ(again.used(CapOwner::kSupplier, 9, false, caps.leads[0], ny(), kNow), 2);
  EXPECT_EQ(again.used(CapOwner::kSupplier, 9, true, caps.budget[0], ny(), kNow),
            Money::from_whole(16).units());
  std::string failed;
  // 16 + 8 > 20: the budget refuses before the lead count would.
  EXPECT_FALSE(
      again.reserve(CapOwner::kSupplier, 9, caps, ny(), kNow, Money::from_whole(8), failed));
  EXPECT_EQ(failed, "budget total");
  EXPECT_TRUE(
      again.reserve(CapOwner::kSupplier, 9, caps, ny(), kNow, Money::from_whole(4), failed));
}

TEST_F(StoreTest, DailyCapResetsAtLocalMidnightAcrossLondonsShortDay) {
  TimeZone lon;
  ASSERT_TRUE(TimeZone::lookup("Europe/London", lon));
  CapLedger ledger(*store_);
  Caps caps = day_cap(1);
  std::vector<std::pair<std::string, int64_t>> d;
  auto take = [&](UnixMs t) {
    std::string failed;
    auto h = ledger.reserve(CapOwner::kBuyer, 3, caps, lon, t, Money(), failed);
    if (h) ledger.commit(*h, Money(), d);
    return h.has_value();
  };
  EXPECT_TRUE(take(1774740600000));   // Sat 2026-03-28 23:30 GMT
  EXPECT_FALSE(take(1774742399000));  // 23:59:59 GMT, same day
  EXPECT_TRUE(take(1774744200000));   // Sun 2026-03-29 00:30 GMT: a new (23-hour) day
  EXPECT_FALSE(take(1774823400000));  // Sun 23:30 BST = 22:30 UTC, still Sunday
  EXPECT_TRUE(take(1774825800000));   // Mon 00:10 BST = Sun 23:10 UTC: Monday in London
}

TEST_F(StoreTest, UnlimitedAndWeekdayCaps) {
  CapLedger ledger(*store_);
  Caps caps;
  caps.leads.push_back({CapPeriod::kDay, -1, 0, "day"});        // 0 = unlimited
  caps.leads.push_back({CapPeriod::kWeekday, 1, 1, "monday"});  // Mondays: 1
  std::string failed;
  std::vector<std::pair<std::string, int64_t>> d;
  for (int i = 0; i < 5; ++i) {  // Sunday: only the unlimited rule applies
    auto h = ledger.reserve(CapOwner::kBuyer, 2, caps, ny(), kNow, Money(), failed);
    ASSERT_TRUE(h);
    ledger.commit(*h, Money(), d);
  }
  const UnixMs monday = kNow + 86400000;
  auto h = ledger.reserve(CapOwner::kBuyer, 2, caps, ny(), monday, Money(), failed);
  ASSERT_TRUE(h);
  ledger.commit(*h, Money(), d);
  EXPECT_FALSE(ledger.reserve(CapOwner::kBuyer, 2, caps, ny(), monday, Money(), failed));
  EXPECT_EQ(failed, "monday");
}

CampaignConfig dupe_campaign(bool all) {
  CampaignConfig c;
  c.id = 5;
  c.dupe_check.fields = {"phone", "email"};
  c.dupe_check.match_all = all;
  return c;
}

TEST_F(StoreTest, DuplicateKeysAnyAndAll) {
  FieldList a{{"phone", "4105550100"}, {"email", "A@B.co"}};
  FieldList b{{"phone", "4105550100"}, {"email", "other@b.co"}};
  FieldList empty{{"phone", ""}, {"email", " "}};
  auto any_a = DedupTable::keys(dupe_campaign(false), a);
  auto any_b = DedupTable::keys(dupe_campaign(false), b);
  ASSERT_EQ(any_a.size(), 2u);
  EXPECT_EQ(any_a[0], any_b[0]);  // same phone
  EXPECT_NE(any_a[1], any_b[1]);
  EXPECT_TRUE(DedupTable::keys(dupe_campaign(false), empty).empty());
  auto all_a = DedupTable::keys(dupe_campaign(true), a);
  ASSERT_EQ(all_a.size(), 1u);
  EXPECT_NE(all_a, DedupTable::keys(dupe_campaign(true), b));
  FieldList a_upper{{"email", "a@b.CO"}, {"phone", "4105550100"}};
  EXPECT_EQ(all_a, DedupTable::keys(dupe_campaign(true), a_upper));  // case and order do not matter
  EXPECT_TRUE(DedupTable::keys(dupe_campaign(true), {{"phone", "4105550100"}}).empty());
}

TEST_F(StoreTest, DuplicateClaimsInFlightAndStored) {
  DedupTable t(*store_);
  auto keys = DedupTable::keys(dupe_campaign(false), {{"phone", "4105550100"}});
  std::string holder;
  EXPECT_TRUE(t.claim(keys, "lead-1", kNow, holder));
  EXPECT_FALSE(t.claim(keys, "lead-2", kNow, holder));  // in flight
  EXPECT_EQ(holder, "lead-1");
  // lead-1 sells: its key is stored for 30 days, then released from the in-flight table.
  storage::LeadExtras ex;
  ex.dedup.push_back({keys[0], "lead-1", kNow + 30LL * 86400000});
  save(std::move(ex));
  t.release(keys, "lead-1");
  EXPECT_FALSE(t.claim(keys, "lead-3", kNow + 1000, holder));  // stored
  EXPECT_EQ(holder, "lead-1");
  EXPECT_TRUE(t.claim(keys, "lead-4", kNow + 31LL * 86400000, holder));  // expired look-back
  t.release(keys, "lead-4");
  // An unsold lead releases without storing: the next identical lead may sell.
  auto other = DedupTable::keys(dupe_campaign(false), {{"phone", "4105550199"}});
  EXPECT_TRUE(t.claim(other, "lead-5", kNow, holder));
  t.release(other, "lead-5");
  EXPECT_TRUE(t.claim(other, "lead-6", kNow, holder));
}

// Owned holds (issue 13): whatever a lead holds goes back when its handle goes out of scope,
// unless it was committed; moving a handle moves the duty.
TEST_F(StoreTest, HoldsReleaseThemselvesUnlessCommitted) {
  CapLedger ledger(*store_);
  Caps caps;
  caps.leads.push_back({CapPeriod::kTotal, -1, 1, "total"});
  const TimeZone utc = TimeZone::utc();
  std::string failed;
  {
    auto h = ledger.reserve(CapOwner::kBuyer, 9, caps, utc, kNow, Money(), failed);
    ASSERT_TRUE(h);
    EXPECT_FALSE(ledger.reserve(CapOwner::kBuyer, 9, caps, utc, kNow, Money(), failed));
    CapLedger::Hold moved = std::move(*h);  // the duty moves with the handle
    EXPECT_FALSE(ledger.reserve(CapOwner::kBuyer, 9, caps, utc, kNow, Money(), failed));
  }
  // Gone out of scope uncommitted: room again.
  auto h = ledger.reserve(CapOwner::kBuyer, 9, caps, utc, kNow, Money(), failed);
  ASSERT_TRUE(h);
  std::vector<std::pair<std::string, int64_t>> deltas;
  ledger.commit(*h, Money(), deltas);
  h.reset();  // committed: destroying it gives nothing back
  EXPECT_FALSE(ledger.reserve(CapOwner::kBuyer, 9, caps, utc, kNow, Money(), failed));
  EXPECT_EQ(failed, "total");

  DedupTable t(*store_);
  auto keys = DedupTable::keys(dupe_campaign(false), {{"phone", "4105550100"}});
  std::string holder;
  {
    auto claim = DedupHold::take(t, keys, "lead-1", kNow, holder);
    ASSERT_TRUE(claim);
    EXPECT_FALSE(DedupHold::take(t, keys, "lead-2", kNow, holder));
    EXPECT_EQ(holder, "lead-1");
    std::vector<DedupHold> kept;
    kept.push_back(std::move(*claim));
    EXPECT_FALSE(DedupHold::take(t, keys, "lead-2", kNow, holder));
  }
  EXPECT_TRUE(DedupHold::take(t, keys, "lead-3", kNow, holder));

  RequestGuard g(*store_);
  {
    ASSERT_EQ(g.claim("p/1/x", "h", kNow, 60000).state, RequestGuard::State::kFirst);
    RequestHold held(g, "p/1/x");
    EXPECT_EQ(g.claim("p/1/x", "h", kNow, 60000).state, RequestGuard::State::kInFlight);
    RequestHold moved(std::move(held));
    EXPECT_EQ(g.claim("p/1/x", "h", kNow, 60000).state, RequestGuard::State::kInFlight);
  }
  EXPECT_EQ(g.claim("p/1/x", "h", kNow, 60000).state, RequestGuard::State::kFirst);
}

TEST_F(StoreTest, RequestGuardReplaysConflictsAndSurvivesRestart) {
  const int64_t day = RequestGuard::kIdempotencyWindowMs;
  {
    RequestGuard g(*store_);
    EXPECT_EQ(g.claim("i/1/k", "hash-a", kNow, day).state, RequestGuard::State::kFirst);
    EXPECT_EQ(g.claim("i/1/k", "hash-a", kNow, day).state, RequestGuard::State::kInFlight);
    EXPECT_EQ(g.claim("i/1/k", "hash-b", kNow, day).state, RequestGuard::State::kConflict);
    // The answer is stored with the lead, then the claim is forgotten.
    storage::LeadExtras ex;
    ex.requests.push_back(
        {"i/1/k", RequestGuard::persisted_value("hash-a", "answer-1", kNow + day), kNow + day});
    save(std::move(ex));
    g.complete("i/1/k");
    auto again = g.claim("i/1/k", "hash-a", kNow + 1000, day);
    EXPECT_EQ(again.state, RequestGuard::State::kReplay);
    EXPECT_EQ(again.answer, "answer-1");
    // An abandoned claim (no lead stored) lets the next try start afresh.
    EXPECT_EQ(g.claim("p/1/x", "h", kNow, 60000).state, RequestGuard::State::kFirst);
    g.abandon("p/1/x");
    EXPECT_EQ(g.claim("p/1/x", "h", kNow, 60000).state, RequestGuard::State::kFirst);
  }
  store_.reset();
  open();
  RequestGuard g(*store_);
  auto r = g.claim("i/1/k", "hash-a", kNow + 3600000, day);
  EXPECT_EQ(r.state, RequestGuard::State::kReplay);
  EXPECT_EQ(r.answer, "answer-1");
  EXPECT_EQ(g.claim("i/1/k", "hash-b", kNow + 3600000, day).state, RequestGuard::State::kConflict);
  // After 24 h the key is free again.
  EXPECT_EQ(g.claim("i/1/k", "hash-b", kNow + 25LL * 3600000, day).state,
            RequestGuard::State::kFirst);
}

TEST_F(StoreTest, ExpiredKeysAndOldCountersLeaveStorage) {
  const UnixMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  storage::LeadExtras ex;
  ex.dedup.push_back({"d/1/phone/old", "L1", now - 1000});
  ex.dedup.push_back({"d/1/phone/new", "L2", now + 3600000});
  ex.requests.push_back({"p/1/old", "x", now - 1});
  ex.counter_deltas.push_back(
      {"b/1/l/day/" + std::to_string(now - 90LL * 86400000), 3});  // 90 days old
  ex.counter_deltas.push_back({"b/1/l/day/" + std::to_string(now), 2});
  ex.counter_deltas.push_back({"b/1/l/total/0", 5});
  save(std::move(ex));
  EXPECT_EQ(store_->count_entries(storage::Space::kDedup), 2u);
  EXPECT_FALSE(store_->get_expiring(storage::Space::kDedup, "d/1/phone/old", now));  // read-time
  store_->compact_expiring();
  EXPECT_EQ(store_->count_entries(storage::Space::kDedup), 1u);
  EXPECT_EQ(store_->count_entries(storage::Space::kRequests), 0u);
  EXPECT_TRUE(store_->get_expiring(storage::Space::kDedup, "d/1/phone/new", now));
  EXPECT_EQ(store_->get_counter("b/1/l/day/" + std::to_string(now - 90LL * 86400000)), 0);
  EXPECT_EQ(store_->get_counter("b/1/l/day/" + std::to_string(now)), 2);
  EXPECT_EQ(store_->get_counter("b/1/l/total/0"), 5);
}

// The configuration's history (issue 14): the document and its change-log entry in one write,
// the head at the last version, entries scanned both ways, all surviving a reopen.
TEST_F(StoreTest, ConfigurationVersionsAndChangeLogPersist) {
  EXPECT_FALSE(store_->read_config().found());
  EXPECT_FALSE(store_->read_config().failed());
  for (uint64_t v = 1; v <= 5; ++v) {
    ASSERT_TRUE(
        store_->put_config(v, "{\"v\":" + std::to_string(v) + "}", "change " + std::to_string(v))
            .ok());
  }
  store_.reset();
  open();
  auto head = store_->read_config();
  ASSERT_TRUE(head.found());
  EXPECT_EQ(head.value->version, 5u);
  EXPECT_EQ(head.value->document, "{\"v\":5}");
  std::vector<uint64_t> up, down, below;
  ASSERT_TRUE(store_
                  ->scan_changes(2, false,
                                 [&](uint64_t v, std::string_view text) {
                                   EXPECT_EQ(text, "change " + std::to_string(v));
                                   up.push_back(v);
                                   return true;
                                 })
                  .ok());
  EXPECT_EQ(up, (std::vector<uint64_t>{3, 4, 5}));
  store_->scan_changes(0, true, [&](uint64_t v, std::string_view) {
    down.push_back(v);
    return v > 2;
  });
  EXPECT_EQ(down, (std::vector<uint64_t>{5, 4, 3, 2}));
  store_->scan_changes(4, true, [&](uint64_t v, std::string_view) {
    below.push_back(v);
    return true;
  });
  EXPECT_EQ(below, (std::vector<uint64_t>{3, 2, 1}));
}

}  // namespace
}  // namespace pp::engine
