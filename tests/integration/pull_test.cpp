// The buyer pull API (issue 19, I3; seed 003's shape) through the real server: a lead_store
// buyer's own leads with its own key, oldest first, only the fields it may see; cursors that
// lose and repeat nothing while leads are stored concurrently (four pullers, two inserters);
// other buyers' keys, tokens and bad cursors refused; 429 with Retry-After over its rate.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "app_fixture.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;

class Pull : public AppFixture {
 protected:
  void SetUp() override {
    json::object cfg = base_config(json::parse(R"([
      {"id": 310, "client_id": 2, "type": "lead_store", "price": {"type": "static", "amount": "7.5"},
       "pull": {"key": "buyer-pull-key-310", "fields": ["first_name", "phone", "state"],
                "rate_per_minute": 60000}}])")
                                       .as_array());
    cfg["campaigns"].as_array().push_back(json::parse(R"({
      "id": 101, "name": "Other", "type": "direct_post",
      "fields": [{"name": "email", "type": "email", "required": true}],
      "suppliers": [{"id": 210, "client_id": 1, "lp_key": "supplier-key-210"}],
      "buyers": [{"id": 311, "client_id": 3, "type": "lead_store",
                  "pull": {"key": "buyer-pull-key-311", "rate_per_minute": 2}}]})"));
    cfg_ = cfg;
    start(cfg);
  }
  json::object cfg_;
  HttpReply pull(const std::string& query, const std::string& key = "buyer-pull-key-310") {
    return http_call(app_->port(), "GET", "/v1/leads" + query, "",
                     {{"Authorization", "Bearer " + key}});
  }
  std::string lead(int i) {
    return R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200",)"
           R"("first_name":"P)" +
           std::to_string(i) + R"(","email":"p)" + std::to_string(i) +
           R"(@example.org","phone":"(410) 309-)" + std::to_string(1000 + i % 9000) +
           R"(","state":"NY","lp_subid1":")" + std::to_string(i) + R"("})";
  }
};

TEST_F(Pull, OldestFirstPagesWithOnlyTheFieldsTheBuyerSees) {
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    HttpReply r = post_lead(lead(i));
    ASSERT_EQ(r.status, 200) << r.body;
    json::object a = parse_object(r.body);
    ASSERT_EQ(a["status"], "ACCEPTED") << r.body;
    ids.emplace_back(a["lead_id"].as_string());
  }
  HttpReply r = pull("?limit=4");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object page = parse_object(r.body);
  EXPECT_EQ(page["status"], "success");
  EXPECT_EQ(page["total"], 10);
  EXPECT_EQ(page["count"], 4);
  const auto& leads = page["leads"].as_array();
  ASSERT_EQ(leads.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const json::object& l = leads[i].as_object();
    EXPECT_EQ(l.at("id").as_string(), ids[i]);
    EXPECT_EQ(l.at("first_name").as_string(), "P" + std::to_string(i));
    EXPECT_EQ(l.at("price"), 7.5);
    EXPECT_EQ(l.at("campaign_id"), 100);
    EXPECT_TRUE(l.contains("phone"));
    EXPECT_FALSE(l.contains("email")) << "not in the buyer's pull.fields";
    EXPECT_FALSE(l.contains("lp_subid1"));
  }
  std::string cursor(page["next_cursor"].as_string());
  page = parse_object(pull("?limit=4&cursor=" + cursor).body);
  EXPECT_EQ(page["count"], 4);
  EXPECT_EQ(page["leads"].as_array()[0].at("id").as_string(), ids[4]);
  cursor = std::string(page["next_cursor"].as_string());
  page = parse_object(pull("?cursor=" + cursor).body);
  EXPECT_EQ(page["count"], 2);
  cursor = std::string(page["next_cursor"].as_string());
  // Nothing new: the same cursor back, to poll with.
  page = parse_object(pull("?cursor=" + cursor).body);
  EXPECT_EQ(page["count"], 0);
  EXPECT_EQ(page["next_cursor"].as_string(), cursor);
  ASSERT_EQ(post_lead(lead(10)).status, 200);
  page = parse_object(pull("?cursor=" + cursor).body);
  ASSERT_EQ(page["count"], 1);
  EXPECT_EQ(page["leads"].as_array()[0].at("first_name").as_string(), "P10");
}

