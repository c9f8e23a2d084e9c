// The portals (issue 20) through the real server: logins (Argon2id, HttpOnly cookie sessions
// with a CSRF token, API keys, throttling, emailed single-use reset links), buyers' requests and
// their approval (auto-approve, approve, deny with a note, cancel; changes through the live
// configuration with the portal user as actor; approved returns credit what the lead cost), and
// the object-level authorization matrix over every portal route: two buyers' users, two
// suppliers' users, an admin token and a stranger — nobody reads or changes another's leads,
// figures, balance or requests.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "app_fixture.h"
#include "core/text.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;

struct Caller {
  std::string cookie;  // "pp_session=..."
  std::string csrf;
  std::string key;  // an API key ("ppk_...") or an admin token
};

class Portal : public AppFixture {
 protected:
  json::object config() {
    buyer_a_.on("/post", FakeReply::json(R"({"status":"accepted"})"));
    buyer_b_.on("/post", FakeReply::json(R"({"status":"accepted"})"));
    hooks_.on("/hook", FakeReply::json("{}"));
    json::object a = http_buyer(300, 2, buyer_a_.url("/post"), 1, "10");
    a["filters"] =
        json::parse(R"([{"action":"allow","field":"state","op":"equals","values":["NY"]}])");
    json::object cfg = base_config({a, http_buyer(301, 3, buyer_b_.url("/post"), 2, "7")});
    auto& clients = cfg["clients"].as_array();
    clients.push_back(json::parse(R"({"id": 5, "company": "Supplier Two"})"));
    // Client 2 prepays and may do everything (pause/resume and filters without approval);
    // client 3 keeps the defaults (returns and pauses approved by an admin, no settings).
    auto& c2 = clients[1].as_object();
    c2["email"] = "billing@buyer-one.example";
    c2["billing"] = json::object{{"mode", "manual"}};
    c2["portal"] = json::parse(R"({"returns": "approval", "pause_resume": "auto",
                                   "pricing": "approval", "caps": "approval", "filters": "auto"})");
    auto& c = campaign_cfg(cfg);
    c["suppliers"].as_array().push_back(
        json::parse(R"({"id": 202, "client_id": 5, "lp_key": "supplier-key-202"})"));
    c["buyer_hidden_fields"] = json::array{"phone", "lp_subid1"};
    c["fields"].as_array().push_back(json::parse(R"({"name": "trustedform_cert_url"})"));
    c["fields"].as_array().push_back(json::parse(R"({"name": "leadid_token"})"));
    cfg["portal"] = json::parse(R"({"admin_emails": ["ops@example.org"], "login_failures": 3})");
    cfg["webhooks"] = json::array{
        json::object{{"id", 1},
                     {"url", hooks_.url("/hook")},
                     {"events", json::array{"approval.requested", "approval.decided"}}}};
    return cfg;
  }

  HttpReply call(const Caller& c, const std::string& method, const std::string& target,
                 const std::string& body = {}) {
    std::vector<std::pair<std::string, std::string>> h{{"Content-Type", "application/json"}};
    if (!c.cookie.empty()) h.emplace_back("Cookie", c.cookie);
    if (!c.csrf.empty()) h.emplace_back("X-CSRF-Token", c.csrf);
    if (!c.key.empty()) h.emplace_back("Authorization", "Bearer " + c.key);
    return http_call(app_->port(), method, target, body, h);
  }
  Caller admin() { return {"", "", "test-admin-token"}; }

  HttpReply create_user(const std::string& email, const std::string& kind, int client,
                        const std::string& password = "correct horse battery") {
    return call(admin(), "POST", "/admin/portal/users",
                R"({"email":")" + email + R"(","name":"U","kind":")" + kind + R"(","clients":[)" +
                    std::to_string(client) + R"(],"password":")" + password + R"("})");
  }
  // Logs in; the caller with its cookie and CSRF token.
  Caller login(const std::string& email, const std::string& password = "correct horse battery") {
    HttpReply r = http_call(app_->port(), "POST", "/portal/login",
                            R"({"email":")" + email + R"(","password":")" + password + R"("})");
    EXPECT_EQ(r.status, 200) << r.body;
    Caller c;
    for (const auto& [k, v] : r.headers)
      if (iequals(k, "set-cookie")) c.cookie = v.substr(0, v.find(';'));
    c.csrf = std::string(parse_object(r.body)["csrf_token"].as_string());
    return c;
  }
  std::string sell(int supplier, const std::string& state, int i) {
    HttpReply r = post_lead(
        R"({"lp_campaign_id":100,"lp_supplier_id":)" + std::to_string(supplier) +
        R"(,"lp_key":"supplier-key-)" + std::to_string(supplier) + R"(","first_name":"P)" +
        std::to_string(i) + R"(","email":"p)" + std::to_string(i) +
        R"(@example.org","phone":"(410) 309-)" + std::to_string(2000 + i) + R"(","state":")" +
        state + R"(","lp_subid1":"sub)" + std::to_string(i) +
        R"(","trustedform_cert_url":"https://cert.trustedform.com/abc)" + std::to_string(i) +
        R"(","leadid_token":"LEADID-)" + std::to_string(i) + R"(-TOKEN"})");
    json::object o = parse_object(r.body);
    EXPECT_EQ(o["status"], "ACCEPTED") << r.body;
    return std::string(o["lead_id"].as_string());
  }
  // Emails waiting in the outbox (notices), as (to, subject, body).
  struct Mail {
    std::string to, subject, body;
  };
  std::vector<Mail> mails() {
    std::vector<Mail> out;
    (void)app_->store().scan_deliveries("", [&](const OutboxDelivery& d) {
      if (d.source != DeliverySource::kNotice) return true;
      Mail m{d.url, "", d.body};
      for (const auto& [k, v] : d.headers)
        if (k == "Subject") m.subject = v;
      out.push_back(m);
      return true;
    });
    return out;
  }
  std::vector<json::object> hook_events(const std::string& type) {
    std::vector<json::object> out;
    for (const auto& r : hooks_.received()) {
      json::object o = parse_object(r.body);
      if (o["type"] == json::string_view(type)) out.push_back(o);
    }
    return out;
  }
  json::object buyer_doc(int id) {
    json::object cfg =
        parse_object(admin_get("/admin/campaigns/100/buyers/" + std::to_string(id)).body);
    return cfg;
  }
  FakeBuyer buyer_a_, buyer_b_, hooks_;
};

