// Fault injection (issue 13): a lead is failed as every stage starts and as it ends, in turn — an
// exception thrown where a stage takes over or hands over, the worst way out — for direct post,
// the exchange, a supplier's ping then post, one-to-one, and a supplier's ping alone. After every
// fault nothing is left held (cap reservations, duplicate claims, request claims), the supplier got
// a 500 and no lead was stored; afterwards caps, stats and the stored leads agree.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

#include "app_fixture.h"
#include "core/time.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;

const std::vector<std::string> kStages = {"authenticate",    "rate_limit", "request_guard",
                                          "ping_record",     "fields",     "supplier_paused",
                                          "computed_fields", "filters",    "duplicates",
                                          "supplier_caps",   "delivery",   "settlement"};

const std::vector<std::string> kPingStages = {"authenticate",    "rate_limit", "fields",
                                              "supplier_paused", "filters",    "supplier_caps",
                                              "auction"};

using engine::FaultPoint;
const FaultPoint kPoints[] = {FaultPoint::kAt, FaultPoint::kAfter};

std::string point_name(FaultPoint p) { return p == FaultPoint::kAt ? "at" : "after"; }

class FaultInjection : public AppFixture {
 protected:
  // Arms a fault at `stage` (as it starts, or as it ends) for the next request only.
  void arm(const std::string& stage, FaultPoint point) {
    target_ = stage;
    point_ = point;
    armed_ = true;
    hits_ = 0;
  }
  void install() {
    app_->engine().set_stage_fault([this](std::string_view stage, FaultPoint point) {
      if (armed_ && stage == target_ && point == point_) {
        armed_ = false;
        ++hits_;
        throw std::runtime_error("injected fault at " + std::string(stage));
      }
    });
  }
  void expect_nothing_held(const std::string& what) {
    auto h = app_->engine().held();
    EXPECT_EQ(h.cap_reserved, 0) << what;
    EXPECT_EQ(h.duplicate_claims, 0u) << what;
    EXPECT_EQ(h.request_claims, 0u) << what;
  }
  // Stored leads of campaign 100 and how many of them sold, by the read API.
  std::pair<size_t, size_t> stored_and_sold() {
    const UnixMs now = SystemClock::instance().now_ms();
    json::object page =
        parse_object(admin_get("/public/leads?campaign=100&timezone=UTC&start_date=" +
                               format_local_date(TimeZone::utc(), now - 86400000) +
                               "&end_date=" + format_local_date(TimeZone::utc(), now + 86400000))
                         .body);
    size_t sold = 0;
    for (auto& l : page["leads"].as_array())
      if (l.as_object()["status"] == "ACCEPTED") ++sold;
    return {page["leads"].as_array().size(), sold};
  }
  int64_t buyer_cap_used(int64_t buyer) {
    json::object c = parse_object(admin_get("/public/campaigns/100").body);
    for (auto& b : c["buyers"].as_array()) {
      if (b.as_object()["id"] == buyer) {
        auto& used = b.as_object()["caps"].as_object()["leads"].as_array()[0].as_object()["used"];
        return std::stoll(std::string(used.as_string()));  // a string in the seed's shape
      }
    }
    return -1;
  }
  static std::string with_key(std::string body, const std::string& key) {
    body.insert(body.size() - 1, key);
    return body;
  }

  std::string target_;
  FaultPoint point_ = FaultPoint::kAfter;
  std::atomic<bool> armed_{false};
  std::atomic<int> hits_{0};
};

json::object capped(json::object b) {
  b["caps"] = json::parse(R"({"leads": [{"type": "day", "limit": 1000}]})");
  return b;
}

TEST_F(FaultInjection, DirectPostAndExchangeLeaveNothingHeld) {
  for (bool exchange : {false, true}) {
    SCOPED_TRACE(exchange ? "exchange" : "direct post");
    FakeBuyer b;
    b.on("/ping", bid("12", "r"));
    b.on("/post", FakeReply::json(R"({"status":"accepted"})"));
    auto cfg = base_config(
        {capped(exchange ? ping_buyer(301, b, 1) : http_buyer(301, 2, b.url("/post"), 1))});
    campaign_cfg(cfg)["dupe_check"] = json::parse(R"({"fields": ["phone"], "days": 30})");
    campaign_cfg(cfg)["suppliers"].as_array()[0].as_object()["caps"] =
        json::parse(R"({"leads": [{"type": "day", "limit": 1000}]})");
    if (exchange) make_exchange(campaign_cfg(cfg));
    if (app_) app_.reset();
    start(cfg, temp_dir("faults"));
    install();
    int faulted = 0, n = 0;
    // A distinct phone and an Idempotency-Key per lead: every rule claims something.
    auto phone_of = [](size_t k) { return "41030979" + std::to_string(10 + k); };
    auto key_of = [&](const std::string& stage, FaultPoint point) {
      return "k-" + stage + "-" + point_name(point) + (exchange ? "-x" : "");
    };
    for (const auto& stage : kStages) {
      for (FaultPoint point : kPoints) {
        const std::string where = point_name(point) + " " + stage;
        arm(stage, point);
        HttpReply r = http_call(
            app_->port(), "POST", "/direct_post", lead_json("F" + stage, "NY", 200, phone_of(n++)),
            {{"Content-Type", "application/json"}, {"Idempotency-Key", key_of(stage, point)}});
        if (hits_ > 0) {
          ++faulted;
          EXPECT_EQ(r.status, 500) << where << ": " << r.body;
        } else {
          EXPECT_EQ(r.status, 200) << where;  // a stage this kind of lead does not have
        }
        expect_nothing_held("after a fault " + where);
      }
    }
    EXPECT_EQ(faulted, 22);  // at and after every stage but ping_record
    // Nothing was stored for a faulted lead; the same lead (same phone, same key) now sells: no
    // claim outlived its lead.
    EXPECT_EQ(stored_and_sold(), (std::pair<size_t, size_t>{2, 2}));  // ping_record's leads
    for (const auto& stage : {std::string("duplicates"), std::string("settlement")}) {
      size_t idx = std::find(kStages.begin(), kStages.end(), stage) - kStages.begin();
      HttpReply again = http_call(app_->port(), "POST", "/direct_post",
                                  lead_json("F" + stage, "NY", 200, phone_of(2 * idx + 1)),
                                  {{"Content-Type", "application/json"},
                                   {"Idempotency-Key", key_of(stage, FaultPoint::kAfter)}});
      EXPECT_EQ(parse_object(again.body)["status"], "ACCEPTED") << stage << ": " << again.body;
    }
    expect_nothing_held("after the retries");
    auto [stored, sold] = stored_and_sold();
    EXPECT_EQ(stored, 4u);
    EXPECT_EQ(sold, 4u);
    EXPECT_EQ(buyer_cap_used(301), int64_t(sold));  // caps and stored sales agree
  }
}