TEST_F(Pull, PositionsKeepGrowingAfterARestart) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(post_lead(lead(i)).status, 200);
  json::object page = parse_object(pull("").body);
  ASSERT_EQ(page["count"], 3);
  const std::string cursor(page["next_cursor"].as_string());
  const std::string dir = data_dir_;
  app_->shutdown();
  app_.reset();
  start(cfg_, dir);  // (the stored configuration wins anyway)
  for (int i = 3; i < 5; ++i) ASSERT_EQ(post_lead(lead(i)).status, 200);
  page = parse_object(pull("?cursor=" + cursor).body);
  ASSERT_EQ(page["count"], 2) << json::serialize(page);
  EXPECT_EQ(page["leads"].as_array()[0].at("first_name").as_string(), "P3");
  EXPECT_EQ(page["total"], 5);
}

TEST_F(Pull, KeysScopeAndRates) {
  ASSERT_EQ(post_lead(lead(1)).status, 200);
  EXPECT_EQ(pull("", "not-a-key").status, 401);
  EXPECT_EQ(pull("", "test-admin-token").status, 401);  // API tokens are not buyer keys
  EXPECT_EQ(http_call(app_->port(), "GET", "/v1/leads").status, 401);
  HttpReply bad = pull("?cursor=abc");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(parse_object(bad.body)["error_code"], "invalid_params");
  EXPECT_EQ(pull("?limit=5001").status, 400);
  EXPECT_EQ(pull("", "buyer-pull-key-310").status, 200);
  // Buyer 311 (another campaign) sees none of buyer 310's leads; 2 a minute, then 429.
  json::object other = parse_object(pull("", "buyer-pull-key-311").body);
  EXPECT_EQ(other["total"], 0);
  EXPECT_EQ(other["leads"].as_array().size(), 0u);
  EXPECT_EQ(pull("", "buyer-pull-key-311").status, 200);
  HttpReply limited = pull("", "buyer-pull-key-311");
  EXPECT_EQ(limited.status, 429);
  bool retry_after = false;
  for (const auto& [k, v] : limited.headers) retry_after = retry_after || k == "Retry-After";
  EXPECT_TRUE(retry_after);
  // The key is stored hashed: neither the served configuration nor its change log holds it.
  HttpReply doc = admin_get("/admin/config");
  ASSERT_EQ(doc.status, 200);
  EXPECT_EQ(doc.body.find("buyer-pull-key-310"), std::string::npos);
  EXPECT_NE(doc.body.find("key_sha256"), std::string::npos);
}

TEST_F(Pull, FourPullersWhileLeadsArriveLoseAndRepeatNothing) {
  constexpr int kLeads = 160;
  std::atomic<bool> inserting{true};
  std::atomic<int> stored{0};
  std::vector<std::thread> inserters;
  for (int t = 0; t < 2; ++t)
    inserters.emplace_back([&, t] {
      for (int i = t; i < kLeads; i += 2) {
        HttpReply r = post_lead(lead(100 + i));
        if (r.status == 200 && parse_object(r.body)["status"] == "ACCEPTED") ++stored;
      }
    });
  std::vector<std::vector<std::string>> seen(4);
  std::vector<std::thread> pullers;
  for (int p = 0; p < 4; ++p)
    pullers.emplace_back([&, p] {
      std::string cursor;
      for (int rounds = 0; rounds < 10000; ++rounds) {
        const bool last_round = !inserting.load();
        HttpReply r = pull("?limit=" + std::to_string(3 + p) +
                           (cursor.empty() ? std::string() : "&cursor=" + cursor));
        json::object page = parse_object(r.body);
        if (r.status != 200) continue;
        for (const auto& l : page["leads"].as_array())
          seen[size_t(p)].emplace_back(l.at("id").as_string());
        cursor = std::string(page["next_cursor"].as_string());
        if (last_round && page["count"] == 0) break;
      }
    });
  for (auto& t : inserters) t.join();
  inserting = false;
  for (auto& t : pullers) t.join();
  ASSERT_EQ(stored.load(), kLeads);
  for (const auto& ids : seen) {
    std::set<std::string> unique(ids.begin(), ids.end());
    EXPECT_EQ(unique.size(), ids.size()) << "a lead repeated";
    EXPECT_EQ(ids.size(), size_t(kLeads)) << "a lead lost";
    EXPECT_EQ(ids, seen[0]) << "every puller sees the same order";
  }
}

}  // namespace
}  // namespace pp::testkit
