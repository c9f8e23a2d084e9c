// Campaign rules end to end (issue 3): filters, schedules, duplicate checks, duplicate requests,
// caps under concurrency, distribution methods, pause/resume and the campaigns views.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "app_fixture.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

const char* kAccept = R"({"status":"accepted","id":"B-1"})";

class Rules : public AppFixture {
 protected:
  json::object post(const std::string& body) { return parse_object(post_lead(body).body); }
  std::optional<Lead> lead_of(const json::object& answer) {
    if (!answer.contains("lead_id") || !answer.at("lead_id").is_string()) return std::nullopt;
    return app_->engine().find_lead(std::string(answer.at("lead_id").as_string()));
  }
};

// ---- filters and schedules -------------------------------------------------------------------

TEST_F(Rules, CampaignAndSupplierFiltersStoreTheLeadWithTheirNames) {
  FakeBuyer b;
  b.on("/post", FakeReply::json(kAccept));
  auto cfg = base_config({http_buyer(301, 2, b.url("/post"), 1)});
  campaign_cfg(cfg)["filters"] =
      json::parse(R"([{"field":"state","op":"equals","values":["NY","NJ"]}])");
  campaign_cfg(cfg)["suppliers"].as_array()[0].as_object()["filters"] = json::parse(
      R"([{"action":"block","name":"test emails","field":"email","op":"contains","values":["@test."]}])");
  start(cfg);
  EXPECT_EQ(post(lead_json("Ann", "NY"))["status"], "ACCEPTED");
  json::object tx = post(lead_json("Ann", "TX"));
  EXPECT_EQ(tx["status"], "ERROR");
  EXPECT_EQ(tx["code"], 1007);
  EXPECT_EQ(tx["message"], "Lead not accepted due to filters: state");
  ASSERT_TRUE(lead_of(tx));
  std::string body = lead_json("Ann", "TX");
  size_t at = body.find("ann@example.org");
  body.replace(at, 15, "ann@test.org");
  EXPECT_EQ(post(body)["message"], "Lead not accepted due to filters: state, test emails");
  EXPECT_EQ(b.count("/post"), 1u);
}

TEST_F(Rules, BuyerFiltersSkipOnlyThatBuyer) {
  FakeBuyer b1, b2;
  b1.on("/post", FakeReply::json(kAccept));
  b2.on("/post", FakeReply::json(kAccept));
  json::object ca_only = http_buyer(301, 2, b1.url("/post"), 1);
  ca_only["filters"] = json::parse(R"([{"field":"state","op":"equals","values":["CA"]}])");
  start(base_config({ca_only, http_buyer(302, 3, b2.url("/post"), 2)}));
  auto lead = lead_of(post(lead_json("Ann", "NY")));
  ASSERT_TRUE(lead);
  EXPECT_EQ(lead->status, LeadStatus::kAccepted);
  ASSERT_EQ(lead->buyers.size(), 2u);
  EXPECT_EQ(lead->buyers[0].buyer_id, 302);
  EXPECT_EQ(lead->buyers[1].buyer_id, 301);
  EXPECT_EQ(lead->buyers[1].status, BuyerStatus::kSkipped);
  EXPECT_EQ(lead->buyers[1].error_message, "Filtered: state");
  auto dbg = app_->engine().find_debug(lead->id);
  ASSERT_TRUE(dbg);
  EXPECT_EQ(dbg->buyers[1].decision, "skipped: Filtered: state");
  EXPECT_EQ(b1.count("/post"), 0u);
}

TEST_F(Rules, ScheduleFiltersFollowTheInjectedClock) {
  FakeBuyer b;
  b.on("/post", FakeReply::json(kAccept));
  auto cfg = base_config({http_buyer(301, 2, b.url("/post"), 1)});
  campaign_cfg(cfg)["filters"] = json::parse(R"([{"name":"business hours","schedule":
      {"timezone":"America/New_York","days":["mon","tue","wed","thu","fri"],
       "hours":[{"from":"09:00","to":"17:00"}]}}])");
  ManualClock clock(1795366800000);  // Sunday 2026-11-22 12:00 EST
  start(cfg, {}, &clock);
  json::object sunday = post(lead_json());
  EXPECT_EQ(sunday["code"], 1007);
  EXPECT_EQ(sunday["message"], "Lead not accepted due to filters: business hours");
  clock.set(1795442400000 + 3600000);  // Monday 10:00 EST
  EXPECT_EQ(post(lead_json("Bo"))["status"], "ACCEPTED");
}

