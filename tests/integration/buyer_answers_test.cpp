// Buyer answers end to end (issue 12): real server, real sockets, fake buyers that answer the way
// REST, SOAP and form buyers really do. What the supplier is told, what the lead records, what the
// circuit breaker counts, sales without a price, kept values and ping cookies.
#include <gtest/gtest.h>

#include <atomic>

#include "app_fixture.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;

class BuyerAnswers : public AppFixture {
 protected:
  std::string circuit_line(BuyerId id) {
    std::string body = admin_get("/metrics").body;
    std::string key = "pingpost_buyer_circuit_open{buyer=\"" + std::to_string(id) + "\"} ";
    size_t at = body.find(key);
    return at == std::string::npos ? "absent" : body.substr(at + key.size(), 1);
  }
  json::object admin_lead(const std::string& id, const std::string& token = "test-admin-token") {
    return parse_object(admin_get("/admin/leads/" + id, token).body);
  }
};

FakeReply reply(int status, std::string body) {
  FakeReply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// The issue's worst case: a REST buyer rejecting with 422 and a JSON reason. It is a rejection
// (1006) with the buyer's reason, never a transport error, and never counts against the buyer.
TEST_F(BuyerAnswers, Rejection422ReachesTheLeadAs1006AndTheCircuitStaysClosed) {
  FakeBuyer buyer;
  buyer.on("/post", reply(422, R"({"status":"rejected","reason":"Zip code not serviced"})"));
  auto cfg = base_config({http_buyer(301, 2, buyer.url("/post"), 1)});
  cfg["outbound"].as_object()["breaker_failures"] = 3;
  start(cfg);

  HttpReply r = post_lead(lead_json());
  ASSERT_EQ(r.status, 200) << r.error;
  json::object a = parse_object(r.body);
  EXPECT_EQ(a["status"], "ERROR");
  EXPECT_EQ(a["code"], 1006);
  EXPECT_EQ(a["message"], "Rejected by buyer");  // the buyer's words stay ours
  std::string id(a["lead_id"].as_string());

  json::object lead = parse_object(get_lead(id).body);
  EXPECT_EQ(lead["error_code"], 1006);
  auto& b = lead["buyers"].as_array().at(0).as_object();
  EXPECT_EQ(b["status"], "ERROR");
  EXPECT_EQ(b["error_code"], 1006);
  EXPECT_EQ(b["error_message"], "Rejected by buyer: Zip code not serviced");
  EXPECT_EQ(circuit_line(301), "0");

  // The admin view shows the status and the raw answer.
  json::object full = admin_lead(id);
  auto& fb = full["buyers"].as_array().at(0).as_object();
  EXPECT_EQ(fb["post"].as_object()["http_status"], 422);
  EXPECT_EQ(fb["decision"], "not sold: Rejected by buyer: Zip code not serviced");
}

// 100 ordinary rejections in a row (4xx of every usual kind, and 200 rejections) never open the
// circuit: the 101st lead still reaches the buyer. Three 5xx answers do open it (the control).
TEST_F(BuyerAnswers, HundredRejectionsNeverOpenTheCircuitButThreeFailuresDo) {
  FakeBuyer buyer;
  std::atomic<int> n{0};
  std::atomic<bool> failing{false};
  buyer.on("/post", [&](const Received&) {
    if (failing) return reply(503, "overloaded");
    switch (n++ % 4) {
      case 0:
        return reply(400, R"({"status":"error","reason":"bad zip"})");
      case 1:
        return reply(409, R"({"status":"duplicate"})");
      case 2:
        return reply(422, R"({"status":"rejected","reason":"criteria"})");
      default:
        return reply(200, R"({"status":"rejected","reason":"cap"})");
    }
  });
  auto cfg = base_config({http_buyer(301, 2, buyer.url("/post"), 1)});
  cfg["outbound"].as_object()["breaker_failures"] = 3;
  cfg["outbound"].as_object()["breaker_open_ms"] = 600000;
  start(cfg);
  int rejected = 0, duplicated = 0;
  for (int i = 0; i < 100; ++i) {
    json::object a = parse_object(post_lead(lead_json("N" + std::to_string(i))).body);
    if (a["code"] == 1006) ++rejected;
    if (a["code"] == 1008) ++duplicated;
  }
  EXPECT_EQ(rejected, 75);
  EXPECT_EQ(duplicated, 25);  // the 409s: the only buyer said duplicate
  EXPECT_EQ(buyer.count("/post"), 100u);
  EXPECT_EQ(circuit_line(301), "0");
  post_lead(lead_json("N100"));
  EXPECT_EQ(buyer.count("/post"), 101u);

  failing = true;
  for (int i = 0; i < 3; ++i) post_lead(lead_json("F" + std::to_string(i)));
  EXPECT_EQ(circuit_line(301), "1");
  json::object a = parse_object(post_lead(lead_json("after")).body);
  auto lead = app_->engine().find_lead(std::string(a["lead_id"].as_string()));
  ASSERT_TRUE(lead);
  EXPECT_EQ(lead->buyers[0].error_code, 1042);
  EXPECT_EQ(buyer.count("/post"), 104u);
}

// In the exchange too: pings declined with a 4xx are no bids, not failures.
TEST_F(BuyerAnswers, PingsDeclinedWith4xxNeverOpenTheCircuit) {
  FakeBuyer b1, b2;
  b1.on("/ping", reply(422, R"({"status":"rejected","reason":"no coverage"})"));
  b2.on("/ping", bid("12", "r2"));
  b2.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  auto declining = ping_buyer(301, b1, 1);
  declining["ping_response"].as_object()["reason"] = "reason";
  auto cfg = base_config({declining, ping_buyer(302, b2, 2)});
  make_exchange(campaign_cfg(cfg));
  cfg["outbound"].as_object()["breaker_failures"] = 3;
  cfg["outbound"].as_object()["breaker_open_ms"] = 600000;
  start(cfg);
  for (int i = 0; i < 10; ++i) {
    json::object a = parse_object(post_lead(lead_json("N" + std::to_string(i))).body);
    EXPECT_EQ(a["status"], "ACCEPTED");
  }
  EXPECT_EQ(b1.count("/ping"), 10u);
  EXPECT_EQ(circuit_line(301), "0");
  json::object a = parse_object(post_lead(lead_json("last")).body);
  auto lead = app_->engine().find_lead(std::string(a["lead_id"].as_string()));
  ASSERT_TRUE(lead);
  const BuyerOutcome* declined = nullptr;
  for (const auto& o : lead->buyers)
    if (o.buyer_id == 301) declined = &o;
  ASSERT_TRUE(declined);
  EXPECT_EQ(declined->error_code, 1006);
  EXPECT_EQ(declined->error_message, "Rejected by buyer on ping: no coverage");
}

// Status rules: a buyer answering 409 with an empty body is a duplicate; 4xx with nothing is a
// rejection named by its status.
TEST_F(BuyerAnswers, StatusRulesReadEmptyAnswers) {
  FakeBuyer dup, rej;
  dup.on("/post", reply(409, ""));
  rej.on("/post", reply(400, ""));
  auto b1 = http_buyer(301, 2, dup.url("/post"), 1);
  auto b2 = http_buyer(302, 3, rej.url("/post"), 2);
  for (auto* b : {&b1, &b2})
    (*b)["post_response"].as_object()["status"] =
        json::object{{"409", "duplicate"}, {"4xx", "rejected"}};
  start(base_config({b1, b2}));
  json::object a = parse_object(post_lead(lead_json()).body);
  auto lead = app_->engine().find_lead(std::string(a["lead_id"].as_string()));
  ASSERT_TRUE(lead);
  ASSERT_EQ(lead->buyers.size(), 2u);
  EXPECT_EQ(lead->buyers[0].status, BuyerStatus::kDuplicated);
  EXPECT_EQ(lead->buyers[1].error_code, 1006);
  EXPECT_EQ(lead->buyers[1].error_message, "Rejected by buyer: HTTP 400");
}

// A real-time buyer that takes the lead without naming a price is a sale, flagged: at the
// campaign's fallback, or at 0 where the buyer says so. Never an error.
TEST_F(BuyerAnswers, RealTimeSaleWithoutAPriceSellsAtMissingPriceFlagged) {
  FakeBuyer buyer;
  buyer.on("/post", FakeReply::json(R"({"status":"accepted","id":"B-9"})"));
  auto b = http_buyer(301, 2, buyer.url("/post"), 1);
  b["price"] = json::object{{"type", "realtime"}};
  b["post_response"].as_object()["price"] = "price";
  auto cfg = base_config({b});
  campaign_cfg(cfg)["missing_price"] = json::object{{"action", "fallback"}, {"amount", "7.5"}};
  start(cfg);
  json::object a = parse_object(post_lead(lead_json()).body);
  EXPECT_EQ(a["status"], "ACCEPTED");
  std::string id(a["lead_id"].as_string());
  auto lead = app_->engine().find_lead(id);
  ASSERT_TRUE(lead);
  EXPECT_EQ(lead->revenue, Money::parse("7.5").value());
  EXPECT_TRUE(lead->buyers[0].price_missing);
  EXPECT_EQ(lead->buyers[0].status, BuyerStatus::kAccepted);
  json::object full = admin_lead(id);
  auto& fb = full["buyers"].as_array().at(0).as_object();
  EXPECT_EQ(fb["price_missing"], true);
  EXPECT_EQ(fb["sell_price"].as_double(), 7.5);
  EXPECT_EQ(fb["decision"], "accepted without a price: sold at 7.5 (missing_price, flagged)");
  // The seed-shaped view is unchanged: no key of ours.
  json::object pub = parse_object(get_lead(id).body);
  EXPECT_FALSE(pub["buyers"].as_array().at(0).as_object().contains("price_missing"));
}

TEST_F(BuyerAnswers, BuyerLevelMissingPriceZeroOverridesTheCampaign) {
  FakeBuyer buyer;
  buyer.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  auto b = http_buyer(301, 2, buyer.url("/post"), 1);
  b["price"] = json::object{{"type", "realtime"}};
  b["post_response"].as_object()["price"] = "price";
  b["missing_price"] = "zero";
  auto cfg = base_config({b});
  campaign_cfg(cfg)["missing_price"] = json::object{{"action", "fallback"}, {"amount", 3}};
  start(cfg);
  json::object a = parse_object(post_lead(lead_json()).body);
  EXPECT_EQ(a["status"], "ACCEPTED");
  auto lead = app_->engine().find_lead(std::string(a["lead_id"].as_string()));
  ASSERT_TRUE(lead);
  EXPECT_EQ(lead->revenue, Money());
  EXPECT_TRUE(lead->buyers[0].price_missing);
}

// Values kept from the answer: the buyer's lead id and `keep` values, stored with the buyer's
// outcome (they survive a restart) and shown by GET /admin/leads/{id}; any API token reads it.
TEST_F(BuyerAnswers, KeptValuesAndTheBuyersLeadIdAreStoredAndShown) {
  FakeBuyer buyer;
  buyer.on("/post",
           FakeReply::json(
               R"({"status":"accepted","id":"B-77","data":{"ref":"Q-12","agent":{"name":"Dana"}},)"
               R"("note":"appointment at 14:30"})"));
  auto b = http_buyer(301, 2, buyer.url("/post"), 1);
  b["post_response"].as_object()["keep"] =
      json::object{{"buyer_ref", "data.ref"},
                   {"agent", "data.agent.name"},
                   {"slot", json::object{{"regex", "appointment at (?P<time>[0-9:]+)"}}}};
  std::string dir = temp_dir("kept");
  start(base_config({b}), dir);
  json::object a = parse_object(post_lead(lead_json()).body);
  std::string id(a["lead_id"].as_string());

  auto check = [&] {
    json::object full = admin_lead(id, "test-read-token");
    ASSERT_EQ(full["id"], id.c_str());
    auto& fb = full["buyers"].as_array().at(0).as_object();
    EXPECT_EQ(fb["buyer_lead_id"], "B-77");
    json::object kept = fb["buyer_data"].as_object();
    EXPECT_EQ(kept["buyer_ref"], "Q-12");
    EXPECT_EQ(kept["agent"], "Dana");
    EXPECT_EQ(kept["time"], "14:30");
    EXPECT_EQ(fb["decision"], "accepted at 10");
    EXPECT_EQ(fb["post"].as_object()["http_status"], 200);
  };
  check();
  // Stored, not just held in memory.
  app_.reset();
  start(base_config({b}), dir);
  check();
  EXPECT_EQ(admin_get("/admin/leads/" + id, "wrong-token").status, 401);
  EXPECT_EQ(admin_get("/admin/leads/AAAAAAAAAAAAAAAAAAAA").status, 404);
}

// Cookies a ping answer sets go with the post to the same buyer: in the waterfall and in the
// exchange.
TEST_F(BuyerAnswers, PingCookiesGoWithThePost) {
  FakeBuyer buyer;
  FakeReply ping = bid("9", "r1");
  ping.headers = {{"Set-Cookie", "JSESSIONID=s-1; Path=/; HttpOnly"},
                  {"Set-Cookie", "AWSALB=lb-7; Path=/"}};
  buyer.on("/ping", ping);
  buyer.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  auto cfg = base_config({ping_buyer(301, buyer, 1)});
  start(cfg);
  json::object a = parse_object(post_lead(lead_json()).body);
  EXPECT_EQ(a["status"], "ACCEPTED");
  ASSERT_EQ(buyer.count("/post"), 1u);
  auto got = buyer.received();
  EXPECT_EQ(got.back().header("Cookie"), "JSESSIONID=s-1; AWSALB=lb-7");
  EXPECT_EQ(got.front().header("Cookie"), "");  // the ping itself carried none

  // The exchange: the winner's post carries its own ping's cookies.
  app_.reset();
  make_exchange(campaign_cfg(cfg));
  start(cfg, data_dir_);
  a = parse_object(post_lead(lead_json("X")).body);
  EXPECT_EQ(a["status"], "ACCEPTED");
  got = buyer.received();
  EXPECT_EQ(got.back().target, "/post");
  EXPECT_EQ(got.back().header("Cookie"), "JSESSIONID=s-1; AWSALB=lb-7");
}

// A SOAP buyer read by local names, end to end.
TEST_F(BuyerAnswers, SoapBuyerReadByLocalNames) {
  FakeBuyer buyer;
  FakeReply soap;
  soap.content_type = "text/xml; charset=utf-8";
  soap.body =
      R"(<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">)"
      R"(<soap:Body><AddLeadResponse xmlns="http://tempuri.org/"><AddLeadResult>)"
      R"(<Status>Rejected</Status><Message>Driver age outside program</Message>)"
      R"(</AddLeadResult></AddLeadResponse></soap:Body></soap:Envelope>)";
  buyer.on("/post", soap);
  auto b = http_buyer(301, 2, buyer.url("/post"), 1);
  b["post_response"] = json::parse(R"({"format": "xml",
      "accepted": {"path": "Envelope/Body/AddLeadResponse/AddLeadResult/Status", "equals": ["Success"]},
      "reason": "Envelope/Body/AddLeadResponse/AddLeadResult/Message"})");
  start(base_config({b}));
  json::object a = parse_object(post_lead(lead_json()).body);
  EXPECT_EQ(a["code"], 1006);
  auto lead = app_->engine().find_lead(std::string(a["lead_id"].as_string()));
  ASSERT_TRUE(lead);
  EXPECT_EQ(lead->buyers[0].error_message, "Rejected by buyer: Driver age outside program");
}

}  // namespace
}  // namespace pp::testkit
