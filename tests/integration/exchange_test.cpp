// The ping/post exchange through /direct_post (issue 4, first part): concurrent pings under one
// deadline, ranking with margins, post to the winner with fallback, Outbid/Pinged statuses.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "app_fixture.h"
#include "core/config.h"
#include "engine/snapshot.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

class Exchange : public AppFixture {
 protected:
  json::object exchange_config(json::array buyers, int auction_ms = 500) {
    auto cfg = base_config(std::move(buyers));
    make_exchange(campaign_cfg(cfg), auction_ms);
    return cfg;
  }
  json::object ping(const std::string& body) {
    return parse_object(
        http_call(app_->port(), "POST", "/ping", body, {{"Content-Type", "application/json"}})
            .body);
  }
  json::object post_ping(const std::string& body) {
    return parse_object(
        http_call(app_->port(), "POST", "/post", body, {{"Content-Type", "application/json"}})
            .body);
  }
  static std::string ping_json(const std::string& extra = "") {
    return R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200","state":"NY",)"
           R"("zip_code":"01341","first_name":"Secret","phone":"4103097989")" +
           extra + "}";
  }
  static std::string post_json(const std::string& ping_id, const std::string& name = "Ann",
                               const std::string& extra = "") {
    std::string body = lead_json(name);
    body.insert(body.size() - 1, R"(,"lp_ping_id":")" + ping_id + "\"" + extra);
    return body;
  }
  std::optional<Lead> sell(const std::string& body = lead_json()) {
    json::object a = parse_object(post_lead(body).body);
    last_answer_ = a;
    if (!a.contains("lead_id") || !a.at("lead_id").is_string()) return std::nullopt;
    return app_->engine().find_lead(std::string(a.at("lead_id").as_string()));
  }
  const BuyerOutcome* outcome(const Lead& l, BuyerId id) {
    for (const auto& o : l.buyers) {
      if (o.buyer_id == id) return &o;
    }
    return nullptr;
  }
  json::object last_answer_;
};

TEST_F(Exchange, HighestBidWinsAfterConcurrentPings) {
  FakeBuyer b1, b2, b3;
  b1.on("/ping", bid("10", "r1"));
  b2.on("/ping", bid("25", "r2"));
  b3.on("/ping", bid("15", "r3"));
  for (auto* b : {&b1, &b2, &b3}) b->on("/post", FakeReply::json(R"({"status":"accepted"})"));
  start(exchange_config({ping_buyer(301, b1, 1), ping_buyer(302, b2, 2), ping_buyer(303, b3, 3)}));
  auto lead = sell();
  ASSERT_TRUE(lead);
  EXPECT_EQ(last_answer_["status"], "ACCEPTED");
  EXPECT_EQ(last_answer_["payout"].as_double(), 22.5);  // 25 after the campaign's 10% margin
  EXPECT_EQ(lead->revenue, Money::from_whole(25));
  EXPECT_EQ(lead->cost, Money::parse("22.5").value());
  ASSERT_EQ(lead->buyers.size(), 3u);
  EXPECT_EQ(lead->buyers[0].buyer_id, 302);
  EXPECT_EQ(lead->buyers[0].status, BuyerStatus::kAccepted);
  EXPECT_EQ(lead->buyers[1].buyer_id, 303);
  EXPECT_EQ(lead->buyers[1].status, BuyerStatus::kOutbid);
  EXPECT_EQ(lead->buyers[2].status, BuyerStatus::kOutbid);
  // Every buyer was pinged once; only the winner got the post, carrying its ping answer's ref.
  EXPECT_EQ(b1.count("/ping") + b2.count("/ping") + b3.count("/ping"), 3u);
  EXPECT_EQ(b1.count("/post") + b3.count("/post"), 0u);
  ASSERT_EQ(b2.count("/post"), 1u);
  EXPECT_EQ(parse_object(b2.received().back().body)["ping_ref"], "r2");
  // The ping carries no personal data.
  EXPECT_EQ(b1.received()[0].body.find("4103097989"), std::string::npos);
  // Debug log: raw and adjusted bids, the ping and post exchanges.
  auto dbg = app_->engine().find_debug(lead->id);
  ASSERT_TRUE(dbg);
  EXPECT_EQ(dbg->buyers[0].bid_raw, Money::from_whole(25));
  EXPECT_EQ(dbg->buyers[0].bid_adjusted, Money::parse("22.5").value());
  EXPECT_TRUE(dbg->buyers[0].ping && dbg->buyers[0].post);
  EXPECT_TRUE(dbg->buyers[1].ping);
  EXPECT_FALSE(dbg->buyers[1].post);
  EXPECT_NE(dbg->buyers[1].decision.find("outbid"), std::string::npos);
}

