#include "engine/rate_limiter.h"

#include <algorithm>

namespace pp::engine {

int64_t RateLimiter::take(std::string_view key, int64_t now_ms, uint32_t rate_per_s,
                          uint32_t burst) {
  if (rate_per_s == 0) return 0;
  // In milli-tokens a bucket refills by exactly rate_per_s per millisecond.
  const int64_t rate = rate_per_s;
  const int64_t cap = int64_t(burst ? burst : rate_per_s) * 1000;
  std::lock_guard lk(mu_);
  if (now_ms >= next_prune_ms_) {  // amortised: forget buckets that are full again
    for (auto it = buckets_.begin(); it != buckets_.end();)
      it = it->second.full_at_ms <= now_ms ? buckets_.erase(it) : std::next(it);
    next_prune_ms_ = now_ms + 60000;
  }
  auto [it, fresh] = buckets_.try_emplace(std::string(key));
  Bucket& b = it->second;
  if (fresh) {
    b.milli_tokens = cap;
  } else if (now_ms > b.last_ms) {
    b.milli_tokens = std::min(cap, b.milli_tokens + (now_ms - b.last_ms) * rate);
  }
  b.last_ms = std::max(b.last_ms, now_ms);
  if (b.milli_tokens >= 1000) {
    b.milli_tokens -= 1000;
    b.full_at_ms = b.last_ms + (cap - b.milli_tokens + rate - 1) / rate;
    return 0;
  }
  return std::max<int64_t>(1, (1000 - b.milli_tokens + rate - 1) / rate);
}

size_t RateLimiter::size() {
  std::lock_guard lk(mu_);
  return buckets_.size();
}

}  // namespace pp::engine
