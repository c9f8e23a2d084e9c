#pragma once
// The outbox's vocabulary (issue 18): the events pingpost tells other systems about, a delivery
// (one notification to one destination, with its attempts), the retry schedule and Standard
// Webhooks 1.0 signatures. Pure: storage keeps deliveries, the engine makes and sends them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace pp {

enum class EventType : uint8_t {
  kLeadAccepted,
  kLeadRejected,
  kLeadDuplicated,
  kLeadReturned,
  kBuyerPaused,
  kBuyerResumed,
  kCapReached,
  kConfigChanged,
  kAlertFired,
  kAlertResolved,
  kBatchCompleted,  // issue 19: a batch of uploaded leads went through
  kBatchFailed,
  kApprovalRequested,  // issue 20: a portal user asked for a change (pending an admin)
  kApprovalDecided,    // approved, denied, or cancelled by its requester
};
inline constexpr size_t kEventTypes = 14;
std::string_view to_string(EventType e);  // "lead.accepted", "buyer.paused", ...
bool parse_event_type(std::string_view s, EventType& out);
// A set of event types as bits (1 << type).
using EventMask = uint32_t;
inline constexpr EventMask event_bit(EventType e) { return EventMask(1) << unsigned(e); }
inline constexpr EventMask kAllEvents = (EventMask(1) << kEventTypes) - 1;

// Where a delivery came from; what it is sent to is its url (and, for a webhook, its signing
// secrets, looked up when each attempt is made so that a rotation applies to waiting deliveries).
// kNotice: a portal notice (issue 20: approval requests and decisions, low balance, returns,
// password resets), by email.
enum class DeliverySource : uint8_t { kWebhook, kTrigger, kPostback, kAlert, kNotice };
std::string_view to_string(DeliverySource s);  // "webhook", "trigger", "postback", "alert", "notice"

enum class DeliveryStatus : uint8_t {
  kPending,    // waiting for its next attempt (or in flight)
  kDelivered,  // a 2xx answer
  kFailed,     // retries ran out (max age), or an answer that retrying cannot change
  kCancelled,  // its endpoint was disabled (410 Gone, or by an operator) or removed
};
std::string_view to_string(DeliveryStatus s);  // "pending", "delivered", "failed", "cancelled"
bool parse_delivery_status(std::string_view s, DeliveryStatus& out);

// One attempt, as the delivery log shows it.
struct DeliveryAttempt {
  int64_t at_ms = 0;
  int32_t http_status = 0;  // 0: no answer
  std::string error;        // transport failure ("timeout", "connect_failed"), or empty
  int64_t latency_us = 0;
  std::string excerpt;  // the answer's first bytes (bounded)
};

// Attempts kept per delivery (the first and the latest ones: a delivery retried for 72 hours
// does not grow without bound).
inline constexpr size_t kAttemptsKept = 12;

struct OutboxDelivery {
  std::string id;  // "msg_" + 26 characters, sortable by creation time; the webhook-id
  int64_t created_ms = 0;
  DeliverySource source = DeliverySource::kWebhook;
  int64_t source_id = 0;     // the webhook's (or trigger's) id
  uint64_t destination = 0;  // concurrency and circuit-breaker key (destination_key)
  EventType event = EventType::kLeadAccepted;
  int64_t campaign_id = 0;
  std::string lead_id;
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  DeliveryStatus status = DeliveryStatus::kPending;
  int64_t next_attempt_ms = 0;  // when pending
  int64_t give_up_ms = 0;       // no attempt starts after this (created + max age)
  uint32_t attempt_count = 0;
  std::vector<DeliveryAttempt> attempts;  // the first and the latest kAttemptsKept
  int64_t finished_ms = 0;                // delivered, failed or cancelled at
  std::string reason;                     // why it failed or was cancelled

  // Records an attempt, keeping the first and the latest.
  void add_attempt(DeliveryAttempt a);
};

// A delivery id for `unix_ms`: "msg_", 7 characters of milliseconds and 19 random ones (the
// sortable alphabet of lead ids), so that byte order is creation order.
std::string delivery_id(int64_t unix_ms, uint64_t random_hi, uint64_t random_lo);
bool is_delivery_id(std::string_view id);
// The creation time a delivery id carries; -1 when it is not one.
int64_t delivery_id_time(std::string_view id);

// The destination key of a webhook or a trigger (its source and id: each has its own concurrency
// and circuit), or of a URL's scheme, host and port (postbacks to one server share them).
uint64_t destination_key(DeliverySource source, int64_t id);
uint64_t url_destination_key(std::string_view url);
// The webhook a destination key names (destination_key(kWebhook, id)), or 0 for any other key.
int64_t webhook_of_destination(uint64_t key);

// Retries: exponential backoff with jitter ("equal jitter"). The n-th retry (n >= 1) waits a
// uniform random time in [base * 2^(n-1) / 2, base * 2^(n-1)], capped at `max_ms`. `unit` in [0, 1)
// is the random draw (injected: tests are deterministic).
struct RetryPolicy {
  int64_t base_ms = 5000;                 // first retry after 2.5 to 5 s
  int64_t max_ms = 3'600'000;             // the longest wait between attempts: 1 hour
  int64_t max_age_ms = 72LL * 3'600'000;  // give up 72 hours after the event
};
int64_t retry_delay_ms(const RetryPolicy& p, uint32_t attempt, double unit);

// When a campaign trigger's actions run (B7): at once, after a minimum delay, at the opening of
// the next business day, or within a delivery window (business hours of business days), all in
// the campaign's zone. Blocked dates ("2026-12-25", local) are never business days.
struct TriggerTiming {
  enum class Mode : uint8_t { kImmediate, kDelay, kNextBusinessDay, kWindow };
  Mode mode = Mode::kImmediate;
  int64_t delay_ms = 0;          // kDelay; kWindow: the earliest time is now + delay
  uint8_t days = 0x3E;           // business days, bit (1 << weekday), 0 = Sunday: Monday to Friday
  uint16_t open_min = 9 * 60;    // the business day opens (local minutes after midnight)
  uint16_t close_min = 17 * 60;  // and closes (exclusive); must be after open_min
  std::vector<std::string> blocked_dates;
  bool delayed() const { return mode != Mode::kImmediate; }
};
// The instant (UTC) a trigger that fires at `now` runs, cut in zone `tz` (DST included: "09:00"
// is 09:00 local on either side of a change; an opening that does not exist that day is the
// transition). A schedule with no business day within a year runs at now + delay.
int64_t trigger_due(const TriggerTiming& t, const TimeZone& tz, int64_t now);
std::string_view to_string(TriggerTiming::Mode m);  // "immediate", "delay", ...
bool parse_trigger_timing_mode(std::string_view s, TriggerTiming::Mode& out);

// Standard Webhooks 1.0. A secret is "whsec_" + base64 of 24 to 64 random bytes; the key is those
// bytes. The signature of one secret is "v1," + base64(HMAC-SHA256(key, id + "." + timestamp +
// "." + body)); the header lists one per valid secret, separated by spaces.
// The key bytes of a secret, or nullopt when it is not "whsec_<base64>" of 24 to 64 bytes.
std::optional<std::string> webhook_secret_key(std::string_view secret);
// A webhook's secret: derived from the server's signing key (32 random bytes kept in storage) and
// the webhook's id and secret version, so that no secret is written in the configuration.
std::string webhook_secret(std::string_view signing_key, int64_t webhook_id, uint32_t version);
std::string webhook_signature(std::string_view key, std::string_view id, int64_t timestamp_s,
                              std::string_view body);

}  // namespace pp
