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
}};
constexpr EnumNames<DeliverySource, 3> kSourceNames{{
    {DeliverySource::kWebhook, "webhook"},
    {DeliverySource::kTrigger, "trigger"},
    {DeliverySource::kPostback, "postback"},
}};
constexpr EnumNames<DeliveryStatus, 4> kStatusNames{{
    {DeliveryStatus::kPending, "pending"},
    {DeliveryStatus::kDelivered, "delivered"},
    {DeliveryStatus::kFailed, "failed"},
    {DeliveryStatus::kCancelled, "cancelled"},
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