TEST_F(FaultInjection, PingThenPostAndOneToOneLeaveNothingHeld) {
  for (bool one_to_one : {false, true}) {
    SCOPED_TRACE(one_to_one ? "one-to-one" : "ping then post");
    FakeBuyer b;
    b.on("/ping", bid("12", "r"));
    b.on("/post", FakeReply::json(R"({"status":"accepted"})"));
    auto buyer = capped(ping_buyer(301, b, 1));
    buyer["company_name"] = "Acme";
    auto cfg = base_config({buyer});
    make_exchange(campaign_cfg(cfg));
    if (one_to_one) campaign_cfg(cfg)["type"] = "one_to_one";
    campaign_cfg(cfg)["dupe_check"] = json::parse(R"({"fields": ["phone"], "days": 30})");
    if (app_) app_.reset();
    start(cfg, temp_dir("faults"));
    install();
    int faulted = 0, n = 0;
    for (const auto& stage : kStages) {
      for (FaultPoint point : kPoints) {
        const std::string where = point_name(point) + " " + stage;
        json::object p = parse_object(
            http_call(app_->port(), "POST", "/ping",
                      R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200",)"
                      R"("state":"NY","zip_code":"01341"})",
                      {{"Content-Type", "application/json"}})
                .body);
        ASSERT_EQ(p["status"], "ACCEPTED") << json::serialize(p);
        std::string extra = R"(,"lp_ping_id":")" + std::string(p["ping_id"].as_string()) + "\"";
        if (one_to_one) {
          extra += R"(,"lp_consent_bids":")" +
                   std::string(p["bids"].as_array()[0].as_object()["bid_id"].as_string()) + "\"";
        }
        arm(stage, point);
        std::string phone = "41030979" + std::to_string(10 + n++);
        HttpReply r = http_call(app_->port(), "POST", "/post",
                                with_key(lead_json("F" + stage, "NY", 200, phone), extra),
                                {{"Content-Type", "application/json"}});
        if (hits_ > 0) {
          ++faulted;
          EXPECT_EQ(r.status, 500) << where << ": " << r.body;
        }
        expect_nothing_held("after a fault " + where);
      }
    }
    EXPECT_EQ(faulted, 24);  // a post goes through every stage
    auto [stored, sold] = stored_and_sold();
    EXPECT_EQ(stored, 0u);
    EXPECT_EQ(buyer_cap_used(301), 0);
  }
}

// A supplier's ping stores nothing and holds nothing past its answer: its supplier cap check goes
// back at once, and a fault anywhere (the auction's pings included) leaves no reservation behind.
TEST_F(FaultInjection, PingLeavesNothingHeld) {
  FakeBuyer b;
  b.on("/ping", bid("12", "r"));
  auto cfg = base_config({capped(ping_buyer(301, b, 1))});
  make_exchange(campaign_cfg(cfg));
  campaign_cfg(cfg)["suppliers"].as_array()[0].as_object()["caps"] =
      json::parse(R"({"leads": [{"type": "day", "limit": 1000}]})");
  start(cfg, temp_dir("faults"));
  install();
  const std::string ping =
      R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200",)"
      R"("state":"NY","zip_code":"01341"})";
  int faulted = 0;
  for (const auto& stage : kPingStages) {
    for (FaultPoint point : kPoints) {
      const std::string where = point_name(point) + " " + stage;
      arm(stage, point);
      HttpReply r =
          http_call(app_->port(), "POST", "/ping", ping, {{"Content-Type", "application/json"}});
      EXPECT_EQ(hits_, 1) << where;
      if (hits_ > 0) ++faulted;
      EXPECT_EQ(r.status, 500) << where << ": " << r.body;
      expect_nothing_held("after a fault " + where);
    }
  }
  EXPECT_EQ(faulted, 14);
  // Unfaulted, the same ping still gets its bid.
  json::object p = parse_object(
      http_call(app_->port(), "POST", "/ping", ping, {{"Content-Type", "application/json"}}).body);
  EXPECT_EQ(p["status"], "ACCEPTED") << json::serialize(p);
  expect_nothing_held("after the last ping");
}

}  // namespace
}  // namespace pp::testkit
