// Webhooks through the durable outbox (issue 18), with the real server and receivers on loopback
// that answer, fail, stall, redirect or say 410 Gone: Standard Webhooks signatures checked with
// libsodium (an implementation independent of the server's OpenSSL), the same webhook-id on every
// attempt, retries on a backoff schedule, the endpoint disabled on 410, lead intake answered while
// a receiver stalls, secret rotation (two signatures), events of changes, pauses, caps and returns,
// the delivery log (filters, cursor paging, replay), and the concurrency limit per destination.
#include <gtest/gtest.h>
#include <sodium.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "app_fixture.h"
#include "faulty_store.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// Standard Webhooks verification, written from the specification with libsodium: the secret's
// bytes are the base64 after "whsec_"; the header holds space-separated "v1,<base64>" entries.
bool verify(const std::string& secret, const Received& r) {
  if (sodium_init() < 0) return false;
  const std::string b64 = secret.substr(6);
  std::vector<unsigned char> key(b64.size());
  size_t key_len = 0;
  if (sodium_base642bin(key.data(), key.size(), b64.data(), b64.size(), nullptr, &key_len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0)
    return false;
  const std::string content =
      r.header("webhook-id") + "." + r.header("webhook-timestamp") + "." + r.body;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.data(), key_len);
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(content.data()),
                                content.size());
  crypto_auth_hmacsha256_final(&st, mac);
  char expected[sodium_base64_ENCODED_LEN(crypto_auth_hmacsha256_BYTES,
                                          sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(expected, sizeof expected, mac, sizeof mac, sodium_base64_VARIANT_ORIGINAL);
  const std::string want = std::string("v1,") + expected;
  const std::string header = r.header("webhook-signature");
  for (std::string_view rest = header; !rest.empty();) {
    const size_t sp = rest.find(' ');
    if (rest.substr(0, sp) == want) return true;
    if (sp == std::string_view::npos) break;
    rest.remove_prefix(sp + 1);
  }
  return false;
}

class Webhooks : public AppFixture {
 protected:
  // A test's injected clock: a member, so that it outlives the app (torn down after the body).
  ManualClock clock_{0};
  // base_config with a buyer that buys, an outbox that retries fast, and `hooks`.
  json::object config_with(json::array hooks, FakeBuyer& buyer) {
    json::object cfg = base_config({http_buyer(300, 2, buyer.url("/post"), 1)});
    cfg["webhooks"] = std::move(hooks);
    cfg["outbox"] =
        json::parse(R"({"retry_base_ms": 40, "retry_max_ms": 200, "breaker_failures": 0})");
    buyer.on("/post", FakeReply::json(R"({"status":"accepted","id":"B-1"})"));
    return cfg;
  }
  static json::object hook(int64_t id, const std::string& url, json::array events) {
    return json::object{{"id", id},
                        {"name", "hook " + std::to_string(id)},
                        {"url", url},
                        {"events", std::move(events)}};
  }
  std::string lead() {
    return R"({"lp_subid2":")" + std::to_string(++seq_) +
           R"(","lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200",)"
           R"("first_name":"Ann","email":"ann@example.org","phone":"(410) 309-7989",)"
           R"("state":"NY","zip_code":"01341"})";
  }
  int seq_ = 0;
  HttpReply call(const std::string& method, const std::string& target, const std::string& body = {},
                 const std::string& token = "test-admin-token") {
    return http_call(app_->port(), method, target, body,
                     {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
  }
  std::vector<std::string> secrets(int64_t webhook) {
    HttpReply r = call("GET", "/admin/webhooks/" + std::to_string(webhook) + "/secret");
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    json::object o = parse_object(r.body);
    for (const auto& s : o["secrets"].as_array())
      out.emplace_back(s.as_object().at("secret").as_string());
    return out;
  }
  static std::vector<Received> at(const FakeBuyer& fb, std::string_view path) {
    std::vector<Received> out;
    for (auto& r : fb.received())
      if (r.target == path) out.push_back(r);
    return out;
  }
  static json::object body_of(const Received& r) { return parse_object(r.body); }
};

TEST_F(Webhooks, ALeadIsAnnouncedSignedWithTheSameIdOnEveryAttempt) {
  FakeBuyer buyer, receiver;
  std::atomic<int> calls{0};
  // Fails twice (500, then a redirect that must not be followed), then takes it.
  receiver.on("/hook", [&](const Received&) {
    int n = ++calls;
    if (n == 1) return FakeReply{500, "oops"};
    if (n == 2) {
      FakeReply r{302, ""};
      r.headers = {{"Location", "/elsewhere"}};
      return r;
    }
    return FakeReply::json("{}");
  });
  receiver.on("/elsewhere", FakeReply::json("{}"));
  start(config_with({hook(1, receiver.url("/hook"), {"lead.accepted", "lead.rejected"})}, buyer));

  HttpReply a = post_lead(lead());
  ASSERT_EQ(a.status, 200) << a.body;
  const std::string lead_id(parse_object(a.body)["lead_id"].as_string());
  ASSERT_TRUE(eventually([&] { return at(receiver, "/hook").size() >= 3; }));
  std::vector<Received> got = at(receiver, "/hook");
  ASSERT_EQ(got.size(), 3u);  // delivered on the third: never a fourth
  EXPECT_EQ(receiver.count("/elsewhere"), 0u) << "redirects are not followed";
  const std::vector<std::string> keys = secrets(1);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].rfind("whsec_", 0), 0u);
  std::set<std::string> timestamps;
  for (const Received& r : got) {
    EXPECT_EQ(r.header("webhook-id"), got[0].header("webhook-id"));
    EXPECT_EQ(r.header("webhook-id").rfind("msg_", 0), 0u);
    EXPECT_TRUE(verify(keys[0], r)) << r.header("webhook-signature");
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.body, got[0].body);
    timestamps.insert(r.header("webhook-timestamp"));
  }
  // A tampered body or another secret does not verify.
  Received forged = got[0];
  forged.body.replace(forged.body.find("ACCEPTED"), 8, "DUPLICATED");
  EXPECT_FALSE(verify(keys[0], forged));
  EXPECT_FALSE(verify("whsec_" + std::string(44, 'A'), got[0]));

  json::object body = body_of(got[0]);
  EXPECT_EQ(body["type"], "lead.accepted");
  json::object data = body["data"].as_object();
  EXPECT_EQ(data["lead_id"], lead_id.c_str());
  EXPECT_EQ(data["campaign_id"], 100);
  EXPECT_EQ(data["status"], "ACCEPTED");
  EXPECT_FALSE(data.contains("fields")) << "no personal data unless include_lead";
  EXPECT_EQ(got[0].body.find("ann@example.org"), std::string::npos);

  // The delivery log: three attempts, delivered (written just after the receiver answered).
  ASSERT_TRUE(eventually([&] {
    return call("GET", "/admin/deliveries?lead_id=" + lead_id + "&status=delivered")
               .body.find("msg_") != std::string::npos;
  }));
  HttpReply list = call("GET", "/admin/deliveries?lead_id=" + lead_id);
  ASSERT_EQ(list.status, 200) << list.body;
  json::array rows = parse_object(list.body)["data"].as_array();
  ASSERT_EQ(rows.size(), 1u);
  json::object row = rows[0].as_object();
  EXPECT_EQ(row["status"], "delivered");
  EXPECT_EQ(row["attempt_count"], 3);
  EXPECT_EQ(row["id"], got[0].header("webhook-id").c_str());
  HttpReply one = call("GET", "/admin/deliveries/" + std::string(row["id"].as_string()));
  ASSERT_EQ(one.status, 200);
  json::object whole = parse_object(one.body);
  json::array attempts = whole["attempts"].as_array();
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_EQ(attempts[0].as_object()["http_status"], 500);
  EXPECT_EQ(attempts[0].as_object()["response_excerpt"], "oops");
  EXPECT_EQ(attempts[1].as_object()["http_status"], 302);
  EXPECT_EQ(attempts[2].as_object()["http_status"], 200);
  EXPECT_EQ(whole["body"], got[0].body.c_str());
}

