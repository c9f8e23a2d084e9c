#pragma once
// Clocks and time zones. Invariant 6: instants are stored as UTC milliseconds; calendar cuts
// (days, weeks, months) are made in an IANA zone through HowardHinnant date/tz (OS tz database).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace pp {

using UnixMs = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixMs now_ms() const = 0;
  // Monotonic time for measuring durations and deadlines.
  virtual std::chrono::steady_clock::time_point steady_now() const {
    return std::chrono::steady_clock::now();
  }
};

class SystemClock final : public Clock {
 public:
  UnixMs now_ms() const override;
  static const SystemClock& instance();
};

// A clock tests set by hand. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(UnixMs start) : now_(start) {}
  UnixMs now_ms() const override { return now_.load(); }
  void set(UnixMs t) { now_.store(t); }
  void advance_ms(int64_t d) { now_.fetch_add(d); }

 private:
  std::atomic<UnixMs> now_;
};

// An IANA time zone. Cheap to copy (points into the process-wide tz database).
class TimeZone {
 public:
  // nullptr-free: returns false when the name is unknown.
  static bool lookup(std::string_view name, TimeZone& out);
  static TimeZone utc();

  const std::string& name() const { return name_; }
  // "2020-01-15 16:34:56" in this zone.
  std::string format_local(UnixMs t) const;
  // Offset from UTC at instant t, in seconds.
  int64_t offset_seconds(UnixMs t) const;
  const date::time_zone* get() const { return tz_; }

 private:
  const date::time_zone* tz_ = nullptr;
  std::string name_;
};

enum class CalendarPeriod : uint8_t { kHour, kDay, kWeek, kMonth };

// The start (UTC ms) of the calendar period that contains t, cut in zone z. Weeks start on
// Monday. Hours are cut at local hour boundaries (half-hour zones included); the hour repeated
// when clocks go back is two distinct periods. A local midnight that does not exist (DST at
// midnight) starts the day at the transition.
UnixMs period_start(const TimeZone& z, CalendarPeriod p, UnixMs t);
// The start of the next period (UTC ms).
UnixMs period_end(const TimeZone& z, CalendarPeriod p, UnixMs t);
// The UTC instant of a local wall-clock time in zone z. A time repeated when clocks go back is
// its first occurrence; a time skipped when they go forward is the transition itself. False when
// the fields are out of range (month 13, February 30, hour 24, ...).
bool local_to_utc(const TimeZone& z, int year, unsigned month, unsigned day, unsigned hour,
                  unsigned minute, unsigned second, UnixMs& out);
// Parses "YYYY-MM-DD" (local midnight) or "YYYY-MM-DD HH:MM:SS" in zone z. `date_only` tells which.
bool parse_local_datetime(const TimeZone& z, std::string_view s, UnixMs& out, bool& date_only);
// A UTC time as the configuration and the API write it: "2027-01-31", "2027-01-31 00:00:00",
// "2027-01-31T00:00:00Z", or with milliseconds ("2027-01-31T00:00:00.250Z", what iso times the
// API shows carry). False when it is none of these.
bool parse_utc_time(std::string_view s, UnixMs& out);
// "2020-01-15" in zone z.
std::string format_local_date(const TimeZone& z, UnixMs t);
// Day of the week in zone z: 0 = Sunday ... 6 = Saturday.
int local_weekday(const TimeZone& z, UnixMs t);

// "2020-01-15 16:34:56" in UTC.
std::string format_utc(UnixMs t);
// "2020-01-15T16:34:56Z" (ISO 8601, seconds): the admin API's jobs and uploads, /v1 (seeds 003,
// 004).
std::string format_iso_utc(UnixMs t);
// RFC 1123 date for HTTP headers: "Mon, 25 May 2026 16:29:55 GMT".
std::string http_date(UnixMs t);

}  // namespace pp
