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
  // One value of a lead's check, read from its admin view (null when the check is absent).
  json::value check_value(const json::object& answer, std::string_view check,
                          std::string_view key) {
    json::object view = admin_lead(answer);
    const json::object* c = check_of(view, check);
    return c && c->contains(key) ? c->at(key) : json::value(nullptr);
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

namespace pp::testkit {
namespace {

// TrustedForm v4 against a fake vendor on loopback: the documented request (POST /<cert id>,
// api-version 4.0, Basic API:<key>, match_lead and retain), its answers read by policy; errors
// fail open or closed as the campaign says; timeouts are errors; results are reused within the
// cache window; the API key never reaches the debug log.
TEST_F(Compliance, TrustedFormClaimsByPolicyWithErrorsTimeoutsAndCache) {
  FakeBuyer b, tf;
  b.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  std::atomic<int> mode{0};  // 0 success+match, 1 failure, 2 HTTP 500, 3 slow
  tf.on("/" + kCert, [&](const Received&) {
    switch (mode.load()) {
      case 0:
        return FakeReply::json(
            R"({"outcome":"success","match_lead":{"result":{"email_match":true,)"
            R"("phone_match":false}},"retain":{"result":{"expires_at":"2027-02-24T12:00:00Z"}}})");
      case 1:
        return FakeReply::json(R"({"outcome":"failure","reason":"certificate expired"})");
      case 2:
        return FakeReply{500, "oops"};
      default: {
        FakeReply r = FakeReply::json(R"({"outcome":"success"})");
        r.delay = std::chrono::milliseconds(1500);
        return r;
      }
    }
  });
  json::object check = json::parse(R"({"type": "trustedform", "name": "tf", "api_key": "tf-secret",
      "policy": "require_match", "timeout_ms": 300, "on_error": "fail_closed"})")
                           .as_object();
  check["base_url"] = tf.url("");
  json::object cfg = config_with(json::array{check}, b);
  campaign_cfg(cfg)["validation_error_details"] = json::parse(R"({"provider": true})");
  start(cfg);
  const std::string cert =
      R"("trustedform_cert_url":"https://cert.trustedform.com/)" + kCert + "\"";

  json::object ok = answer(post_lead(lead("(410) 309-7989", "ann@example.org", cert)));
  EXPECT_EQ(ok["status"], "ACCEPTED") << json::serialize(ok);
  ASSERT_EQ(tf.count("/" + kCert), 1u);
  const Received req = tf.received().back();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.header("api-version"), "4.0");
  EXPECT_EQ(req.header("Authorization"), "Basic QVBJOnRmLXNlY3JldA==");  // API:tf-secret
  json::object sent = parse_object(req.body);
  EXPECT_EQ(sent["match_lead"].as_object()["email"], "ann@example.org");
  EXPECT_EQ(sent["match_lead"].as_object()["phone"], "4103097989");
  EXPECT_EQ(sent["retain"].as_object()["reference"], ok["lead_id"]);
  EXPECT_EQ(sent["retain"].as_object()["vendor"], "Supplier Co");
  json::object v = admin_lead(ok);
  EXPECT_EQ(field(v, "tf_outcome"), "success");
  EXPECT_EQ(field(v, "tf_email_match"), "true");
  EXPECT_EQ(field(v, "tf_expires_at"), "2027-02-24T12:00:00Z");
  const json::object* c = check_of(v, "tf");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->at("status"), "pass");
  const json::object& x = c->at("exchange").as_object();
  EXPECT_EQ(x.at("http_status"), 200);
  EXPECT_NE(json::serialize(v).find("outcome"), std::string::npos);
  EXPECT_EQ(json::serialize(v).find("tf-secret"), std::string::npos);
  EXPECT_EQ(json::serialize(v).find("QVBJOnRmLXNlY3JldA"), std::string::npos);

  // A failed claim: rejected with the vendor's reason.
  mode = 1;
  json::object failed = answer(post_lead(lead("(410) 309-7989", "bo@example.org", cert)));
  EXPECT_EQ(failed["code"], 1015);
  EXPECT_EQ(failed["error_meta"].as_object()["provider_name"], "TrustedForm");
  EXPECT_FALSE(failed["error_meta"].as_object().contains("description"));
  EXPECT_EQ(admin_lead(failed)["validation_error_description"], "certificate expired");

  // The vendor down: fail_closed rejects...
  mode = 2;
  json::object down = answer(post_lead(lead("(410) 309-7989", "cy@example.org", cert)));
  EXPECT_EQ(down["code"], 1015);
  EXPECT_EQ(admin_lead(down)["validation_error_description"], "TrustedForm unavailable (HTTP 500)");
  // ... and so does a vendor slower than the check's timeout (an error too).
  mode = 3;
  json::object slow = answer(post_lead(lead("(410) 309-7989", "di@example.org", cert)));
  EXPECT_EQ(slow["code"], 1015);
  EXPECT_EQ(admin_lead(slow)["validation_error_description"], "TrustedForm timeout");

  // A certificate URL that is not one fails without a call.
  const size_t calls = tf.count("/" + kCert);
  json::object bad = answer(post_lead(lead("(410) 309-7989", "ed@example.org",
                                           R"("trustedform_cert_url":"https://example.com/x")")));
  EXPECT_EQ(bad["code"], 1015);
  EXPECT_EQ(tf.count("/" + kCert), calls);

  // fail_open: the same outage lets leads through, the error recorded.
  json::object open_check = check;
  open_check["on_error"] = "fail_open";
  open_check["cache_s"] = 3600;
  EXPECT_EQ(call("PATCH", "/admin/campaigns/100",
                 json::serialize(json::object{{"checks", json::array{open_check}}}))
                .status,
            200);
  mode = 2;
  json::object through = answer(post_lead(lead("(410) 309-7989", "fa@example.org", cert)));
  EXPECT_EQ(through["status"], "ACCEPTED") << json::serialize(through);
  json::object through_view = admin_lead(through);
  const json::object* e = check_of(through_view, "tf");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->at("status"), "error");
  EXPECT_EQ(e->at("error_passed"), true);

  // The cache: a success is kept for cache_s; the same certificate and contact are not claimed
  // (nor paid for) again, another contact is.
  mode = 0;
  const size_t before = tf.count("/" + kCert);
  json::object first = answer(post_lead(lead("(410) 309-7989", "gi@example.org", cert)));
  json::object second = answer(post_lead(lead("(410) 309-7989", "gi@example.org", cert)));
  EXPECT_EQ(tf.count("/" + kCert), before + 1);
  EXPECT_EQ(check_value(first, "tf", "cached"), false);
  EXPECT_EQ(check_value(second, "tf", "cached"), true);
  EXPECT_EQ(check_value(second, "tf", "status"), "pass");
  answer(post_lead(lead("(410) 309-7989", "ho@example.org", cert)));
  EXPECT_EQ(tf.count("/" + kCert), before + 2);
}

// Jornaya: GET /Authenticate?lac=&id=, authentic 1 passes, 0 fails; a token that is not one fails
// without a call; "at least one of" the consent fields is required before any check.
TEST_F(Compliance, JornayaAndAtLeastOneConsentField) {
  FakeBuyer b, jo;
  b.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  jo.on("/Authenticate", [](const Received& r) {
    return FakeReply::json(r.target.find("A1B2C3D4-0000-1111-2222-333344445555") !=
                                   std::string::npos
                               ? R"({"authenticate":{"authentic":1}})"
                               : R"({"authenticate":{"authentic":0}})");
  });
  json::object check =
      json::parse(R"({"type": "jornaya", "account": "ACME", "field": "jornaya_leadid"})")
          .as_object();
  check["base_url"] = jo.url("");
  json::object cfg = config_with(json::array{check}, b);
  campaign_cfg(cfg)["require_one_of"] =
      json::parse(R"([["trustedform_cert_url", "jornaya_leadid"]])");
  start(cfg);
  json::object none = answer(post_lead(lead()));
  EXPECT_EQ(none["code"], 1007);
  EXPECT_EQ(
      none["message"],
      "Lead not accepted due to filters: at least one of trustedform_cert_url, jornaya_leadid");
  EXPECT_EQ(jo.count("/Authenticate"), 0u);

  json::object ok = answer(post_lead(
      lead("(410) 309-7989", "ann@example.org", R"("jornaya_leadid":")" + kToken + "\"")));
  EXPECT_EQ(ok["status"], "ACCEPTED") << json::serialize(ok);
  ASSERT_EQ(jo.count("/Authenticate"), 1u);
  EXPECT_EQ(jo.received().back().method, "GET");
  EXPECT_EQ(jo.received().back().target, "/Authenticate?lac=ACME&id=" + kToken);
  EXPECT_EQ(field(admin_lead(ok), "jornaya_authentic"), "1");

  json::object fake =
      answer(post_lead(lead("(410) 309-7989", "ann@example.org",
                            R"("jornaya_leadid":"B1B2C3D4-0000-1111-2222-333344445555")")));
  EXPECT_EQ(fake["code"], 1015);
  EXPECT_EQ(admin_lead(fake)["validation_error_provider"], "Jornaya");
  EXPECT_EQ(admin_lead(fake)["validation_error_description"], "LeadiD token is not authentic");

  json::object junk = answer(
      post_lead(lead("(410) 309-7989", "ann@example.org", R"("jornaya_leadid":"not-a-token")")));
  EXPECT_EQ(junk["code"], 1015);
  EXPECT_EQ(jo.count("/Authenticate"), 2u);
  // A certificate alone satisfies "at least one of"; the Jornaya check then has no input: skipped.
  json::object cert_only = answer(
      post_lead(lead("(410) 309-7989", "ann@example.org",
                     R"("trustedform_cert_url":"https://cert.trustedform.com/)" + kCert + "\"")));
  EXPECT_EQ(cert_only["status"], "ACCEPTED") << json::serialize(cert_only);
  EXPECT_EQ(check_value(cert_only, "jornaya", "status"), "skipped");
}

// Any HTTP validator, defined like a buyer: its score is kept on the lead and a buyer filters on
// it; a rejection fails the lead with the validator's reason.
TEST_F(Compliance, AnyHttpValidatorWithValuesUsableByBuyers) {
  FakeBuyer b1, b2, val;
  b1.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  b2.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  val.on("/score", [](const Received& r) {
    if (r.body.find("\"4105550188\"") != std::string::npos)
      return FakeReply::json(R"({"result":"bad","why":"known fraud","score":5})");
    if (r.body.find("\"4103097989\"") != std::string::npos)
      return FakeReply::json(R"({"result":"ok","score":87})");
    return FakeReply::json(R"({"result":"ok","score":20})");
  });
  json::object check = json::parse(R"({"type": "http", "name": "fraud", "provider": "IPQS Phone",
      "request": {"method": "POST", "format": "json", "fields": {"phone": "{{phone}}"}},
      "response": {"format": "json", "accepted": {"path": "result", "equals": ["ok"]},
                   "rejected": {"path": "result", "equals": ["bad"]}, "reason": "why",
                   "keep": {"score": "score"}}})")
                           .as_object();
  check["request"].as_object()["url"] = val.url("/score");
  json::object picky = http_buyer(301, 2, b1.url("/post"), 1);
  picky["filters"] = json::parse(R"([{"field": "fraud_score", "op": "gt", "value": 50}])");
  json::object cfg = base_config({picky, http_buyer(302, 3, b2.url("/post"), 2)});
  campaign_cfg(cfg)["checks"] = json::array{check};
  start(cfg);

  json::object high = answer(post_lead(lead()));
  EXPECT_EQ(high["status"], "ACCEPTED") << json::serialize(high);
  EXPECT_EQ(field(admin_lead(high), "fraud_score"), "87");
  EXPECT_EQ(b1.count("/post"), 1u);  // the picky buyer: score over 50
  json::object low = answer(post_lead(lead("(410) 555-0200")));
  EXPECT_EQ(low["status"], "ACCEPTED") << json::serialize(low);
  EXPECT_EQ(b1.count("/post"), 1u);
  EXPECT_EQ(b2.count("/post"), 1u);  // filtered out of the first, sold to the second
  json::object fraud = answer(post_lead(lead("(410) 555-0188")));
  EXPECT_EQ(fraud["code"], 1015);
  EXPECT_EQ(admin_lead(fraud)["validation_error_provider"], "IPQS Phone");
  EXPECT_EQ(admin_lead(fraud)["validation_error_description"], "known fraud");
}

// Modes: async checks never delay the answer (the vendor holds its answer until the supplier has
// had its own) and are recorded after; a supplier's override turns a check off; a 0% sample
// never calls the vendor.
TEST_F(Compliance, AsyncChecksOverridesAndSampling) {
  FakeBuyer b, jo;
  b.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  jo.on("/Authenticate", [&](const Received&) {
    std::unique_lock lk(mu);
    cv.wait_for(lk, std::chrono::seconds(20), [&] { return release; });
    return FakeReply::json(R"({"authentic":0})");
  });
  json::object check = json::parse(R"({"type": "jornaya", "account": "ACME", "mode": "async",
                                       "timeout_ms": 30000})")
                           .as_object();
  check["base_url"] = jo.url("");
  json::object phone =
      json::parse(R"({"type": "phone", "name": "ph", "sample_percent": 0})").as_object();
  json::object cfg = config_with(json::array{check, phone}, b);
  cfg["campaigns"].as_array()[0].as_object()["suppliers"].as_array()[1].as_object()["checks"] =
      json::parse(R"([{"name": "jornaya", "mode": "off"}])");
  start(cfg);

  // The answer comes while the vendor still holds its own: the check does not block the lead.
  json::object a = answer(post_lead(
      lead("(410) 555-0123", "ann@example.org", R"("jornaya_leadid":")" + kToken + "\"")));
  EXPECT_EQ(a["status"], "ACCEPTED") << json::serialize(a);  // a fictional number: ph sampled out
  {
    std::lock_guard lk(mu);
    release = true;
  }
  cv.notify_all();
  // Recorded once the vendor answered (bounded wait for a background write, not for timing).
  const json::object* rec = nullptr;
  json::object view;
  for (int i = 0; i < 200 && rec == nullptr; ++i) {
    view = admin_lead(a);
    rec = check_of(view, "jornaya");
    if (rec == nullptr || rec->at("async") != true || rec->at("status") == "skipped") {
      rec = nullptr;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  ASSERT_TRUE(rec) << json::serialize(view);
  EXPECT_EQ(rec->at("status"), "fail");  // recorded, never rejecting: the lead stays sold
  EXPECT_EQ(view["status"], "ACCEPTED");
  const json::object* ph = check_of(view, "ph");
  ASSERT_TRUE(ph);
  EXPECT_EQ(ph->at("status"), "skipped");
  EXPECT_EQ(ph->at("reason"), "not in the 0% sample");

  // Supplier 201 has the check off: no call, recorded as skipped.
  const size_t calls = jo.count("/Authenticate");
  json::object off = answer(post_lead(
      lead("(410) 309-7989", "ann@example.org", R"("jornaya_leadid":")" + kToken + "\"", 201)));
  EXPECT_EQ(off["status"], "ACCEPTED") << json::serialize(off);
  EXPECT_EQ(check_value(off, "jornaya", "reason"), "off for this supplier");
  EXPECT_EQ(jo.count("/Authenticate"), calls);
}

}  // namespace
}  // namespace pp::testkit

