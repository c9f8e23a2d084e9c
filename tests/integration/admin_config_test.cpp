// The configuration admin API (issue 14): the store is the truth; entities are created, read,
// listed, replaced, merge-patched and deleted through /admin/; every change is validated whole,
// stored with its change-log entry and published to the next lead; ETag / If-Match; rollback;
// the change log; restarts and round trips.
#include <gtest/gtest.h>

#include "app_fixture.h"
#include "core/hash.h"
#include "core/text.h"
#include "core/time.h"
#include "engine/day_rows.h"
#include "engine/reports.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;

class AdminConfig : public AppFixture {
 protected:
  HttpReply call(const std::string& method, const std::string& target, const std::string& body = {},
                 std::vector<std::pair<std::string, std::string>> headers = {},
                 const std::string& token = "test-admin-token") {
    headers.emplace_back("Authorization", "Bearer " + token);
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    return http_call(app_->port(), method, target, body, headers);
  }
  static std::string header(const HttpReply& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (iequals(k, name)) return v;
    return {};
  }
  uint64_t version() {
    std::string etag = header(admin_get("/admin/config"), "ETag");
    return std::stoull(etag.substr(1, etag.size() - 2));
  }
  json::value get_json(const std::string& target) { return json::parse(admin_get(target).body); }
};

TEST_F(AdminConfig, TheDocumentIsTheFilesShapeWithSecretsHashed) {
  start(base_config({}));
  HttpReply r = admin_get("/admin/config");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(header(r, "ETag"), "\"1\"");
  EXPECT_EQ(r.body.find("supplier-key-200"), std::string::npos);
  EXPECT_EQ(r.body.find("test-admin-token"), std::string::npos);
  json::object doc = parse_object(r.body);
  auto& s = doc["campaigns"].as_array()[0].as_object()["suppliers"].as_array()[0].as_object();
  EXPECT_EQ(s["lp_key_sha256"], json::value(sha256_hex("supplier-key-200")));
  EXPECT_FALSE(s.contains("lp_key"));
  // The first version is the file's, in the change log.
  json::object ch = parse_object(admin_get("/admin/changes").body);
  ASSERT_EQ(ch["changes"].as_array().size(), 1u);
  EXPECT_EQ(ch["changes"].as_array()[0].as_object()["op"], "seed");
  EXPECT_EQ(ch["changes"].as_array()[0].as_object()["actor"], "--config");
}

TEST_F(AdminConfig, EveryEntityCreateReadListReplacePatchDelete) {
  FakeBuyer fb;
  fb.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  start(base_config({}));
  struct Case {
    std::string list;  // the list's URL
    json::object doc;  // a new entity (no id: the next free one is given)
    std::string patch_key;
    json::value patch_value;
  };
  json::object buyer = http_buyer(0, 2, fb.url("/post"), 1);
  buyer.erase("id");
  std::vector<Case> cases = {
      {"/admin/clients", json::parse(R"({"company": "New Co"})").as_object(), "email",
       json::value("ops@new.co")},
      {"/admin/campaigns",
       json::parse(R"({"name": "Second", "fields": [{"name": "email", "type": "email"}],
                       "suppliers": []})")
           .as_object(),
       "public_name", json::value("Second, renamed")},
      {"/admin/campaigns/100/suppliers",
       json::parse(R"({"client_id": 1, "lp_key": "a-new-supplier-key"})").as_object(), "paused",
       json::value(true)},
      {"/admin/campaigns/100/buyers", buyer, "priority", json::value(7)},
  };
  uint64_t v = version();
  for (auto& c : cases) {
    SCOPED_TRACE(c.list);
    size_t before = get_json(c.list).as_array().size();
    HttpReply created = call("POST", c.list, json::serialize(c.doc));
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(header(created, "ETag"), "\"" + std::to_string(++v) + "\"");
    json::object e = parse_object(created.body);
    ASSERT_TRUE(e["id"].is_int64());
    const std::string one = c.list + "/" + std::to_string(e["id"].as_int64());
    EXPECT_EQ(parse_object(admin_get(one).body), e);
    EXPECT_EQ(get_json(c.list).as_array().size(), before + 1);
    // A second create with the same id conflicts.
    EXPECT_EQ(call("POST", c.list, json::serialize(e)).status, 409);

    // PATCH (RFC 7396): one key changes, the rest stays.
    json::object patch;
    patch[c.patch_key] = c.patch_value;
    HttpReply patched = call("PATCH", one, json::serialize(patch));
    ASSERT_EQ(patched.status, 200) << patched.body;
    json::object after = parse_object(admin_get(one).body);
    EXPECT_EQ(after[c.patch_key], c.patch_value);
    EXPECT_EQ(after.size(), e.size() + (e.contains(c.patch_key) ? 0 : 1));
    ++v;

    // PUT replaces the whole entity (the id comes from the URL).
    json::object replaced = after;
    replaced.erase(c.patch_key);
    replaced.erase("id");
    HttpReply put = call("PUT", one, json::serialize(replaced));
    ASSERT_EQ(put.status, 200) << put.body;
    EXPECT_FALSE(parse_object(admin_get(one).body).contains(c.patch_key));
    ++v;

    // DELETE.
    HttpReply del = call("DELETE", one);
    ASSERT_EQ(del.status, 200) << del.body;
    EXPECT_EQ(admin_get(one).status, 404);
    EXPECT_EQ(get_json(c.list).as_array().size(), before);
    ++v;
    EXPECT_EQ(version(), v);
    // Gone: every verb on it is 404.
    EXPECT_EQ(call("PATCH", one, "{}").status, 404);
    EXPECT_EQ(call("DELETE", one).status, 404);
  }
}

