// The console (issue 15), server side: its files served by pingpostd (every embedded file, gzip
// when the browser takes it, ETag revalidation, a strict Content Security Policy, nothing outside
// the embedded set, nothing loaded from elsewhere), and the views it reads: /admin/whoami,
// /admin/buyers/health (scoped by the token's campaigns), the change log newest first.
// The browser flow itself is tests/console/console_test.py (ctest Console.BrowserFlow).
#include <zlib.h>

#include <regex>
#include <set>

#include "app_fixture.h"
#include "console/assets.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;

std::string header_of(const HttpReply& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  return {};
}

std::string gunzip(const std::string& in) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return "<inflateInit failed>";
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = uInt(in.size());
  std::string out;
  char buf[16384];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  } while (rc == Z_OK);
  inflateEnd(&zs);
  return rc == Z_STREAM_END ? out : "<corrupt gzip>";
}

class Console : public AppFixture {
 protected:
  HttpReply get(const std::string& target,
                std::vector<std::pair<std::string, std::string>> h = {}) {
    return http_call(app_->port(), "GET", target, "", h);
  }
};

TEST_F(Console, TheShellNeedsNoTokenCarriesNoDataAndAStrictPolicy) {
  start(base_config({}));
  HttpReply r = get("/console/");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(header_of(r, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(r.body.find(R"(<script type="module" src="js/main.js">)"), std::string::npos);
  EXPECT_EQ(r.body.find("Test Campaign"), std::string::npos);  // data comes only with a token
  const std::string csp = header_of(r, "Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;  // no inline script or eval
  EXPECT_EQ(header_of(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header_of(r, "X-Frame-Options"), "DENY");
  EXPECT_EQ(header_of(r, "Referrer-Policy"), "no-referrer");
  HttpReply bare = get("/console");
  EXPECT_EQ(bare.status, 301);
  EXPECT_EQ(header_of(bare, "Location"), "/console/");
}

TEST_F(Console, ServesEveryEmbeddedFileAndNothingElse) {
  start(base_config({}));
  auto all = console::all_assets();
  ASSERT_GE(all.size(), 10u);
  std::set<std::string> paths;
  for (const auto& a : all) {
    paths.emplace(a.path);
    HttpReply r = get("/console/" + std::string(a.path));
    ASSERT_EQ(r.status, 200) << a.path;
    EXPECT_EQ(header_of(r, "Content-Type"), a.content_type) << a.path;
    EXPECT_EQ(r.body, a.raw) << a.path;
    EXPECT_EQ(header_of(r, "ETag"), a.etag) << a.path;
    EXPECT_FALSE(header_of(r, "Content-Security-Policy").empty()) << a.path;
  }
  EXPECT_TRUE(paths.count("vendor/chart.min.js"));  // Debian's Chart.js, embedded
  for (const char* bad :
       {"/console/nope.js", "/console/../api/router.cpp", "/console/js/../../CMakeLists.txt",
        "/console/%2e%2e/CMakeLists.txt", "/console/js/", "/console//index.html"}) {
    HttpReply r = get(bad);
    EXPECT_EQ(r.status, 404) << bad << " " << r.body.substr(0, 80);
  }
  EXPECT_EQ(http_call(app_->port(), "POST", "/console/index.html", "x").status, 405);
}

TEST_F(Console, GzipWhenTheBrowserTakesItAndRevalidationByETag) {
  start(base_config({}));
  const console::Asset* js = console::find_asset("vendor/chart.min.js");
  ASSERT_NE(js, nullptr);
  HttpReply z = get("/console/vendor/chart.min.js", {{"Accept-Encoding", "gzip, deflate, br"}});
  ASSERT_EQ(z.status, 200);
  EXPECT_EQ(header_of(z, "Content-Encoding"), "gzip");
  EXPECT_EQ(header_of(z, "Vary"), "Accept-Encoding");
  EXPECT_LT(z.body.size(), js->raw.size() / 2);
  EXPECT_EQ(gunzip(z.body), js->raw);
  HttpReply refused =
      get("/console/vendor/chart.min.js", {{"Accept-Encoding", "gzip;q=0, identity"}});
  EXPECT_EQ(header_of(refused, "Content-Encoding"), "");
  EXPECT_EQ(refused.body, js->raw);
  HttpReply same = get("/console/vendor/chart.min.js", {{"If-None-Match", std::string(js->etag)}});
  EXPECT_EQ(same.status, 304);
  EXPECT_TRUE(same.body.empty());
  HttpReply other = get("/console/vendor/chart.min.js", {{"If-None-Match", "\"stale\""}});
  EXPECT_EQ(other.status, 200);
}

// Every file the console's pages load (scripts, modules, styles, icons, the chart library) is
// one of the embedded files: nothing from a CDN, no missing file.
TEST_F(Console, PagesLoadOnlyEmbeddedFiles) {
  std::set<std::string> paths;
  for (const auto& a : console::all_assets()) paths.emplace(a.path);
  auto resolve = [](std::string base, std::string ref) {
    base = base.substr(0, base.rfind('/') + 1);  // the file's directory ("" at the top)
    std::vector<std::string> parts;
    std::string full = base + ref, seg;
    std::stringstream ss(full);
    while (std::getline(ss, seg, '/')) {
      if (seg == "..") {
        if (!parts.empty()) parts.pop_back();
      } else if (!seg.empty() && seg != ".") {
        parts.push_back(seg);
      }
    }
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
    return out;
  };
  const std::regex refs(
      R"re((?:import\s[^'"]*from\s*|import\(\s*|new URL\(\s*|src\s*=\s*|href\s*=\s*)['"]([^'"#]+)['"])re");
  int checked = 0;
  for (const auto& a : console::all_assets()) {
    if (a.path.starts_with("vendor/")) continue;
    const std::string text(a.raw);
    for (std::sregex_iterator it(text.begin(), text.end(), refs), end; it != end; ++it) {
      const std::string ref = (*it)[1];
      if (ref.starts_with("/api-specs")) continue;  // a link to the server's own page
      EXPECT_EQ(ref.find("//"), std::string::npos) << a.path << " loads " << ref;
      EXPECT_TRUE(paths.count(resolve(std::string(a.path), ref)))
          << a.path << " refers to " << ref << ", which is not embedded";
      ++checked;
    }
  }
  EXPECT_GE(checked, 20);
}

class ConsoleViews : public AppFixture {
 protected:
  // Campaign 100 with buyer 301 (fake buyer), and campaign 101 with buyer 311, and a read token
  // limited to 101.
  void start_two_campaigns(FakeBuyer& fb) {
    auto cfg = base_config(json::array{http_buyer(301, 2, fb.url("/post"), 1)});
    json::object other = cfg["campaigns"].as_array()[0].as_object();
    other["id"] = 101;
    other["name"] = "Elsewhere";
    other["suppliers"] =
        json::parse(R"([{"id": 210, "client_id": 1, "lp_key": "supplier-key-210"}])");
    other["buyers"] = json::array{http_buyer(311, 3, fb.url("/post"), 1)};
    cfg["campaigns"].as_array().push_back(other);
    cfg["api_tokens"].as_array().push_back(json::parse(
        R"({"name": "limited", "token": "test-limited-token", "role": "read", "campaigns": [101],
            "expires_at": "2099-01-01T00:00:00Z"})"));
    cfg["outbound"].as_object()["breaker_failures"] = 2;
    start(cfg);
  }
  json::array buyers(const std::string& token = "test-admin-token") {
    HttpReply r = admin_get("/admin/buyers/health", token);
    EXPECT_EQ(r.status, 200) << r.body;
    return parse_object(r.body)["buyers"].as_array();
  }
  static json::object find(const json::array& list, int64_t id) {
    for (const auto& b : list)
      if (b.as_object().at("id").as_int64() == id) return b.as_object();
    return {};
  }
};

TEST_F(ConsoleViews, WhoamiTellsTheRoleScopeAndAccount) {
  FakeBuyer fb;
  start_two_campaigns(fb);
  json::object admin = parse_object(admin_get("/admin/whoami").body);
  EXPECT_EQ(admin["name"], "admin");
  EXPECT_EQ(admin["role"], "admin");
  EXPECT_TRUE(admin["campaigns"].as_array().empty());
  EXPECT_EQ(admin["may_change"], true);
  EXPECT_EQ(admin["expires_at"], nullptr);
  EXPECT_EQ(admin["config_version"], 1);
  EXPECT_EQ(admin["account"].as_object()["timezone"], "America/New_York");
  json::object read = parse_object(admin_get("/admin/whoami", "test-read-token").body);
  EXPECT_EQ(read["role"], "read");
  EXPECT_EQ(read["may_change"], false);
  json::object limited = parse_object(admin_get("/admin/whoami", "test-limited-token").body);
  EXPECT_EQ(json::serialize(limited["campaigns"]), "[101]");
  EXPECT_EQ(limited["expires_at"], "2099-01-01 00:00:00");
  EXPECT_EQ(admin_get("/admin/whoami", "nope").status, 401);
  EXPECT_EQ(http_call(app_->port(), "POST", "/admin/whoami", "",
                      {{"Authorization", "Bearer test-admin-token"}})
                .status,
            405);
}

TEST_F(ConsoleViews, BuyerHealthCountsCallsOutcomesAndTheCircuit) {
  FakeBuyer fb;
  fb.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  start_two_campaigns(fb);
  json::object before = find(buyers(), 301);
  EXPECT_EQ(before["circuit"], "closed");
  EXPECT_EQ(before["post"].as_object()["count"], 0);
  ASSERT_EQ(post_lead(lead_json("Ann")).status, 200);
  fb.on("/post", FakeReply::json(R"({"status":"rejected","reason":"no"})"));
  ASSERT_EQ(post_lead(lead_json("Bob", "NY", 200, "4103097980")).status, 200);
  json::object b = find(buyers(), 301);
  EXPECT_EQ(b["campaign_id"], 100);
  EXPECT_EQ(b["paused"], false);
  EXPECT_EQ(b["post"].as_object()["count"], 2);
  EXPECT_GT(b["post"].as_object()["p95_ms"].to_number<double>(), 0.0);
  EXPECT_EQ(b["outcomes"].as_object()["accepted"], 1);
  EXPECT_EQ(b["outcomes"].as_object()["rejected"], 1);
  // Two failed calls in a row open the circuit (breaker_failures: 2).
  fb.on("/post", FakeReply{500, "down"});
  post_lead(lead_json("Cy", "NY", 200, "4103097981"));
  post_lead(lead_json("Di", "NY", 200, "4103097982"));
  b = find(buyers(), 301);
  EXPECT_EQ(b["circuit"], "open");
  EXPECT_GE(b["circuit_opened_total"].as_int64(), 1);
  EXPECT_EQ(b["outcomes"].as_object()["error"], 2);
  // A token limited to campaign 101 sees its buyer only.
  json::array scoped = buyers("test-limited-token");
  ASSERT_EQ(scoped.size(), 1u);
  EXPECT_EQ(scoped[0].as_object()["id"], 311);
  EXPECT_EQ(find(buyers(), 311)["post"].as_object()["count"], 0);
}

TEST_F(ConsoleViews, CampaignSummariesLeaveOutSuppliersAndBuyers) {
  FakeBuyer fb;
  start_two_campaigns(fb);
  ASSERT_EQ(admin_get("/public/campaigns/100/pause_buyer/301").status, 200);
  HttpReply r = admin_get("/admin/campaigns?summary=1");
  ASSERT_EQ(r.status, 200) << r.body;
  json::array list = json::parse(r.body).as_array();
  ASSERT_EQ(list.size(), 2u);
  json::object c = list[0].as_object();
  EXPECT_EQ(c["id"], 100);
  EXPECT_EQ(c["name"], "Test Campaign");
  EXPECT_FALSE(c.contains("buyers"));
  EXPECT_FALSE(c.contains("suppliers"));
  EXPECT_TRUE(c.contains("fields"));
  EXPECT_EQ(c["suppliers_count"], 2);
  EXPECT_EQ(c["buyers_count"], 1);
  EXPECT_EQ(c["paused_buyers_count"], 1);
  EXPECT_LT(r.body.size(), admin_get("/admin/campaigns").body.size());
  json::object one = parse_object(admin_get("/admin/campaigns/100?summary=1").body);
  EXPECT_EQ(one["buyers_count"], 1);
  EXPECT_FALSE(one.contains("buyers"));
  // Scoped like the full list.
  json::array limited =
      json::parse(admin_get("/admin/campaigns?summary=1", "test-limited-token").body).as_array();
  ASSERT_EQ(limited.size(), 1u);
  EXPECT_EQ(limited[0].as_object()["id"], 101);
}

TEST_F(ConsoleViews, ChangeLogNewestFirstPagesBackwards) {
  FakeBuyer fb;
  start_two_campaigns(fb);
  for (int p : {2, 3, 4}) {
    ASSERT_EQ(http_call(app_->port(), "PATCH", "/admin/campaigns/100/buyers/301",
                        R"({"priority":)" + std::to_string(p) + "}",
                        {{"Authorization", "Bearer test-admin-token"}})
                  .status,
              200);
  }
  auto versions = [](const json::object& page) {
    std::string out;
    for (const auto& c : page.at("changes").as_array())
      out += std::to_string(c.as_object().at("version").as_int64()) + " ";
    return out;
  };
  json::object first = parse_object(admin_get("/admin/changes?order=newest&limit=2").body);
  EXPECT_EQ(versions(first), "4 3 ");
  ASSERT_EQ(first["next_before_version"], 3);
  json::object second = parse_object(admin_get("/admin/changes?before_version=3&limit=2").body);
  EXPECT_EQ(versions(second), "2 1 ");
  EXPECT_EQ(second["next_before_version"], nullptr);
  json::object filtered =
      parse_object(admin_get("/admin/changes?order=newest&entity=buyer&id=301&limit=10").body);
  EXPECT_EQ(versions(filtered), "4 3 2 ");
  // Oldest first stays the default, and the two directions do not mix.
  EXPECT_EQ(versions(parse_object(admin_get("/admin/changes?limit=2").body)), "1 2 ");
  EXPECT_EQ(admin_get("/admin/changes?order=newest&since_version=2").status, 400);
  EXPECT_EQ(admin_get("/admin/changes?before_version=0").status, 400);
  EXPECT_EQ(admin_get("/admin/changes?order=sideways").status, 400);
}

}  // namespace
}  // namespace pp::testkit
