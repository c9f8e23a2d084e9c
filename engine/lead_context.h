#pragma once
// Values for buyer templates: the lead's fields, the system fields (A5) and, for a ping_post
// buyer's post, its ping answer ({{lp_ping_response}} and {{lp_ping_response:KEY}}).
#include <string>

#include "buyers/template.h"
#include "core/config.h"
#include "core/lead.h"

namespace pp::engine {

class LeadContext final : public buyers::TemplateContext {
 public:
  LeadContext(const Lead& lead, const CampaignConfig& campaign, UnixMs now)
      : lead_(lead), campaign_(campaign), now_(now) {}

  void set_buyer(BuyerId id) { buyer_id_ = id; }
  void set_ping_response(const std::string* body) { ping_response_ = body; }
  // The lead's outcome as merge tags (triggers and postbacks, issue 18): lp_event, lp_status,
  // lp_code, lp_message, lp_price (what buyers paid), lp_cost (the supplier's payout),
  // lp_return_reason; lp_buyer_id is then the buyer that bought it.
  void set_outcome(std::string_view event) { event_ = event; }

  std::optional<std::string> lookup(std::string_view name) const override;
  UnixMs now_ms() const override { return now_; }

 private:
  const Lead& lead_;
  const CampaignConfig& campaign_;
  UnixMs now_;
  BuyerId buyer_id_ = 0;
  const std::string* ping_response_ = nullptr;
  std::string_view event_;  // empty: no outcome tags
};

}  // namespace pp::engine
