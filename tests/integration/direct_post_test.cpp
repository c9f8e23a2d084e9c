// The direct-post path end to end: real server, real sockets, fake buyers on 127.0.0.1.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "app_fixture.h"
#include "core/hash.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

const char* kAccept =
    R"({"status":"accepted","id":"B-77","redirect":"https://buyer.example/thanks"})";
const char* kReject = R"({"status":"rejected","reason":"no coverage"})";

class DirectPost : public AppFixture {};

TEST_F(DirectPost, AcceptedLeadIsStoredAndReadable) {
  FakeBuyer buyer;
  buyer.on("/post", FakeReply::json(kAccept));
  start(base_config({http_buyer(300, 2, buyer.url("/post"), 1, "12.5")}));

  HttpReply r = post_lead(lead_json());
  ASSERT_EQ(r.status, 200) << r.error;
  json::object a = parse_object(r.body);
  EXPECT_EQ(a["status"], "ACCEPTED");
  EXPECT_EQ(a["code"], 0);
  EXPECT_EQ(a["error_code"], 0);
  EXPECT_EQ(a["payout"].as_double(), 4.25);
  EXPECT_EQ(a["redirect_url"], "https://buyer.example/thanks");
  std::string id(a["lead_id"].as_string());
  EXPECT_EQ(a["id"], a["lead_id"]);
  EXPECT_EQ(id.size(), 20u);

  // The buyer got the rendered payload with normalised values and no secrets.
  auto got = buyer.received();
  ASSERT_EQ(got.size(), 1u);
  json::object sent = parse_object(got[0].body);
  EXPECT_EQ(sent["phone"], "4103097989");
  EXPECT_EQ(sent["lead"].as_string(), id);
  EXPECT_EQ(got[0].header("Content-Type"), "application/json");
  EXPECT_EQ(got[0].body.find("supplier-key"), std::string::npos);

  HttpReply l = get_lead(id);
  ASSERT_EQ(l.status, 200);
  json::object lead = parse_object(l.body);
  EXPECT_EQ(lead["status"], "ACCEPTED");
  EXPECT_EQ(lead["revenue"].as_double(), 12.5);
  EXPECT_EQ(lead["cost"].as_double(), 4.25);
  EXPECT_EQ(lead["campaign_name"], "Test Campaign");
  EXPECT_EQ(lead["lead_data"].as_object()["state"], "NY");
  EXPECT_EQ(lead["lead_data"].as_object()["lp_subid1"], "fb");
  EXPECT_FALSE(lead["lead_data"].as_object().contains("lp_key"));
  auto& buyers = lead["buyers"].as_array();
  ASSERT_EQ(buyers.size(), 1u);
  EXPECT_EQ(buyers[0].as_object().at("status"), "ACCEPTED");
  EXPECT_EQ(buyers[0].as_object().at("sell_price").as_double(), 12.5);

  // The debug log has the raw exchange.
  auto dbg = app_->engine().find_debug(id);
  ASSERT_TRUE(dbg);
  ASSERT_EQ(dbg->buyers.size(), 1u);
  ASSERT_TRUE(dbg->buyers[0].post);
  EXPECT_EQ(dbg->buyers[0].post->http_status, 200);
  EXPECT_EQ(dbg->buyers[0].post->response, kAccept);
  EXPECT_EQ(dbg->buyers[0].post->method, "post");
}

TEST_F(DirectPost, RejectThenNextBuyerInPriorityOrder) {
  FakeBuyer b1, b2;
  b1.on("/post", FakeReply::json(kReject));
  b2.on("/post", FakeReply::json(kAccept));
  // Configuration order is b2 first, but priorities put b1 first.
  start(base_config(
      {http_buyer(302, 3, b2.url("/post"), 2, "9"), http_buyer(301, 2, b1.url("/post"), 1)}));

  json::object a = parse_object(post_lead(lead_json()).body);
  EXPECT_EQ(a["status"], "ACCEPTED");
  json::object lead = parse_object(get_lead(std::string(a["lead_id"].as_string())).body);
  auto& buyers = lead["buyers"].as_array();
  ASSERT_EQ(buyers.size(), 2u);
  EXPECT_EQ(buyers[0].as_object().at("id"), 301);
  EXPECT_EQ(buyers[0].as_object().at("status"), "ERROR");
  EXPECT_EQ(buyers[0].as_object().at("error_code"), 1006);
  EXPECT_EQ(buyers[0].as_object().at("error_message"), "Rejected by buyer: no coverage");
  EXPECT_EQ(buyers[1].as_object().at("id"), 302);
  EXPECT_EQ(buyers[1].as_object().at("status"), "ACCEPTED");
  EXPECT_EQ(lead["revenue"], 9);
  EXPECT_EQ(b1.count("/post"), 1u);
  EXPECT_EQ(b2.count("/post"), 1u);
}

