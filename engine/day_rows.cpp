#include "engine/day_rows.h"

#include <spdlog/spdlog.h>

#include "core/rollup.h"
#include "core/text.h"

namespace pp::engine {

std::string day_rows_key(CampaignId campaign) { return "dayz/" + std::to_string(campaign); }

std::optional<DayRowsRecord> read_day_rows(storage::Store& store, CampaignId campaign) {
  std::optional<std::string> v = store.get_state(day_rows_key(campaign));
  if (!v) return std::nullopt;
  // "<since_ms> <zone>"
  const size_t sp = v->find(' ');
  if (sp == std::string::npos) return std::nullopt;
  std::optional<int64_t> since = parse_int(std::string_view(*v).substr(0, sp));
  if (!since) return std::nullopt;
  return DayRowsRecord{v->substr(sp + 1), *since};
}

storage::Status ensure_day_rows(storage::Store& store, const Config& next, const Config* previous,
                                UnixMs now_ms) {
  for (const CampaignConfig& c : next.campaigns) {
    const std::string& zone = c.tz.name();
    std::optional<DayRowsRecord> rec = read_day_rows(store, c.id);
    const CampaignConfig* old = previous ? previous->find_campaign(c.id) : nullptr;
    // A campaign that comes back (deleted, then created again with its id) may have had returns
    // while it was gone, which added to its quarter-hour rows only: its record starts again.
    const bool returning = previous != nullptr && old == nullptr;
    if (rec && rec->zone == zone && !returning && (old == nullptr || old->tz.name() == zone))
      continue;
    UnixMs since = now_ms + kDayRowsMarginMs;
    if (!rec) {
      // No record: complete from the start when the campaign has no statistics at all yet (every
      // lead counts an 'S' row), which is the case of every new campaign.
      auto [b, e] = rollup::campaign_range(rollup::Kind::kSupplier, c.id, 0,
                                           std::numeric_limits<UnixMs>::max() / 2);
      if (!store.any_rollup(b, e)) since = 0;
    }
    storage::Status st = store.put_state(day_rows_key(c.id), std::to_string(since) + " " + zone);
    if (!st.ok()) return st;
    spdlog::info("campaign {}: daily statistics rows in {} complete from {}", c.id, zone,
                 since == 0 ? std::string("its first lead") : format_utc(since));
  }
  return {};
}

TimeRange day_rows_span(storage::Store& store, const CampaignConfig& campaign, TimeRange range,
                        const TimeZone& tz) {
  if (tz.name() != campaign.tz.name() || range.empty()) return {};
  std::optional<DayRowsRecord> rec = read_day_rows(store, campaign.id);
  if (!rec || rec->zone != tz.name()) return {};
  const UnixMs start = std::max(range.from_ms, rec->since_ms);
  TimeRange s;
  s.from_ms = period_start(tz, CalendarPeriod::kDay, start);
  if (s.from_ms < start) s.from_ms = period_end(tz, CalendarPeriod::kDay, start);
  s.to_ms = period_start(tz, CalendarPeriod::kDay, range.to_ms);
  return s;
}

UnixMs local_day_start(const TimeZone& tz, UnixMs t) {
  thread_local const date::time_zone* zone = nullptr;
  thread_local UnixMs lo = 1, hi = 0;
  if (tz.get() != zone || t < lo || t >= hi) {
    lo = period_start(tz, CalendarPeriod::kDay, t);
    hi = period_end(tz, CalendarPeriod::kDay, t);
    zone = tz.get();
  }
  return lo;
}

}  // namespace pp::engine