TEST_F(AdminConfig, InvalidDocumentsAnswerEveryProblemByPathAndChangeNothing) {
  FakeBuyer fb;
  start(base_config({http_buyer(301, 2, fb.url("/post"), 1)}));
  const uint64_t v = version();
  json::object b = parse_object(admin_get("/admin/campaigns/100/buyers/301").body);
  b["post"].as_object()["url"] = "ftp://nowhere";
  b["weight"] = 0;
  b["client_id"] = 99;
  HttpReply r = call("PUT", "/admin/campaigns/100/buyers/301", json::serialize(b));
  ASSERT_EQ(r.status, 400) << r.body;
  json::object e = parse_object(r.body);
  EXPECT_EQ(e["status"], "error");
  json::object& d = e["details"].as_object();
  EXPECT_TRUE(d.contains("$.post.url")) << r.body;
  EXPECT_TRUE(d.contains("$.weight")) << r.body;
  EXPECT_TRUE(d.contains("$.client_id")) << r.body;
  EXPECT_EQ(version(), v);  // nothing changed
  EXPECT_NE(admin_get("/admin/campaigns/100/buyers/301").body.find(fb.url("/post")),
            std::string::npos);
  // Not JSON, not an object, an id that is not the URL's.
  EXPECT_EQ(call("PUT", "/admin/campaigns/100/buyers/301", "{nope").status, 400);
  EXPECT_EQ(call("PUT", "/admin/campaigns/100/buyers/301", "[1]").status, 400);
  HttpReply moved = call("PATCH", "/admin/campaigns/100/buyers/301", R"({"id": 302})");
  EXPECT_EQ(moved.status, 400);
  EXPECT_TRUE(parse_object(moved.body)["details"].as_object().contains("$.id")) << moved.body;
  // Settings that apply only at start are refused by name.
  json::object doc = parse_object(admin_get("/admin/config").body);
  doc["server"].as_object()["body_limit_bytes"] = 1024;
  doc["server"].as_object()["max_connections"] = 5;
  HttpReply s = call("PUT", "/admin/config", json::serialize(doc));
  ASSERT_EQ(s.status, 400) << s.body;
  json::object se = parse_object(s.body);
  json::object& sd = se["details"].as_object();
  EXPECT_TRUE(sd.contains("$.server.body_limit_bytes")) << s.body;
  EXPECT_TRUE(sd.contains("$.server.max_connections")) << s.body;
  EXPECT_EQ(version(), v);
}

