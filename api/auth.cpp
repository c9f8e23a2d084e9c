#include "api/auth.h"

#include "core/hash.h"
#include "core/text.h"

namespace pp::api {

const ApiTokenConfig* authenticate(const Request& req, const Config& cfg, UnixMs now) {
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
  if (found && found->expires_ms && now >= *found->expires_ms) return nullptr;
  return found;
}

void TokenUsage::record(const ApiTokenConfig& token, UnixMs now) {
  bool write = false;
  {
    std::lock_guard lk(mu_);
    auto& [last, written] = seen_[token.token_sha256];
    last = now;
    if (now - written >= 60000) {
      written = now;
      write = true;
    }
  }
  // Queued with the next group commit: an I/O thread does not wait for an fsync here.
  if (write) store_.put_state_later("token_used/" + token.token_sha256, std::to_string(now));
}

std::optional<UnixMs> TokenUsage::last_used(const std::string& hash) {
  {
    std::lock_guard lk(mu_);
    auto it = seen_.find(hash);
    if (it != seen_.end()) return it->second.first;
  }
  auto v = store_.get_state("token_used/" + hash);
  if (!v) return std::nullopt;
  auto ms = parse_int(*v);
  return ms ? std::optional<UnixMs>(*ms) : std::nullopt;
}

}  // namespace pp::api
