// The public read API over real HTTP (issue 5): every endpoint answers with the keys, key order
// and JSON types of seed 000's examples (tests/data/seed000), its figures follow the traffic that
// went through the engine (pings, pre-pings, posts, returns), and bad parameters get the seed's
// error shape with a 400, never a 500.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "app_fixture.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;

json::value seed(const std::string& name) {
  std::ifstream in(std::string(PP_SOURCE_DIR) + "/tests/data/seed000/" + name + ".json");
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

const char* kind(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "bool";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "?";
}

// Keys whose value may be null where the seed's example shows a value (or the reverse):
// the seed itself shows both (debug log bids and HTTP steps; nicknames), "no more pages", or an
// error's details (null in the seed's example; one entry per bad parameter here).
const std::set<std::string> kNullable = {"search_after", "bid",      "ping",
                                         "post",         "nickname", "details"};
// Objects whose keys are data, not schema.
const std::set<std::string> kFreeForm = {"lead_data", "request_headers", "response_headers"};

// Our answer has exactly the seed's keys, in its order, with its types, recursively. Array
// elements are compared with the seed's first element.
void same_shape(const json::value& ours, const json::value& want, const std::string& path,
                std::vector<std::string>& problems) {
  std::string key = path.substr(path.rfind('.') + 1);
  if (ours.is_null() != want.is_null() && kNullable.count(key)) return;
  // Caps are an object, or [] when there are none: the seed's examples show both.
  if (key == "caps" && ((ours.is_array() && ours.as_array().empty()) ||
                        (want.is_array() && want.as_array().empty())))
    return;
  if (std::string(kind(ours)) != kind(want)) {
    problems.push_back(path + ": " + kind(ours) + " where the seed has " + kind(want));
    return;
  }
  if (ours.is_object()) {
    if (kFreeForm.count(key)) return;
    std::vector<std::string> a, b;
    for (const auto& kv : ours.as_object()) a.emplace_back(kv.key());
    for (const auto& kv : want.as_object()) b.emplace_back(kv.key());
    if (a != b) {
      std::string as, bs;
      for (auto& k : a) as += k + " ";
      for (auto& k : b) bs += k + " ";
      problems.push_back(path + ": keys [" + as + "] where the seed has [" + bs + "]");
      return;
    }
    for (const auto& kv : want.as_object())
      same_shape(ours.as_object().at(kv.key()), kv.value(), path + "." + std::string(kv.key()),
                 problems);
  } else if (ours.is_array() && !want.as_array().empty()) {
    for (size_t i = 0; i < ours.as_array().size(); ++i)
      same_shape(ours.as_array()[i], want.as_array()[0], path + "[" + std::to_string(i) + "]",
                 problems);
  }
}

::testing::AssertionResult shaped_like(const std::string& body, const std::string& seed_name) {
  boost::system::error_code ec;
  json::value ours = json::parse(body, ec);
  if (ec) return ::testing::AssertionFailure() << "not JSON: " << body;
  std::vector<std::string> problems;
  same_shape(ours, seed(seed_name), "$", problems);
  if (problems.empty()) return ::testing::AssertionSuccess();
  auto f = ::testing::AssertionFailure() << seed_name << ":";
  for (const auto& p : problems) f << "\n  " << p;
  return f;
}

class ReadApi : public AppFixture {
 protected:
  // Campaign 100: an exchange (buyers 301, 302 bid 20 and 10, except on CA); campaign 101: direct
  // post with a phone duplicate check (pre-pings), buyer 310.
  void SetUp() override {
    auto bidder = [](const char* amount) {
      return [amount](const Received& r) {
        if (r.body.find("\"CA\"") != std::string::npos)
          return FakeReply::json(R"({"status":"rejected"})");
        return bid(amount, "ref");
      };
    };
    b1_.on("/ping", bidder("20"));
    b2_.on("/ping", bidder("10"));
    for (auto* b : {&b1_, &b2_, &b3_}) b->on("/post", FakeReply::json(R"({"status":"accepted"})"));
    auto cfg = base_config({ping_buyer(301, b1_, 1), ping_buyer(302, b2_, 2)});
    json::object& c100 = campaign_cfg(cfg);
    make_exchange(c100);
    c100["tags"] = json::array{"solar"};
    json::object c101 = json::parse(json::serialize(c100)).as_object();
    c101["id"] = 101;
    c101["name"] = "Direct";
    c101["type"] = "direct_post";
    c101.erase("exchange");
    c101["tags"] = json::array{"auto"};
    c101["dupe_check"] = json::parse(R"({"fields":["phone"]})");
    c101["suppliers"] = json::parse(
        R"([{"id": 210, "client_id": 1, "lp_key": "supplier-key-210",
             "price": {"type": "static", "amount": "3"}}])");
    c101["buyers"] = json::array{http_buyer(310, 3, b3_.url("/post"), 1, "12.5")};
    cfg["campaigns"].as_array().push_back(c101);
    cfg["clients"].as_array()[0].as_object()["email"] = "ops@supplier.example";
    start(cfg, {}, &clock_);
  }

  std::string call(const std::string& method, const std::string& path, const std::string& body) {
    auto r = http_call(app_->port(), method, path, body, {{"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return r.body;
  }
  json::object get(const std::string& target, int status = 200,
                   const std::string& token = "test-read-token") {
    auto r = admin_get(target, token);
    EXPECT_EQ(r.status, status) << target << ": " << r.body;
    last_body_ = r.body;
    return parse_object(r.body);
  }
  json::value get_value(const std::string& target) {
    auto r = admin_get(target, "test-read-token");
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    last_body_ = r.body;
    return json::parse(r.body);
  }

  // Every kind of traffic; returns the ids of the leads sold on campaign 100.
  std::vector<std::string> traffic() {
    const std::string ping100 =
        R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200",)"
        R"("state":"NY","zip_code":"01341","lp_subid1":"fb"})";
    json::object p = parse_object(call("POST", "/ping", ping100));
    EXPECT_EQ(p["status"], "ACCEPTED") << json::serialize(p);
    std::string no_bid_ping = ping100;
    no_bid_ping.replace(no_bid_ping.find("NY"), 2, "CA");
    EXPECT_NE(parse_object(call("POST", "/ping", no_bid_ping))["status"], "ACCEPTED");

    std::string post = lead_json("Ann");
    post.insert(post.size() - 1,
                R"(,"lp_ping_id":")" + std::string(p["ping_id"].as_string()) + "\"");
    json::object a = parse_object(call("POST", "/post", post));
    EXPECT_EQ(a["status"], "ACCEPTED") << json::serialize(a);
    clock_.advance_ms(1000);  // the engine's clock is manual: one lead per second
    json::object b = parse_object(call("POST", "/direct_post", lead_json("Bob", "NJ")));
    EXPECT_EQ(b["status"], "ACCEPTED") << json::serialize(b);

    // Campaign 101: one sale, then pre-pings (a duplicate and a new phone).
    const std::string lead101 =
        R"({"lp_campaign_id":101,"lp_supplier_id":210,"lp_key":"supplier-key-210",)"
        R"("first_name":"Cy","email":"cy@example.org","phone":"(410) 309-7989","state":"NY"})";
    EXPECT_EQ(parse_object(call("POST", "/direct_post", lead101))["status"], "ACCEPTED");
    const std::string preping =
        R"({"lp_campaign_id":101,"lp_supplier_id":210,"lp_key":"supplier-key-210","phone":")";
    EXPECT_EQ(parse_object(call("POST", "/ping", preping + R"(4103097989"})"))["status"],
              "DUPLICATED");
    EXPECT_EQ(parse_object(call("POST", "/ping", preping + R"(2125550100"})"))["status"],
              "ACCEPTED");
    // A final durable write (a duplicate): every ping's statistics before it are on disk too,
    // since they share one commit queue.
    // (Another first name: an identical body would get the first answer back, A7.)
    std::string dup101 = lead101;
    dup101.replace(dup101.find("Cy"), 2, "Dee");
    EXPECT_EQ(parse_object(call("POST", "/direct_post", dup101))["status"], "DUPLICATED");

    std::string ret =
        R"({"lead_id":")" + std::string(a["lead_id"].as_string()) + R"(","reason":"Bad phone"})";
    auto r = http_call(app_->port(), "POST", "/public/lead/return", ret,
                       {{"Authorization", "Bearer test-admin-token"}});
    EXPECT_EQ(r.status, 200) << r.body;
    return {std::string(a["lead_id"].as_string()), std::string(b["lead_id"].as_string())};
  }

  static UnixMs noon_today() {
    TimeZone ny;
    TimeZone::lookup("America/New_York", ny);
    return period_start(ny, CalendarPeriod::kDay, SystemClock::instance().now_ms()) + 12 * 3600000;
  }
  // The engine's day (noon, New York: no traffic near a day boundary), +/- a day.
  std::string dates() const {
    TimeZone ny;
    TimeZone::lookup("America/New_York", ny);
    return "start_date=" + format_local_date(ny, clock_.now_ms() - 86400000) +
           "&end_date=" + format_local_date(ny, clock_.now_ms() + 86400000);
  }

  static const json::object& find(const json::array& list, int64_t id) {
    for (const auto& v : list) {
      if (v.at("id").to_number<int64_t>() == id) return v.as_object();
    }
    static const json::object none;
    ADD_FAILURE() << "no element with id " << id;
    return none;
  }

  FakeBuyer b1_, b2_, b3_;
  ManualClock clock_{noon_today()};
  std::string last_body_;
};

