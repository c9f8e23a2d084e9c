#include "buyers/response.h"

#include <gtest/gtest.h>

namespace pp::buyers {
namespace {

CompiledMapping compile(ResponseMappingConfig cfg) {
  std::string err;
  auto m = CompiledMapping::compile(cfg, err);
  EXPECT_TRUE(m) << err;
  return *m;
}

HttpResult ok(std::string body, int status = 200) {
  HttpResult r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

ResponseMappingConfig json_mapping() {
  ResponseMappingConfig c;
  c.format = ResponseFormat::kJson;
  c.accepted = {"status", {"accepted", "success"}, "", ""};
  c.duplicate = {"status", {"duplicate"}, "", ""};
  c.price = {"data.price", ""};
  c.lead_id = {"data.ids[0]", ""};
  c.redirect_url = {"redirect", ""};
  c.reason = {"reason", ""};
  return c;
}

TEST(ResponseMapping, JsonAcceptedWithPriceIdAndRedirect) {
  auto m = compile(json_mapping());
  auto r = m.map(ok(
      R"({"status":"Success","data":{"price":"12.50","ids":["B-1"]},"redirect":"https://t.example/x"})"));
  EXPECT_EQ(r.verdict, Verdict::kAccepted);
  ASSERT_TRUE(r.price);
  EXPECT_EQ(r.price->units(), 125000);
  EXPECT_EQ(r.buyer_lead_id, "B-1");
  EXPECT_EQ(r.redirect_url, "https://t.example/x");
  // numeric prices work too
  EXPECT_EQ(m.map(ok(R"({"status":"accepted","data":{"price":7.25}})")).price->units(), 72500);
}

TEST(ResponseMapping, JsonDuplicateRejectedAndReasons) {
  auto m = compile(json_mapping());
  EXPECT_EQ(m.map(ok(R"({"status":"duplicate"})")).verdict, Verdict::kDuplicate);
  auto r = m.map(ok(R"({"status":"reject","reason":"daily cap reached"})"));
  EXPECT_EQ(r.verdict, Verdict::kRejected);
  EXPECT_EQ(r.reason, "daily cap reached");
  // a redirect that is not an absolute http(s) URL is not passed on
  EXPECT_TRUE(m.map(ok(R"({"status":"accepted","redirect":"javascript:x"})")).redirect_url.empty());
}

TEST(ResponseMapping, ErrorsForTransportStatusAndGarbage) {
  auto m = compile(json_mapping());
  HttpResult t;
  t.error = TransportError::kTimeout;
  EXPECT_EQ(m.map(t).verdict, Verdict::kError);
  EXPECT_EQ(m.map(t).reason, "timeout");
  EXPECT_EQ(m.map(ok(R"({"status":"accepted"})", 500)).reason, "HTTP 500");
  EXPECT_EQ(m.map(ok("<html>oops</html>")).reason, "invalid JSON answer");
  EXPECT_EQ(m.map(ok("")).verdict, Verdict::kError);
  EXPECT_EQ(m.map(ok(R"({"status":)")).verdict, Verdict::kError);
}

TEST(ResponseMapping, XmlPathsWithoutEntityExpansion) {
  ResponseMappingConfig c;
  c.format = ResponseFormat::kXml;
  c.accepted = {"response/status", {"ok"}, "", ""};
  c.price = {"response/price", ""};
  auto m = compile(c);
  auto r = m.map(
      ok("<?xml version=\"1.0\"?><response><status>OK</status><price>3.5</price></response>"));
  EXPECT_EQ(r.verdict, Verdict::kAccepted);
  EXPECT_EQ(r.price->units(), 35000);
  // External entities are never loaded or substituted.
  auto x =
      m.map(ok("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
               "<response><status>&e;</status></response>"));
  EXPECT_EQ(x.verdict, Verdict::kRejected);
  EXPECT_EQ(m.map(ok("not xml")).verdict, Verdict::kError);
}

TEST(ResponseMapping, TextContainsAndRegexExtraction) {
  ResponseMappingConfig c;
  c.format = ResponseFormat::kText;
  c.accepted = {"", {}, "ACCEPTED", ""};
  c.duplicate = {"", {}, "", "dup(licate)?"};
  c.price = {"", "price=([0-9.]+)"};
  c.lead_id = {"", "id=(\\w+)"};
  auto m = compile(c);
  auto r = m.map(ok("result=accepted price=4.75 id=abc123"));
  EXPECT_EQ(r.verdict, Verdict::kAccepted);
  EXPECT_EQ(r.price->units(), 47500);
  EXPECT_EQ(r.buyer_lead_id, "abc123");
  EXPECT_EQ(m.map(ok("result=DUP")).verdict, Verdict::kDuplicate);
  EXPECT_EQ(m.map(ok("result=no")).verdict, Verdict::kRejected);
}

TEST(ResponseMapping, EmptyAcceptedRuleMeansAny2xx) {
  ResponseMappingConfig c;
  auto m = compile(c);
  EXPECT_EQ(m.map(ok("anything")).verdict, Verdict::kAccepted);
  EXPECT_EQ(m.map(ok("anything", 204)).verdict, Verdict::kAccepted);
  EXPECT_EQ(m.map(ok("anything", 302)).verdict, Verdict::kError);
}

TEST(ResponseMapping, BadRegexIsAConfigurationError) {
  ResponseMappingConfig c;
  c.format = ResponseFormat::kText;
  c.accepted = {"", {}, "", "(unclosed"};
  std::string err;
  EXPECT_FALSE(CompiledMapping::compile(c, err));
  EXPECT_NE(err.find("invalid regex"), std::string::npos);
  c.accepted = {};
  c.price = {"", "no-group"};
  EXPECT_FALSE(CompiledMapping::compile(c, err));
}

TEST(ResponseMapping, JsonValueAtForPingResponses) {
  EXPECT_EQ(json_value_at(R"({"a":{"b":[1,{"c":"x"}]}})", "a.b[1].c").value(), "x");
  EXPECT_EQ(json_value_at(R"({"bid":9.5})", "bid").value(), "9.5");
  EXPECT_FALSE(json_value_at("nope", "a"));
  EXPECT_FALSE(json_value_at(R"({"a":1})", "b"));
}

}  // namespace
}  // namespace pp::buyers
