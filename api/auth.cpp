#include "api/auth.h"

#include "core/hash.h"
#include "core/text.h"

namespace pp::api {

const ApiTokenConfig* authenticate(const Request& req, const Config& cfg) {
  std::string_view h = trim(req.header("authorization"));
  if (!starts_with_icase(h, "bearer ")) return nullptr;
  std::string_view token = trim(h.substr(7));
  if (token.empty() || token.size() > 512) return nullptr;
  const std::string presented = sha256_hex(token);
  const ApiTokenConfig* found = nullptr;
  // No early exit: the time taken does not depend on which token matched.
  for (const auto& t : cfg.api_tokens) {
    if (constant_time_equals(presented, t.token_sha256) && !found) found = &t;
  }
  return found;
}

}  // namespace pp::api
