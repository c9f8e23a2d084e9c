#pragma once
// The supplier API specs (G4): GET /api-specs?hash=<supplier hash> — the link every supplier gets
// in seed 000's campaign view (api_specs_url). Generated from the live configuration, so it cannot
// drift from what the engine accepts: endpoints, every field (type, required, allowed values, an
// example), the supplier's credentials, curl examples for JSON and form bodies, the ping/post flow
// of exchange and one-to-one campaigns, and the answer codes. HTML, or JSON with
// `Accept: application/json`. No token: the hash is the link's secret; lp_key is never shown (it
// is stored hashed), the examples say $LP_KEY.
#include "api/http_types.h"
#include "core/config.h"

namespace pp::api {

Response api_specs(const Config& cfg, const Request& req);

}  // namespace pp::api
