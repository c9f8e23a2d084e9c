// Prepaid balances (issue 20, C8) through the real server: a client in manual billing pays for
// its buyer's leads from a balance charged at each sale. 64 leads at once against a balance that
// covers exactly 10: exactly 10 sold (the buyer is not even posted the others), the balance never
// negative, then paused with a buyer.paused event (cause balance) in the same write as the sale
// that emptied it; a deposit resumes it (buyer.resumed). The ledger: every movement a posting,
// postings summing to zero, each balance equal to its postings. Deposits refused as they should.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "app_fixture.h"
#include "fake_payments.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;

class Balances : public AppFixture {
 protected:
  json::object config(const std::string& minimum = "0") {
    buyer_.on("/post", FakeReply::json(R"({"status":"accepted","id":"B-1"})"));
    hooks_.on("/hook", FakeReply::json("{}"));
    json::object cfg = base_config({http_buyer(300, 2, buyer_.url("/post"), 1, "10")});
    // Client 2 (buyer 300) prepays; client 3 is invoiced (billing none).
    cfg["clients"].as_array()[1].as_object()["billing"] =
        json::object{{"mode", "manual"}, {"minimum_balance", minimum}, {"minimum_deposit", "5"}};
    cfg["webhooks"] =
        json::array{json::object{{"id", 1},
                                 {"url", hooks_.url("/hook")},
                                 {"events", json::array{"buyer.paused", "buyer.resumed"}}}};
    cfg["api_tokens"].as_array().push_back(json::parse(
        R"({"name": "limited", "token": "test-limited-token", "role": "admin", "campaigns": [100]})"));
    return cfg;
  }
  HttpReply deposit(int client, const std::string& body,
                    const std::string& token = "test-admin-token") {
    return http_call(app_->port(), "POST", "/admin/clients/" + std::to_string(client) + "/deposits",
                     body, {{"Authorization", "Bearer " + token}});
  }
  json::object balance(int client = 2) {
    return parse_object(admin_get("/admin/clients/" + std::to_string(client) + "/balance").body);
  }
  std::string lead(int i) {
    return R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200",)"
           R"("first_name":"B)" +
           std::to_string(i) + R"(","email":"b)" + std::to_string(i) +
           R"(@example.org","phone":"(410) 309-)" + std::to_string(1000 + i) +
           R"(","state":"NY","lp_subid2":")" + std::to_string(i) + R"("})";
  }
  // The hook's deliveries of `event` (JSON bodies).
  std::vector<json::object> events(const std::string& event) {
    std::vector<json::object> out;
    for (const auto& r : hooks_.received()) {
      json::object o = parse_object(r.body);
      if (o["type"] == json::string_view(event)) out.push_back(o);
    }
    return out;
  }
  FakeBuyer buyer_, hooks_;
};