std::vector<std::string> keys_of(const json::object& o) {
  std::vector<std::string> k;
  for (const auto& kv : o) k.emplace_back(kv.key());
  return k;
}

// POST /public/leads/debug in seed 000's shape, for an exchange lead.
TEST_F(Exchange, DebugLogShowsEveryPingAndPostInTheSeedsShape) {
  FakeBuyer b1, b2;
  b1.on("/ping", bid("9.5", "a"));
  b1.on("/post", FakeReply::json(R"({"status":"reject","reason":"daily cap reached"})"));
  b2.on("/ping", bid("6.1", "b"));
  b2.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  start(exchange_config({ping_buyer(301, b1, 1), ping_buyer(302, b2, 2)}));
  auto lead = sell();
  ASSERT_TRUE(lead);
  HttpReply r = http_call(
      app_->port(), "POST", "/public/leads/debug",
      R"({"lead_ids":[")" + lead->id + R"(","AAAAAAAAAAAAAAAAAAAA","short"]})",
      {{"Authorization", "Bearer test-read-token"}, {"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 200);
  json::object d = parse_object(r.body);
  EXPECT_EQ(keys_of(d), (std::vector<std::string>{"leads", "errors"}));
  ASSERT_EQ(d["leads"].as_array().size(), 1u);
  ASSERT_EQ(d["errors"].as_array().size(), 2u);
  EXPECT_EQ(d["errors"].as_array()[0].as_object().at("lead_id"), "AAAAAAAAAAAAAAAAAAAA");
  const json::object& l = d["leads"].as_array()[0].as_object();
  EXPECT_EQ(keys_of(l),
            (std::vector<std::string>{"id", "lead_date_ms", "campaign_id", "status", "error_code",
                                      "error_message", "returned", "return_reason", "test", "cost",
                                      "revenue", "exec_time", "lead_data", "supplier", "buyers"}));
  EXPECT_TRUE(l.at("lead_date_ms").is_int64());
  EXPECT_EQ(l.at("status"), "Accepted");
  EXPECT_EQ(l.at("revenue"), "6.1");  // strings, as the seed shows
  EXPECT_EQ(l.at("cost"), "5.49");
  EXPECT_TRUE(l.at("exec_time").is_number());
  EXPECT_EQ(keys_of(l.at("supplier").as_object()),
            (std::vector<std::string>{"id", "nickname", "client"}));
  const json::array& buyers = l.at("buyers").as_array();
  ASSERT_EQ(buyers.size(), 2u);
  const json::object& first = buyers[0].as_object();
  EXPECT_EQ(keys_of(first),
            (std::vector<std::string>{"id", "nickname", "client", "type", "status", "error_code",
                                      "error_message", "paused", "returned", "return_reason",
                                      "sell_price", "buyer_group_id", "exec_time", "bid", "ping",
                                      "post"}));
  EXPECT_EQ(first.at("type"), "ping_post");
  EXPECT_EQ(first.at("status"), "Error");
  EXPECT_EQ(first.at("error_code"), 1006);
  EXPECT_EQ(json::serialize(first.at("bid")), R"({"raw":"9.5","adjusted":"8.55"})");
  const json::object& ping = first.at("ping").as_object();
  EXPECT_EQ(keys_of(ping),
            (std::vector<std::string>{"url", "method", "payload", "response", "http_status",
                                      "exec_time", "request_headers", "response_headers"}));
  EXPECT_EQ(ping.at("method"), "post");
  EXPECT_EQ(ping.at("payload"), R"({"state":"NY","zip":"01341"})");
  EXPECT_EQ(ping.at("http_status"), 200);
  EXPECT_EQ(ping.at("request_headers").as_object().at("Content-Type"), "application/json");
  EXPECT_EQ(first.at("post").as_object().at("response"),
            R"({"status":"reject","reason":"daily cap reached"})");
  EXPECT_EQ(buyers[1].as_object().at("status"), "Accepted");
  EXPECT_EQ(buyers[1].as_object().at("sell_price").as_double(), 6.1);
  // Bad requests.
  auto debug_call = [&](const std::string& body) {
    return http_call(app_->port(), "POST", "/public/leads/debug", body,
                     {{"Authorization", "Bearer test-read-token"}});
  };
  EXPECT_EQ(debug_call(R"({"lead_ids":[]})").status, 400);
  EXPECT_EQ(debug_call(R"({"lead_ids":["a","b","c","d","e","f"]})").status, 400);
  EXPECT_EQ(debug_call("nope").status, 400);
  EXPECT_EQ(http_call(app_->port(), "POST", "/public/leads/debug", R"({"lead_ids":[]})").status,
            401);
}

TEST_F(Exchange, SilentBuyerCannotHoldTheAuction) {
  FakeBuyer silent, fast;
  FakeReply s;
  s.silent = true;
  silent.on("/ping", s);
  fast.on("/ping", bid("8", "f"));
  fast.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  start(exchange_config({ping_buyer(301, silent, 1), ping_buyer(302, fast, 2)}, 400));
  auto t0 = std::chrono::steady_clock::now();
  auto lead = sell();
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(lead);
  EXPECT_EQ(lead->status, LeadStatus::kAccepted);
  // The silent buyer would hold its connection for an hour: the 400 ms auction closed without it.
  EXPECT_LT(took, milliseconds(2400));
  const BuyerOutcome* o = outcome(*lead, 301);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->status, BuyerStatus::kError);
  EXPECT_EQ(o->error_code, 1035);
  EXPECT_EQ(o->error_message, "PING timeout exceeded");
}

TEST_F(Exchange, GarbageAndOversizedPingAnswersAreNoBids) {
  FakeBuyer garbage, huge, good;
  garbage.on("/ping", FakeReply{200, "<html>nope</html>", "text/html"});
  FakeReply big;
  big.body_bytes = 1 << 20;
  huge.on("/ping", big);
  good.on("/ping", bid("5", "g"));
  good.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  start(exchange_config(
      {ping_buyer(301, garbage, 1), ping_buyer(302, huge, 2), ping_buyer(303, good, 3)}));
  auto lead = sell();
  ASSERT_TRUE(lead);
  EXPECT_EQ(lead->status, LeadStatus::kAccepted);
  EXPECT_EQ(outcome(*lead, 301)->error_message, "Buyer error: invalid JSON answer");
  EXPECT_EQ(outcome(*lead, 302)->error_message, "Buyer error: response too large");
  EXPECT_EQ(outcome(*lead, 303)->status, BuyerStatus::kAccepted);
}

TEST_F(Exchange, WinnerRejectsThenTheNextBidWins) {
  FakeBuyer b1, b2, b3;
  b1.on("/ping", bid("30", "a"));
  b1.on("/post", FakeReply::json(R"({"status":"rejected","reason":"cap"})"));
  b2.on("/ping", bid("20", "b"));
  b2.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  b3.on("/ping", bid("10", "c"));
  b3.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  start(exchange_config({ping_buyer(301, b1, 1), ping_buyer(302, b2, 2), ping_buyer(303, b3, 3)}));
  auto lead = sell();
  ASSERT_TRUE(lead);
  EXPECT_EQ(lead->revenue, Money::from_whole(20));
  EXPECT_EQ(lead->cost, Money::from_whole(18));
  EXPECT_EQ(lead->buyers[0].buyer_id, 301);
  EXPECT_EQ(lead->buyers[0].error_code, 1006);
  EXPECT_EQ(lead->buyers[0].error_message, "Rejected by buyer: cap");
  EXPECT_EQ(lead->buyers[1].status, BuyerStatus::kAccepted);
  EXPECT_EQ(lead->buyers[2].status, BuyerStatus::kOutbid);
  EXPECT_EQ(b3.count("/post"), 0u);
}

TEST_F(Exchange, NoBidsAndAllTimeouts) {
  FakeBuyer no1, no2;
  no1.on("/ping", FakeReply::json(R"({"status":"rejected"})"));
  no2.on("/ping", FakeReply::json(R"({"status":"duplicate"})"));
  start(exchange_config({ping_buyer(301, no1, 1), ping_buyer(302, no2, 2)}));
  auto lead = sell();
  ASSERT_TRUE(lead);
  EXPECT_EQ(last_answer_["code"], 1005);
  EXPECT_EQ(outcome(*lead, 301)->error_message, "Rejected by buyer on ping");
  EXPECT_EQ(outcome(*lead, 302)->status, BuyerStatus::kDuplicated);

  app_.reset();
  std::filesystem::remove_all(data_dir_);
  FakeBuyer slow1, slow2;
  FakeReply late = bid("9", "x");
  late.delay = milliseconds(3000);
  slow1.on("/ping", late);
  slow2.on("/ping", late);
  start(exchange_config({ping_buyer(301, slow1, 1), ping_buyer(302, slow2, 2)}, 300));
  auto timed_out = sell(lead_json("Late"));
  ASSERT_TRUE(timed_out);
  EXPECT_EQ(last_answer_["code"], 1035);
  EXPECT_EQ(last_answer_["message"], "PING timeout exceeded");
}

TEST_F(Exchange, StaticBuyersBidTheirPriceAndTheMinimumBidApplies) {
  FakeBuyer pinger, direct;
  pinger.on("/ping", bid("11", "p"));
  pinger.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  direct.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  json::object static_buyer = http_buyer(302, 3, direct.url("/post"), 2, "12");
  static_buyer["margin"] = json::parse(R"({"type":"fixed","value":"3"})");  // buyer override
  auto cfg = exchange_config({ping_buyer(301, pinger, 1), static_buyer});
  start(cfg);
  auto lead = sell();
  ASSERT_TRUE(lead);
  // 12 - $3 = 9 ranks below 11 - 10% = 9.9: the pinged buyer wins.
  EXPECT_EQ(lead->buyers[0].buyer_id, 301);
  EXPECT_EQ(lead->cost, Money::parse("9.9").value());
  EXPECT_EQ(outcome(*lead, 302)->status, BuyerStatus::kOutbid);
  EXPECT_EQ(direct.count("/post"), 0u);

  app_.reset();
  std::filesystem::remove_all(data_dir_);
  campaign_cfg(cfg)["suppliers"].as_array()[0].as_object()["min_buyer_bid"] = "15";
  start(cfg);
  auto none = sell(lead_json("Min"));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, LeadStatus::kError);
  EXPECT_EQ(outcome(*none, 301)->error_message, "Bid below the minimum buyer bid");
  EXPECT_EQ(pinger.count("/post"), 1u);  // only from the first lead
}

TEST_F(Exchange, SharedSaleSellsToTheTopBids) {
  FakeBuyer b1, b2, b3;
  b1.on("/ping", bid("10", "1"));
  b2.on("/ping", bid("20", "2"));
  b3.on("/ping", bid("30", "3"));
  for (auto* b : {&b1, &b2, &b3}) b->on("/post", FakeReply::json(R"({"status":"accepted"})"));
  auto cfg =
      exchange_config({ping_buyer(301, b1, 1), ping_buyer(302, b2, 2), ping_buyer(303, b3, 3)});
  campaign_cfg(cfg)["exchange"].as_object()["sale"] = "shared";
  campaign_cfg(cfg)["exchange"].as_object()["shared_max_buyers"] = 2;
  start(cfg);
  auto lead = sell();
  ASSERT_TRUE(lead);
  EXPECT_EQ(lead->revenue, Money::from_whole(50));
  EXPECT_EQ(lead->cost, Money::from_whole(45));
  EXPECT_EQ(outcome(*lead, 303)->status, BuyerStatus::kAccepted);
  EXPECT_EQ(outcome(*lead, 302)->status, BuyerStatus::kAccepted);
  EXPECT_EQ(outcome(*lead, 301)->status, BuyerStatus::kOutbid);
}

TEST_F(Exchange, SupplierPingThenPost) {
  FakeBuyer b1, b2;
  b1.on("/ping", bid("25", "r1"));
  b2.on("/ping", bid("15", "r2"));
  for (auto* b : {&b1, &b2}) b->on("/post", FakeReply::json(R"({"status":"accepted"})"));
  start(exchange_config({ping_buyer(301, b1, 1), ping_buyer(302, b2, 2)}));
  json::object p = ping(ping_json());
  ASSERT_EQ(p["status"], "ACCEPTED") << json::serialize(p);
  EXPECT_EQ(p["bid"].as_double(), 22.5);
  EXPECT_EQ(p["payout"].as_double(), 22.5);
  EXPECT_EQ(p["expires_in"], 300);
  EXPECT_FALSE(p.contains("bids"));
  std::string ping_id(p["ping_id"].as_string());
  EXPECT_EQ(ping_id.size(), 36u);
  EXPECT_EQ(b1.count("/ping"), 1u);
  EXPECT_EQ(b1.count("/post"), 0u);  // nothing is sold on a ping

  json::object a = post_ping(post_json(ping_id));
  ASSERT_EQ(a["status"], "ACCEPTED") << json::serialize(a);
  EXPECT_EQ(a["payout"].as_double(), 22.5);
  auto lead = app_->engine().find_lead(std::string(a["lead_id"].as_string()));
  ASSERT_TRUE(lead);
  EXPECT_EQ(*find_field(lead->fields, "lp_ping_id"), ping_id);
  EXPECT_EQ(lead->buyers[0].buyer_id, 301);
  EXPECT_EQ(lead->buyers[1].status, BuyerStatus::kOutbid);
  EXPECT_EQ(b1.count("/ping"), 1u);  // the post does not ping again
  EXPECT_EQ(b1.count("/post"), 1u);
  EXPECT_EQ(parse_object(b1.received().back().body)["ping_ref"], "r1");
  auto dbg = app_->engine().find_debug(lead->id);
  ASSERT_TRUE(dbg && dbg->buyers[0].ping && dbg->buyers[0].post);
  // Personal data never travels on a ping, even if the supplier sends it.
  EXPECT_EQ(dbg->buyers[0].ping->payload.find("Secret"), std::string::npos);
  EXPECT_EQ(dbg->buyers[0].ping->payload.find("4103097989"), std::string::npos);
}

// Issue 13: a ping keeps the configuration it ran on until its post. Between ping and post the
// configuration changes (buyers reordered, one removed, one added, the bidder's post URL moved):
// the post sells the buyer that bid, at its bid, as it was configured when it bid; a post whose
// bidders are all gone is refused cleanly (1018) and stores nothing.
TEST_F(Exchange, PostSellsTheBidderOnThePingsConfigurationAfterASwap) {
  FakeBuyer b1, b2, b3;
  b1.on("/ping", bid("10", "r1"));
  b2.on("/ping", bid("25", "r2"));
  b3.on("/ping", bid("99", "r3"));
  for (auto* b : {&b1, &b2, &b3}) b->on("/post", FakeReply::json(R"({"status":"accepted"})"));
  auto cfg = exchange_config({ping_buyer(301, b1, 1), ping_buyer(302, b2, 2)});
  start(cfg);
  auto swap = [&](json::array buyers) {
    auto next = exchange_config(std::move(buyers));
    ConfigLoadResult loaded = load_config(json::serialize(next));
    ASSERT_TRUE(loaded.config) << loaded.errors[0];
    std::vector<std::string> errors;
    auto snap = engine::Snapshot::build(loaded.config, errors);
    ASSERT_TRUE(snap);
    app_->engine().swap_snapshot(snap);
  };

  json::object p = ping(ping_json());
  ASSERT_EQ(p["status"], "ACCEPTED") << json::serialize(p);
  EXPECT_EQ(p["bid"].as_double(), 22.5);
  // 303 is new and first, 302 moved its post to b3, 301 is gone.
  auto moved = ping_buyer(302, b3, 2);
  swap({ping_buyer(303, b3, 1), moved});
  json::object a = post_ping(post_json(std::string(p["ping_id"].as_string())));
  ASSERT_EQ(a["status"], "ACCEPTED") << json::serialize(a);
  EXPECT_EQ(a["payout"].as_double(), 22.5);
  auto lead = app_->engine().find_lead(std::string(a["lead_id"].as_string()));
  ASSERT_TRUE(lead);
  EXPECT_EQ(lead->buyers[0].buyer_id, 302);
  EXPECT_EQ(lead->buyers[0].sell_price, Money::from_whole(25));
  EXPECT_EQ(b2.count("/post"), 1u);  // where 302 posted when it bid
  EXPECT_EQ(b3.count("/post"), 0u);
  EXPECT_EQ(b3.count("/ping"), 0u);  // nobody new is pinged by a post

  // Only 301 bids; then 301 is removed: the post is refused, nothing stored.
  swap({ping_buyer(301, b1, 1), ping_buyer(302, b2, 2)});
  b2.on("/ping", FakeReply::json(R"({"status":"rejected"})"));
  json::object p2 = ping(ping_json(R"(,"lp_subid1":"second")"));
  ASSERT_EQ(p2["status"], "ACCEPTED") << json::serialize(p2);
  swap({ping_buyer(302, b2, 2)});
  json::object r = post_ping(post_json(std::string(p2["ping_id"].as_string())));
  EXPECT_EQ(r["status"], "ERROR");
  EXPECT_EQ(r["code"], 1018);
  EXPECT_EQ(r["message"], "The buyer that bid on this ping no longer exists: ping again");
  EXPECT_TRUE(r["lead_id"].is_null()) << json::serialize(r);  // nothing stored
  EXPECT_EQ(b1.count("/post"), 0u);
}

TEST_F(Exchange, PingIdsAreSingleUseAndExpire) {
  FakeBuyer b;
  b.on("/ping", bid("10", "x"));
  b.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  auto cfg = exchange_config({ping_buyer(301, b, 1)});
  campaign_cfg(cfg)["exchange"].as_object()["ping_ttl_ms"] = 60000;
  ManualClock clock(1795366800000);
  start(cfg, {}, &clock);
  std::string id(ping(ping_json())["ping_id"].as_string());
  EXPECT_EQ(post_ping(post_json(id))["status"], "ACCEPTED");
  json::object replay = post_ping(post_json(id, "Other body"));
  EXPECT_EQ(replay["code"], 1016);
  EXPECT_EQ(replay["message"], "lp_ping_id was already posted");
  EXPECT_TRUE(replay["lead_id"].is_null());
  EXPECT_EQ(post_ping(post_json("00000000-0000-4000-8000-000000000000"))["code"], 1013);
  EXPECT_EQ(post_ping(lead_json("No ping"))["code"], 1001);
  std::string late(ping(ping_json(R"(,"lp_subid1":"b")"))["ping_id"].as_string());
  clock.advance_ms(61000);
  json::object expired = post_ping(post_json(late, "Late"));
  EXPECT_EQ(expired["code"], 1014);
  EXPECT_EQ(expired["message"], "lp_ping_id has expired");
  // Another supplier cannot post this campaign's ping.
  std::string other(ping(ping_json(R"(,"lp_subid1":"c")"))["ping_id"].as_string());
  std::string body = lead_json("Ann", "NY", 201);
  body.insert(body.size() - 1, R"(,"lp_ping_id":")" + other + "\"");
  EXPECT_EQ(post_ping(body)["code"], 1013);
  EXPECT_EQ(b.count("/post"), 1u);
  app_.reset();  // before the local clock goes: the app reads it until it stops
}

