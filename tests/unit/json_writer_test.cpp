#include "core/json_writer.h"

#include <gtest/gtest.h>

namespace pp {
namespace {

TEST(JsonWriter, WritesNestedStructuresWithCommas) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().kv("a", 1).key("b").begin_array().value("x").value(true).null().end_array();
  w.key("c").begin_object().end_object().kv("m", Money::from_units(133000)).end_object();
  EXPECT_EQ(out, R"({"a":1,"b":["x",true,null],"c":{},"m":13.3})");
}

TEST(JsonWriter, EscapesControlCharactersAndQuotes) {
  std::string out;
  json_escape_append(out, "a\"b\\c\n\t\x01\x7f");
  EXPECT_EQ(out, R"("a\"b\\c\n\t\u0001\u007f")");
}

TEST(JsonWriter, KeepsValidUtf8AndReplacesInvalidBytes) {
  std::string out;
  json_escape_append(out, "caf\xC3\xA9 \xFF \xE2\x82");
  EXPECT_EQ(out, "\"caf\xC3\xA9 \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST(JsonWriter, MoneyAsStringAndFixedTimings) {
  std::string out;
  JsonWriter w(out);
  w.begin_array().money_string(Money::from_units(95000)).fixed(6.4099, 2).fixed(2.0, 2).end_array();
  EXPECT_EQ(out, R"(["9.5",6.41,2])");
}

}  // namespace
}  // namespace pp