namespace pp::testkit {
namespace {

// A supplier's own check (a list attached to one supplier): its leads only.
TEST_F(Compliance, ASuppliersOwnCheckAppliesToItsLeadsOnly) {
  FakeBuyer b;
  b.on("/post", FakeReply::json(R"({"status":"accepted"})"));
  json::object cfg = config_with(json::array{}, b);
  cfg["lists"] = json::parse(R"([{"id": 3, "name": "Not from this source", "kind": "phone"}])");
  cfg["campaigns"].as_array()[0].as_object()["suppliers"].as_array()[1].as_object()["checks"] =
      json::parse(R"([{"type": "suppression", "name": "source_block", "lists": [3]}])");
  start(cfg);
  ASSERT_EQ(call("PUT", "/admin/lists/3/entries/4103097989", "").status, 200);
  EXPECT_EQ(answer(post_lead(lead()))["status"], "ACCEPTED");  // supplier 200: no such check
  json::object blocked = answer(post_lead(lead("(410) 309-7989", "ann@example.org", "", 201)));
  EXPECT_EQ(blocked["code"], 1015) << json::serialize(blocked);
  EXPECT_EQ(admin_lead(blocked)["validation_error_description"],
            "phone is on list 'Not from this source'");
  // The same name as a campaign check is refused: one name, one check.
  json::object clash = cfg;
  campaign_cfg(clash)["checks"] = json::parse(R"([{"type": "phone", "name": "source_block"}])");
  HttpReply r = call("PUT", "/admin/config", json::serialize(clash));
  EXPECT_EQ(r.status / 100, 4) << r.body;
  EXPECT_NE(r.body.find("duplicate check 'source_block'"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace pp::testkit

namespace pp::testkit {
namespace {

// An upload whose announced length is over server.upload_limit_bytes is refused with 413 before a
// byte of its body is read (a chunked one is cut by the parser's limit as it arrives); nothing of
// it is stored.
TEST_F(Compliance, UploadsAreBoundedByTheUploadLimit) {
  FakeBuyer b;
  json::object cfg = config_with(json::array{}, b);
  cfg["server"].as_object()["upload_limit_bytes"] = 2048;
  cfg["lists"] = json::parse(R"([{"id": 1, "name": "DNC", "kind": "phone"}])");
  start(cfg);
  std::string csv = "phone\n";
  while (csv.size() < 3000) csv += "2125552671\n";
  HttpReply big = call("PUT", "/admin/lists/1/entries", csv, "test-admin-token", "text/csv");
  EXPECT_EQ(big.status, 413) << big.body << big.error;
  EXPECT_EQ(parse_object(admin_get("/admin/lists/1/entries").body)["entries"], 0);
  HttpReply small =
      call("PUT", "/admin/lists/1/entries", "phone\n2125552671\n", "test-admin-token", "text/csv");
  EXPECT_EQ(small.status, 200) << small.body;
}

}  // namespace
}  // namespace pp::testkit
