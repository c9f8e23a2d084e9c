// Token buckets: burst, refill, Retry-After, keys apart, idle buckets forgotten.
#include <gtest/gtest.h>

#include "engine/rate_limiter.h"

namespace pp::engine {
namespace {

TEST(RateLimiter, BurstThenRefillAtTheRate) {
  RateLimiter rl;
  const int64_t t = 1'000'000;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(rl.take("k", t, 2, 5), 0) << i;  // burst of 5
  EXPECT_EQ(rl.take("k", t, 2, 5), 500);      // 2/s: the next token in 500 ms
  EXPECT_EQ(rl.take("k", t + 499, 2, 5), 1);  // not yet
  EXPECT_EQ(rl.take("k", t + 500, 2, 5), 0);
  EXPECT_GT(rl.take("k", t + 500, 2, 5), 0);
  // A long pause refills to the burst, never beyond.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(rl.take("k", t + 100'000, 2, 5), 0) << i;
  EXPECT_GT(rl.take("k", t + 100'000, 2, 5), 0);
}

TEST(RateLimiter, OffKeysApartAndDefaultBurst) {
  RateLimiter rl;
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(rl.take("a", 0, 0, 0), 0);  // rate 0: no limit
  EXPECT_EQ(rl.take("a", 10, 3, 0), 0);  // burst 0 = one second's worth: 3
  EXPECT_EQ(rl.take("a", 10, 3, 0), 0);
  EXPECT_EQ(rl.take("a", 10, 3, 0), 0);
  EXPECT_EQ(rl.take("a", 10, 3, 0), 334);
  EXPECT_EQ(rl.take("b", 10, 3, 0), 0);  // another key has its own bucket
}

TEST(RateLimiter, IdleBucketsAreForgotten) {
  RateLimiter rl;
  for (int i = 0; i < 100; ++i) rl.take("k" + std::to_string(i), 0, 10, 10);
  EXPECT_EQ(rl.size(), 100u);
  rl.take("busy", 120'000, 1, 1);  // a minute later: the idle ones are full and dropped
  EXPECT_EQ(rl.size(), 1u);
}

}  // namespace
}  // namespace pp::engine
