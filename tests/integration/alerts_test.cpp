// Monitoring and alerts (issue 18, G5) through the real server: an error-rate rule that waits for
// its minimum sample, fires once (webhook alert.fired and an email), resolves, and stays quiet in
// its cooldown, across a restart too; buyer timeouts, buyer p99 and "no leads for N minutes" on an
// injected clock. Evaluations are run by hand (the evaluator's own interval is set to an hour).
#include <gtest/gtest.h>

#include <thread>

#include "app_fixture.h"
#include "smtp_sink.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class Alerts : public AppFixture {
 protected:
  // A test's injected clock: a member, so that it outlives the app (torn down after the body).
  ManualClock clock_{0};
  void start_app(const json::object& cfg, const std::string& dir = {},
                 const Clock* clock = nullptr) {
    data_dir_ = dir.empty() ? temp_dir("alerts") : dir;
    api::AppOptions o;
    o.config_text = json::serialize(cfg);
    o.data_dir = data_dir_;
    o.port = 0;
    o.threads = 2;
    o.extra_ca_file = cert_dir() + "/ca.pem";
    o.clock = clock;
    o.alert_interval = std::chrono::hours(1);
    std::vector<std::string> errors;
    app_ = api::App::create(o, errors);
    ASSERT_TRUE(app_) << (errors.empty() ? "?" : errors[0]);
    app_->start();
  }
  std::string lead(const std::string& state) {
    return R"({"lp_subid2":")" + std::to_string(++seq_) +
           R"(","lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200",)"
           R"("first_name":"Ann","email":"ann@example.org","phone":"(410) 309-7989",)"
           R"("state":")" +
           state + R"(","zip_code":"01341"})";
  }
  int seq_ = 0;
  json::object alerts(const std::string& query = "") {
    return parse_object(admin_get("/admin/alerts" + query).body);
  }
  std::vector<std::string> hook_types(const FakeBuyer& receiver) {
    std::vector<std::string> t;
    for (const Received& r : receiver.received())
      t.emplace_back(parse_object(r.body)["type"].as_string());
    return t;
  }
};

TEST_F(Alerts, AnErrorRateFiresOnceResolvesAndKeepsItsCooldown) {
  const std::string dir = temp_dir("smtp");
  SmtpSink sink(dir, "", "");
  ASSERT_TRUE(sink.running());
  FakeBuyer buyer, receiver;
  // The buyer fails every NJ lead (500) and buys the rest.
  buyer.on("/post", [](const Received& r) {
    return r.body.find("\"NJ\"") != std::string::npos ? FakeReply{500, "down"}
                                                      : FakeReply::json(R"({"status":"accepted"})");
  });
  receiver.on("/hook", FakeReply::json("{}"));
  json::object cfg = base_config({http_buyer(300, 2, buyer.url("/post"), 1)});
  cfg["outbound"].as_object()["breaker_failures"] = 0;
  cfg["webhooks"] = json::parse(R"([{"id": 9, "url": ")" + receiver.url("/hook") +
                                R"(", "events": ["alert.fired", "alert.resolved"]}])");
  cfg["email"] = json::object{{"smtp_host", "127.0.0.1"},
                              {"smtp_port", sink.port()},
                              {"tls", "starttls"},
                              {"from", "alerts@pingpost.example"},
                              {"ca_file", cert_dir() + "/ca.pem"}};
  cfg["alerts"] = json::parse(
      R"([{"id": 1, "name": "Campaign 100 errors", "metric": "error_rate", "campaign_id": 100,
           "window_minutes": 15, "op": ">", "threshold": 50, "min_sample": 4,
           "cooldown_minutes": 60, "email": ["ops@example.org"]}])");
  const std::string data = temp_dir("alerts");
  start_app(cfg, data);

  for (int i = 0; i < 3; ++i) ASSERT_EQ(post_lead(lead("NJ")).status, 200);
  EXPECT_EQ(app_->alerts().evaluate(), 0u) << "three leads: under the minimum sample";
  ASSERT_EQ(post_lead(lead("NJ")).status, 200);
  EXPECT_EQ(app_->alerts().evaluate(), 1u);
  EXPECT_EQ(app_->alerts().evaluate(), 0u) << "still firing: nothing new";
  ASSERT_TRUE(
      eventually([&] { return receiver.count("/hook") == 1 && sink.messages().size() == 1; }));
  json::object fired = parse_object(receiver.received()[0].body);
  EXPECT_EQ(fired["type"], "alert.fired");
  json::object d = fired["data"].as_object();
  EXPECT_EQ(d["rule_id"], 1);
  EXPECT_EQ(d["value"], 100);
  EXPECT_EQ(d["sample"], 4);
  EXPECT_EQ(d["threshold"], 50);
  json::object mail = sink.messages()[0];
  EXPECT_EQ(mail["subject"], "[pingpost] FIRING: Campaign 100 errors");
  EXPECT_NE(std::string(mail["body"].as_string()).find("error_rate of campaign 100 is 100"),
            std::string::npos)
      << mail["body"];
  json::object now = alerts();
  EXPECT_EQ(now["rules"].as_array()[0].as_object()["state"], "firing");
  ASSERT_EQ(now["data"].as_array().size(), 1u);
  EXPECT_EQ(now["data"].as_array()[0].as_object()["state"], "fired");

  // Five good leads: 4 of 9 failed, under 50%: resolved.
  for (int i = 0; i < 5; ++i) ASSERT_EQ(post_lead(lead("NY")).status, 200);
  EXPECT_EQ(app_->alerts().evaluate(), 1u);
  ASSERT_TRUE(
      eventually([&] { return receiver.count("/hook") == 2 && sink.messages().size() == 2; }));
  EXPECT_EQ(hook_types(receiver).back(), "alert.resolved");
  EXPECT_EQ(sink.messages()[1]["subject"], "[pingpost] resolved: Campaign 100 errors");

  // Failing again within the cooldown (60 minutes): no new firing.
  for (int i = 0; i < 10; ++i) ASSERT_EQ(post_lead(lead("NJ")).status, 200);
  EXPECT_EQ(app_->alerts().evaluate(), 0u);
  EXPECT_EQ(alerts()["rules"].as_array()[0].as_object()["state"], "ok");
  // ... and after a restart (the cooldown is read back from the history).
  app_.reset();
  start_app(cfg, data);
  for (int i = 0; i < 6; ++i) ASSERT_EQ(post_lead(lead("NJ")).status, 200);
  EXPECT_EQ(app_->alerts().evaluate(), 0u);
  json::object after = alerts();
  EXPECT_EQ(after["data"].as_array().size(), 2u);
  EXPECT_EQ(alerts("?rule_id=2")["data"].as_array().size(), 0u);
  EXPECT_EQ(admin_get("/admin/alerts?rule_id=x").status, 400);
  EXPECT_EQ(receiver.count("/hook"), 2u);
  std::filesystem::remove_all(dir);
}

