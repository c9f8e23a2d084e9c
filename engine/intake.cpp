#include "engine/intake.h"

#include "core/text.h"

namespace pp::engine {

IntakeResult unstored(Code code, std::string message) {
  IntakeResult r;
  r.status = LeadStatus::kError;
  r.code = code_int(code);
  r.message = std::move(message);
  return r;
}

namespace {
constexpr char kFieldSep = '\x1f';
}

std::string encode_result(const IntakeResult& r) {
  std::string s;
  s += std::to_string(int(r.status)) + kFieldSep + r.lead_id + kFieldSep + std::to_string(r.code) +
       kFieldSep + r.message + kFieldSep + std::to_string(r.payout.units()) + kFieldSep +
       r.redirect_url;
  if (!r.meta_provider.empty() || !r.meta_description.empty())
    s += kFieldSep + r.meta_provider + kFieldSep + r.meta_description;
  return s;
}

std::optional<IntakeResult> decode_result(std::string_view s) {
  std::vector<std::string_view> parts = split(s, std::string_view(&kFieldSep, 1));
  if (parts.size() != 6 && parts.size() != 8) return std::nullopt;
  auto st = parse_int(parts[0]);
  auto code = parse_int(parts[2]);
  auto payout = parse_int(parts[4]);
  if (!st || !code || !payout || *st < 0 || *st > 2) return std::nullopt;
  IntakeResult r;
  r.status = LeadStatus(*st);
  r.lead_id = std::string(parts[1]);
  r.code = int(*code);
  r.message = std::string(parts[3]);
  r.payout = Money::from_units(*payout);
  r.redirect_url = std::string(parts[5]);
  if (parts.size() == 8) {
    r.meta_provider = std::string(parts[6]);
    r.meta_description = std::string(parts[7]);
  }
  return r;
}

bool is_system_param(std::string_view n) {
  return n == "lp_campaign_id" || n == "lp_supplier_id" || n == "lp_key" || n == "lp_action" ||
         n == "lp_request_uuid" || n == "lp_lead_id" || n == "lp_test";
}

bool is_subid(std::string_view n) {
  return n.size() == 9 && n.substr(0, 8) == "lp_subid" && n[8] >= '1' && n[8] <= '6';
}

bool is_test_request(const IntakeRequest& req, bool supplier_test_mode) {
  const std::string* action = find_field(req.params, "lp_action");
  return supplier_test_mode || (action && iequals(trim(*action), "test"));
}

}  // namespace pp::engine
