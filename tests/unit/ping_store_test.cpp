// PingStore: pings wait for their post until their own expiry, however many others arrive.
#include <gtest/gtest.h>

#include "engine/auction.h"

namespace pp::engine {
namespace {

PingRecord ping(const std::string& id, int64_t expires_ms) {
  PingRecord r;
  r.ping_id = id;
  r.campaign_id = 1;
  r.supplier_id = 10;
  r.expires_ms = expires_ms;
  return r;
}

// Regression: the amortised clean-up on every 1024th put used the new ping's expiry as "now",
// so every ping in flight was declared expired (found by `make bench`: two-step runs answered
// 1014 a few milliseconds after the ping).
TEST(PingStore, ManyPutsDoNotExpireLivePings) {
  PingStore store;
  const int64_t t0 = 1'800'000'000'000;
  const int64_t ttl = 300'000;
  for (int i = 0; i < 5000; ++i) store.put(ping("p" + std::to_string(i), t0 + i + ttl), t0 + i);
  EXPECT_EQ(store.size(), 5000u);
  PingRecord out;
  for (int i = 0; i < 5000; i += 7) {
    ASSERT_EQ(store.take("p" + std::to_string(i), 1, 10, t0 + 5000, out), PingStore::Take::kOk)
        << "ping " << i;
    EXPECT_EQ(out.ping_id, "p" + std::to_string(i));
  }
}

TEST(PingStore, ExpiredUnknownUsedAndPruned) {
  PingStore store;
  const int64_t t0 = 1'800'000'000'000;
  store.put(ping("a", t0 + 1000), t0);
  store.put(ping("b", t0 + 1000), t0);
  store.put(ping("c", t0 + 1000), t0);
  PingRecord out;
  EXPECT_EQ(store.take("a", 2, 10, t0 + 1, out), PingStore::Take::kUnknown);  // other campaign
  EXPECT_EQ(store.take("a", 1, 11, t0 + 1, out), PingStore::Take::kUnknown);  // other supplier
  EXPECT_EQ(store.take("a", 1, 10, t0 + 1, out), PingStore::Take::kOk);
  EXPECT_EQ(store.take("a", 1, 10, t0 + 2, out), PingStore::Take::kUsed);
  EXPECT_EQ(store.take("b", 1, 10, t0 + 1001, out), PingStore::Take::kExpired);
  EXPECT_EQ(store.take("zz", 1, 10, t0 + 1, out), PingStore::Take::kUnknown);
  // The clean-up on the 1024th put, an hour later, drops "c" (expired) but keeps it known as
  // expired rather than unknown; fresh pings stay.
  for (int i = 0; i < 1021; ++i)
    store.put(ping("n" + std::to_string(i), t0 + 3'600'000 + 1000), t0 + 3'600'000);
  EXPECT_EQ(store.size(), 1021u);
  EXPECT_EQ(store.take("c", 1, 10, t0 + 3'600'000, out), PingStore::Take::kExpired);
  EXPECT_EQ(store.take("n5", 1, 10, t0 + 3'600'000, out), PingStore::Take::kOk);
}

}  // namespace
}  // namespace pp::engine
