// The OpenAPI document against the running server (issue 19): every documented operation is
// called for real (successes and the usual refusals), and every answer — status, content type and
// JSON body — is checked against the document by an independent validator, Debian's
// python3-jsonschema (tests/openapi/validate.py, Draft 2020-12 as OpenAPI 3.1 uses). The
// validator fails on an undocumented status or content type, on a body its schema refuses, and
// on a documented operation no call reached; a body broken on purpose must fail it too.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "app_fixture.h"
#include "core/time.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;

constexpr const char* kPython = "/usr/bin/python3";  // Debian's, with python3-jsonschema

class OpenApi : public AppFixture {
 protected:
  struct Exchange {
    std::string method, target;
    int status = 0;
    std::string content_type, body;
  };

  HttpReply call(const std::string& method, const std::string& target, const std::string& body = "",
                 const std::string& token = "test-admin-token",
                 const std::string& content_type = "application/json",
                 const std::vector<std::pair<std::string, std::string>>& extra = {}) {
    std::vector<std::pair<std::string, std::string>> h = extra;
    if (!content_type.empty()) h.emplace_back("Content-Type", content_type);
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    HttpReply r = http_call(app_->port(), method, target, body, h);
    EXPECT_NE(r.status, 0) << method << " " << target << ": " << r.error;
    std::string ctype;
    for (const auto& [k, v] : r.headers)
      if (iequals(k, "content-type")) ctype = v;
    exchanges_.push_back({method, target, r.status, ctype, r.body});
    return r;
  }
  json::object call_json(const std::string& method, const std::string& target,
                         const std::string& body = "",
                         const std::string& token = "test-admin-token") {
    return parse_object(call(method, target, body, token).body);
  }
  static bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(a[i])) !=
          std::tolower(static_cast<unsigned char>(b[i])))
        return false;
    return true;
  }

  // Writes the exchanges (JSON lines) and runs the validator on them; its exit status.
  int validate(const std::vector<Exchange>& xs, const std::string& tag, std::string& output) {
    const std::string dir = data_dir_ + "/openapi-" + tag;
    std::filesystem::create_directories(dir);
    {
      std::ofstream doc(dir + "/openapi.json");
      doc << http_call(app_->port(), "GET", "/openapi.json").body;
      std::ofstream out(dir + "/exchanges.jsonl");
      for (const auto& x : xs) {
        // (Bodies other than JSON and text, a ZIP, go as their size.)
        const bool text =
            x.content_type.find("json") != std::string::npos || x.content_type.starts_with("text/");
        json::object o{{"method", x.method},
                       {"target", x.target},
                       {"status", x.status},
                       {"content_type", x.content_type},
                       {"body", text ? x.body : std::string()},
                       {"body_size", x.body.size()}};
        out << json::serialize(o) << "\n";
      }
    }
    const std::string cmd = std::string(kPython) + " " + PP_SOURCE_DIR +
                            "/tests/openapi/validate.py " + dir + "/openapi.json " + dir +
                            "/exchanges.jsonl > " + dir + "/out.txt 2>&1";
    int rc = std::system(cmd.c_str());
    std::ifstream in(dir + "/out.txt");
    output.assign(std::istreambuf_iterator<char>(in), {});
    if (const char* keep = std::getenv("PP_OPENAPI_DUMP");
        keep != nullptr && tag == "real") {  // for whoever edits the document
      std::filesystem::copy_file(dir + "/exchanges.jsonl", keep,
                                 std::filesystem::copy_options::overwrite_existing);
    }
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }

  std::vector<Exchange> exchanges_;
};