TEST_F(Exchange, SharedPingListsBidsAndThePostSellsTheChosenOnes) {
  FakeBuyer b1, b2, b3;
  b1.on("/ping", bid("10", "1"));
  b2.on("/ping", bid("20", "2"));
  b3.on("/ping", bid("30", "3"));
  for (auto* b : {&b1, &b2, &b3}) b->on("/post", FakeReply::json(R"({"status":"accepted"})"));
  auto cfg =
      exchange_config({ping_buyer(301, b1, 1), ping_buyer(302, b2, 2), ping_buyer(303, b3, 3)});
  campaign_cfg(cfg)["exchange"].as_object()["sale"] = "shared";
  start(cfg);
  json::object p = ping(ping_json());
  ASSERT_EQ(p["status"], "ACCEPTED");
  const json::array& bids = p["bids"].as_array();
  ASSERT_EQ(bids.size(), 3u);
  EXPECT_EQ(bids[0].as_object().at("payout"), 27);
  EXPECT_EQ(bids[2].as_object().at("payout"), 9);
  // The supplier picks the third and the first bid, in that order.
  std::string chosen = std::string(bids[2].as_object().at("bid_id").as_string()) + "," +
                       std::string(bids[0].as_object().at("bid_id").as_string());
  json::object a = post_ping(
      post_json(std::string(p["ping_id"].as_string()), "Ann", R"(,"lp_bid_id":")" + chosen + "\""));
  ASSERT_EQ(a["status"], "ACCEPTED");
  auto lead = app_->engine().find_lead(std::string(a["lead_id"].as_string()));
  ASSERT_TRUE(lead);
  EXPECT_EQ(lead->revenue, Money::from_whole(40));
  EXPECT_EQ(lead->cost, Money::from_whole(36));
  EXPECT_EQ(lead->buyers[0].buyer_id, 301);
  EXPECT_EQ(lead->buyers[1].buyer_id, 303);
  EXPECT_EQ(lead->buyers[2].buyer_id, 302);
  EXPECT_EQ(lead->buyers[2].status, BuyerStatus::kOutbid);
  EXPECT_EQ(lead->buyers[2].error_message, "Not chosen");
  EXPECT_EQ(b2.count("/post"), 0u);
}