TEST_F(DirectPost, SlowBuyerCostsOnlyItsTimeout) {
  FakeBuyer slow, fast;
  FakeReply late = FakeReply::json(kAccept);
  late.delay = milliseconds(5000);
  slow.on("/post", late);
  fast.on("/post", FakeReply::json(kAccept));
  start(base_config({http_buyer(301, 2, slow.url("/post"), 1, "10", 200),
                     http_buyer(302, 3, fast.url("/post"), 2, "8")}));

  auto t0 = std::chrono::steady_clock::now();
  json::object a = parse_object(post_lead(lead_json()).body);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(a["status"], "ACCEPTED");
  // The slow buyer answers after 5 s; its 200 ms timeout must have cut it off long before.
  EXPECT_LT(took, milliseconds(4000));
  json::object lead = parse_object(get_lead(std::string(a["lead_id"].as_string())).body);
  auto& buyers = lead["buyers"].as_array();
  ASSERT_EQ(buyers.size(), 2u);
  EXPECT_EQ(buyers[0].as_object().at("status"), "ERROR");
  EXPECT_EQ(buyers[0].as_object().at("error_code"), 1036);
  EXPECT_EQ(buyers[0].as_object().at("error_message"), "Post timeout exceeded");
  EXPECT_EQ(lead["revenue"], 8);
}

TEST_F(DirectPost, SilentGarbageOversizedAndClosingBuyersFallThrough) {
  FakeBuyer silent, garbage, huge, closer, good;
  FakeReply s;
  s.silent = true;
  silent.on("/post", s);
  garbage.on("/post", FakeReply{200, "<html>Service Unavailable</html>", "text/html"});
  FakeReply big;
  big.body_bytes = 2 << 20;  // 2 MiB, over the 256 KiB default cap
  huge.on("/post", big);
  FakeReply c;
  c.close = true;
  closer.on("/post", c);
  good.on("/post", FakeReply::json(kAccept));
  start(base_config(
      {http_buyer(301, 2, silent.url("/post"), 1, "10", 300),
       http_buyer(302, 2, garbage.url("/post"), 2), http_buyer(303, 2, huge.url("/post"), 3),
       http_buyer(304, 2, closer.url("/post"), 4), http_buyer(305, 3, good.url("/post"), 5, "7")}));

  json::object a = parse_object(post_lead(lead_json()).body);
  ASSERT_EQ(a["status"], "ACCEPTED");
  std::string id(a["lead_id"].as_string());
  auto lead = app_->engine().find_lead(id);
  ASSERT_TRUE(lead);
  ASSERT_EQ(lead->buyers.size(), 5u);
  EXPECT_EQ(lead->buyers[0].error_message, "Post timeout exceeded");
  EXPECT_EQ(lead->buyers[1].error_message, "Buyer error: invalid JSON answer");
  EXPECT_EQ(lead->buyers[2].error_message, "Buyer error: response too large");
  EXPECT_EQ(lead->buyers[3].error_message, "Buyer error: connection closed");
  EXPECT_EQ(lead->buyers[4].status, BuyerStatus::kAccepted);
  EXPECT_EQ(lead->revenue, Money::from_whole(7));
  auto dbg = app_->engine().find_debug(id);
  ASSERT_TRUE(dbg);
  EXPECT_EQ(dbg->buyers[1].post->response, "<html>Service Unavailable</html>");
  EXPECT_NE(dbg->buyers[0].post->transport_error.find("timeout"), std::string::npos);
}

