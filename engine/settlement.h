#pragma once
// Statistics deltas (E4) of the events that settle money or count traffic. Pure functions: the
// engine writes their output atomically with the lead (or the return) it describes, so the
// rollups never disagree with the stored leads.
#include <vector>

#include "core/config.h"
#include "core/lead.h"
#include "core/money.h"
#include "core/rollup.h"

namespace pp::engine {

// How a buyer's part in a lead counts (shared by settlement and its brute-force tests).
struct BuyerTally {
  bool lead = false;      // counts in the buyer's leads_total
  bool ping = false;      // a ping was sent
  bool ping_bid = false;  // ... and answered with a usable bid
};
BuyerTally tally(const BuyerOutcome& o, const BuyerDebug* d);

// Every row a newly stored lead adds to. Test leads add nothing. Buyer pings count here unless
// the lead was posted against a supplier ping (they were counted when the ping ran).
//
// Each function also adds the day rows of its quarter-hour rows, cut in `day_zone` (the campaign's
// zone; null: none, for a lead of no campaign).
std::vector<rollup::Delta> lead_rollups(const Lead& lead, const DebugLog& debug,
                                        const TimeZone* day_zone);

// What returning `lead` (an accepted lead with exactly one buyer accepted) adds: returned counts
// and amounts for its supplier, buyer and sale, in the slot the lead was created in.
std::vector<rollup::Delta> return_rollups(const Lead& lead, const TimeZone* day_zone);

// A supplier's ping to an exchange or one-to-one campaign (`ping`: its campaign, supplier, time
// and fields), with the buyers it pinged.
std::vector<rollup::Delta> ping_rollups(const Lead& ping, bool accepted, Money best_offer,
                                        const std::vector<BuyerDebug>& buyers,
                                        const TimeZone* day_zone);
// A pre-ping duplicate check of a direct-post campaign.
std::vector<rollup::Delta> preping_rollups(const Lead& ping, bool accepted,
                                           const TimeZone* day_zone);

// The settlement stage: the lead's outcome from its buyers' outcomes. Sold: ACCEPTED with the
// revenue (the sales) and the cost (`exchange_payout` — the winning bids after margin — when the
// supplier's price is real-time, as in an exchange; else the supplier's pricing), both 0 for a
// test lead (A6). Unsold: DUPLICATED when every buyer tried said duplicate; 1035 when every
// buyer of an auction timed out; 1006 when the one buyer tried rejected; else 1005.
void settle_outcome(Lead& lead, bool real_time_payout, Money exchange_payout,
                    const Pricing& supplier_price, const EvalContext& ectx);

// Each sold buyer's share of the supplier cost, in proportion to its sell price (evenly when
// every price is 0); the shares add up to `cost` exactly. Indexed like lead.buyers (0 when not
// sold).
std::vector<Money> cost_shares(const Lead& lead);

}  // namespace pp::engine