TEST_F(Exchange, OneToOnePingListsConsentableBidsAndThePostFollowsTheConsentOrder) {
  FakeBuyer a, b, c, d;
  a.on("/ping", bid("20", "a"));
  b.on("/ping", bid("18", "b"));
  c.on("/ping",
       FakeReply::json(R"({"status":"accepted","bid":"15","ref":"c","plan":"Solar Plus"})"));
  d.on("/ping", bid("3", "d"));
  std::atomic<bool> c_accepts{true};
  for (auto* f : {&a, &b, &d}) f->on("/post", FakeReply::json(R"({"status":"accepted"})"));
  c.on("/post", [&c_accepts](const Received&) {
    return FakeReply::json(c_accepts ? R"({"status":"accepted"})" : R"({"status":"rejected"})");
  });
  json::object ba = ping_buyer(301, a, 1), bb = ping_buyer(302, b, 2), bc = ping_buyer(303, c, 3),
               bd = ping_buyer(304, d, 4);
  ba["company_name"] = "Acme Solar";
  bb["company_name"] = "ACME SOLAR";  // the same company: only its best bid is listed
  bc["company_name"] = "Bright Homes";
  bc["ping_response"].as_object()["extra"] = json::parse(R"({"plan": "plan"})");
  auto cfg = exchange_config({ba, bb, bc, bd});
  campaign_cfg(cfg)["type"] = "one_to_one";
  campaign_cfg(cfg)["one_to_one"] = json::parse(R"({"min_bid": "5", "max_bids": 3})");
  start(cfg);

  json::object p = ping(ping_json());
  ASSERT_EQ(p["status"], "ACCEPTED") << json::serialize(p);
  const json::array& bids = p["bids"].as_array();
  ASSERT_EQ(bids.size(), 2u);  // B deduplicated by company, D below the minimum
  EXPECT_EQ(bids[0].as_object().at("company_name"), "Acme Solar");
  EXPECT_EQ(bids[0].as_object().at("price"), 18);
  EXPECT_EQ(bids[1].as_object().at("company_name"), "Bright Homes");
  EXPECT_EQ(bids[1].as_object().at("price").as_double(), 13.5);
  EXPECT_EQ(json::serialize(bids[1].as_object().at("data")), R"({"plan":"Solar Plus"})");
  std::string acme(bids[0].as_object().at("bid_id").as_string());
  std::string bright(bids[1].as_object().at("bid_id").as_string());
  std::string ping_id(p["ping_id"].as_string());

  // The consumer consented to Bright first, then Acme: Bright buys, Acme is not tried.
  json::object no_consent = post_ping(post_json(ping_id, "No consent"));
  EXPECT_EQ(no_consent["code"], 1001);
  EXPECT_EQ(no_consent["message"], "Missing required parameter lp_consent_bids");
  json::object sold =
      post_ping(post_json(ping_id, "Ann", R"(,"lp_consent_bids":")" + bright + "," + acme + "\""));
  ASSERT_EQ(sold["status"], "ACCEPTED") << json::serialize(sold);
  auto lead = app_->engine().find_lead(std::string(sold["lead_id"].as_string()));
  ASSERT_TRUE(lead);
  EXPECT_EQ(lead->buyers[0].buyer_id, 303);
  EXPECT_EQ(lead->buyers[0].status, BuyerStatus::kAccepted);
  EXPECT_EQ(lead->revenue, Money::from_whole(15));
  EXPECT_EQ(*find_field(lead->fields, "lp_consent_bids"), bright + "," + acme);
  EXPECT_EQ(a.count("/post"), 0u);

  // Bright rejects: the next consented bid (Acme) buys.
  c_accepts = false;
  json::object p3 = ping(ping_json(R"(,"lp_subid1":"z")"));
  const json::array& bids3 = p3["bids"].as_array();
  std::string acme3(bids3[0].as_object().at("bid_id").as_string());
  std::string bright3(bids3[1].as_object().at("bid_id").as_string());
  json::object fallback =
      post_ping(post_json(std::string(p3["ping_id"].as_string()), "Bo",
                          R"(,"lp_consent_bids":")" + bright3 + "," + acme3 + "\""));
  ASSERT_EQ(fallback["status"], "ACCEPTED");
  auto lead2 = app_->engine().find_lead(std::string(fallback["lead_id"].as_string()));
  EXPECT_EQ(lead2->buyers[0].buyer_id, 303);
  EXPECT_EQ(lead2->buyers[0].error_code, 1006);
  EXPECT_EQ(lead2->buyers[1].buyer_id, 301);
  EXPECT_EQ(lead2->buyers[1].status, BuyerStatus::kAccepted);
  EXPECT_EQ(lead2->revenue, Money::from_whole(20));
  EXPECT_EQ(b.count("/post"), 0u);  // never listed, never posted
}