// ---- duplicate checks ------------------------------------------------------------------------

TEST_F(Rules, CampaignLevelDuplicatesAgainstSoldLeadsOnly) {
  FakeBuyer b;
  b.on("/post", [](const Received& r) {
    return FakeReply::json(r.body.find("Reject") != std::string::npos ? R"({"status":"no"})"
                                                                      : kAccept);
  });
  auto cfg = base_config({http_buyer(301, 2, b.url("/post"), 1)});
  campaign_cfg(cfg)["dupe_check"] =
      json::parse(R"({"fields":["phone","email"],"days":30,"match":"all"})");
  start(cfg);
  json::object first = post(lead_json("Ann", "NY", 200, "4105550100"));
  ASSERT_EQ(first["status"], "ACCEPTED");
  json::object again =
      post(lead_json("Ann B", "NY", 200, "410-555-0100"));  // normalises to the same
  EXPECT_EQ(again["status"], "DUPLICATED");
  EXPECT_EQ(again["code"], 1008);
  EXPECT_EQ(again["message"].as_string(),
            "Duplicate lead (" + std::string(first["lead_id"].as_string()) + ")");
  EXPECT_TRUE(lead_of(again));  // stored as DUPLICATED
  // A lead that did not sell leaves no key: the next identical one may sell.
  EXPECT_EQ(post(lead_json("Reject", "NY", 200, "4105550111"))["code"], 1006);
  EXPECT_EQ(post(lead_json("Cy", "NY", 200, "4105550111"))["status"], "ACCEPTED");
  // ALL matching: same phone, other email is not a duplicate.
  std::string other = lead_json("Di", "NY", 200, "4105550100");
  other.replace(other.find("ann@example.org"), 15, "di@example.org");
  EXPECT_EQ(post(other)["status"], "ACCEPTED");
  EXPECT_EQ(b.count("/post"), 4u);
}

TEST_F(Rules, BuyerLevelDuplicatesSkipOnlyBuyersThatBoughtIt) {
  FakeBuyer b1, b2;
  b1.on("/post", FakeReply::json(kAccept));
  b2.on("/post", FakeReply::json(kAccept));
  auto cfg =
      base_config({http_buyer(301, 2, b1.url("/post"), 1), http_buyer(302, 3, b2.url("/post"), 2)});
  campaign_cfg(cfg)["dupe_check"] = json::parse(R"({"fields":["phone"],"level":"buyer"})");
  start(cfg);
  EXPECT_EQ(lead_of(post(lead_json("Ann")))->buyers[0].buyer_id, 301);
  auto second = lead_of(post(lead_json("Ann again")));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, LeadStatus::kAccepted);
  EXPECT_EQ(second->buyers[0].buyer_id, 301);
  EXPECT_EQ(second->buyers[0].status, BuyerStatus::kDuplicated);
  EXPECT_EQ(second->buyers[1].buyer_id, 302);
  EXPECT_EQ(second->buyers[1].status, BuyerStatus::kAccepted);
  auto third = lead_of(post(lead_json("Ann thrice")));
  EXPECT_EQ(third->status, LeadStatus::kDuplicated);  // both buyers have it
  EXPECT_EQ(b1.count("/post"), 1u);
  EXPECT_EQ(b2.count("/post"), 1u);
}

// ---- duplicate requests (A7) -------------------------------------------------------------------

TEST_F(Rules, IdenticalPayloadAndIdempotencyKeyGetTheFirstAnswer) {
  FakeBuyer b;
  FakeReply slow = FakeReply::json(kAccept);
  slow.delay = milliseconds(300);
  b.on("/post", slow);
  start(base_config({http_buyer(301, 2, b.url("/post"), 1)}));
  const std::string body = lead_json();
  // Two identical requests at once: the second waits for the first and gets its answer.
  auto a1 = std::async(std::launch::async, [&] { return post_lead(body); });
  auto a2 = std::async(std::launch::async, [&] { return post_lead(body); });
  HttpReply r1 = a1.get(), r2 = a2.get();
  EXPECT_EQ(r1.body, r2.body);
  EXPECT_EQ(parse_object(r1.body)["status"], "ACCEPTED");
  EXPECT_EQ(post_lead(body).body, r1.body);  // and again, later
  EXPECT_EQ(b.count("/post"), 1u);
  EXPECT_EQ(app_->store().stats().leads_written, 1u);

  auto with_key = [&](const std::string& key, const std::string& bdy) {
    return http_call(app_->port(), "POST", "/direct_post", bdy,
                     {{"Content-Type", "application/json"}, {"Idempotency-Key", key}});
  };
  HttpReply k1 = with_key("order-77", lead_json("Key"));
  HttpReply k2 = with_key("order-77", lead_json("Key"));
  EXPECT_EQ(k1.status, 200);
  EXPECT_EQ(k1.body, k2.body);
  HttpReply conflict = with_key("order-77", lead_json("Other body"));
  EXPECT_EQ(conflict.status, 409);
  json::object c = parse_object(conflict.body);
  EXPECT_EQ(c["status"], "ERROR");
  EXPECT_EQ(c["code"], 1012);
  EXPECT_TRUE(c["lead_id"].is_null());
  EXPECT_EQ(b.count("/post"), 2u);
}