TEST_F(AdminConfig, StaleIfMatchIs412AndChangesNothing) {
  FakeBuyer fb;
  start(base_config({http_buyer(301, 2, fb.url("/post"), 1)}));
  const std::string one = "/admin/campaigns/100/buyers/301";
  std::string etag = header(admin_get(one), "ETag");
  ASSERT_EQ(etag, "\"1\"");
  HttpReply ok = call("PATCH", one, R"({"priority": 5})", {{"If-Match", etag}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(header(ok, "ETag"), "\"2\"");
  HttpReply stale = call("PATCH", one, R"({"priority": 9})", {{"If-Match", etag}});
  EXPECT_EQ(stale.status, 412) << stale.body;
  EXPECT_EQ(parse_object(admin_get(one).body)["priority"], 5);
  EXPECT_EQ(call("PATCH", one, R"({"priority": 9})", {{"If-Match", "*"}}).status, 200);
}

TEST_F(AdminConfig, ReadTokensReadAndNeverWrite) {
  start(base_config({}));
  EXPECT_EQ(admin_get("/admin/config", "test-read-token").status, 200);
  EXPECT_EQ(admin_get("/admin/campaigns", "test-read-token").status, 200);
  EXPECT_EQ(admin_get("/admin/changes", "test-read-token").status, 200);
  for (auto [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"POST", "/admin/clients"},
                                                        {"PUT", "/admin/config"},
                                                        {"PATCH", "/admin/campaigns/100"},
                                                        {"DELETE", "/admin/campaigns/100"},
                                                        {"POST", "/admin/config/rollback"}}) {
    EXPECT_EQ(call(method, target, "{}", {}, "test-read-token").status, 403) << method << target;
  }
  EXPECT_EQ(call("GET", "/admin/config", "", {}, "wrong-token").status, 401);
  EXPECT_EQ(version(), 1u);
}

// A change reaches the next lead: a buyer added through the API buys it, and the lead's timeline
// names the version it ran on; a buyer paused through the API is skipped.
TEST_F(AdminConfig, ChangesReachTheNextLead) {
  FakeBuyer fb;
  fb.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  start(base_config({}));
  json::object first = parse_object(post_lead(lead_json("Before")).body);
  EXPECT_EQ(first["status"], "ERROR");  // no buyer yet
  HttpReply add = call("POST", "/admin/campaigns/100/buyers",
                       json::serialize(http_buyer(301, 2, fb.url("/post"), 1)));
  ASSERT_EQ(add.status, 201) << add.body;
  json::object sold = parse_object(post_lead(lead_json("After")).body);
  ASSERT_EQ(sold["status"], "ACCEPTED") << json::serialize(sold);
  json::object tl = parse_object(
      admin_get("/admin/leads/" + std::string(sold["lead_id"].as_string()) + "/timeline").body);
  EXPECT_EQ(tl["config_version"], 2);
  ASSERT_EQ(call("PATCH", "/admin/campaigns/100/buyers/301", R"({"paused": true})").status, 200);
  json::object paused = parse_object(post_lead(lead_json("Paused")).body);
  EXPECT_NE(paused["status"], "ACCEPTED");
  EXPECT_EQ(fb.count("/post"), 1u);
}

TEST_F(AdminConfig, MakingAFieldSearchableKeepsFindingTheLeadsBefore) {
  start(base_config({}));
  const std::string before =
      std::string(parse_object(post_lead(lead_json("Before", "NJ")).body)["lead_id"].as_string());
  EXPECT_EQ(engine::field_indexed_since(app_->store(), 100, "state"), 0);
  // state is not searchable by default: the change makes it so, from now on.
  json::value fields = get_json("/admin/campaigns/100").at("fields");
  for (auto& f : fields.as_array())
    if (f.at("name") == "state") f.as_object()["searchable"] = true;
  json::object patch{{"fields", fields}};
  ASSERT_EQ(call("PATCH", "/admin/campaigns/100", json::serialize(patch)).status, 200);
  const UnixMs since = engine::field_indexed_since(app_->store(), 100, "state");
  EXPECT_GT(since, 0);
  const std::string after =
      std::string(parse_object(post_lead(lead_json("After", "NJ")).body)["lead_id"].as_string());
  // Today's range starts before the change: both leads, the one before found by reading leads.
  TimeZone utc;
  TimeZone::lookup("UTC", utc);
  const UnixMs now = SystemClock::instance().now_ms();
  json::object found = parse_object(
      admin_get("/public/leads?campaign=100&field_name=state&field_value=NJ&timezone=UTC&"
                "start_date=" +
                    format_local_date(utc, now - 86400000) +
                    "&end_date=" + format_local_date(utc, now + 86400000),
                "test-read-token")
          .body);
  std::vector<std::string> ids;
  for (const auto& l : found.at("leads").as_array()) ids.emplace_back(l.at("id").as_string());
  EXPECT_EQ(ids, (std::vector<std::string>{after, before}));
  // A second change that keeps it searchable does not move the record.
  ASSERT_EQ(call("PATCH", "/admin/campaigns/100", R"({"name": "Renamed"})").status, 200);
  EXPECT_EQ(engine::field_indexed_since(app_->store(), 100, "state"), since);
}

TEST_F(AdminConfig, ChangingACampaignsZoneRestartsItsDailyRowsAndKeepsItsFiguresExact) {
  start(base_config({}));
  post_lead(lead_json("Before", "NJ"));
  // Started with the campaign: its day rows are complete from its first lead.
  auto rec = engine::read_day_rows(app_->store(), 100);
  ASSERT_TRUE(rec);
  const std::string zone = rec->zone;
  EXPECT_EQ(rec->since_ms, 0);
  const std::string other = zone == "Asia/Kathmandu" ? "Europe/London" : "Asia/Kathmandu";
  ASSERT_EQ(call("PATCH", "/admin/campaigns/100", R"({"timezone": ")" + other + R"("})").status,
            200);
  rec = engine::read_day_rows(app_->store(), 100);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->zone, other);
  const UnixMs now = SystemClock::instance().now_ms();
  EXPECT_GT(rec->since_ms, now);  // from a minute after the change
  post_lead(lead_json("After", "NJ"));
  // Today in the new zone: both leads, counted from quarter hours (today began before the change).
  TimeZone z;
  ASSERT_TRUE(TimeZone::lookup(other, z));
  json::value stats =
      json::parse(admin_get("/public/stats?campaign=100&group=day&timezone=" + other +
                                "&start_date=" + format_local_date(z, now - 86400000) +
                                "&end_date=" + format_local_date(z, now + 86400000),
                            "test-read-token")
                      .body);
  EXPECT_EQ(stats.at(0).at("campaign").at("leads_total").to_number<int64_t>(), 2) << stats;
}

