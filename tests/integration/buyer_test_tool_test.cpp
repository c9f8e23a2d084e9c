// The buyer test tool (issue 14, C7): a saved or unsaved buyer's ping and post rendered as a real
// lead's would be, sent (or not: dry run), read by the buyer's mapping; nothing stored, counted or
// held.
#include <gtest/gtest.h>

#include "app_fixture.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;

class BuyerTestTool : public AppFixture {
 protected:
  HttpReply test(const std::string& target, const std::string& body,
                 const std::string& token = "test-admin-token") {
    return http_call(app_->port(), "POST", target, body,
                     {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
  }
  std::string version() {
    for (const auto& [k, v] : admin_get("/admin/config").headers)
      if (k == "ETag" || k == "etag") return v;
    return {};
  }
};

TEST_F(BuyerTestTool, SavedPingPostBuyerLiveThenDryRun) {
  FakeBuyer fb;
  FakeReply bid_reply = bid("12.5", "ref-77");
  bid_reply.headers.emplace_back("Set-Cookie", "sess=abc; Path=/");
  fb.on("/ping", bid_reply);
  fb.on("/post", FakeReply::json(R"({"status":"accepted","lead_id":"B-9"})"));
  auto cfg = base_config({ping_buyer(301, fb, 1)});
  make_exchange(campaign_cfg(cfg));
  campaign_cfg(cfg)["buyers"].as_array()[0].as_object()["post_response"].as_object()["lead_id"] =
      "lead_id";
  campaign_cfg(cfg)["buyers"].as_array()[0].as_object()["caps"] =
      json::parse(R"({"leads": [{"type": "day", "limit": 5}]})");
  start(cfg);
  const std::string before = version();

  HttpReply r = test("/admin/campaigns/100/buyers/301/test",
                     R"({"lead": {"state": "CA", "first_name": "Probe"}})");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object t = parse_object(r.body);
  EXPECT_EQ(t["dry_run"], false);
  EXPECT_EQ(t["saved"], true);
  EXPECT_EQ(t["lead"].as_object()["state"], "CA");
  EXPECT_EQ(t["lead"].as_object()["email"], "jane.doe@example.com");  // an example value
  json::object& ping = t["ping"].as_object();
  EXPECT_EQ(ping["request"].as_object()["url"], json::value(fb.url("/ping")));
  EXPECT_NE(ping["request"].as_object()["body"].as_string().find("\"CA\""), std::string::npos);
  EXPECT_EQ(ping["response"].as_object()["status"], 200);
  EXPECT_EQ(ping["outcome"].as_object()["result"], "accepted");
  EXPECT_EQ(ping["outcome"].as_object()["price"], 12.5);
  json::object& post = t["post"].as_object();
  // The post carries the ping's answer and cookie, as a real sale would.
  EXPECT_NE(post["request"].as_object()["body"].as_string().find("ref-77"), std::string::npos);
  EXPECT_EQ(post["request"].as_object()["headers"].as_object()["Cookie"], "sess=abc");
  EXPECT_EQ(post["outcome"].as_object()["result"], "accepted");
  EXPECT_EQ(post["outcome"].as_object()["buyer_lead_id"], "B-9");
  EXPECT_EQ(fb.count("/ping"), 1u);
  EXPECT_EQ(fb.count("/post"), 1u);

  // Dry run: rendered, not sent.
  HttpReply d = test("/admin/campaigns/100/buyers/301/test", R"({"dry_run": true})");
  ASSERT_EQ(d.status, 200) << d.body;
  json::object dt = parse_object(d.body);
  EXPECT_TRUE(dt["ping"].as_object()["response"].is_null());
  EXPECT_TRUE(dt["post"].as_object()["response"].is_null());
  EXPECT_EQ(fb.count("/ping"), 1u);

  // Nothing stored, counted or held; the configuration did not change.
  const UnixMs now = SystemClock::instance().now_ms();
  const std::string day = format_local_date(TimeZone::utc(), now);
  json::object leads = parse_object(
      admin_get("/public/leads?campaign=100&timezone=UTC&start_date=" + day + "&end_date=" + day)
          .body);
  EXPECT_EQ(leads["leads"].as_array().size(), 0u);
  json::object view = parse_object(admin_get("/public/campaigns/100").body);
  EXPECT_EQ(view["buyers"]
                .as_array()[0]
                .as_object()["caps"]
                .as_object()["leads"]
                .as_array()[0]
                .as_object()["used"],
            "0");
  EXPECT_EQ(app_->engine().held().cap_reserved, 0);
  EXPECT_EQ(version(), before);
}

TEST_F(BuyerTestTool, PingNotAcceptedIsNotPostedAndBadSampleLeadsAreRefused) {
  FakeBuyer fb;
  fb.on("/ping", FakeReply::json(R"({"status":"rejected"})"));
  auto cfg = base_config({ping_buyer(301, fb, 1)});
  make_exchange(campaign_cfg(cfg));
  start(cfg);
  HttpReply r = test("/admin/campaigns/100/buyers/301/test", "{}");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object t = parse_object(r.body);
  EXPECT_EQ(t["ping"].as_object()["outcome"].as_object()["result"], "rejected");
  EXPECT_TRUE(t["post"].is_null());
  EXPECT_NE(t["note"].as_string().find("not posted"), std::string::npos);
  EXPECT_EQ(fb.count("/post"), 0u);

  HttpReply bad = test("/admin/campaigns/100/buyers/301/test", R"({"lead": {"email": "nope"}})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(parse_object(bad.body)["details"].as_object().contains("lead.email")) << bad.body;
  EXPECT_EQ(test("/admin/campaigns/100/buyers/999/test", "{}").status, 404);
  EXPECT_EQ(test("/admin/campaigns/999/buyers/301/test", "{}").status, 404);
  EXPECT_EQ(test("/admin/campaigns/100/buyers/301/test", "{}", "test-read-token").status, 403);
}

TEST_F(BuyerTestTool, UnsavedBuyerIsValidatedAndTestedWithoutBeingSaved) {
  FakeBuyer fb;
  fb.on("/post", FakeReply::json(R"({"status":"accepted","price":"7"})"));
  start(base_config({}));
  const std::string before = version();
  json::object b = http_buyer(0, 2, fb.url("/post"), 1);
  b.erase("id");
  b["post"].as_object()["url"] = "ftp://wrong";
  json::object body;
  body["buyer"] = b;
  HttpReply bad = test("/admin/campaigns/100/buyers/test", json::serialize(body));
  ASSERT_EQ(bad.status, 400) << bad.body;
  EXPECT_TRUE(parse_object(bad.body)["details"].as_object().contains("$.post.url")) << bad.body;

  body["buyer"].as_object()["post"].as_object()["url"] = fb.url("/post");
  HttpReply ok = test("/admin/campaigns/100/buyers/test", json::serialize(body));
  ASSERT_EQ(ok.status, 200) << ok.body;
  json::object t = parse_object(ok.body);
  EXPECT_EQ(t["saved"], false);
  EXPECT_TRUE(t["ping"].is_null());
  EXPECT_EQ(t["post"].as_object()["outcome"].as_object()["result"], "accepted");
  EXPECT_EQ(fb.count("/post"), 1u);
  EXPECT_EQ(json::parse(admin_get("/admin/campaigns/100/buyers").body).as_array().size(), 0u);
  EXPECT_EQ(version(), before);
}

}  // namespace
}  // namespace pp::testkit
