#include "core/json_writer.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <climits>
#include <random>

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

TEST(JsonWriter, AnyTextRoundTripsThroughAJsonParser) {
  // Random text of plain runs, quotes, backslashes, controls, DEL and multi-byte characters:
  // Boost.JSON reads back exactly the text (the runs are appended whole, the rest escaped).
  std::mt19937 rng(16);
  const std::vector<std::string> pieces = {"a",        "plain words ", "\"",   "\\",
                                           "\n",       "\x01",         "\x1f", "\x7f",
                                           "\xC3\xA9", "\xE2\x82\xAC", "/",    "~"};
  for (int i = 0; i < 2000; ++i) {
    std::string s;
    for (int k = int(rng() % 12); k > 0; --k) s += pieces[rng() % pieces.size()];
    std::string out;
    json_escape_append(out, s);
    EXPECT_EQ(boost::json::parse(out).as_string(), s) << out;
  }
}

TEST(JsonWriter, IntegersAndMoneyAtTheirLimits) {
  std::string out;
  JsonWriter w(out);
  w.begin_array().value(INT64_MIN).value(int64_t(0)).value(UINT64_MAX);
  w.value(Money::from_units(-1)).value(Money::from_units(INT64_MIN)).value(Money());
  w.value(Money::from_units(-250000)).end_array();
  EXPECT_EQ(out,
            "[-9223372036854775808,0,18446744073709551615,-0.0001,-922337203685477.5808,0,-25]");
  EXPECT_EQ(Money::from_units(-1).to_string(), "-0.0001");
}

TEST(JsonWriter, MoneyAsStringAndFixedTimings) {
  std::string out;
  JsonWriter w(out);
  w.begin_array().money_string(Money::from_units(95000)).fixed(6.4099, 2).fixed(2.0, 2).end_array();
  EXPECT_EQ(out, R"(["9.5",6.41,2])");
}

}  // namespace
}  // namespace pp
