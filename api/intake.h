#pragma once
// Supplier intake over HTTP (A1): body parsing (JSON or form, plus query-string parameters) and
// the answer's JSON. Malformed requests become HTTP 400/415 here and never reach the engine.
#include <optional>

#include "api/http_types.h"
#include "engine/engine.h"

namespace pp::api {

// Returns the parameters, or sets `error` (an HTTP 4xx answer) when the request is malformed.
std::optional<engine::IntakeRequest> parse_intake(const Request& req, Response& error);

// {"status":"ACCEPTED","lead_id":"...","id":"...","code":0,"error_code":0,"message":"...",
//  "payout":12.5[,"redirect_url":"..."]}
std::string render_intake_result(const engine::IntakeResult& r);

// {"status":"ACCEPTED","ping_id":"...","code":0,"message":"...","bid":13.3,"payout":13.3,
//  "expires_in":300[,"bids":[{"bid_id":"...","payout":13.3},...]]} (shared sales list every bid).
std::string render_ping_answer(const engine::PingAnswer& a);

// Parses a JSON object of scalar values into ordered name/value pairs (numbers and booleans as
// their JSON text, null as ""). Nested objects/arrays are an error.
bool parse_flat_json(std::string_view body, FieldList& out, std::string& error);

}  // namespace pp::api
