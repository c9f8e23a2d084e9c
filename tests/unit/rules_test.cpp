// Campaign rules (issue 3): operators, schedules, filters, calendar periods around DST, cap keys,
// distribution methods. Expected instants come from Python's zoneinfo, an independent tz library.
#include <gtest/gtest.h>

#include <map>

#include "core/cap_keys.h"
#include "core/condition.h"
#include "core/config.h"
#include "routing/distribution.h"
#include "routing/filters.h"

namespace pp {
namespace {

TimeZone zone(const char* name) {
  TimeZone z;
  EXPECT_TRUE(TimeZone::lookup(name, z)) << name;
  return z;
}

Condition rule(std::string field, CondOp op, std::vector<std::string> values) {
  std::string err;
  auto c = Condition::rule(std::move(field), op, std::move(values), err);
  EXPECT_TRUE(c) << err;
  return c ? *c : Condition::always();
}

bool match(const Condition& c, FieldList f, UnixMs now = 0) {
  return c.matches(EvalContext{f, now});
}

// ---- operators ------------------------------------------------------------------------------

TEST(Operators, TextOperatorsAreCaseInsensitive) {
  EXPECT_TRUE(match(rule("s", CondOp::kOneOf, {"ny", "ca"}), {{"s", "NY"}}));
  EXPECT_FALSE(match(rule("s", CondOp::kOneOf, {"ny"}), {{"s", "NYC"}}));
  EXPECT_TRUE(match(rule("s", CondOp::kNotOneOf, {"ny"}), {{"s", "CA"}}));
  EXPECT_TRUE(match(rule("e", CondOp::kContains, {"@GMAIL."}), {{"e", "a@gmail.com"}}));
  EXPECT_TRUE(match(rule("e", CondOp::kNotContains, {"yahoo"}), {{"e", "a@gmail.com"}}));
  EXPECT_TRUE(match(rule("zip", CondOp::kStartsWith, {"100", "112"}), {{"zip", "11201"}}));
  EXPECT_FALSE(match(rule("zip", CondOp::kStartsWith, {"100"}), {{"zip", "01000"}}));
}

TEST(Operators, RegexUsesRe2) {
  Condition re = rule("phone", CondOp::kRegex, {"^(212|646)"});
  EXPECT_TRUE(match(re, {{"phone", "2125550101"}}));
  EXPECT_FALSE(match(re, {{"phone", "4105550101"}}));
  EXPECT_TRUE(match(rule("name", CondOp::kRegex, {"^test"}), {{"name", "TEST lead"}}));
  std::string err;
  EXPECT_FALSE(Condition::rule("x", CondOp::kRegex, {"(a"}, err));
  EXPECT_NE(err.find("invalid regex"), std::string::npos);
  // Backreferences (exponential in backtracking engines) are refused by RE2.
  EXPECT_FALSE(Condition::rule("x", CondOp::kRegex, {"(a+)+\\1"}, err));
}

TEST(Operators, NumbersRangesAndEmptiness) {
  EXPECT_TRUE(match(rule("d", CondOp::kBetween, {"10000", "20000"}), {{"d", "$15,000"}}));
  EXPECT_TRUE(match(rule("d", CondOp::kBetween, {"10000", "20000"}), {{"d", "20000"}}));
  EXPECT_FALSE(match(rule("d", CondOp::kGreater, {"5"}), {{"d", "abc"}}));
  EXPECT_TRUE(match(rule("d", CondOp::kLess, {"5"}), {{"d", "4.99"}}));
  EXPECT_TRUE(match(rule("d", CondOp::kLessEq, {"5"}), {{"d", "5"}}));
  EXPECT_TRUE(match(rule("x", CondOp::kEmpty, {}), {{"x", "  "}}));
  EXPECT_TRUE(match(rule("x", CondOp::kNotEmpty, {}), {{"x", "a"}}));
  EXPECT_FALSE(match(rule("x", CondOp::kGreater, {"1"}), {}));
}

TEST(Operators, AgeBetweenFromDateOfBirthOrAge) {
  const UnixMs nov22_2026 = 1795366800000;
  Condition adult = rule("dob", CondOp::kAgeBetween, {"18", "64"});
  EXPECT_TRUE(match(adult, {{"dob", "2008-11-22"}}, nov22_2026));   // 18 today
  EXPECT_FALSE(match(adult, {{"dob", "2008-11-23"}}, nov22_2026));  // 18 tomorrow
  EXPECT_TRUE(match(adult, {{"dob", "1962-11-23"}}, nov22_2026));   // still 63
  EXPECT_FALSE(match(adult, {{"dob", "1961-01-01"}}, nov22_2026));
  EXPECT_TRUE(match(adult, {{"dob", "40"}}, nov22_2026));  // an age field
  EXPECT_FALSE(match(adult, {{"dob", "not a date"}}, nov22_2026));
}

TEST(Operators, GroupsNest) {
  Condition c = Condition::any(
      {Condition::all({rule("s", CondOp::kOneOf, {"NY"}), rule("d", CondOp::kGreater, {"100"})}),
       rule("vip", CondOp::kOneOf, {"yes"})});
  EXPECT_TRUE(match(c, {{"s", "ny"}, {"d", "101"}}));
  EXPECT_FALSE(match(c, {{"s", "ny"}, {"d", "100"}}));
  EXPECT_TRUE(match(c, {{"vip", "YES"}}));
}

// ---- schedules ------------------------------------------------------------------------------

TEST(Schedules, DaysAndHoursInTheZoneAcrossDst) {
  Schedule s;
  s.tz = zone("America/New_York");
  s.days = 0b0111110;             // Monday..Friday
  s.hours = {{9 * 60, 17 * 60}};  // 09:00-17:00 local
  Condition c = Condition::schedule(s);
  FieldList none;
  auto at = [&](UnixMs t) { return c.matches(EvalContext{none, t}); };
  EXPECT_FALSE(at(1795366800000));  // Sunday 2026-11-22 12:00
  EXPECT_FALSE(at(1795442340000));  // Monday 08:59 EST
  EXPECT_TRUE(at(1795442400000));   // Monday 09:00 EST
  EXPECT_TRUE(at(1795471140000));   // Monday 16:59
  EXPECT_FALSE(at(1795471200000));  // Monday 17:00 (end is exclusive)
  EXPECT_TRUE(at(1773061200000));   // Monday 2026-03-09 09:00 EDT, the day after spring-forward
  EXPECT_FALSE(at(1773061140000));  // 08:59 EDT
}

TEST(Schedules, OvernightWindowsBelongToTheDayTheyStart) {
  Schedule s;
  s.tz = zone("America/New_York");
  s.days = 1u << 5;               // Friday
  s.hours = {{22 * 60, 6 * 60}};  // 22:00-06:00
  Condition c = Condition::schedule(s);
  FieldList none;
  auto at = [&](UnixMs t) { return c.matches(EvalContext{none, t}); };
  EXPECT_TRUE(at(1795838400000));   // Friday 23:00
  EXPECT_TRUE(at(1795849200000));   // Saturday 02:00, still Friday's night
  EXPECT_FALSE(at(1795863600000));  // Saturday 06:00
  EXPECT_FALSE(at(1795935600000));  // Sunday 02:00 (Saturday night is not scheduled)
}

// ---- filters --------------------------------------------------------------------------------

TEST(Filters, AllowAndBlockWithNamedFailures) {
  std::vector<Filter> fs;
  fs.push_back({"state", false, rule("state", CondOp::kOneOf, {"NY", "CA"})});
  fs.push_back({"email", true, rule("email", CondOp::kContains, {"@test."})});
  FieldList ok{{"state", "ny"}, {"email", "a@b.co"}};
  EXPECT_TRUE(routing::passes_filters(fs, EvalContext{ok, 0}));
  FieldList bad{{"state", "TX"}, {"email", "a@test.com"}};
  std::vector<std::string_view> failed;
  EXPECT_FALSE(routing::passes_filters(fs, EvalContext{bad, 0}, &failed));
  EXPECT_EQ(failed, (std::vector<std::string_view>{"state", "email"}));
  EXPECT_TRUE(routing::passes_filters({}, EvalContext{bad, 0}));
}

// ---- calendar periods around DST ------------------------------------------------------------

TEST(Periods, DaysInNewYorkAroundDst) {
  TimeZone ny = zone("America/New_York");
  // 2026-03-08: 23 hours long (spring forward)
  EXPECT_EQ(period_start(ny, CalendarPeriod::kDay, 1772955000000), 1772946000000);  // 03:30 EDT
  EXPECT_EQ(period_start(ny, CalendarPeriod::kDay, 1773028799000), 1772946000000);  // 23:59:59
  EXPECT_EQ(period_end(ny, CalendarPeriod::kDay, 1772955000000), 1773028800000);
  // 2026-11-01: 25 hours long (fall back)
  EXPECT_EQ(period_start(ny, CalendarPeriod::kDay, 1793514600000), 1793505600000);  // 01:30 EST
  EXPECT_EQ(period_end(ny, CalendarPeriod::kDay, 1793514600000), 1793595600000);
}

TEST(Periods, DaysInLondonAroundDst) {
  TimeZone lon = zone("Europe/London");
  EXPECT_EQ(period_start(lon, CalendarPeriod::kDay, 1774742400000 + 5 * 3600000), 1774742400000);
  EXPECT_EQ(period_end(lon, CalendarPeriod::kDay, 1774742400000), 1774825200000);    // 23 h
  EXPECT_EQ(period_start(lon, CalendarPeriod::kDay, 1792971000000), 1792882800000);  // 23:30 GMT
  EXPECT_EQ(period_end(lon, CalendarPeriod::kDay, 1792882800000), 1792972800000);    // 25 h
}

TEST(Periods, TheRepeatedHourIsTwoPeriods) {
  TimeZone ny = zone("America/New_York");
  UnixMs edt = period_start(ny, CalendarPeriod::kHour, 1793511000000);  // 01:30 EDT
  UnixMs est = period_start(ny, CalendarPeriod::kHour, 1793514600000);  // 01:30 EST
  EXPECT_EQ(edt, 1793509200000);
  EXPECT_EQ(est, 1793512800000);
  EXPECT_EQ(period_end(ny, CalendarPeriod::kHour, 1793511000000), est);
}

TEST(Periods, HalfHourZonesWeeksAndMonths) {
  TimeZone kol = zone("Asia/Kolkata");
  EXPECT_EQ(period_start(kol, CalendarPeriod::kHour, 1795324500000),
            1795321800000);  // 10:45 -> 10:00 IST
  TimeZone ny = zone("America/New_York");
  EXPECT_EQ(period_start(ny, CalendarPeriod::kWeek, 1795366800000),
            1794805200000);  // Sunday -> Monday 16th
  EXPECT_EQ(period_start(ny, CalendarPeriod::kMonth, 1795366800000), 1793505600000);
  EXPECT_EQ(period_end(ny, CalendarPeriod::kMonth, 1795366800000), 1796101200000);
  EXPECT_EQ(local_weekday(ny, 1795366800000), 0);
  EXPECT_EQ(local_weekday(ny, 1795411800000), 1);  // Monday 00:30 EST is still Sunday in UTC
}

TEST(CapKeys, PeriodsAndWeekdays) {
  TimeZone ny = zone("America/New_York");
  std::string key;
  CapRule day{CapPeriod::kDay, -1, 10, "day"};
  ASSERT_TRUE(cap_counter_key(CapOwner::kBuyer, 55080, false, day, ny, 1795366800000, key));
  EXPECT_EQ(key, "b/55080/l/day/1795323600000");  // 2026-11-22 00:00 EST
  CapRule total{CapPeriod::kTotal, -1, 10, "total"};
  ASSERT_TRUE(cap_counter_key(CapOwner::kSupplier, 7, true, total, ny, 1795366800000, key));
  EXPECT_EQ(key, "s/7/b/total/0");
  CapRule monday{CapPeriod::kWeekday, 1, 200, "monday"};
  EXPECT_FALSE(
      cap_counter_key(CapOwner::kBuyer, 1, false, monday, ny, 1795366800000, key));  // Sunday
  EXPECT_TRUE(
      cap_counter_key(CapOwner::kBuyer, 1, false, monday, ny, 1795411800000, key));  // Monday
  EXPECT_EQ(cap_counter_retention_ms("total"), -1);
  EXPECT_GT(cap_counter_retention_ms("day"), 31LL * 86400000);
}

// ---- distribution -----------------------------------------------------------------------------

CampaignConfig campaign(
    std::vector<std::tuple<BuyerId, int, int>> buyers) {  // id, priority, weight
  CampaignConfig c;
  for (auto [id, prio, weight] : buyers) {
    BuyerConfig b;
    b.id = id;
    b.priority = prio;
    b.weight = weight;
    c.buyers.push_back(b);
  }
  return c;
}

routing::Candidates all_eligible(const CampaignConfig& c) {
  routing::Candidates cand;
  cand.eligible.assign(c.buyers.size(), true);
  cand.price.assign(c.buyers.size(), std::nullopt);
  return cand;
}

std::vector<BuyerId> ids(const CampaignConfig& c, const std::vector<size_t>& order) {
  std::vector<BuyerId> out;
  for (size_t i : order) out.push_back(c.buyers[i].id);
  return out;
}

TEST(Distribution, RoundRobinRotatesAndSkipsIneligible) {
  CampaignConfig c = campaign({{1, 1, 1}, {2, 2, 1}, {3, 3, 1}});
  auto cand = all_eligible(c);
  routing::RotationState st;
  auto members = routing::group_members(c, 0);
  std::vector<BuyerId> firsts;
  for (int i = 0; i < 6; ++i) {
    firsts.push_back(
        ids(c, routing::order_buyers(c, DistributionMethod::kRoundRobin, members, cand, st))[0]);
  }
  EXPECT_EQ(firsts, (std::vector<BuyerId>{1, 2, 3, 1, 2, 3}));
  cand.eligible[1] = false;  // buyer 2 filtered out for this lead
  EXPECT_EQ(ids(c, routing::order_buyers(c, DistributionMethod::kRoundRobin, members, cand, st)),
            (std::vector<BuyerId>{1, 3}));
  EXPECT_EQ(ids(c, routing::order_buyers(c, DistributionMethod::kRoundRobin, members, cand, st)),
            (std::vector<BuyerId>{3, 1}));  // buyer 2's turn passes to the next in rotation
}

TEST(Distribution, SmoothWeightedRoundRobinIsDeterministic) {
  CampaignConfig c = campaign({{1, 1, 5}, {2, 2, 1}, {3, 3, 1}});
  auto cand = all_eligible(c);
  routing::RotationState st;
  auto members = routing::group_members(c, 0);
  std::vector<BuyerId> firsts;
  for (int i = 0; i < 7; ++i) {
    firsts.push_back(ids(c, routing::order_buyers(c, DistributionMethod::kWeightedRoundRobin,
                                                  members, cand, st))[0]);
  }
  // nginx's smooth sequence for weights 5,1,1: a a b a c a a
  EXPECT_EQ(firsts, (std::vector<BuyerId>{1, 1, 2, 1, 3, 1, 1}));
  std::map<BuyerId, int> n;
  for (int i = 0; i < 700; ++i) {
    ++n[ids(c, routing::order_buyers(c, DistributionMethod::kWeightedRoundRobin, members, cand,
                                     st))[0]];
  }
  EXPECT_EQ(n[1], 500);
  EXPECT_EQ(n[2], 100);
  EXPECT_EQ(n[3], 100);
}

// Issue 13: the rotation follows buyer ids, so a configuration change while leads flow (buyers
// added, removed, reordered) neither hands the turn to the wrong buyer nor loses weights.
TEST(Distribution, RotationSurvivesAConfigurationChange) {
  CampaignConfig c = campaign({{1, 1, 1}, {2, 2, 1}, {3, 3, 1}});
  routing::RotationState st;
  auto rr = [&](const CampaignConfig& cc) {
    return ids(cc, routing::order_buyers(cc, DistributionMethod::kRoundRobin,
                                         routing::group_members(cc, 0), all_eligible(cc), st))[0];
  };
  EXPECT_EQ(rr(c), 1);  // buyer 2 is next
  // A new buyer first in priority, buyer 3 removed: buyer 2 still leads next, then the rotation
  // goes on in the new order.
  CampaignConfig changed = campaign({{9, 0, 1}, {1, 1, 1}, {2, 2, 1}});
  EXPECT_EQ(rr(changed), 2);
  EXPECT_EQ(rr(changed), 9);
  EXPECT_EQ(rr(changed), 1);
  // The buyer due next (2, after 1) is removed: the turn passes on in rotation order, past the
  // end of the list to 9.
  CampaignConfig without_2 = campaign({{9, 0, 1}, {1, 1, 1}});
  EXPECT_EQ(rr(without_2), 9);
  EXPECT_EQ(rr(without_2), 1);
}

TEST(Distribution, WeightsFollowBuyerIdsAcrossReorders) {
  CampaignConfig c = campaign({{1, 1, 5}, {2, 2, 1}, {3, 3, 1}});
  routing::RotationState st;
  auto wrr = [&](const CampaignConfig& cc) {
    return ids(cc, routing::order_buyers(cc, DistributionMethod::kWeightedRoundRobin,
                                         routing::group_members(cc, 0), all_eligible(cc), st))[0];
  };
  std::vector<BuyerId> firsts;
  for (int i = 0; i < 3; ++i) firsts.push_back(wrr(c));
  // The same buyers, listed in reverse priority: the smooth sequence a a b a c a a goes on as if
  // nothing happened.
  CampaignConfig reordered = campaign({{3, 1, 1}, {2, 2, 1}, {1, 3, 5}});
  for (int i = 0; i < 4; ++i) firsts.push_back(wrr(reordered));
  EXPECT_EQ(firsts, (std::vector<BuyerId>{1, 1, 2, 1, 3, 1, 1}));
}

TEST(Distribution, HighestBidderKnownPricesFirstThenPriority) {
  CampaignConfig c = campaign({{1, 1, 1}, {2, 2, 1}, {3, 3, 1}, {4, 4, 1}});
  auto cand = all_eligible(c);
  cand.price = {Money::from_whole(10), std::nullopt, Money::from_whole(25), Money::from_whole(10)};
  routing::RotationState st;
  EXPECT_EQ(ids(c, routing::order_buyers(c, DistributionMethod::kHighestBidder,
                                         routing::group_members(c, 0), cand, st)),
            (std::vector<BuyerId>{3, 1, 4, 2}));
}

TEST(Distribution, PlanForGroupsAndSendToAll) {
  CampaignConfig c = campaign({{1, 1, 1}, {2, 2, 1}, {3, 3, 1}, {4, 4, 1}});
  c.buyers[0].group_id = 20;
  c.buyers[1].group_id = 10;
  c.buyers[2].group_id = 20;
  c.buyers[3].group_id = 10;
  c.distribution.method = DistributionMethod::kBuyerGroups;
  c.distribution.groups = {{10, "exclusive", 1, DistributionMethod::kHighestBidder, 0, true},
                           {20, "shared", 2, DistributionMethod::kSendToAll, 2, false}};
  auto cand = all_eligible(c);
  cand.price = {Money::from_whole(1), Money::from_whole(2), Money::from_whole(3),
                Money::from_whole(4)};
  std::map<int64_t, routing::RotationState> states;
  auto plan = routing::plan_distribution(
      c, cand, [&](int64_t g) -> routing::RotationState& { return states[g]; });
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].group_id, 10);
  EXPECT_EQ(ids(c, plan[0].buyers), (std::vector<BuyerId>{4, 2}));
  EXPECT_EQ(plan[0].max_sales, 1u);
  EXPECT_TRUE(plan[0].stop_if_sold);
  EXPECT_EQ(ids(c, plan[1].buyers), (std::vector<BuyerId>{1, 3}));
  EXPECT_EQ(plan[1].max_sales, 2u);
  EXPECT_FALSE(plan[1].stop_if_sold);

  CampaignConfig all = campaign({{1, 1, 1}, {2, 2, 1}});
  all.distribution.method = DistributionMethod::kSendToAll;
  all.distribution.sell_limit = 0;
  auto p2 = routing::plan_distribution(
      all, all_eligible(all), [&](int64_t g) -> routing::RotationState& { return states[g]; });
  EXPECT_EQ(p2[0].max_sales, 0u);  // no limit
}

}  // namespace
}  // namespace pp
