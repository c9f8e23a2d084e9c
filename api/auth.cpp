#include "api/auth.h"

#include "core/hash.h"
#include "core/text.h"

namespace pp::api {

std::optional<Role> authenticate(const Request& req, const Config& cfg) {
  std::string_view h = trim(req.header("authorization"));
  if (!starts_with_icase(h, "bearer ")) return std::nullopt;
  std::string_view token = trim(h.substr(7));
  if (token.empty() || token.size() > 512) return std::nullopt;
  const std::string presented = sha256_hex(token);
  std::optional<Role> role;
  // No early exit: the time taken does not depend on which token matched.
  for (const auto& t : cfg.api_tokens) {
    if (constant_time_equals(presented, t.token_sha256) && !role) role = t.role;
  }
  return role;
}

}  // namespace pp::api
