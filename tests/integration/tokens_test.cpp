// Scoped API keys (issue 14): tokens made through /admin/tokens (answered once, stored hashed),
// roles admin / editor / read, expiry, revocation at once, last use, and tokens limited to some
// campaigns, which see and change nothing else (object-level checks).
#include <gtest/gtest.h>

#include "app_fixture.h"
#include "core/hash.h"
#include "core/time.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;

class Tokens : public AppFixture {
 protected:
  HttpReply call(const std::string& method, const std::string& target, const std::string& token,
                 const std::string& body = {}) {
    return http_call(app_->port(), method, target, body,
                     {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
  }
  std::string make_token(const std::string& doc) {
    HttpReply r = call("POST", "/admin/tokens", "test-admin-token", doc);
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(parse_object(r.body)["token"].as_string());
  }
};

// Two campaigns: 100 (the base one) and 101, each with a lead.
json::object two_campaigns(const std::string& buyer_url) {
  json::object cfg = base_config({http_buyer(301, 2, buyer_url, 1)});
  json::object second = cfg["campaigns"].as_array()[0].as_object();
  second["id"] = 101;
  second["name"] = "Other";
  second["suppliers"] =
      json::parse(R"([{"id": 210, "client_id": 1, "lp_key": "supplier-key-210"}])");
  second["buyers"] = json::array{http_buyer(311, 2, buyer_url, 1)};
  cfg["campaigns"].as_array().push_back(second);
  return cfg;
}

TEST_F(Tokens, MadeOnceStoredHashedRolesExpiryRevocation) {
  FakeBuyer fb;
  fb.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  start(base_config({http_buyer(301, 2, fb.url("/post"), 1)}));
  const std::string editor = make_token(R"({"name": "ops", "role": "editor"})");
  ASSERT_EQ(editor.rfind("pp_", 0), 0u);
  // Stored hashed: the document has the hash, never the token; the list shows neither.
  const std::string doc = call("GET", "/admin/config", "test-admin-token").body;
  EXPECT_EQ(doc.find(editor), std::string::npos);
  EXPECT_NE(doc.find(sha256_hex(editor)), std::string::npos);
  HttpReply list = call("GET", "/admin/tokens", "test-admin-token");
  EXPECT_EQ(list.body.find(sha256_hex(editor)), std::string::npos);
  EXPECT_EQ(call("POST", "/admin/tokens", "test-admin-token", R"({"name": "ops"})").status, 409);
  EXPECT_EQ(
      call("POST", "/admin/tokens", "test-admin-token", R"({"name": "x", "token": "mine-mine"})")
          .status,
      400);

  // An editor changes campaigns, suppliers and buyers, pauses and returns; not the account.
  EXPECT_EQ(call("PATCH", "/admin/campaigns/100/buyers/301", editor, R"({"priority": 3})").status,
            200);
  EXPECT_EQ(call("GET", "/public/campaigns/100/pause_buyer/301", editor).status, 200);
  EXPECT_EQ(call("GET", "/public/campaigns/100/resume_buyer/301", editor).status, 200);
  EXPECT_EQ(call("POST", "/admin/tokens", editor, R"({"name": "mine"})").status, 403);
  EXPECT_EQ(call("GET", "/admin/tokens", editor).status, 403);
  EXPECT_EQ(call("POST", "/admin/clients", editor, R"({"company": "X"})").status, 403);
  EXPECT_EQ(call("POST", "/admin/config/rollback", editor, R"({"version": 1})").status, 403);
  EXPECT_EQ(call("PUT", "/admin/config", editor, doc).status, 403);
  // Its use is remembered.
  json::object ops = parse_object(call("GET", "/admin/tokens/ops", "test-admin-token").body);
  EXPECT_TRUE(ops["last_used_at"].is_string()) << json::serialize(ops);
  EXPECT_EQ(ops["role"], "editor");

  // Replaced and patched: the secret stays, the role changes.
  HttpReply put = call("PUT", "/admin/tokens/ops", "test-admin-token", R"({"role": "read"})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(parse_object(put.body)["role"], "read");
  EXPECT_EQ(call("PATCH", "/admin/campaigns/100/buyers/301", editor, R"({"priority": 4})").status,
            403);  // read now
  ASSERT_EQ(call("PATCH", "/admin/tokens/ops", "test-admin-token", R"({"role": "editor"})").status,
            200);
  EXPECT_EQ(call("PATCH", "/admin/campaigns/100/buyers/301", editor, R"({"priority": 4})").status,
            200);
  EXPECT_EQ(call("PATCH", "/admin/tokens/ops", "test-admin-token", R"({"name": "renamed"})").status,
            400);

  // Revoked: refused at once.
  ASSERT_EQ(call("DELETE", "/admin/tokens/ops", "test-admin-token").status, 200);
  EXPECT_EQ(call("GET", "/public/campaigns", editor).status, 401);
  EXPECT_EQ(call("GET", "/admin/tokens/ops", "test-admin-token").status, 404);

  // Expired: refused.
  const std::string old =
      make_token(R"({"name": "old", "role": "read", "expires_at": "2020-01-01T00:00:00Z"})");
  EXPECT_EQ(call("GET", "/public/campaigns", old).status, 401);
  const std::string later =
      make_token(R"({"name": "later", "role": "read", "expires_at": "2099-01-01"})");
  EXPECT_EQ(call("GET", "/public/campaigns", later).status, 200);
  EXPECT_EQ(call("PATCH", "/admin/campaigns/100", later, R"({"name": "no"})").status, 403);
  // Invalid documents are refused by path.
  HttpReply bad = call("POST", "/admin/tokens", "test-admin-token",
                       R"({"name": "bad", "role": "owner", "expires_at": "soon"})");
  ASSERT_EQ(bad.status, 400);
  json::object details = parse_object(bad.body)["details"].as_object();
  EXPECT_TRUE(details.contains("$.role")) << bad.body;
  EXPECT_TRUE(details.contains("$.expires_at")) << bad.body;
  HttpReply nowhere = call("POST", "/admin/tokens", "test-admin-token",
                           R"({"name": "nowhere", "campaigns": [999]})");
  ASSERT_EQ(nowhere.status, 400);
  EXPECT_TRUE(parse_object(nowhere.body)["details"].as_object().contains("$.campaigns[0]"))
      << nowhere.body;
}

TEST_F(Tokens, ALimitedTokenSeesAndChangesOnlyItsCampaigns) {
  FakeBuyer fb;
  fb.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  start(two_campaigns(fb.url("/post")));
  const std::string mine =
      std::string(parse_object(post_lead(lead_json("Mine")).body)["lead_id"].as_string());
  std::string other_body = lead_json("Other", "NY", 210);
  other_body.replace(other_body.find("\"lp_campaign_id\":100"), 20, "\"lp_campaign_id\":101");
  const std::string other =
      std::string(parse_object(post_lead(other_body).body)["lead_id"].as_string());
  ASSERT_EQ(other.size(), 20u);
  const std::string t = make_token(R"({"name": "c100", "role": "editor", "campaigns": [100]})");
  const UnixMs now = SystemClock::instance().now_ms();
  const std::string win = "start_date=" + format_local_date(TimeZone::utc(), now - 86400000) +
                          "&end_date=" + format_local_date(TimeZone::utc(), now + 86400000);

  json::array camps = json::parse(call("GET", "/public/campaigns", t).body).as_array();
  ASSERT_EQ(camps.size(), 1u);
  EXPECT_EQ(camps[0].as_object()["id"], 100);
  EXPECT_EQ(call("GET", "/public/campaigns/101", t).status, 404);
  EXPECT_EQ(call("GET", "/public/lead/" + mine, t).status, 200);
  EXPECT_EQ(call("GET", "/public/lead/" + other, t).status, 404);
  EXPECT_EQ(call("GET", "/admin/leads/" + other, t).status, 404);
  EXPECT_EQ(call("GET", "/admin/leads/" + other + "/timeline", t).status, 404);
  json::object dbg = parse_object(
      call("POST", "/public/leads/debug", t, R"({"lead_ids": [")" + other + R"("]})").body);
  EXPECT_EQ(dbg["leads"].as_array().size(), 0u);
  EXPECT_EQ(
      call("POST", "/public/lead/return", t, R"({"lead_id": ")" + other + R"(", "reason": "x"})")
          .status,
      404);
  EXPECT_EQ(
      call("GET", "/public/leads?campaign=101&start_date=2020-01-01&end_date=2030-01-01", t).status,
      404);
  EXPECT_EQ(
      call("GET", "/public/leads?campaign=100&start_date=2020-01-01&end_date=2030-01-01", t).status,
      200);
  EXPECT_EQ(call("GET", "/public/stats?start_date=2020-01-01&end_date=2030-01-01", t).status, 403);
  HttpReply stats = call("GET", "/public/stats?campaign=100&" + win, t);
  ASSERT_EQ(stats.status, 200) << stats.body;
  EXPECT_EQ(json::parse(stats.body).as_array().size(), 1u);
  EXPECT_EQ(call("GET", "/public/stats?campaign=100,101&" + win, t).status, 404);
  EXPECT_EQ(call("GET", "/public/stats/supplier?campaign=101&supplier=210&" + win, t).status, 404);
  // Accounting: its campaigns only — buyer 311's sale (campaign 101) is not in it.
  json::object mine_acc = parse_object(call("GET", "/public/accounting?" + win, t).body);
  json::object all_acc =
      parse_object(call("GET", "/public/accounting?" + win, "test-admin-token").body);
  ASSERT_TRUE(mine_acc["data"].is_array()) << json::serialize(mine_acc);
  auto total_due = [](json::object& a) {
    double d = 0;
    for (auto& c : a["data"].as_array())
      d += c.as_object()["due"].as_object()["total"].to_number<double>();
    return d;
  };
  EXPECT_DOUBLE_EQ(total_due(all_acc), 20.0);  // two sales at 10
  EXPECT_DOUBLE_EQ(total_due(mine_acc), 10.0);
  EXPECT_EQ(call("GET", "/metrics", t).status, 403);
  EXPECT_EQ(call("GET", "/public/campaigns/101/pause_buyer/311", t).status, 404);
  // /admin: its campaigns only; nothing of the account.
  json::array admin_camps = json::parse(call("GET", "/admin/campaigns", t).body).as_array();
  ASSERT_EQ(admin_camps.size(), 1u);
  EXPECT_EQ(call("GET", "/admin/campaigns/101", t).status, 404);
  EXPECT_EQ(call("PATCH", "/admin/campaigns/101/buyers/311", t, R"({"priority": 2})").status, 404);
  EXPECT_EQ(call("PATCH", "/admin/campaigns/100/buyers/301", t, R"({"priority": 2})").status, 200);
  EXPECT_EQ(call("POST", "/admin/campaigns", t, R"({"name": "new"})").status, 403);
  EXPECT_EQ(call("POST", "/admin/campaigns/101/buyers/311/test", t, R"({"dry_run": true})").status,
            404);
  for (const char* p : {"/admin/config", "/admin/changes", "/admin/clients", "/admin/tokens"})
    EXPECT_EQ(call("GET", p, t).status, 403) << p;
}

}  // namespace
}  // namespace pp::testkit
