#include "storage/codec.h"

#include <cstdint>

namespace pp::storage {

namespace {

// Version 2 adds the buyer outcome's kept values and price_missing flag; version 1 records (round
// 1) still decode, without them. Version 3 adds the prepaid client a sale charged (issue 20).
constexpr uint8_t kLeadVersion = 3;
// Version 2 adds the timeline (stages, configuration version) and each buyer's rank.
constexpr uint8_t kDebugVersion = 3;  // 3: compliance checks (issue 17)

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(char(v)); }
  void var(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(char((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out_.push_back(char(v));
  }
  void i64(int64_t v) { var((uint64_t(v) << 1) ^ uint64_t(v >> 63)); }  // zigzag
  void str(std::string_view s) {
    var(s.size());
    out_.append(s);
  }
  void b(bool v) { u8(v ? 1 : 0); }
  void pairs(const std::vector<std::pair<std::string, std::string>>& p) {
    var(p.size());
    for (const auto& [k, v] : p) {
      str(k);
      str(v);
    }
  }

 private:
  std::string& out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return pos_ == in_.size(); }
  uint8_t u8() {
    if (pos_ >= in_.size()) return fail(), 0;
    return uint8_t(in_[pos_++]);
  }
  uint64_t var() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return fail(), 0;
      auto c = uint8_t(in_[pos_++]);
      v |= uint64_t(c & 0x7F) << shift;
      if ((c & 0x80) == 0) return v;
    }
    return fail(), 0;
  }
  int64_t i64() {
    uint64_t z = var();
    return int64_t((z >> 1) ^ (~(z & 1) + 1));
  }
  bool b() { return u8() != 0; }
  std::string str() {
    uint64_t n = var();
    if (!ok_ || n > in_.size() - pos_) return fail(), std::string();
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  // A count of items each taking at least one byte: bounded by what remains.
  uint64_t count() {
    uint64_t n = var();
    if (n > in_.size() - pos_) return fail(), 0;
    return n;
  }
  std::vector<std::pair<std::string, std::string>> pairs() {
    std::vector<std::pair<std::string, std::string>> p;
    uint64_t n = count();
    p.reserve(n);
    for (uint64_t i = 0; i < n && ok_; ++i) {
      std::string k = str();
      std::string v = str();
      p.emplace_back(std::move(k), std::move(v));
    }
    return p;
  }

 private:
  void fail() { ok_ = false; }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

void write_http(Writer& w, const HttpExchangeLog& h) {
  w.str(h.url);
  w.str(h.method);
  w.str(h.payload);
  w.str(h.response);
  w.i64(h.http_status);
  w.i64(h.exec_time_us);
  w.pairs(h.request_headers);
  w.pairs(h.response_headers);
  w.str(h.transport_error);
}

void write_checks(Writer& w, const std::vector<CheckRecord>& checks) {
  w.var(checks.size());
  for (const auto& c : checks) {
    w.str(c.name);
    w.str(c.provider);
    w.str(c.type);
    w.u8(uint8_t(c.status));
    w.u8(uint8_t((c.error_passed ? 1 : 0) | (c.cached ? 2 : 0) | (c.async ? 4 : 0)));
    w.i64(c.buyer_id);
    w.str(c.reason);
    w.i64(c.duration_us);
    w.pairs(c.values);
    w.b(c.exchange.has_value());
    if (c.exchange) write_http(w, *c.exchange);
  }
}

HttpExchangeLog read_http(Reader& r);

bool read_checks(Reader& r, std::vector<CheckRecord>& out) {
  uint64_t n = r.count();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    CheckRecord c;
    c.name = r.str();
    c.provider = r.str();
    c.type = r.str();
    uint8_t st = r.u8();
    if (st > uint8_t(CheckStatus::kSkipped)) return false;
    c.status = CheckStatus(st);
    uint8_t flags = r.u8();
    c.error_passed = flags & 1;
    c.cached = flags & 2;
    c.async = flags & 4;
    c.buyer_id = r.i64();
    c.reason = r.str();
    c.duration_us = r.i64();
    c.values = r.pairs();
    if (r.b()) c.exchange = read_http(r);
    out.push_back(std::move(c));
  }
  return r.ok();
}

HttpExchangeLog read_http(Reader& r) {
  HttpExchangeLog h;
  h.url = r.str();
  h.method = r.str();
  h.payload = r.str();
  h.response = r.str();
  h.http_status = int(r.i64());
  h.exec_time_us = r.i64();
  h.request_headers = r.pairs();
  h.response_headers = r.pairs();
  h.transport_error = r.str();
  return h;
}

}  // namespace

