// Lead-path metrics read back for the console's buyer health (issue 15): histogram quantiles by
// bucket bound, and one summary per (campaign, buyer).
#include "engine/metrics.h"

#include <gtest/gtest.h>

namespace pp::engine {
namespace {

TEST(Histogram, QuantileIsTheBoundOfTheBucketHoldingIt) {
  Histogram h;
  EXPECT_EQ(h.quantile_us(0.5), 0);             // empty
  for (int i = 0; i < 90; ++i) h.observe(80);   // bucket <= 100 µs
  for (int i = 0; i < 9; ++i) h.observe(4000);  // bucket <= 5 ms
  h.observe(20'000'000);                        // beyond the last bound (10 s)
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.quantile_us(0.50), 100);
  EXPECT_EQ(h.quantile_us(0.90), 100);
  EXPECT_EQ(h.quantile_us(0.95), 5000);
  EXPECT_EQ(h.quantile_us(0.99), 5000);
  EXPECT_EQ(h.quantile_us(1.0), 10'000'000);  // the largest bound stands for "beyond"
}

TEST(EngineMetrics, BuyerSummariesGroupCallsAndOutcomesByCampaignAndBuyer) {
  EngineMetrics m;
  m.observe_buyer_call(1, 10, true, 300);
  m.observe_buyer_call(1, 10, false, 2000);
  m.observe_buyer_call(1, 10, false, 2000);
  m.observe_buyer_call(2, 10, false, 90);  // the same buyer id in another campaign stays apart
  m.count_outcome(1, 10, "accepted");
  m.count_outcome(1, 10, "timeout");
  m.count_outcome(1, 10, "timeout");
  m.count_outcome(3, 30, "rejected");  // outcomes without calls (skipped buyers) still show
  auto all = m.buyer_summaries();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].campaign, 1);
  EXPECT_EQ(all[0].buyer, 10);
  EXPECT_EQ(all[0].ping.count, 1u);
  EXPECT_EQ(all[0].ping.p50_us, 500);
  EXPECT_EQ(all[0].post.count, 2u);
  EXPECT_EQ(all[0].post.p95_us, 2500);
  EXPECT_EQ(all[0].outcomes.at("accepted"), 1u);
  EXPECT_EQ(all[0].outcomes.at("timeout"), 2u);
  EXPECT_EQ(all[1].campaign, 2);
  EXPECT_EQ(all[1].post.count, 1u);
  EXPECT_TRUE(all[1].outcomes.empty());
  EXPECT_EQ(all[2].buyer, 30);
  EXPECT_EQ(all[2].post.count, 0u);
  EXPECT_EQ(all[2].outcomes.at("rejected"), 1u);
}

}  // namespace
}  // namespace pp::engine
