#include "buyers/payload.h"

#include <gtest/gtest.h>

#include <map>

namespace pp::buyers {
namespace {

class Ctx : public TemplateContext {
 public:
  std::map<std::string, std::string, std::less<>> v{
      {"first_name", "Ann & Bo"}, {"state", "NY"}, {"id", "L1"}, {"evil", "x\r\nInjected: 1"}};
  std::optional<std::string> lookup(std::string_view n) const override {
    auto it = v.find(n);
    if (it == v.end()) return std::nullopt;
    return it->second;
  }
  UnixMs now_ms() const override { return 0; }
};

OutboundRequest build(HttpTemplateConfig cfg) {
  std::string err;
  auto r = CompiledRequest::compile(cfg, err);
  EXPECT_TRUE(r) << err;
  return r->render(Ctx(), "pingpost-test");
}

TEST(Payload, FormBodyIsUrlEncoded) {
  HttpTemplateConfig c;
  c.url = "https://buyer.example/post";
  c.format = BodyFormat::kForm;
  c.fields = {{"fname", "{{first_name}}"}, {"st", "{{state||lower}}"}};
  OutboundRequest r = build(c);
  EXPECT_EQ(r.body, "fname=Ann+%26+Bo&st=ny");
  EXPECT_EQ(r.method, "POST");
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"User-Agent", "pingpost-test"}));
  EXPECT_EQ(r.headers[1].second, "application/x-www-form-urlencoded");
}

TEST(Payload, JsonFromFieldsAndFromTemplate) {
  HttpTemplateConfig c;
  c.url = "http://b/{{id}}?s={{first_name}}";
  c.format = BodyFormat::kJson;
  c.fields = {{"name", "{{first_name}}"}, {"st", "{{state}}"}};
  OutboundRequest r = build(c);
  EXPECT_EQ(r.body, R"({"name":"Ann & Bo","st":"NY"})");
  EXPECT_EQ(r.url, "http://b/L1?s=Ann+%26+Bo");
  c.body = R"({"lead":{"n":"{{first_name}}","x":"{{evil}}"}})";
  r = build(c);
  EXPECT_EQ(r.body, R"({"lead":{"n":"Ann & Bo","x":"x\r\nInjected: 1"}})");
}

TEST(Payload, XmlBodyAndHeaders) {
  HttpTemplateConfig c;
  c.url = "http://b/x";
  c.format = BodyFormat::kXml;
  c.body = "<lead><name>{{first_name}}</name></lead>";
  c.headers = {{"X-Trace", "{{evil}}"}, {"Content-Type", "text/xml"}};
  c.timeout_ms = 1234;
  OutboundRequest r = build(c);
  EXPECT_EQ(r.body, "<lead><name>Ann &amp; Bo</name></lead>");
  // header values cannot be split by lead data; a configured Content-Type wins
  ASSERT_EQ(r.headers.size(), 3u);
  EXPECT_EQ(r.headers[1], (std::pair<std::string, std::string>{"X-Trace", "xInjected: 1"}));
  EXPECT_EQ(r.headers[2].second, "text/xml");
  EXPECT_EQ(r.timeout.count(), 1234);
}

TEST(Payload, GetSendsFieldsInTheQuery) {
  HttpTemplateConfig c;
  c.method = "GET";
  c.url = "http://b/p?k=1";
  c.format = BodyFormat::kForm;
  c.fields = {{"st", "{{state}}"}};
  OutboundRequest r = build(c);
  EXPECT_EQ(r.url, "http://b/p?k=1&st=NY");
  EXPECT_TRUE(r.body.empty());
}

}  // namespace
}  // namespace pp::buyers
