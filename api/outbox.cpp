// The outbox's admin routes (issue 18): a webhook's secrets (reveal, rotate), the delivery log
// (list, one, replay) and the alert history. Webhooks, triggers and alert rules themselves are
// configuration (api/admin_config.cpp).
#include <spdlog/spdlog.h>

#include "api/router.h"
#include "config/document.h"
#include "core/json_writer.h"
#include "core/text.h"
#include "engine/events.h"

namespace pp::api {

namespace {

constexpr size_t kDefaultPage = 50;
constexpr size_t kMaxPage = 500;
// A page stops after examining this many deliveries (filters that match little): its cursor
// continues from there.
constexpr size_t kMaxExamined = 100000;

// Closes a page's "data" array with its cursor (null on the last page).
Response end_page(JsonWriter& w, std::string& out, bool more, const std::string& last) {
  w.end_array();
  if (more)
    w.kv("next_cursor", last);
  else
    w.key("next_cursor").null();
  w.end_object();
  return json_response(200, std::move(out));
}

// A page's size (limit=) or why not.
bool page_limit(const std::string& k, const std::string& v, size_t& limit,
                std::vector<std::pair<std::string, std::string>>& problems) {
  auto n = parse_int(v);
  if (!n || *n < 1 || *n > int64_t(kMaxPage)) {
    problems.emplace_back(k, "must be between 1 and 500");
    return false;
  }
  limit = size_t(*n);
  return true;
}

void write_attempt(JsonWriter& w, const DeliveryAttempt& a) {
  w.begin_object()
      .kv("at", engine::iso_utc(a.at_ms))
      .kv("http_status", int64_t(a.http_status))
      .kv("error", a.error)
      .kv("latency_ms", int64_t(a.latency_us / 1000))
      .kv("response_excerpt", a.excerpt)
      .end_object();
}

void write_delivery(JsonWriter& w, const OutboxDelivery& d, bool whole) {
  w.begin_object().kv("id", d.id).kv("event", to_string(d.event)).kv("source", to_string(d.source));
  if (d.source == DeliverySource::kWebhook) w.kv("webhook_id", d.source_id);
  w.kv("campaign_id", d.campaign_id);
  if (d.lead_id.empty())
    w.key("lead_id").null();
  else
    w.kv("lead_id", d.lead_id);
  w.kv("url", d.url)
      .kv("status", to_string(d.status))
      .kv("created_at", engine::iso_utc(d.created_ms));
  if (d.status == DeliveryStatus::kPending)
    w.kv("next_attempt_at", engine::iso_utc(d.next_attempt_ms));
  else
    w.key("next_attempt_at").null();
  if (d.finished_ms)
    w.kv("finished_at", engine::iso_utc(d.finished_ms));
  else
    w.key("finished_at").null();
  w.kv("give_up_at", engine::iso_utc(d.give_up_ms)).kv("reason", d.reason);
  w.kv("attempt_count", int64_t(d.attempt_count));
  w.key("last_attempt");
  if (d.attempts.empty())
    w.null();
  else
    write_attempt(w, d.attempts.back());
  if (whole) {
    w.key("attempts").begin_array();
    for (const auto& a : d.attempts) write_attempt(w, a);
    w.end_array();
    w.kv("method", d.method);
    w.key("headers").begin_object();
    for (const auto& [k, v] : d.headers) w.kv(k, v);
    w.end_object();
    w.kv("body", d.body);
  }
  w.end_object();
}

}  // namespace

Response Router::admin_webhook_action(const Request& req, const ApiTokenConfig& token) {
  // /admin/webhooks/{id}/secret (GET) and /admin/webhooks/{id}/rotate (POST): the account's
  // secrets, for admins of the whole account only.
  const std::vector<std::string_view> seg = split(std::string_view(req.path).substr(7), "/");
  if (seg.size() != 3) return error_response(404, "Not found");
  if (!token.campaigns.empty())
    return error_response(403, "Forbidden: this token is limited to some campaigns");
  if (token.role != Role::kAdmin)
    return error_response(403, "Forbidden: only an admin token sees or rotates webhook secrets");
  auto id = parse_int(seg[1]);
  if (!id || *id <= 0) return error_response(404, "Webhook not found");
  if (outbox_ == nullptr || config_ == nullptr) return error_response(404, "Not found");
  const bool rotate = seg[2] == "rotate";
  if (!rotate && seg[2] != "secret") return error_response(404, "Not found");
  if (rotate ? req.method != "POST" : req.method != "GET")
    return error_response(405, rotate ? "Use POST" : "Use GET");

  uint64_t version = 0;
  if (rotate) {
    // The new secret signs from now on; the old one with it until secret_overlap_hours pass.
    const UnixMs now = engine_.clock().now_ms();
    const int64_t overlap_ms =
        int64_t(engine_.snapshot()->config().outbox.secret_overlap_hours) * 3'600'000;
    engine::ConfigService::Change c;
    c.ref = {config::EntityKind::kWebhook, 0, *id, {}};
    c.op = "rotate_secret";
    c.actor = token.name;
    c.edit = [&](config::json::object& doc,
                 config::EntityRef& ref) -> std::optional<engine::ChangeResult> {
      const config::json::object* w = config::get_entity(doc, ref);
      if (w == nullptr) {
        engine::ChangeResult r;
        r.http_status = 404;
        r.message = "Webhook not found";
        return r;
      }
      const WebhookConfig* current = engine_.snapshot()->config().find_webhook(*id);
      uint32_t newest = 1;
      if (current)
        for (const auto& s : current->secrets) newest = std::max(newest, s.version);
      config::json::array secrets;
      secrets.push_back(config::json::object{{"version", newest + 1}});
      secrets.push_back(config::json::object{{"version", newest},
                                             {"expires_at", engine::iso_utc(now + overlap_ms)}});
      config::json::value next = *w;
      next.as_object()["secrets"] = std::move(secrets);
      config::set_entity(doc, ref, &next);
      return std::nullopt;
    };
    engine::ChangeResult r = config_->apply(c);
    if (!r.ok()) return error_response(r.http_status, r.message, r.details);
    version = r.version;
  }
  const engine::SnapshotPtr snap = engine_.snapshot();
  const WebhookConfig* w = snap->config().find_webhook(*id);
  if (w == nullptr) return error_response(404, "Webhook not found");
  std::string out;
  JsonWriter j(out);
  j.begin_object().kv("webhook_id", w->id);
  if (version) j.kv("version", version);
  j.key("secrets").begin_array();
  for (const WebhookSecret& s : w->secrets) {
    j.begin_object()
        .kv("version", int64_t(s.version))
        .kv("secret", outbox_->secret(w->id, s.version));
    if (s.expires_ms)
      j.kv("expires_at", engine::iso_utc(s.expires_ms));
    else
      j.key("expires_at").null();
    j.end_object();
  }
  j.end_array().end_object();
  Response r = json_response(200, std::move(out));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

Response Router::admin_deliveries(const Request& req, const ApiTokenConfig& token) {
  // Deliveries carry what webhooks were sent (lead events of every campaign): the account's.
  if (!token.campaigns.empty())
    return error_response(403, "Forbidden: this token is limited to some campaigns");
  if (outbox_ == nullptr) return error_response(404, "Not found");
  const std::vector<std::string_view> seg = split(std::string_view(req.path).substr(7), "/");
  // /admin/deliveries/{id}/replay
  if (seg.size() == 3 && seg[2] == "replay") {
    if (req.method != "POST") return error_response(405, "Use POST");
    if (!token.may_change())
      return error_response(403, "Forbidden: this token cannot replay deliveries");
    if (!is_delivery_id(seg[1])) return error_response(404, "Delivery not found");
    switch (outbox_->replay(seg[1])) {
      case engine::OutboxSender::ReplayResult::kNotFound:
        return error_response(404, "Delivery not found");
      case engine::OutboxSender::ReplayResult::kFailed:
        return storage_error();
      case engine::OutboxSender::ReplayResult::kDone:
        break;
    }
    spdlog::info("delivery {} replayed by {}", seg[1], token.name);
    std::string out;
    JsonWriter(out).begin_object().kv("id", seg[1]).kv("status", "pending").end_object();
    return json_response(202, std::move(out));
  }
  if (req.method != "GET") return error_response(405, "Use GET");
  if (seg.size() == 2) {
    if (!is_delivery_id(seg[1])) return error_response(404, "Delivery not found");
    storage::Read<OutboxDelivery> d = engine_.store().read_delivery(seg[1]);
    if (d.failed()) return storage_error();
    if (!d.found()) return error_response(404, "Delivery not found");
    std::string out;
    JsonWriter w(out);
    write_delivery(w, *d.value, true);
    return json_response(200, std::move(out));
  }
  if (seg.size() != 1) return error_response(404, "Not found");

  // The list: newest first, filtered; cursor paging (the last id of a page).
  auto q = parse_form(req.query);
  if (!q) return error_response(400, "Invalid query string");
  std::vector<std::pair<std::string, std::string>> problems;
  std::optional<EventType> event;
  std::optional<DeliveryStatus> status;
  int64_t webhook = 0, campaign = 0;
  std::string lead, cursor;
  UnixMs since = 0, until = INT64_MAX;
  size_t limit = kDefaultPage;
  auto time_param = [&](const std::string& k, const std::string& v, UnixMs& out) {
    if (!parse_utc_time(v, out))
      problems.emplace_back(k, "must be a UTC time like 2026-11-27T04:00:00Z");
  };
  for (const auto& [k, v] : *q) {
    if (k == "event") {
      EventType e{};
      if (parse_event_type(v, e))
        event = e;
      else
        problems.emplace_back(k, "unknown event");
    } else if (k == "status") {
      DeliveryStatus s{};
      if (parse_delivery_status(v, s))
        status = s;
      else
        problems.emplace_back(k, "must be pending, delivered, failed or cancelled");
    } else if (k == "webhook_id" || k == "campaign_id") {
      auto n = parse_int(v);
      if (!n || *n <= 0)
        problems.emplace_back(k, "must be a positive integer");
      else
        (k == "webhook_id" ? webhook : campaign) = *n;
    } else if (k == "lead_id") {
      lead = v;
    } else if (k == "since") {
      time_param(k, v, since);
    } else if (k == "until") {
      time_param(k, v, until);
    } else if (k == "cursor") {
      if (!is_delivery_id(v))
        problems.emplace_back(k, "must be a delivery id (a page's next_cursor)");
      else
        cursor = v;
    } else if (k == "limit") {
      page_limit(k, v, limit, problems);
    } else {
      problems.emplace_back(k, "unknown parameter");
    }
  }
  if (!problems.empty()) return error_response(400, "Invalid parameters", problems);

  std::string out;
  JsonWriter w(out);
  w.begin_object().key("data").begin_array();
  size_t n = 0, examined = 0;
  std::string last;
  bool more = false;
  storage::Status st = engine_.store().scan_deliveries(cursor, [&](const OutboxDelivery& d) {
    if (d.created_ms < since) return false;  // newest first: nothing older matches
    if (n == limit || examined == kMaxExamined) {
      more = true;
      return false;
    }
    ++examined;
    last = d.id;
    if (d.created_ms >= until || (event && d.event != *event) || (status && d.status != *status) ||
        (webhook && (d.source != DeliverySource::kWebhook || d.source_id != webhook)) ||
        (campaign && d.campaign_id != campaign) || (!lead.empty() && d.lead_id != lead))
      return true;
    write_delivery(w, d, false);
    ++n;
    return true;
  });
  if (!st.ok()) return storage_error();
  return end_page(w, out, more, last);
}

Response Router::admin_alerts(const Request& req, const ApiTokenConfig& token) {
  if (!token.campaigns.empty())
    return error_response(403, "Forbidden: this token is limited to some campaigns");
  if (alerts_ == nullptr) return error_response(404, "Not found");
  if (req.method != "GET") return error_response(405, "Use GET");
  auto q = parse_form(req.query);
  if (!q) return error_response(400, "Invalid query string");
  std::vector<std::pair<std::string, std::string>> problems;
  int64_t rule = 0;
  size_t limit = kDefaultPage;
  std::string cursor;
  for (const auto& [k, v] : *q) {
    if (k == "rule_id") {
      auto n = parse_int(v);
      if (!n || *n <= 0)
        problems.emplace_back(k, "must be a positive integer");
      else
        rule = *n;
    } else if (k == "limit") {
      page_limit(k, v, limit, problems);
    } else if (k == "cursor") {
      std::string raw;
      if (v.size() != 32 || !hex_decode(v, raw))
        problems.emplace_back(k, "must be a page's next_cursor");
      else
        cursor = v;
    } else {
      problems.emplace_back(k, "unknown parameter");
    }
  }
  if (!problems.empty()) return error_response(400, "Invalid parameters", problems);
  const engine::SnapshotPtr snap = engine_.snapshot();
  std::string out;
  JsonWriter w(out);
  // The rules now: firing or not, their figures at the last evaluation.
  w.begin_object().key("rules").begin_array();
  const auto states = alerts_->states();
  for (const AlertRule& r : snap->config().alerts) {
    if (rule && r.id != rule) continue;
    const engine::AlertRunner::State* s = nullptr;
    for (const auto& st : states)
      if (st.rule_id == r.id) s = &st;
    w.begin_object()
        .kv("rule_id", r.id)
        .kv("name", r.name)
        .kv("metric", to_string(r.metric))
        .kv("scope", to_string(r.scope))
        .kv("scope_id", r.scope_id)
        .kv("enabled", r.enabled)
        .kv("state", s && s->firing ? "firing" : "ok");
    if (s && s->since_ms)
      w.kv("since", engine::iso_utc(s->since_ms));
    else
      w.key("since").null();
    w.key("value").fixed(s ? s->value : 0.0, 2).kv("sample", s ? s->sample : uint64_t(0));
    w.end_object();
  }
  w.end_array().key("data").begin_array();
  size_t n = 0, examined = 0;
  std::string last;
  bool more = false;
  storage::Status st =
      engine_.store().scan_alerts(cursor, [&](std::string_view key, std::string_view record) {
        if (n == limit || examined == kMaxExamined) {
          more = true;
          return false;
        }
        ++examined;
        last = std::string(key);
        if (rule) {
          const std::string want = "\"rule_id\":" + std::to_string(rule) + ",";
          if (record.find(want) == std::string_view::npos) return true;
        }
        w.raw(record);
        ++n;
        return true;
      });
  if (!st.ok()) return storage_error();
  return end_page(w, out, more, last);
}

}  // namespace pp::api
