#pragma once
// Token buckets by key, for request rate limits (per API token, per supplier). Thread-safe.
// A bucket holds up to `burst` tokens and refills at `rate_per_s`; a request takes one token or
// is refused with the time until one is back (the answer's Retry-After). Idle buckets are
// forgotten, so the map holds only keys seen recently.
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pp::engine {

class RateLimiter {
 public:
  // 0 when the request may go on; otherwise milliseconds until a token is available (>= 1).
  // rate_per_s == 0 means no limit. burst == 0 means one second's worth (rate_per_s).
  int64_t take(std::string_view key, int64_t now_ms, uint32_t rate_per_s, uint32_t burst);
  size_t size();

 private:
  struct Bucket {
    int64_t milli_tokens = 0;  // exact integer arithmetic: a token is 1000
    int64_t last_ms = 0;
    int64_t full_at_ms = 0;  // when it will be full again if left alone
  };
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  int64_t next_prune_ms_ = 0;
};

}  // namespace pp::engine