TEST_F(Portal, LoginsUseHttpOnlyCookiesWithCsrfAndKeysForScripts) {
  start(config());
  ASSERT_EQ(create_user("Ann@Buyer-One.example", "buyer", 2).status, 201);
  EXPECT_EQ(create_user("ann@buyer-one.example", "buyer", 2).status, 409);  // emails are unique
  EXPECT_EQ(create_user("x@y.example", "buyer", 2, "short").status, 400);
  EXPECT_EQ(create_user("x@y.example", "buyer", 99).status, 422);  // no such client
  // The same email added eight times at once: one user.
  std::atomic<int> created{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      const int s = create_user("twice@buyer-one.example", "buyer", 2).status;
      (s == 201 ? created : refused).fetch_add(1);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(refused.load(), 7);
  EXPECT_EQ(parse_object(admin_get("/admin/portal/users").body)["items"].as_array().size(), 2u);
  // The password is stored as Argon2id, never as itself.
  bool hashed = false;
  (void)app_->store().scan_state("portal/user/", false, [&](std::string_view, std::string_view v) {
    hashed = v.find("$argon2id$") != std::string_view::npos &&
             v.find("correct horse") == std::string_view::npos;
    return true;
  });
  EXPECT_TRUE(hashed);

  EXPECT_EQ(http_call(app_->port(), "POST", "/portal/login",
                      R"({"email":"ann@buyer-one.example","password":"wrong password!"})")
                .status,
            401);
  HttpReply ok =
      http_call(app_->port(), "POST", "/portal/login",
                R"({"email":"ANN@buyer-one.example","password":"correct horse battery"})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  std::string set_cookie;
  for (const auto& [k, v] : ok.headers)
    if (iequals(k, "set-cookie")) set_cookie = v;
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("Secure"), std::string::npos);
  EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(set_cookie.find("Path=/portal"), std::string::npos);

  Caller ann = login("ann@buyer-one.example");
  EXPECT_EQ(call(ann, "GET", "/portal/me").status, 200);
  // A change with the cookie but not the CSRF token (what another site's page could send).
  Caller no_csrf{ann.cookie, "", ""};
  EXPECT_EQ(call(no_csrf, "POST", "/portal/keys", R"({"name":"cron"})").status, 403);
  Caller wrong_csrf{ann.cookie, "ppc_" + std::string(64, 'a'), ""};
  EXPECT_EQ(call(wrong_csrf, "POST", "/portal/keys", R"({"name":"cron"})").status, 403);
  HttpReply k = call(ann, "POST", "/portal/keys", R"({"name":"cron"})");
  ASSERT_EQ(k.status, 201) << k.body;
  const std::string key(parse_object(k.body)["key"].as_string());
  const std::string key_id(parse_object(k.body)["id"].as_string());
  Caller script{"", "", key};
  EXPECT_EQ(call(script, "GET", "/portal/me").status, 200);
  EXPECT_EQ(call(script, "GET", "/portal/keys").body.find(key), std::string::npos);  // shown once
  // Logout ends the session; revoking the key ends the key.
  EXPECT_EQ(call(ann, "POST", "/portal/logout").status, 200);
  EXPECT_EQ(call(ann, "GET", "/portal/me").status, 401);
  EXPECT_EQ(call(script, "DELETE", "/portal/keys/" + key_id).status, 200);
  EXPECT_EQ(call(script, "GET", "/portal/me").status, 401);

  // A disabled user's sessions end at once.
  Caller again = login("ann@buyer-one.example");
  std::string uid(
      parse_object(call(again, "GET", "/portal/me").body)["user"].as_object()["id"].as_string());
  EXPECT_EQ(call(admin(), "PATCH", "/admin/portal/users/" + uid, R"({"disabled":true})").status,
            200);
  EXPECT_EQ(call(again, "GET", "/portal/me").status, 401);
  EXPECT_EQ(http_call(app_->port(), "POST", "/portal/login",
                      R"({"email":"ann@buyer-one.example","password":"correct horse battery"})")
                .status,
            401);
}

TEST_F(Portal, FailedLoginsLockTheEmailThenItOpensAgain) {
  ManualClock clock(1'790'000'000'000);
  start(config(), {}, &clock);
  ASSERT_EQ(create_user("bob@buyer-two.example", "buyer", 3).status, 201);
  ASSERT_EQ(create_user("eve@buyer-two.example", "buyer", 3).status, 201);
  auto attempt = [&](const std::string& email, const std::string& pw) {
    return http_call(app_->port(), "POST", "/portal/login",
                     R"({"email":")" + email + R"(","password":")" + pw + R"("})");
  };
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(attempt("bob@buyer-two.example", "guess number " + std::to_string(i)).status, 401);
  // Locked: even the right password is refused, with Retry-After.
  HttpReply locked = attempt("bob@buyer-two.example", "correct horse battery");
  EXPECT_EQ(locked.status, 429);
  bool retry_after = false;
  for (const auto& [k, v] : locked.headers) retry_after = retry_after || iequals(k, "retry-after");
  EXPECT_TRUE(retry_after);
  // Another email is not locked by them.
  EXPECT_EQ(attempt("eve@buyer-two.example", "correct horse battery").status, 200);
  // Unknown emails are throttled the same way (nothing tells which exist).
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(attempt("nobody@x.example", "guess " + std::to_string(i) + "xxxxx").status, 401);
  EXPECT_EQ(attempt("nobody@x.example", "guess 4 xxxxxxx").status, 429);
  clock.advance_ms(15 * 60 * 1000 + 1000);
  EXPECT_EQ(attempt("bob@buyer-two.example", "correct horse battery").status, 200);
  app_.reset();
}

TEST_F(Portal, PasswordResetIsAnEmailedSingleUseExpiringLink) {
  ManualClock clock(1'790'000'000'000);
  start(config(), {}, &clock);
  ASSERT_EQ(create_user("cat@buyer-one.example", "buyer", 2).status, 201);
  Caller before = login("cat@buyer-one.example");
  auto forgot = [&](const std::string& email) {
    return http_call(app_->port(), "POST", "/portal/password/forgot",
                     R"({"email":")" + email + R"("})");
  };
  // An unknown email: the same answer, and no email.
  EXPECT_EQ(forgot("nobody@buyer-one.example").status, 202);
  EXPECT_TRUE(mails().empty());
  ASSERT_EQ(forgot("cat@buyer-one.example").status, 202);
  std::vector<Mail> m = mails();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].to, "mailto:cat@buyer-one.example");
  const size_t at = m[0].body.find("token=ppr_");
  ASSERT_NE(at, std::string::npos) << m[0].body;
  const std::string token = m[0].body.substr(at + 6, 68);
  auto reset = [&](const std::string& t, const std::string& pw) {
    return http_call(app_->port(), "POST", "/portal/password/reset",
                     R"({"token":")" + t + R"(","password":")" + pw + R"("})");
  };
  EXPECT_EQ(reset(token, "short").status, 400);  // refused, the link still works
  EXPECT_EQ(reset(token, "a brand new passphrase").status, 200);
  EXPECT_EQ(reset(token, "another new passphrase").status, 400);  // used
  EXPECT_EQ(call(before, "GET", "/portal/me").status, 401);       // sessions ended
  login("cat@buyer-one.example", "a brand new passphrase");
  // A link expires.
  ASSERT_EQ(forgot("cat@buyer-one.example").status, 202);
  m = mails();
  ASSERT_EQ(m.size(), 2u);
  std::string second;
  for (const Mail& x : m)
    if (x.body.find(token) == std::string::npos)
      second = x.body.substr(x.body.find("token=ppr_") + 6, 68);
  clock.advance_ms(61 * 60 * 1000);
  EXPECT_EQ(reset(second, "too late a passphrase").status, 400);
  // The form cannot flood a mailbox: at most 3 links an email per 15 minutes (same answer).
  for (int i = 0; i < 5; ++i) EXPECT_EQ(forgot("cat@buyer-one.example").status, 202);
  EXPECT_EQ(mails().size(), 5u);
  app_.reset();
}

