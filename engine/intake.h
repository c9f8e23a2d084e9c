#pragma once
// What a supplier sends and what it is answered (A1, A2): the engine's intake types, shared by
// the engine's facade and its stages.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/codes.h"
#include "core/lead.h"
#include "core/money.h"

namespace pp::engine {

// What a supplier sent: every parameter of the body (JSON or form) and the query string, in order.
struct IntakeRequest {
  FieldList params;
  std::string body_hash;        // SHA-256 of what was sent (A7: identical payloads)
  std::string idempotency_key;  // the Idempotency-Key header, if any (at most 255 bytes)
  // How long the key is remembered; 0: RequestGuard::kIdempotencyWindowMs (24 h). Never from
  // HTTP: batches (engine/batches.cpp) key their rows for as long as a batch may resume.
  int64_t idempotency_window_ms = 0;
  // A lead the engine sends itself (a trigger's "send to another campaign", issue 18): no lp_key
  // (never set from HTTP), and tags for the new lead ("delayed_lead", "from:<lead id>").
  bool internal = false;
  std::vector<std::string> tags;
};

// The answer to the supplier (A1).
struct IntakeResult {
  LeadStatus status = LeadStatus::kError;
  std::string lead_id;  // empty when nothing was stored (bad credentials, malformed)
  int code = 0;
  std::string message;
  Money payout;
  std::string redirect_url;
  int http_status = 200;  // 409 when an Idempotency-Key is reused with a different body
  int retry_after_s = 0;  // with 429 (rate limited): the answer's Retry-After
  // A lead that failed a check (code 1015), where the campaign shows the details to the supplier
  // (validation_error_details): error_meta's provider_name and description (empty: not shown).
  std::string meta_provider, meta_description;
};

// The answer to a supplier's ping.
struct PingAnswer {
  LeadStatus status = LeadStatus::kError;  // ACCEPTED (bids), DUPLICATED (pre-ping), ERROR
  int code = 0;
  std::string message;
  std::string ping_id;    // empty when there is nothing to post
  int http_status = 200;  // 429 when the supplier is over its rate limit
  int retry_after_s = 0;
  Money offer;  // exclusive: the best bid after margin
  struct Offered {
    std::string bid_id;
    Money payout;
    std::string company_name;                                // one-to-one
    std::vector<std::pair<std::string, std::string>> extra;  // one-to-one: mapped data
  };
  std::vector<Offered> bids;  // shared / one-to-one: every offered bid
  bool shared = false;
  bool one_to_one = false;
  uint32_t expires_in_s = 0;
};

// An answer for a request that stores nothing (bad credentials, rate limited, malformed...).
IntakeResult unstored(Code code, std::string message);

// An answer as the request guard remembers it (stored with the lead), and back; nullopt for text
// that does not decode.
std::string encode_result(const IntakeResult& r);
std::optional<IntakeResult> decode_result(std::string_view s);

// Parameters that drive the engine and never become lead data (lp_key in particular is a secret).
bool is_system_param(std::string_view name);
// lp_subid1 .. lp_subid6.
bool is_subid(std::string_view name);
inline constexpr size_t kMaxSubidLength = 75;
// A6: lp_action=test, or a supplier in test mode.
bool is_test_request(const IntakeRequest& req, bool supplier_test_mode);

}  // namespace pp::engine
