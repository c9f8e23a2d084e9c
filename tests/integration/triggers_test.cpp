// Campaign triggers and supplier postbacks (issue 18, B7) through the real server: postbacks with
// merge tags and the lead's outcome, conditions, "send to another campaign" as a new linked lead,
// a trigger delayed to the next business day across a DST change (injected clock), and emails
// through a STARTTLS relay with AUTH (Debian's aiosmtpd as a loopback sink).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "app_fixture.h"
#include "smtp_sink.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class Triggers : public AppFixture {
 protected:
  // A test's injected clock: a member, so that it outlives the app (torn down after the body).
  ManualClock clock_{0};
  // Campaign 100 (buyer 300 at $10) and campaign 101 (supplier 210, buyer 310 at $7).
  json::object two_campaigns(FakeBuyer& buyer) {
    json::object cfg = base_config({http_buyer(300, 2, buyer.url("/post"), 1)});
    json::object other = campaign_cfg(cfg);
    other["id"] = 101;
    other["name"] = "Second chance";
    other["suppliers"] =
        json::parse(R"([{"id": 210, "client_id": 1, "lp_key": "supplier-key-210"}])");
    other["buyers"] = json::array{http_buyer(310, 3, buyer.url("/second"), 1, "7")};
    cfg["campaigns"].as_array().push_back(other);
    cfg["outbox"] = json::parse(R"({"retry_base_ms": 40, "retry_max_ms": 200})");
    buyer.on("/post", FakeReply::json(R"({"status":"accepted"})"));
    buyer.on("/second", FakeReply::json(R"({"status":"accepted"})"));
    return cfg;
  }
  std::string lead(const std::string& state = "NY", const std::string& click = "") {
    return R"({"lp_subid2":")" + std::to_string(++seq_) + R"(","lp_subid1":")" + click +
           R"(","lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200",)"
           R"("first_name":"Ann","email":"ann@example.org","phone":"(410) 309-7989",)"
           R"("state":")" +
           state + R"(","zip_code":"01341"})";
  }
  int seq_ = 0;
  HttpReply call(const std::string& method, const std::string& target,
                 const std::string& body = {}) {
    return http_call(
        app_->port(), method, target, body,
        {{"Authorization", "Bearer test-admin-token"}, {"Content-Type", "application/json"}});
  }
  json::array deliveries(const std::string& query = "") {
    json::object o = parse_object(call("GET", "/admin/deliveries?limit=500" + query).body);
    return o["data"].as_array();
  }
  static std::vector<Received> at(const FakeBuyer& fb, std::string_view path) {
    std::vector<Received> out;
    for (auto& r : fb.received())
      if (r.target.substr(0, r.target.find('?')) == path) out.push_back(r);
    return out;
  }
};