TEST_F(ReadApi, StatsCountEveryKindOfTrafficInTheSeedsShape) {
  traffic();
  json::value doc = get_value("/public/stats?" + dates());
  EXPECT_TRUE(shaped_like(last_body_, "stats"));
  ASSERT_EQ(doc.as_array().size(), 2u);
  const auto& c100 = doc.as_array()[0].as_object();
  EXPECT_EQ(c100.at("campaign").at("id"), 100);
  EXPECT_EQ(c100.at("campaign").at("leads_total"), 2);
  EXPECT_EQ(c100.at("campaign").at("leads_accepted"), 2);

  const auto& s200 = find(c100.at("suppliers").as_array(), 200);
  EXPECT_EQ(s200.at("client_company"), "Supplier Co");
  EXPECT_EQ(s200.at("pings_total"), 2);
  EXPECT_EQ(s200.at("pings_accepted"), 1);
  EXPECT_EQ(s200.at("pings_failed"), 1);
  EXPECT_EQ(s200.at("pings_avg_bid").to_number<double>(), 18.0);  // 20 after the 10% margin
  EXPECT_EQ(s200.at("pings_post_ratio"), 100);                    // the accepted ping was posted
  EXPECT_EQ(s200.at("leads_returned"), 1);
  EXPECT_EQ(s200.at("net_leads_accepted"), 1);
  // Sold twice at 20 (the exchange pays the supplier 18): returns take one sale back.
  EXPECT_EQ(s200.at("gross_revenue"), 40);
  EXPECT_EQ(s200.at("gross_cost"), 36);
  EXPECT_EQ(s200.at("returned_revenue"), 20);
  EXPECT_EQ(s200.at("returned_cost"), 18);
  EXPECT_EQ(s200.at("net_profit"), 2);
  const auto& b301 = find(c100.at("buyers").as_array(), 301);
  EXPECT_EQ(b301.at("pings_total"), 3);  // two supplier pings and the direct post's own ping
  EXPECT_EQ(b301.at("pings_accepted"), 2);
  EXPECT_EQ(b301.at("pings_failed"), 1);
  EXPECT_EQ(b301.at("leads_accepted"), 2);
  EXPECT_EQ(b301.at("leads_returned"), 1);
  EXPECT_EQ(b301.at("net_revenue"), 20);
  const auto& b302 = find(c100.at("buyers").as_array(), 302);
  EXPECT_EQ(b302.at("leads_total"), 0);  // outbid: never posted to
  EXPECT_EQ(b302.at("pings_total"), 3);

  const auto& c101 = doc.as_array()[1].as_object();
  const auto& s210 = find(c101.at("suppliers").as_array(), 210);
  EXPECT_EQ(s210.at("leads_duplicated"), 1);
  EXPECT_EQ(s210.at("preping_total"), 2);
  EXPECT_EQ(s210.at("preping_accepted"), 1);
  EXPECT_EQ(s210.at("preping_failed"), 1);
  EXPECT_EQ(s210.at("total_sell").to_number<double>(), 12.5);
  EXPECT_EQ(s210.at("total_buy"), 3);

  // Grouped: a breakdown at every level, keyed by period.
  json::value by_day = get_value("/public/stats?" + dates() + "&group=day&campaign=101");
  ASSERT_EQ(by_day.as_array().size(), 1u);
  const auto& camp = by_day.as_array()[0].at("campaign").as_object();
  ASSERT_TRUE(camp.contains("breakdown"));
  ASSERT_EQ(camp.at("breakdown").as_array().size(), 1u);
  EXPECT_EQ(camp.at("breakdown").as_array()[0].at("leads_total"), 2);  // a sale, a duplicate
  EXPECT_EQ(camp.at("breakdown").as_array()[0].at("period").as_string().size(), 10u);
  EXPECT_TRUE(by_day.as_array()[0].at("suppliers").as_array()[0].as_object().contains("breakdown"));
  EXPECT_TRUE(by_day.as_array()[0].at("buyers").as_array()[0].as_object().contains("breakdown"));
  // Tags choose campaigns.
  json::value tagged = get_value("/public/stats?" + dates() + "&tags=auto,other");
  ASSERT_EQ(tagged.as_array().size(), 1u);
  EXPECT_EQ(tagged.as_array()[0].at("campaign").at("id"), 101);
}