TEST_F(Balances, SixtyFourLeadsAtOnceBuyExactlyWhatTheBalanceCoversThenADepositResumes) {
  start(config());
  // No balance yet: the buyer is not posted to.
  json::object a = parse_object(post_lead(lead(0)).body);
  EXPECT_EQ(a["status"], "ERROR") << json::serialize(a);
  EXPECT_EQ(buyer_.count("/post"), 0u);
  HttpReply d = deposit(2, R"({"amount":"100.00","note":"wire 2211"})");
  ASSERT_EQ(d.status, 201) << d.body;
  EXPECT_EQ(parse_object(d.body)["balance"], 100);
  EXPECT_EQ(parse_object(d.body)["resumed"], true);  // an empty balance pauses; this lifts it
  ASSERT_TRUE(eventually([&] { return events("buyer.resumed").size() == 1; }));

  std::atomic<int> sold{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 64; ++t)
    threads.emplace_back([&, t] {
      json::object r = parse_object(post_lead(lead(100 + t)).body);
      (r["status"] == "ACCEPTED" ? sold : refused).fetch_add(1);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(sold.load(), 10);
  EXPECT_EQ(refused.load(), 54);
  EXPECT_EQ(buyer_.count("/post"), 10u)
      << "a buyer whose balance cannot cover a lead is not posted";
  json::object b = balance();
  EXPECT_EQ(b["balance"], 0);
  EXPECT_EQ(b["reserved"], 0);
  EXPECT_EQ(b["paused"], true);
  EXPECT_EQ(app_->engine().held().balance_reserved, 0);
  // buyer.paused (cause balance), once: written with the sale that emptied the balance.
  ASSERT_TRUE(eventually([&] { return events("buyer.paused").size() == 1; }));
  json::object paused = events("buyer.paused")[0];
  EXPECT_EQ(paused["data"].as_object()["cause"], "balance") << json::serialize(paused);
  EXPECT_EQ(paused["data"].as_object()["buyer_id"], 300);

  // The ledger: the deposit and ten sales; the client's postings are its balance.
  json::object ledger = parse_object(admin_get("/admin/clients/2/ledger?limit=5").body);
  ASSERT_EQ(ledger["postings"].as_array().size(), 5u);
  EXPECT_EQ(ledger["postings"].as_array()[0].as_object()["kind"], "sale");
  EXPECT_EQ(ledger["postings"].as_array()[0].as_object()["amount"], -10);
  const int64_t next = ledger["next_before"].as_int64();
  ledger = parse_object(admin_get("/admin/clients/2/ledger?before=" + std::to_string(next)).body);
  const json::array& rest = ledger["postings"].as_array();
  ASSERT_EQ(rest.size(), 6u);  // five more sales, then the deposit
  EXPECT_EQ(rest.back().as_object().at("kind"), "deposit");
  EXPECT_EQ(rest.back().as_object().at("amount"), 100);
  EXPECT_EQ(rest.back().as_object().at("memo"), "wire 2211");
  EXPECT_TRUE(ledger["next_before"].is_null());
  json::object audit = parse_object(admin_get("/admin/ledger").body);
  EXPECT_EQ(audit["total"], 0) << json::serialize(audit);
  EXPECT_EQ(audit["consistent"], true) << json::serialize(audit);
  // Revenue holds the sales; cash paid the deposit.
  for (const auto& acc : audit["accounts"].as_array()) {
    const json::object& o = acc.as_object();
    if (o.at("account") == "revenue") {
      EXPECT_EQ(o.at("balance"), 100);
    }
    if (o.at("account") == "cash") {
      EXPECT_EQ(o.at("balance"), -100);
    }
    if (o.at("account") == "client:2") {
      EXPECT_EQ(o.at("postings"), 11);
    }
  }

  // A deposit lifts it: buyer.resumed, and leads sell again.
  d = deposit(2, R"({"amount":25})");
  ASSERT_EQ(d.status, 201) << d.body;
  EXPECT_EQ(parse_object(d.body)["resumed"], true);
  ASSERT_TRUE(eventually([&] { return events("buyer.resumed").size() == 2; }))
      << admin_get("/admin/deliveries").body;
  EXPECT_EQ(events("buyer.resumed")[1]["data"].as_object()["cause"], "balance");
  EXPECT_EQ(parse_object(post_lead(lead(500)).body)["status"], "ACCEPTED");
  EXPECT_EQ(balance()["balance"], 15);
  // The balance survives a restart: it is the sum of its postings.
  const std::string dir = data_dir_;
  app_->shutdown();
  app_.reset();
  start(config(), dir);
  EXPECT_EQ(balance()["balance"], 15);
  EXPECT_EQ(parse_object(admin_get("/admin/ledger").body)["consistent"], true);
}

TEST_F(Balances, AMinimumBalancePausesWhileMoneyIsLeftAndTestLeadsAreNeverCharged) {
  start(config("25"));
  ASSERT_EQ(deposit(2, R"({"amount":"50"})").status, 201);
  // 50 -> 40 -> 30 -> 20 (at or below 25: paused) -> not sold.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(parse_object(post_lead(lead(i)).body)["status"], "ACCEPTED") << i;
  EXPECT_EQ(parse_object(post_lead(lead(3)).body)["status"], "ERROR");
  EXPECT_EQ(balance()["balance"], 20);
  EXPECT_EQ(balance()["paused"], true);
  // A test lead (supplier 201 is in test mode) is never billed: sold without a charge.
  std::string test_lead = lead(9);
  test_lead.replace(test_lead.find("200"), 3, "201");
  test_lead.replace(test_lead.find("supplier-key-200"), 16, "supplier-key-201");
  json::object t = parse_object(post_lead(test_lead).body);
  EXPECT_EQ(t["status"], "ACCEPTED") << json::serialize(t);
  EXPECT_EQ(balance()["balance"], 20);
}

// An approved return credits the client exactly what the sale charged, in the return's write —
// even when the client's billing changed since (the lead records whom the sale charged).
TEST_F(Balances, AReturnCreditsWhatTheSaleChargedAndResumes) {
  start(config());
  ASSERT_EQ(deposit(2, R"({"amount":"20"})").status, 201);
  std::vector<std::string> sold;
  for (int i = 0; i < 2; ++i) {
    json::object r = parse_object(post_lead(lead(i)).body);
    ASSERT_EQ(r["status"], "ACCEPTED") << json::serialize(r);
    sold.emplace_back(r["lead_id"].as_string());
  }
  EXPECT_EQ(balance()["paused"], true);
  auto give_back = [&](const std::string& id) {
    return http_call(app_->port(), "POST", "/public/lead/return",
                     R"({"lead_id":")" + id + R"(","reason":"bad phone"})",
                     {{"Authorization", "Bearer test-admin-token"}});
  };
  ASSERT_EQ(give_back(sold[0]).status, 200);
  EXPECT_EQ(balance()["balance"], 10);
  EXPECT_EQ(balance()["paused"], false);
  ASSERT_TRUE(eventually([&] { return events("buyer.resumed").size() == 2; }));  // deposit, return
  EXPECT_EQ(events("buyer.resumed")[1]["data"].as_object()["lead_id"], json::string_view(sold[0]));
  EXPECT_NE(give_back(sold[0]).status, 200);  // once
  EXPECT_EQ(balance()["balance"], 10);
  // The client leaves prepaid billing; the other sale was charged, so its return is credited.
  HttpReply patch =
      http_call(app_->port(), "PATCH", "/admin/clients/2", R"({"billing":{"mode":"none"}})",
                {{"Authorization", "Bearer test-admin-token"}});
  ASSERT_EQ(patch.status, 200) << patch.body;
  ASSERT_EQ(give_back(sold[1]).status, 200);
  json::object audit = parse_object(admin_get("/admin/ledger").body);
  EXPECT_EQ(audit["consistent"], true);
  EXPECT_EQ(audit["total"], 0);
  for (const auto& acc : audit["accounts"].as_array()) {
    const json::object& o = acc.as_object();
    if (o.at("account") == "client:2") {
      EXPECT_EQ(o.at("balance"), 20) << json::serialize(o);
    }
    if (o.at("account") == "revenue") {
      EXPECT_EQ(o.at("balance"), 0) << json::serialize(o);
    }
  }
  json::object ledger = parse_object(admin_get("/admin/clients/2/ledger").body);
  EXPECT_EQ(ledger["postings"].as_array()[0].as_object()["kind"], "return");
  EXPECT_EQ(ledger["postings"].as_array()[0].as_object()["ref"], json::string_view(sold[1]));
}

// Realtime billing: the provider charges amount + the client's fee; only a charge that succeeded
// is credited (amount to the balance, fee to the fees account); a declined card or a provider
// that fails credits nothing; the same Idempotency-Key never charges twice.
// Realtime billing's auto-recharge: a sale that leaves the balance below the threshold tops it
// up through the provider (amount + fee) once; a failed charge is shown and not repeated at once;
// a recharge cut short by a crash resumes at start under its stored key, never credited twice.
// Stops the server and leaves what a crash amid a recharge leaves: its intent in the store.
void leave_intent(std::unique_ptr<api::App>& app, const std::string& dir) {
  app.reset();
  std::string error;
  auto store = storage::Store::open(dir, {}, error);
  ASSERT_TRUE(store) << error;
  ASSERT_TRUE(store
                  ->put_state(engine::AutoRecharger::intent_key(2),
                              R"({"key":"recharge:2:crashed","amount":500000,"fee":15000})")
                  .ok());
  store->close();
}

TEST_F(Balances, AutoRechargeTopsUpOnceAndResumesAfterACrash) {
  json::object cfg = config();
  cfg["clients"].as_array()[1].as_object()["billing"] = json::parse(
      R"({"mode": "realtime", "deposit_fee_percent": "3", "minimum_deposit": "20",
          "auto_recharge": {"below": "25", "amount": "50"}})");
  auto payments = std::make_shared<FakePayments>(Money::from_whole(1000));
  start(cfg, {}, nullptr, {}, payments);
  ASSERT_EQ(deposit(2, R"({"amount":"30"})").status, 201);
  EXPECT_EQ(payments->charged, Money());
  ASSERT_EQ(parse_object(post_lead(lead(1)).body)["status"], "ACCEPTED");  // 30 -> 20: below 25
  ASSERT_TRUE(eventually([&] { return balance()["balance"] == 70; })) << json::serialize(balance());
  EXPECT_EQ(payments->charged, Money::from_units(515000));  // 50 + 3%
  json::object b = balance();
  ASSERT_TRUE(b["auto_recharge"].is_object()) << json::serialize(b);
  EXPECT_TRUE(b["auto_recharge"].as_object()["last_error"].is_null());
  // Four sales stay above 25 (70 -> 30): no charge; the fifth goes below: one more.
  for (int i = 2; i <= 5; ++i)
    ASSERT_EQ(parse_object(post_lead(lead(i)).body)["status"], "ACCEPTED");
  EXPECT_EQ(balance()["balance"], 30);
  EXPECT_EQ(payments->charged, Money::from_units(515000));
  ASSERT_EQ(parse_object(post_lead(lead(6)).body)["status"], "ACCEPTED");
  ASSERT_TRUE(eventually([&] { return balance()["balance"] == 70; }));
  EXPECT_EQ(payments->charged, Money::from_units(1030000));
  // The ledger: the fees account holds the two fees, and everything sums to zero.
  json::object audit = parse_object(admin_get("/admin/ledger").body);
  EXPECT_EQ(audit["consistent"], true) << json::serialize(audit);
  // The provider is down: the failure is shown, the balance runs down, nothing is charged.
  payments->down = true;
  for (int i = 7; i <= 11; ++i) post_lead(lead(i));  // 70 -> 20: a failed recharge
  ASSERT_TRUE(eventually([&] {
    json::object x = balance();
    return x["auto_recharge"].as_object()["last_error"].is_string();
  }));
  EXPECT_NE(
      std::string(balance()["auto_recharge"].as_object()["last_error"].as_string()).find("failed"),
      std::string::npos);
  EXPECT_EQ(payments->charged, Money::from_units(1030000));
  EXPECT_EQ(balance()["balance"], 20);

  // A crash after the provider charged, before the credit: the intent is in the store.
  const std::string dir = data_dir_;
  leave_intent(app_, dir);
  payments->down = false;
  start(cfg, dir, nullptr, {}, payments);
  ASSERT_TRUE(eventually([&] { return balance()["balance"] == 70; }));
  EXPECT_EQ(payments->charged, Money::from_units(1545000));
  // ... and one cut after the credit, before the intent went: the same key, credited once.
  leave_intent(app_, dir);
  start(cfg, dir, nullptr, {}, payments);
  ASSERT_TRUE(eventually(
      [&] { return !app_->store().get_state(engine::AutoRecharger::intent_key(2)).has_value(); }));
  EXPECT_EQ(balance()["balance"], 70);
  EXPECT_EQ(payments->charged, Money::from_units(1545000));
  EXPECT_EQ(parse_object(admin_get("/admin/ledger").body)["consistent"], true);
}

TEST_F(Balances, ChargesGoThroughTheProviderWithTheFee) {
  json::object cfg = config();
  cfg["clients"].as_array()[1].as_object()["billing"] =
      json::object{{"mode", "realtime"}, {"minimum_deposit", "50"}, {"deposit_fee_percent", "3"}};
  auto payments = std::make_shared<FakePayments>(Money::from_whole(500));
  start(cfg, {}, nullptr, {}, payments);
  auto charge = [&](const std::string& body, const std::string& key = "") {
    std::vector<std::pair<std::string, std::string>> h = {
        {"Authorization", "Bearer test-admin-token"}};
    if (!key.empty()) h.emplace_back("Idempotency-Key", key);
    return http_call(app_->port(), "POST", "/admin/clients/2/charges", body, h);
  };
  HttpReply r = charge(R"({"amount":"100"})", "top-up-1");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(parse_object(r.body)["fee"], 3);
  EXPECT_EQ(payments->charged, Money::from_whole(103));
  EXPECT_EQ(balance()["balance"], 100);
  // The same key again (a retried request): the provider returns its same charge, and pingpost
  // does not credit it twice (the key is stored with the deposit).
  const std::string first(parse_object(r.body)["id"].as_string());
  HttpReply again = charge(R"({"amount":"100"})", "top-up-1");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(parse_object(again.body)["id"], json::string_view(first));
  EXPECT_EQ(payments->charged, Money::from_whole(103));
  EXPECT_EQ(balance()["balance"], 100);
  EXPECT_EQ(charge(R"({"amount":"600"})").status, 402);  // over the card's limit: declined
  payments->down = true;
  EXPECT_EQ(charge(R"({"amount":"60"})").status, 502);
  payments->down = false;
  EXPECT_EQ(charge(R"({"amount":"49"})").status, 400);  // below the minimum deposit
  EXPECT_EQ(payments->charged, Money::from_whole(103));
  EXPECT_EQ(balance()["balance"], 100);
  json::object audit = parse_object(admin_get("/admin/ledger").body);
  EXPECT_EQ(audit["consistent"], true);
  for (const auto& acc : audit["accounts"].as_array()) {
    const json::object& o = acc.as_object();
    if (o.at("account") == "fees") {
      EXPECT_EQ(o.at("balance"), 3);
    }
    if (o.at("account") == "cash") {
      EXPECT_EQ(o.at("balance"), -103);
    }
  }
  json::object ledger = parse_object(admin_get("/admin/clients/2/ledger").body);
  EXPECT_EQ(ledger["postings"].as_array()[0].as_object()["kind"], "charge");
  EXPECT_EQ(ledger["postings"].as_array()[0].as_object()["memo"], "fake ch_1");
  // A manual-billing client cannot be charged through the provider.
  HttpReply manual =
      http_call(app_->port(), "POST", "/admin/clients/3/charges", R"({"amount":"100"})",
                {{"Authorization", "Bearer test-admin-token"}});
  EXPECT_EQ(manual.status, 409) << manual.body;
}

TEST_F(Balances, DepositsAreCheckedAndScoped) {
  start(config());
  EXPECT_EQ(deposit(3, R"({"amount":"10"})").status, 409);    // billing none: no balance
  EXPECT_EQ(deposit(2, R"({"amount":"4.99"})").status, 400);  // below the minimum deposit
  EXPECT_EQ(deposit(2, R"({"amount":"-10"})").status, 400);
  EXPECT_EQ(deposit(2, R"({"amount":"1.00001"})").status, 400);  // more than 4 decimals
  EXPECT_EQ(deposit(2, R"({"note":"no amount"})").status, 400);
  EXPECT_EQ(deposit(2, "{broken").status, 400);
  EXPECT_EQ(deposit(99, R"({"amount":"10"})").status, 404);
  EXPECT_EQ(deposit(2, R"({"amount":"10"})", "test-read-token").status, 403);
  EXPECT_EQ(deposit(2, R"({"amount":"10"})", "test-limited-token").status, 403);
  EXPECT_EQ(
      http_call(app_->port(), "POST", "/admin/clients/2/deposits", R"({"amount":"10"})").status,
      401);
  EXPECT_EQ(admin_get("/admin/clients/2/balance", "test-read-token").status, 200);
  EXPECT_EQ(admin_get("/admin/clients/2/balance", "test-limited-token").status, 403);
  EXPECT_EQ(admin_get("/admin/ledger", "test-limited-token").status, 403);
  EXPECT_EQ(balance()["balance"], 0);  // nothing refused was credited
  ASSERT_EQ(deposit(2, R"({"amount":12.5})").status, 201);
  EXPECT_EQ(balance()["balance"], 12.5);
  json::object none = balance(3);
  EXPECT_EQ(none["billing_mode"], "none");
  EXPECT_EQ(none["paused"], false);
  // No payment provider configured: charges are not possible.
  EXPECT_EQ(http_call(app_->port(), "POST", "/admin/clients/2/charges", R"({"amount":"10"})",
                      {{"Authorization", "Bearer test-admin-token"}})
                .status,
            501);
}

}  // namespace
}  // namespace pp::testkit