TEST_F(Portal, ApprovalFlowsEndToEnd) {
  start(config());
  ASSERT_EQ(create_user("ann@buyer-one.example", "buyer", 2).status, 201);
  ASSERT_EQ(create_user("bob@buyer-two.example", "buyer", 3).status, 201);
  Caller ann = login("ann@buyer-one.example"), bob = login("bob@buyer-two.example");
  ASSERT_EQ(call(admin(), "POST", "/admin/clients/2/deposits", R"({"amount":"100"})").status, 201);
  const std::string lead = sell(200, "NY", 1);  // to buyer 300 (client 2), 10 charged
  EXPECT_EQ(parse_object(admin_get("/admin/clients/2/balance").body)["balance"], 90);

  // Auto-approved: pause and resume take effect at once, the portal user as the actor.
  HttpReply p = call(ann, "POST", "/portal/buyer/requests",
                     R"({"kind":"pause","campaign_id":100,"buyer_id":300,"reason":"budget"})");
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(parse_object(p.body)["status"], "approved");
  EXPECT_EQ(parse_object(p.body)["auto_approved"], true);
  EXPECT_EQ(buyer_doc(300)["paused"], true);
  std::string changes = admin_get("/admin/changes?entity=buyer&id=300").body;
  const std::string ann_id(
      parse_object(call(ann, "GET", "/portal/me").body)["user"].as_object()["id"].as_string());
  EXPECT_NE(changes.find("portal:" + ann_id), std::string::npos) << changes;
  EXPECT_EQ(changes.find("ann@buyer-one.example"), std::string::npos);  // no email in the log
  EXPECT_EQ(call(ann, "POST", "/portal/buyer/requests",
                 R"({"kind":"pause","campaign_id":100,"buyer_id":300})")
                .status,
            409);  // already paused
  ASSERT_EQ(call(ann, "POST", "/portal/buyer/resume_all", "{}").status, 200);
  EXPECT_FALSE(buyer_doc(300).contains("paused") && buyer_doc(300)["paused"] == true);

  // Needs approval: a price change waits, the admins are told, then approved.
  HttpReply pr =
      call(ann, "POST", "/portal/buyer/requests",
           R"({"kind":"pricing","campaign_id":100,"buyer_id":300,"reason":"NY is worth more",
                          "change":{"type":"conditional","default":"11","rules":[
                            {"when":{"field":"state","op":"equals","values":["NY"]},"amount":"15"}]}})");
  ASSERT_EQ(pr.status, 201) << pr.body;
  const std::string price_id(parse_object(pr.body)["id"].as_string());
  EXPECT_EQ(parse_object(pr.body)["status"], "pending");
  EXPECT_EQ(buyer_doc(300)["price"].as_object()["type"], "static");  // not yet
  ASSERT_TRUE(eventually([&] { return hook_events("approval.requested").size() == 1; }));
  bool ops_told = false;
  for (const Mail& m : mails())
    ops_told = ops_told ||
               (m.to == "mailto:ops@example.org" && m.body.find(price_id) != std::string::npos);
  EXPECT_TRUE(ops_told);
  json::object listed = parse_object(
      admin_get("/admin/portal/requests?status=pending&client_id=2&kind=pricing").body);
  ASSERT_EQ(listed["items"].as_array().size(), 1u);
  EXPECT_EQ(
      parse_object(admin_get("/admin/portal/requests?status=pending&client_id=3").body)["items"]
          .as_array()
          .size(),
      0u);
  HttpReply ap = call(admin(), "POST", "/admin/portal/requests/" + price_id + "/approve", "{}");
  ASSERT_EQ(ap.status, 200) << ap.body;
  EXPECT_EQ(parse_object(ap.body)["status"], "approved");
  EXPECT_EQ(parse_object(ap.body)["decided_by"], "admin");
  EXPECT_EQ(buyer_doc(300)["price"].as_object()["type"], "conditional");
  changes = admin_get("/admin/changes?entity=buyer&id=300").body;
  EXPECT_NE(changes.find("\"patch\""), std::string::npos);
  ASSERT_TRUE(eventually([&] { return hook_events("approval.decided").size() >= 1; }));
  EXPECT_EQ(call(admin(), "POST", "/admin/portal/requests/" + price_id + "/deny", "{}").status,
            409);

  // Cancelled by the buyer: an admin can no longer approve it.
  HttpReply caps = call(ann, "POST", "/portal/buyer/requests",
                        R"({"kind":"caps","campaign_id":100,"buyer_id":300,
                            "change":{"leads":[{"type":"day","limit":50}],"budget":[]}})");
  ASSERT_EQ(caps.status, 201) << caps.body;
  const std::string caps_id(parse_object(caps.body)["id"].as_string());
  EXPECT_EQ(call(bob, "POST", "/portal/buyer/requests/" + caps_id + "/cancel").status, 404);
  HttpReply cancelled = call(ann, "POST", "/portal/buyer/requests/" + caps_id + "/cancel");
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(parse_object(cancelled.body)["status"], "cancelled");
  EXPECT_EQ(call(admin(), "POST", "/admin/portal/requests/" + caps_id + "/approve").status, 409);

  // Invalid changes are refused when made, with the validator's words.
  EXPECT_EQ(
      call(ann, "POST", "/portal/buyer/requests",
           R"({"kind":"pricing","campaign_id":100,"buyer_id":300,"change":{"type":"realtime"}})")
          .status,
      400);
  HttpReply bad = call(ann, "POST", "/portal/buyer/requests",
                       R"({"kind":"caps","campaign_id":100,"buyer_id":300,
                           "change":{"leads":[{"type":"fortnight","limit":5}]}})");
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(call(ann, "POST", "/portal/buyer/requests",
                 R"({"kind":"filters","campaign_id":100,"buyer_id":300,
                     "change":[{"action":"block","field":"phone","op":"equals","values":["1"]}]})")
                .status,
            400);  // phone is hidden from buyers: not a field they filter on
  // Client 3 may not change prices at all.
  EXPECT_EQ(
      call(
          bob, "POST", "/portal/buyer/requests",
          R"({"kind":"pricing","campaign_id":100,"buyer_id":301,"change":{"type":"static","amount":"1"}})")
          .status,
      403);
  // Filters are auto-approved for client 2.
  HttpReply f = call(ann, "POST", "/portal/buyer/requests",
                     R"({"kind":"filters","campaign_id":100,"buyer_id":300,
                         "change":[{"action":"allow","field":"state","op":"in","values":["NY","NJ"]}]})");
  ASSERT_EQ(f.status, 200) << f.body;
  EXPECT_EQ(buyer_doc(300)["filters"].as_array().size(), 1u);

  // A return: denied with a note, then asked again and approved — credited what the lead cost.
  HttpReply r1 = call(ann, "POST", "/portal/buyer/requests",
                      R"({"kind":"return","lead_id":")" + lead + R"(","reason":"wrong number"})");
  ASSERT_EQ(r1.status, 201) << r1.body;
  HttpReply denied = call(
      admin(), "POST",
      "/admin/portal/requests/" + std::string(parse_object(r1.body)["id"].as_string()) + "/deny",
      R"({"note":"the number answered"})");
  ASSERT_EQ(denied.status, 200) << denied.body;
  EXPECT_EQ(parse_object(denied.body)["note"], "the number answered");
  EXPECT_FALSE(app_->engine().find_lead(lead)->returned);
  bool ann_told = false;
  for (const Mail& m : mails())
    ann_told = ann_told || (m.to == "mailto:ann@buyer-one.example" &&
                            m.subject.find("denied") != std::string::npos &&
                            m.body.find("the number answered") != std::string::npos);
  EXPECT_TRUE(ann_told);
  HttpReply r2 = call(ann, "POST", "/portal/buyer/requests",
                      R"({"kind":"return","lead_id":")" + lead + R"(","reason":"disconnected"})");
  ASSERT_EQ(r2.status, 201);
  HttpReply approved = call(admin(), "POST",
                            "/admin/portal/requests/" +
                                std::string(parse_object(r2.body)["id"].as_string()) + "/approve");
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_TRUE(app_->engine().find_lead(lead)->returned);
  EXPECT_EQ(parse_object(admin_get("/admin/clients/2/balance").body)["balance"], 100);
  bool credited = false;
  for (const Mail& m : mails())
    credited = credited || (m.to == "mailto:billing@buyer-one.example" &&
                            m.subject.find("10 USD credited") != std::string::npos);
  EXPECT_TRUE(credited);
  EXPECT_EQ(call(ann, "POST", "/portal/buyer/requests",
                 R"({"kind":"return","lead_id":")" + lead + R"(","reason":"again"})")
                .status,
            409);  // already returned

  // Both sides list by status and kind; the buyer sees its own only.
  json::object mine = parse_object(call(ann, "GET", "/portal/buyer/requests?kind=return").body);
  EXPECT_EQ(mine["items"].as_array().size(), 2u);
  EXPECT_EQ(
      parse_object(call(bob, "GET", "/portal/buyer/requests").body)["items"].as_array().size(), 0u);
  EXPECT_EQ(parse_object(admin_get("/admin/portal/requests?status=denied").body)["items"]
                .as_array()
                .size(),
            1u);
}

