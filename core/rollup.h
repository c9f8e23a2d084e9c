#pragma once
// Pre-aggregated statistics (E4): the vocabulary shared by settlement (which writes deltas),
// storage (which adds them up) and reports (which read them). No I/O.
//
// A rollup row holds the sums of one entity over one quarter-hour slot of UTC time. Quarter hours,
// not hours, because every IANA zone's offset is a multiple of 15 minutes: local hours, days, weeks
// and months of any zone (India's +05:30 and Nepal's +05:45 included) are exact unions of slots.
//
// Rows (keys sort by campaign, then time, so a report reads one contiguous range per campaign):
//   'S' campaign slot supplier          supplier metrics (campaign figures are their sum)
//   'B' campaign slot buyer             buyer metrics
//   'X' campaign slot supplier buyer    sales of a supplier's leads to a buyer (accounting)
//   'U' campaign supplier slot subids   supplier metrics by lp_subid1..6 (supplier analytics)
// Test leads are never counted.
//
// Day rows (issue 16): the same rows summed over a whole local day of the campaign's time zone
// ('s', 'b', 'x': the kind in lower case, the slot being the day's start in UTC; none for 'U'),
// written beside the quarter-hour rows of every delta. A month of daily statistics reads ~100 times
// fewer rows. They stand in for quarter-hour rows only where the day is cut in the zone they were
// written in, from when that zone has been the campaign's (engine/day_rows.h).
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/ids.h"
#include "core/time.h"

namespace pp::rollup {

constexpr int64_t kSlotMs = 15 * 60 * 1000;
inline int64_t slot_of(UnixMs t) { return t - ((t % kSlotMs) + kSlotMs) % kSlotMs; }

enum class Kind : char {
  kSupplier = 'S',
  kBuyer = 'B',
  kCross = 'X',
  kSubids = 'U',
  kSupplierDay = 's',
  kBuyerDay = 'b',
  kCrossDay = 'x',
};
// The day kind of a quarter-hour kind (and the day kind itself).
constexpr Kind day_kind(Kind k) { return Kind(char(k) | 0x20); }
constexpr bool is_day_kind(Kind k) { return (char(k) & 0x20) != 0; }

// Supplier metrics ('S' and 'U' rows).
namespace sm {
enum : size_t {
  kLeads,             // leads posted (every status)
  kAccepted,          // ACCEPTED
  kDuplicated,        // DUPLICATED
  kFailed,            // ERROR
  kReturned,          // accepted leads returned since
  kCost,              // what we owe the supplier (gross)
  kRevenue,           // what buyers pay for the supplier's leads (gross)
  kReturnedCost,      // cost of the returned leads
  kReturnedRevenue,   // revenue of the returned leads
  kPrepings,          // pre-ping duplicate checks (direct-post campaigns)
  kPrepingsAccepted,  // ... answered "not a duplicate"
  kPrepingsFailed,    // ... answered duplicate (or invalid)
  kPings,             // supplier pings (exchange and one-to-one campaigns)
  kPingsAccepted,     // ... answered with at least one bid
  kPingsFailed,       // ... answered without a bid
  kPingBidSum,        // sum of the best offer of accepted pings
  kPingPosts,         // leads posted against a ping (lp_ping_id)
  kCount
};
}  // namespace sm

// Buyer metrics ('B' rows).
namespace bm {
enum : size_t {
  kLeads,            // leads offered to the buyer's post stage: accepted + duplicated + failed
  kAccepted,         // sold to the buyer
  kDuplicated,       // the buyer (or its duplicate check) said duplicate
  kFailed,           // the post failed or was rejected
  kReturned,         // sold and returned since
  kRevenue,          // sell price of the leads sold to it
  kReturnedRevenue,  // sell price of the returned ones
  kPings,            // pings sent to the buyer
  kPingsAccepted,    // ... answered with a usable bid
  kPingsFailed,      // ... rejected, failed or timed out
  kCount
};
}  // namespace bm

// Supplier-to-buyer sales ('X' rows): one per lead sold to a buyer.
namespace xm {
enum : size_t {
  kSold,             // leads of the supplier sold to the buyer
  kRevenue,          // their sell price
  kCost,             // the share of the supplier's cost borne by this sale
  kReturned,         // returned since
  kReturnedRevenue,  // sell price of the returned ones
  kReturnedCost,     // cost share of the returned ones
  kCount
};
}  // namespace xm

using Values = std::vector<int64_t>;

struct Key {
  Kind kind = Kind::kSupplier;
  CampaignId campaign = 0;
  int64_t slot_ms = 0;
  int64_t a = 0;       // supplier (S, X, U) or buyer (B)
  int64_t b = 0;       // buyer (X)
  std::string subids;  // U: lp_subid1..6, each at most kSubidBytes, joined by '\x1f'
};

constexpr size_t kSubids = 6;
constexpr size_t kSubidBytes = 75;  // the longest sub id intake accepts
constexpr char kSubidSep = '\x1f';

std::string encode(const Key& k);
bool decode(std::string_view bytes, Key& out);

// Key ranges [begin, end) for one campaign over slots in [from_ms, to_ms).
std::pair<std::string, std::string> campaign_range(Kind kind, CampaignId campaign, UnixMs from_ms,
                                                   UnixMs to_ms);
std::pair<std::string, std::string> subids_range(CampaignId campaign, SupplierId supplier,
                                                 UnixMs from_ms, UnixMs to_ms);

// The sub id part of a 'U' key from the values of lp_subid1..6 (missing ones empty).
std::string join_subids(const std::vector<std::string>& values);
std::vector<std::string> split_subids(std::string_view joined);

// One write: a key and the amounts to add to its metrics.
struct Delta {
  std::string key;
  Values add;
};

// Adds `v` to `into` metric by metric, growing `into` to `v`'s length (rows written by an older
// version may have fewer metrics).
void add_values(Values& into, const Values& v);

// Folds deltas with the same key together (one merge operand per row per lead).
void add_delta(std::vector<Delta>& out, const Key& k, size_t metric, int64_t amount,
               size_t metric_count);

// Appends to `deltas` the day row of each quarter-hour row in it but sub id rows: the same
// amounts, under the key with the day kind and `day_start_ms` (the start, UTC, of the local day
// that holds the slot).
void add_day_rows(std::vector<Delta>& deltas, UnixMs day_start_ms);

// One row of `out` that several metrics are added to (issue 16): its key is encoded and found
// once, on the first amount that is not zero, instead of once per metric as add_delta does. A row
// whose amounts are all zero adds nothing to `out`, as with add_delta.
class Row {
 public:
  Row(std::vector<Delta>& out, const Key& k, size_t metric_count)
      : out_(out), key_(k), metric_count_(metric_count) {}
  void add(size_t metric, int64_t amount);

 private:
  std::vector<Delta>& out_;
  const Key& key_;
  size_t metric_count_;
  size_t index_ = SIZE_MAX;  // in out_, once known
};

}  // namespace pp::rollup