TEST_F(Triggers, PostbacksAndConditionalTriggersCarryTheOutcome) {
  FakeBuyer buyer, tracker;
  tracker.on("/pb", FakeReply::json("ok"));
  tracker.on("/crm", FakeReply::json("{}"));
  json::object cfg = two_campaigns(buyer);
  json::object& c = campaign_cfg(cfg);
  c["suppliers"].as_array()[0].as_object()["postbacks"] = json::parse(
      R"([{"on": "sale", "request": {"method": "GET", "url": ")" + tracker.url("/pb") +
      R"(?click={{lp_subid1}}&payout={{lp_cost}}&event=sale"}},
          {"on": "return", "request": {"method": "GET", "url": ")" +
      tracker.url("/pb") + R"(?click={{lp_subid1}}&event=return&why={{lp_return_reason}}"}}])");
  c["triggers"] = json::parse(
      R"([{"id": 1, "name": "Sold in NY to the CRM", "events": ["lead.accepted"],
           "when": {"all": [{"field": "state", "op": "one_of", "values": ["NY"]},
                            {"field": "lp_price", "op": "gte", "value": "5"}]},
           "actions": [{"type": "http", "request": {"url": ")" +
      tracker.url("/crm") +
      R"(", "format": "json",
             "fields": {"lead": "{{lp_lead_id}}", "status": "{{lp_status}}",
                        "buyer": "{{lp_buyer_id}}", "price": "{{lp_price}}",
                        "event": "{{lp_event}}", "email": "{{email}}"}}}]}])");
  start(cfg);
  HttpReply a = post_lead(lead("NY", "click-abc"));
  ASSERT_EQ(parse_object(a.body)["status"], "ACCEPTED") << a.body;
  const std::string lead_id(parse_object(a.body)["lead_id"].as_string());
  HttpReply b = post_lead(lead("NJ", "click-def"));  // sold, but not in NY: no CRM call
  ASSERT_EQ(parse_object(b.body)["status"], "ACCEPTED") << b.body;
  ASSERT_TRUE(eventually(
      [&] { return at(tracker, "/pb").size() == 2 && at(tracker, "/crm").size() == 1; }));
  std::set<std::string> targets;
  for (const Received& r : at(tracker, "/pb")) targets.insert(r.target);
  EXPECT_TRUE(targets.count("/pb?click=click-abc&payout=4.25&event=sale")) << *targets.begin();
  EXPECT_TRUE(targets.count("/pb?click=click-def&payout=4.25&event=sale"));
  json::object crm = parse_object(at(tracker, "/crm")[0].body);
  EXPECT_EQ(crm["lead"], lead_id.c_str());
  EXPECT_EQ(crm["status"], "ACCEPTED");
  EXPECT_EQ(crm["buyer"], "300");
  EXPECT_EQ(crm["price"], "10");
  EXPECT_EQ(crm["event"], "lead.accepted");
  EXPECT_EQ(crm["email"], "ann@example.org");
  // The return calls the supplier's return postback with the reason.
  HttpReply ret = call("POST", "/public/lead/return",
                       R"({"lead_id":")" + lead_id + R"(","reason":"wrong number"})");
  ASSERT_EQ(ret.status, 200) << ret.body;
  ASSERT_TRUE(eventually([&] { return at(tracker, "/pb").size() == 3; }));
  EXPECT_EQ(at(tracker, "/pb").back().target, "/pb?click=click-abc&event=return&why=wrong+number");
  // In the delivery log by source.
  json::array log = deliveries("&lead_id=" + lead_id);
  std::multiset<std::string> sources;
  for (const auto& d : log) sources.insert(std::string(d.as_object().at("source").as_string()));
  EXPECT_EQ(sources.count("postback"), 2u);
  EXPECT_EQ(sources.count("trigger"), 1u);
}

TEST_F(Triggers, SendToAnotherCampaignMakesALinkedLead) {
  FakeBuyer buyer;
  json::object cfg = two_campaigns(buyer);
  // Campaign 100's buyer refuses NJ leads: a rejected lead gets a second chance in 101.
  buyer.on("/post", [](const Received& r) {
    return FakeReply::json(r.body.find("\"NJ\"") != std::string::npos
                               ? R"({"status":"rejected","reason":"no NJ"})"
                               : R"({"status":"accepted"})");
  });
  campaign_cfg(cfg)["triggers"] = json::parse(
      R"([{"id": 2, "events": ["lead.rejected"],
           "actions": [{"type": "campaign", "campaign_id": 101, "supplier_id": 210}]}])");
  start(cfg);
  HttpReply a = post_lead(lead("NJ"));
  json::object answer = parse_object(a.body);
  ASSERT_EQ(answer["status"], "ERROR") << a.body;
  const std::string first(answer["lead_id"].as_string());
  ASSERT_TRUE(eventually([&] { return buyer.count("/second") == 1; }));
  ASSERT_TRUE(eventually([&] {
    json::array d = deliveries("&lead_id=" + first);
    return !d.empty() && d[0].as_object().at("status") == "delivered";
  }));
  json::object d = deliveries("&lead_id=" + first)[0].as_object();
  const std::string summary(d["last_attempt"].as_object()["response_excerpt"].as_string());
  ASSERT_EQ(summary.rfind("lead ", 0), 0u) << summary;
  const std::string second = summary.substr(5, 20);
  HttpReply view = call("GET", "/admin/leads/" + second);
  ASSERT_EQ(view.status, 200) << view.body;
  json::object l = parse_object(view.body);
  EXPECT_EQ(l["campaign_id"], 101);
  EXPECT_EQ(l["status"], "ACCEPTED");
  bool linked = false;
  for (const auto& t : l["tags"].as_array()) linked |= t.as_string() == "from:" + first;
  EXPECT_TRUE(linked) << view.body;
}

