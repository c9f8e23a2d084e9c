// Issue 13: storage tells "not found" from an I/O error. With reads failing (as a bad disk
// would), every route that reads a lead answers 500 with code 1011 — never "Lead not found" —
// and a return changes nothing; with reads working again, the same calls succeed, and a lead that
// really is absent is still a 404.
#include <gtest/gtest.h>

#include "app_fixture.h"
#include "faulty_store.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;

class StorageErrors : public AppFixture {};

TEST_F(StorageErrors, FailedReadsAreErrorsNotMissingLeads) {
  FakeBuyer buyer;
  buyer.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  FaultyStore* faulty = nullptr;
  start(base_config({http_buyer(300, 2, buyer.url("/post"), 1)}), {}, nullptr,
        [&](std::unique_ptr<storage::Store> inner) -> std::unique_ptr<storage::Store> {
          auto f = std::make_unique<FaultyStore>(std::move(inner));
          faulty = f.get();
          return f;
        });
  ASSERT_TRUE(faulty);
  std::string id(parse_object(post_lead(lead_json()).body)["lead_id"].as_string());
  const std::string absent = "AAAAAAAAAAAAAAAAAAAA";
  auto call = [&](const std::string& method, const std::string& target,
                  const std::string& body = "") {
    return http_call(
        app_->port(), method, target, body,
        {{"Authorization", "Bearer test-admin-token"}, {"Content-Type", "application/json"}});
  };
  const std::string debug_body = R"({"lead_ids":[")" + id + R"("]})";
  const std::string return_body = R"({"lead_id":")" + id + R"(","reason":"bad"})";
  const std::string search = "/public/leads?campaign=100&start_date=2020-01-01&end_date=2040-01-01";

  faulty->fail_reads = true;
  for (auto [method, target, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"GET", "/public/lead/" + id, ""},
           {"GET", "/admin/leads/" + id, ""},
           {"POST", "/public/leads/debug", debug_body},
           {"POST", "/public/lead/return", return_body},
           {"GET", "/public/lead/" + absent, ""}}) {
    HttpReply r = call(method, target, body);
    EXPECT_EQ(r.status, 500) << method << " " << target << ": " << r.body;
    EXPECT_EQ(parse_object(r.body)["code"], 1011) << target;
    EXPECT_EQ(r.body.find("not found"), std::string::npos) << target;
  }
  EXPECT_EQ(call("GET", search).status, 500);  // the search cannot read the leads it lists

  faulty->fail_reads = false;
  EXPECT_EQ(call("GET", "/public/lead/" + id).status, 200);
  EXPECT_EQ(call("GET", "/public/lead/" + absent).status, 404);
  EXPECT_EQ(call("GET", "/admin/leads/" + absent).status, 404);
  EXPECT_EQ(call("GET", search).status, 200);
  // The failed return changed nothing: it can be made now.
  HttpReply ret = call("POST", "/public/lead/return", return_body);
  EXPECT_EQ(ret.status, 200) << ret.body;
}

// A cap counter that cannot be read is not taken for zero: the lead is refused rather than risk
// overshooting the cap (invariant 2). Once storage reads again, the counter is read and used.
TEST_F(StorageErrors, UnreadableCapCountersRefuseInsteadOfOvershooting) {
  FakeBuyer buyer;
  buyer.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  auto cfg = base_config({http_buyer(300, 2, buyer.url("/post"), 1)});
  campaign_cfg(cfg)["suppliers"].as_array()[0].as_object()["caps"] =
      json::parse(R"({"leads": [{"type": "day", "limit": 1}]})");
  FaultyStore* faulty = nullptr;
  start(cfg, {}, nullptr,
        [&](std::unique_ptr<storage::Store> inner) -> std::unique_ptr<storage::Store> {
          auto f = std::make_unique<FaultyStore>(std::move(inner));
          faulty = f.get();
          return f;
        });
  faulty->fail_reads = true;
  json::object a = parse_object(post_lead(lead_json()).body);
  EXPECT_EQ(a["code"], 1009);
  EXPECT_EQ(a["message"], "Supplier cap reached: unknown (storage error)");
  EXPECT_EQ(buyer.count("/post"), 0u);
  faulty->fail_reads = false;
  EXPECT_EQ(parse_object(post_lead(lead_json("B")).body)["status"], "ACCEPTED");
  EXPECT_EQ(parse_object(post_lead(lead_json("C")).body)["code"], 1009);  // the cap of 1 holds
}

}  // namespace
}  // namespace pp::testkit