TEST_F(Alerts, BuyerTimeoutsLatencyAndSilenceOnAnInjectedClock) {
  FakeBuyer buyer;
  FakeReply slow = FakeReply::json(R"({"status":"accepted"})");
  slow.delay = 800ms;
  buyer.on("/post", slow);
  json::object cfg = base_config({http_buyer(300, 2, buyer.url("/post"), 1, "10", 150)});
  cfg["outbound"].as_object()["breaker_failures"] = 0;
  cfg["alerts"] = json::parse(
      R"([{"id": 1, "metric": "buyer_timeout_rate", "buyer_id": 300, "threshold": 50,
           "min_sample": 2, "cooldown_minutes": 0},
          {"id": 2, "metric": "buyer_p99_ms", "buyer_id": 300, "threshold": 100, "min_sample": 2},
          {"id": 3, "metric": "no_leads_minutes", "campaign_id": 100, "threshold": 30},
          {"id": 4, "metric": "acceptance_rate", "supplier_id": 200, "op": "<",
           "threshold": 90, "min_sample": 2}])");
  ManualClock& clock = clock_;
  clock.set(SystemClock::instance().now_ms());
  start_app(cfg, {}, &clock);
  for (int i = 0; i < 2; ++i) ASSERT_EQ(post_lead(lead("NY")).status, 200);
  EXPECT_EQ(app_->alerts().evaluate(), 3u);  // timeouts, p99, acceptance (0% sold)
  json::object a = alerts();
  std::map<int64_t, std::string> state;
  for (const auto& r : a["rules"].as_array())
    state[r.as_object().at("rule_id").as_int64()] = r.as_object().at("state").as_string();
  EXPECT_EQ(state[1], "firing");
  EXPECT_EQ(state[2], "firing");
  EXPECT_EQ(state[3], "ok");
  EXPECT_EQ(state[4], "firing");
  // Thirty-one quiet minutes: no leads. (The other windows are empty now: they stay as they are.)
  clock.advance_ms(31 * 60'000);
  EXPECT_EQ(app_->alerts().evaluate(), 1u);
  // A lead: the silence resolves.
  buyer.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  ASSERT_EQ(post_lead(lead("NY")).status, 200);
  EXPECT_EQ(app_->alerts().evaluate(), 1u);
  json::object hist = alerts("?rule_id=3");
  ASSERT_EQ(hist["data"].as_array().size(), 2u);
  EXPECT_EQ(hist["data"].as_array()[0].as_object()["state"], "resolved");
  EXPECT_EQ(hist["data"].as_array()[1].as_object()["state"], "fired");
}

}  // namespace
}  // namespace pp::testkit
