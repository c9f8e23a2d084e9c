#include "buyers/template.h"

#include <gtest/gtest.h>

#include <map>

namespace pp::buyers {
namespace {

class MapContext : public TemplateContext {
 public:
  std::map<std::string, std::string, std::less<>> values;
  UnixMs now = 1767225600000;  // 2026-01-01 00:00:00 UTC
  std::optional<std::string> lookup(std::string_view n) const override {
    auto it = values.find(n);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
  UnixMs now_ms() const override { return now; }
};

std::string render(std::string_view tpl, const MapContext& ctx, Escape e = Escape::kNone) {
  std::string err;
  auto t = Template::compile(tpl, err);
  EXPECT_TRUE(t.has_value()) << err;
  return t ? t->render(ctx, e) : "";
}

TEST(Template, SubstitutesFieldsAndKeepsLiterals) {
  MapContext c;
  c.values = {{"first_name", "Ann"}, {"state", "ny"}};
  EXPECT_EQ(render("Hi {{first_name}} from {{ state }}!", c), "Hi Ann from ny!");
  EXPECT_EQ(render("{{missing}}|", c), "|");
  EXPECT_EQ(render("no tags", c), "no tags");
}

TEST(Template, ChainsTransformers) {
  MapContext c;
  c.values = {{"g", "Female"},
              {"s", "ny"},
              {"p", "(410) 309-7989"},
              {"e", "Ann@Example.org"},
              {"d", "1980-04-02"},
              {"amt", "$100,000"},
              {"empty", ""}};
  EXPECT_EQ(render("{{g||replace:Male@@M||replace:Female@@F}}", c), "F");
  EXPECT_EQ(render("{{s||upper}}", c), "NY");
  EXPECT_EQ(render("{{p||digits}}", c), "4103097989");
  EXPECT_EQ(render("{{p||phone10||chars:0@@3}}", c), "410");
  EXPECT_EQ(render("{{e||lower||md5}}", c), "8b5a6a28fc840441be692d74a81ccd1a");
  EXPECT_EQ(render("{{e||lower||sha256}}", c).size(), 64u);
  EXPECT_EQ(render("{{d||date:m/d/Y}}", c), "04/02/1980");
  EXPECT_EQ(render("{{d||date:D, j M y}}", c), "Wed, 2 Apr 80");
  EXPECT_EQ(render("{{d||age}}", c), "45");
  EXPECT_EQ(render("{{amt||number}}", c), "100000");
  EXPECT_EQ(render("{{empty||default:unknown}}", c), "unknown");
  EXPECT_EQ(render("{{nothing||default:n/a||upper}}", c), "N/A");
  EXPECT_EQ(render("{{s||chars:-1}}", c), "y");
}

TEST(Template, EscapesForTheDestination) {
  MapContext c;
  c.values = {{"v", "a\"b<&>\r\nX: y"}};
  EXPECT_EQ(render("{\"v\":\"{{v}}\"}", c, Escape::kJson), R"({"v":"a\"b<&>\r\nX: y"})");
  EXPECT_EQ(render("<v>{{v}}</v>", c, Escape::kXml), "<v>a&quot;b&lt;&amp;&gt;\r\nX: y</v>");
  EXPECT_EQ(render("{{v}}", c, Escape::kHeader), "a\"b<&>X: y");
  EXPECT_EQ(render("/p?v={{v}}", c, Escape::kUrl), "/p?v=a%22b%3C%26%3E%0D%0AX%3A+y");
}

TEST(Template, CompileErrorsAreReported) {
  std::string err;
  EXPECT_FALSE(Template::compile("{{a", err));
  EXPECT_NE(err.find("unclosed"), std::string::npos);
  EXPECT_FALSE(Template::compile("{{a||nope}}", err));
  EXPECT_NE(err.find("unknown transformer 'nope'"), std::string::npos);
  EXPECT_FALSE(Template::compile("{{a||replace:x}}", err));
  EXPECT_FALSE(Template::compile("{{a||chars:x@@1}}", err));
  EXPECT_FALSE(Template::compile("{{ }}", err));
}

}  // namespace
}  // namespace pp::buyers
