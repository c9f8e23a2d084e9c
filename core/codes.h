#pragma once
// Supplier-facing result codes (documented in README.md, "Supplier answer codes").
// 0, 1001, 1006, 1008, 1015 and 1035 follow the reference product; the rest are ours.
#include <string_view>

namespace pp {

enum class Code : int {
  kAccepted = 0,
  kMissingField = 1001,         // a required parameter or field is missing
  kInvalidField = 1002,         // a field fails its type/format validation
  kBadCredentials = 1003,       // unknown campaign, supplier not in campaign, or wrong lp_key
  kSupplierPaused = 1004,       // the supplier is paused
  kNoBuyers = 1005,             // no buyer was eligible or every eligible buyer failed
  kRejectedByBuyer = 1006,      // the lead went to one buyer and it rejected the lead
  kFiltered = 1007,             // a campaign or supplier filter blocked the lead
  kDuplicated = 1008,           // the duplicate checker matched an earlier lead
  kCapReached = 1009,           // a supplier cap or budget is exhausted
  kWrongEndpoint = 1010,        // the campaign type does not accept this endpoint
  kUnavailable = 1011,          // the lead could not be stored; retry later
  kIdempotencyConflict = 1012,  // an Idempotency-Key reused with a different body (HTTP 409)
  kUnknownPing = 1013,          // lp_ping_id unknown (or not this campaign's and supplier's)
  kPingExpired = 1014,          // lp_ping_id expired
  kPingUsed = 1016,             // lp_ping_id already posted
  kRateLimited = 1017,          // too many requests from this supplier (HTTP 429, Retry-After)
  kPingBuyerRemoved = 1018,     // the buyers that bid on the ping were removed since: ping again
  kFailedValidation = 1015,     // a third-party validation failed
  kPingTimeout = 1035,          // PING timeout exceeded
  kBuyerTimeout = 1036,         // (per buyer) the buyer did not answer in time
  kBuyerHttpError = 1037,       // (per buyer) transport failure or non-2xx HTTP status
  kBuyerDuplicate = 1038,       // (per buyer) the buyer answered duplicate
  kBuyerPaused = 1039,          // (per buyer) the buyer is paused
  kBuyerNotConfigured = 1040,   // (per buyer) delivery type incomplete / unsupported
  kBuyerCapReached = 1041,      // (per buyer) a buyer cap or budget is exhausted
  kBuyerCircuitOpen = 1042,     // (per buyer) the buyer keeps failing: its circuit is open
  kBuyerBalanceLow = 1043,      // (per buyer) its client's prepaid balance cannot cover the lead
};

constexpr int code_int(Code c) { return static_cast<int>(c); }

// The codes a supplier's request can be answered with, and what each means (the API specs page).
struct CodeInfo {
  Code code;
  std::string_view meaning;
};
inline constexpr CodeInfo kSupplierCodes[] = {
    {Code::kAccepted, "accepted (sold, or for a ping: bids offered)"},
    {Code::kMissingField, "a required parameter or field is missing"},
    {Code::kInvalidField, "a field fails its type or format validation"},
    {Code::kBadCredentials, "unknown campaign, supplier not in the campaign, or wrong lp_key"},
    {Code::kSupplierPaused, "the supplier is paused"},
    {Code::kNoBuyers, "no buyer took the lead"},
    {Code::kRejectedByBuyer, "the one buyer tried rejected the lead"},
    {Code::kFiltered, "a campaign or supplier filter blocked the lead"},
    {Code::kDuplicated, "a duplicate of an earlier lead"},
    {Code::kCapReached, "a supplier cap or budget is used up"},
    {Code::kWrongEndpoint, "this campaign does not take leads on this endpoint"},
    {Code::kUnavailable, "the lead could not be stored: retry later"},
    {Code::kIdempotencyConflict, "an Idempotency-Key reused with another body (HTTP 409)"},
    {Code::kUnknownPing, "lp_ping_id unknown"},
    {Code::kPingExpired, "lp_ping_id expired"},
    {Code::kPingUsed, "lp_ping_id was already posted"},
    {Code::kRateLimited, "too many requests: slow down (HTTP 429, Retry-After)"},
    {Code::kPingBuyerRemoved, "the buyers that bid on the ping are gone: ping again"},
    {Code::kPingTimeout, "no buyer bid before the auction closed"},
};

}  // namespace pp
