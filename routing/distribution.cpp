#include "routing/distribution.h"

#include <algorithm>
#include <numeric>

namespace pp::routing {

Eligibility check_buyer(const BuyerConfig& buyer, bool paused) {
  if (paused) return {false, BuyerStatus::kSkipped, code_int(Code::kBuyerPaused), "Buyer is paused"};
  switch (buyer.type) {
    case DeliveryType::kIncomplete:
      return {false, BuyerStatus::kSkipped, code_int(Code::kBuyerNotConfigured),
              "Buyer configuration is incomplete"};
    case DeliveryType::kEmail:
      return {false, BuyerStatus::kSkipped, code_int(Code::kBuyerNotConfigured),
              "Email delivery is not available yet"};
    default: return {};
  }
}

std::vector<size_t> waterfall_order(const CampaignConfig& c) {
  std::vector<size_t> order(c.buyers.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return c.buyers[a].priority < c.buyers[b].priority;
  });
  return order;
}

}  // namespace pp::routing
