#include "engine/alerts.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <cmath>

#include "core/codes.h"
#include "core/json_writer.h"
#include "engine/events.h"

namespace pp::engine {

namespace {

int64_t minute_of(UnixMs t) { return t >= 0 ? t / 60000 : -((-t + 59999) / 60000); }

size_t latency_bucket(int64_t us) {
  const auto& b = Histogram::kBoundsUs;
  for (size_t i = 0; i < b.size(); ++i)
    if (us <= b[i]) return i;
  return b.size();
}

const BuyerDebug* debug_of(const DebugLog& debug, BuyerId buyer) {
  for (const auto& d : debug.buyers)
    if (d.buyer_id == buyer) return &d;
  return nullptr;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s(buf);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

bool AlertMonitor::watched(const Config& cfg, AlertRule::Scope s, int64_t id) {
  for (const AlertRule& r : cfg.alerts)
    if (r.enabled && r.scope == s && r.scope_id == id) return true;
  return false;
}

void AlertMonitor::observe(const Config& cfg, const Lead& lead, const DebugLog& debug, UnixMs now) {
  if (cfg.alerts.empty()) return;
  const int64_t minute = minute_of(now);
  std::lock_guard lk(mu_);
  for (auto [scope, id] : {std::pair{AlertRule::Scope::kCampaign, lead.campaign_id},
                           std::pair{AlertRule::Scope::kSupplier, lead.supplier_id}}) {
    if (!watched(cfg, scope, id)) continue;
    Series& s = series_[{scope, id}];
    Bucket& b = s.at(minute);
    ++b.leads;
    if (lead.status == LeadStatus::kError) ++b.errors;
    if (lead.status == LeadStatus::kDuplicated) ++b.duplicates;
    if (lead.status == LeadStatus::kAccepted) ++b.accepted;
    s.last_lead_ms = std::max(s.last_lead_ms, now);
  }
  for (const BuyerOutcome& o : lead.buyers) {
    if (!watched(cfg, AlertRule::Scope::kBuyer, o.buyer_id)) continue;
    const BuyerDebug* d = debug_of(debug, o.buyer_id);
    const HttpExchangeLog* call = d ? (d->post   ? &*d->post
                                       : d->ping ? &*d->ping
                                                 : nullptr)
                                    : nullptr;
    if (call == nullptr) continue;  // never called (filtered, capped, skipped)
    Bucket& b = series_[{AlertRule::Scope::kBuyer, o.buyer_id}].at(minute);
    ++b.calls;
    if (o.error_code == code_int(Code::kBuyerTimeout) ||
        o.error_code == code_int(Code::kPingTimeout))
      ++b.timeouts;
    if (o.status == BuyerStatus::kAccepted) ++b.sold;
    ++b.latency[latency_bucket(call->exec_time_us)];
  }
}

AlertMonitor::Reading AlertMonitor::read(const AlertRule& rule, UnixMs now) const {
  Reading r;
  const int64_t to = minute_of(now);
  const int64_t from = to - int64_t(rule.window_minutes) + 1;
  Bucket sum;
  UnixMs last = 0;
  {
    std::lock_guard lk(mu_);
    auto it = series_.find({rule.scope, rule.scope_id});
    if (it != series_.end()) {
      last = it->second.last_lead_ms;
      for (const Bucket& b : it->second.buckets) {
        if (b.minute < from || b.minute > to) continue;
        sum.leads += b.leads;
        sum.errors += b.errors;
        sum.duplicates += b.duplicates;
        sum.accepted += b.accepted;
        sum.calls += b.calls;
        sum.timeouts += b.timeouts;
        sum.sold += b.sold;
        for (size_t i = 0; i < b.latency.size(); ++i) sum.latency[i] += b.latency[i];
      }
    }
  }
  auto percent = [](uint32_t part, uint32_t whole) {
    return whole ? 100.0 * double(part) / double(whole) : 0.0;
  };
  using M = AlertRule::Metric;
  switch (rule.metric) {
    case M::kErrorRate:
      r.value = percent(sum.errors, sum.leads);
      r.sample = sum.leads;
      break;
    case M::kDuplicateRate:
      r.value = percent(sum.duplicates, sum.leads);
      r.sample = sum.leads;
      break;
    case M::kAcceptanceRate:
      if (rule.scope == AlertRule::Scope::kBuyer) {
        r.value = percent(sum.sold, sum.calls);
        r.sample = sum.calls;
      } else {
        r.value = percent(sum.accepted, sum.leads);
        r.sample = sum.leads;
      }
      break;
    case M::kBuyerTimeoutRate:
      r.value = percent(sum.timeouts, sum.calls);
      r.sample = sum.calls;
      break;
    case M::kBuyerP99: {
      r.sample = sum.calls;
      // The upper bound of the bucket holding the 99th percentile (past the last bound: 2x it).
      const uint64_t rank = uint64_t(std::ceil(0.99 * double(sum.calls)));
      uint64_t seen = 0;
      for (size_t i = 0; i < sum.latency.size(); ++i) {
        seen += sum.latency[i];
        if (seen >= rank && rank > 0) {
          const auto& b = Histogram::kBoundsUs;
          r.value = double(i < b.size() ? b[i] : 2 * b.back()) / 1000.0;
          break;
        }
      }
      break;
    }
    case M::kNoLeads:
      r.value = double(now - std::max(last, started_ms_)) / 60000.0;
      r.evaluable = true;
      return r;
  }
  r.evaluable = r.sample >= rule.min_sample;
  return r;
}

std::string alert_record(const AlertRule& rule, bool fired, const AlertMonitor::Reading& r,
                         UnixMs at) {
  std::string out;
  JsonWriter w(out);
  w.begin_object()
      .kv("rule_id", rule.id)
      .kv("name", rule.name)
      .kv("state", fired ? "fired" : "resolved")
      .kv("at", iso_utc(at))
      .kv("metric", to_string(rule.metric))
      .kv("scope", to_string(rule.scope))
      .kv("scope_id", rule.scope_id)
      .kv("campaign_id", rule.campaign_id)
      .kv("window_minutes", int64_t(rule.window_minutes))
      .kv("op", rule.above ? ">" : "<")
      .key("threshold")
      .raw(number(rule.threshold))
      .key("value")
      .raw(number(r.value))
      .kv("sample", r.sample)
      .end_object();
  return out;
}

AlertRunner::AlertRunner(AlertMonitor& monitor, storage::Store& store, const Clock& clock,
                         Options o)
    : monitor_(monitor), store_(store), clock_(clock), opts_(std::move(o)) {}

AlertRunner::~AlertRunner() { stop(); }

void AlertRunner::restore() {
  // Newest first: the first record of a rule is its state; its latest "fired" its cooldown's start.
  size_t n = 0;
  storage::Status st = store_.scan_alerts({}, [&](std::string_view, std::string_view text) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(text, ec);
    if (!ec && v.is_object()) {
      const auto& o = v.as_object();
      const int64_t id = o.contains("rule_id") ? o.at("rule_id").to_number<int64_t>() : 0;
      const bool fired = o.contains("state") && o.at("state") == "fired";
      UnixMs at = 0;
      if (o.contains("at") && o.at("at").is_string()) parse_utc_time(o.at("at").as_string(), at);
      auto [it, first] = states_.try_emplace(id);  // restore() starts from no state
      State& s = it->second;
      if (first) {
        s.rule_id = id;
        s.firing = fired;
        s.since_ms = at;
      }
      if (fired && s.last_fired_ms == 0) s.last_fired_ms = at;
    }
    return ++n < 100000;
  });
  if (!st.ok()) spdlog::error("alerts: the history cannot be read: {}", st.message);
}

void AlertRunner::start() {
  {
    std::lock_guard lk(mu_);
    restore();
  }
  monitor_.started(clock_.now_ms());
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "pp-alerts");
    std::unique_lock lk(wait_mu_);
    while (!stopping_) {
      cv_.wait_for(lk, opts_.interval, [this] { return stopping_; });
      if (stopping_) break;
      lk.unlock();
      evaluate();
      lk.lock();
    }
  });
}