TEST_F(Triggers, ADelayedTriggerWaitsForTheNextBusinessDayAcrossDst) {
  FakeBuyer buyer, tracker;
  tracker.on("/later", FakeReply::json("{}"));
  json::object cfg = two_campaigns(buyer);
  campaign_cfg(cfg)["triggers"] = json::parse(
      R"([{"id": 3, "events": ["lead.accepted"], "timing": {"mode": "next_business_day"},
           "actions": [{"type": "http", "request": {"method": "GET", "url": ")" +
      tracker.url("/later") + R"(?lead={{lp_lead_id}}"}},
                       {"type": "campaign", "campaign_id": 101, "supplier_id": 210}]}])");
  // Friday 2026-03-06 18:00 in New York (EST, 23:00 UTC); clocks go forward on Sunday the 8th.
  UnixMs friday = 0;
  ASSERT_TRUE(local_to_utc(TimeZone::utc(), 2026, 3, 6, 23, 0, 0, friday));
  ManualClock& clock = clock_;
  clock.set(friday);
  start(cfg, {}, &clock);
  HttpReply a = post_lead(lead());
  ASSERT_EQ(parse_object(a.body)["status"], "ACCEPTED") << a.body;
  json::array waiting = deliveries("&status=pending");
  ASSERT_EQ(waiting.size(), 2u);
  // Monday 09:00 in New York is 13:00 UTC after the change (it was 14:00 the Monday before).
  for (const auto& w : waiting)
    EXPECT_EQ(w.as_object().at("next_attempt_at"), "2026-03-09T13:00:00.000Z");
  // Monday 08:59:59 local: still waiting.
  clock.set(friday + (2 * 86400 + 14 * 3600 - 1) * 1000LL);
  std::this_thread::sleep_for(1500ms);  // more than the sender's longest sleep (1 s)
  EXPECT_EQ(tracker.count("/later"), 0u);
  EXPECT_EQ(deliveries("&status=pending").size(), 2u);
  // 09:00: both go.
  clock.set(friday + (2 * 86400 + 14 * 3600) * 1000LL);
  ASSERT_TRUE(eventually([&] { return deliveries("&status=delivered").size() == 2; }));
  EXPECT_EQ(tracker.count("/later"), 1u);
  ASSERT_EQ(buyer.count("/second"), 1u);
  // The resent lead is tagged delayed_lead.
  std::string resent;
  for (const auto& d : deliveries("&status=delivered")) {
    const std::string x(
        d.as_object().at("last_attempt").as_object().at("response_excerpt").as_string());
    if (x.rfind("lead ", 0) == 0) resent = x.substr(5, 20);
  }
  ASSERT_EQ(resent.size(), 20u);
  json::object l = parse_object(call("GET", "/admin/leads/" + resent).body);
  std::set<std::string> tags;
  for (const auto& t : l["tags"].as_array()) tags.insert(std::string(t.as_string()));
  EXPECT_TRUE(tags.count("delayed_lead")) << json::serialize(l["tags"]);
}

// A delivery waiting for later (a delayed trigger's) and a retry due before it at the same
// destination: the retry is not held behind it (the sender resumes its schedule scans where they
// stopped, and a rescheduled delivery moves that point back).
TEST_F(Triggers, ARetryIsNotHeldBehindALaterDeliveryOfTheSameWebhook) {
  FakeBuyer buyer, receiver;
  std::atomic<int> calls{0};
  receiver.on("/hook", [&](const Received&) {
    return ++calls == 1 ? FakeReply{500, "once"} : FakeReply::json("{}");
  });
  json::object cfg = two_campaigns(buyer);
  cfg["webhooks"] = json::parse(R"([{"id": 1, "url": ")" + receiver.url("/hook") +
                                R"(", "events": ["lead.accepted"]}])");
  campaign_cfg(cfg)["triggers"] = json::parse(
      R"([{"id": 6, "events": ["lead.accepted"], "timing": {"mode": "delay", "delay_minutes": 30},
           "actions": [{"type": "webhook", "webhook_id": 1}]}])");
  start(cfg);
  ASSERT_EQ(post_lead(lead()).status, 200);
  // The lead's own event fails once, is retried within a second and delivered; the trigger's
  // copy waits its 30 minutes.
  ASSERT_TRUE(eventually([&] { return deliveries("&status=delivered").size() == 1; }));
  EXPECT_EQ(calls.load(), 2);
  json::array waiting = deliveries("&status=pending");
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting[0].as_object().at("source"), "webhook");
}

