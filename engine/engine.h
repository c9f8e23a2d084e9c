#pragma once
// The lead lifecycle. Thin transport handlers (api/) call these coroutines; the engine decides,
// delivers through a buyers::Transport and persists through storage::Store.
//
// Thread safety: Engine is shared by every I/O thread. Its state is the atomically swapped
// configuration snapshot and atomic counters; a coroutine never holds a lock across co_await.
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "buyers/transport.h"
#include "core/lead.h"
#include "core/time.h"
#include "engine/auction.h"
#include "engine/buyer_state.h"
#include "engine/caps_ledger.h"
#include "engine/dedup.h"
#include "engine/health.h"
#include "engine/holds.h"
#include "engine/metrics.h"
#include "engine/rate_limiter.h"
#include "engine/request_guard.h"
#include "engine/snapshot.h"
#include "engine/timeline.h"
#include "routing/distribution.h"
#include "storage/store.h"

namespace pp::engine {

// What a supplier sent: every parameter of the body (JSON or form) and the query string, in order.
struct IntakeRequest {
  FieldList params;
  std::string body_hash;        // SHA-256 of what was sent (A7: identical payloads)
  std::string idempotency_key;  // the Idempotency-Key header, if any (at most 255 bytes)
};

// The answer to the supplier (A1).
struct IntakeResult {
  LeadStatus status = LeadStatus::kError;
  std::string lead_id;  // empty when nothing was stored (bad credentials, malformed)
  int code = 0;
  std::string message;
  Money payout;
  std::string redirect_url;
  int http_status = 200;  // 409 when an Idempotency-Key is reused with a different body
  int retry_after_s = 0;  // with 429 (rate limited): the answer's Retry-After
};

// The answer to a supplier's ping.
struct PingAnswer {
  LeadStatus status = LeadStatus::kError;  // ACCEPTED (bids), DUPLICATED (pre-ping), ERROR
  int code = 0;
  std::string message;
  std::string ping_id;    // empty when there is nothing to post
  int http_status = 200;  // 429 when the supplier is over its rate limit
  int retry_after_s = 0;
  Money offer;  // exclusive: the best bid after margin
  struct Offered {
    std::string bid_id;
    Money payout;
    std::string company_name;                                // one-to-one
    std::vector<std::pair<std::string, std::string>> extra;  // one-to-one: mapped data
  };
  std::vector<Offered> bids;  // shared / one-to-one: every offered bid
  bool shared = false;
  bool one_to_one = false;
  uint32_t expires_in_s = 0;
};

struct EngineCounters {
  uint64_t leads_received = 0;
  uint64_t leads_accepted = 0;
  uint64_t leads_stored = 0;
  uint64_t store_failures = 0;
  uint64_t buyer_calls = 0;
  int64_t in_flight = 0;
  uint64_t pings = 0;  // supplier pings to exchange / one-to-one campaigns
  uint64_t pings_with_bids = 0;
  uint64_t prepings = 0;  // pre-ping duplicate checks (A3)
  uint64_t prepings_accepted = 0;
};

class Engine {
 public:
  Engine(SnapshotPtr snapshot, storage::Store& store, const Clock& clock);

  // POST /direct_post for direct-post campaigns: authenticate, validate, deliver by waterfall,
  // settle, store durably, answer. Completes only after the lead is on disk (invariant 1).
  boost::asio::awaitable<IntakeResult> direct_post(IntakeRequest request,
                                                   buyers::Transport& transport);

  // POST /ping (A2): the ping fields only; pings every eligible buyer under the campaign's auction
  // deadline and answers with a ping id and the offer (exclusive) or every bid (shared). For a
  // direct-post campaign with a duplicate check, answers whether the lead would be a duplicate
  // (pre-ping, A3). Nothing is stored; the ping waits in memory for its post.
  boost::asio::awaitable<PingAnswer> ping(IntakeRequest request, buyers::Transport& transport);
  // POST /post (A2): the full lead with lp_ping_id (and lp_bid_id for shared sales); sells the
  // ping's auction. A ping id can be posted once, before it expires.
  boost::asio::awaitable<IntakeResult> post(IntakeRequest request, buyers::Transport& transport);

  // A stored lead or debug log; a read that fails (I/O error, corrupt record) says so instead of
  // passing for "not found".
  storage::Read<Lead> lookup_lead(std::string_view id) const;
  storage::Read<DebugLog> lookup_debug(std::string_view id) const;
  // The same, where absent and unreadable are one case (tests, tools).
  std::optional<Lead> find_lead(std::string_view id) const { return lookup_lead(id).value; }
  std::optional<DebugLog> find_debug(std::string_view id) const { return lookup_debug(id).value; }

