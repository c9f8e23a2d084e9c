#pragma once
// Who may receive a lead, and in which order (B8; the direct-post waterfall for now).
#include <string>
#include <vector>

#include "core/codes.h"
#include "core/config.h"
#include "core/lead.h"

namespace pp::routing {

struct Eligibility {
  bool eligible = true;
  BuyerStatus status = BuyerStatus::kSkipped;  // when not eligible
  int error_code = 0;
  std::string reason;
};

// Eligibility of one buyer for one lead. `paused` is the buyer's live pause state (configuration
// or pause_buyer), which the engine owns.
Eligibility check_buyer(const BuyerConfig& buyer, bool paused);

// Waterfall: buyers ordered by priority (lower first); equal priorities keep configuration order.
// Returns indexes into campaign.buyers.
std::vector<size_t> waterfall_order(const CampaignConfig& campaign);

}  // namespace pp::routing