TEST_F(OpenApi, EveryOperationAnswersAsDocumented) {
  FakeBuyer fb;
  fb.on("/post", FakeReply::json(R"({"status":"accepted","id":"b-1"})"));
  fb.on("/ping", bid("12", "r1"));
  fb.on("/xpost", FakeReply::json(R"({"status":"accepted"})"));
  json::object cfg = base_config(json::array{http_buyer(300, 2, fb.url("/post"), 1)});
  cfg["api_tokens"].as_array().push_back(
      json::parse(R"({"name": "editor", "token": "test-editor-token", "role": "editor"})"));
  cfg["lists"] = json::parse(R"([{"id": 1, "name": "Internal DNC", "kind": "phone"}])");
  cfg["clients"].as_array()[3].as_object()["billing"] = json::object{{"mode", "manual"}};
  cfg["webhooks"] =
      json::parse(R"([{"id": 1, "url": "http://127.0.0.1:9/hook", "events": ["lead.accepted"]}])");
  // An exchange (pings and posts) and a lead store (the pull API).
  json::object exchange = cfg["campaigns"].as_array()[0].as_object();
  exchange["id"] = 102;
  exchange["name"] = "Exchange";
  exchange["suppliers"] =
      json::parse(R"([{"id": 220, "client_id": 1, "lp_key": "supplier-key-220"}])");
  json::object pb = ping_buyer(320, fb, 1);
  pb["post"].as_object()["url"] = fb.url("/xpost");
  exchange["buyers"] = json::array{pb};
  make_exchange(exchange);
  cfg["campaigns"].as_array().push_back(exchange);
  campaign_cfg(cfg)["buyers"].as_array().push_back(json::parse(R"({
      "id": 310, "client_id": 3, "type": "lead_store", "price": {"type": "static", "amount": "3"},
      "pull": {"key": "buyer-pull-key-310", "fields": ["first_name", "state"]}})"));
  start(cfg);

  // Intake.
  json::object sold = parse_object(post_lead(lead_json()).body);
  ASSERT_EQ(sold["status"], "ACCEPTED") << json::serialize(sold);
  const std::string lead_id(sold["lead_id"].as_string());
  call("POST", "/direct_post", lead_json(), "");
  call("POST", "/direct_post", R"({"lp_campaign_id":100,"lp_supplier_id":200})", "");
  call("POST", "/direct_post", "{broken", "");
  call("GET", "/direct_post", "", "");
  const std::string ping_body =
      R"({"lp_campaign_id":102,"lp_supplier_id":220,"lp_key":"supplier-key-220","state":"NY",)"
      R"("zip_code":"01341"})";
  json::object ping = call_json("POST", "/ping", ping_body, "");
  ASSERT_TRUE(ping.contains("ping_id")) << json::serialize(ping);
  std::string post = lead_json();
  post.replace(post.find("100"), 3, "102");
  post.replace(post.find("200"), 3, "220");
  post.replace(post.find("supplier-key-200"), 16, "supplier-key-220");
  post.insert(post.size() - 1,
              R"(,"lp_ping_id":")" + std::string(ping["ping_id"].as_string()) + "\"");
  call("POST", "/post", post, "");
  call("POST", "/post", R"({"lp_campaign_id":102,"lp_supplier_id":220,"lp_key":"x"})", "");

  // The read API.
  const UnixMs now = app_->engine().clock().now_ms();
  const std::string from = format_local_date(TimeZone::utc(), now - 86400000);
  const std::string today = format_local_date(TimeZone::utc(), now + 86400000);  // (or tomorrow)
  const std::string dates = "start_date=" + from + "&end_date=" + today;
  call("GET", "/public/campaigns");
  call("GET", "/public/campaigns", "", "");
  json::object c100 = call_json("GET", "/public/campaigns/100");
  const std::string specs_hash(c100["suppliers"].as_array()[0].as_object()["hash"].as_string());
  call("GET", "/public/campaigns/999");
  call("GET", "/public/campaigns/100/pause_buyer/300");
  call("GET", "/public/campaigns/100/resume_buyer/300");
  call("GET", "/public/campaigns/100/resume_buyer/300");  // already live: 400
  call("GET", "/public/stats?" + dates);
  call("GET", "/public/stats?start_date=nope");
  call("GET", "/public/stats/supplier?campaign=100&supplier=200&group=sub1&" + dates);
  call("GET", "/public/stats/supplier?" + dates);
  call("GET", "/public/accounting?" + dates);
  call("GET", "/public/leads?campaign=100&" + dates);
  call("GET", "/public/lead/" + lead_id);
  call("GET", "/public/lead/AAAAAAAAAAAAAAAAAAAA");
  call("POST", "/public/leads/debug", R"({"lead_ids":[")" + lead_id + R"(","nope"]})");
  call("POST", "/public/lead/return", R"({"lead_id":")" + lead_id + R"(","reason":"bad"})",
       "test-read-token");
  call("POST", "/public/lead/return", R"({"lead_id":")" + lead_id + R"(","reason":"bad"})");
  call("POST", "/public/lead/return", R"({"lead_id":")" + lead_id + R"(","reason":"bad"})");

  // The buyer pull API.
  call("GET", "/v1/leads?limit=10", "", "buyer-pull-key-310");
  call("GET", "/v1/leads?cursor=abc", "", "buyer-pull-key-310");
  call("GET", "/v1/leads", "", "test-admin-token");

  // Configuration.
  const std::string whole = call("GET", "/admin/config").body;
  call("PUT", "/admin/config", whole);
  call("PUT", "/admin/config", "{}");
  call("PUT", "/admin/config", whole, "test-editor-token");
  call("POST", "/admin/config/rollback", R"({"version":1})");
  call("GET", "/admin/changes?limit=5");
  call("GET", "/admin/tokens");
  json::object made = call_json("POST", "/admin/tokens", R"({"name":"ci","role":"read"})");
  EXPECT_TRUE(made.contains("token")) << json::serialize(made);
  call("GET", "/admin/tokens/ci");
  call("PATCH", "/admin/tokens/ci", R"({"role":"editor"})");
  call("PUT", "/admin/tokens/ci", R"({"name":"ci","role":"read"})");
  call("DELETE", "/admin/tokens/ci");
  call("GET", "/admin/tokens/ci");
  call("GET", "/admin/clients");
  call("POST", "/admin/clients", R"({"company":"Spec Co"})");
  call("GET", "/admin/clients/5");
  call("PUT", "/admin/clients/5", R"({"company":"Spec Co, renamed"})");
  call("PATCH", "/admin/clients/5", R"({"email":"ops@spec.example"})");
  call("DELETE", "/admin/clients/5");
  call("GET", "/admin/clients/1/balance");
  call("POST", "/admin/clients/1/deposits", R"({"amount":"10"})");  // billing none: 409
  call("POST", "/admin/clients/1/deposits", R"({"amount":"x"})");
  call("POST", "/admin/clients/4/deposits", R"({"amount":"250.50","note":"spec"})");
  call("GET", "/admin/clients/4/ledger?limit=5");
  call("POST", "/admin/clients/4/charges", R"({"amount":"10"})");  // no provider here: 501
  call("GET", "/admin/clients/1/ledger?limit=0");
  call("GET", "/admin/ledger");
  call("GET", "/admin/campaigns");
  const std::string campaign = call("GET", "/admin/campaigns/100").body;
  call("PUT", "/admin/campaigns/100", campaign);
  call("PATCH", "/admin/campaigns/100", R"({"public_name":"Spec"})");
  json::object fresh = parse_object(campaign);
  fresh.erase("id");
  fresh["name"] = "Fresh";
  fresh["suppliers"] = json::array{};
  fresh["buyers"] = json::array{};
  json::object created = call_json("POST", "/admin/campaigns", json::serialize(fresh));
  ASSERT_TRUE(created.contains("id")) << json::serialize(created);
  const std::string fresh_path = "/admin/campaigns/" + std::to_string(created["id"].as_int64());
  call("GET", "/admin/campaigns/100/suppliers");
  json::object supplier =
      call_json("POST", fresh_path + "/suppliers", R"({"client_id":1,"lp_key":"fresh-key-1"})");
  ASSERT_TRUE(supplier.contains("id")) << json::serialize(supplier);
  const std::string supplier_path =
      fresh_path + "/suppliers/" + std::to_string(supplier["id"].as_int64());
  const std::string supplier_doc = call("GET", supplier_path).body;
  call("PUT", supplier_path, supplier_doc);
  call("PATCH", supplier_path, R"({"paused":true})");
  call("DELETE", supplier_path);
  call("GET", "/admin/campaigns/100/buyers");
  json::object new_buyer = http_buyer(0, 2, fb.url("/post"), 1);
  new_buyer.erase("id");  // the server gives it one
  json::object buyer = call_json("POST", fresh_path + "/buyers", json::serialize(new_buyer));
  ASSERT_TRUE(buyer.contains("id")) << json::serialize(buyer);
  const std::string buyer_path = fresh_path + "/buyers/" + std::to_string(buyer["id"].as_int64());
  const std::string buyer_doc = call("GET", buyer_path).body;
  call("PUT", buyer_path, buyer_doc);
  call("PATCH", buyer_path, R"({"priority":3})");
  call("PATCH", buyer_path, R"({"priority":"high"})");
  call("DELETE", buyer_path);
  call("DELETE", fresh_path);
  call("GET", "/admin/campaigns/100/buyers/999");
  call("POST", "/admin/campaigns/100/buyers/300/test", R"({"dry_run":true})");
  call("POST", "/admin/campaigns/100/buyers/300/test", "{}");
  call("POST", "/admin/campaigns/100/buyers/test",
       R"({"dry_run":true,"buyer":)" + json::serialize(http_buyer(399, 2, fb.url("/post"), 1)) +
           "}");
  call("GET", "/admin/lists");
  call("POST", "/admin/lists", R"({"name":"Spec list","kind":"email"})");
  call("GET", "/admin/lists/2");
  call("PUT", "/admin/lists/2", R"({"name":"Spec list","kind":"email"})");
  call("PATCH", "/admin/lists/2", R"({"description":"from the spec"})");
  call("DELETE", "/admin/lists/2");
  call("PUT", "/admin/lists/1/entries", "phone\n2125552671\n", "test-admin-token", "text/csv");
  call("POST", "/admin/lists/1/entries", "phone\n2125552672\n", "test-admin-token", "text/csv");
  call("GET", "/admin/lists/1/entries");
  call("GET", "/admin/lists/1/entries/2125552671");
  call("PUT", "/admin/lists/1/entries/2125552673");
  call("DELETE", "/admin/lists/1/entries/2125552673");
  call("GET", "/admin/lists/1/entries/2125552673");
  json::array hooks = boost::json::parse(call("GET", "/admin/webhooks").body).as_array();
  ASSERT_EQ(hooks.size(), 1u);  // (it once listed the campaigns: found by this test)
  EXPECT_EQ(hooks[0].as_object()["url"], "http://127.0.0.1:9/hook");
  call("POST", "/admin/webhooks", R"({"url":"http://127.0.0.1:9/b","events":["*"]})");
  call("GET", "/admin/webhooks/2");
  call("PUT", "/admin/webhooks/2", R"({"url":"http://127.0.0.1:9/c","events":["lead.accepted"]})");
  call("PUT", "/admin/webhooks/2", R"({"url":"http://127.0.0.1:9/c","events":["lead.sold"]})");
  call("PATCH", "/admin/webhooks/2", R"({"description":"CRM"})");
  call("GET", "/admin/webhooks/2/secret");
  call("POST", "/admin/webhooks/2/rotate");
  call("DELETE", "/admin/webhooks/2");

  // Operations.
  call("GET", "/admin/whoami");
  call("GET", "/admin/whoami", "", "not-a-token");
  call("GET", "/admin/buyers/health");
  call("GET", "/admin/leads/" + lead_id);
  call("GET", "/admin/leads/" + lead_id + "/timeline");
  call("GET", "/admin/leads/AAAAAAAAAAAAAAAAAAAA");
  call("GET", "/admin/alerts");
  json::object deliveries = call_json("GET", "/admin/deliveries");
  ASSERT_FALSE(deliveries["data"].as_array().empty()) << json::serialize(deliveries);
  const std::string delivery(deliveries["data"].as_array()[0].as_object()["id"].as_string());
  call("GET", "/admin/deliveries/" + delivery);
  call("POST", "/admin/deliveries/" + delivery + "/replay");

  // Data in and out.
  json::object exp =
      call_json("POST", "/admin/exports",
                R"({"type":"leads","format":"csv","params":{"campaign":100,"start_date":")" + from +
                    R"(",)"
                    R"("end_date":")" +
                    today + R"("}})");
  ASSERT_TRUE(exp.contains("id")) << json::serialize(exp);
  const std::string export_id(exp["id"].as_string());
  call("POST", "/admin/exports", R"({"type":"nope"})");
  const std::string csv = "first_name,email,phone,state\nBo,bo@example.org,(410) 309-7911,NY\n";
  json::object up = call_json("POST", "/admin/uploads?filename=spec.csv", csv);
  ASSERT_TRUE(up.contains("upload_id")) << json::serialize(up);
  const std::string upload_id(up["upload_id"].as_string());
  call("POST", "/admin/uploads?filename=empty.csv", "");
  json::object batch =
      call_json("POST", "/admin/batches",
                R"({"upload_id":")" + upload_id + R"(","campaign_id":100,"supplier_id":200})");
  ASSERT_TRUE(batch.contains("batch_id")) << json::serialize(batch);
  const std::string batch_id(batch["batch_id"].as_string());
  const std::string returns_csv = "lead\n" + lead_id + "\n";
  json::object rup = call_json("POST", "/admin/uploads?filename=returns.csv", returns_csv);
  json::object ret = call_json(
      "POST", "/admin/returns",
      R"({"upload_id":")" + std::string(rup["upload_id"].as_string()) +
          R"(","campaign_id":100,"start_date":")" + from + R"(","end_date":")" + today +
          R"(","column":"lead","match_by":"lp_lead_id","on_multiple":"all","reason":"spec"})");
  ASSERT_TRUE(ret.contains("id")) << json::serialize(ret);
  const std::string returns_id(ret["id"].as_string());
  ASSERT_TRUE(eventually([&] {
    return parse_object(admin_get("/admin/exports/" + export_id).body)["status"] == "completed" &&
           parse_object(admin_get("/admin/batches/" + batch_id).body)["status"] == "completed" &&
           parse_object(admin_get("/admin/returns/" + returns_id).body)["status"] == "completed";
  }));
  call("GET", "/admin/exports");
  call("GET", "/admin/exports/" + export_id);
  call("GET", "/admin/exports/" + export_id + "/file");
  call("DELETE", "/admin/exports/" + export_id);  // ended: 409
  call("GET", "/admin/exports/exp_nope");
  call("GET", "/admin/uploads");
  call("GET", "/admin/uploads/" + upload_id);
  call("GET", "/admin/batches?limit=5&sort=created_at&order=desc");
  call("GET", "/admin/batches/" + batch_id);
  call("GET", "/admin/batches/" + batch_id + "/results");
  call("DELETE", "/admin/batches/" + batch_id);  // ended: 409
  call("POST", "/admin/batches", R"({"upload_id":")" + upload_id + R"(","campaign_id":999})");
  call("GET", "/admin/returns");
  call("GET", "/admin/returns/" + returns_id);
  call("GET", "/admin/returns/" + returns_id + "/file");
  call("DELETE", "/admin/returns/" + returns_id);
  call("DELETE", "/admin/uploads/" + upload_id);

  // The portals (issue 20): an admin makes the users; a login's cookie makes keys; the keys call
  // the rest.
  json::object bu = call_json("POST", "/admin/portal/users",
                              R"({"email":"b@x.example","name":"B","kind":"buyer","clients":[2],)"
                              R"("password":"portal password 1"})");
  const std::string buid(bu["id"].as_string());
  call("POST", "/admin/portal/users", R"({"email":"B@x.example","kind":"buyer","clients":[2]})");
  call("POST", "/admin/portal/users",
       R"({"email":"s@x.example","name":"S","kind":"supplier","clients":[1],)"
       R"("password":"portal password 2"})");
  json::object gone = call_json("POST", "/admin/portal/users",
                                R"({"email":"g@x.example","kind":"buyer","clients":[3]})");
  call("GET", "/admin/portal/users");
  call("GET", "/admin/portal/users/" + buid);
  call("GET", "/admin/portal/users/pu_nope");
  call("PATCH", "/admin/portal/users/" + buid, R"({"name":"Buyer"})");
  call("DELETE", "/admin/portal/users/" + std::string(gone["id"].as_string()));
  call("POST", "/portal/login", R"({"email":"b@x.example","password":"wrong password"})", "");
  // Logs in (the cookie and CSRF token of the session) and makes a key with them.
  auto login = [&](const std::string& email, const std::string& password,
                   std::vector<std::pair<std::string, std::string>>& session) {
    HttpReply r = call("POST", "/portal/login",
                       R"({"email":")" + email + R"(","password":")" + password + R"("})", "");
    std::string cookie;
    for (const auto& [k, v] : r.headers)
      if (iequals(k, "set-cookie")) cookie = v.substr(0, v.find(';'));
    session = {{"Cookie", cookie},
               {"X-CSRF-Token", std::string(parse_object(r.body)["csrf_token"].as_string())}};
    return std::string(parse_object(call("POST", "/portal/keys", R"({"name":"spec"})", "",
                                         "application/json", session)
                                        .body)["key"]
                           .as_string());
  };
  std::vector<std::pair<std::string, std::string>> session, supplier_session;
  const std::string bk = login("b@x.example", "portal password 1", session);
  const std::string sk = login("s@x.example", "portal password 2", supplier_session);
  call("POST", "/portal/password/forgot", R"({"email":"b@x.example"})", "");
  call("POST", "/portal/password/reset", R"({"token":"ppr_x","password":"whatever long"})", "");
  call("GET", "/portal/me", "", bk);
  call("GET", "/portal/me", "", "");
  call("GET", "/portal/keys", "", bk);
  call("DELETE", "/portal/keys/pk_nope", "", bk);
  call("POST", "/portal/password", R"({"current_password":"x","new_password":"y"})", bk);
  call("POST", "/portal/password", R"({"current_password":"x","new_password":"y"})", "",
       "application/json", session);
  call("GET", "/portal/buyer/campaigns", "", bk);
  call("GET", "/portal/buyer/campaigns", "", sk);
  call("GET", "/portal/buyer/leads?campaign_id=100", "", bk);
  call("GET", "/portal/buyer/leads", "", bk);
  call("GET", "/portal/buyer/leads/" + lead_id, "", bk);
  call("GET", "/portal/buyer/leads/AAAAAAAAAAAAAAAAAAAA", "", bk);
  call("GET", "/portal/buyer/stats", "", bk);
  call("GET", "/portal/buyer/balance", "", bk);
  json::object paused = call_json("POST", "/portal/buyer/pause_all", "{}", bk);
  call("POST", "/portal/buyer/resume_all", "{}", bk);
  call("GET", "/portal/buyer/requests?status=pending", "", bk);
  call("GET", "/portal/buyer/requests?status=nope", "", bk);
  json::object asked =
      call_json("POST", "/portal/buyer/requests",
                R"({"kind":"pause","campaign_id":100,"buyer_id":300,"reason":"spec"})", bk);
  call(
      "POST", "/portal/buyer/requests",
      R"({"kind":"pricing","campaign_id":100,"buyer_id":300,"change":{"type":"static","amount":"1"}})",
      bk);  // pricing is off by default: 403
  call("POST", "/portal/buyer/requests", R"({"kind":"pause","campaign_id":100,"buyer_id":999})",
       bk);
  const std::string rid(asked["id"].as_string());
  call("GET", "/portal/buyer/requests/" + rid, "", bk);
  call("GET", "/portal/buyer/requests/req_nope", "", bk);
  call("POST", "/portal/buyer/requests/" + rid + "/cancel", "", bk);
  call("POST", "/portal/buyer/requests/" + rid + "/cancel", "", bk);  // 409
  call("GET", "/admin/portal/requests?kind=pause");
  call("GET", "/admin/portal/requests/" + rid);
  call("GET", "/admin/portal/requests/req_nope");
  call("POST", "/admin/portal/requests/" + rid + "/approve");  // cancelled: 409
  call("POST", "/admin/portal/requests/" + rid + "/deny", R"({"note":"no"})");
  {
    const json::array& items = paused["items"].as_array();
    ASSERT_FALSE(items.empty());
    const std::string pid(items[0].as_object().at("request").as_object().at("id").as_string());
    call("POST", "/admin/portal/requests/" + pid + "/approve");
    json::object asked2 = call_json("POST", "/portal/buyer/requests",
                                    R"({"kind":"resume","campaign_id":100,"buyer_id":300})", bk);
    call("POST", "/admin/portal/requests/" + std::string(asked2["id"].as_string()) + "/deny",
         R"({"note":"later"})");
  }
  call("GET", "/portal/supplier/campaigns", "", sk);
  call("GET", "/portal/supplier/campaigns", "", bk);
  call("GET", "/portal/supplier/dashboard", "", sk);
  call("GET", "/portal/supplier/dashboard?start_date=nope", "", sk);
  call("GET", "/portal/supplier/leads?campaign_id=100", "", sk);
  call("GET", "/portal/supplier/leads?campaign_id=999", "", sk);
  call("GET", "/portal/supplier/leads/" + lead_id, "", sk);
  call("GET", "/portal/supplier/leads/AAAAAAAAAAAAAAAAAAAA", "", sk);
  call("GET", "/admin/portal/templates");
  call("GET", "/admin/portal/templates/balance_low");
  call("GET", "/admin/portal/templates/nope");
  call("PUT", "/admin/portal/templates/balance_low",
       R"({"subject":"Low {{client_company}}","body":"b"})");
  call("PUT", "/admin/portal/templates/balance_low", R"({"subject":"{{x||nosuch}}","body":"b"})");
  call("DELETE", "/admin/portal/templates/balance_low");
  call("POST", "/admin/portal/users/" + buid + "/invite");
  call("POST", "/admin/portal/users/pu_nope/invite");
  for (const auto& [who, key] :
       {std::pair{std::string("buyer"), bk}, std::pair{std::string("supplier"), sk}}) {
    const std::string base = "/portal/" + who + "/exports";
    json::object job = call_json("POST", base,
                                 R"({"campaign_id":100,"start_date":")" + from +
                                     R"(","end_date":")" + today + R"(","format":"csv"})",
                                 key);
    call("POST", base, R"({"campaign_id":999,"start_date":"2026-01-01","end_date":"2026-01-02"})",
         key);
    const std::string id(job["id"].as_string());
    ASSERT_TRUE(eventually([&] {
      return parse_object(http_call(app_->port(), "GET", base + "/" + id, "",
                                    {{"Authorization", "Bearer " + key}})
                              .body)["status"] == "completed";
    }));
    call("GET", base, "", key);
    call("GET", base + "/" + id, "", key);
    call("GET", base + "/" + id + "/file", "", key);
    call("GET", base + "/exp_nope", "", key);
  }
  call("POST", "/portal/logout", "", "", "application/json", session);

  // The server.
  call("GET", "/health", "", "");
  call("GET", "/ready", "", "");
  call("GET", "/metrics");
  call("GET", "/api-specs?hash=" + specs_hash, "", "");  // the page (HTML)
  {
    HttpReply r = http_call(app_->port(), "GET", "/api-specs?hash=" + specs_hash, "",
                            {{"Accept", "application/json"}});
    exchanges_.push_back(
        {"GET", "/api-specs?hash=" + specs_hash, r.status, "application/json", r.body});
  }
  call("GET", "/api-specs?hash=nope", "", "");
  call("GET", "/openapi.json", "", "");
  call("GET", "/console", "", "");
  call("GET", "/console/", "", "");
  call("GET", "/console/js/main.js", "", "");
  call("GET", "/console/js/nope.js", "", "");
  call("POST", "/sandbox/post", R"({"first_name":"Ann"})", "");
  call("POST", "/sandbox/ping", R"({"state":"NY"})", "");
  call("GET", "/no/such/route", "", "");
  call("DELETE", "/admin/whoami");

  std::string out;
  EXPECT_EQ(validate(exchanges_, "real", out), 0) << out;

  // The validator can fail: a lead answer without its status, and an undocumented status.
  std::vector<Exchange> broken = exchanges_;
  for (auto& x : broken)
    if (x.target == "/admin/whoami" && x.status == 200) x.body = R"({"name":17})";
  EXPECT_NE(validate(broken, "broken-body", out), 0) << out;
  EXPECT_NE(out.find("/admin/whoami"), std::string::npos) << out;
  broken = exchanges_;
  broken.push_back({"GET", "/health", 418, "application/json", "{}"});
  EXPECT_NE(validate(broken, "undocumented-status", out), 0) << out;
  broken = exchanges_;
  std::erase_if(broken, [](const Exchange& x) { return x.target.starts_with("/admin/alerts"); });
  EXPECT_NE(validate(broken, "uncovered", out), 0) << out;
  EXPECT_NE(out.find("/admin/alerts"), std::string::npos) << out;
}

}  // namespace
}  // namespace pp::testkit
