#include "core/money.h"

#include <gtest/gtest.h>

namespace pp {
namespace {

TEST(Money, ParsesPlainAndDecoratedAmounts) {
  EXPECT_EQ(Money::parse("12")->units(), 120000);
  EXPECT_EQ(Money::parse("12.5")->units(), 125000);
  EXPECT_EQ(Money::parse("0.0001")->units(), 1);
  EXPECT_EQ(Money::parse("-3.25")->units(), -32500);
  EXPECT_EQ(Money::parse("$1,234.50")->units(), 12345000);
  EXPECT_EQ(Money::parse(" 7 ")->units(), 70000);
  EXPECT_EQ(Money::parse(".5")->units(), 5000);
}

TEST(Money, TruncatesBeyondFourDecimals) {
  EXPECT_EQ(Money::parse("21.676666")->units(), 216766);
  EXPECT_EQ(Money::parse("-0.00019")->units(), -1);
}

TEST(Money, RejectsNonNumbers) {
  for (const char* s : {"", "abc", "1.2.3", "12a", "$", "-", "1,23", ",123", "1,2345", "1e5",
                        "0x10", "99999999999999999999"}) {
    EXPECT_FALSE(Money::parse(s).has_value()) << s;
  }
}

TEST(Money, FormatsWithAtMostFourDecimals) {
  EXPECT_EQ(Money::from_units(133000).to_string(), "13.3");
  EXPECT_EQ(Money::from_units(190000).to_string(), "19");
  EXPECT_EQ(Money::from_units(216766).to_string(), "21.6766");
  EXPECT_EQ(Money::from_units(1).to_string(), "0.0001");
  EXPECT_EQ(Money::from_units(-12345).to_string(), "-1.2345");
  EXPECT_EQ(Money().to_string(), "0");
  EXPECT_EQ(Money::from_units(INT64_MIN).to_string(), "-922337203685477.5808");
}

TEST(Money, PercentRoundsHalfAwayFromZero) {
  EXPECT_EQ(Money::from_whole(20).percent_bp(6000).units(), 120000);  // 60% of 20 = 12
  EXPECT_EQ(Money::from_units(5).percent_bp(5000).units(), 3);        // 2.5 -> 3
  EXPECT_EQ(Money::from_units(-5).percent_bp(5000).units(), -3);
  EXPECT_EQ(Money::from_units(4).percent_bp(5000).units(), 2);
}

TEST(Money, ArithmeticAndOrder) {
  Money a = Money::from_whole(5), b = Money::parse("2.25").value();
  EXPECT_EQ((a - b).to_string(), "2.75");
  EXPECT_EQ((a + b).to_string(), "7.25");
  EXPECT_LT(b, a);
}

}  // namespace
}  // namespace pp
