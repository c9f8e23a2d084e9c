#pragma once
// Bearer-token authentication for /public/ (F10). Tokens are configured as SHA-256 hashes; the
// presented token is hashed and compared in constant time against every configured hash.
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "api/http_types.h"
#include "core/config.h"
#include "core/time.h"
#include "storage/store.h"

namespace pp::api {

// The presented token's configuration (role, name, hash, scope), or null (missing, malformed,
// unknown or expired at `now`). Points into `cfg`.
const ApiTokenConfig* authenticate(const Request& req, const Config& cfg, UnixMs now);

// When each API token was last used (GET /admin/tokens shows it). Kept in memory, written to the
// store at most once a minute per token (a restart loses under a minute of it).
class TokenUsage {
 public:
  explicit TokenUsage(storage::Store& store) : store_(store) {}
  void record(const ApiTokenConfig& token, UnixMs now);
  std::optional<UnixMs> last_used(const std::string& token_sha256);

 private:
  storage::Store& store_;
  std::mutex mu_;
  std::unordered_map<std::string, std::pair<UnixMs, UnixMs>> seen_;  // hash -> (last, written)
};

}  // namespace pp::api
