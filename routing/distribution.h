#pragma once
// Who may receive a lead, and in which order (B8). Pure: rotation state for round robin lives in
// the engine and is passed in explicitly, so every method is deterministic given its history.
#include <optional>
#include <string>
#include <vector>

#include "core/codes.h"
#include "core/config.h"
#include "core/lead.h"
#include "core/money.h"

namespace pp::routing {

struct Eligibility {
  bool eligible = true;
  BuyerStatus status = BuyerStatus::kSkipped;  // when not eligible
  int error_code = 0;
  std::string reason;
};

// Eligibility of one buyer for one lead from its delivery type and live pause state.
Eligibility check_buyer(const BuyerConfig& buyer, bool paused);

// Waterfall: buyers ordered by priority (lower first); equal priorities keep configuration order.
// Returns indexes into campaign.buyers.
std::vector<size_t> waterfall_order(const CampaignConfig& campaign);

// Rotation state of one round-robin list (a campaign, or one buyer group), keyed by buyer id so a
// configuration change (buyers added, removed or reordered) neither shifts nor loses the turn.
struct RotationState {
  BuyerId next_buyer = 0;  // round robin: the buyer that leads the next lead (0: none yet)
  uint64_t next = 0;       // round robin: where to start when next_buyer is no longer a member
  // Smooth weighted round robin: current weight per buyer (members only; a new buyer starts at 0).
  std::vector<std::pair<BuyerId, int64_t>> current;
};

// One step of the plan: try `buyers` in order, up to `max_sales` sales (0 = no limit).
struct PlannedGroup {
  int64_t group_id = 0;  // 0 outside buyer groups
  DistributionMethod method = DistributionMethod::kWaterfall;
  std::vector<size_t> buyers;
  uint32_t max_sales = 1;
  bool stop_if_sold = true;
};

// Inputs per configured buyer (same indexing as campaign.buyers).
struct Candidates {
  std::vector<bool> eligible;
  std::vector<std::optional<Money>> price;  // known price (static/conditional); nullopt unknown
};

// Members of a rotation list, in the list's fixed order (priority, then configuration order).
std::vector<size_t> group_members(const CampaignConfig& c, int64_t group_id);

// Orders `members` (indexes into campaign.buyers) for one lead by `method`, keeping only eligible
// buyers. Round robin methods read and advance `state` (one step per lead).
std::vector<size_t> order_buyers(const CampaignConfig& c, DistributionMethod method,
                                 const std::vector<size_t>& members, const Candidates& cand,
                                 RotationState& state);

// The whole plan for a lead. `state_for(group_id)` returns the rotation state of the campaign
// (group 0) or of a buyer group; the caller holds whatever lock guards it.
template <class StateFor>
std::vector<PlannedGroup> plan_distribution(const CampaignConfig& c, const Candidates& cand,
                                            StateFor&& state_for);

// Sales the campaign allows for one lead, across groups (0 = no limit).
inline uint32_t total_sales_limit(const CampaignConfig& c) {
  return c.distribution.total_buyers_limit;
}

// ---- implementation ----------------------------------------------------------------------------

template <class StateFor>
std::vector<PlannedGroup> plan_distribution(const CampaignConfig& c, const Candidates& cand,
                                            StateFor&& state_for) {
  std::vector<PlannedGroup> plan;
  const auto& d = c.distribution;
  if (d.method != DistributionMethod::kBuyerGroups) {
    PlannedGroup g;
    g.method = d.method;
    g.buyers = order_buyers(c, d.method, group_members(c, 0), cand, state_for(int64_t(0)));
    g.max_sales = d.method == DistributionMethod::kSendToAll ? d.sell_limit : 1;
    plan.push_back(std::move(g));
    return plan;
  }
  for (const auto& grp : d.groups) {
    PlannedGroup g;
    g.group_id = grp.id;
    g.method = grp.method;
    g.buyers = order_buyers(c, grp.method, group_members(c, grp.id), cand, state_for(grp.id));
    bool multi = grp.method == DistributionMethod::kSendToAll ||
                 grp.method == DistributionMethod::kRoundRobin;
    g.max_sales = multi ? grp.limit : 1;
    g.stop_if_sold = grp.stop_if_sold;
    plan.push_back(std::move(g));
  }
  return plan;
}

}  // namespace pp::routing