TEST_F(AdminConfig, ChangeLogRollbackAndPaging) {
  FakeBuyer fb;
  start(base_config({http_buyer(301, 2, fb.url("/post"), 1)}));
  const std::string original = admin_get("/admin/config").body;
  const std::string one = "/admin/campaigns/100/buyers/301";
  for (int p = 2; p <= 6; ++p)
    ASSERT_EQ(call("PATCH", one, R"({"priority": )" + std::to_string(p) + "}").status, 200);
  ASSERT_EQ(call("DELETE", "/admin/campaigns/100/suppliers/201").status, 200);
  ASSERT_EQ(call("POST", "/admin/clients", R"({"company": "Later"})").status, 201);
  EXPECT_EQ(version(), 8u);

  // The buyer's history: five patches with before and after, oldest first, paged.
  json::object page = parse_object(admin_get("/admin/changes?entity=buyer&id=301&limit=3").body);
  auto& ch = page["changes"].as_array();
  ASSERT_EQ(ch.size(), 3u);
  EXPECT_EQ(ch[0].as_object()["op"], "patch");
  EXPECT_EQ(ch[0].as_object()["actor"], "admin");
  EXPECT_EQ(ch[0].as_object()["campaign_id"], 100);
  EXPECT_EQ(ch[0].as_object()["before"].as_object()["priority"], 1);
  EXPECT_EQ(ch[0].as_object()["after"].as_object()["priority"], 2);
  ASSERT_TRUE(page["next_since_version"].is_int64());
  json::object rest = parse_object(admin_get("/admin/changes?entity=buyer&id=301&since_version=" +
                                             std::to_string(page["next_since_version"].as_int64()))
                                       .body);
  EXPECT_EQ(rest["changes"].as_array().size(), 2u);
  EXPECT_TRUE(rest["next_since_version"].is_null());

  // Rollback to version 3 (priority 3, supplier 201 back in its place, no client "Later"), as
  // a new change; then to 1: the original document.
  HttpReply rb = call("POST", "/admin/config/rollback", R"({"version": 3})");
  ASSERT_EQ(rb.status, 200) << rb.body;
  EXPECT_EQ(version(), 9u);
  EXPECT_EQ(parse_object(admin_get(one).body)["priority"], 3);
  EXPECT_EQ(admin_get("/admin/campaigns/100/suppliers/201").status, 200);
  EXPECT_EQ(get_json("/admin/clients").as_array().size(), 4u);
  ASSERT_EQ(call("POST", "/admin/config/rollback", R"({"version": 1})").status, 200);
  EXPECT_EQ(admin_get("/admin/config").body, original);
  // Rolling back a rollback works the same way: version 9 again.
  ASSERT_EQ(call("POST", "/admin/config/rollback", R"({"version": 9})").status, 200);
  EXPECT_EQ(parse_object(admin_get(one).body)["priority"], 3);
  EXPECT_EQ(call("POST", "/admin/config/rollback", R"({"version": 99})").status, 404);
  EXPECT_EQ(call("POST", "/admin/config/rollback", R"({"version": "x"})").status, 400);
}

