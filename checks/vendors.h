#pragma once
// Vendor translators for remote checks (issue 17): the request each vendor documents, and what its
// answer means. Pure functions, fixture-tested (tests/unit/vendors_test.cpp); the engine sends the
// requests (engine/checks.cpp) with the buyers' HTTP client, under the check's deadline.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pp::checks {

// What a check decided about a lead.
enum class CheckVerdict : uint8_t {
  kPass = 0,
  kFail =
      1,  // the lead fails the check: rejected (code 1015) or, at buyer level, the buyer skipped
  kError = 2,  // the check could not decide (vendor down, garbage answer, timeout): the check's
               // on_error decides (fail_open passes the lead, fail_closed fails it)
};
std::string_view to_string(CheckVerdict v);  // "pass", "fail", "error"

struct VendorRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct VendorAnswer {
  CheckVerdict verdict = CheckVerdict::kError;
  std::string reason;
  // Values recorded with the lead ("outcome", "email_match", "expires_at", "authentic", ...).
  std::vector<std::pair<std::string, std::string>> values;
};

// ---- TrustedForm (ActiveProspect), API v4 ----------------------------------------------------
inline constexpr std::string_view kTrustedFormBaseUrl = "https://cert.trustedform.com";

// The certificate id of a TrustedForm certificate URL ("https://cert.trustedform.com/<40 hex>") or
// of a bare 40-hex token; nullopt and `reason` otherwise (http, another host, wrong length).
std::optional<std::string> trustedform_cert_id(std::string_view value, std::string& reason);

struct TrustedFormClaim {
  std::string cert_id;
  std::string api_key;
  std::string email, phone;       // match_lead (empty: not sent)
  std::string reference, vendor;  // retain
};
// POST <base>/<cert id>, api-version: 4.0, Basic API:<key>, {"match_lead":{...},"retain":{...}}.
VendorRequest trustedform_request(std::string_view base_url, const TrustedFormClaim& claim);

enum class TrustedFormPolicy : uint8_t {
  kRecord,          // any answer passes: the outcome is recorded
  kRequireSuccess,  // the claim must succeed (the certificate exists, is not expired, is retained)
  kRequireMatch,    // success, and the certificate matches the lead's email or phone
};
bool parse_trustedform_policy(std::string_view s, TrustedFormPolicy& out);
std::string_view to_string(TrustedFormPolicy p);  // "record", "require_success", "require_match"

// Reads {"outcome":"success"|"failure","reason":...,"match_lead":{"result":{"email_match":..,
// "phone_match":..}},"retain":{"result":{"expires_at":..}}}; records outcome, reason, matches
// and expires_at. 401/403 and answers that say nothing are errors (our key, not the lead).
VendorAnswer trustedform_answer(int http_status, std::string_view body, TrustedFormPolicy policy);

// ---- Jornaya LeadiD -------------------------------------------------------------------------
inline constexpr std::string_view kJornayaBaseUrl = "https://api.leadid.com";

// A LeadiD token: 36 characters, hex digits and dashes in the UUID layout.
bool jornaya_token_valid(std::string_view token);
// GET <base>/Authenticate?lac=<account>&id=<token>
VendorRequest jornaya_request(std::string_view base_url, std::string_view account,
                              std::string_view token);
// `authentic` 1 passes, 0 fails; found as a JSON member at any depth or an XML element.
VendorAnswer jornaya_answer(int http_status, std::string_view body);

}  // namespace pp::checks