TEST_F(ReadApi, SupplierStatsByDayAndSubIds) {
  traffic();
  json::value doc =
      get_value("/public/stats/supplier?campaign=100&supplier=200&group=sub1,sub2&" + dates());
  EXPECT_TRUE(shaped_like(last_body_, "stats_supplier"));
  // The ping and its post carried sub1 "fb"; the direct posts too (lead_json): one row.
  int64_t leads = 0, pings = 0;
  for (const auto& r : doc.as_array()) {
    EXPECT_EQ(r.at("sub1"), "fb");
    EXPECT_EQ(r.at("sub2"), "-");
    leads += r.at("leads_total").to_number<int64_t>();
    pings += r.at("pings_total").to_number<int64_t>();
  }
  EXPECT_EQ(leads, 2);
  EXPECT_EQ(pings, 2);
}

TEST_F(ReadApi, AccountingInAllThreeModes) {
  traffic();
  json::object simple = get("/public/accounting?" + dates());
  EXPECT_TRUE(shaped_like(last_body_, "accounting_simple"));
  // Client 1 supplies both campaigns; client 2 buys on 100, client 3 on 101.
  std::map<int64_t, json::object> by_client;
  for (const auto& d : simple.at("data").as_array())
    by_client[d.at("client").at("id").to_number<int64_t>()] = d.as_object();
  ASSERT_EQ(by_client.size(), 3u);
  EXPECT_EQ(by_client[1].at("client").at("email"), "ops@supplier.example");
  const auto& owed = by_client[1].at("owed").as_object();
  EXPECT_EQ(owed.at("total"), 36 + 3);  // gross: 2 x 18 on 100, 1 x 3 on 101
  EXPECT_EQ(owed.at("breakdown").as_array().size(), 2u);
  const auto& due2 = by_client[2].at("due").as_object();
  EXPECT_EQ(due2.at("total"), 40);
  const auto& line = due2.at("breakdown").as_array()[0].as_object();
  EXPECT_EQ(line.at("quantity"), 2);
  EXPECT_EQ(line.at("returned_leads"), 1);
  EXPECT_EQ(line.at("net_amount"), 20);
  EXPECT_EQ(line.at("avg_price"), 20);
  EXPECT_TRUE(by_client[2].at("owed").at("breakdown").as_array().empty());

  get("/public/accounting?mode=granular&client_type=suppliers&" + dates());
  EXPECT_TRUE(shaped_like(last_body_, "accounting_suppliers"));
  json::object buyers =
      get("/public/accounting?mode=granular&client_type=buyers&client=2&" + dates());
  EXPECT_TRUE(shaped_like(last_body_, "accounting_buyers"));
  ASSERT_EQ(buyers.at("data").as_array().size(), 1u);
  const auto& t = buyers.at("data").as_array()[0].at("totals").as_object();
  EXPECT_EQ(t.at("gross_cost"), 36);
  EXPECT_EQ(t.at("returned_buyer_amount"), 18);
  EXPECT_EQ(t.at("returned_supplier_amount"), 20);
  EXPECT_EQ(t.at("net_profit"), 2);
}