// A user created without a password is invited: its emailed link lets it choose one (the
// reference's supplier invitations); an admin can send it again.
TEST_F(Portal, InvitationsLetANewUserChooseItsPassword) {
  start(config());
  HttpReply made = call(admin(), "POST", "/admin/portal/users",
                        R"({"email":"sue@supplier-co.example","kind":"supplier","clients":[1]})");
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(parse_object(made.body)["has_password"], false);
  std::vector<Mail> m = mails();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].to, "mailto:sue@supplier-co.example");
  EXPECT_NE(m[0].subject.find("invited to the supplier portal"), std::string::npos) << m[0].subject;
  EXPECT_NE(m[0].body.find("Supplier Co"), std::string::npos) << m[0].body;
  const size_t at = m[0].body.find("token=ppr_");
  ASSERT_NE(at, std::string::npos);
  const std::string token = m[0].body.substr(at + 6, 68);
  // No password yet: no login, whatever is tried.
  EXPECT_EQ(http_call(app_->port(), "POST", "/portal/login",
                      R"({"email":"sue@supplier-co.example","password":"anything at all"})")
                .status,
            401);
  ASSERT_EQ(http_call(app_->port(), "POST", "/portal/password/reset",
                      R"({"token":")" + token + R"(","password":"my own passphrase"})")
                .status,
            200);
  Caller sue = login("sue@supplier-co.example", "my own passphrase");
  EXPECT_EQ(call(sue, "GET", "/portal/supplier/campaigns").status, 200);
  const std::string id(parse_object(made.body)["id"].as_string());
  EXPECT_EQ(call(admin(), "POST", "/admin/portal/users/" + id + "/invite").status, 202);
  EXPECT_EQ(mails().size(), 2u);
  EXPECT_EQ(call(admin(), "POST", "/admin/portal/users/pu_nope/invite").status, 404);
}

