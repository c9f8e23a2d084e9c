// Supplier API specs (issue 14, G4): GET /api-specs?hash=... generated from the live
// configuration. The page's own curl examples, run by a shell against the server with the
// supplier's key in $LP_KEY, are ACCEPTED: the page cannot drift from the code.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <regex>

#include "app_fixture.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;

// Runs a shell command with LP_KEY set; its standard output.
std::string run_shell(const std::string& command, const std::string& key) {
  std::string cmd = "LP_KEY='" + key + "' bash -c " + [&] {
    std::string q = "'";
    for (char c : command) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  }();
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return {};
  std::string out;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  pclose(p);
  return out;
}

std::string unescape_html(std::string s) {
  for (auto [from, to] : std::vector<std::pair<std::string, std::string>>{{"&lt;", "<"},
                                                                          {"&gt;", ">"},
                                                                          {"&quot;", "\""},
                                                                          {"&#39;", "'"},
                                                                          {"&apos;", "'"},
                                                                          {"&amp;", "&"}}) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
      s.replace(at, from.size(), to);
  }
  return s;
}

class ApiSpecs : public AppFixture {
 protected:
  // Points the account's public base URL at this test server (a live change).
  void use_this_server() {
    json::object doc = parse_object(admin_get("/admin/config").body);
    doc["account"].as_object()["public_base_url"] =
        "http://127.0.0.1:" + std::to_string(app_->port());
    ASSERT_EQ(http_call(app_->port(), "PUT", "/admin/config", json::serialize(doc),
                        {{"Authorization", "Bearer test-admin-token"},
                         {"Content-Type", "application/json"}})
                  .status,
              200);
  }
  std::string supplier_hash() {
    json::object c = parse_object(admin_get("/public/campaigns/100").body);
    return std::string(c["suppliers"].as_array()[0].as_object()["hash"].as_string());
  }
  // The page's example commands for an endpoint, as a browser shows them.
  std::vector<std::string> page_commands(const std::string& html, const std::string& endpoint) {
    std::vector<std::string> out;
    std::regex re("<pre class=\"curl_(json|form)\" data-endpoint=\"" + endpoint +
                  "\">([^<]*)</pre>");
    for (std::sregex_iterator it(html.begin(), html.end(), re), end; it != end; ++it)
      out.push_back(unescape_html((*it)[2]));
    return out;
  }
};

TEST_F(ApiSpecs, DirectPostPagesOwnCurlExamplesAreAccepted) {
  FakeBuyer fb;
  fb.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  start(base_config({http_buyer(301, 2, fb.url("/post"), 1)}));
  use_this_server();
  const std::string hash = supplier_hash();
  ASSERT_EQ(hash.size(), 12u);  // derived: the file names none

  HttpReply page = http_call(app_->port(), "GET", "/api-specs?hash=" + hash);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("<table>"), std::string::npos);
  EXPECT_EQ(page.body.find("supplier-key-200"), std::string::npos);  // never the key
  std::vector<std::string> cmds = page_commands(page.body, "direct_post");
  ASSERT_EQ(cmds.size(), 2u) << page.body;  // JSON and form
  for (const auto& cmd : cmds) {
    SCOPED_TRACE(cmd);
    json::object answer = parse_object(run_shell(cmd, "supplier-key-200"));
    EXPECT_EQ(answer["status"], "ACCEPTED") << json::serialize(answer);
  }
  EXPECT_EQ(fb.count("/post"), 2u);

  // JSON: every campaign field, typed, with a valid example; the answer codes.
  HttpReply j = http_call(app_->port(), "GET", "/api-specs?hash=" + hash, "",
                          {{"Accept", "application/json"}});
  json::object spec = parse_object(j.body);
  EXPECT_EQ(spec["credentials"].as_object()["lp_supplier_id"], 200);
  auto& fields = spec["fields"].as_array();
  EXPECT_EQ(fields[0].as_object()["name"], "first_name");
  EXPECT_EQ(fields[2].as_object()["type"], "phone");
  EXPECT_EQ(fields[2].as_object()["required"], true);
  EXPECT_GE(spec["answer_codes"].as_array().size(), 15u);
  // Unknown hashes, archived suppliers: 404.
  EXPECT_EQ(http_call(app_->port(), "GET", "/api-specs?hash=nope").status, 404);
  EXPECT_EQ(http_call(app_->port(), "GET", "/api-specs").status, 404);
}

TEST_F(ApiSpecs, ExchangePingThenPostExamplesAreAccepted) {
  FakeBuyer fb;
  fb.on("/ping", bid("9", "r"));
  fb.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  auto cfg = base_config({ping_buyer(301, fb, 1)});
  make_exchange(campaign_cfg(cfg));
  campaign_cfg(cfg)["suppliers"].as_array()[0].as_object()["hash"] = "mysecrethash";
  start(cfg);
  use_this_server();
  HttpReply page = http_call(app_->port(), "GET", "/api-specs?hash=mysecrethash");
  ASSERT_EQ(page.status, 200);
  std::vector<std::string> ping = page_commands(page.body, "ping");
  std::vector<std::string> post = page_commands(page.body, "post");
  ASSERT_EQ(ping.size(), 1u);
  ASSERT_EQ(post.size(), 1u);
  json::object pinged = parse_object(run_shell(ping[0], "supplier-key-200"));
  ASSERT_EQ(pinged["status"], "ACCEPTED") << json::serialize(pinged);
  std::string cmd = post[0];
  const std::string placeholder = "<ping_id from the ping's answer>";
  cmd.replace(cmd.find(placeholder), placeholder.size(),
              std::string(pinged["ping_id"].as_string()));
  json::object posted = parse_object(run_shell(cmd, "supplier-key-200"));
  EXPECT_EQ(posted["status"], "ACCEPTED") << json::serialize(posted);
  // The ping example carries the ping fields only (no personal data).
  EXPECT_EQ(ping[0].find("\"email\""), std::string::npos) << ping[0];
  // Archived: the link is dead.
  ASSERT_EQ(http_call(app_->port(), "DELETE", "/admin/campaigns/100/suppliers/200", "",
                      {{"Authorization", "Bearer test-admin-token"}})
                .status,
            200);
  EXPECT_EQ(http_call(app_->port(), "GET", "/api-specs?hash=mysecrethash").status, 404);
}

}  // namespace
}  // namespace pp::testkit
