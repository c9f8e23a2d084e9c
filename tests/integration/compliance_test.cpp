// Compliance and lead-quality checks (issue 17) through the real server: phone and email checks,
// suppression lists uploaded through the admin API, TrustedForm and Jornaya against fake vendors
// on loopback that follow the documented request and answer shapes (and that can be slow, wrong or
// down), any HTTP validator, buyer-level checks, supplier overrides, sampling, the cache window,
// async checks, "at least one of" and the supplier's error details.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "app_fixture.h"
#include "core/hash.h"

namespace pp::testkit {
namespace {

namespace json = boost::json;

const std::string kCert = "0123456789abcdef0123456789abcdef01234567";
const std::string kToken = "A1B2C3D4-0000-1111-2222-333344445555";

class Compliance : public AppFixture {
 protected:
  // base_config plus the consent fields, one buyer that accepts everything.
  json::object config_with(json::array checks, FakeBuyer& buyer) {
    json::object cfg = base_config({http_buyer(300, 2, buyer.url("/post"), 1)});
    json::object& c = campaign_cfg(cfg);
    c["fields"].as_array().push_back(
        json::parse(R"({"name":"trustedform_cert_url","type":"url"})"));
    c["fields"].as_array().push_back(json::parse(R"({"name":"jornaya_leadid","type":"text"})"));
    c["checks"] = std::move(checks);
    return cfg;
  }
  // (Each body differs: the request guard answers a repeated body with the first one's answer.)
  std::string lead(const std::string& phone = "(410) 309-7989",
                   const std::string& email = "ann@example.org", const std::string& extra = "",
                   int supplier = 200) {
    std::string body = R"({"lp_subid2":")" + std::to_string(++seq_) +
                       R"(","lp_campaign_id":100,"lp_supplier_id":)" + std::to_string(supplier) +
                       R"(,"lp_key":"supplier-key-)" + std::to_string(supplier) +
                       R"(","first_name":"Ann","email":")" + email + R"(","phone":")" + phone +
                       R"(","state":"NY","zip_code":"01341")";
    if (!extra.empty()) body += "," + extra;
    return body + "}";
  }
  int seq_ = 0;
  json::object answer(const HttpReply& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    return parse_object(r.body);
  }
  json::object admin_lead(const json::object& a) {
    HttpReply r = admin_get("/admin/leads/" + std::string(a.at("lead_id").as_string()));
    EXPECT_EQ(r.status, 200) << r.body;
    return parse_object(r.body);
  }
  json::object timeline(const json::object& a) {
    HttpReply r =
        admin_get("/admin/leads/" + std::string(a.at("lead_id").as_string()) + "/timeline");
    EXPECT_EQ(r.status, 200) << r.body;
    return parse_object(r.body);
  }
  static const json::object* check_of(const json::object& view, std::string_view name) {
    for (const auto& c : view.at("checks").as_array())
      if (c.as_object().at("name").as_string() == name) return &c.as_object();
    return nullptr;
  }
  HttpReply call(const std::string& method, const std::string& target, const std::string& body,
                 const std::string& token = "test-admin-token",
                 const std::string& type = "application/json") {
    return http_call(app_->port(), method, target, body,
                     {{"Authorization", "Bearer " + token}, {"Content-Type", type}});
  }
  std::string field(const json::object& lead_view, const std::string& name) {
    const json::value* v = lead_view.at("lead_data").as_object().if_contains(name);
    return v && v->is_string() ? std::string(v->as_string()) : std::string("(absent)");
  }
};

