#pragma once
// Bid ranking for the exchange (D2). Pure.
//
//   bid after margin  = raw - margin        (supplier override > buyer override > campaign default;
//                                            percent of the raw bid, or a fixed amount; never < 0)
//   rank value        = after margin - bid penalty (percent of the bid after margin)
// Bids whose raw value is below the supplier's minimum buyer bid are not offered. Order: rank
// value, then raw bid, highest first; then buyer priority, then configuration order
// (deterministic).
#include <string>
#include <vector>

#include "core/config.h"
#include "core/money.h"

namespace pp::routing {

struct Bid {
  size_t buyer_index = 0;  // into campaign.buyers
  Money raw;
};

struct RankedBid {
  size_t buyer_index = 0;
  Money raw;
  Money after_margin;  // what the supplier is offered / paid for this bid
  Money rank_value;    // after margin and penalty: what the auction sorts on
  bool offered = true;
  std::string reason;  // why the bid stands where it does (debug log)
};

const Margin& effective_margin(const CampaignConfig& c, const BuyerConfig& b,
                               const SupplierConfig& s);
Money apply_margin(Money raw, const Margin& m);

// Ranks bids; bids that are not offered (below the minimum) come last, with offered=false.
std::vector<RankedBid> rank_bids(const CampaignConfig& c, const SupplierConfig& s,
                                 const std::vector<Bid>& bids);

}  // namespace pp::routing
