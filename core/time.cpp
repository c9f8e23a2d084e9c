#include "core/time.h"

#include <date/date.h>
#include <date/tz.h>

#include <climits>
#include <cstdio>
#include <mutex>

namespace pp {

UnixMs SystemClock::now_ms() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

const SystemClock& SystemClock::instance() {
  static const SystemClock c;
  return c;
}

bool TimeZone::lookup(std::string_view name, TimeZone& out) {
  if (name.empty() || name.size() > 64) return false;
  // The first use initialises date-tz's database; do it once, here, before any concurrent use.
  static std::once_flag tzdb_once;
  std::call_once(tzdb_once, [] { (void)date::get_tzdb(); });
  try {
    const date::time_zone* z = date::locate_zone(std::string(name));
    out.tz_ = z;
    out.name_ = std::string(z->name());
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

TimeZone TimeZone::utc() {
  TimeZone z;
  lookup("UTC", z);
  return z;
}

namespace {
using ms_tp = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;
ms_tp to_tp(UnixMs t) { return ms_tp(std::chrono::milliseconds(t)); }
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// "YYYY-MM-DD HH:MM:SS" (or the date alone) of a count of seconds on a civil clock, UTC or local.
// By hand: date::format goes through an ostringstream (locale facets, dynamic casts), and reports
// label thousands of periods.
std::string civil_text(int64_t seconds, bool with_time) {
  const int64_t day = floor_div(seconds, 86400);
  const int64_t in_day = seconds - day * 86400;
  const date::year_month_day ymd{date::sys_days{date::days{day}}};
  const int year = int(ymd.year());
  if (year < 0 || year > 9999) {  // outside what four digits hold: the library's own text
    const auto tp = date::sys_seconds{std::chrono::seconds{seconds}};
    return with_time ? date::format("%Y-%m-%d %H:%M:%S", tp) : date::format("%Y-%m-%d", tp);
  }
  char buf[19];
  auto two = [&](size_t at, unsigned v) {
    buf[at] = char('0' + v / 10);
    buf[at + 1] = char('0' + v % 10);
  };
  two(0, unsigned(year / 100));
  two(2, unsigned(year % 100));
  buf[4] = '-';
  two(5, unsigned(ymd.month()));
  buf[7] = '-';
  two(8, unsigned(ymd.day()));
  if (!with_time) return std::string(buf, 10);
  buf[10] = ' ';
  two(11, unsigned(in_day / 3600));
  buf[13] = ':';
  two(14, unsigned(in_day / 60 % 60));
  buf[16] = ':';
  two(17, unsigned(in_day % 60));
  return std::string(buf, 19);
}
}  // namespace

std::string TimeZone::format_local(UnixMs t) const {
  return civil_text(floor_div(t, 1000) + offset_seconds(t), true);
}

int64_t TimeZone::offset_seconds(UnixMs t) const {
  if (tz_ == nullptr) return 0;
  auto info = tz_->get_info(std::chrono::floor<std::chrono::seconds>(to_tp(t)));
  return info.offset.count();
}

namespace {
UnixMs local_midnight_to_utc(const TimeZone& z, date::local_days d) {
  using namespace std::chrono;
  if (z.get() == nullptr) return duration_cast<milliseconds>(d.time_since_epoch()).count();
  auto info = z.get()->get_info(date::local_seconds(d));
  sys_seconds s;
  if (info.result == date::local_info::nonexistent) {
    s = info.first.end;  // the day starts at the transition
  } else {
    s = sys_seconds(date::local_seconds(d).time_since_epoch() - info.first.offset);
  }
  return duration_cast<milliseconds>(s.time_since_epoch()).count();
}

date::local_days local_day(const TimeZone& z, UnixMs t) {
  int64_t local_s = floor_div(t, 1000) + z.offset_seconds(t);
  return date::local_days(date::days(floor_div(local_s, 86400)));
}
}  // namespace

UnixMs period_start(const TimeZone& z, CalendarPeriod p, UnixMs t) {
  switch (p) {
    case CalendarPeriod::kHour: {
      int64_t off_ms = z.offset_seconds(t) * 1000;
      int64_t local = t + off_ms;
      return local - (local - floor_div(local, 3600000) * 3600000) - off_ms;
    }
    case CalendarPeriod::kDay:
      return local_midnight_to_utc(z, local_day(z, t));
    case CalendarPeriod::kWeek: {
      date::local_days d = local_day(z, t);
      unsigned wd = date::weekday(d).iso_encoding();  // Monday = 1
      return local_midnight_to_utc(z, d - date::days(wd - 1));
    }
    case CalendarPeriod::kMonth: {
      date::year_month_day ymd{local_day(z, t)};
      return local_midnight_to_utc(z, date::local_days(ymd.year() / ymd.month() / 1));
    }
  }
  return t;
}

UnixMs period_end(const TimeZone& z, CalendarPeriod p, UnixMs t) {
  switch (p) {
    case CalendarPeriod::kHour: {
      UnixMs s = period_start(z, p, t);
      // The next local hour starts an hour later unless an offset change falls inside.
      UnixMs guess = s + 3600000;
      return period_start(z, p, guess) == guess ? guess : period_start(z, p, guess + 3600000 - 1);
    }
    case CalendarPeriod::kDay:
      return local_midnight_to_utc(z, local_day(z, t) + date::days(1));
    case CalendarPeriod::kWeek: {
      date::local_days d = local_day(z, t);
      unsigned wd = date::weekday(d).iso_encoding();
      return local_midnight_to_utc(z, d - date::days(wd - 1) + date::days(7));
    }
    case CalendarPeriod::kMonth: {
      date::year_month_day ymd{local_day(z, t)};
      auto next = ymd.year() / ymd.month() / 1 + date::months(1);
      return local_midnight_to_utc(z, date::local_days(next));
    }
  }
  return t;
}

bool local_to_utc(const TimeZone& z, int year, unsigned month, unsigned day, unsigned hour,
                  unsigned minute, unsigned second, UnixMs& out) {
  using namespace std::chrono;
  date::year_month_day ymd{date::year(year), date::month(month), date::day(day)};
  if (!ymd.ok() || year < 1970 || year > 9999 || hour > 23 || minute > 59 || second > 59)
    return false;
  date::local_seconds ls = date::local_days(ymd) + hours(hour) + minutes(minute) + seconds(second);
  if (z.get() == nullptr) {
    out = duration_cast<milliseconds>(ls.time_since_epoch()).count();
    return true;
  }
  auto info = z.get()->get_info(ls);
  sys_seconds s;
  if (info.result == date::local_info::nonexistent) {
    s = info.first.end;
  } else {
    s = sys_seconds(ls.time_since_epoch() - info.first.offset);  // ambiguous: the first
  }
  out = duration_cast<milliseconds>(s.time_since_epoch()).count();
  return true;
}

bool parse_local_datetime(const TimeZone& z, std::string_view s, UnixMs& out, bool& date_only) {
  auto num = [&](size_t pos, size_t len, unsigned& v) {
    if (pos + len > s.size()) return false;
    v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + unsigned(s[i] - '0');
    }
    return true;
  };
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (s.size() != 10 && s.size() != 19) return false;
  if (!num(0, 4, y) || s[4] != '-' || !num(5, 2, mo) || s[7] != '-' || !num(8, 2, d)) return false;
  date_only = s.size() == 10;
  if (!date_only) {
    if ((s[10] != ' ' && s[10] != 'T') || !num(11, 2, h) || s[13] != ':' || !num(14, 2, mi) ||
        s[16] != ':' || !num(17, 2, se))
      return false;
  }
  return local_to_utc(z, int(y), mo, d, h, mi, se, out);
}

bool parse_utc_time(std::string_view s, UnixMs& out) {
  std::string v(s);
  if (!v.empty() && v.back() == 'Z') v.pop_back();
  if (v.size() > 10 && v[10] == 'T') v[10] = ' ';
  int64_t fraction_ms = 0;  // "...:00.250Z"
  if (auto dot = v.find('.'); dot != std::string::npos && dot > 10) {
    std::string digits = v.substr(dot + 1);
    v.resize(dot);
    digits.resize(3, '0');
    for (char c : digits) fraction_ms = fraction_ms * 10 + (c >= '0' && c <= '9' ? c - '0' : 0);
  }
  bool date_only = false;
  if (!parse_local_datetime(TimeZone::utc(), v, out, date_only)) return false;
  out += fraction_ms;
  return true;
}

std::string format_local_date(const TimeZone& z, UnixMs t) {
  return civil_text(floor_div(t, 1000) + z.offset_seconds(t), false);
}

int local_weekday(const TimeZone& z, UnixMs t) {
  return int(date::weekday(local_day(z, t)).c_encoding());
}

std::string format_utc(UnixMs t) { return civil_text(floor_div(t, 1000), true); }

std::string format_iso_utc(UnixMs t) {
  std::string s = format_utc(t);
  if (s.size() > 10 && s[10] == ' ') s[10] = 'T';
  return s + "Z";
}

std::string http_date(UnixMs t) {
  // Every answer carries one: formatted by hand (date::format goes through an ostringstream, about
  // 12k instructions) and kept per thread for the second it names.
  thread_local int64_t cached_second = INT64_MIN;
  thread_local std::string cached;
  const int64_t second = t >= 0 ? t / 1000 : -((-t + 999) / 1000);
  if (second == cached_second) return cached;
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const int64_t day = second >= 0 ? second / 86400 : -((-second + 86399) / 86400);
  const int64_t in_day = second - day * 86400;
  const date::sys_days d{date::days{day}};
  const date::year_month_day ymd{d};
  const date::weekday wd{d};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d GMT", kDays[wd.c_encoding()],
                unsigned(ymd.day()), kMonths[unsigned(ymd.month()) - 1], int(ymd.year()),
                int(in_day / 3600), int(in_day / 60 % 60), int(in_day % 60));
  cached_second = second;
  cached = buf;
  return cached;
}

}  // namespace pp