// The verification code README.md prints, in Python and JavaScript, run against a real delivery.
TEST_F(Webhooks, TheReadmeVerifiersAcceptRealDeliveries) {
  FakeBuyer buyer, receiver;
  receiver.on("/hook", FakeReply::json("{}"));
  start(config_with({hook(1, receiver.url("/hook"), {"lead.accepted"})}, buyer));
  ASSERT_EQ(post_lead(lead()).status, 200);
  ASSERT_TRUE(eventually([&] { return receiver.count("/hook") == 1; }));
  const Received r = at(receiver, "/hook")[0];
  json::object headers;
  for (const char* h : {"webhook-id", "webhook-timestamp", "webhook-signature"})
    headers[h] = r.header(h);
  const std::string dir = temp_dir("readme");
  const std::string file = dir + "/delivery.json";
  std::ofstream(file) << json::serialize(json::object{{"headers", headers}, {"body", r.body}});
  const std::string cmd = "/usr/bin/python3 " + std::string(PP_SOURCE_DIR) +
                          "/tests/support/readme_verifiers.py --readme " +
                          std::string(PP_SOURCE_DIR) + "/README.md --secret " + secrets(1).at(0) +
                          " --delivery " + file;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::filesystem::remove_all(dir);
}

// When an attempt's outcome cannot be written the delivery stays due: it is sent again, after a
// pause — never in a tight loop — and once storage recovers it is delivered and done.
TEST_F(Webhooks, AnOutcomeThatCannotBeWrittenIsRetriedAfterAPause) {
  FakeBuyer buyer, receiver;
  receiver.on("/hook", FakeReply::json("{}"));
  FaultyStore* faulty = nullptr;
  start(config_with({hook(1, receiver.url("/hook"), {"lead.accepted"})}, buyer), {}, nullptr,
        [&](std::unique_ptr<storage::Store> s) {
          auto f = std::make_unique<FaultyStore>(std::move(s));
          faulty = f.get();
          return f;
        });
  faulty->fail_outbox_writes = true;
  ASSERT_EQ(post_lead(lead()).status, 200);
  ASSERT_TRUE(eventually([&] { return receiver.count("/hook") >= 2; }));
  std::this_thread::sleep_for(2s);
  // A pause of a second between attempts: a handful in these seconds, not thousands.
  EXPECT_LE(receiver.count("/hook"), 8u);
  faulty->fail_outbox_writes = false;
  ASSERT_TRUE(eventually([&] {
    return parse_object(call("GET", "/admin/deliveries?status=delivered").body)["data"]
               .as_array()
               .size() == 1;
  }));
  std::set<std::string> ids;
  for (const Received& r : at(receiver, "/hook")) ids.insert(r.header("webhook-id"));
  EXPECT_EQ(ids.size(), 1u);
}

