#pragma once
// Day rows of the statistics (issue 16; core/rollup.h): which days they are complete for.
//
// Every lead adds its amounts to quarter-hour rows and to the row of its local day in its
// campaign's time zone. A day row holds a whole day only if every lead of that day was counted in
// that zone. So each campaign has a record (state `dayz/<campaign>`): the zone its day rows are cut
// in and the instant from which they are complete. It is rewritten, before the configuration that
// needs it is stored, when a campaign appears without one or its zone changes: complete from the
// start for a campaign without statistics yet, otherwise from a minute after the change (leads
// running on the configuration before the change were all created by then). Reports use day rows
// only for whole days after that instant, cut in that zone; everything else (hours, other zones,
// days before) is read from the quarter-hour rows, which are always complete.
#include <optional>
#include <string>

#include "core/config.h"
#include "core/time.h"
#include "engine/reports.h"
#include "storage/store.h"

namespace pp::engine {

// How long after a zone change its day rows count as complete.
constexpr int64_t kDayRowsMarginMs = 60 * 1000;

struct DayRowsRecord {
  std::string zone;  // IANA name
  UnixMs since_ms = 0;
};

std::string day_rows_key(CampaignId campaign);
std::optional<DayRowsRecord> read_day_rows(storage::Store& store, CampaignId campaign);

// Writes the record of every campaign of `next` whose zone has no record yet or differs from its
// record or from the zone in `previous` (the configuration being replaced; null at start), and of
// every campaign `previous` did not have but the record names (created again after a delete).
// Synced; the first failure is returned and the caller must not run leads on `next`'s zones.
storage::Status ensure_day_rows(storage::Store& store, const Config& next, const Config* previous,
                                UnixMs now_ms);

// The whole local days of `range` whose day rows a report in zone `tz` may read for `campaign`
// (empty when none).
TimeRange day_rows_span(storage::Store& store, const CampaignConfig& campaign, TimeRange range,
                        const TimeZone& tz);

// The start (UTC) of the local day of `t` in `tz`: cached per thread for consecutive calls.
UnixMs local_day_start(const TimeZone& tz, UnixMs t);

}  // namespace pp::engine