TEST_F(DirectPost, AllBuyersFailIsStoredAsNoBuyers) {
  FakeBuyer b1, b2;
  b1.on("/post", FakeReply::json(kReject));
  b2.on("/post", FakeReply{500, "oops"});
  start(base_config(
      {http_buyer(301, 2, b1.url("/post"), 1), http_buyer(302, 3, b2.url("/post"), 2)}));
  json::object a = parse_object(post_lead(lead_json()).body);
  EXPECT_EQ(a["status"], "ERROR");
  EXPECT_EQ(a["code"], 1005);
  EXPECT_EQ(a["message"], "No buyers available");
  EXPECT_EQ(a["payout"], 0);
  json::object lead = parse_object(get_lead(std::string(a["lead_id"].as_string())).body);
  EXPECT_EQ(lead["status"], "ERROR");
  EXPECT_EQ(lead["error_code"], 1005);
  EXPECT_EQ(lead["revenue"], 0);
  EXPECT_EQ(lead["cost"], 0);
  EXPECT_EQ(lead["buyers"].as_array()[1].as_object().at("error_message"), "Buyer error: HTTP 500");
}

TEST_F(DirectPost, SingleBuyerRejectionAnswers1006AndDuplicatesAnswerDuplicated) {
  FakeBuyer b;
  b.on("/post", [](const Received& r) {
    return FakeReply::json(r.body.find("\"Dup\"") != std::string::npos ? R"({"status":"duplicate"})"
                                                                       : kReject);
  });
  start(base_config({http_buyer(301, 2, b.url("/post"), 1)}));
  json::object a = parse_object(post_lead(lead_json()).body);
  EXPECT_EQ(a["status"], "ERROR");
  EXPECT_EQ(a["code"], 1006);
  EXPECT_EQ(a["message"], "Rejected by buyer");
  json::object d = parse_object(post_lead(lead_json("Dup")).body);
  EXPECT_EQ(d["status"], "DUPLICATED");
  EXPECT_EQ(d["code"], 1008);
}

TEST_F(DirectPost, HttpsBuyerWithTestCa) {
  FakeBuyer tls_buyer(
      FakeBuyer::Options{true, cert_dir() + "/server.pem", cert_dir() + "/server.key"});
  tls_buyer.on("/post", FakeReply::json(kAccept));
  FakeBuyer untrusted(
      FakeBuyer::Options{true, cert_dir() + "/untrusted.pem", cert_dir() + "/untrusted.key"});
  untrusted.on("/post", FakeReply::json(kAccept));
  ASSERT_EQ(tls_buyer.url("/post").rfind("https://", 0), 0u);
  start(base_config({http_buyer(301, 2, untrusted.url("/post"), 1),
                     http_buyer(302, 3, tls_buyer.url("/post"), 2, "11")}));
  json::object a = parse_object(post_lead(lead_json()).body);
  ASSERT_EQ(a["status"], "ACCEPTED");
  auto lead = app_->engine().find_lead(std::string(a["lead_id"].as_string()));
  ASSERT_TRUE(lead);
  // The self-signed buyer fails certificate verification and never sees the lead.
  EXPECT_EQ(lead->buyers[0].status, BuyerStatus::kError);
  EXPECT_NE(lead->buyers[0].error_message.find("tls"), std::string::npos)
      << lead->buyers[0].error_message;
  EXPECT_EQ(untrusted.count("/post"), 0u);
  EXPECT_EQ(lead->buyers[1].status, BuyerStatus::kAccepted);
  EXPECT_EQ(tls_buyer.count("/post"), 1u);
}

