#include "routing/pricing.h"

#include <gtest/gtest.h>

#include "routing/distribution.h"

namespace pp::routing {
namespace {

// Evaluation context over a field list that lives as long as the full expression.
struct Ctx {
  FieldList fields;
  UnixMs now = 0;
  operator EvalContext() const { return EvalContext{fields, now}; }
};

Condition state_is(std::vector<std::string> states) {
  std::string err;
  return *Condition::rule("state", CondOp::kOneOf, std::move(states), err);
}

TEST(Pricing, StaticAndConditionalFirstMatchWins) {
  Pricing p;
  p.kind = Pricing::Kind::kConditional;
  p.amount = Money::from_whole(14);
  p.rules.push_back({state_is({"NY"}), Money::from_whole(20), ""});
  p.rules.push_back({state_is({"NY", "CT"}), Money::from_whole(25), ""});
  EXPECT_EQ(quoted_buyer_price(p, Ctx{{{"state", "ny"}}})->units(), 200000);  // case-insensitive
  EXPECT_EQ(quoted_buyer_price(p, Ctx{{{"state", "CT"}}})->units(), 250000);
  EXPECT_EQ(quoted_buyer_price(p, Ctx{{{"state", "TX"}}})->units(), 140000);
  EXPECT_EQ(quoted_buyer_price(p, Ctx{})->units(), 140000);
  Pricing s;
  s.amount = Money::from_units(95000);
  EXPECT_EQ(quoted_buyer_price(s, Ctx{})->units(), 95000);
}

TEST(Pricing, RuleMayTakeItsPriceFromAField) {
  Pricing p;
  p.kind = Pricing::Kind::kConditional;
  p.amount = Money::from_whole(1);
  p.rules.push_back({Condition::always(), std::nullopt, "offer"});
  EXPECT_EQ(quoted_buyer_price(p, Ctx{{{"offer", "$7.50"}}})->units(), 75000);
  // a field that is not an amount falls through to the default
  EXPECT_EQ(quoted_buyer_price(p, Ctx{{{"offer", "free"}}})->units(), 10000);
}

TEST(Pricing, RealTimeUsesTheAnswer) {
  Pricing p;
  p.kind = Pricing::Kind::kRealTime;
  EXPECT_FALSE(quoted_buyer_price(p, Ctx{}));
  EXPECT_EQ(final_buyer_price(p, Ctx{}, Money::from_whole(3))->units(), 30000);
  EXPECT_FALSE(final_buyer_price(p, Ctx{}, std::nullopt));
}

TEST(Pricing, SupplierPayout) {
  Pricing share;
  share.kind = Pricing::Kind::kRevenueShare;
  share.share_bp = 6000;
  EXPECT_EQ(supplier_payout(share, Ctx{}, Money::from_whole(20), true).units(), 120000);
  EXPECT_EQ(supplier_payout(share, Ctx{}, Money::from_whole(20), false).units(), 0);
  Pricing fixed;
  fixed.amount = Money::from_units(55000);
  EXPECT_EQ(supplier_payout(fixed, Ctx{}, Money::from_whole(20), true).units(), 55000);
  EXPECT_EQ(supplier_payout(fixed, Ctx{}, Money(), false).units(), 0);
}

TEST(Distribution, WaterfallByPriorityThenConfigurationOrder) {
  CampaignConfig c;
  for (auto [id, prio] : {std::pair{1, 3}, {2, 1}, {3, 2}, {4, 1}}) {
    BuyerConfig b;
    b.id = id;
    b.priority = prio;
    c.buyers.push_back(b);
  }
  std::vector<size_t> order = waterfall_order(c);
  std::vector<BuyerId> ids;
  for (size_t i : order) ids.push_back(c.buyers[i].id);
  EXPECT_EQ(ids, (std::vector<BuyerId>{2, 4, 3, 1}));
}

TEST(Distribution, PausedAndIncompleteBuyersAreSkipped) {
  BuyerConfig b;
  EXPECT_TRUE(check_buyer(b, false).eligible);
  auto p = check_buyer(b, true);
  EXPECT_FALSE(p.eligible);
  EXPECT_EQ(p.status, BuyerStatus::kSkipped);
  EXPECT_EQ(p.reason, "Buyer is paused");
  b.type = DeliveryType::kIncomplete;
  EXPECT_FALSE(check_buyer(b, false).eligible);
}

TEST(Condition, OperatorsAndGroups) {
  std::string err;
  FieldList f{{"state", "NY"}, {"zip", "10001"}, {"debt", "$12,000"}, {"email", "A@Gmail.com"}};
  auto c = [&](std::string field, CondOp op, std::vector<std::string> v) {
    auto r = Condition::rule(field, op, v, err);
    EXPECT_TRUE(r) << err;
    return *r;
  };
  EXPECT_TRUE(c("state", CondOp::kOneOf, {"ca", "ny"}).matches(EvalContext{f, 0}));
  EXPECT_FALSE(c("state", CondOp::kNotOneOf, {"NY"}).matches(EvalContext{f, 0}));
  EXPECT_TRUE(c("zip", CondOp::kStartsWith, {"100", "200"}).matches(EvalContext{f, 0}));
  EXPECT_TRUE(c("email", CondOp::kContains, {"gmail"}).matches(EvalContext{f, 0}));
  EXPECT_TRUE(c("debt", CondOp::kBetween, {"10000", "15000"}).matches(EvalContext{f, 0}));
  EXPECT_FALSE(c("debt", CondOp::kGreater, {"12000"}).matches(EvalContext{f, 0}));
  EXPECT_TRUE(c("debt", CondOp::kGreaterEq, {"12000"}).matches(EvalContext{f, 0}));
  EXPECT_TRUE(c("missing", CondOp::kEmpty, {}).matches(EvalContext{f, 0}));
  EXPECT_TRUE(c("missing", CondOp::kNotOneOf, {"x"}).matches(EvalContext{f, 0}));
  EXPECT_FALSE(c("missing", CondOp::kOneOf, {"x"}).matches(EvalContext{f, 0}));
  auto all = Condition::all({c("state", CondOp::kOneOf, {"NY"}), c("zip", CondOp::kOneOf, {"1"})});
  auto any = Condition::any({c("state", CondOp::kOneOf, {"NY"}), c("zip", CondOp::kOneOf, {"1"})});
  EXPECT_FALSE(all.matches(EvalContext{f, 0}));
  EXPECT_TRUE(any.matches(EvalContext{f, 0}));
  EXPECT_FALSE(Condition::rule("x", CondOp::kBetween, {"1"}, err));
  EXPECT_FALSE(Condition::rule("x", CondOp::kOneOf, {}, err));
}

}  // namespace
}  // namespace pp::routing
