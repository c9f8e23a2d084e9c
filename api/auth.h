#pragma once
// Bearer-token authentication for /public/ (F10). Tokens are configured as SHA-256 hashes; the
// presented token is hashed and compared in constant time against every configured hash.
#include <optional>

#include "api/http_types.h"
#include "core/config.h"

namespace pp::api {

// The presented token's configuration (role, name, hash), or null (missing, malformed or unknown
// token). Points into `cfg`.
const ApiTokenConfig* authenticate(const Request& req, const Config& cfg);

}  // namespace pp::api
