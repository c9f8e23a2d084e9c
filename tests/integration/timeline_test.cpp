// The lead's timeline (issue 13): GET /admin/leads/{id}/timeline lists every stage the lead went
// through, in order, with its verdict, reason and duration, the configuration version it ran on,
// and every buyer's decision (eligible or skipped and why, bids, rank, ping and post).
#include <gtest/gtest.h>

#include <numeric>

#include "app_fixture.h"
#include "core/config.h"
#include "engine/snapshot.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;

class Timeline : public AppFixture {
 protected:
  json::object timeline(const std::string& id, const std::string& token = "test-read-token") {
    HttpReply r = admin_get("/admin/leads/" + id + "/timeline", token);
    EXPECT_EQ(r.status, 200) << r.body;
    return parse_object(r.body);
  }
  static std::vector<std::string> stage_names(json::object& t) {
    std::vector<std::string> out;
    for (auto& s : t["stages"].as_array()) out.emplace_back(s.as_object()["stage"].as_string());
    return out;
  }
  static json::object* buyer(json::object& t, int64_t id) {
    for (auto& b : t["buyers"].as_array())
      if (b.as_object()["id"] == id) return &b.as_object();
    return nullptr;
  }
  std::string lead_id(const HttpReply& r) {
    return std::string(parse_object(r.body)["lead_id"].as_string());
  }
};

const std::vector<std::string> kDirectStages = {
    "authenticate", "rate_limit", "request_guard", "fields",   "supplier_paused", "computed_fields",
    "filters",      "duplicates", "supplier_caps", "delivery", "settlement"};

TEST_F(Timeline, EveryStageInOrderWithinTheLeadsExecTime) {
  FakeBuyer b1, b2;
  b1.on("/post", FakeReply::json(R"({"status":"rejected","reason":"no coverage"})"));
  b2.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  auto filtered = http_buyer(303, 4, b2.url("/post"), 3);
  filtered["filters"] = json::parse(R"([{"field":"state","op":"equals","values":["CA"]}])");
  start(base_config(
      {http_buyer(301, 2, b1.url("/post"), 1), http_buyer(302, 3, b2.url("/post"), 2), filtered}));
  std::string id = lead_id(post_lead(lead_json()));
  json::object t = timeline(id);
  EXPECT_EQ(t["lead_id"], id.c_str());
  EXPECT_EQ(t["status"], "ACCEPTED");
  EXPECT_EQ(t["config_version"], 1);
  EXPECT_EQ(stage_names(t), kDirectStages);
  int64_t sum = 0;
  for (auto& s : t["stages"].as_array()) {
    EXPECT_EQ(s.as_object()["verdict"], "continue");
    EXPECT_GE(s.as_object()["duration_us"].as_int64(), 0);
    sum += s.as_object()["duration_us"].as_int64();
  }
  EXPECT_LE(sum, t["exec_time_us"].as_int64());
  EXPECT_EQ(t["stages"].as_array()[9].as_object()["reason"],
            "distribution: 3 buyer(s), 2 tried, 1 sold");
  EXPECT_EQ(t["stages"].as_array()[10].as_object()["reason"], "revenue 10, cost 4.25");

  // Every buyer: the one that rejected, the one that bought, the one a filter skipped.
  json::object* rejected = buyer(t, 301);
  ASSERT_TRUE(rejected);
  EXPECT_EQ((*rejected)["eligible"], true);
  EXPECT_EQ((*rejected)["error_code"], 1006);
  EXPECT_EQ((*rejected)["reason"], "Rejected by buyer: no coverage");
  EXPECT_EQ((*rejected)["post"].as_object()["http_status"], 200);
  json::object* sold = buyer(t, 302);
  ASSERT_TRUE(sold);
  EXPECT_EQ((*sold)["status"], "ACCEPTED");
  EXPECT_EQ((*sold)["decision"], "accepted at 10");
  json::object* skipped = buyer(t, 303);
  ASSERT_TRUE(skipped);
  EXPECT_EQ((*skipped)["eligible"], false);
  EXPECT_EQ((*skipped)["reason"], "Filtered: state");
  EXPECT_TRUE((*skipped)["post"].is_null());

  EXPECT_EQ(admin_get("/admin/leads/AAAAAAAAAAAAAAAAAAAA/timeline").status, 404);
  EXPECT_EQ(admin_get("/admin/leads/" + id + "/nope").status, 404);
  EXPECT_EQ(admin_get("/admin/leads/" + id + "/timeline", "wrong").status, 401);
}

