// Authorization matrix (issue 7; /admin from issue 12 on; editors and campaign-limited tokens from
// issue 14): every API route × every credential —
// none, a wrong token, a read token, an admin token. Unauthenticated callers learn nothing (401;
// a route that does not exist is 404 for everyone: the routes are public, in /openapi.json); read
// tokens get 403 on everything that changes state; nothing else answers 401/403.
#include "app_fixture.h"

namespace pp::testkit {
namespace {

class Authz : public AppFixture {};

TEST_F(Authz, EveryRouteEveryRole) {
  FakeBuyer fb;
  fb.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  auto cfg = base_config(boost::json::array{http_buyer(300, 2, fb.url("/post"), 1)});
  cfg["api_tokens"].as_array().push_back(
      boost::json::parse(R"({"name": "editor", "token": "test-editor-token", "role": "editor"})"));
  // A second campaign, and an admin token limited to it: every route about campaign 100, its
  // lead and the account must be refused or empty for that token.
  boost::json::object other = cfg["campaigns"].as_array()[0].as_object();
  other["id"] = 101;
  other["name"] = "Elsewhere";
  other["public_name"] = "Elsewhere";
  other["suppliers"] =
      boost::json::parse(R"([{"id": 210, "client_id": 1, "lp_key": "supplier-key-210"}])");
  other["buyers"] = boost::json::array{};
  cfg["campaigns"].as_array().push_back(other);
  cfg["api_tokens"].as_array().push_back(boost::json::parse(
      R"({"name": "limited", "token": "test-limited-token", "role": "admin", "campaigns": [101]})"));
  // A suppression list (issue 17): the account's; editors change it, limited tokens never see it.
  cfg["lists"] = boost::json::parse(R"([{"id": 1, "name": "Internal DNC", "kind": "phone"}])");
  // A webhook (issue 18): the account's; admins change it and see its secrets; a sold lead makes
  // a delivery (to a port nobody listens on: it stays pending).
  cfg["webhooks"] = boost::json::parse(
      R"([{"id": 1, "url": "http://127.0.0.1:9/hook", "events": ["lead.accepted"]}])");
  start(cfg);
  auto stored = post_lead(lead_json());
  const std::string lead_id = parse_object(stored.body)["lead_id"].as_string().c_str();
  ASSERT_EQ(lead_id.size(), 20u);
  boost::json::object deliveries = parse_object(admin_get("/admin/deliveries").body);
  ASSERT_EQ(deliveries["data"].as_array().size(), 1u);
  const std::string delivery(deliveries["data"].as_array()[0].as_object()["id"].as_string());
  // An export, an upload and a batch (issue 19) that the admin made.
  const std::string export_body =
      R"({"type":"leads","params":{"campaign":100,"start_date":"2020-01-01","end_date":"2099-12-31"}})";
  auto admin_post = [&](const std::string& target, const std::string& body) {
    return parse_object(http_call(app_->port(), "POST", target, body,
                                  {{"Authorization", "Bearer test-admin-token"}})
                            .body);
  };
  const std::string export_id(admin_post("/admin/exports", export_body)["id"].as_string());
  const std::string csv = "first_name,email,phone,state\nAnn,ann@example.org,(410) 309-7989,NY\n";
  const std::string upload_id(
      admin_post("/admin/uploads?filename=matrix.csv", csv)["upload_id"].as_string());
  const std::string batch_body =
      R"({"upload_id":")" + upload_id + R"(","campaign_id":100,"supplier_id":200})";
  const std::string batch_id(admin_post("/admin/batches", batch_body)["batch_id"].as_string());
  ASSERT_TRUE(eventually([&] {
    return parse_object(admin_get("/admin/exports/" + export_id).body)["status"] == "completed" &&
           parse_object(admin_get("/admin/batches/" + batch_id).body)["status"] == "completed";
  }));

  struct Route {
    std::string method, target, body;
    bool admin_only;       // read tokens: 403
    bool account = false;  // editors too: 403 (tokens, clients, the whole document)
  };
  const std::string dates = "start_date=2020-01-01&end_date=2020-12-31";
  const std::vector<Route> routes = {
      {"GET", "/public/campaigns", "", false},
      {"GET", "/public/campaigns/100", "", false},
      {"GET", "/public/campaigns/100/pause_buyer/300", "", true},
      {"GET", "/public/campaigns/100/resume_buyer/300", "", true},
      {"GET", "/public/stats?" + dates, "", false},
      {"GET", "/public/stats/supplier?" + dates, "", false},
      {"GET", "/public/accounting?" + dates, "", false},
      {"GET", "/public/leads?campaign=100&" + dates, "", false},
      {"GET", "/public/lead/" + lead_id, "", false},
      {"POST", "/public/leads/debug", R"({"lead_id":")" + lead_id + R"("})", false},
      {"POST", "/public/lead/return", R"({"lead_id":")" + lead_id + R"(","reason":"bad"})", true},
      {"GET", "/metrics", "", false},
      {"GET", "/admin/leads/" + lead_id, "", false},
      {"GET", "/admin/leads/" + lead_id + "/timeline", "", false},
      // The console's views (issue 15): every token, scoped by its campaigns.
      {"GET", "/admin/whoami", "", false},
      {"GET", "/admin/buyers/health", "", false},
      {"GET", "/admin/changes?order=newest&limit=5", "", false},
      {"GET", "/public/no-such-route", "", false},
      {"GET", "/admin/no-such-route", "", false},
      // The configuration API (issue 14): reads for every token, changes for admins.
      {"GET", "/admin/config", "", false},
      {"GET", "/admin/changes?entity=buyer&id=300", "", false},
      {"GET", "/admin/clients", "", false},
      {"GET", "/admin/clients/4", "", false},
      {"GET", "/admin/campaigns", "", false},
      {"GET", "/admin/campaigns/100", "", false},
      {"GET", "/admin/campaigns/100/suppliers", "", false},
      {"GET", "/admin/campaigns/100/suppliers/200", "", false},
      {"GET", "/admin/campaigns/100/buyers", "", false},
      {"GET", "/admin/campaigns/100/buyers/300", "", false},
      {"POST", "/admin/clients", R"({"company":"Matrix"})", true, true},
      {"PUT", "/admin/clients/5", R"({"company":"Matrix, renamed"})", true, true},
      {"PATCH", "/admin/clients/4", R"({"email":"ops@three.example"})", true, true},
      {"DELETE", "/admin/clients/5", "", true, true},
      {"PATCH", "/admin/campaigns/100", R"({"public_name":"Matrix"})", true},
      {"PATCH", "/admin/campaigns/100/suppliers/201", R"({"paused":false})", true},
      {"PATCH", "/admin/campaigns/100/buyers/300", R"({"priority":2})", true},
      {"POST", "/admin/campaigns/100/buyers", "{}", true},  // invalid: 400 for admins
      {"POST", "/admin/campaigns/100/buyers/300/test", R"({"dry_run":true})", true},
      {"POST", "/admin/campaigns/100/buyers/test", R"({"dry_run":true})", true},  // 400: no buyer
      {"PUT", "/admin/config", admin_get("/admin/config").body, true, true},
      {"POST", "/admin/config/rollback", R"({"version":1})", true, true},
      {"GET", "/admin/tokens", "", true, true},
      // Suppression lists and their entries (issue 17).
      {"GET", "/admin/lists", "", false},
      {"GET", "/admin/lists/1", "", false},
      {"GET", "/admin/lists/1/entries", "", false},
      {"GET", "/admin/lists/1/entries/2125552671", "", false},
      {"PATCH", "/admin/lists/1", R"({"description":"from the CRM"})", true},
      {"PUT", "/admin/lists/1/entries/2125552671", "", true},
      {"DELETE", "/admin/lists/1/entries/2125552671", "", true},
      {"PUT", "/admin/lists/1/entries", "phone\n2125552671\n", true},
      {"POST", "/admin/lists/1/entries", "phone\n2125552672\n", true},
      {"POST", "/admin/tokens", R"({"name":"matrix","role":"read"})", true, true},
      // Webhooks and the delivery log (issue 18): reads for every unlimited token, changes and
      // secrets for admins, replays for tokens that change things.
      {"GET", "/admin/webhooks", "", false},
      {"GET", "/admin/webhooks/1", "", false},
      {"GET", "/admin/webhooks/1/secret", "", true, true},
      {"POST", "/admin/webhooks/1/rotate", "", true, true},
      {"PATCH", "/admin/webhooks/1", R"({"description":"CRM"})", true, true},
      {"POST", "/admin/webhooks", R"({"url":"http://127.0.0.1:9/b","events":["*"]})", true, true},
      {"DELETE", "/admin/webhooks/2", "", true, true},
      {"GET", "/admin/deliveries", "", false},
      {"GET", "/admin/deliveries?status=pending&event=lead.accepted", "", false},
      {"GET", "/admin/deliveries/" + delivery, "", false},
      {"POST", "/admin/deliveries/" + delivery + "/replay", "", true},
      {"GET", "/admin/alerts", "", false},
      {"GET", "/admin/alerts?rule_id=1&limit=5", "", false},
      // Exports (read tokens export what they read), uploads and batches (issue 19).
      {"POST", "/admin/exports", export_body, false},
      {"GET", "/admin/exports", "", false},
      {"GET", "/admin/exports/" + export_id, "", false},
      {"GET", "/admin/exports/" + export_id + "/file", "", false},
      {"DELETE", "/admin/exports/" + export_id, "", false},
      {"POST", "/admin/uploads?filename=m2.csv", csv, true},
      {"GET", "/admin/uploads", "", false},
      {"GET", "/admin/uploads/" + upload_id, "", false},
      {"POST", "/admin/batches", batch_body, true},
      {"GET", "/admin/batches", "", false},
      {"GET", "/admin/batches/" + batch_id, "", false},
      {"GET", "/admin/batches/" + batch_id + "/results", "", false},
      {"DELETE", "/admin/batches/" + batch_id, "", true},
      {"POST", "/admin/returns",
       R"({"upload_id":")" + upload_id +
           R"(","campaign_id":100,"column":"email","match_by":"email","start_date":"2020-01-01",)"
           R"("end_date":"2020-12-31"})",
       true},
      {"GET", "/admin/returns", "", false},
  };
  struct Who {
    const char* name;
    std::string header;
  };
  const std::vector<Who> callers = {{"none", ""},
                                    {"wrong token", "Bearer not-a-real-token"},
                                    {"not bearer", "Basic dGVzdC1hZG1pbi10b2tlbg=="},
                                    {"read", "Bearer test-read-token"},
                                    {"editor", "Bearer test-editor-token"},
                                    {"limited", "Bearer test-limited-token"},
                                    {"admin", "Bearer test-admin-token"}};
  int checked = 0;
  for (const auto& r : routes) {
    for (const auto& who : callers) {
      std::vector<std::pair<std::string, std::string>> h = {{"Content-Type", "application/json"}};
      if (!who.header.empty()) h.emplace_back("Authorization", who.header);
      HttpReply rep = http_call(app_->port(), r.method, r.target, r.body, h);
      const std::string what = r.method + " " + r.target + " as " + who.name + " -> " +
                               std::to_string(rep.status) + " " + rep.body.substr(0, 120);
      const std::string role = who.name;
      if (r.target.find("no-such-route") != std::string::npos) {
        // Routing comes first (the routes are public, in /openapi.json): 404 for everyone.
        EXPECT_EQ(rep.status, 404) << what;
      } else if (role == "none" || role == "wrong token" || role == "not bearer") {
        EXPECT_EQ(rep.status, 401) << what;
        EXPECT_EQ(rep.body.find(lead_id), std::string::npos) << what;
      } else if ((role == "read" && r.admin_only) || (role == "editor" && r.account)) {
        EXPECT_EQ(rep.status, 403) << what;
      } else if (role == "limited") {
        // Campaign 100 and its lead do not exist for it; the account is not its business. (It may
        // make what is its own: an upload, 201.)
        if (rep.status >= 200 && rep.status < 300) {
          EXPECT_EQ(rep.body.find("Test Campaign"), std::string::npos) << what;
          EXPECT_EQ(rep.body.find("ann@example.org"), std::string::npos) << what;
          EXPECT_EQ(rep.body.find("\"id\":300"), std::string::npos) << what;
        } else {
          EXPECT_TRUE(rep.status == 403 || rep.status == 404 || rep.status == 400) << what;
        }
      } else {
        EXPECT_NE(rep.status, 401) << what;
        EXPECT_NE(rep.status, 403) << what;
        EXPECT_NE(rep.status, 0) << what;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, int(routes.size() * callers.size()));
  // The admin calls above really ran: the buyer was paused then resumed, the lead returned.
  HttpReply again_return = http_call(
      app_->port(), "POST", "/public/lead/return",
      R"({"lead_id":")" + lead_id + R"(","reason":"bad"})",
      {{"Content-Type", "application/json"}, {"Authorization", "Bearer test-admin-token"}});
  EXPECT_NE(again_return.status, 200) << again_return.body;  // already returned by the admin
  auto again = admin_get("/public/campaigns/100/resume_buyer/300");
  EXPECT_EQ(again.status, 400) << again.body;  // already live: the admin's resume went through
  // The configuration changes of the admin and the editor went through, and only theirs: the
  // editor's pause, resume and three patches (first in each row, so the admin's pause and resume
  // find nothing to do), the admin's three patches, client create, replace, patch and delete, the
  // whole document, the rollback and the token.
  boost::json::object changes = parse_object(admin_get("/admin/changes").body);
  // (+2: the editor's and the admin's list patches; +4: the admin's webhook rotation, patch,
  // creation and deletion.)
  EXPECT_EQ(changes["changes"].as_array().size(), 1u + 5u + 10u + 2u + 4u)
      << boost::json::serialize(changes);
}

// Supplier intake ignores API tokens: only lp_key opens it, and an admin token does not.
TEST_F(Authz, IntakeNeedsTheSupplierKeyNotATToken) {
  start(base_config(boost::json::array{}));
  HttpReply r = http_call(
      app_->port(), "POST", "/direct_post",
      R"({"lp_campaign_id":100,"lp_supplier_id":200,"first_name":"A"})",
      {{"Content-Type", "application/json"}, {"Authorization", "Bearer test-admin-token"}});
  EXPECT_EQ(parse_object(r.body)["code"].as_int64(), 1001) << r.body;  // lp_key missing
}

}  // namespace
}  // namespace pp::testkit