TEST_F(Webhooks, GoneDisablesTheEndpointThroughTheChangeLog) {
  FakeBuyer buyer, receiver;
  receiver.on("/gone", FakeReply{410, "unsubscribed"});
  start(config_with({hook(7, receiver.url("/gone"), {"lead.accepted"})}, buyer));
  ASSERT_EQ(post_lead(lead()).status, 200);
  ASSERT_TRUE(eventually([&] {
    json::object w = parse_object(call("GET", "/admin/webhooks/7").body);
    return w.contains("enabled") && w["enabled"] == false;
  }));
  json::object w = parse_object(call("GET", "/admin/webhooks/7").body);
  EXPECT_NE(std::string(w["disabled_reason"].as_string()).find("410"), std::string::npos);
  // In the change log, by the outbox.
  json::object changes = parse_object(call("GET", "/admin/changes?entity=webhook").body);
  json::array entries = changes["changes"].as_array();
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.back().as_object()["actor"], "outbox");
  EXPECT_EQ(entries.back().as_object()["op"], "disable");
  // The delivery was cancelled; the next lead makes none (the webhook is off).
  json::array rows = parse_object(call("GET", "/admin/deliveries").body)["data"].as_array();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].as_object()["status"], "cancelled");
  ASSERT_EQ(post_lead(lead()).status, 200);
  EXPECT_EQ(parse_object(call("GET", "/admin/deliveries").body)["data"].as_array().size(), 1u);
  EXPECT_EQ(receiver.count("/gone"), 1u);
}

