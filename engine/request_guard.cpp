#include "engine/request_guard.h"

#include "core/text.h"

namespace pp::engine {

namespace {
constexpr char kSep = '\x1e';
}

std::string RequestGuard::persisted_value(const std::string& body_hash, const std::string& answer,
                                          UnixMs expires) {
  return std::to_string(expires) + kSep + body_hash + kSep + answer;
}

RequestGuard::Claim RequestGuard::claim(const std::string& key, const std::string& body_hash,
                                        UnixMs now, int64_t window_ms) {
  (void)window_ms;  // the stored value carries its own expiry
  std::lock_guard lk(mu_);
  auto it = in_flight_.find(key);
  if (it != in_flight_.end()) {
    return {it->second == body_hash ? State::kInFlight : State::kConflict, {}};
  }
  // Checked under the lock: a claim completes (and leaves in_flight_) only after its answer is
  // stored, so a repeat sees either the claim or the stored answer.
  if (auto stored = store_.get_expiring(storage::Space::kRequests, key, now)) {
    size_t s1 = stored->find(kSep);
    size_t s2 = s1 == std::string::npos ? s1 : stored->find(kSep, s1 + 1);
    auto expires =
        s1 == std::string::npos ? std::nullopt : parse_int(std::string_view(*stored).substr(0, s1));
    if (s2 != std::string::npos && expires && *expires >= now) {
      if (stored->compare(s1 + 1, s2 - s1 - 1, body_hash) != 0) return {State::kConflict, {}};
      return {State::kReplay, stored->substr(s2 + 1)};
    }
  }
  in_flight_.emplace(key, body_hash);
  return {State::kFirst, {}};
}

void RequestGuard::complete(const std::string& key) {
  std::lock_guard lk(mu_);
  in_flight_.erase(key);
}

void RequestGuard::abandon(const std::string& key) {
  std::lock_guard lk(mu_);
  in_flight_.erase(key);
}

}  // namespace pp::engine