TEST_F(Rules, IdempotencyKeysSurviveARestart) {
  FakeBuyer b;
  b.on("/post", FakeReply::json(kAccept));
  auto cfg = base_config({http_buyer(301, 2, b.url("/post"), 1)});
  std::string dir = temp_dir("idem");
  start(cfg, dir);
  auto call = [&] {
    return http_call(app_->port(), "POST", "/direct_post", lead_json(),
                     {{"Content-Type", "application/json"}, {"Idempotency-Key", "k-1"}});
  };
  std::string first = call().body;
  app_->shutdown();
  app_.reset();
  start(cfg, dir);
  EXPECT_EQ(call().body, first);
  EXPECT_EQ(b.count("/post"), 1u);
}

// ---- caps --------------------------------------------------------------------------------------

TEST_F(Rules, SupplierAndBuyerCapsAndTheirViews) {
  FakeBuyer b1, b2;
  b1.on("/post", FakeReply::json(kAccept));
  b2.on("/post", FakeReply::json(kAccept));
  json::object capped = http_buyer(301, 2, b1.url("/post"), 1);
  capped["caps"] =
      json::parse(R"({"leads":[{"type":"day","limit":1},{"type":"total","limit":0}],"budget":[]})");
  auto cfg = base_config({capped, http_buyer(302, 3, b2.url("/post"), 2)});
  campaign_cfg(cfg)["suppliers"].as_array()[0].as_object()["caps"] = json::parse(
      R"({"leads":[{"type":"day","limit":2}],"budget":[{"type":"week","limit":"100"}]})");
  start(cfg);
  auto l1 = lead_of(post(lead_json("A", "NY", 200, "4105550101")));
  auto l2 = lead_of(post(lead_json("B", "NY", 200, "4105550102")));
  ASSERT_TRUE(l1 && l2);
  EXPECT_EQ(l1->buyers[0].buyer_id, 301);
  EXPECT_EQ(l2->buyers[0].buyer_id, 301);
  EXPECT_EQ(l2->buyers[0].status, BuyerStatus::kSkipped);
  EXPECT_EQ(l2->buyers[0].error_message, "Cap reached: day");
  EXPECT_EQ(l2->buyers[1].status, BuyerStatus::kAccepted);
  json::object third = post(lead_json("C", "NY", 200, "4105550103"));
  EXPECT_EQ(third["code"], 1009);
  EXPECT_EQ(third["message"], "Supplier cap reached: day");

  json::object c = parse_object(admin_get("/public/campaigns/100").body);
  const json::object& s = c["suppliers"].as_array()[0].as_object();
  EXPECT_EQ(
      json::serialize(s.at("caps")),
      R"({"leads":[{"limit":2,"used":"2","type":"day"}],"budget":[{"limit":100,"used":"8.5","type":"week"}]})");
  const json::array& buyers = c["buyers"].as_array();
  EXPECT_EQ(
      json::serialize(buyers[0].as_object().at("caps")),
      R"({"leads":[{"limit":1,"used":"1","type":"day"},{"limit":0,"used":"1","type":"total"}],"budget":[]})");
  EXPECT_EQ(json::serialize(buyers[1].as_object().at("caps")), "[]");
}