TEST_F(Webhooks, AStalledReceiverNeverHoldsLeadIntake) {
  FakeBuyer buyer, receiver;
  // The receiver reads every request and never answers, until the test changes its mind.
  FakeReply stall;
  stall.silent = true;
  receiver.on("/slow", stall);
  json::object cfg = config_with({hook(1, receiver.url("/slow"), {"*"})}, buyer);
  cfg["outbox"].as_object()["max_in_flight_per_destination"] = 2;
  cfg["outbox"].as_object()["attempt_timeout_ms"] = 5000;
  start(cfg);
  // Twenty leads are answered while the receiver holds its first requests.
  for (int i = 0; i < 20; ++i) {
    HttpReply r = post_lead(lead());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse_object(r.body)["status"], "ACCEPTED");
  }
  ASSERT_TRUE(eventually([&] { return receiver.count("/slow") == 2; }));
  EXPECT_EQ(receiver.count("/slow"), 2u) << "two in flight at most (max_in_flight_per_destination)";
  json::array waiting =
      parse_object(call("GET", "/admin/deliveries?status=pending&limit=500").body)["data"]
          .as_array();
  EXPECT_EQ(waiting.size(), 20u);
  // The receiver recovers: the two stalled attempts time out and are retried with the rest.
  receiver.on("/slow", FakeReply::json("{}"));
  ASSERT_TRUE(eventually([&] {
    return parse_object(call("GET", "/admin/deliveries?status=delivered&limit=500").body)["data"]
               .as_array()
               .size() == 20;
  }));
  std::set<std::string> ids;
  for (const Received& r : at(receiver, "/slow")) ids.insert(r.header("webhook-id"));
  EXPECT_EQ(ids.size(), 20u);
  EXPECT_EQ(receiver.count("/slow"), 22u) << "the two that timed out were sent twice";
}

TEST_F(Webhooks, RotationSignsWithBothSecretsUntilTheOldOneExpires) {
  FakeBuyer buyer, receiver;
  receiver.on("/hook", FakeReply::json("{}"));
  ManualClock& clock = clock_;
  clock.set(SystemClock::instance().now_ms());
  start(config_with({hook(3, receiver.url("/hook"), {"lead.accepted"})}, buyer), {}, &clock);
  const std::string old_secret = secrets(3).at(0);
  // Only an admin token sees or rotates secrets.
  EXPECT_EQ(call("GET", "/admin/webhooks/3/secret", "", "test-read-token").status, 403);
  EXPECT_EQ(call("POST", "/admin/webhooks/3/rotate", "", "test-read-token").status, 403);
  HttpReply rot = call("POST", "/admin/webhooks/3/rotate");
  ASSERT_EQ(rot.status, 200) << rot.body;
  json::array pair = parse_object(rot.body)["secrets"].as_array();
  ASSERT_EQ(pair.size(), 2u);
  const std::string new_secret(pair[0].as_object()["secret"].as_string());
  EXPECT_NE(new_secret, old_secret);
  EXPECT_EQ(pair[1].as_object()["secret"], old_secret.c_str());
  EXPECT_TRUE(pair[1].as_object()["expires_at"].is_string());
  // The secrets are not in the configuration or its change log (versions only).
  EXPECT_EQ(call("GET", "/admin/config").body.find(new_secret.substr(6)), std::string::npos);
  EXPECT_EQ(call("GET", "/admin/changes").body.find(old_secret.substr(6)), std::string::npos);

  ASSERT_EQ(post_lead(lead()).status, 200);
  ASSERT_TRUE(eventually([&] { return receiver.count("/hook") == 1; }));
  Received r = at(receiver, "/hook").at(0);
  EXPECT_TRUE(verify(new_secret, r));
  EXPECT_TRUE(verify(old_secret, r));
  EXPECT_NE(r.header("webhook-signature").find(' '), std::string::npos);
  // A day later (secret_overlap_hours: 24) the old secret signs no more.
  clock.advance_ms(24 * 3'600'000 + 1000);
  ASSERT_EQ(post_lead(lead()).status, 200);
  ASSERT_TRUE(eventually([&] { return receiver.count("/hook") == 2; }));
  Received later = at(receiver, "/hook").at(1);
  EXPECT_TRUE(verify(new_secret, later));
  EXPECT_FALSE(verify(old_secret, later));
  EXPECT_EQ(later.header("webhook-signature").find(' '), std::string::npos);
  EXPECT_EQ(std::stoll(later.header("webhook-timestamp")), clock.now_ms() / 1000);
  EXPECT_EQ(secrets(3).size(), 2u) << "the expired version stays listed until the next rotation";
}