std::string encode_lead(const Lead& l) {
  std::string out;
  out.reserve(512);
  Writer w(out);
  w.u8(kLeadVersion);
  w.str(l.id);
  w.str(l.request_uuid);
  w.i64(l.created_ms);
  w.i64(l.campaign_id);
  w.i64(l.supplier_id);
  w.u8(uint8_t(l.status));
  w.i64(l.error_code);
  w.str(l.error_message);
  w.str(l.validation_error_provider);
  w.str(l.validation_error_description);
  w.b(l.test);
  w.i64(l.cost.units());
  w.i64(l.revenue.units());
  w.b(l.returned);
  w.str(l.return_reason);
  w.var(l.tags.size());
  for (const auto& t : l.tags) w.str(t);
  w.pairs(l.fields);
  w.var(l.buyers.size());
  for (const auto& b : l.buyers) {
    w.i64(b.buyer_id);
    w.u8(uint8_t(b.status));
    w.i64(b.error_code);
    w.str(b.error_message);
    w.i64(b.sell_price.units());
    w.b(b.returned);
    w.str(b.return_reason);
    w.str(b.buyer_lead_id);
    w.i64(b.exec_time_us);
    w.pairs(b.kept);
    w.b(b.price_missing);
    w.i64(b.charged_client);
  }
  w.str(l.redirect_url);
  w.i64(l.exec_time_us);
  return out;
}

std::optional<Lead> decode_lead(std::string_view bytes) {
  Reader r(bytes);
  const uint8_t version = r.u8();
  if (version < 1 || version > kLeadVersion) return std::nullopt;
  Lead l;
  l.id = r.str();
  l.request_uuid = r.str();
  l.created_ms = r.i64();
  l.campaign_id = r.i64();
  l.supplier_id = r.i64();
  uint8_t st = r.u8();
  if (st > uint8_t(LeadStatus::kError)) return std::nullopt;
  l.status = LeadStatus(st);
  l.error_code = int(r.i64());
  l.error_message = r.str();
  l.validation_error_provider = r.str();
  l.validation_error_description = r.str();
  l.test = r.b();
  l.cost = Money::from_units(r.i64());
  l.revenue = Money::from_units(r.i64());
  l.returned = r.b();
  l.return_reason = r.str();
  uint64_t nt = r.count();
  for (uint64_t i = 0; i < nt && r.ok(); ++i) l.tags.push_back(r.str());
  l.fields = r.pairs();
  uint64_t nb = r.count();
  for (uint64_t i = 0; i < nb && r.ok(); ++i) {
    BuyerOutcome b;
    b.buyer_id = r.i64();
    uint8_t bs = r.u8();
    if (bs > uint8_t(BuyerStatus::kOutbid)) return std::nullopt;
    b.status = BuyerStatus(bs);
    b.error_code = int(r.i64());
    b.error_message = r.str();
    b.sell_price = Money::from_units(r.i64());
    b.returned = r.b();
    b.return_reason = r.str();
    b.buyer_lead_id = r.str();
    b.exec_time_us = r.i64();
    if (version >= 2) {
      b.kept = r.pairs();
      b.price_missing = r.b();
    }
    if (version >= 3) b.charged_client = r.i64();
    l.buyers.push_back(std::move(b));
  }
  l.redirect_url = r.str();
  l.exec_time_us = r.i64();
  if (!r.ok() || !r.done()) return std::nullopt;
  return l;
}

std::string encode_debug(const DebugLog& d) {
  std::string out;
  Writer w(out);
  w.u8(kDebugVersion);
  w.str(d.lead_id);
  w.var(d.buyers.size());
  for (const auto& b : d.buyers) {
    w.i64(b.buyer_id);
    w.u8(uint8_t(b.type));
    w.b(b.has_bid);
    w.i64(b.bid_raw.units());
    w.i64(b.bid_adjusted.units());
    w.b(b.ping.has_value());
    if (b.ping) write_http(w, *b.ping);
    w.b(b.post.has_value());
    if (b.post) write_http(w, *b.post);
    w.str(b.decision);
    w.i64(b.rank);
  }
  w.var(d.stages.size());
  for (const auto& st : d.stages) {
    w.str(st.stage);
    w.u8(uint8_t(st.verdict));
    w.str(st.reason);
    w.i64(st.duration_us);
  }
  w.var(d.config_version);
  write_checks(w, d.checks);
  return out;
}

std::string encode_checks(const std::vector<CheckRecord>& checks) {
  std::string out;
  Writer w(out);
  w.u8(1);
  write_checks(w, checks);
  return out;
}

