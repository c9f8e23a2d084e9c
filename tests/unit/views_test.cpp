#include "api/views.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/app.h"

namespace pp::api {
namespace {

namespace json = boost::json;

ConfigPtr demo() {
  return load_config(*read_file(std::string(PP_SOURCE_DIR) + "/configs/demo.json")).config;
}

std::vector<std::string> keys(const json::object& o) {
  std::vector<std::string> k;
  for (const auto& kv : o) k.emplace_back(kv.key());
  return k;
}

// Seed 000, "Single Lead Details": keys in this order, with these JSON types.
TEST(Views, LeadMatchesSeedShape) {
  auto cfg = demo();
  ASSERT_TRUE(cfg);
  Lead l;
  l.id = "Oi_PE5UB8JeApcHI06lG";
  l.status = LeadStatus::kAccepted;
  l.campaign_id = 21624;
  l.supplier_id = 55077;
  l.cost = Money::from_units(133000);
  l.revenue = Money::from_whole(19);
  l.tags = {"test"};
  l.fields = {{"lp_subid1", "sub1_a"}, {"zip_code", "01341"}};
  BuyerOutcome ok{55082, BuyerStatus::kAccepted, 0, "", Money::from_whole(19)};
  BuyerOutcome pinged{55080, BuyerStatus::kOutbid};
  BuyerOutcome skipped{55083, BuyerStatus::kSkipped, 1039, "Buyer is paused"};
  l.buyers = {ok, pinged, skipped};
  json::value v = json::parse(render_lead(l, *cfg));
  const json::object& o = v.as_object();
  EXPECT_EQ(keys(o), (std::vector<std::string>{
                         "id", "status", "error_code", "error_message", "validation_error_provider",
                         "validation_error_description", "test", "cost", "revenue", "campaign_id",
                         "campaign_name", "returned", "return_reason", "tags", "lead_data",
                         "supplier", "buyers"}));
  EXPECT_TRUE(o.at("error_code").is_int64());
  EXPECT_TRUE(o.at("test").is_bool());
  EXPECT_EQ(o.at("cost").as_double(), 13.3);
  EXPECT_TRUE(o.at("revenue").is_int64());  // 19, printed without decimals as in the seed
  EXPECT_EQ(o.at("campaign_name").as_string(), "MVA");
  EXPECT_EQ(o.at("lead_data").as_object().at("zip_code").as_string(), "01341");
  const json::object& s = o.at("supplier").as_object();
  EXPECT_EQ(keys(s), (std::vector<std::string>{"id", "name", "client"}));
  EXPECT_EQ(keys(s.at("client").as_object()), (std::vector<std::string>{"id", "name"}));
  EXPECT_EQ(s.at("client").as_object().at("name").as_string(), "PrecisionProspects");
  const json::array& b = o.at("buyers").as_array();
  ASSERT_EQ(b.size(), 2u);  // skipped buyers are only in the debug log
  EXPECT_EQ(keys(b[0].as_object()),
            (std::vector<std::string>{"id", "name", "client", "status", "error_code",
                                      "error_message", "sell_price", "returned", "return_reason"}));
  EXPECT_EQ(b[0].as_object().at("status").as_string(), "ACCEPTED");
  EXPECT_EQ(b[1].as_object().at("status").as_string(), "PINGED");
  EXPECT_EQ(b[0].as_object().at("name").as_string(), "NexGen Leads");
}

}  // namespace
}  // namespace pp::api
