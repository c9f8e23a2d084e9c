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
#include "engine/engine_state.h"
#include "engine/intake.h"
#include "engine/outbox_sender.h"
#include "engine/plan.h"
#include "engine/snapshot.h"
#include "storage/store.h"

namespace pp::engine {

struct LeadRun;

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

  // A lead the engine sends itself into a direct-post or exchange campaign (a trigger's "send to
  // another campaign", issue 18): as direct_post, without the supplier's key (req.internal).
  boost::asio::awaitable<IntakeResult> resend(IntakeRequest request, buyers::Transport& transport);
  // The outbox's "send to another campaign" delivery (made by add_lead_actions): its lead, as a
  // new lead of the target campaign tagged "from:<lead id>" (and "delayed_lead" when delayed).
  boost::asio::awaitable<LeadResend> resend_delivery(OutboxDelivery delivery,
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

  // Committed use of a cap rule right now (campaign views).
  int64_t cap_used(CapOwner owner, int64_t id, bool budget, const CapRule& rule,
                   const TimeZone& tz);

  SnapshotPtr snapshot() const {
    std::lock_guard lk(snapshot_mu_);
    return snapshot_;
  }
  // Read side (reports): the store and the engine's clock.
  storage::Store& store() { return st_.store; }
  const Clock& clock() const { return st_.clock; }
  // Leads already in flight finish on the snapshot they started with.
  void swap_snapshot(SnapshotPtr next) {
    {
      std::lock_guard lk(snapshot_mu_);
      snapshot_.swap(next);
    }
    // `next` now holds the previous snapshot: released here, outside the lock (the last lead on
    // a large configuration may be the one that frees it).
  }

  EngineCounters counters() const;
  // Circuit breaker state per buyer (metrics).
  std::vector<BuyerHealth::Snapshot> buyer_health() {
    return st_.health.snapshot(st_.clock.now_ms());
  }
  int64_t in_flight() const { return st_.in_flight.load(); }
  // Suppression lists' entries (issue 17; their identities are the configuration's).
  SuppressionLists& lists() { return st_.lists; }
  // Sliding-window figures for alert rules (issue 18).
  AlertMonitor& alerts() { return st_.alerts; }
  // Request rate limits (server.rate_limits): per supplier here, per API token in the router.
  RateLimiter& rate_limiter() { return st_.limits; }
  // Prepaid balances (issue 20): what leads hold and what is committed.
  BalanceLedger& balances() { return st_.balances; }
  // Told (on the lead's thread, after its durable write) when a sale leaves a client whose billing
  // recharges itself below its recharge threshold (engine/recharge.h). Set once, before traffic;
  // must not block.
  void set_low_balance_listener(std::function<void(ClientId)> fn) { low_balance_ = std::move(fn); }
  // Credits a prepaid client's balance (a deposit: its postings, and buyer.resumed for each of its
  // buyers when it lifts the balance above the minimum, in one durable write). `fee` is charged on
  // top (to the fees account). The deposit's id, or a refusal: 404 no such client, 409 billing
  // mode none, 400 below the minimum deposit or not positive, 503 not stored.
  struct DepositResult {
    int http_status = 201;
    std::string message;
    std::string id;
    bool resumed = false;
  };
  // `once_key` (a charge's idempotency key): a deposit made before under the same key is not
  // credited again; its id comes back with 200.
  // Why a deposit of `amount` to `client` cannot be made (404, 409, 400), or nullopt: what
  // deposit() refuses, asked by a charge before the card is charged.
  static std::optional<DepositResult> refuse_deposit(const Config& cfg, ClientId client,
                                                     Money amount);
  DepositResult deposit(ClientId client, Money amount, Money fee, std::string_view kind,
                        std::string_view note, std::string_view once_key = {});
  // What leads in flight hold right now: cap units reserved, duplicate keys claimed, requests
  // claimed (all zero when nothing is in flight: nothing leaks).
  struct Held {
    int64_t cap_reserved = 0;
    int64_t balance_reserved = 0;  // prepaid balances held by leads in flight (issue 20)
    size_t duplicate_claims = 0;
    size_t request_claims = 0;
  };
  Held held();
  // Tests only: fail leads at a stage (the hook throws). Set before traffic starts.
  void set_stage_fault(StageFault fault) { st_.stage_fault = std::move(fault); }
  // Stage and buyer histograms and outcome counters (/metrics).
  const EngineMetrics& metrics() const { return st_.metrics; }

 private:
  // Counts a supplier request in flight for its lifetime (drain waits for zero).
  struct InFlight {
    explicit InFlight(std::atomic<int64_t>& n) : n_(n) { n_.fetch_add(1); }
    ~InFlight() { n_.fetch_sub(1); }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;
    std::atomic<int64_t>& n_;
  };
  // A direct post or the post of a ping: authenticate, the campaign's plan, store, answer.
  boost::asio::awaitable<IntakeResult> deliver(IntakeRequest request, buyers::Transport& transport,
                                               LeadMode mode);
  // The first stage, before any plan (it chooses the plan): the request's campaign and supplier
  // by the current configuration, with the supplier's key, on an endpoint the campaign's type
  // takes. Nothing is stored for a request we cannot attribute.
  std::optional<IntakeResult> authenticate(LeadRun& run);
  // The last: the lead, its timeline and what it holds, durably in one write; then the answer.
  boost::asio::awaitable<IntakeResult> store_lead(LeadRun& run);
  // The lead's notifications (webhooks wanting its events, issue 18) into its write.
  void add_lead_events(LeadRun& run, const Config& cfg, UnixMs now);
  // The lead's async checks (issue 17), after it was stored and answered: run, then recorded
  // beside its debug log. Counted in flight, so a drain waits for them (each has its timeout).
  boost::asio::awaitable<void> run_late_checks(
      Lead lead, SnapshotPtr snap, const CampaignConfig* campaign,
      std::vector<std::pair<const CompiledCheck*, BuyerId>> checks, buyers::Transport& transport);
  // A stored lead's stage durations, buyer latencies and buyer outcomes into the metrics.
  void observe(const Lead& lead, const DebugLog& debug, bool pings_observed);

  // The current configuration. A mutex, not std::atomic<shared_ptr>: libstdc++ 12 implements
  // that with a lock bit ThreadSanitizer cannot see (it reported the 200-changes test); the
  // critical sections are a pointer copy.
  mutable std::mutex snapshot_mu_;
  SnapshotPtr snapshot_;
  EngineState st_;
  std::function<void(ClientId)> low_balance_;
  std::mutex returning_mu_;
  std::vector<std::string> returning_;  // leads being returned right now
};

}  // namespace pp::engine