// A lead stopped by a stage: that stage is the last, marked stop, with the stored outcome.
TEST_F(Timeline, TheStageThatStopsALeadIsItsLast) {
  FakeBuyer b;
  b.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  auto cfg = base_config({http_buyer(301, 2, b.url("/post"), 1)});
  campaign_cfg(cfg)["filters"] =
      json::parse(R"([{"field":"state","op":"equals","values":["NY"]}])");
  start(cfg);
  json::object t = timeline(lead_id(post_lead(lead_json("Ann", "TX"))));
  std::vector<std::string> want(kDirectStages.begin(), kDirectStages.begin() + 7);
  EXPECT_EQ(stage_names(t), want);
  auto& last = t["stages"].as_array().back().as_object();
  EXPECT_EQ(last["stage"], "filters");
  EXPECT_EQ(last["verdict"], "stop");
  EXPECT_EQ(last["reason"], "Lead not accepted due to filters: state");
  EXPECT_EQ(t["error_code"], 1007);

  // Missing fields stop at the first rule stage.
  std::string body = lead_json();
  body.replace(body.find("\"first_name\":\"Ann\""), 18, "\"first_name\":\"\"");
  json::object m = timeline(lead_id(post_lead(body)));
  EXPECT_EQ(stage_names(m).back(), "fields");
  EXPECT_EQ(m["stages"].as_array().back().as_object()["reason"],
            "Missing required field: first_name");
}

// The exchange: bids, adjusted bids and ranks; a post of a ping records its ping and the
// configuration version the ping ran on, while a lead after the change records the new one.
TEST_F(Timeline, ExchangeRanksAndConfigurationVersions) {
  FakeBuyer b1, b2;
  b1.on("/ping", bid("10", "r1"));
  b2.on("/ping", bid("25", "r2"));
  for (auto* b : {&b1, &b2}) b->on("/post", FakeReply::json(R"({"status":"accepted"})"));
  auto cfg = base_config({ping_buyer(301, b1, 1), ping_buyer(302, b2, 2)});
  make_exchange(campaign_cfg(cfg));
  start(cfg);
  std::string id = lead_id(post_lead(lead_json()));
  json::object t = timeline(id);
  json::object* winner = buyer(t, 302);
  json::object* second = buyer(t, 301);
  ASSERT_TRUE(winner && second);
  EXPECT_EQ((*winner)["rank"], 1);
  EXPECT_EQ((*winner)["bid_raw"], "25");
  EXPECT_EQ((*winner)["bid_adjusted"], "22.5");
  EXPECT_EQ((*winner)["ping"].as_object()["http_status"], 200);
  EXPECT_EQ((*second)["rank"], 2);
  EXPECT_EQ((*second)["status"], "OUTBID");
  EXPECT_TRUE((*second)["post"].is_null());
  EXPECT_EQ(t["stages"].as_array()[9].as_object()["reason"],
            "exchange: 2 buyer(s), 2 tried, 1 sold");

  // Ping on version 1, swap to version 2, post: the post ran on version 1.
  json::object p = parse_object(http_call(app_->port(), "POST", "/ping",
                                          R"({"lp_campaign_id":100,"lp_supplier_id":200,)"
                                          R"("lp_key":"supplier-key-200","state":"NY"})",
                                          {{"Content-Type", "application/json"}})
                                    .body);
  ASSERT_EQ(p["status"], "ACCEPTED") << json::serialize(p);
  ConfigLoadResult loaded = load_config(json::serialize(cfg));
  ASSERT_TRUE(loaded.config);
  std::vector<std::string> errors;
  app_->engine().swap_snapshot(engine::Snapshot::build(loaded.config, errors, 2));
  std::string body = lead_json("Posted");
  body.insert(body.size() - 1, R"(,"lp_ping_id":")" + std::string(p["ping_id"].as_string()) + "\"");
  HttpReply posted =
      http_call(app_->port(), "POST", "/post", body, {{"Content-Type", "application/json"}});
  json::object pt = timeline(lead_id(posted));
  EXPECT_EQ(pt["config_version"], 1);
  std::vector<std::string> names = stage_names(pt);
  ASSERT_GE(names.size(), 4u);
  EXPECT_EQ(names[3], "ping_record");
  EXPECT_NE(
      pt["stages"].as_array()[3].as_object()["reason"].as_string().find("(its configuration kept)"),
      std::string::npos);
  json::object after = timeline(lead_id(post_lead(lead_json("After"))));
  EXPECT_EQ(after["config_version"], 2);
}

