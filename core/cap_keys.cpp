#include "core/cap_keys.h"

namespace pp {

bool cap_counter_key(CapOwner owner, int64_t id, bool budget, const CapRule& rule,
                     const TimeZone& tz, UnixMs t, std::string& key) {
  UnixMs start = 0;
  switch (rule.period) {
    case CapPeriod::kHour:
      start = period_start(tz, CalendarPeriod::kHour, t);
      break;
    case CapPeriod::kDay:
      start = period_start(tz, CalendarPeriod::kDay, t);
      break;
    case CapPeriod::kWeek:
      start = period_start(tz, CalendarPeriod::kWeek, t);
      break;
    case CapPeriod::kMonth:
      start = period_start(tz, CalendarPeriod::kMonth, t);
      break;
    case CapPeriod::kTotal:
      start = 0;
      break;
    case CapPeriod::kWeekday:
      if (local_weekday(tz, t) != rule.weekday) return false;
      start = period_start(tz, CalendarPeriod::kDay, t);
      break;
  }
  key.clear();
  key.push_back(static_cast<char>(owner));
  key += '/';
  key += std::to_string(id);
  key += budget ? "/b/" : "/l/";
  key += rule.type;
  key += '/';
  key += std::to_string(start);
  return true;
}

int64_t cap_counter_retention_ms(std::string_view type) {
  constexpr int64_t kDay = 86400000;
  if (type == "total") return -1;
  if (type == "hour") return 3 * kDay;
  if (type == "week") return 60 * kDay;
  if (type == "month") return 400 * kDay;
  return 45 * kDay;  // day and weekdays
}

}  // namespace pp
