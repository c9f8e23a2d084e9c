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

void RequestGuard::prune(UnixMs now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.done && it->second.expires < now) it = entries_.erase(it);
    else ++it;
  }
}

RequestGuard::Claim RequestGuard::claim(const std::string& key, const std::string& body_hash,
                                        UnixMs now, int64_t window_ms) {
  std::lock_guard lk(mu_);
  if (++claims_ % 4096 == 0) prune(now);
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.done && it->second.expires < now) {
    entries_.erase(it);
    it = entries_.end();
  }
  if (it == entries_.end()) {
    // Not in memory: a remembered answer from before a restart?
    if (auto stored = store_.get_expiring(storage::Space::kRequests, key, now)) {
      size_t s1 = stored->find(kSep);
      size_t s2 = s1 == std::string::npos ? s1 : stored->find(kSep, s1 + 1);
      auto expires = s1 == std::string::npos ? std::nullopt : parse_int(std::string_view(*stored).substr(0, s1));
      if (s2 != std::string::npos && expires) {
        // Keeps the original expiry: a restart does not extend the window.
        Entry e{stored->substr(s1 + 1, s2 - s1 - 1), stored->substr(s2 + 1), true, *expires};
        it = entries_.emplace(key, std::move(e)).first;
      }
    }
  }
  if (it == entries_.end()) {
    entries_.emplace(key, Entry{body_hash, {}, false, now + window_ms});
    return {State::kFirst, {}};
  }
  if (it->second.body_hash != body_hash) return {State::kConflict, {}};
  if (!it->second.done) return {State::kInFlight, {}};
  return {State::kReplay, it->second.answer};
}

void RequestGuard::complete(const std::string& key, const std::string& answer) {
  std::lock_guard lk(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  it->second.answer = answer;
  it->second.done = true;
}

void RequestGuard::abandon(const std::string& key) {
  std::lock_guard lk(mu_);
  entries_.erase(key);
}

}  // namespace pp::engine