TEST_F(ReadApi, LeadSearchLeadAndDebugInTheSeedsShape) {
  auto sold = traffic();
  json::object page = get("/public/leads?campaign=100&" + dates());
  EXPECT_TRUE(shaped_like(last_body_, "leads"));
  ASSERT_EQ(page.at("leads").as_array().size(), 2u);
  EXPECT_TRUE(page.at("search_after").is_null());
  // Newest first.
  EXPECT_EQ(page.at("leads").as_array()[0].at("id").as_string(), sold[1]);
  EXPECT_EQ(page.at("leads").as_array()[1].at("id").as_string(), sold[0]);
  EXPECT_TRUE(page.at("leads").as_array()[0].at("lead_date_ms").is_string());

  json::object returned = get("/public/leads?campaign=100&return=1&" + dates());
  ASSERT_EQ(returned.at("leads").as_array().size(), 1u);
  EXPECT_EQ(returned.at("leads").as_array()[0].at("id").as_string(), sold[0]);
  json::object by_state =
      get("/public/leads?campaign=100&field_name=state&field_value=nj&" + dates());
  ASSERT_EQ(by_state.at("leads").as_array().size(), 1u);
  EXPECT_EQ(by_state.at("leads").as_array()[0].at("id").as_string(), sold[1]);

  get("/public/lead/" + sold[0]);
  EXPECT_TRUE(shaped_like(last_body_, "lead"));
  auto r = http_call(app_->port(), "POST", "/public/leads/debug",
                     R"({"lead_ids":[")" + sold[0] + R"("]})",
                     {{"Authorization", "Bearer test-read-token"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(shaped_like(r.body, "leads_debug"));
}

TEST_F(ReadApi, CampaignsPauseAndReturnInTheSeedsShape) {
  auto sold = traffic();
  get_value("/public/campaigns");
  EXPECT_TRUE(shaped_like(last_body_, "campaigns"));
  get("/public/campaigns/100");
  EXPECT_TRUE(shaped_like(last_body_, "campaign"));
  auto pause = admin_get("/public/campaigns/100/pause_buyer/301");
  EXPECT_EQ(pause.status, 200);
  EXPECT_TRUE(shaped_like(pause.body, "pause_buyer"));
  auto again = admin_get("/public/campaigns/100/pause_buyer/301");
  EXPECT_EQ(again.status, 400);
  EXPECT_TRUE(shaped_like(again.body, "error"));
  auto ret = http_call(app_->port(), "POST", "/public/lead/return",
                       R"({"lead_id":")" + sold[0] + R"(","reason":"again"})",
                       {{"Authorization", "Bearer test-admin-token"}});
  EXPECT_EQ(ret.status, 400);
  EXPECT_TRUE(shaped_like(ret.body, "error"));
  EXPECT_EQ(parse_object(ret.body)["message"],
            "Cannot return shared lead OR Lead was already returned");
}

TEST_F(ReadApi, BadParametersGetTheSeedsErrorShape) {
  struct Case {
    std::string target;
    std::string param;
  };
  const std::vector<Case> cases = {
      {"/public/stats", "start_date"},
      {"/public/stats?start_date=2025-01-01", "end_date"},
      {"/public/stats?start_date=2025-13-01&end_date=2025-01-02", "start_date"},
      {"/public/stats?start_date=2025-01-01&end_date=2025-01-02&timezone=Mars/Olympus", "timezone"},
      {"/public/stats?start_date=2025-01-05&end_date=2025-01-02", "end_date"},
      {"/public/stats?start_date=2025-01-01&end_date=2025-01-09&group=hour", "group"},
      {"/public/stats?start_date=2025-01-01&end_date=2025-01-02&group=year", "group"},
      {"/public/stats?start_date=2025-01-01&end_date=2025-01-02&campaign=100,999", "campaign"},
      {"/public/stats?start_date=2025-01-01&end_date=2025-01-02&campaign=abc", "campaign"},
      {"/public/stats?start_date=2020-01-01&end_date=2025-01-02", "end_date"},
      {"/public/stats/supplier?campaign=100&supplier=200&start_date=2025-01-01&end_date=2025-01-02",
       "group"},
      {"/public/stats/supplier?campaign=100&supplier=999&group=sub1&start_date=2025-01-01&end_date="
       "2025-01-02",
       "supplier"},
      {"/public/accounting?start_date=2025-01-01&end_date=2025-01-02&mode=granular", "client_type"},
      {"/public/accounting?start_date=2025-01-01&end_date=2025-01-02&mode=fancy", "mode"},
      {"/public/leads?start_date=2025-01-01&end_date=2025-01-02", "campaign"},
      {"/public/leads?campaign=100&start_date=2025-01-01&end_date=2025-01-02&status=sold",
       "status"},
      {"/public/leads?campaign=100&start_date=2025-01-01&end_date=2025-01-02&field_name=state",
       "field_value"},
      {"/public/leads?campaign=100&start_date=2025-01-01&end_date=2025-01-02&search_after=x",
       "search_after"},
      {"/public/leads?campaign=100&start_date=2025-01-01+25:00:00&end_date=2025-01-02",
       "start_date"},
  };
  for (const auto& c : cases) {
    json::object e = get(c.target, 400);
    EXPECT_TRUE(shaped_like(last_body_, "error")) << c.target;
    EXPECT_EQ(e["status"], "error");
    EXPECT_TRUE(e["details"].is_object() && e["details"].as_object().contains(c.param))
        << c.target << " -> " << last_body_;
  }
  // Datetimes are accepted where the seed allows them.
  get("/public/leads?campaign=100&start_date=2025-01-01+08:00:00&end_date=2025-01-02+17:30:00");
  // Tokens: any valid token reads; none is refused.
  get("/public/stats?start_date=2025-01-01&end_date=2025-01-02", 200, "test-admin-token");
  get("/public/stats?start_date=2025-01-01&end_date=2025-01-02", 401, "wrong-token-123");
}

TEST_F(ReadApi, DebugLogsAreKeptNinetyDays) {
  // The clock moves; the debug log of an old lead is refused (and storage drops it).
  TearDown();
  ManualClock clock(SystemClock::instance().now_ms());
  auto cfg = base_config({http_buyer(301, 2, b3_.url("/post"), 1)});
  start(cfg, {}, &clock);
  json::object a = parse_object(post_lead(lead_json()).body);
  std::string id(a["lead_id"].as_string());
  auto debug = [&] {
    auto r =
        http_call(app_->port(), "POST", "/public/leads/debug", R"({"lead_ids":[")" + id + R"("]})",
                  {{"Authorization", "Bearer test-read-token"}});
    return parse_object(r.body);
  };
  EXPECT_EQ(debug()["leads"].as_array().size(), 1u);
  clock.advance_ms(91LL * 86400000);
  json::object old = debug();
  EXPECT_TRUE(old["leads"].as_array().empty());
  ASSERT_EQ(old["errors"].as_array().size(), 1u);
  app_.reset();  // before the local clock goes: the app reads it until it stops
}

}  // namespace
}  // namespace pp::testkit
