#include "routing/ranking.h"

#include <algorithm>

namespace pp::routing {

const Margin& effective_margin(const CampaignConfig& c, const BuyerConfig& b,
                               const SupplierConfig& s) {
  if (s.margin) return *s.margin;
  if (b.margin) return *b.margin;
  return c.exchange.margin;
}

Money apply_margin(Money raw, const Margin& m) {
  Money after = m.percent ? raw - raw.percent_bp(m.value) : raw - Money::from_units(m.value);
  return after < Money() ? Money() : after;
}

std::vector<RankedBid> rank_bids(const CampaignConfig& c, const SupplierConfig& s,
                                 const std::vector<Bid>& bids) {
  std::vector<RankedBid> out;
  out.reserve(bids.size());
  for (const Bid& bid : bids) {
    const BuyerConfig& b = c.buyers[bid.buyer_index];
    RankedBid r;
    r.buyer_index = bid.buyer_index;
    r.raw = bid.raw;
    const Margin& m = effective_margin(c, b, s);
    r.after_margin = apply_margin(bid.raw, m);
    r.rank_value = r.after_margin - r.after_margin.percent_bp(b.bid_penalty_bp);
    r.reason = "bid " + bid.raw.to_string() + ", after margin " + r.after_margin.to_string();
    if (b.bid_penalty_bp != 0) r.reason += ", after penalty " + r.rank_value.to_string();
    if (!s.min_buyer_bid.is_zero() && bid.raw < s.min_buyer_bid) {
      r.offered = false;
      r.reason += "; below the minimum buyer bid " + s.min_buyer_bid.to_string();
    }
    out.push_back(std::move(r));
  }
  std::stable_sort(out.begin(), out.end(), [&](const RankedBid& a, const RankedBid& b) {
    if (a.offered != b.offered) return a.offered;
    if (a.rank_value != b.rank_value) return a.rank_value > b.rank_value;
    if (a.raw != b.raw) return a.raw > b.raw;
    const int pa = c.buyers[a.buyer_index].priority, pb = c.buyers[b.buyer_index].priority;
    if (pa != pb) return pa < pb;
    return a.buyer_index < b.buyer_index;
  });
  return out;
}

}  // namespace pp::routing