TEST_F(DirectPost, ValidationErrorsAreStoredWithReasons) {
  FakeBuyer b;
  b.on("/post", FakeReply::json(kAccept));
  start(base_config({http_buyer(301, 2, b.url("/post"), 1)}));
  json::object inv = parse_object(
      post_lead(R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200",
      "first_name":"A","email":"not-an-email","phone":"123","state":"ZZ"})")
          .body);
  EXPECT_EQ(inv["status"], "ERROR");
  EXPECT_EQ(inv["code"], 1002);
  EXPECT_EQ(inv["message"],
            "Invalid fields: email (not a valid email address), phone (not a 10-digit "
            "US phone number), state (not a 2-letter US state)");
  EXPECT_TRUE(app_->engine().find_lead(std::string(inv["lead_id"].as_string())));
  json::object miss = parse_object(post_lead(R"({"lp_campaign_id":100,"lp_supplier_id":200,
      "lp_key":"supplier-key-200","first_name":"A","email":""})")
                                       .body);
  EXPECT_EQ(miss["code"], 1001);
  EXPECT_EQ(miss["message"], "Missing required fields: email, phone, state");
  EXPECT_EQ(b.count("/post"), 0u);  // invalid leads never reach a buyer
}

TEST_F(DirectPost, CredentialsAndMalformedRequestsStoreNothing) {
  start(base_config({}));
  auto before = app_->store().stats().leads_written;
  struct Case {
    std::string body;
    int code;
  };
  for (const Case& c :
       {Case{R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"wrong-key"})", 1003},
        Case{R"({"lp_campaign_id":999,"lp_supplier_id":200,"lp_key":"supplier-key-200"})", 1003},
        Case{R"({"lp_campaign_id":100,"lp_supplier_id":201,"lp_key":"supplier-key-200"})", 1003},
        Case{R"({"lp_supplier_id":200,"lp_key":"supplier-key-200"})", 1001}}) {
    HttpReply r = post_lead(c.body);
    EXPECT_EQ(r.status, 200);
    json::object a = parse_object(r.body);
    EXPECT_EQ(a["status"], "ERROR");
    EXPECT_EQ(a["code"], c.code) << c.body;
    EXPECT_TRUE(a["lead_id"].is_null());
  }
  EXPECT_EQ(post_lead("{\"lp_campaign_id\":", "application/json").status, 400);
  EXPECT_EQ(post_lead("a=1", "text/csv").status, 415);
  HttpReply big = post_lead("{\"a\":\"" + std::string(70000, 'x') + "\"}");
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(http_call(app_->port(), "GET", "/direct_post").status, 405);
  EXPECT_EQ(app_->store().stats().leads_written, before);
}

TEST_F(DirectPost, FormBodiesAndTestLeadsAreNeverBilled) {
  FakeBuyer b;
  b.on("/post", FakeReply::json(kAccept));
  start(base_config({http_buyer(301, 2, b.url("/post"), 1, "10")}));
  // lp_action=test on a live supplier
  HttpReply r = post_lead(
      "lp_campaign_id=100&lp_supplier_id=200&lp_key=supplier-key-200&lp_action=test"
      "&first_name=Ann&email=ann%40example.org&phone=4103097989&state=ny",
      "application/x-www-form-urlencoded");
  json::object a = parse_object(r.body);
  EXPECT_EQ(a["status"], "ACCEPTED");
  EXPECT_EQ(a["payout"], 0);
  json::object lead = parse_object(get_lead(std::string(a["lead_id"].as_string())).body);
  EXPECT_EQ(lead["test"], true);
  EXPECT_EQ(lead["tags"].as_array().size(), 1u);
  EXPECT_EQ(lead["tags"].as_array()[0], "test");
  EXPECT_EQ(lead["revenue"], 0);
  EXPECT_EQ(lead["cost"], 0);
  // a supplier in test mode
  json::object t = parse_object(post_lead(lead_json("Ann", "NY", 201)).body);
  EXPECT_EQ(t["status"], "ACCEPTED");
  EXPECT_EQ(parse_object(get_lead(std::string(t["lead_id"].as_string())).body)["test"], true);
}

TEST_F(DirectPost, PausedSupplierIsStoredAsAnError) {
  FakeBuyer b;
  b.on("/post", FakeReply::json(kAccept));
  auto cfg = base_config({http_buyer(301, 2, b.url("/post"), 1)});
  cfg["campaigns"].as_array()[0].as_object()["suppliers"].as_array()[0].as_object()["paused"] =
      true;
  start(cfg);
  json::object a = parse_object(post_lead(lead_json()).body);
  EXPECT_EQ(a["status"], "ERROR");
  EXPECT_EQ(a["code"], 1004);
  EXPECT_EQ(a["message"], "Supplier is paused");
  EXPECT_TRUE(app_->engine().find_lead(std::string(a["lead_id"].as_string())));
  EXPECT_EQ(b.count("/post"), 0u);
}

