#pragma once
// What the engine shares between leads in flight: its ledgers (caps, duplicate claims, request
// claims), the live buyer state (circuit breakers, rotations), the supplier pings waiting
// for their posts, rate limits, metrics and counters. The stages of a lead (engine/pipeline.h)
// read and change it; Engine owns one and is its facade. Every part is thread-safe on its own;
// nothing here is held across an await.
#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/time.h"
#include "engine/alerts.h"
#include "engine/auction.h"
#include "engine/balances.h"
#include "engine/caps_ledger.h"
#include "engine/checks.h"
#include "engine/dedup.h"
#include "engine/health.h"
#include "engine/lists.h"
#include "engine/metrics.h"
#include "engine/rate_limiter.h"
#include "engine/request_guard.h"
#include "engine/timeline.h"
#include "routing/distribution.h"
#include "storage/store.h"

namespace pp::engine {

struct EngineState {
  EngineState(storage::Store& s, const Clock& c, BuyerHealth::Options breaker)
      : store(s),
        clock(c),
        caps(s),
        balances(s),
        dedup(s),
        requests(s),
        health(breaker),
        lists(s) {}

  storage::Store& store;
  const Clock& clock;
  CapLedger caps;
  BalanceLedger balances;  // issue 20: prepaid clients
  DedupTable dedup;
  RequestGuard requests;
  PingStore pings;
  RateLimiter limits;
  BuyerHealth health;
  EngineMetrics metrics;
  SuppressionLists lists;  // issue 17
  AlertMonitor alerts;     // issue 18
  CheckCache check_cache;
  StageFault stage_fault;  // tests only

  std::mutex rotation_mu;
  std::unordered_map<std::string, routing::RotationState> rotation;  // "<campaign>/<group>"

  std::atomic<uint64_t> received{0}, accepted{0}, stored{0}, store_failures{0}, buyer_calls{0};
  std::atomic<int64_t> in_flight{0};
  std::atomic<uint64_t> pings_received{0}, pings_with_bids{0}, prepings{0}, prepings_accepted{0};
};

}  // namespace pp::engine
