// Live configuration under load (issue 14): exchange leads keep arriving while 200 changes are
// applied one after another (buyers added and archived, caps, filters, pauses and resumes,
// margins). No lead fails or hangs because of a change, and every lead's outcome matches the
// configuration version its timeline names: the buyers it lists are exactly that version's, a
// buyer paused or filtered in that version is skipped for that reason, and a lead with an
// eligible buyer in that version is sold.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "app_fixture.h"
#include "core/codes.h"
#include "core/text.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;

class LiveChanges : public AppFixture {
 protected:
  HttpReply call(const std::string& method, const std::string& target,
                 const std::string& body = {}) {
    std::vector<std::pair<std::string, std::string>> h = {
        {"Authorization", "Bearer test-admin-token"}, {"Content-Type", "application/json"}};
    return http_call(app_->port(), method, target, body, h);
  }
};

bool flag(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_bool() && v->as_bool();
}

// Whether a buyer document's filters (the test's: one allow filter on state, or none) let a lead
// from `state` through.
bool passes(const json::object& buyer, const std::string& state) {
  const json::value* fs = buyer.if_contains("filters");
  if (fs == nullptr || fs->as_array().empty()) return true;
  for (const auto& f : fs->as_array()) {
    for (const auto& v : f.as_object().at("values").as_array())
      if (v.as_string() == state) return true;
  }
  return false;
}

TEST_F(LiveChanges, TwoHundredChangesUnderLoadEachLeadMatchesItsVersion) {
  FakeBuyer fb;
  fb.on("/ping", bid("12", "r"));
  fb.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  auto cfg = base_config({ping_buyer(301, fb, 1), ping_buyer(302, fb, 2), ping_buyer(303, fb, 3)});
  make_exchange(campaign_cfg(cfg), 800);
  start(cfg);

  // Versions as the API answered them: version -> the campaign's buyers (id -> document).
  std::map<uint64_t, std::map<int64_t, json::object>> versions;
  auto snapshot_buyers = [&] {
    HttpReply r = call("GET", "/admin/config");
    std::string etag;
    for (const auto& [k, v] : r.headers)
      if (iequals(k, "ETag")) etag = v;
    uint64_t v = std::stoull(etag.substr(1, etag.size() - 2));
    json::object doc = parse_object(r.body);
    auto& m = versions[v];
    for (auto& b : doc["campaigns"].as_array()[0].as_object()["buyers"].as_array())
      m[b.as_object()["id"].as_int64()] = b.as_object();
  };
  snapshot_buyers();

  // Load: four posting threads until the changes are done.
  std::atomic<bool> done{false};
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> leads;  // id, state
  std::atomic<int> failures{0};
  std::vector<std::thread> posters;
  for (int t = 0; t < 4; ++t) {
    posters.emplace_back([&, t] {
      for (int n = 0; !done.load() || n < 5; ++n) {
        const std::string state = (n + t) % 2 ? "NY" : "CA";
        HttpReply r = post_lead(lead_json("L" + std::to_string(t) + "x" + std::to_string(n), state,
                                          200, "41030" + std::to_string(10000 + t * 10000 + n)));
        json::object a = parse_object(r.body);
        if (r.status != 200 || !a.contains("lead_id")) {
          ++failures;
          continue;
        }
        std::lock_guard lk(mu);
        leads.emplace_back(std::string(a["lead_id"].as_string()), state);
      }
    });
  }

  const std::string buyers = "/admin/campaigns/100/buyers";
  std::vector<int64_t> added;
  for (int k = 0; k < 200; ++k) {
    HttpReply r;
    switch (k % 6) {
      case 0: {  // a new buyer
        json::object b = ping_buyer(400 + k, fb, 4);
        r = call("POST", buyers, json::serialize(b));
        added.push_back(400 + k);
        break;
      }
      case 1:  // the last added one goes (archived: the campaign has leads)
        r = call("DELETE", buyers + "/" + std::to_string(added.back()));
        break;
      case 2:
        r = call("PATCH", buyers + "/301",
                 R"({"caps": {"leads": [{"type": "day", "limit": )" + std::to_string(10000 + k) +
                     "}]}}");
        break;
      case 3:  // a state filter on 302, on and off
        r = call(
            "PATCH", buyers + "/302",
            (k / 6) % 2
                ? R"({"filters": null})"
                : R"({"filters": [{"name": "ny only", "field": "state", "op": "equals", "values": ["NY"]}]})");
        break;
      case 4:  // 303 paused, then resumed
        r = call("GET", std::string("/public/campaigns/100/") +
                            ((k / 6) % 2 ? "resume_buyer" : "pause_buyer") + "/303");
        break;
      case 5:
        r = call("PATCH", "/admin/campaigns/100",
                 R"({"exchange": {"margin": {"type": "percent", "value": )" +
                     std::to_string(k % 20) + "}}}");
        break;
    }
    ASSERT_LT(r.status, 300) << k << ": " << r.body;
    snapshot_buyers();
  }
  done = true;
  for (auto& t : posters) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(versions.rbegin()->first, 201u);

  size_t checked = 0, sold = 0;
  std::set<uint64_t> seen_versions;
  for (const auto& [id, state] : leads) {
    json::object tl = parse_object(admin_get("/admin/leads/" + id + "/timeline").body);
    json::object lead = parse_object(admin_get("/admin/leads/" + id).body);
    const uint64_t v = uint64_t(tl["config_version"].as_int64());
    ASSERT_TRUE(versions.count(v)) << id << " ran on unknown version " << v;
    seen_versions.insert(v);
    // That version's buyers, the archived ones gone.
    std::map<int64_t, const json::object*> expected;
    for (const auto& [bid, doc] : versions[v])
      if (!flag(doc, "archived")) expected[bid] = &doc;
    std::set<int64_t> listed;
    bool any_eligible = false;
    for (auto& b : lead["buyers"].as_array()) {
      json::object& o = b.as_object();
      const int64_t bid = o["id"].as_int64();
      listed.insert(bid);
      ASSERT_TRUE(expected.count(bid))
          << id << " lists buyer " << bid << " absent from version " << v;
      const json::object& doc = *expected[bid];
      if (flag(doc, "paused")) {
        EXPECT_EQ(o["error_code"], code_int(Code::kBuyerPaused)) << id << " buyer " << bid;
      } else if (!passes(doc, state)) {
        EXPECT_EQ(o["error_code"], code_int(Code::kFiltered)) << id << " buyer " << bid;
      } else {
        any_eligible = true;
        EXPECT_NE(o["error_code"], code_int(Code::kBuyerPaused)) << id << " buyer " << bid;
        EXPECT_NE(o["error_code"], code_int(Code::kFiltered)) << id << " buyer " << bid;
      }
    }
    EXPECT_EQ(listed.size(), expected.size()) << id << " on version " << v;
    if (any_eligible) {
      EXPECT_EQ(lead["status"], "ACCEPTED") << id;
      ++sold;
    }
    ++checked;
  }
  EXPECT_GT(checked, 50u);
  EXPECT_GT(sold, 0u);
  EXPECT_GT(seen_versions.size(), 20u);  // leads really ran across the changes
  std::cout << checked << " leads over " << seen_versions.size() << " versions\n";
}

}  // namespace
}  // namespace pp::testkit
