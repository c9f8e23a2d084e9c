#pragma once
// The outbox's sender (issue 18): drains the deliveries storage keeps, on its own thread and
// io_context with its own outbound client, so that a slow or dead receiver never touches lead
// intake. What it keeps in memory is bounded by destinations and deliveries in flight: waiting
// deliveries stay on disk (storage's outbox family), found again by scanning each destination's
// schedule.
//
// Per destination (a webhook): at most max_in_flight attempts at once, a circuit breaker
// (outbox.breaker_failures consecutive failures open it for breaker_open_ms; then one probe). Per
// attempt: a deadline (the webhook's timeout_ms or outbox.attempt_timeout_ms, connect included),
// the outbound address rules (no private or metadata addresses unless allowed), no redirects
// followed (a 3xx is a failure, retried). A 2xx delivers; 410 Gone cancels the delivery and
// disables the webhook (on_gone); anything else is retried with exponential backoff and jitter
// until the delivery's give-up time (outbox.max_age_hours after the event), then it fails.
//
// Standard Webhooks 1.0 headers: webhook-id (the delivery id: the same on every attempt and
// replay, so receivers de-duplicate), webhook-timestamp (the attempt's, in seconds),
// webhook-signature ("v1,<base64>" for each of the webhook's secrets still valid).
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "buyers/transport.h"
#include "core/histogram.h"
#include "core/time.h"
#include "engine/snapshot.h"
#include "storage/store.h"

namespace pp::engine {

struct OutboxStats {
  uint64_t attempts = 0;
  uint64_t delivered = 0;
  uint64_t retried = 0;    // attempts that failed and were rescheduled
  uint64_t failed = 0;     // gave up
  uint64_t cancelled = 0;  // endpoint disabled or removed
  uint64_t in_flight = 0;
  uint64_t destinations = 0;  // with deliveries waiting or in flight
};

// What a "send to another campaign" delivery came to (the app runs it through the engine).
struct LeadResend {
  bool stored = false;     // the new lead was stored (whatever its status)
  bool permanent = false;  // refused for good (the campaign or supplier is gone)
  std::string error;
  std::string summary;  // "lead <id> ACCEPTED"
};

class OutboxSender {
 public:
  struct Options {
    // The sender's own outbound client (built on its thread's executor).
    std::function<std::unique_ptr<buyers::Transport>(boost::asio::any_io_executor)> transport;
    std::string user_agent = "pingpost/0.1";
    // The current configuration (webhooks, outbox settings) at each attempt.
    std::function<SnapshotPtr()> snapshot;
    // A receiver answered 410 Gone: disable the webhook (a configuration change). Runs on the
    // sender's thread.
    std::function<void(int64_t webhook_id, std::string reason)> on_gone;
    std::string signing_key;  // load_signing_key
    // A trigger's "send to another campaign" delivery (method LEAD): runs the lead through the
    // engine on the sender's thread, with its outbound client.
    std::function<boost::asio::awaitable<LeadResend>(const OutboxDelivery&, buyers::Transport&)>
        send_lead;
    std::string ca_file;  // extra trust anchors for the mail relay (outbound.ca_file)
  };

  OutboxSender(storage::Store& store, const Clock& clock, Options options);
  ~OutboxSender();
  OutboxSender(const OutboxSender&) = delete;
  OutboxSender& operator=(const OutboxSender&) = delete;

  // Starts the thread: reads every destination with deliveries waiting, then sends.
  void start();
  // Stops: no new attempts; those in flight get up to `grace` to finish (an attempt cut short is
  // sent again after the next start). Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(2));

  // A delivery was stored for `destination`, due at `due_ms` (storage's outbox listener).
  void notify(uint64_t destination, int64_t due_ms);

  // POST /admin/deliveries/{id}/replay: the delivery is sent again now (same webhook-id). A
  // finished delivery becomes pending with a new give-up time. 404-like false when it is unknown.
  enum class ReplayResult { kDone, kNotFound, kFailed };
  ReplayResult replay(std::string_view id);

  // A webhook's secret of `version` ("whsec_...", derived from the signing key).
  std::string secret(int64_t webhook_id, uint32_t version) const;

  OutboxStats stats() const;
  // Prometheus series (pingpost_outbox_*).
  void render_metrics(std::string& out) const;

  // The server's signing key (32 random bytes, kept in storage's state; created on first use).
  // Empty and `error` when storage fails.
  static std::string load_signing_key(storage::Store& store, std::string& error);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pp::engine
