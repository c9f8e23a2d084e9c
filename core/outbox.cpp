#include "core/outbox.h"

#include <algorithm>
#include <cmath>

#include "core/enum_names.h"
#include "core/hash.h"
#include "core/ids.h"

namespace pp {

namespace {
constexpr EnumNames<EventType, kEventTypes> kEventNames{{
    {EventType::kLeadAccepted, "lead.accepted"},
    {EventType::kLeadRejected, "lead.rejected"},
    {EventType::kLeadDuplicated, "lead.duplicated"},
    {EventType::kLeadReturned, "lead.returned"},
    {EventType::kBuyerPaused, "buyer.paused"},
    {EventType::kBuyerResumed, "buyer.resumed"},
    {EventType::kCapReached, "cap.reached"},
    {EventType::kConfigChanged, "config.changed"},
    {EventType::kAlertFired, "alert.fired"},
    {EventType::kAlertResolved, "alert.resolved"},
    {EventType::kBatchCompleted, "batch.completed"},
    {EventType::kBatchFailed, "batch.failed"},
    {EventType::kApprovalRequested, "approval.requested"},
    {EventType::kApprovalDecided, "approval.decided"},
}};
constexpr EnumNames<DeliverySource, 5> kSourceNames{{
    {DeliverySource::kWebhook, "webhook"},
    {DeliverySource::kTrigger, "trigger"},
    {DeliverySource::kPostback, "postback"},
    {DeliverySource::kAlert, "alert"},
    {DeliverySource::kNotice, "notice"},
}};
constexpr EnumNames<DeliveryStatus, 4> kStatusNames{{
    {DeliveryStatus::kPending, "pending"},
    {DeliveryStatus::kDelivered, "delivered"},
    {DeliveryStatus::kFailed, "failed"},
    {DeliveryStatus::kCancelled, "cancelled"},
}};
constexpr EnumNames<TriggerTiming::Mode, 4> kTimingNames{{
    {TriggerTiming::Mode::kImmediate, "immediate"},
    {TriggerTiming::Mode::kDelay, "delay"},
    {TriggerTiming::Mode::kNextBusinessDay, "next_business_day"},
    {TriggerTiming::Mode::kWindow, "window"},
}};
constexpr std::string_view kIdPrefix = "msg_";
constexpr size_t kIdLength = 4 + 7 + 19;

// FNV-1a, 64 bits: a stable key (stored in schedule keys: it must not change between releases).
uint64_t fnv1a(std::string_view s, uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}
}  // namespace

std::string_view to_string(EventType e) { return enum_name(kEventNames, e); }
bool parse_event_type(std::string_view s, EventType& out) {
  return parse_enum(kEventNames, s, out);
}
std::string_view to_string(DeliverySource s) { return enum_name(kSourceNames, s); }
std::string_view to_string(DeliveryStatus s) { return enum_name(kStatusNames, s); }
bool parse_delivery_status(std::string_view s, DeliveryStatus& out) {
  return parse_enum(kStatusNames, s, out);
}

std::string_view to_string(TriggerTiming::Mode m) { return enum_name(kTimingNames, m); }
bool parse_trigger_timing_mode(std::string_view s, TriggerTiming::Mode& out) {
  return parse_enum(kTimingNames, s, out);
}

int64_t trigger_due(const TriggerTiming& t, const TimeZone& tz, int64_t now) {
  using Mode = TriggerTiming::Mode;
  const int64_t earliest = now + (t.mode == Mode::kNextBusinessDay ? 0 : t.delay_ms);
  if (t.mode == Mode::kImmediate || t.mode == Mode::kDelay) return earliest;
  // Day by day in the zone, from the earliest instant's local day (the next one for
  // next_business_day): the first business day's opening, or for a window the earliest instant
  // itself when it falls inside that day's hours.
  UnixMs day = period_start(tz, CalendarPeriod::kDay, earliest);
  if (t.mode == Mode::kNextBusinessDay) day = period_end(tz, CalendarPeriod::kDay, earliest);
  for (int i = 0; i < 400; ++i, day = period_end(tz, CalendarPeriod::kDay, day)) {
    const std::string date = format_local_date(tz, day);  // "2026-11-27"
    if (!(t.days & (1u << local_weekday(tz, day)))) continue;
    if (std::find(t.blocked_dates.begin(), t.blocked_dates.end(), date) != t.blocked_dates.end())
      continue;
    const int year = std::stoi(date.substr(0, 4));
    const unsigned month = unsigned(std::stoi(date.substr(5, 2)));
    const unsigned mday = unsigned(std::stoi(date.substr(8, 2)));
    UnixMs open = 0, close = 0;
    if (!local_to_utc(tz, year, month, mday, t.open_min / 60, t.open_min % 60, 0, open)) continue;
    if (t.mode == Mode::kNextBusinessDay) return open;
    if (t.close_min >= 24 * 60) {
      close = period_end(tz, CalendarPeriod::kDay, day);
    } else if (!local_to_utc(tz, year, month, mday, t.close_min / 60, t.close_min % 60, 0, close)) {
      continue;
    }
    if (earliest < open) return open;
    if (earliest < close) return earliest;
  }
  return earliest;
}

void OutboxDelivery::add_attempt(DeliveryAttempt a) {
  ++attempt_count;
  if (attempts.size() >= kAttemptsKept) attempts.erase(attempts.begin() + 1);  // keep the first
  attempts.push_back(std::move(a));
}

std::string delivery_id(int64_t unix_ms, uint64_t random_hi, uint64_t random_lo) {
  std::string out(kIdPrefix);
  out.resize(kIdLength, '-');
  uint64_t t = uint64_t(unix_ms) & ((uint64_t(1) << 42) - 1);
  for (int i = 6; i >= 0; --i) {
    out[4 + size_t(i)] = kSortableAlphabet[t & 63];
    t >>= 6;
  }
  for (size_t i = 11; i < kIdLength; ++i) {
    uint64_t& r = i < 21 ? random_hi : random_lo;
    out[i] = kSortableAlphabet[r & 63];
    r >>= 6;
  }
  return out;
}

bool is_delivery_id(std::string_view id) {
  if (id.size() != kIdLength || id.substr(0, 4) != kIdPrefix) return false;
  for (char c : id.substr(4))
    if (kSortableAlphabet.find(c) == std::string_view::npos) return false;
  return true;
}

int64_t delivery_id_time(std::string_view id) {
  if (!is_delivery_id(id)) return -1;
  int64_t t = 0;
  for (size_t i = 4; i < 11; ++i) t = (t << 6) | int64_t(kSortableAlphabet.find(id[i]));
  return t;
}

uint64_t destination_key(DeliverySource source, int64_t id) {
  return (uint64_t(source) + 1) << 56 | (uint64_t(id) & ((uint64_t(1) << 56) - 1));
}

int64_t webhook_of_destination(uint64_t key) {
  if ((key >> 56) != uint64_t(DeliverySource::kWebhook) + 1) return 0;
  return int64_t(key & ((uint64_t(1) << 56) - 1));
}

uint64_t url_destination_key(std::string_view url) {
  // scheme://host[:port] — the part before the path, lower-cased.
  size_t scheme_end = url.find("://");
  size_t host_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  size_t end = url.find_first_of("/?#", host_start);
  std::string origin(url.substr(0, end));
  for (char& c : origin) c = char(std::tolower(static_cast<unsigned char>(c)));
  // The top byte says "a URL" (0xff): never equal to a source's key.
  return (uint64_t(0xff) << 56) | (fnv1a(origin) & ((uint64_t(1) << 56) - 1));
}

int64_t retry_delay_ms(const RetryPolicy& p, uint32_t attempt, double unit) {
  if (attempt == 0) return 0;
  const uint32_t shift = std::min<uint32_t>(attempt - 1, 40);
  const double ceiling =
      std::min<double>(double(p.base_ms) * std::ldexp(1.0, int(shift)), double(p.max_ms));
  unit = std::clamp(unit, 0.0, 1.0);
  return int64_t(ceiling / 2 + unit * ceiling / 2);
}

std::string webhook_secret(std::string_view signing_key, int64_t webhook_id, uint32_t version) {
  const std::string label =
      "pingpost webhook " + std::to_string(webhook_id) + " secret " + std::to_string(version);
  return "whsec_" + base64_encode(hmac_sha256(signing_key, label));
}

std::optional<std::string> webhook_secret_key(std::string_view secret) {
  constexpr std::string_view kPrefix = "whsec_";
  if (secret.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::string key;
  if (!base64_decode(secret.substr(kPrefix.size()), key)) return std::nullopt;
  if (key.size() < 24 || key.size() > 64) return std::nullopt;
  return key;
}

std::string webhook_signature(std::string_view key, std::string_view id, int64_t timestamp_s,
                              std::string_view body) {
  std::string content;
  content.reserve(id.size() + body.size() + 24);
  content.append(id).append(".").append(std::to_string(timestamp_s)).append(".").append(body);
  return "v1," + base64_encode(hmac_sha256(key, content));
}

}  // namespace pp