TEST_F(Webhooks, ChangesPausesCapsAndReturnsAreEvents) {
  FakeBuyer buyer, receiver;
  receiver.on("/hook", FakeReply::json("{}"));
  json::object cfg = config_with({hook(1, receiver.url("/hook"), {"*"})}, buyer);
  // The buyer takes one lead a day.
  campaign_cfg(cfg)["buyers"].as_array()[0].as_object()["caps"] =
      json::parse(R"({"leads": [{"type": "day", "limit": 1}]})");
  start(cfg);
  HttpReply a = post_lead(lead());
  ASSERT_EQ(parse_object(a.body)["status"], "ACCEPTED") << a.body;
  const std::string lead_id(parse_object(a.body)["lead_id"].as_string());
  // A return, a manual pause and resume, a configuration change.
  HttpReply ret = call("POST", "/public/lead/return",
                       R"({"lead_id":")" + lead_id + R"(","reason":"bad phone"})");
  ASSERT_EQ(ret.status, 200) << ret.body;
  ASSERT_EQ(call("GET", "/public/campaigns/100/pause_buyer/300").status, 200);
  ASSERT_EQ(call("GET", "/public/campaigns/100/resume_buyer/300").status, 200);
  auto types = [&] {
    std::multiset<std::string> t;
    for (const Received& r : at(receiver, "/hook"))
      t.insert(std::string(body_of(r)["type"].as_string()));
    return t;
  };
  ASSERT_TRUE(eventually([&] { return types().size() >= 8; })) << types().size();
  std::multiset<std::string> t = types();
  EXPECT_EQ(t.count("lead.accepted"), 1u);
  EXPECT_EQ(t.count("cap.reached"), 1u);
  EXPECT_EQ(t.count("lead.returned"), 1u);
  EXPECT_EQ(t.count("buyer.paused"), 2u);  // the cap, then the manual pause
  EXPECT_EQ(t.count("buyer.resumed"), 1u);
  EXPECT_EQ(t.count("config.changed"), 2u);
  for (const Received& r : at(receiver, "/hook")) {
    json::object b = body_of(r);
    json::object d = b["data"].as_object();
    if (b["type"] == "cap.reached") {
      EXPECT_EQ(d["owner"], "buyer");
      EXPECT_EQ(d["owner_id"], 300);
      EXPECT_EQ(d["period"], "day");
      EXPECT_EQ(d["limit"], 1);
      EXPECT_EQ(d["lead_id"], lead_id.c_str());
    }
    if (b["type"] == "buyer.paused") {
      EXPECT_TRUE(d["cause"] == "cap_reached" || d["cause"] == "manual") << r.body;
    }
    if (b["type"] == "lead.returned") {
      EXPECT_EQ(d["return_reason"], "bad phone");
    }
    if (b["type"] == "config.changed") {
      EXPECT_EQ(d["entity"], "buyer");
      EXPECT_EQ(d["actor"], "admin");
    }
  }
  // A second lead the buyer cannot take fills no cap again.
  HttpReply b = post_lead(lead());
  ASSERT_EQ(b.status, 200);
  ASSERT_TRUE(eventually([&] { return types().count("lead.rejected") == 1; }));
  EXPECT_EQ(types().count("cap.reached"), 1u);
}

TEST_F(Webhooks, IncludeLeadAndCampaignFiltersChooseWhatIsSent) {
  FakeBuyer buyer, receiver;
  receiver.on("/all", FakeReply::json("{}"));
  receiver.on("/other", FakeReply::json("{}"));
  json::object with_lead = hook(1, receiver.url("/all"), {"lead.accepted"});
  with_lead["include_lead"] = true;
  json::object other = hook(2, receiver.url("/other"), {"lead.accepted", "config.changed"});
  other["campaigns"] = json::array{100};
  other["enabled"] = false;
  start(config_with({with_lead, other}, buyer));
  ASSERT_EQ(post_lead(lead()).status, 200);
  ASSERT_TRUE(eventually([&] { return receiver.count("/all") == 1; }));
  json::object d = body_of(at(receiver, "/all")[0])["data"].as_object();
  ASSERT_TRUE(d.contains("fields"));
  EXPECT_EQ(d["fields"].as_object()["email"], "ann@example.org");
  EXPECT_EQ(receiver.count("/other"), 0u) << "a disabled webhook gets nothing";
}

