#pragma once
// Buyer health (C6): a circuit breaker per buyer. After `failures` consecutive failed calls
// (transport errors, timeouts, non-2xx or unreadable answers — not rejections, which are healthy
// answers) the circuit opens: the buyer is skipped for `open_ms`. Then one call is let through as a
// probe (half-open): success closes the circuit, failure opens it again. Thread-safe.
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/ids.h"
#include "core/time.h"

namespace pp::engine {

class BuyerHealth {
 public:
  struct Options {
    uint32_t failures = 5;    // consecutive failures that open the circuit; default 5
    int64_t open_ms = 30000;  // how long an open circuit skips the buyer; default 30 s
  };
  enum class Gate { kPass, kProbe, kOpen };
  enum class State { kClosed, kOpen, kHalfOpen };

  BuyerHealth();
  explicit BuyerHealth(Options o) : opts_(o) {}

  // Before a call. kOpen: skip the buyer. kProbe: this call is the half-open probe.
  Gate admit(BuyerId buyer, UnixMs now);
  // After a call that was admitted: whether it opened the circuit (it was closed) or closed it
  // (buyer.paused / buyer.resumed with cause circuit_open, issue 18).
  enum class Change { kNone, kOpened, kClosed };
  Change record(BuyerId buyer, bool success, UnixMs now);
  State state(BuyerId buyer, UnixMs now);

  struct Snapshot {
    BuyerId buyer;
    State state;
    uint32_t consecutive_failures;
    uint64_t opened_total;
  };
  std::vector<Snapshot> snapshot(UnixMs now);

 private:
  struct Entry {
    uint32_t failures = 0;
    UnixMs open_until = 0;
    bool open = false;
    bool probing = false;
    uint64_t opened_total = 0;
  };
  Options opts_;
  std::mutex mu_;
  std::unordered_map<BuyerId, Entry> entries_;
};

}  // namespace pp::engine
