// The demo configuration behaves as README.md's tour says. Its buyers point at the sandbox on
// 127.0.0.1:8080; here they point at a second engine that serves only the sandbox.
#include <gtest/gtest.h>

#include "app_fixture.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

class Demo : public ::testing::Test {
 protected:
  void SetUp() override {
    sandbox_dir_ = temp_dir("sandbox");
    demo_dir_ = temp_dir("demo");
    std::string demo = *api::read_file(std::string(PP_SOURCE_DIR) + "/configs/demo.json");
    sandbox_ = start(demo, sandbox_dir_);
    ASSERT_TRUE(sandbox_);
    std::string port = std::to_string(sandbox_->port());
    demo_ = start(replace_all(demo, "127.0.0.1:8080", "127.0.0.1:" + port), demo_dir_);
    ASSERT_TRUE(demo_);
  }
  void TearDown() override {
    demo_.reset();
    sandbox_.reset();
    std::filesystem::remove_all(sandbox_dir_);
    std::filesystem::remove_all(demo_dir_);
  }
  static std::unique_ptr<api::App> start(const std::string& cfg, const std::string& dir) {
    api::AppOptions o;
    o.config_text = cfg;
    o.data_dir = dir;
    o.port = 0;
    std::vector<std::string> errors;
    auto app = api::App::create(o, errors);
    EXPECT_TRUE(app) << (errors.empty() ? "" : errors[0]);
    if (app) app->start();
    return app;
  }
  json::object post(const std::string& first_name, const std::string& state) {
    std::string body =
        R"({"lp_campaign_id":21624,"lp_supplier_id":55077,"lp_key":"mva-landing-page-key",
      "lp_subid1":"tour","first_name":")" +
        first_name + R"(","last_name":"Sanford",
      "email":"leanne@example.org","phone":"(410) 309-7989","state":")" +
        state + R"(","zip_code":"01341"})";
    HttpReply r = http_call(demo_->port(), "POST", "/direct_post", body,
                            {{"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 200) << r.error;
    return parse_object(r.body);
  }

  std::string sandbox_dir_, demo_dir_;
  std::unique_ptr<api::App> sandbox_, demo_;
};

TEST_F(Demo, TourOutcomes) {
  json::object ca = post("Leanne", "CA");
  EXPECT_EQ(ca["status"], "ACCEPTED");
  EXPECT_EQ(ca["payout"].as_double(), 5.5);
  EXPECT_EQ(std::string(ca["redirect_url"].as_string()).rfind("https://example.com/thank-you", 0),
            0u);
  HttpReply lead =
      http_call(demo_->port(), "GET", "/public/lead/" + std::string(ca["lead_id"].as_string()), "",
                {{"Authorization", "Bearer demo-admin-token"}});
  json::object l = parse_object(lead.body);
  EXPECT_EQ(l["revenue"], 14);
  auto& buyers = l["buyers"].as_array();
  ASSERT_EQ(buyers.size(), 2u);
  EXPECT_EQ(buyers[0].as_object().at("error_message"),
            "Rejected by buyer on ping: sandbox: state not covered");
  EXPECT_EQ(buyers[1].as_object().at("name"), "NexGen Leads");

  json::object ny = post("Leanne", "NY");
  EXPECT_EQ(ny["status"], "ACCEPTED");
  auto sold = demo_->engine().find_lead(std::string(ny["lead_id"].as_string()));
  ASSERT_TRUE(sold);
  EXPECT_EQ(sold->buyers[0].buyer_id, 55080);
  EXPECT_EQ(sold->revenue, Money::from_whole(15));
  auto dbg = demo_->engine().find_debug(sold->id);
  ASSERT_TRUE(dbg && dbg->buyers[0].ping && dbg->buyers[0].post);
  EXPECT_TRUE(dbg->buyers[0].has_bid);
  // The post carried the ping answer's lead id ({{lp_ping_response:lead_id}}).
  EXPECT_NE(dbg->buyers[0].post->payload.find("\"ping_lead_id\":\"sbx-"), std::string::npos);

  // The seed's caps fill up: supplier 55077 and ConversionCatalyst (55080) each sold one more.
  HttpReply camp = http_call(demo_->port(), "GET", "/public/campaigns/21624", "",
                             {{"Authorization", "Bearer demo-read-token"}});
  json::object c = parse_object(camp.body);
  EXPECT_EQ(
      json::serialize(c["suppliers"].as_array()[0].as_object().at("caps")),
      R"({"leads":[{"limit":50,"used":"2","type":"day"},{"limit":200,"used":"2","type":"total"}],"budget":[]})");
  EXPECT_EQ(
      json::serialize(c["buyers"].as_array()[0].as_object().at("caps")),
      R"({"leads":[{"limit":25,"used":"1","type":"day"},{"limit":5000,"used":"1","type":"total"}],"budget":[]})");

  // The README's stats call: the two sales (14 + 15) in the MVA campaign's figures.
  TimeZone ny_tz;
  ASSERT_TRUE(TimeZone::lookup("America/New_York", ny_tz));
  const UnixMs now = SystemClock::instance().now_ms();
  HttpReply stats =
      http_call(demo_->port(), "GET",
                "/public/stats?tags=mva&start_date=" + format_local_date(ny_tz, now - 86400000) +
                    "&end_date=" + format_local_date(ny_tz, now + 86400000),
                "", {{"Authorization", "Bearer demo-read-token"}});
  ASSERT_EQ(stats.status, 200) << stats.body;
  json::value sv = json::parse(stats.body);
  ASSERT_EQ(sv.as_array().size(), 1u);
  const auto& mva = sv.as_array()[0].at("campaign").as_object();
  EXPECT_EQ(mva.at("id"), 21624);
  EXPECT_EQ(mva.at("leads_accepted"), 2);
  EXPECT_EQ(mva.at("total_sell"), 29);

  json::object rej = post("Reject", "NY");
  EXPECT_EQ(rej["code"], 1005);
  json::object dup = post("Duplicate", "NY");
  EXPECT_EQ(dup["status"], "DUPLICATED");
  EXPECT_EQ(dup["code"], 1008);
}

// Seed 000's Solar Exchange example lead: LeadSynergy wins at 19, the supplier is paid 13.3 (a 30%
// margin), and the other two buyers show as PINGED.
TEST_F(Demo, SolarExchangeReproducesTheSeedsExampleLead) {
  std::string body =
      R"({"lp_campaign_id":21626,"lp_supplier_id":55086,"lp_key":"solar-engagemore-key",
    "lp_subid1":"sub1_a","lp_subid2":"sub2_one","zip_code":"01341","home_owner":"Yes","first_name":"Leanne",
    "last_name":"Sanford","email":"ahamill@example.org","phone":"4103097989","state":"NM"})";
  HttpReply r = http_call(demo_->port(), "POST", "/direct_post", body,
                          {{"Content-Type", "application/json"}});
  json::object a = parse_object(r.body);
  ASSERT_EQ(a["status"], "ACCEPTED") << r.body;
  EXPECT_EQ(a["payout"].as_double(), 13.3);
  HttpReply lead =
      http_call(demo_->port(), "GET", "/public/lead/" + std::string(a["lead_id"].as_string()), "",
                {{"Authorization", "Bearer demo-admin-token"}});
  json::object l = parse_object(lead.body);
  EXPECT_EQ(l["cost"].as_double(), 13.3);
  EXPECT_EQ(l["revenue"], 19);
  EXPECT_EQ(l["campaign_name"], "Solar Exchange");
  EXPECT_EQ(
      json::serialize(l["supplier"]),
      R"({"id":55086,"name":"EngageMore Advertising","client":{"id":12528,"name":"EngageMore Advertising"}})");
  const json::array& buyers = l["buyers"].as_array();
  ASSERT_EQ(buyers.size(), 3u);
  EXPECT_EQ(
      json::serialize(buyers[0]),
      R"({"id":55088,"name":"LeadSynergy Network","client":{"id":4083,"name":"LeadSynergy Network"},)"
      R"("status":"ACCEPTED","error_code":0,"error_message":"","sell_price":19,"returned":false,"return_reason":""})");
  EXPECT_EQ(buyers[1].as_object().at("id"), 55087);
  EXPECT_EQ(buyers[1].as_object().at("status"), "PINGED");
  EXPECT_EQ(buyers[2].as_object().at("id"), 55090);
  EXPECT_EQ(buyers[2].as_object().at("status"), "PINGED");
}

}  // namespace
}  // namespace pp::testkit