std::optional<std::vector<CheckRecord>> decode_checks(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != 1) return std::nullopt;
  std::vector<CheckRecord> out;
  if (!read_checks(r, out) || !r.ok() || !r.done()) return std::nullopt;
  return out;
}

std::optional<DebugLog> decode_debug(std::string_view bytes) {
  Reader r(bytes);
  const uint8_t version = r.u8();
  if (version < 1 || version > kDebugVersion) return std::nullopt;
  DebugLog d;
  d.lead_id = r.str();
  uint64_t n = r.count();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    BuyerDebug b;
    b.buyer_id = r.i64();
    uint8_t t = r.u8();
    if (t > uint8_t(DeliveryType::kIncomplete)) return std::nullopt;
    b.type = DeliveryType(t);
    b.has_bid = r.b();
    b.bid_raw = Money::from_units(r.i64());
    b.bid_adjusted = Money::from_units(r.i64());
    if (r.b()) b.ping = read_http(r);
    if (r.b()) b.post = read_http(r);
    b.decision = r.str();
    if (version >= 2) b.rank = int(r.i64());
    d.buyers.push_back(std::move(b));
  }
  if (version >= 2) {
    uint64_t ns = r.count();
    for (uint64_t i = 0; i < ns && r.ok(); ++i) {
      StageRecord st;
      st.stage = r.str();
      uint8_t v = r.u8();
      if (v > uint8_t(StageVerdict::kRefuse)) return std::nullopt;
      st.verdict = StageVerdict(v);
      st.reason = r.str();
      st.duration_us = r.i64();
      d.stages.push_back(std::move(st));
    }
    d.config_version = r.var();
  }
  if (version >= 3 && !read_checks(r, d.checks)) return std::nullopt;
  if (!r.ok() || !r.done()) return std::nullopt;
  return d;
}

namespace {
constexpr uint8_t kDeliveryVersion = 1;
}

std::string encode_delivery(const OutboxDelivery& d) {
  std::string out;
  out.reserve(96 + d.url.size() + d.body.size());
  Writer w(out);
  w.u8(uint8_t(d.status));
  w.u8(kDeliveryVersion);
  w.str(d.id);
  w.i64(d.created_ms);
  w.u8(uint8_t(d.source));
  w.i64(d.source_id);
  w.var(d.destination);
  w.u8(uint8_t(d.event));
  w.i64(d.campaign_id);
  w.str(d.lead_id);
  w.str(d.method);
  w.str(d.url);
  w.pairs(d.headers);
  w.str(d.body);
  w.i64(d.next_attempt_ms);
  w.i64(d.give_up_ms);
  w.var(d.attempt_count);
  w.var(d.attempts.size());
  for (const auto& a : d.attempts) {
    w.i64(a.at_ms);
    w.i64(a.http_status);
    w.str(a.error);
    w.i64(a.latency_us);
    w.str(a.excerpt);
  }
  w.i64(d.finished_ms);
  w.str(d.reason);
  return out;
}

std::optional<OutboxDelivery> decode_delivery(std::string_view bytes) {
  Reader r(bytes);
  OutboxDelivery d;
  const uint8_t status = r.u8();
  if (r.u8() != kDeliveryVersion || status > uint8_t(DeliveryStatus::kCancelled))
    return std::nullopt;
  d.status = DeliveryStatus(status);
  d.id = r.str();
  d.created_ms = r.i64();
  const uint8_t source = r.u8();
  if (source > uint8_t(DeliverySource::kNotice)) return std::nullopt;
  d.source = DeliverySource(source);
  d.source_id = r.i64();
  d.destination = r.var();
  const uint8_t event = r.u8();
  if (event >= kEventTypes) return std::nullopt;
  d.event = EventType(event);
  d.campaign_id = r.i64();
  d.lead_id = r.str();
  d.method = r.str();
  d.url = r.str();
  d.headers = r.pairs();
  d.body = r.str();
  d.next_attempt_ms = r.i64();
  d.give_up_ms = r.i64();
  d.attempt_count = uint32_t(r.var());
  const uint64_t n = r.count();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    DeliveryAttempt a;
    a.at_ms = r.i64();
    a.http_status = int32_t(r.i64());
    a.error = r.str();
    a.latency_us = r.i64();
    a.excerpt = r.str();
    d.attempts.push_back(std::move(a));
  }
  d.finished_ms = r.i64();
  d.reason = r.str();
  if (!r.ok() || !r.done()) return std::nullopt;
  return d;
}

}  // namespace pp::storage