// The store is the truth: a restart with another file keeps the stored configuration; a file
// applied as a change (SIGHUP) is one new version.
TEST_F(AdminConfig, TheStoreWinsOverTheFileAfterTheFirstStart) {
  FakeBuyer fb;
  const std::string dir = temp_dir("admin-config");
  start(base_config({http_buyer(301, 2, fb.url("/post"), 1)}), dir);
  ASSERT_EQ(call("PATCH", "/admin/campaigns/100", R"({"name": "Renamed live"})").status, 200);
  const std::string stored = admin_get("/admin/config").body;
  app_.reset();
  start(base_config({}), dir);  // another file: ignored
  EXPECT_EQ(admin_get("/admin/config").body, stored);
  EXPECT_EQ(version(), 2u);
  // The file as a change.
  engine::ChangeResult r = app_->reload_config(json::serialize(base_config({})), "SIGHUP");
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.version, 3u);
  EXPECT_EQ(get_json("/admin/campaigns/100/buyers").as_array().size(), 0u);
  data_dir_ = dir;
}

// DELETE of what has leads archives it: kept for reports, gone from routing and lists (unless
// ?archived=1); restored by a patch.
TEST_F(AdminConfig, DeletingWhatHasLeadsArchivesIt) {
  FakeBuyer fb;
  fb.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  start(base_config(
      {http_buyer(301, 2, fb.url("/post"), 1), http_buyer(302, 3, fb.url("/post"), 2)}));
  json::object first = parse_object(post_lead(lead_json("First")).body);
  ASSERT_EQ(first["status"], "ACCEPTED");
  const std::string lead_id(first["lead_id"].as_string());

  // A buyer: archived, not tried any more, out of every list.
  HttpReply del = call("DELETE", "/admin/campaigns/100/buyers/301");
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(admin_get("/admin/campaigns/100/buyers/301").status, 404);
  json::object kept = parse_object(admin_get("/admin/campaigns/100/buyers/301?archived=1").body);
  EXPECT_EQ(kept["archived"], true);
  EXPECT_EQ(get_json("/admin/campaigns/100/buyers").as_array().size(), 1u);
  EXPECT_EQ(get_json("/admin/campaigns/100/buyers?archived=1").as_array().size(), 2u);
  json::object log = parse_object(admin_get("/admin/changes?entity=buyer&id=301").body);
  EXPECT_EQ(log["changes"].as_array()[0].as_object()["op"], "archive");
  auto view = parse_object(admin_get("/public/campaigns/100").body);
  EXPECT_EQ(view["buyers"].as_array().size(), 1u);
  json::object second = parse_object(post_lead(lead_json("Second")).body);
  ASSERT_EQ(second["status"], "ACCEPTED");
  json::object lead =
      parse_object(admin_get("/admin/leads/" + std::string(second["lead_id"].as_string())).body);
  ASSERT_EQ(lead["buyers"].as_array().size(), 1u);  // 301 is not even skipped: it is gone
  EXPECT_EQ(lead["buyers"].as_array()[0].as_object()["id"], 302);
  // The old lead still reads as it did.
  EXPECT_EQ(get_lead(lead_id).status, 200);

  // A supplier: refused at intake as unknown.
  ASSERT_EQ(call("DELETE", "/admin/campaigns/100/suppliers/200").status, 200);
  EXPECT_EQ(parse_object(post_lead(lead_json("Third")).body)["code"], 1003);
  // Restored by a patch (only with ?archived=1: archived entities are otherwise not found).
  EXPECT_EQ(call("PATCH", "/admin/campaigns/100/suppliers/200", R"({"archived": false})").status,
            404);
  ASSERT_EQ(call("PATCH", "/admin/campaigns/100/suppliers/200?archived=1", R"({"archived": false})")
                .status,
            200);
  EXPECT_EQ(parse_object(post_lead(lead_json("Fourth")).body)["status"], "ACCEPTED");

  // The campaign: refused at intake, gone from /public/campaigns, its leads still served.
  ASSERT_EQ(call("DELETE", "/admin/campaigns/100").status, 200);
  EXPECT_EQ(parse_object(post_lead(lead_json("Fifth")).body)["code"], 1003);
  EXPECT_EQ(get_json("/public/campaigns").as_array().size(), 0u);
  EXPECT_EQ(get_json("/admin/campaigns").as_array().size(), 0u);
  EXPECT_EQ(get_lead(lead_id).status, 200);
  EXPECT_EQ(admin_get("/admin/campaigns/100?archived=1").status, 200);
}

