// Vendor translators (issue 17), table-driven like the buyer answers: every JSON file under
// tests/data/vendors/<vendor>/ is one answer and its expected reading (verdict, reason and every
// recorded value: a value left out means "not recorded"). Requests are checked against the
// vendors' documented shapes.
#include "checks/vendors.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace pp::checks {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path kDir = fs::path(PP_SOURCE_DIR) / "tests" / "data" / "vendors";

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(VendorFixture, ReadsAsExpected) {
  size_t cases = 0;
  std::map<std::string, size_t> per_vendor;
  for (const auto& e : fs::recursive_directory_iterator(kDir)) {
    if (!e.is_regular_file() || e.path().extension() != ".json") continue;
    SCOPED_TRACE(e.path().string());
    json::object c = json::parse(read_text(e.path())).as_object();
    ASSERT_FALSE(c.at("description").as_string().empty());
    const std::string vendor(c.at("vendor").as_string());
    const json::object& ans = c.at("answer").as_object();
    int status = int(ans.at("status").as_int64());
    std::string body = ans.contains("body_json") ? json::serialize(ans.at("body_json"))
                                                 : std::string(ans.at("body").as_string());
    VendorAnswer got;
    if (vendor == "trustedform") {
      TrustedFormPolicy policy;
      ASSERT_TRUE(parse_trustedform_policy(c.at("policy").as_string(), policy));
      got = trustedform_answer(status, body, policy);
    } else {
      ASSERT_EQ(vendor, "jornaya");
      got = jornaya_answer(status, body);
    }
    const json::object& exp = c.at("expect").as_object();
    EXPECT_EQ(to_string(got.verdict), exp.at("verdict").as_string());
    std::string reason = exp.contains("reason") ? std::string(exp.at("reason").as_string()) : "";
    EXPECT_EQ(got.reason, reason);
    std::map<std::string, std::string> want, have(got.values.begin(), got.values.end());
    if (exp.contains("values"))
      for (const auto& kv : exp.at("values").as_object())
        want[std::string(kv.key())] = std::string(kv.value().as_string());
    EXPECT_EQ(have, want);
    ++cases;
    ++per_vendor[vendor];
  }
  EXPECT_GE(per_vendor["trustedform"], 12u);
  EXPECT_GE(per_vendor["jornaya"], 8u);
  EXPECT_GE(cases, 20u);
}

TEST(TrustedForm, CertificateUrlsAndTokens) {
  const std::string id = "0123456789abcdef0123456789abcdef01234567";
  std::string reason;
  EXPECT_EQ(trustedform_cert_id("https://cert.trustedform.com/" + id, reason), id);
  EXPECT_EQ(trustedform_cert_id(" HTTPS://CERT.TRUSTEDFORM.COM/" + id + "?shared_token=x ", reason),
            id);
  EXPECT_EQ(trustedform_cert_id(id, reason), id);  // a bare token
  struct Bad {
    std::string value, why;
  };
  for (const Bad& b : std::vector<Bad>{
           {"http://cert.trustedform.com/" + id, "not https"},
           {"https://cert.trustedform.evil.com/" + id, "not a TrustedForm certificate URL"},
           {"https://example.com/" + id, "not a TrustedForm certificate URL"},
           {"https://cert.trustedform.com/" + id.substr(1), "40 hexadecimal"},
           {"https://cert.trustedform.com/" + id + "0", "40 hexadecimal"},
           {"https://cert.trustedform.com/" + std::string(40, 'z'), "40 hexadecimal"},
           {"", "not a TrustedForm certificate URL"}}) {
    SCOPED_TRACE(b.value);
    reason.clear();
    EXPECT_FALSE(trustedform_cert_id(b.value, reason));
    EXPECT_NE(reason.find(b.why), std::string::npos) << reason;
  }
}

TEST(TrustedForm, TheClaimIsTheDocumentedV4Request) {
  TrustedFormClaim c;
  c.cert_id = "0123456789abcdef0123456789abcdef01234567";
  c.api_key = "secret-key";
  c.email = "jane@example.com";
  c.phone = "2125550123";
  c.reference = "LEAD123";
  c.vendor = "Acme Leads";
  VendorRequest r = trustedform_request("https://cert.trustedform.com/", c);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://cert.trustedform.com/" + c.cert_id);
  std::map<std::string, std::string> h(r.headers.begin(), r.headers.end());
  EXPECT_EQ(h["api-version"], "4.0");
  EXPECT_EQ(h["Content-Type"], "application/json");
  EXPECT_EQ(h["Authorization"], "Basic QVBJOnNlY3JldC1rZXk=");  // base64("API:secret-key")
  json::value body = json::parse(r.body);
  EXPECT_EQ(body, json::parse(R"({"match_lead":{"email":"jane@example.com","phone":"2125550123"},
                                   "retain":{"reference":"LEAD123","vendor":"Acme Leads"}})"));
  c.email.clear();
  body = json::parse(trustedform_request("https://x.test", c).body);
  EXPECT_FALSE(body.at("match_lead").as_object().contains("email"));
}

TEST(Jornaya, TokensAndTheAuthenticateRequest) {
  EXPECT_TRUE(jornaya_token_valid("A1B2C3D4-0000-1111-2222-333344445555"));
  EXPECT_TRUE(jornaya_token_valid(" a1b2c3d4-0000-1111-2222-333344445555 "));
  EXPECT_FALSE(jornaya_token_valid("A1B2C3D4-0000-1111-2222-33334444555"));
  EXPECT_FALSE(jornaya_token_valid("A1B2C3D4x0000-1111-2222-333344445555"));
  EXPECT_FALSE(jornaya_token_valid("G1B2C3D4-0000-1111-2222-333344445555"));
  VendorRequest r =
      jornaya_request("https://api.leadid.com/", "ACCT 1", "A1B2C3D4-0000-1111-2222-333344445555");
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(
      r.url,
      "https://api.leadid.com/Authenticate?lac=ACCT+1&id=A1B2C3D4-0000-1111-2222-333344445555");
  EXPECT_TRUE(r.body.empty());
}

}  // namespace
}  // namespace pp::checks
