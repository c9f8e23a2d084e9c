#pragma once
// Duplicate *request* guard (A7): an identical payload from the same supplier within 60 s, or a
// repeated Idempotency-Key within 24 h, gets the first request's answer instead of a second lead.
// A repeat that arrives while the first is still in flight waits for its answer.
//
// Memory holds only the requests in flight; a completed answer is persisted with its lead (an
// expiring key) and read back from storage, so memory stays bounded by the leads in flight and an
// Idempotency-Key survives a restart. A claim is forgotten only after its answer is durable.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/time.h"
#include "storage/store.h"

namespace pp::engine {

class RequestGuard {
 public:
  static constexpr int64_t kPayloadWindowMs = 60'000;
  static constexpr int64_t kIdempotencyWindowMs = 24 * 3600 * 1000;

  explicit RequestGuard(storage::Store& store) : store_(store) {}

  enum class State { kFirst, kReplay, kInFlight, kConflict };
  struct Claim {
    State state = State::kFirst;
    std::string answer;  // kReplay: the stored answer
  };

  // `key` names the request ("p/<supplier>/<payload hash>" or "i/<supplier>/<key>");
  // `body_hash` tells two bodies apart under one Idempotency-Key.
  Claim claim(const std::string& key, const std::string& body_hash, UnixMs now, int64_t window_ms);
  // The claimed request's answer is durable (persisted with its lead): forget the claim.
  void complete(const std::string& key);
  // Forgets a claim whose request produced no stored lead (the next try starts afresh).
  void abandon(const std::string& key);

  // The value persisted for a completed request: its expiry, body hash and answer.
  static std::string persisted_value(const std::string& body_hash, const std::string& answer,
                                     UnixMs expires);

  // Claims held right now (leads or requests in flight).
  size_t in_flight() {
    std::lock_guard lk(mu_);
    return in_flight_.size();
  }

 private:
  storage::Store& store_;
  std::mutex mu_;
  std::unordered_map<std::string, std::string> in_flight_;  // key -> body hash
};

}  // namespace pp::engine
