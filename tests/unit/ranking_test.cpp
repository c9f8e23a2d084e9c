#include "routing/ranking.h"

#include <gtest/gtest.h>

namespace pp::routing {
namespace {

Money m(const char* s) { return *Money::parse(s); }

struct Fixture {
  CampaignConfig c;
  SupplierConfig s;
  Fixture() {
    c.exchange.margin = Margin{true, 1000};  // 10%
    for (int i = 0; i < 5; ++i) {
      BuyerConfig b;
      b.id = 100 + i;
      b.priority = i + 1;
      c.buyers.push_back(b);
    }
  }
};

TEST(Ranking, MarginPenaltyAndOrder) {
  Fixture f;
  f.c.buyers[0].bid_penalty_bp = 2000;                   // 20% penalty
  f.c.buyers[2].margin = Margin{false, m("1").units()};  // fixed $1 override
  auto r = rank_bids(f.c, f.s, {{0, m("20")}, {1, m("16")}, {2, m("15")}, {3, m("9.99")}});
  ASSERT_EQ(r.size(), 4u);
  // 20 -> 18 after margin -> 14.4 after penalty; 16 -> 14.4; a tie on rank value: the raw bid wins.
  EXPECT_EQ(r[0].buyer_index, 0u);
  EXPECT_EQ(r[0].after_margin, m("18"));
  EXPECT_EQ(r[0].rank_value, m("14.4"));
  EXPECT_EQ(r[1].buyer_index, 1u);
  EXPECT_EQ(r[1].rank_value, m("14.4"));
  EXPECT_EQ(r[2].buyer_index, 2u);  // 15 - $1 = 14
  EXPECT_EQ(r[2].after_margin, m("14"));
  EXPECT_EQ(r[3].after_margin, m("8.991"));
  EXPECT_NE(r[0].reason.find("after penalty 14.4"), std::string::npos);
}

TEST(Ranking, SupplierOverrideAndMinimumBid) {
  Fixture f;
  f.c.buyers[1].margin = Margin{true, 5000};
  f.s.margin = Margin{false, m("2").units()};  // beats campaign and buyer margins
  f.s.min_buyer_bid = m("10");
  auto r = rank_bids(f.c, f.s, {{0, m("9.99")}, {1, m("12")}, {2, m("1")}});
  EXPECT_EQ(r[0].buyer_index, 1u);
  EXPECT_EQ(r[0].after_margin, m("10"));
  EXPECT_TRUE(r[0].offered);
  EXPECT_FALSE(r[1].offered);
  EXPECT_FALSE(r[2].offered);
  EXPECT_EQ(r[2].after_margin, Money());  // never below zero
  EXPECT_NE(r[1].reason.find("below the minimum buyer bid 10"), std::string::npos);
}

TEST(Ranking, TiesAreDeterministic) {
  Fixture f;
  f.c.buyers[3].priority = 0;
  auto r = rank_bids(f.c, f.s, {{1, m("5")}, {3, m("5")}, {2, m("5")}});
  EXPECT_EQ(r[0].buyer_index, 3u);  // best priority
  EXPECT_EQ(r[1].buyer_index, 1u);
  EXPECT_EQ(r[2].buyer_index, 2u);
}

}  // namespace
}  // namespace pp::routing