void AlertRunner::stop() {
  {
    std::lock_guard lk(wait_mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

size_t AlertRunner::evaluate() {
  const SnapshotPtr snap = opts_.snapshot();
  const Config& cfg = snap->config();
  const UnixMs now = clock_.now_ms();
  std::lock_guard lk(mu_);
  size_t written = 0;
  for (const AlertRule& rule : cfg.alerts) {
    if (!rule.enabled) continue;
    const AlertMonitor::Reading r = monitor_.read(rule, now);
    State& s = states_[rule.id];
    s.rule_id = rule.id;
    s.value = r.value;
    s.sample = r.sample;
    const bool crossed =
        r.evaluable && (rule.above ? r.value > rule.threshold : r.value < rule.threshold);
    const int64_t cooldown_ms = int64_t(rule.cooldown_minutes) * 60000;
    bool fire = false, resolve = false;
    if (!s.firing && crossed && (s.last_fired_ms == 0 || now - s.last_fired_ms >= cooldown_ms))
      fire = true;
    else if (s.firing && r.evaluable && !crossed)
      resolve = true;
    if (!fire && !resolve) continue;
    // The record and its notifications in one write: none sent for an alert not recorded.
    const std::string record = alert_record(rule, fire, r, now);
    EventBatch events(cfg, now);
    const EventType e = fire ? EventType::kAlertFired : EventType::kAlertResolved;
    events.add(e, rule.campaign_id, {}, record);
    if (!rule.email.empty()) {
      const std::string what = std::string(to_string(rule.metric)) + " of " +
                               std::string(to_string(rule.scope)) + " " +
                               std::to_string(rule.scope_id);
      events.add_delivery(
          email_delivery(DeliverySource::kAlert, rule.id, e, rule.campaign_id, {}, rule.email,
                         (fire ? "[pingpost] FIRING: " : "[pingpost] resolved: ") + rule.name,
                         rule.name + "\n\n" + what + " is " + number(r.value) + " over the last " +
                             std::to_string(rule.window_minutes) + " minutes (" +
                             std::to_string(r.sample) + " in the window; threshold " +
                             (rule.above ? "> " : "< ") + number(rule.threshold) + ").\n" +
                             (fire ? "Fired" : "Resolved") + " at " + iso_utc(now) + ".\n"),
          now);
    }
    storage::Status st = store_.put_alert(now, record, events.puts());
    if (!st.ok()) {
      spdlog::error("alert {} not recorded (tried again at the next evaluation): {}", rule.id,
                    st.message);
      continue;
    }
    ++written;
    s.firing = fire;
    s.since_ms = now;
    if (fire) s.last_fired_ms = now;
    spdlog::warn("alert {} \"{}\" {}: {} {} ({} in the window)", rule.id, rule.name,
                 fire ? "fired" : "resolved", to_string(rule.metric), number(r.value), r.sample);
  }
  // Rules removed from the configuration are forgotten.
  for (auto it = states_.begin(); it != states_.end();) {
    bool known = false;
    for (const AlertRule& rule : cfg.alerts) known |= rule.id == it->first;
    it = known ? std::next(it) : states_.erase(it);
  }
  return written;
}

std::vector<AlertRunner::State> AlertRunner::states() const {
  std::lock_guard lk(mu_);
  std::vector<State> out;
  for (const auto& [id, s] : states_) out.push_back(s);
  return out;
}

}  // namespace pp::engine