TEST_F(Webhooks, TheDeliveryLogPagesFiltersAndReplays) {
  FakeBuyer buyer, receiver;
  receiver.on("/hook", FakeReply::json("{}"));
  start(config_with({hook(1, receiver.url("/hook"), {"lead.accepted"})}, buyer));
  for (int i = 0; i < 7; ++i) ASSERT_EQ(post_lead(lead()).status, 200);
  ASSERT_TRUE(eventually([&] { return receiver.count("/hook") == 7; }));
  ASSERT_TRUE(eventually([&] {
    return parse_object(call("GET", "/admin/deliveries?status=delivered").body)["data"]
               .as_array()
               .size() == 7;
  }));
  // Pages of three, newest first, by cursor: every delivery once.
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 5; ++page) {
    HttpReply r = call("GET", "/admin/deliveries?limit=3&event=lead.accepted" +
                                  (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    json::object o = parse_object(r.body);
    for (const auto& row : o["data"].as_array())
      seen.emplace_back(row.as_object().at("id").as_string());
    if (o["next_cursor"].is_null()) break;
    cursor = std::string(o["next_cursor"].as_string());
  }
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend()));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 7u);
  EXPECT_EQ(
      parse_object(call("GET", "/admin/deliveries?status=pending").body)["data"].as_array().size(),
      0u);
  EXPECT_EQ(parse_object(call("GET", "/admin/deliveries?event=lead.rejected").body)["data"]
                .as_array()
                .size(),
            0u);
  EXPECT_EQ(call("GET", "/admin/deliveries?status=maybe").status, 400);
  EXPECT_EQ(call("GET", "/admin/deliveries?since=yesterday").status, 400);
  EXPECT_EQ(call("GET", "/admin/deliveries?since=2000-01-01T00:00:00Z").status, 200);
  // Replay: sent again with the same webhook-id.
  const std::string id = seen[3];
  EXPECT_EQ(call("POST", "/admin/deliveries/" + id + "/replay", "", "test-read-token").status, 403);
  EXPECT_EQ(call("POST", "/admin/deliveries/msg_nothing/replay").status, 404);
  HttpReply rep = call("POST", "/admin/deliveries/" + id + "/replay");
  ASSERT_EQ(rep.status, 202) << rep.body;
  ASSERT_TRUE(eventually([&] { return receiver.count("/hook") == 8; }));
  EXPECT_EQ(at(receiver, "/hook").back().header("webhook-id"), id);
  ASSERT_TRUE(eventually([&] {
    json::object one = parse_object(call("GET", "/admin/deliveries/" + id).body);
    return one["status"] == "delivered" && one["attempt_count"] == 2;
  }));
}

TEST_F(Webhooks, WebhooksAreValidatedAndOnlyAdminsChangeThem) {
  FakeBuyer buyer;
  start(config_with({}, buyer));
  HttpReply bad =
      call("POST", "/admin/webhooks", R"({"url":"ftp://x","events":["lead.sold"],"secrets":[]})");
  ASSERT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("events[0]"), std::string::npos) << bad.body;
  EXPECT_NE(bad.body.find("url"), std::string::npos) << bad.body;
  EXPECT_NE(bad.body.find("secrets"), std::string::npos) << bad.body;
  EXPECT_EQ(call("POST", "/admin/webhooks", R"({"url":"http://127.0.0.1:9/","events":["*"]})",
                 "test-read-token")
                .status,
            403);
  HttpReply ok = call("POST", "/admin/webhooks", R"({"url":"http://127.0.0.1:9/","events":["*"]})");
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(parse_object(ok.body)["id"], 1);
  EXPECT_EQ(secrets(1).size(), 1u);
}

}  // namespace
}  // namespace pp::testkit