// Exports (jobs): a buyer's file holds its own leads without the hidden fields; a supplier's its
// own leads; nobody reads another user's export.
TEST_F(Portal, ExportsHoldTheUsersOwnLeadsOnly) {
  start(config());
  ASSERT_EQ(create_user("ann@buyer-one.example", "buyer", 2).status, 201);
  ASSERT_EQ(create_user("bob@buyer-two.example", "buyer", 3).status, 201);
  ASSERT_EQ(create_user("sue@supplier-co.example", "supplier", 1).status, 201);
  ASSERT_EQ(call(admin(), "POST", "/admin/clients/2/deposits", R"({"amount":"100"})").status, 201);
  const std::string lead_a = sell(200, "NY", 1), lead_b = sell(202, "CA", 2);
  Caller ann = login("ann@buyer-one.example"), bob = login("bob@buyer-two.example"),
         sue = login("sue@supplier-co.example");
  const UnixMs now = SystemClock::instance().now_ms();
  const std::string range =
      R"(,"start_date":")" + format_local_date(TimeZone::utc(), now - 86400000) +
      R"(","end_date":")" + format_local_date(TimeZone::utc(), now + 86400000) + R"("})";
  auto export_file = [&](const Caller& c, const std::string& who) {
    HttpReply r = call(c, "POST", "/portal/" + who + "/exports", R"({"campaign_id":100)" + range);
    EXPECT_EQ(r.status, 202) << r.body;
    const std::string id(parse_object(r.body)["id"].as_string());
    EXPECT_TRUE(eventually([&] {
      return parse_object(call(c, "GET", "/portal/" + who + "/exports/" + id).body)["status"] ==
             "completed";
    }));
    return std::pair{id, call(c, "GET", "/portal/" + who + "/exports/" + id + "/file").body};
  };
  auto [ann_id, ann_csv] = export_file(ann, "buyer");
  const std::string header = ann_csv.substr(0, ann_csv.find('\n'));
  EXPECT_NE(ann_csv.find(lead_a), std::string::npos) << ann_csv;
  EXPECT_EQ(ann_csv.find(lead_b), std::string::npos) << ann_csv;
  EXPECT_NE(header.find("email"), std::string::npos) << header;
  EXPECT_EQ(header.find("phone"), std::string::npos) << header;
  EXPECT_EQ(header.find("lp_subid1"), std::string::npos) << header;
  EXPECT_EQ(header.find("supplier"), std::string::npos) << header;
  EXPECT_EQ(ann_csv.find("4103092001"), std::string::npos);  // the hidden phone's value
  // Bob sees neither Ann's export nor its file, nor lists it.
  EXPECT_EQ(call(bob, "GET", "/portal/buyer/exports/" + ann_id).status, 404);
  EXPECT_EQ(call(bob, "GET", "/portal/buyer/exports/" + ann_id + "/file").status, 404);
  EXPECT_EQ(call(bob, "GET", "/portal/buyer/exports").body.find(ann_id), std::string::npos);
  EXPECT_NE(call(ann, "GET", "/portal/buyer/exports").body.find(ann_id), std::string::npos);
  auto [bob_id, bob_csv] = export_file(bob, "buyer");
  EXPECT_NE(bob_csv.find(lead_b), std::string::npos);
  EXPECT_EQ(bob_csv.find(lead_a), std::string::npos);
  auto [sue_id, sue_csv] = export_file(sue, "supplier");
  EXPECT_NE(sue_csv.find(lead_a), std::string::npos);
  EXPECT_EQ(sue_csv.find(lead_b), std::string::npos);
  EXPECT_NE(sue_csv.find("4103092001"), std::string::npos);  // its own lead's fields, all of them
  // A campaign without the user's buyers: not found.
  EXPECT_EQ(call(ann, "POST", "/portal/buyer/exports", R"({"campaign_id":999)" + range).status,
            404);
  EXPECT_EQ(call(sue, "GET", "/portal/supplier/exports/" + ann_id).status, 404);
}

