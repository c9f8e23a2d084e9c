#pragma once
// The read side of the public API (F1, F2, F4, F8): statistics and accounting from the rollups
// (never from the leads), lead search from the indexes. Synchronous: every call is a bounded
// RocksDB scan, run by the API on a worker, never on an I/O thread's hot path.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/lead.h"
#include "core/rollup.h"
#include "core/time.h"
#include "storage/store.h"

namespace pp::engine {

// [from_ms, to_ms) in UTC.
struct TimeRange {
  UnixMs from_ms = 0;
  UnixMs to_ms = 0;
  bool empty() const { return from_ms >= to_ms; }
};

// Campaigns chosen by id (empty: all) and by tag (empty: all; otherwise any of them). Unknown
// ids are listed in `unknown`.
std::vector<const CampaignConfig*> select_campaigns(const Config& cfg,
                                                    const std::vector<CampaignId>& ids,
                                                    const std::vector<std::string>& tags,
                                                    std::vector<CampaignId>& unknown);

// Sums of one supplier (rollup::sm metrics) or buyer (rollup::bm metrics), in total and by
// period (period start, UTC ms; only periods with traffic).
struct EntityFigures {
  int64_t id = 0;
  rollup::Values total;
  std::map<UnixMs, rollup::Values> periods;
};

struct CampaignFigures {
  const CampaignConfig* campaign = nullptr;
  EntityFigures totals;                  // supplier metrics over every supplier
  std::vector<EntityFigures> suppliers;  // configured ones in order, then any others seen
  std::vector<EntityFigures> buyers;
};

// GET /public/stats. `group` cuts periods in `tz` (hours, days, weeks from Monday, months).
std::vector<CampaignFigures> campaign_stats(storage::Store& store,
                                            const std::vector<const CampaignConfig*>& campaigns,
                                            TimeRange range, const TimeZone& tz,
                                            std::optional<CalendarPeriod> group);

// GET /public/stats/supplier: one row per local day and combination of the chosen sub ids
// (0-based indexes of lp_subid1..6), ordered by day then sub ids.
struct SubidFigures {
  UnixMs day_start_ms = 0;
  std::vector<std::string> subids;  // the chosen ones, in the order asked
  rollup::Values values;            // rollup::sm metrics
};
std::vector<SubidFigures> supplier_stats(storage::Store& store, CampaignId campaign,
                                         SupplierId supplier, TimeRange range, const TimeZone& tz,
                                         const std::vector<size_t>& subid_indexes);

// GET /public/accounting: sums by client and campaign, from both sides.
struct CampaignAccount {
  CampaignId campaign = 0;
  rollup::Values sums;   // sm (as supplier) or bm (as buyer)
  rollup::Values sales;  // xm: every sale involving this client in this campaign
  std::map<ClientId, rollup::Values> counterparts;  // xm by the other side's client
};
struct ClientAccount {
  ClientId client = 0;
  std::vector<CampaignAccount> as_supplier;  // campaigns where its suppliers had sold leads
  std::vector<CampaignAccount> as_buyer;     // campaigns where its buyers bought leads
};
// Clients in id order; only campaigns with an accepted (sold) lead or a return in the range;
// with `only` not empty, only those campaigns (an API token's scope).
// `tz`: the zone the range's days are cut in (day rows stand in for whole days of it).
std::vector<ClientAccount> accounting(storage::Store& store, const Config& cfg, TimeRange range,
                                      const TimeZone& tz, std::optional<ClientId> client,
                                      const std::vector<CampaignId>& only = {});

// GET /public/leads.
struct LeadSearch {
  CampaignId campaign = 0;
  TimeRange range;
  std::optional<LeadStatus> status;
  std::optional<bool> returned, test, repost;
  std::optional<SupplierId> supplier;
  std::optional<std::pair<std::string, std::string>> field;  // name, value (exact match)
  std::optional<storage::LeadCursor> after;
  size_t limit = 100;
  // Index entries examined at most per call; a page may then come back short, with a cursor.
  size_t scan_budget = 200000;
  // False for bulk readers (exports): their reads do not fill the block cache.
  bool fill_cache = true;
};
// A search by a field whose values are not indexed for the whole range (not searchable, or
// searchable only since after the range starts) reads the campaign's leads and compares, at
// most this many per call (each is a read of the lead); the cursor goes on from there.
constexpr size_t kFieldScanBudget = 20000;
struct LeadPage {
  std::vector<Lead> leads;
  std::optional<storage::LeadCursor> next;  // where the next page starts; none at the end
};
LeadPage search_leads(storage::Store& store, const CampaignConfig& campaign, const LeadSearch& q);

// Since when (UTC ms) every lead of the campaign has its `field` in the search index: 0 when it
// always had (or the campaign's leads predate the record), set by the configuration service when
// a change makes a field searchable that was not.
std::string field_indexed_since_key(CampaignId campaign, std::string_view field);
UnixMs field_indexed_since(storage::Store& store, CampaignId campaign, std::string_view field);

// search_after tokens: "<ms>.<lead id>" (a bare "<ms>" is accepted: leads older than it).
std::string encode_cursor(const storage::LeadCursor& c);
bool decode_cursor(std::string_view s, storage::LeadCursor& out);

}  // namespace pp::engine
