#include "core/time.h"

#include <date/date.h>
#include <date/tz.h>

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
}  // namespace

std::string TimeZone::format_local(UnixMs t) const {
  if (tz_ == nullptr) return format_utc(t);
  auto zt = date::make_zoned(tz_, std::chrono::floor<std::chrono::seconds>(to_tp(t)));
  return date::format("%Y-%m-%d %H:%M:%S", zt.get_local_time());
}

int64_t TimeZone::offset_seconds(UnixMs t) const {
  if (tz_ == nullptr) return 0;
  auto info = tz_->get_info(std::chrono::floor<std::chrono::seconds>(to_tp(t)));
  return info.offset.count();
}

std::string format_utc(UnixMs t) {
  return date::format("%Y-%m-%d %H:%M:%S", std::chrono::floor<std::chrono::seconds>(to_tp(t)));
}

std::string http_date(UnixMs t) {
  return date::format("%a, %d %b %Y %H:%M:%S GMT",
                      std::chrono::floor<std::chrono::seconds>(to_tp(t)));
}

}  // namespace pp