// A sale that takes a prepaid balance to its minimum emails the client (balance_low), in the
// lead's write.
TEST_F(Portal, ALowBalanceEmailsTheClient) {
  json::object cfg = config();
  cfg["clients"].as_array()[1].as_object()["billing"] =
      json::object{{"mode", "manual"}, {"minimum_balance", "95"}};
  cfg.erase("webhooks");  // the email does not depend on a webhook wanting lead events
  start(cfg);
  ASSERT_EQ(call(admin(), "POST", "/admin/clients/2/deposits", R"({"amount":"100"})").status, 201);
  EXPECT_TRUE(mails().empty());
  sell(200, "NY", 1);  // 100 -> 90: at or below 95
  std::vector<Mail> m = mails();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].to, "mailto:billing@buyer-one.example");
  EXPECT_NE(m[0].subject.find("balance is low"), std::string::npos) << m[0].subject;
  EXPECT_NE(m[0].body.find("95"), std::string::npos) << m[0].body;
}

// Notice templates are editable (a configuration change) and revert to the built-in text.
TEST_F(Portal, NoticeTemplatesAreEditableAndRevert) {
  start(config());
  json::object list = parse_object(admin_get("/admin/portal/templates").body);
  ASSERT_EQ(list["items"].as_array().size(), 6u);
  HttpReply put =
      call(admin(), "PUT", "/admin/portal/templates/password_reset",
           R"({"subject":"Reset for {{user_email||upper}}","body":"Go: {{reset_url}}"})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(call(admin(), "PUT", "/admin/portal/templates/password_reset",
                 R"({"subject":"{{x||nosuch}}","body":"b"})")
                .status,
            422);  // an unknown transformer: refused whole
  EXPECT_EQ(call(admin(), "PUT", "/admin/portal/templates/nosuch", R"({"subject":"a","body":"b"})")
                .status,
            404);
  ASSERT_EQ(create_user("dan@buyer-one.example", "buyer", 2).status, 201);
  ASSERT_EQ(http_call(app_->port(), "POST", "/portal/password/forgot",
                      R"({"email":"dan@buyer-one.example"})")
                .status,
            202);
  auto m = mails();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].subject, "Reset for DAN@BUYER-ONE.EXAMPLE");
  EXPECT_EQ(m[0].body.rfind("Go: http", 0), 0u) << m[0].body;
  ASSERT_EQ(call(admin(), "DELETE", "/admin/portal/templates/password_reset").status, 200);
  EXPECT_EQ(parse_object(admin_get("/admin/portal/templates/password_reset").body)["is_default"],
            true);
}