TEST_F(DirectPost, PublicApiAuthentication) {
  start(base_config({}));
  json::object a = parse_object(post_lead(lead_json()).body);
  std::string id(a["lead_id"].as_string());
  EXPECT_EQ(get_lead(id).status, 200);
  HttpReply bad = get_lead(id, "wrong-token");
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.body, R"({"status":"error","message":"Unauthenticated","details":null})");
  EXPECT_EQ(http_call(app_->port(), "GET", "/public/lead/" + id).status, 401);
  HttpReply missing = get_lead("AAAAAAAAAAAAAAAAAAAA");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, R"({"status":"error","message":"Lead not found","details":null})");
  EXPECT_EQ(get_lead("short").status, 404);
}

TEST_F(DirectPost, LeadSurvivesRestart) {
  FakeBuyer b;
  b.on("/post", FakeReply::json(kAccept));
  auto cfg = base_config({http_buyer(301, 2, b.url("/post"), 1, "10")});
  std::string dir = temp_dir("restart");
  start(cfg, dir);
  json::object a = parse_object(post_lead(lead_json()).body);
  ASSERT_EQ(a["status"], "ACCEPTED");
  std::string id(a["lead_id"].as_string());
  std::string before = get_lead(id).body;
  app_->shutdown();
  app_.reset();
  start(cfg, dir);
  HttpReply after = get_lead(id);
  ASSERT_EQ(after.status, 200);
  EXPECT_EQ(after.body, before);
}

TEST_F(DirectPost, DeliveryDeadlineBoundsTheWholeWaterfall) {
  FakeBuyer slow;
  FakeReply late = FakeReply::json(kAccept);
  late.delay = milliseconds(3000);
  slow.on("/post", late);
  auto cfg = base_config({http_buyer(301, 2, slow.url("/post"), 1, "10", 5000),
                          http_buyer(302, 3, slow.url("/post"), 2, "10", 5000)});
  cfg["campaigns"].as_array()[0].as_object()["delivery_deadline_ms"] = 300;
  start(cfg);
  auto t0 = std::chrono::steady_clock::now();
  json::object a = parse_object(post_lead(lead_json()).body);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(2500));
  EXPECT_EQ(a["status"], "ERROR");
  auto lead = app_->engine().find_lead(std::string(a["lead_id"].as_string()));
  ASSERT_TRUE(lead);
  EXPECT_EQ(lead->buyers[0].error_code, 1036);
  EXPECT_EQ(lead->buyers[1].status, BuyerStatus::kSkipped);
  EXPECT_EQ(lead->buyers[1].error_message, "Delivery deadline reached");
}

TEST_F(DirectPost, ComputedFieldsFeedPayloadsAndPrices) {
  FakeBuyer b;
  b.on("/post", FakeReply::json(kAccept));
  json::object buyer = http_buyer(301, 2, b.url("/post"), 1);
  buyer["post"].as_object()["fields"].as_object()["full"] = "{{full_name}}";
  buyer["price"] = json::parse(R"({"type":"conditional","default":"1","rules":[
      {"when":{"field":"area_code","op":"equals","values":["410"]},"amount":"6.5"}]})");
  auto cfg = base_config({buyer});
  cfg["campaigns"].as_array()[0].as_object()["computed_fields"] = json::parse(R"J([
      {"name":"full_name","template":"{{first_name||upper}} ({{state}})"},
      {"name":"area_code","template":"{{phone||chars:0@@3}}"}])J");
  start(cfg);
  // A supplier cannot set a computed field.
  std::string body = lead_json();
  body.insert(body.size() - 1, R"(,"area_code":"999")");
  json::object a = parse_object(post_lead(body).body);
  ASSERT_EQ(a["status"], "ACCEPTED");
  EXPECT_EQ(parse_object(b.received()[0].body)["full"], "ANN (NY)");
  auto lead = app_->engine().find_lead(std::string(a["lead_id"].as_string()));
  ASSERT_TRUE(lead);
  EXPECT_EQ(*find_field(lead->fields, "area_code"), "410");
  EXPECT_EQ(lead->revenue, Money::from_units(65000));
}