// 64 simultaneous posts against a cap of 10, and against one phone number; 20 rounds each.
TEST_F(Rules, ConcurrentLeadsNeverOvershootCapsOrSellADuplicateTwice) {
  FakeBuyer b;
  FakeReply slowish = FakeReply::json(kAccept);
  slowish.delay = milliseconds(20);  // keeps many leads in flight at once
  b.on("/post", slowish);
  for (int round = 0; round < 20; ++round) {
    for (bool phone_test : {false, true}) {
      json::object buyer = http_buyer(301, 2, b.url("/post"), 1);
      auto cfg = base_config({buyer});
      if (phone_test) {
        campaign_cfg(cfg)["dupe_check"] = json::parse(R"({"fields":["phone"],"days":30})");
      } else {
        campaign_cfg(cfg)["buyers"].as_array()[0].as_object()["caps"] =
            json::parse(R"({"leads":[{"type":"day","limit":10}]})");
      }
      start(cfg);
      std::vector<std::future<HttpReply>> calls;
      for (int i = 0; i < 64; ++i) {
        // Distinct payloads (the request guard must not fold them); one phone in the phone test.
        std::string phone = phone_test ? "4105550100" : "41055501" + std::to_string(10 + i);
        calls.push_back(std::async(std::launch::async, [this, i, phone] {
          return post_lead(lead_json("Lead" + std::to_string(i), "NY", 200, phone));
        }));
      }
      int accepted = 0, duplicated = 0, other = 0;
      for (auto& f : calls) {
        json::object a = parse_object(f.get().body);
        if (a["status"] == "ACCEPTED")
          ++accepted;
        else if (a["status"] == "DUPLICATED")
          ++duplicated;
        else
          ++other;
      }
      if (phone_test) {
        EXPECT_EQ(accepted, 1) << "round " << round;
        EXPECT_EQ(duplicated, 63) << "round " << round;
      } else {
        EXPECT_EQ(accepted, 10) << "round " << round;
        EXPECT_EQ(other, 54) << "round " << round;
      }
      EXPECT_EQ(app_->store().stats().leads_written, 64u);
      app_.reset();
      std::filesystem::remove_all(data_dir_);
      data_dir_.clear();
    }
  }
}

// ---- distribution ------------------------------------------------------------------------------

TEST_F(Rules, SendToAllSellsUpToTheSellLimit) {
  FakeBuyer b1, b2, b3;
  for (auto* b : {&b1, &b2, &b3}) b->on("/post", FakeReply::json(kAccept));
  auto cfg = base_config({http_buyer(301, 2, b1.url("/post"), 1, "10"),
                          http_buyer(302, 3, b2.url("/post"), 2, "7.5"),
                          http_buyer(303, 4, b3.url("/post"), 3, "5")});
  campaign_cfg(cfg)["distribution"] = json::parse(R"({"method":"send_to_all","sell_limit":2})");
  start(cfg);
  json::object a = post(lead_json());
  EXPECT_EQ(a["status"], "ACCEPTED");
  auto lead = lead_of(a);
  ASSERT_TRUE(lead);
  EXPECT_EQ(lead->revenue, Money::parse("17.5").value());
  EXPECT_EQ(b1.count("/post") + b2.count("/post") + b3.count("/post"), 2u);
  json::object view = parse_object(get_lead(lead->id).body);
  EXPECT_EQ(view["buyers"].as_array().size(), 2u);
}

TEST_F(Rules, RoundRobinRotatesTheFirstBuyer) {
  FakeBuyer b;
  b.on("/post", FakeReply::json(kAccept));
  auto cfg =
      base_config({http_buyer(301, 2, b.url("/post"), 1), http_buyer(302, 3, b.url("/post"), 2),
                   http_buyer(303, 4, b.url("/post"), 3)});
  campaign_cfg(cfg)["distribution"] = "round_robin";
  start(cfg);
  std::vector<BuyerId> firsts;
  for (int i = 0; i < 6; ++i) {
    auto l = lead_of(post(lead_json("N" + std::to_string(i))));
    ASSERT_TRUE(l);
    firsts.push_back(l->buyers[0].buyer_id);
  }
  EXPECT_EQ(firsts, (std::vector<BuyerId>{301, 302, 303, 301, 302, 303}));
}