// Every portal route × six callers. Objects are checked against the caller's mappings: another
// client's lead, buyer, request or figures are "not found"; the wrong portal is forbidden.
TEST_F(Portal, AuthorizationMatrix) {
  start(config());
  ASSERT_EQ(create_user("ann@buyer-one.example", "buyer", 2).status, 201);
  ASSERT_EQ(create_user("bob@buyer-two.example", "buyer", 3).status, 201);
  ASSERT_EQ(create_user("sue@supplier-co.example", "supplier", 1).status, 201);
  ASSERT_EQ(create_user("sam@supplier-two.example", "supplier", 5).status, 201);
  ASSERT_EQ(call(admin(), "POST", "/admin/clients/2/deposits", R"({"amount":"100"})").status, 201);
  const std::string lead_a = sell(200, "NY", 1);  // supplier 200 (Sue) -> buyer 300 (Ann)
  const std::string lead_b = sell(202, "CA", 2);  // supplier 202 (Sam) -> buyer 301 (Bob)
  std::map<std::string, Caller> who{
      {"ann", login("ann@buyer-one.example")},
      {"bob", login("bob@buyer-two.example")},
      {"sue", login("sue@supplier-co.example")},
      {"sam", login("sam@supplier-two.example")},
      {"admin", admin()},
      {"stranger", Caller{"pp_session=pps_" + std::string(64, '0'), "", ""}}};
  // Requests of Ann's and Bob's to point at.
  HttpReply ra = call(who["ann"], "POST", "/portal/buyer/requests",
                      R"({"kind":"return","lead_id":")" + lead_a + R"(","reason":"x"})");
  HttpReply rb = call(who["bob"], "POST", "/portal/buyer/requests",
                      R"({"kind":"return","lead_id":")" + lead_b + R"(","reason":"x"})");
  ASSERT_EQ(ra.status, 201) << ra.body;
  ASSERT_EQ(rb.status, 201) << rb.body;
  const std::string req_a(parse_object(ra.body)["id"].as_string());
  const std::string req_b(parse_object(rb.body)["id"].as_string());
  // A pending request for an admin to approve, a key of Ann's, a user to delete and one to invite,
  // and an export each of Ann's and Sue's.
  const std::string req_c(parse_object(call(who["bob"], "POST", "/portal/buyer/requests",
                                            R"({"kind":"pause","campaign_id":100,"buyer_id":301})")
                                           .body)["id"]
                              .as_string());
  const std::string key_a(
      parse_object(call(who["ann"], "POST", "/portal/keys", R"({"name":"k"})").body)["id"]
          .as_string());
  const std::string gone(
      parse_object(create_user("gone@x.example", "buyer", 2).body)["id"].as_string());
  const std::string invited(
      parse_object(call(admin(), "POST", "/admin/portal/users",
                        R"({"email":"new@x.example","kind":"supplier","clients":[1]})")
                       .body)["id"]
          .as_string());
  const std::string bob_id(parse_object(call(who["bob"], "GET", "/portal/me").body)["user"]
                               .as_object()["id"]
                               .as_string());
  const UnixMs now = SystemClock::instance().now_ms();
  const std::string range =
      R"(,"start_date":")" + format_local_date(TimeZone::utc(), now - 86400000) +
      R"(","end_date":")" + format_local_date(TimeZone::utc(), now + 86400000) + R"("})";
  auto made_export = [&](const std::string& caller, const std::string& who_kind) {
    const std::string base = "/portal/" + who_kind + "/exports";
    std::string id(
        parse_object(call(who[caller], "POST", base, R"({"campaign_id":100)" + range).body)["id"]
            .as_string());
    EXPECT_TRUE(eventually([&] {
      return parse_object(call(who[caller], "GET", base + "/" + id).body)["status"] == "completed";
    }));
    return id;
  };
  const std::string ex_a = made_export("ann", "buyer"), ex_s = made_export("sue", "supplier");

  struct Row {
    std::string method, target, body;
    std::map<std::string, int> expect;  // caller -> status
  };
  const std::string today = format_local_date(TimeZone::utc(), SystemClock::instance().now_ms());
  auto buyers_only = [](int ann, int bob) {
    return std::map<std::string, int>{{"ann", ann}, {"bob", bob},   {"sue", 403},
                                      {"sam", 403}, {"admin", 401}, {"stranger", 401}};
  };
  auto suppliers_only = [](int sue, int sam) {
    return std::map<std::string, int>{{"ann", 403}, {"bob", 403},   {"sue", sue},
                                      {"sam", sam}, {"admin", 401}, {"stranger", 401}};
  };
  auto any_user = [](int s) {
    return std::map<std::string, int>{{"ann", s}, {"bob", s},     {"sue", s},
                                      {"sam", s}, {"admin", 401}, {"stranger", 401}};
  };
  auto admins_only = [](int s) {
    return std::map<std::string, int>{{"ann", 401}, {"bob", 401}, {"sue", 401},
                                      {"sam", 401}, {"admin", s}, {"stranger", 401}};
  };
  std::vector<Row> rows{
      {"GET", "/portal/me", "", any_user(200)},
      {"GET", "/portal/keys", "", any_user(200)},
      {"GET", "/portal/buyer/campaigns", "", buyers_only(200, 200)},
      {"GET", "/portal/buyer/leads?campaign_id=100", "", buyers_only(200, 200)},
      {"GET", "/portal/buyer/leads/" + lead_a, "", buyers_only(200, 404)},
      {"GET", "/portal/buyer/leads/" + lead_b, "", buyers_only(404, 200)},
      {"GET", "/portal/buyer/stats", "", buyers_only(200, 200)},
      {"GET", "/portal/buyer/balance", "", buyers_only(200, 200)},
      {"GET", "/portal/buyer/requests", "", buyers_only(200, 200)},
      {"GET", "/portal/buyer/requests/" + req_a, "", buyers_only(200, 404)},
      {"GET", "/portal/buyer/requests/" + req_b, "", buyers_only(404, 200)},
      {"POST", "/portal/buyer/requests/" + req_b + "/cancel", "", buyers_only(404, 200)},
      {"POST", "/portal/buyer/requests", R"({"kind":"pause","campaign_id":100,"buyer_id":301})",
       buyers_only(404, 201)},
      {"POST", "/portal/buyer/requests",
       R"({"kind":"return","lead_id":")" + lead_b + R"(","reason":"x"})", buyers_only(404, 201)},
      {"POST", "/portal/buyer/requests",
       R"({"kind":"caps","campaign_id":100,"buyer_id":300,"change":{"leads":[]}})",
       buyers_only(201, 404)},
      {"GET", "/portal/buyer/exports", "", buyers_only(200, 200)},
      {"GET", "/portal/supplier/campaigns", "", suppliers_only(200, 200)},
      {"GET", "/portal/supplier/exports", "", suppliers_only(200, 200)},
      {"GET", "/portal/supplier/dashboard", "", suppliers_only(200, 200)},
      {"GET", "/portal/supplier/leads?campaign_id=100", "", suppliers_only(200, 200)},
      {"GET", "/portal/supplier/leads/" + lead_a, "", suppliers_only(200, 404)},
      {"GET", "/portal/supplier/leads/" + lead_b, "", suppliers_only(404, 200)},
      {"GET", "/admin/portal/users", "", admins_only(200)},
      {"GET", "/admin/portal/requests", "", admins_only(200)},
      {"GET", "/admin/portal/requests/" + req_a, "", admins_only(200)},
      {"GET", "/admin/portal/templates", "", admins_only(200)},
      {"POST", "/admin/portal/requests/" + req_a + "/deny", R"({"note":"no"})", admins_only(200)},
      {"POST", "/admin/portal/requests/" + req_c + "/approve", "", admins_only(200)},
      {"POST", "/admin/portal/users", R"({"email":"z@x.example","kind":"buyer","clients":[2]})",
       admins_only(201)},
      {"GET", "/admin/portal/users/" + bob_id, "", admins_only(200)},
      {"PATCH", "/admin/portal/users/" + bob_id, R"({"name":"Bob"})", admins_only(200)},
      {"POST", "/admin/portal/users/" + invited + "/invite", "", admins_only(202)},
      {"DELETE", "/admin/portal/users/" + gone, "", admins_only(200)},
      {"GET", "/admin/portal/templates/invitation", "", admins_only(200)},
      {"PUT", "/admin/portal/templates/invitation", R"({"subject":"Hi","body":"{{reset_url}}"})",
       admins_only(200)},
      {"DELETE", "/admin/portal/templates/invitation", "", admins_only(200)},
      {"POST",
       "/portal/password/forgot",
       R"({"email":"nobody@x.example"})",
       {{"ann", 202}, {"bob", 202}, {"sue", 202}, {"sam", 202}, {"admin", 202}, {"stranger", 202}}},
      {"POST",
       "/portal/password/reset",
       R"({"token":"ppr_nope","password":"long enough now"})",
       {{"ann", 400}, {"bob", 400}, {"sue", 400}, {"sam", 400}, {"admin", 400}, {"stranger", 400}}},
      {"POST", "/portal/password", R"({"current_password":"wrong one","new_password":"x"})",
       any_user(400)},
      {"POST", "/portal/keys", R"({"name":"m"})", any_user(201)},
      {"DELETE",
       "/portal/keys/" + key_a,
       "",
       {{"ann", 200}, {"bob", 404}, {"sue", 404}, {"sam", 404}, {"admin", 401}, {"stranger", 401}}},
      {"POST", "/portal/buyer/pause_all", "{}", buyers_only(200, 200)},
      {"POST", "/portal/buyer/resume_all", "{}", buyers_only(200, 200)},
      {"POST", "/portal/buyer/exports", R"({"campaign_id":100)" + range, buyers_only(202, 202)},
      {"GET", "/portal/buyer/exports/" + ex_a, "", buyers_only(200, 404)},
      {"GET", "/portal/buyer/exports/" + ex_a + "/file", "", buyers_only(200, 404)},
      {"POST", "/portal/supplier/exports", R"({"campaign_id":100)" + range,
       suppliers_only(202, 202)},
      {"GET", "/portal/supplier/exports/" + ex_s, "", suppliers_only(200, 404)},
      {"GET", "/portal/supplier/exports/" + ex_s + "/file", "", suppliers_only(200, 404)},
  };
  for (const Row& row : rows)
    for (const auto& [name, status] : row.expect) {
      HttpReply r = call(who[name], row.method, row.target, row.body);
      EXPECT_EQ(r.status, status) << name << " " << row.method << " " << row.target << ": "
                                  << r.body;
    }
  // What each sees in the lists: its own only.
  auto ids_in = [&](const std::string& caller, const std::string& target) {
    std::set<std::string> ids;
    json::object o = parse_object(call(who[caller], "GET", target).body);
    for (const auto& i : o["items"].as_array())
      ids.insert(std::string(i.as_object().at("id").as_string()));
    return ids;
  };
  EXPECT_EQ(ids_in("ann", "/portal/buyer/leads?campaign_id=100"), std::set<std::string>{lead_a});
  EXPECT_EQ(ids_in("bob", "/portal/buyer/leads?campaign_id=100"), std::set<std::string>{lead_b});
  EXPECT_EQ(ids_in("sue", "/portal/supplier/leads?campaign_id=100"), std::set<std::string>{lead_a});
  EXPECT_EQ(ids_in("sam", "/portal/supplier/leads?campaign_id=100"), std::set<std::string>{lead_b});
  EXPECT_TRUE(ids_in("sue", "/portal/supplier/leads?campaign_id=100&search=" + lead_b).empty());
  EXPECT_EQ(ids_in("sue", "/portal/supplier/leads?campaign_id=100&search=p1@example.org"),
            std::set<std::string>{lead_a});
  EXPECT_EQ(ids_in("sue", "/portal/supplier/leads?campaign_id=100&search=(410)%20309-2001"),
            std::set<std::string>{lead_a});
  EXPECT_EQ(ids_in("sue",
                   "/portal/supplier/leads?campaign_id=100&search="
                   "https%3A%2F%2Fcert.trustedform.com%2Fabc1"),
            std::set<std::string>{lead_a});
  EXPECT_EQ(ids_in("sue", "/portal/supplier/leads?campaign_id=100&search=LEADID-1-TOKEN"),
            std::set<std::string>{lead_a});
  EXPECT_TRUE(
      ids_in("sue", "/portal/supplier/leads?campaign_id=100&search=LEADID-2-TOKEN").empty());
  // Hidden fields never reach the buyer.
  json::object seen = parse_object(call(who["ann"], "GET", "/portal/buyer/leads/" + lead_a).body);
  EXPECT_TRUE(seen["fields"].as_object().contains("email"));
  EXPECT_FALSE(seen["fields"].as_object().contains("phone"));
  EXPECT_FALSE(seen["fields"].as_object().contains("lp_subid1"));
  // Figures: Ann's buyer only; Sue's supplier only.
  std::string stats = call(who["ann"], "GET", "/portal/buyer/stats").body;
  EXPECT_NE(stats.find("\"id\":300"), std::string::npos) << stats;
  EXPECT_EQ(stats.find("\"id\":301"), std::string::npos) << stats;
  std::string dash = call(who["sue"], "GET", "/portal/supplier/dashboard").body;
  EXPECT_NE(dash.find("\"id\":200"), std::string::npos) << dash;
  EXPECT_EQ(dash.find("\"id\":202"), std::string::npos) << dash;
  std::string bal = call(who["bob"], "GET", "/portal/buyer/balance").body;
  EXPECT_EQ(bal.find("\"client_id\":2"), std::string::npos) << bal;
  // Read tokens read but do not manage portal users.
  EXPECT_EQ(call({"", "", "test-read-token"}, "POST", "/admin/portal/users",
                 R"({"email":"z@z.example","kind":"buyer","clients":[2]})")
                .status,
            403);
  (void)today;
  // Logging out ends each session, only its own.
  for (const char* name : {"ann", "bob", "sue", "sam"}) {
    EXPECT_EQ(call(who[name], "POST", "/portal/logout").status, 200) << name;
    EXPECT_EQ(call(who[name], "GET", "/portal/me").status, 401) << name;
  }
  EXPECT_EQ(call(who["stranger"], "POST", "/portal/logout").status, 401);
  EXPECT_EQ(call(who["admin"], "POST", "/portal/logout").status, 401);
}

}  // namespace
}  // namespace pp::testkit
