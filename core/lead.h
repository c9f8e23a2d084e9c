#pragma once
// The lead and everything recorded about it. Plain data: no I/O, no behaviour beyond accessors.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/ids.h"
#include "core/money.h"
#include "core/time.h"

namespace pp {

// Overall lead status as the public API shows it (seed 000: ACCEPTED / DUPLICATED / ERROR).
enum class LeadStatus : uint8_t { kAccepted = 0, kDuplicated = 1, kError = 2 };
std::string_view to_string(LeadStatus s);  // "ACCEPTED", ...

// Per-buyer outcome (seed 000's debug log: Accepted, Skipped, Duplicated, Error, Pinged, Outbid).
enum class BuyerStatus : uint8_t {
  kAccepted = 0,
  kSkipped = 1,
  kDuplicated = 2,
  kError = 3,
  kPinged = 4,
  kOutbid = 5,
};
std::string_view to_upper_string(BuyerStatus s);  // "ACCEPTED" (lead views)
std::string_view to_title_string(BuyerStatus s);  // "Accepted" (debug log)

enum class DeliveryType : uint8_t {
  kDirectPost = 0,
  kPingPost = 1,
  kLeadStore = 2,
  kGoogleSheets = 3,
  kEmail = 4,
  kIncomplete = 5,
};
std::string_view to_string(DeliveryType t);  // "direct_post", ...
bool parse_delivery_type(std::string_view s, DeliveryType& out);

// Ordered name/value pairs; order is the order the supplier sent them (it shows in lead_data).
using FieldList = std::vector<std::pair<std::string, std::string>>;
const std::string* find_field(const FieldList& f, std::string_view name);

struct BuyerOutcome {
  BuyerId buyer_id = 0;
  BuyerStatus status = BuyerStatus::kSkipped;
  int error_code = 0;
  std::string error_message;
  Money sell_price;
  bool returned = false;
  std::string return_reason;
  std::string buyer_lead_id;  // id the buyer gave the lead, when mapped
  int64_t exec_time_us = 0;
  // Values kept from the buyer's answers (response mapping `keep`): ping's, then post's.
  std::vector<std::pair<std::string, std::string>> kept;
  // A real-time buyer accepted without a price: sold at the campaign's missing_price (flagged).
  bool price_missing = false;
  // The prepaid client charged sell_price from its balance at the sale (issue 20; 0: none). A
  // return credits it back exactly, whatever the client's billing is by then.
  ClientId charged_client = 0;
};

struct Lead {
  std::string id;            // 20-character lead id
  std::string request_uuid;  // lp_request_uuid
  UnixMs created_ms = 0;     // UTC
  CampaignId campaign_id = 0;
  SupplierId supplier_id = 0;
  LeadStatus status = LeadStatus::kError;
  int error_code = 0;
  std::string error_message;
  std::string validation_error_provider;
  std::string validation_error_description;
  bool test = false;
  Money cost;     // what we pay the supplier
  Money revenue;  // what buyers pay us
  bool returned = false;
  std::string return_reason;
  std::vector<std::string> tags;
  FieldList fields;  // lead_data: campaign fields and lp_subid1..6, normalised
  std::vector<BuyerOutcome> buyers;
  std::string redirect_url;
  int64_t exec_time_us = 0;
};

// One HTTP exchange with a buyer, exactly as captured on the wire (seed 000 debug log).
struct HttpExchangeLog {
  std::string url;
  std::string method;  // lower-case, as the seed shows ("post")
  std::string payload;
  std::string response;
  int http_status = 0;  // 0 when no response was received
  int64_t exec_time_us = 0;
  std::vector<std::pair<std::string, std::string>> request_headers;
  std::vector<std::pair<std::string, std::string>> response_headers;
  std::string transport_error;  // empty on success; "timeout", "connect refused", ...
};

struct BuyerDebug {
  BuyerId buyer_id = 0;
  DeliveryType type = DeliveryType::kDirectPost;
  bool has_bid = false;
  Money bid_raw;
  Money bid_adjusted;
  int rank = 0;  // exchange: the bid's place in the ranking (1 = best); 0 when it was not ranked
  std::optional<HttpExchangeLog> ping;
  std::optional<HttpExchangeLog> post;
  std::string decision;  // why the engine did what it did with this buyer
};

// One named stage of a lead's path (the timeline): what it decided and how long it took.
enum class StageVerdict : uint8_t {
  kContinue = 0,  // the lead goes on to the next stage
  kStop = 1,      // the lead stops here with a stored outcome (its code and message)
  kRefuse = 2,    // refused without storing anything (never in a stored timeline; metrics only)
};
std::string_view to_string(StageVerdict v);  // "continue", "stop", "refuse"

struct StageRecord {
  std::string stage;  // "authenticate", "fields", "filters", "delivery", ...
  StageVerdict verdict = StageVerdict::kContinue;
  std::string reason;  // short: why it stopped, or what it did
  int64_t duration_us = 0;
};

// One compliance or quality check run on a lead (issue 17), for the timeline and the debug log.
enum class CheckStatus : uint8_t {
  kPass = 0,
  kFail = 1,
  kError = 2,    // the check could not decide; `error_passed` says what its on_error made of it
  kSkipped = 3,  // not run: sampled out, no input, or off for this supplier
};
std::string_view to_string(CheckStatus s);  // "pass", "fail", "error", "skipped"

struct CheckRecord {
  std::string name;      // the check's name in the configuration
  std::string provider;  // validation_error_provider when it failed the lead
  std::string type;      // "phone", "trustedform", ...
  CheckStatus status = CheckStatus::kPass;
  bool error_passed = false;  // an error let through (fail_open)
  bool cached = false;        // a remote result reused within the check's cache window
  bool async = false;         // run after the lead was answered (recorded, never blocking)
  BuyerId buyer_id = 0;       // a buyer's check (0: the campaign's)
  std::string reason;
  int64_t duration_us = 0;
  std::vector<std::pair<std::string, std::string>> values;  // recorded values (outcome, score...)
  std::optional<HttpExchangeLog> exchange;  // remote checks: the raw request and response
};

struct DebugLog {
  std::string lead_id;
  std::vector<BuyerDebug> buyers;
  std::vector<CheckRecord> checks;  // in the order they ran (async ones after the answer)
  std::vector<StageRecord> stages;  // in the order the lead went through them
  uint64_t config_version = 0;      // the configuration the lead ran on (0: not recorded)
};

// The debug record of a lead's i-th buyer outcome (both are written in the same order), or null
// when there is none (no debug log, or it no longer matches).
inline const BuyerDebug* debug_for(const DebugLog* debug, size_t i, const BuyerOutcome& o) {
  return debug && i < debug->buyers.size() && debug->buyers[i].buyer_id == o.buyer_id
             ? &debug->buyers[i]
             : nullptr;
}

}  // namespace pp