TEST_F(Triggers, EmailsGoThroughAStartTlsRelayWithAuth) {
  const std::string dir = temp_dir("smtp");
  SmtpSink sink(dir, "pingpost", "relay-secret", "bounce@example.org");
  ASSERT_TRUE(sink.running()) << "the SMTP sink (python3-aiosmtpd) did not start";
  setenv("PP_TEST_SMTP_PASSWORD", "relay-secret", 1);
  setenv("PP_TEST_SMTP_WRONG", "not-it", 1);
  FakeBuyer buyer;
  json::object cfg = two_campaigns(buyer);
  cfg["email"] = json::object{{"smtp_host", "127.0.0.1"},
                              {"smtp_port", sink.port()},
                              {"tls", "starttls"},
                              {"username", "pingpost"},
                              {"password_env", "PP_TEST_SMTP_PASSWORD"},
                              {"from", "alerts@pingpost.example"},
                              {"ca_file", cert_dir() + "/ca.pem"},
                              {"timeout_ms", 10000}};
  campaign_cfg(cfg)["triggers"] = json::parse(
      R"([{"id": 4, "events": ["lead.accepted"],
           "actions": [{"type": "email", "to": ["ops@example.org"],
                        "subject": "Lead {{lp_lead_id}} {{lp_status}}",
                        "body": "Sold to buyer {{lp_buyer_id}} for {{lp_price}}.\n.\nEnd."}]},
          {"id": 5, "events": ["lead.accepted"],
           "actions": [{"type": "email", "to": ["bounce@example.org"], "subject": "x",
                        "body": "y"}]}])");
  start(cfg);
  HttpReply a = post_lead(lead());
  const std::string lead_id(parse_object(a.body)["lead_id"].as_string());
  ASSERT_TRUE(eventually([&] { return sink.messages().size() == 1; }));
  json::object m = sink.messages()[0];
  EXPECT_EQ(m["tls"], true);
  EXPECT_EQ(m["authenticated"], true);
  EXPECT_EQ(m["mail_from"], "alerts@pingpost.example");
  EXPECT_EQ(m["subject"], ("Lead " + lead_id + " ACCEPTED").c_str());
  std::string body(m["body"].as_string());
  body.erase(std::remove(body.begin(), body.end(), '\r'), body.end());
  EXPECT_EQ(body, "Sold to buyer 300 for 10.\n.\nEnd.\n");  // dot-stuffed on the wire
  const std::string mid(m["message_id"].as_string());
  EXPECT_EQ(mid.rfind("<msg_", 0), 0u) << mid;
  // The refused recipient fails for good (5xx), without retries.
  ASSERT_TRUE(eventually([&] { return deliveries("&status=failed").size() == 1; }));
  json::object failed = deliveries("&status=failed")[0].as_object();
  EXPECT_EQ(failed["attempt_count"], 1);
  EXPECT_NE(std::string(failed["reason"].as_string()).find("550"), std::string::npos)
      << failed["reason"];

  // A wrong password is retried (the relay may be fixed), and the password is never logged.
  json::object doc = parse_object(call("GET", "/admin/config").body);
  doc["email"].as_object()["password_env"] = "PP_TEST_SMTP_WRONG";
  doc["email"].as_object()["timeout_ms"] = 2000;
  ASSERT_EQ(call("PUT", "/admin/config", json::serialize(doc)).status, 200);
  post_lead(lead());
  ASSERT_TRUE(eventually([&] {
    for (const auto& d : deliveries("&status=pending")) {
      const auto& o = d.as_object();
      if (o.at("attempt_count").as_int64() >= 2) return true;
    }
    return false;
  })) << call("GET", "/admin/deliveries").body;
  const std::string log = call("GET", "/admin/deliveries?status=pending").body;
  EXPECT_NE(log.find("AUTH"), std::string::npos) << log;
  EXPECT_EQ(log.find("not-it"), std::string::npos);
  EXPECT_EQ(sink.messages().size(), 1u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pp::testkit
