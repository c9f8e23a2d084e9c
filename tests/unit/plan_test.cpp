// The plans (engine/plan.h): which stages a campaign's leads go through in each mode, in order.
// A plan is the one place a stage is added; these lists are what the timeline shows.
#include "engine/plan.h"

#include <gtest/gtest.h>

namespace pp::engine {
namespace {

std::vector<std::string> names(CampaignType type, LeadMode mode) {
  CampaignConfig c;
  c.type = type;
  std::vector<std::string> out;
  for (auto n : RulePlan::build(c, mode).names()) out.emplace_back(n);
  return out;
}

const std::vector<std::string> kRules = {"fields",  "supplier_paused", "computed_fields",
                                         "filters", "duplicates",      "supplier_caps"};

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(Plan, ALeadGoesThroughTheRequestStagesTheRulesDeliveryAndSettlement) {
  const auto direct =
      concat(concat({"rate_limit", "request_guard"}, kRules), {"delivery", "settlement"});
  EXPECT_EQ(names(CampaignType::kDirectPost, LeadMode::kDirect), direct);
  EXPECT_EQ(names(CampaignType::kPingPostExchange, LeadMode::kDirect), direct);
  const auto post = concat(concat({"rate_limit", "request_guard", "ping_record"}, kRules),
                           {"delivery", "settlement"});
  EXPECT_EQ(names(CampaignType::kPingPostExchange, LeadMode::kPost), post);
  EXPECT_EQ(names(CampaignType::kOneToOne, LeadMode::kPost), post);
}

TEST(Plan, APingRunsTheSameRulesThatNeedNoLeadThenTheAuction) {
  const std::vector<std::string> ping = {"rate_limit", "fields",        "supplier_paused",
                                         "filters",    "supplier_caps", "auction"};
  EXPECT_EQ(names(CampaignType::kPingPostExchange, LeadMode::kPing), ping);
  EXPECT_EQ(names(CampaignType::kOneToOne, LeadMode::kPing), ping);
  // A direct-post campaign's ping is its pre-ping duplicate check (A3).
  EXPECT_EQ(names(CampaignType::kDirectPost, LeadMode::kPing),
            (std::vector<std::string>{"rate_limit", "preping"}));
}

TEST(Plan, DeliveryDependsOnTheCampaignAndTheMode) {
  // The same name on the timeline, a different stage object: waterfall, exchange, sale of a ping.
  CampaignConfig direct, exchange;
  direct.type = CampaignType::kDirectPost;
  exchange.type = CampaignType::kPingPostExchange;
  auto delivery = [](const RulePlan& p) { return p.stages()[p.stages().size() - 2]; };
  const Stage* waterfall = delivery(RulePlan::build(direct, LeadMode::kDirect));
  const Stage* full_lead = delivery(RulePlan::build(exchange, LeadMode::kDirect));
  const Stage* sale = delivery(RulePlan::build(exchange, LeadMode::kPost));
  EXPECT_NE(waterfall, full_lead);
  EXPECT_NE(full_lead, sale);
  EXPECT_NE(waterfall, sale);
  EXPECT_TRUE(waterfall->waits());
  EXPECT_FALSE(RulePlan::build(direct, LeadMode::kDirect).stages()[0]->waits());  // rate_limit
}

}  // namespace
}  // namespace pp::engine