TEST_F(Compliance, PhoneAndEmailChecksRejectWithProviderAndDescription) {
  FakeBuyer b;
  b.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  json::object cfg = config_with(json::parse(R"([{"type":"phone"},{"type":"email"},
      {"type":"email","name":"work_email","field":"work_email"}])")
                                     .as_array(),
                                 b);
  campaign_cfg(cfg)["fields"].as_array().push_back(
      json::parse(R"({"name":"work_email","type":"text"})"));
  campaign_cfg(cfg)["validation_error_details"] =
      json::parse(R"({"provider": true, "description": true})");
  start(cfg);

  // A good lead: sold, its E.164 number and line type recorded beside the 10-digit form.
  json::object ok = answer(post_lead(lead()));
  EXPECT_EQ(ok["status"], "ACCEPTED") << json::serialize(ok);
  json::object v = admin_lead(ok);
  EXPECT_EQ(field(v, "phone"), "4103097989");
  EXPECT_EQ(field(v, "phone_e164"), "+14103097989");
  EXPECT_EQ(field(v, "phone_line_type"), "fixed_line_or_mobile");
  EXPECT_EQ(field(v, "email_domain"), "example.org");
  json::object t = timeline(ok);
  bool saw_stage = false;
  for (const auto& s : t["stages"].as_array())
    if (s.as_object().at("stage") == "checks") {
      saw_stage = true;
      EXPECT_EQ(s.as_object().at("reason"), "phone pass, email pass, work_email skipped");
    }
  EXPECT_TRUE(saw_stage);
  ASSERT_TRUE(check_of(t, "phone"));
  EXPECT_EQ(check_of(t, "phone")->at("status"), "pass");
  EXPECT_GE(check_of(t, "phone")->at("duration_us").as_int64(), 0);

  // A fictional number (555-01XX passes the field's NANP digits rule, not the check): stored,
  // code 1015, the provider and why, with the reference's error_meta for the supplier.
  json::object bad = answer(post_lead(lead("(410) 555-0123")));
  EXPECT_EQ(bad["status"], "ERROR");
  EXPECT_EQ(bad["code"], 1015);
  EXPECT_EQ(bad["message"], "Error: lead failed validation");
  EXPECT_EQ(bad["error_meta"].as_object()["provider_name"], "Phone");
  EXPECT_EQ(bad["error_meta"].as_object()["description"], "phone fictional number (555-01XX)");
  HttpReply pub = get_lead(std::string(bad["lead_id"].as_string()));
  json::object p = parse_object(pub.body);
  EXPECT_EQ(p["validation_error_provider"], "Phone") << pub.body;
  EXPECT_EQ(p["validation_error_description"], "phone fictional number (555-01XX)");
  EXPECT_TRUE(b.count("/post") == 1u);  // never delivered

  // An email in a text field, which the check reads by RFC rules (a numeric top-level domain).
  json::object bad_mail = answer(
      post_lead(lead("(410) 309-7989", "ann@example.org", R"("work_email":"ann@example.123")")));
  EXPECT_EQ(bad_mail["code"], 1015) << json::serialize(bad_mail);
  EXPECT_EQ(bad_mail["error_meta"].as_object()["provider_name"], "Email");
  EXPECT_EQ(bad_mail["error_meta"].as_object()["description"], "email numeric top-level domain");
  json::object good_mail = answer(
      post_lead(lead("(410) 309-7989", "ann@example.org", R"("work_email":"ann@bücher.de")")));
  EXPECT_EQ(good_mail["status"], "ACCEPTED") << json::serialize(good_mail);
  EXPECT_EQ(field(admin_lead(good_mail), "work_email_domain"), "xn--bcher-kva.de");

  // Counted as failed in the statistics.
  TimeZone ny;
  ASSERT_TRUE(TimeZone::lookup("America/New_York", ny));
  const std::string today = format_local_date(ny, SystemClock::instance().now_ms());
  json::value stats = json::parse(
      admin_get("/public/stats?campaign=100&start_date=" + today + "&end_date=" + today).body);
  EXPECT_EQ(stats.at(0).at("campaign").at("leads_failed").to_number<int64_t>(), 2) << stats;
  EXPECT_EQ(stats.at(0).at("campaign").at("leads_accepted").to_number<int64_t>(), 2) << stats;
}

}  // namespace
}  // namespace pp::testkit

