#include "engine/lead_context.h"

#include "buyers/response.h"

namespace pp::engine {

std::optional<std::string> LeadContext::lookup(std::string_view name) const {
  if (const std::string* v = find_field(lead_.fields, name)) return *v;
  if (name.size() < 3 || name.substr(0, 3) != "lp_") return std::nullopt;
  if (name == "lp_lead_id") return lead_.id;
  if (name == "lp_campaign_id") return std::to_string(lead_.campaign_id);
  if (name == "lp_supplier_id") return std::to_string(lead_.supplier_id);
  if (name == "lp_supplier_name") {
    const SupplierConfig* s = campaign_.find_supplier(lead_.supplier_id);
    return s ? s->name : std::string();
  }
  if (name == "lp_campaign_name") return campaign_.name;
  if (name == "lp_buyer_id") return std::to_string(buyer_id_);
  if (name == "lp_request_uuid") return lead_.request_uuid;
  if (name == "lp_lead_date") return campaign_.tz.format_local(lead_.created_ms);
  if (name == "lp_lead_date_utc") return format_utc(lead_.created_ms);
  if (name == "lp_date") return format_utc(now_);
  if (name == "lp_timestamp") return std::to_string(lead_.created_ms / 1000);
  if (name == "lp_test") return std::string(lead_.test ? "1" : "0");
  if (!event_.empty()) {
    if (name == "lp_event") return std::string(event_);
    if (name == "lp_status") return std::string(to_string(lead_.status));
    if (name == "lp_code") return std::to_string(lead_.error_code);
    if (name == "lp_message")
      return lead_.status == LeadStatus::kAccepted ? std::string("Lead accepted")
                                                   : lead_.error_message;
    if (name == "lp_price" || name == "lp_revenue") return lead_.revenue.to_string();
    if (name == "lp_cost" || name == "lp_payout") return lead_.cost.to_string();
    if (name == "lp_return_reason") return lead_.return_reason;
  }
  if (name.substr(0, 16) == "lp_ping_response") {
    if (ping_response_ == nullptr) return std::nullopt;
    if (name.size() == 16) return *ping_response_;
    if (name[16] == ':') return buyers::json_value_at(*ping_response_, name.substr(17));
  }
  return std::nullopt;
}

}  // namespace pp::engine
