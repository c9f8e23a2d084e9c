#include "core/lead.h"

namespace pp {

std::string_view to_string(LeadStatus s) {
  switch (s) {
    case LeadStatus::kAccepted:
      return "ACCEPTED";
    case LeadStatus::kDuplicated:
      return "DUPLICATED";
    case LeadStatus::kError:
      return "ERROR";
  }
  return "ERROR";
}

std::string_view to_upper_string(BuyerStatus s) {
  switch (s) {
    case BuyerStatus::kAccepted:
      return "ACCEPTED";
    case BuyerStatus::kSkipped:
      return "SKIPPED";
    case BuyerStatus::kDuplicated:
      return "DUPLICATED";
    case BuyerStatus::kError:
      return "ERROR";
    case BuyerStatus::kPinged:
      return "PINGED";
    case BuyerStatus::kOutbid:
      return "OUTBID";
  }
  return "ERROR";
}

std::string_view to_title_string(BuyerStatus s) {
  switch (s) {
    case BuyerStatus::kAccepted:
      return "Accepted";
    case BuyerStatus::kSkipped:
      return "Skipped";
    case BuyerStatus::kDuplicated:
      return "Duplicated";
    case BuyerStatus::kError:
      return "Error";
    case BuyerStatus::kPinged:
      return "Pinged";
    case BuyerStatus::kOutbid:
      return "Outbid";
  }
  return "Error";
}

std::string_view to_string(DeliveryType t) {
  switch (t) {
    case DeliveryType::kDirectPost:
      return "direct_post";
    case DeliveryType::kPingPost:
      return "ping_post";
    case DeliveryType::kLeadStore:
      return "lead_store";
    case DeliveryType::kGoogleSheets:
      return "google_sheets";
    case DeliveryType::kEmail:
      return "email";
    case DeliveryType::kIncomplete:
      return "incomplete";
  }
  return "incomplete";
}

bool parse_delivery_type(std::string_view s, DeliveryType& out) {
  for (auto t : {DeliveryType::kDirectPost, DeliveryType::kPingPost, DeliveryType::kLeadStore,
                 DeliveryType::kGoogleSheets, DeliveryType::kEmail, DeliveryType::kIncomplete}) {
    if (s == to_string(t)) {
      out = t;
      return true;
    }
  }
  return false;
}

const std::string* find_field(const FieldList& f, std::string_view name) {
  for (const auto& [k, v] : f) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::string_view to_string(StageVerdict v) {
  switch (v) {
    case StageVerdict::kContinue:
      return "continue";
    case StageVerdict::kStop:
      return "stop";
    case StageVerdict::kRefuse:
      return "refuse";
  }
  return "continue";
}

std::string_view to_string(CheckStatus s) {
  switch (s) {
    case CheckStatus::kPass:
      return "pass";
    case CheckStatus::kFail:
      return "fail";
    case CheckStatus::kError:
      return "error";
    case CheckStatus::kSkipped:
      return "skipped";
  }
  return "pass";
}

}  // namespace pp