TEST_F(Exchange, BuyersAtTheirCapAreNotPinged) {
  FakeBuyer b1, b2;
  b1.on("/ping", bid("30", "1"));
  b2.on("/ping", bid("10", "2"));
  for (auto* b : {&b1, &b2}) b->on("/post", FakeReply::json(R"({"status":"accepted"})"));
  json::object capped = ping_buyer(301, b1, 1);
  capped["caps"] = json::parse(R"({"leads":[{"type":"day","limit":1}]})");
  start(exchange_config({capped, ping_buyer(302, b2, 2)}));
  EXPECT_EQ(sell(lead_json("One"))->buyers[0].buyer_id, 301);
  auto second = sell(lead_json("Two"));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->buyers[0].buyer_id, 302);
  EXPECT_EQ(outcome(*second, 301)->error_message, "Cap reached: day");
  EXPECT_EQ(b1.count("/ping"), 1u);  // not pinged once full
}

TEST_F(Exchange, PingValidationAndPrePing) {
  FakeBuyer b;
  b.on("/ping", bid("10", "x"));
  start(exchange_config({ping_buyer(301, b, 1)}));
  json::object missing =
      ping(R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200"})");
  EXPECT_EQ(missing["code"], 1001);
  EXPECT_EQ(missing["message"], "Missing required field: state");
  EXPECT_TRUE(missing["ping_id"].is_null());
  EXPECT_EQ(
      ping(R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"nope","state":"NY"})")["code"],
      1003);
  EXPECT_EQ(b.count("/ping"), 0u);

  // A direct-post campaign: /ping is the pre-ping duplicate check; /post is not its endpoint.
  app_.reset();
  std::filesystem::remove_all(data_dir_);
  FakeBuyer d;
  d.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  auto cfg = base_config({http_buyer(301, 2, d.url("/post"), 1)});
  campaign_cfg(cfg)["dupe_check"] = json::parse(R"({"fields":["phone"]})");
  start(cfg);
  auto preping = [&](const std::string& phone) {
    return ping(
        R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200","phone":")" +
        phone + "\"}");
  };
  EXPECT_EQ(preping("4103097989")["status"], "ACCEPTED");
  EXPECT_EQ(post_lead(lead_json()).status, 200);
  json::object dup = preping("(410) 309-7989");
  EXPECT_EQ(dup["status"], "DUPLICATED");
  EXPECT_EQ(dup["code"], 1008);
  EXPECT_EQ(preping("4105550123")["status"], "ACCEPTED");
  std::string metrics = admin_get("/metrics").body;
  EXPECT_NE(metrics.find("pingpost_prepings_total 3"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("pingpost_prepings_accepted_total 2"), std::string::npos);
  EXPECT_EQ(post_ping(post_json("x"))["code"], 1010);
}

}  // namespace
}  // namespace pp::testkit