// /metrics: stage latency and buyer latency histograms, buyer outcomes by kind, with campaign and
// buyer labels.
TEST_F(Timeline, MetricsPerStageAndPerBuyer) {
  FakeBuyer b1, b2;
  b1.on("/post", FakeReply::json(R"({"status":"rejected","reason":"no"})"));
  b2.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  auto filtered = http_buyer(303, 4, b2.url("/post"), 3);
  filtered["filters"] = json::parse(R"([{"field":"state","op":"equals","values":["CA"]}])");
  start(base_config(
      {http_buyer(301, 2, b1.url("/post"), 1), http_buyer(302, 3, b2.url("/post"), 2), filtered}));
  for (int i = 0; i < 2; ++i) post_lead(lead_json("N" + std::to_string(i)));
  // The third lead has an Idempotency-Key; the same key reused reused with another body, twice:
  // refused by the request guard (counted, never stored).
  const std::pair<std::string, std::string> json_type{"Content-Type", "application/json"};
  ASSERT_EQ(http_call(app_->port(), "POST", "/direct_post", lead_json("K0"),
                      {json_type, {"Idempotency-Key", "key-1"}})
                .status,
            200);
  for (int i = 1; i <= 2; ++i) {
    HttpReply r =
        http_call(app_->port(), "POST", "/direct_post", lead_json("K" + std::to_string(i)),
                  {json_type, {"Idempotency-Key", "key-1"}});
    ASSERT_EQ(r.status, 409) << r.body;
  }
  std::string m = admin_get("/metrics").body;
  auto has = [&](const std::string& line) { return m.find(line + "\n") != std::string::npos; };
  EXPECT_TRUE(has("# TYPE pingpost_stage_duration_seconds histogram")) << m;
  EXPECT_TRUE(has("pingpost_stage_duration_seconds_count{stage=\"delivery\"} 3")) << m;
  EXPECT_TRUE(has("pingpost_stage_duration_seconds_bucket{stage=\"filters\",le=\"+Inf\"} 3"));
  EXPECT_TRUE(has("pingpost_stage_duration_seconds_count{stage=\"storage\"} 3")) << m;
  EXPECT_TRUE(has("pingpost_stage_refusals_total{stage=\"request_guard\"} 2")) << m;
  EXPECT_TRUE(
      has("pingpost_buyer_request_duration_seconds_count{campaign=\"100\",buyer=\"301\","
          "request=\"post\"} 3"));
  EXPECT_TRUE(
      has("pingpost_buyer_outcomes_total{campaign=\"100\",buyer=\"301\","
          "outcome=\"rejected\"} 3"));
  EXPECT_TRUE(
      has("pingpost_buyer_outcomes_total{campaign=\"100\",buyer=\"302\","
          "outcome=\"accepted\"} 3"));
  EXPECT_TRUE(
      has("pingpost_buyer_outcomes_total{campaign=\"100\",buyer=\"303\","
          "outcome=\"skipped_filter\"} 3"));
  // Buckets are cumulative and end at the count.
  const std::string prefix =
      "pingpost_buyer_request_duration_seconds_bucket{campaign=\"100\",buyer=\"302\","
      "request=\"post\",le=";
  std::vector<uint64_t> counts;
  for (size_t at = m.find(prefix); at != std::string::npos; at = m.find(prefix, at + 1)) {
    size_t sp = m.find("} ", at);
    counts.push_back(std::stoull(m.substr(sp + 2, m.find('\n', sp) - sp - 2)));
  }
  ASSERT_EQ(counts.size(), 17u);  // 16 bounds and +Inf
  uint64_t last = 0;
  for (uint64_t c : counts) {
    EXPECT_GE(c, last);
    last = c;
  }
  EXPECT_EQ(last, 3u);
}

}  // namespace
}  // namespace pp::testkit
