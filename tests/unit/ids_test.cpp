#include "core/ids.h"

#include <gtest/gtest.h>

#include <set>

#include "core/time.h"

namespace pp {
namespace {

TEST(Ids, LeadIdsAreTwentySortableCharacters) {
  IdGenerator g(42);
  std::string a = g.lead_id(1737149951570);
  std::string b = g.lead_id(1737149951571);
  std::string c = g.lead_id(1800000000000);
  EXPECT_EQ(a.size(), 20u);
  EXPECT_TRUE(is_lead_id(a));
  EXPECT_LT(a, b);  // byte order follows time
  EXPECT_LT(b, c);
  EXPECT_NE(a[0], '-');
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) seen.insert(g.lead_id(1737149951570));
  EXPECT_EQ(seen.size(), 10000u);
  EXPECT_FALSE(is_lead_id("short"));
  EXPECT_FALSE(is_lead_id("AbCdEfGhIjKlMnOpQr/t"));
}

TEST(Ids, UuidV4Shape) {
  IdGenerator g(1);
  std::string u = g.uuid_v4();
  ASSERT_EQ(u.size(), 36u);
  EXPECT_EQ(u[14], '4');
  EXPECT_TRUE(u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b');
}

TEST(Time, LocalFormattingFollowsDst) {
  TimeZone ny;
  ASSERT_TRUE(TimeZone::lookup("America/New_York", ny));
  EXPECT_EQ(ny.format_local(1737149951570), "2025-01-17 16:39:11");  // EST, UTC-5
  EXPECT_EQ(ny.format_local(1752768000000), "2025-07-17 12:00:00");  // EDT, UTC-4
  EXPECT_EQ(ny.offset_seconds(1737149951570), -5 * 3600);
  EXPECT_EQ(format_utc(1737149951570), "2025-01-17 21:39:11");
  EXPECT_EQ(http_date(1779726595000), "Mon, 25 May 2026 16:29:55 GMT");
  EXPECT_EQ(http_date(1779726595999), "Mon, 25 May 2026 16:29:55 GMT");  // the same second
  EXPECT_EQ(http_date(1779726596000), "Mon, 25 May 2026 16:29:56 GMT");
  EXPECT_EQ(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(http_date(951782400000), "Tue, 29 Feb 2000 00:00:00 GMT");  // a leap day
  EXPECT_EQ(http_date(4102444799000), "Thu, 31 Dec 2099 23:59:59 GMT");
  EXPECT_EQ(http_date(-1000), "Wed, 31 Dec 1969 23:59:59 GMT");
  TimeZone bad;
  EXPECT_FALSE(TimeZone::lookup("Mars/Base", bad));
}

}  // namespace
}  // namespace pp