TEST_F(Rules, BuyerGroupsStopOrContinueAndTheTotalLimit) {
  FakeBuyer b;
  b.on("/post", FakeReply::json(kAccept));
  json::object x1 = http_buyer(301, 2, b.url("/post"), 1, "20"),
               x2 = http_buyer(302, 3, b.url("/post"), 2, "30");
  json::object s1 = http_buyer(303, 4, b.url("/post"), 3, "5"),
               s2 = http_buyer(304, 4, b.url("/post"), 4, "6");
  x1["group_id"] = 1;
  x2["group_id"] = 1;
  s1["group_id"] = 2;
  s2["group_id"] = 2;
  auto cfg = base_config({x1, x2, s1, s2});
  campaign_cfg(cfg)["distribution"] = json::parse(R"({"method":"buyer_groups","groups":[
      {"id":1,"name":"exclusive","position":1,"method":"highest_bidder","if_sold":"continue"},
      {"id":2,"name":"shared","position":2,"method":"send_to_all","limit":0}]})");
  start(cfg);
  auto lead = lead_of(post(lead_json("G1")));
  ASSERT_TRUE(lead);
  std::vector<BuyerId> sold;
  for (const auto& o : lead->buyers) {
    if (o.status == BuyerStatus::kAccepted) sold.push_back(o.buyer_id);
  }
  EXPECT_EQ(sold, (std::vector<BuyerId>{302, 303, 304}));  // best of group 1, then all of group 2
  EXPECT_EQ(lead->revenue, Money::from_whole(41));

  // With "stop" and a campaign-wide limit of 2.
  app_.reset();
  std::filesystem::remove_all(data_dir_);
  campaign_cfg(cfg)["distribution"].as_object()["groups"].as_array()[0].as_object()["if_sold"] =
      "stop";
  auto cfg_stop = cfg;
  start(cfg_stop);
  auto sold_to = [&](const std::string& name) {
    std::vector<BuyerId> out;
    auto l = lead_of(post(lead_json(name)));
    if (l) {
      for (const auto& o : l->buyers) {
        if (o.status == BuyerStatus::kAccepted) out.push_back(o.buyer_id);
      }
    }
    return out;
  };
  sold = sold_to("G2");
  EXPECT_EQ(sold, (std::vector<BuyerId>{302}));
  app_.reset();
  std::filesystem::remove_all(data_dir_);
  campaign_cfg(cfg)["distribution"].as_object()["groups"].as_array()[0].as_object()["if_sold"] =
      "continue";
  campaign_cfg(cfg)["distribution"].as_object()["total_buyers_limit"] = 2;
  start(cfg);
  EXPECT_EQ(sold_to("G3"), (std::vector<BuyerId>{302, 303}));
}

// ---- pause / resume and campaign views --------------------------------------------------------

TEST_F(Rules, PauseAndResumeBuyerAnswersAsTheSeed) {
  FakeBuyer b1, b2;
  b1.on("/post", FakeReply::json(kAccept));
  b2.on("/post", FakeReply::json(kAccept));
  auto cfg =
      base_config({http_buyer(301, 2, b1.url("/post"), 1), http_buyer(302, 3, b2.url("/post"), 2)});
  std::string dir = temp_dir("pause");
  start(cfg, dir);
  HttpReply p1 = admin_get("/public/campaigns/100/pause_buyer/301");
  EXPECT_EQ(p1.status, 200);
  EXPECT_EQ(p1.body, R"({"status":"success","data":[]})");
  EXPECT_EQ(admin_get("/public/campaigns/100/pause_buyer/301").body,
            R"({"status":"error","message":"Buyer is already paused","details":null})");
  EXPECT_EQ(admin_get("/public/campaigns/100/pause_buyer/302", "test-read-token").status, 403);
  EXPECT_EQ(admin_get("/public/campaigns/100/pause_buyer/999").status, 404);
  EXPECT_EQ(admin_get("/public/campaigns/999/pause_buyer/301").status, 404);

  auto lead = lead_of(post(lead_json()));
  ASSERT_TRUE(lead);
  EXPECT_EQ(lead->buyers[0].buyer_id, 302);
  EXPECT_EQ(lead->buyers[1].error_message, "Buyer is paused");
  EXPECT_EQ(
      parse_object(admin_get("/public/campaigns/100").body)["buyers"].as_array()[0].as_object().at(
          "paused"),
      1);

  // The pause survives a restart.
  app_->shutdown();
  app_.reset();
  start(cfg, dir);
  EXPECT_EQ(lead_of(post(lead_json("After restart")))->buyers[0].buyer_id, 302);
  EXPECT_EQ(admin_get("/public/campaigns/100/resume_buyer/301").body,
            R"({"status":"success","data":[]})");
  EXPECT_EQ(admin_get("/public/campaigns/100/resume_buyer/301").body,
            R"({"status":"error","message":"Buyer is already live","details":null})");
  EXPECT_EQ(lead_of(post(lead_json("Resumed")))->buyers[0].buyer_id, 301);
}