namespace pp::testkit {
namespace {

// Suppression lists: the list is a configuration entity, its entries are uploaded as CSV streamed
// through the admin API (far larger than the body limit of other requests), changed one by one,
// and they survive a restart.
TEST_F(Compliance, SuppressionListsUploadedStreamedAndCheckedDurably) {
  FakeBuyer b;
  b.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  json::object cfg = config_with(json::array{}, b);
  cfg["lists"] = json::parse(R"j([{"id": 1, "name": "Internal DNC", "kind": "phone"},
                                  {"id": 2, "name": "Litigators (hashed)", "kind": "sha256"}])j");
  campaign_cfg(cfg)["checks"] =
      json::parse(R"([{"type": "suppression", "name": "dnc", "lists": [1, 2]}])");
  start(cfg);

  // 200,000 rows with a header, three of them not phone numbers: far over the 64 KiB body limit.
  std::string csv = "phone,source\r\n";
  for (int i = 0; i < 200000; ++i)
    csv += "(212) 7" + std::to_string(100000 + i).substr(0, 2) + "-" +
           std::to_string(1000 + i % 9000) + ",import\r\n";
  csv += "not a phone,x\r\n410-309-7989,crm\r\n,empty\r\n12345,short\r\n";
  HttpReply up = call("PUT", "/admin/lists/1/entries", csv, "test-admin-token", "text/csv");
  ASSERT_EQ(up.status, 200) << up.body << up.error;
  json::object u = parse_object(up.body);
  EXPECT_EQ(u["mode"], "replace");
  EXPECT_EQ(u["header"], true);
  EXPECT_EQ(u["rows"], 200004);  // the blank-cell row has no value: one of the invalid three
  EXPECT_EQ(u["invalid"], 3);
  EXPECT_EQ(u["errors"].as_array().size(), 3u);
  EXPECT_EQ(u["errors"].as_array()[0].as_object()["row"], 200002);
  EXPECT_EQ(u["errors"].as_array()[0].as_object()["error"], "not a phone number");
  EXPECT_FALSE(u["errors"].as_array()[0].as_object().contains("value"));  // no personal data
  const int64_t entries = u["entries"].as_int64();
  EXPECT_GT(entries, 8000);  // (repeats collapse: 90 x 9000 distinct at most)

  // The listed number fails the lead; the reason names the list, never the number.
  json::object listed = answer(post_lead(lead("(410) 309-7989")));
  EXPECT_EQ(listed["code"], 1015) << json::serialize(listed);
  json::object v = admin_lead(listed);
  EXPECT_EQ(v["validation_error_provider"], "Suppression");
  EXPECT_EQ(v["validation_error_description"], "phone is on list 'Internal DNC'");
  EXPECT_FALSE(listed.contains("error_meta"));  // the campaign does not show details
  EXPECT_EQ(b.count("/post"), 0u);

  // One entry removed, one added, one looked up (by any writing of the number).
  HttpReply del = call("DELETE", "/admin/lists/1/entries/4103097989", "");
  EXPECT_EQ(del.status, 200) << del.body;
  json::object after = answer(post_lead(lead("(410) 309-7989")));
  EXPECT_EQ(after["status"], "ACCEPTED") << json::serialize(after);
  EXPECT_EQ(call("PUT", "/admin/lists/1/entries/%2B1%20646%20555%201212", "").status, 200);
  EXPECT_EQ(parse_object(admin_get("/admin/lists/1/entries/6465551212").body)["listed"], true);
  EXPECT_EQ(answer(post_lead(lead("646-555-1212")))["code"], 1015);
  EXPECT_EQ(call("PUT", "/admin/lists/1/entries/hello", "").status, 400);

  // A buyer's hashed list (SHA-256 of 10-digit numbers, as buyers send them), appended by POST.
  std::string hashed = "sha256\n" + sha256_hex("7185550188") + "\n";
  HttpReply app2 = call("POST", "/admin/lists/2/entries", hashed, "test-admin-token", "text/csv");
  ASSERT_EQ(app2.status, 200) << app2.body;
  EXPECT_EQ(parse_object(app2.body)["entries"], 1);
  EXPECT_EQ(answer(post_lead(lead("718-555-0188")))["code"], 1015);

