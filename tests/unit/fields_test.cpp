#include "core/fields.h"

#include <gtest/gtest.h>

namespace pp {
namespace {

FieldCheck check(FieldType t, std::string_view v, std::vector<std::string> allowed = {}) {
  FieldSpec s;
  s.name = "f";
  s.type = t;
  s.allowed_values = std::move(allowed);
  return validate_field(s, v);
}

TEST(Fields, PhoneNormalisesToTenDigits) {
  EXPECT_EQ(check(FieldType::kPhone, "(410) 309-7989").value, "4103097989");
  EXPECT_EQ(check(FieldType::kPhone, "+1 410.309.7989").value, "4103097989");
  EXPECT_FALSE(check(FieldType::kPhone, "410309798").ok);   // 9 digits
  EXPECT_FALSE(check(FieldType::kPhone, "1103097989").ok);  // area code starts with 1
  EXPECT_FALSE(check(FieldType::kPhone, "4101097989").ok);  // exchange starts with 1
  EXPECT_FALSE(check(FieldType::kPhone, "410-309-79xx").ok);
  EXPECT_FALSE(check(FieldType::kPhone, "24103097989").ok);  // 11 digits not starting with 1
}

TEST(Fields, Email) {
  EXPECT_EQ(check(FieldType::kEmail, " Ann.Lee@Example.ORG ").value, "Ann.Lee@example.org");
  for (auto bad :
       {"a@b", "@b.co", "a@.co", "a b@c.co", "a@@b.co", "a@b.c0m", "a..b@c.co", "a@-b.co"}) {
    EXPECT_FALSE(check(FieldType::kEmail, bad).ok) << bad;
  }
}

TEST(Fields, StateZipAndList) {
  EXPECT_EQ(check(FieldType::kState, "ny").value, "NY");
  EXPECT_FALSE(check(FieldType::kState, "XX").ok);
  EXPECT_FALSE(check(FieldType::kState, "New York").ok);
  EXPECT_EQ(check(FieldType::kZip, "01341").value, "01341");
  EXPECT_EQ(check(FieldType::kZip, "01341-1234").value, "01341");
  EXPECT_FALSE(check(FieldType::kZip, "1341").ok);
  EXPECT_FALSE(check(FieldType::kZip, "0134a").ok);
  EXPECT_EQ(check(FieldType::kList, "yes", {"Yes", "No"}).value, "Yes");
  EXPECT_FALSE(check(FieldType::kList, "maybe", {"Yes", "No"}).ok);
}

TEST(Fields, NumbersDatesAndAges) {
  EXPECT_EQ(check(FieldType::kNumeric, "$100,000").value, "100000");
  EXPECT_EQ(check(FieldType::kNumeric, "-12.34").value, "-12.34");
  EXPECT_FALSE(check(FieldType::kNumeric, "12 apples").ok);
  EXPECT_EQ(check(FieldType::kDate, "04/02/1980").value, "1980-04-02");
  EXPECT_EQ(check(FieldType::kDob, "1980-04-02").value, "1980-04-02");
  EXPECT_FALSE(check(FieldType::kDate, "1980-02-30").ok);
  EXPECT_FALSE(check(FieldType::kDate, "2/3/1980").ok);
  EXPECT_EQ(check(FieldType::kDateTime, "2026-01-15T16:34:56Z").value, "2026-01-15 16:34:56");
  EXPECT_EQ(check(FieldType::kDateTime, "2026-01-15 16:34").value, "2026-01-15 16:34:00");
  EXPECT_FALSE(check(FieldType::kDateTime, "2026-01-15 25:00").ok);
  EXPECT_EQ(check(FieldType::kAge, "42").value, "42");
  EXPECT_FALSE(check(FieldType::kAge, "200").ok);
}

TEST(Fields, IpUrlBooleanText) {
  EXPECT_TRUE(check(FieldType::kIp, "36e1:e77:b803:84d5:303:cf53:1cc8:31bb").ok);
  EXPECT_TRUE(check(FieldType::kIp, "192.168.0.1").ok);
  EXPECT_FALSE(check(FieldType::kIp, "300.1.1.1").ok);
  EXPECT_TRUE(check(FieldType::kUrl, "https://example.org/aliquid").ok);
  EXPECT_FALSE(check(FieldType::kUrl, "example.org").ok);
  EXPECT_FALSE(check(FieldType::kUrl, "javascript:alert(1)").ok);
  EXPECT_EQ(check(FieldType::kBoolean, "Yes").value, "true");
  EXPECT_EQ(check(FieldType::kBoolean, "0").value, "false");
  EXPECT_FALSE(check(FieldType::kBoolean, "perhaps").ok);
  EXPECT_EQ(check(FieldType::kText, "  padded  ").value, "padded");
  EXPECT_FALSE(check(FieldType::kText, std::string(300, 'a')).ok);
}

TEST(Fields, TypeNamesRoundTrip) {
  for (auto name : {"text", "numeric", "email", "phone", "date", "datetime", "age", "dob", "list",
                    "state", "zip", "ip", "url", "boolean"}) {
    FieldType t;
    ASSERT_TRUE(parse_field_type(name, t)) << name;
    EXPECT_EQ(to_string(t), name);
  }
  FieldType t;
  EXPECT_FALSE(parse_field_type("nope", t));
}

// Sample leads (buyer test tool, API specs) are made of example values: each is valid for its type.
TEST(Fields, EveryExampleValueIsValidForItsType) {
  for (int t = 0; t <= int(FieldType::kBoolean); ++t) {
    FieldSpec spec;
    spec.name = "x";
    spec.type = FieldType(t);
    if (spec.type == FieldType::kList) spec.allowed_values = {"Alpha", "Beta"};
    FieldCheck c = validate_field(spec, example_value(spec));
    EXPECT_TRUE(c.ok) << to_string(spec.type) << ": " << example_value(spec) << " " << c.error;
  }
}

}  // namespace
}  // namespace pp