// pause_buyer / resume_buyer (seed 000) are configuration changes: in the change log, undone by
// a rollback. Pause flags kept by older data directories become the document's once.
TEST_F(AdminConfig, PauseAndResumeAreChangesAndOldPauseFlagsAreFolded) {
  FakeBuyer fb;
  const std::string dir = temp_dir("admin-pause");
  {
    // A data directory written before issue 14: a pause flag in the state, no configuration.
    std::string err;
    auto store = storage::Store::open(dir, storage::StoreOptions{}, err);
    ASSERT_TRUE(store) << err;
    ASSERT_TRUE(store->put_state("pause/302", "1").ok());
    store->close();
  }
  start(
      base_config({http_buyer(301, 2, fb.url("/post"), 1), http_buyer(302, 3, fb.url("/post"), 2)}),
      dir);
  EXPECT_EQ(parse_object(admin_get("/admin/campaigns/100/buyers/302").body)["paused"], true);
  EXPECT_EQ(version(), 1u);  // a new data directory: folded into the seed
  ASSERT_EQ(admin_get("/public/campaigns/100/pause_buyer/301").status, 200);
  EXPECT_EQ(parse_object(admin_get("/admin/campaigns/100/buyers/301").body)["paused"], true);
  json::object log = parse_object(admin_get("/admin/changes?entity=buyer&id=301").body);
  ASSERT_EQ(log["changes"].as_array().size(), 1u);
  EXPECT_EQ(log["changes"].as_array()[0].as_object()["op"], "pause");
  EXPECT_EQ(log["changes"].as_array()[0].as_object()["actor"], "admin");
  // Rolled back: live again.
  ASSERT_EQ(call("POST", "/admin/config/rollback", R"({"version": 1})").status, 200);
  EXPECT_EQ(admin_get("/public/campaigns/100/resume_buyer/301").status, 400);  // already live
  // The flag is folded once: resumed through the API, a restart does not pause it again.
  ASSERT_EQ(admin_get("/public/campaigns/100/resume_buyer/302").status, 200);
  app_.reset();
  start(base_config({}), dir);
  EXPECT_EQ(parse_object(admin_get("/admin/campaigns/100/buyers/302").body)["paused"], false);
  data_dir_ = dir;
}

// Round trip: GET /admin/config started as a new data directory's file gives the same document.
TEST_F(AdminConfig, GetConfigIsUsableAsTheFile) {
  FakeBuyer fb;
  start(base_config({http_buyer(301, 2, fb.url("/post"), 1)}));
  ASSERT_EQ(call("POST", "/admin/clients", R"({"company": "Extra"})").status, 201);
  const std::string doc = admin_get("/admin/config").body;
  app_.reset();
  start(parse_object(doc));  // a new data directory
  EXPECT_EQ(admin_get("/admin/config").body, doc);
  // Its supplier keys still work (stored as hashes).
  EXPECT_EQ(post_lead(lead_json()).status, 200);
  EXPECT_NE(parse_object(post_lead(lead_json("Two")).body)["code"], 1003);
}

}  // namespace
}  // namespace pp::testkit
