#include "routing/distribution.h"

#include <algorithm>
#include <numeric>

namespace pp::routing {

Eligibility check_buyer(const BuyerConfig& buyer, bool paused) {
  if (paused)
    return {false, BuyerStatus::kSkipped, code_int(Code::kBuyerPaused), "Buyer is paused"};
  switch (buyer.type) {
    case DeliveryType::kIncomplete:
      return {false, BuyerStatus::kSkipped, code_int(Code::kBuyerNotConfigured),
              "Buyer configuration is incomplete"};
    case DeliveryType::kEmail:
      return {false, BuyerStatus::kSkipped, code_int(Code::kBuyerNotConfigured),
              "Email delivery is not available yet"};
    default:
      return {};
  }
}

std::vector<size_t> waterfall_order(const CampaignConfig& c) {
  std::vector<size_t> order(c.buyers.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return c.buyers[a].priority < c.buyers[b].priority; });
  return order;
}

std::vector<size_t> group_members(const CampaignConfig& c, int64_t group_id) {
  std::vector<size_t> out;
  for (size_t i : waterfall_order(c)) {
    if (group_id == 0 || c.buyers[i].group_id == group_id) out.push_back(i);
  }
  return out;
}

std::vector<size_t> order_buyers(const CampaignConfig& c, DistributionMethod method,
                                 const std::vector<size_t>& members, const Candidates& cand,
                                 RotationState& state) {
  std::vector<size_t> eligible;
  for (size_t i : members) {
    if (cand.eligible[i]) eligible.push_back(i);
  }
  switch (method) {
    case DistributionMethod::kWaterfall:
    case DistributionMethod::kSendToAll:
    case DistributionMethod::kBuyerGroups:
      return eligible;  // members are already in priority order

    case DistributionMethod::kHighestBidder:
      std::stable_sort(eligible.begin(), eligible.end(), [&](size_t a, size_t b) {
        const auto& pa = cand.price[a];
        const auto& pb = cand.price[b];
        if (pa.has_value() != pb.has_value()) return pa.has_value();  // known prices first
        if (pa && pb && *pa != *pb) return *pa > *pb;
        return false;  // stable: priority, then configuration order
      });
      return eligible;

    case DistributionMethod::kRoundRobin: {
      // Rotate the whole member list (eligible or not), so each member leads once per cycle.
      std::vector<size_t> out;
      size_t n = members.size();
      if (n == 0) return out;
      size_t start = size_t(state.next % n);
      for (size_t k = 0; k < n; ++k) {
        if (state.next_buyer != 0 && c.buyers[members[k]].id == state.next_buyer) start = k;
      }
      state.next = (start + 1) % n;
      state.next_buyer = c.buyers[members[state.next]].id;
      for (size_t k = 0; k < n; ++k) {
        size_t i = members[(start + k) % n];
        if (cand.eligible[i]) out.push_back(i);
      }
      return out;
    }

    case DistributionMethod::kWeightedRoundRobin: {
      // Smooth weighted round robin (as nginx): every eligible member gains its weight, the
      // largest current weight leads and pays back the total. Ties go to the earlier member.
      if (eligible.empty()) return eligible;
      // The members' current weights, by buyer id; buyers no longer members are forgotten.
      std::vector<std::pair<BuyerId, int64_t>> current;
      current.reserve(members.size());
      for (size_t i : members) {
        const BuyerId id = c.buyers[i].id;
        int64_t w = 0;
        for (const auto& [bid, cw] : state.current) {
          if (bid == id) w = cw;
        }
        current.emplace_back(id, w);
      }
      int64_t total = 0;
      size_t best = SIZE_MAX;
      for (size_t k = 0; k < members.size(); ++k) {
        size_t i = members[k];
        if (!cand.eligible[i]) continue;
        current[k].second += c.buyers[i].weight;
        total += c.buyers[i].weight;
        if (best == SIZE_MAX || current[k].second > current[best].second) best = k;
      }
      current[best].second -= total;
      state.current = std::move(current);
      std::vector<size_t> out{members[best]};
      for (size_t i : eligible) {
        if (i != members[best]) out.push_back(i);
      }
      return out;
    }
  }
  return eligible;
}

}  // namespace pp::routing