TEST_F(DirectPost, FailingBuyerIsThrottledByItsCircuitBreaker) {
  FakeBuyer broken, good;
  std::atomic<bool> healthy{false};
  broken.on("/post", [&healthy](const Received&) {
    return healthy ? FakeReply::json(kAccept) : FakeReply{500, "down"};
  });
  good.on("/post", FakeReply::json(kAccept));
  auto cfg = base_config(
      {http_buyer(301, 2, broken.url("/post"), 1), http_buyer(302, 3, good.url("/post"), 2)});
  cfg["outbound"].as_object()["breaker_failures"] = 3;
  cfg["outbound"].as_object()["breaker_open_ms"] = 10000;
  ManualClock clock(1795366800000);
  start(cfg, {}, &clock);
  auto lead = [&](int i) {
    json::object a = parse_object(post_lead(lead_json("N" + std::to_string(i))).body);
    return app_->engine().find_lead(std::string(a["lead_id"].as_string()));
  };
  for (int i = 0; i < 3; ++i) EXPECT_EQ(lead(i)->buyers[0].error_message, "Buyer error: HTTP 500");
  EXPECT_EQ(broken.count("/post"), 3u);
  // Open: the broken buyer is skipped without a call.
  auto skipped = lead(3);
  EXPECT_EQ(skipped->buyers[0].buyer_id, 301);
  EXPECT_EQ(skipped->buyers[0].status, BuyerStatus::kSkipped);
  EXPECT_EQ(skipped->buyers[0].error_code, 1042);
  EXPECT_EQ(skipped->buyers[0].error_message, "Circuit open: the buyer keeps failing");
  EXPECT_EQ(skipped->buyers[1].status, BuyerStatus::kAccepted);
  EXPECT_EQ(broken.count("/post"), 3u);
  HttpReply metrics = admin_get("/metrics");
  EXPECT_NE(metrics.body.find("pingpost_buyer_circuit_open{buyer=\"301\"} 1"), std::string::npos)
      << metrics.body;
  // After the cool-down one probe goes through; the buyer has recovered: closed again.
  healthy = true;
  clock.advance_ms(10001);
  EXPECT_EQ(lead(4)->buyers[0].status, BuyerStatus::kAccepted);
  EXPECT_EQ(lead(5)->buyers[0].buyer_id, 301);
  EXPECT_EQ(broken.count("/post"), 5u);
  EXPECT_NE(admin_get("/metrics").body.find("pingpost_buyer_circuit_open{buyer=\"301\"} 0"),
            std::string::npos);
  app_.reset();  // before the local clock goes: the app reads it until it stops
}

TEST_F(DirectPost, SandboxBuyerFollowsItsRules) {
  // The demo's sandbox buyer, served by the engine itself.
  start(base_config({}));
  uint16_t port = app_->port();
  auto call = [&](const std::string& q, const std::string& body) {
    return http_call(port, "POST", "/sandbox/post" + q, body,
                     {{"Content-Type", "application/json"}});
  };
  EXPECT_EQ(parse_object(call("?price=12.5", R"({"first_name":"Ann"})").body)["price"], "12.5");
  EXPECT_EQ(parse_object(call("", R"({"first_name":"Reject"})").body)["status"], "rejected");
  EXPECT_EQ(parse_object(call("", R"({"first_name":"duplicate"})").body)["status"], "duplicate");
  EXPECT_EQ(call("", R"({"first_name":"error"})").status, 500);
  EXPECT_EQ(call("", R"({"first_name":"garbage"})").body.rfind("<html>", 0), 0u);
  EXPECT_EQ(parse_object(call("?reject_states=CA,TX", R"({"state":"tx"})").body)["status"],
            "rejected");
  EXPECT_EQ(parse_object(http_call(port, "POST", "/sandbox/ping?price=3", R"({"state":"NY"})",
                                   {{"Content-Type", "application/json"}})
                             .body)["bid"],
            "3");
}

}  // namespace
}  // namespace pp::testkit