  // POST /public/lead/return (F7): marks a sold lead and its buyer returned, durably. Shared leads
  // (sold to several buyers) and leads already returned are refused, as the reference does.
  enum class ReturnResult { kDone, kNotFound, kRefused, kNotSold, kFailed, kUnreadable };
  boost::asio::awaitable<ReturnResult> return_lead(std::string id, std::string reason);

  // pause_buyer / resume_buyer (F6): takes effect on the next lead, survives restarts.
  enum class PauseResult { kDone, kAlready, kNoCampaign, kNoBuyer, kFailed };
  PauseResult set_buyer_paused(CampaignId campaign, BuyerId buyer, bool paused);
  bool buyer_paused(const BuyerConfig& b) { return buyer_state_.paused(b); }
  // Committed use of a cap rule right now (campaign views).
  int64_t cap_used(CapOwner owner, int64_t id, bool budget, const CapRule& rule,
                   const TimeZone& tz);

  SnapshotPtr snapshot() const { return snapshot_.load(std::memory_order_acquire); }
  // Read side (reports): the store and the engine's clock.
  storage::Store& store() { return store_; }
  const Clock& clock() const { return clock_; }
  // Leads already in flight finish on the snapshot they started with.
  void swap_snapshot(SnapshotPtr next) {
    snapshot_.store(std::move(next), std::memory_order_release);
  }

  EngineCounters counters() const;
  // Circuit breaker state per buyer (metrics).
  std::vector<BuyerHealth::Snapshot> buyer_health() { return health_.snapshot(clock_.now_ms()); }
  int64_t in_flight() const { return in_flight_.load(); }
  // Request rate limits (server.rate_limits): per supplier here, per API token in the router.
  RateLimiter& rate_limiter() { return limits_; }
  // What leads in flight hold right now: cap units reserved, duplicate keys claimed, requests
  // claimed (all zero when nothing is in flight: nothing leaks).
  struct Held {
    int64_t cap_reserved = 0;
    size_t duplicate_claims = 0;
    size_t request_claims = 0;
  };
  Held held();
  // Tests only: fail leads at a stage (the hook throws). Set before traffic starts.
  void set_stage_fault(StageFault fault) { stage_fault_ = std::move(fault); }
  // Stage and buyer histograms and outcome counters (/metrics).
  const EngineMetrics& metrics() const { return metrics_; }

 private:
  // 429 for a supplier over server.rate_limits.supplier_per_s; nullopt when it may go on.
  std::optional<IntakeResult> supplier_rate_limited(const Config& cfg, const CampaignConfig& c,
                                                    const SupplierConfig& s);
  struct Delivery;  // per-lead delivery state (engine.cpp)
  // Counts a supplier request in flight for its lifetime (drain waits for zero).
  struct InFlight {
    explicit InFlight(std::atomic<int64_t>& n) : n_(n) { n_.fetch_add(1); }
    ~InFlight() { n_.fetch_sub(1); }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;
    std::atomic<int64_t>& n_;
  };
  boost::asio::awaitable<IntakeResult> deliver(IntakeRequest request, buyers::Transport& transport,
                                               bool from_ping);
  // The request guard step of deliver (engine.cpp): the keys claimed and their holds.
  struct RequestClaims {
    std::vector<std::pair<std::string, int64_t>> keys;  // key, window (ms)
    std::vector<RequestHold> held;
  };
  boost::asio::awaitable<std::optional<IntakeResult>> guard_request(
      const IntakeRequest& req, const SupplierConfig& supplier,
      std::chrono::steady_clock::time_point wait_until, RequestClaims& out);

  std::atomic<SnapshotPtr> snapshot_;
  storage::Store& store_;
  const Clock& clock_;
  CapLedger caps_;
  DedupTable dedup_;
  RequestGuard requests_;
  BuyerState buyer_state_;
  PingStore pings_;
  RateLimiter limits_;
  std::mutex returning_mu_;
  std::vector<std::string> returning_;  // leads being returned right now
  BuyerHealth health_;
  EngineMetrics metrics_;
  StageFault stage_fault_;
  // A stored lead's stage durations, buyer latencies and buyer outcomes into metrics_.
  void observe(const Lead& lead, const DebugLog& debug, bool pings_observed);
  std::mutex rotation_mu_;
  std::unordered_map<std::string, routing::RotationState> rotation_;  // "<campaign>/<group>"
  std::atomic<uint64_t> received_{0}, accepted_{0}, stored_{0}, store_failures_{0}, buyer_calls_{0};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<uint64_t> pings_received_{0}, pings_with_bids_{0}, prepings_{0},
      prepings_accepted_{0};
};

}  // namespace pp::engine