  // Read tokens read; they do not upload (refused before the body is read).
  EXPECT_EQ(admin_get("/admin/lists/1/entries", "test-read-token").status, 200);
  EXPECT_EQ(
      call("PUT", "/admin/lists/1/entries", "phone\n2125550100\n", "test-read-token", "text/csv")
          .status,
      403);
  EXPECT_EQ(call("PUT", "/admin/lists/9/entries", "phone\n2125550100\n").status, 404);
  EXPECT_EQ(call("PUT", "/admin/lists/1/entries", "x", "wrong-token").status, 401);

  // After a restart the entries are read back: the same answers.
  app_.reset();
  start(cfg, data_dir_);
  json::object summary = parse_object(admin_get("/admin/lists/1/entries").body);
  EXPECT_EQ(summary["entries"], entries) << json::serialize(summary);  // -1 +1
  EXPECT_EQ(summary["changes_since_upload"], 2);
  EXPECT_EQ(answer(post_lead(lead("646-555-1212")))["code"], 1015);
  EXPECT_EQ(answer(post_lead(lead("(410) 309-7989")))["status"], "ACCEPTED");
  EXPECT_EQ(answer(post_lead(lead("718-555-0188")))["code"], 1015);

  // A list a campaign uses cannot be deleted; once unused, deleting it drops its entries.
  EXPECT_EQ(call("DELETE", "/admin/lists/1", "").status / 100, 4);
  EXPECT_EQ(call("PATCH", "/admin/campaigns/100", R"({"checks": []})").status, 200);
  EXPECT_EQ(call("DELETE", "/admin/lists/1", "").status, 200);
  EXPECT_EQ(admin_get("/admin/lists/1/entries").status, 404);
  EXPECT_EQ(call("POST", "/admin/lists", R"({"id": 1, "name": "Again", "kind": "phone"})").status,
            201);
  EXPECT_EQ(parse_object(admin_get("/admin/lists/1/entries").body)["entries"], 0);
}

// A buyer's own check: failing it skips only that buyer ("Skipped: <provider>"); another buys.
TEST_F(Compliance, ABuyersCheckSkipsOnlyThatBuyer) {
  FakeBuyer b1, b2;
  b1.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  b2.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  json::object cfg =
      base_config({http_buyer(301, 2, b1.url("/post"), 1), http_buyer(302, 3, b2.url("/post"), 2)});
  cfg["lists"] = json::parse(R"([{"id": 7, "name": "Buyer One customers", "kind": "email"}])");
  campaign_cfg(cfg)["buyers"].as_array()[0].as_object()["checks"] = json::parse(
      R"([{"type": "suppression", "name": "existing", "lists": [7], "provider": "Existing customers"}])");
  start(cfg);
  ASSERT_EQ(call("PUT", "/admin/lists/7/entries", "email\nANN@Example.org\n", "test-admin-token",
                 "text/csv")
                .status,
            200);
  json::object a = answer(post_lead(lead_json()));
  EXPECT_EQ(a["status"], "ACCEPTED") << json::serialize(a);
  EXPECT_EQ(b1.count("/post"), 0u);
  EXPECT_EQ(b2.count("/post"), 1u);
  json::object t = timeline(a);
  bool skipped = false;
  for (const auto& bv : t["buyers"].as_array()) {
    const json::object& o = bv.as_object();
    if (o.at("id") == 301) {
      skipped = true;
      EXPECT_EQ(o.at("reason"), "Skipped: Existing customers");
      EXPECT_EQ(o.at("error_code"), 1015);
    }
  }
  EXPECT_TRUE(skipped);
  const json::object* c = check_of(t, "existing");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->at("buyer_id"), 301);
  EXPECT_EQ(c->at("status"), "fail");
  // Another email: both buyers may buy; the first does.
  json::object other = answer(post_lead(
      R"({"lp_campaign_id":100,"lp_supplier_id":200,"lp_key":"supplier-key-200","first_name":"Bo",)"
      R"("email":"bo@example.org","phone":"4103097989","state":"NY"})"));
  EXPECT_EQ(other["status"], "ACCEPTED");
  EXPECT_EQ(b1.count("/post"), 1u);
}

}  // namespace
}  // namespace pp::testkit