TEST_F(Rules, ReturnSingleLeadAnswersAsTheSeed) {
  FakeBuyer b1, b2;
  b1.on("/post", FakeReply::json(kAccept));
  b2.on("/post", FakeReply::json(kAccept));
  auto cfg =
      base_config({http_buyer(301, 2, b1.url("/post"), 1), http_buyer(302, 3, b2.url("/post"), 2)});
  std::string dir = temp_dir("return");
  start(cfg, dir);
  auto ret = [&](const std::string& body, const std::string& token = "test-admin-token") {
    return http_call(app_->port(), "POST", "/public/lead/return", body,
                     {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
  };
  std::string id(post(lead_json())["lead_id"].as_string());
  EXPECT_EQ(ret(R"({"lead_id":")" + id + R"(","reason":"Bad Phone"})", "test-read-token").status,
            403);
  HttpReply ok = ret(R"({"lead_id":")" + id + R"(","reason":"Bad Phone","portal_refund":true})");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, R"({"status":"success","data":[]})");
  HttpReply again = ret(R"({"lead_id":")" + id + R"(","reason":"Bad Phone"})");
  EXPECT_EQ(
      again.body,
      R"({"status":"error","message":"Cannot return shared lead OR Lead was already returned","details":null})");
  EXPECT_EQ(ret(R"({"lead_id":"AAAAAAAAAAAAAAAAAAAA","reason":"x"})").status, 404);
  EXPECT_EQ(ret(R"({"lead_id":")" + id + R"("})").status, 400);

  // Durable: visible after a restart, on the lead and on the buyer that bought it.
  app_->shutdown();
  app_.reset();
  start(cfg, dir);
  json::object lead = parse_object(get_lead(id).body);
  EXPECT_EQ(lead["returned"], true);
  EXPECT_EQ(lead["return_reason"], "Bad Phone");
  EXPECT_EQ(lead["buyers"].as_array()[0].as_object().at("returned"), true);
  EXPECT_EQ(lead["buyers"].as_array()[0].as_object().at("return_reason"), "Bad Phone");

  // A shared lead (sold twice) cannot be returned; an unsold lead neither.
  app_.reset();
  std::filesystem::remove_all(dir);
  campaign_cfg(cfg)["distribution"] = json::parse(R"({"method":"send_to_all"})");
  start(cfg);
  std::string shared(post(lead_json("Shared"))["lead_id"].as_string());
  EXPECT_EQ(parse_object(ret(R"({"lead_id":")" + shared + R"(","reason":"x"})").body)["message"],
            "Cannot return shared lead OR Lead was already returned");
  std::string invalid(
      post(R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200"})")["lead_id"]
          .as_string());
  EXPECT_EQ(parse_object(ret(R"({"lead_id":")" + invalid + R"(","reason":"x"})").body)["message"],
            "Only sold leads can be returned");
}

TEST_F(Rules, CampaignViewsMatchTheSeedShape) {
  start(base_config({http_buyer(301, 2, "http://127.0.0.1:1/post", 1)}));
  HttpReply all = admin_get("/public/campaigns");
  ASSERT_EQ(all.status, 200);
  json::value v = json::parse(all.body);
  ASSERT_TRUE(v.is_array());
  const json::object& c = v.as_array()[0].as_object();
  std::vector<std::string> keys;
  for (const auto& kv : c) keys.emplace_back(kv.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "name", "public_name", "campaign_type",
                                            "suppliers", "buyers", "fields"}));
  const json::object& s = c.at("suppliers").as_array()[0].as_object();
  keys.clear();
  for (const auto& kv : s) keys.emplace_back(kv.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "client_id", "client_name", "nickname", "paused",
                                            "test_mode", "hash", "api_specs_url", "caps"}));
  EXPECT_TRUE(s.at("nickname").is_null());
  EXPECT_TRUE(s.at("paused").is_int64());
  EXPECT_TRUE(s.at("caps").is_array());
  const json::object& b = c.at("buyers").as_array()[0].as_object();
  keys.clear();
  for (const auto& kv : b) keys.emplace_back(kv.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "client_id", "client_name", "nickname", "paused",
                                            "caps", "real_time_delivery_type"}));
  EXPECT_EQ(b.at("real_time_delivery_type"), "direct_post");
  const json::array& fields = c.at("fields").as_array();
  EXPECT_EQ(fields.front(), "first_name");
  EXPECT_EQ(fields.back(), "lp_subid2");
  EXPECT_EQ(admin_get("/public/campaigns/100").body, json::serialize(c));
  EXPECT_EQ(admin_get("/public/campaigns/5").status, 404);
  EXPECT_EQ(admin_get("/public/campaigns", "nope").status, 401);
}

}  // namespace
}  // namespace pp::testkit
