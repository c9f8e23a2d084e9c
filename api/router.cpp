#include "api/router.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "api/admin_config.h"
#include "api/auth.h"
#include "api/console.h"
#include "api/exports.h"
#include "api/intake.h"
#include "api/reports.h"
#include "api/routes.h"
#include "api/sandbox.h"
#include "api/specs.h"
#include "api/views.h"
#include "core/histogram.h"
#include "core/json_writer.h"
#include "core/text.h"
#include "core/time.h"

namespace pp::api {

namespace asio = boost::asio;

Router::Router(engine::Engine& engine, engine::ConfigService* config, size_t report_threads)
    : engine_(engine),
      config_(config),
      tokens_(engine.store()),
      reports_(std::make_unique<asio::thread_pool>(std::max<size_t>(1, report_threads))) {}

Router::~Router() { reports_->join(); }

asio::awaitable<Response> Router::on_report_thread(std::function<Response()> fn) {
  co_return co_await asio::co_spawn(
      *reports_, [&fn]() -> asio::awaitable<Response> { co_return fn(); }, asio::use_awaitable);
}

namespace {

Response with_retry_after(Response r, int seconds) {
  if (seconds > 0) r.headers.emplace_back("Retry-After", std::to_string(seconds));
  return r;
}

}  // namespace

std::optional<Response> Router::token_rate_limited(const ApiTokenConfig& token, const Config& cfg) {
  const ServerConfig& sc = cfg.server;
  int64_t wait_ms = engine_.rate_limiter().take("t:" + token.token_sha256, engine_.clock().now_ms(),
                                                sc.token_rate_per_s, sc.token_burst);
  if (wait_ms == 0) return std::nullopt;
  return with_retry_after(error_response(429, "Too many requests: slow down and retry"),
                          int((wait_ms + 999) / 1000));
}

asio::awaitable<Response> Router::handle(Request req, buyers::Transport& transport) {
  const std::string& p = req.path;
  // Only the routes of the table (api/routes.cpp, the OpenAPI document's) reach a handler.
  if (RouteLookup route = match_route(req.method, p); route.match != RouteLookup::Match::kFound) {
    if (route.match == RouteLookup::Match::kWrongMethod) co_return method_not_allowed(route.allow);
    co_return error_response(404, "Not found");
  }
  if (p == "/direct_post") {
    if (req.method != "POST") co_return error_response(405, "Use POST");
    co_return co_await direct_post(req, transport);
  }
  if (p == "/ping") {
    if (req.method != "POST") co_return error_response(405, "Use POST");
    co_return co_await supplier_ping(req, transport);
  }
  if (p == "/post") {
    if (req.method != "POST") co_return error_response(405, "Use POST");
    co_return co_await supplier_post(req, transport);
  }
  if (p.rfind("/portal/", 0) == 0)  // Argon2id, synced writes, lead scans: off the I/O thread
    co_return co_await on_report_thread([&] { return portal_route(req); });
  if (p.rfind("/v1/", 0) == 0)  // reads up to 5,000 leads: off the I/O thread
    co_return co_await on_report_thread([&] { return buyer_pull(req); });
  if (p.rfind("/public/", 0) == 0) {
    auto snap = engine_.snapshot();
    const ApiTokenConfig* token = authenticate(req, snap->config(), engine_.clock().now_ms());
    if (token == nullptr) co_return error_response(401, "Unauthenticated");
    if (auto limited = token_rate_limited(*token, snap->config())) co_return *limited;
    note_token_use(*token);
    constexpr std::string_view kCampaigns = "/public/campaigns";
    if (p.rfind(kCampaigns, 0) == 0 &&
        (p.size() == kCampaigns.size() || p[kCampaigns.size()] == '/')) {
      if (req.method != "GET") co_return error_response(405, "Use GET");
      // (Pausing and resuming are configuration changes, one synced write: off the I/O threads.)
      co_return co_await on_report_thread([&] {
        return public_campaigns(req, std::string_view(p).substr(kCampaigns.size()), *token);
      });
    }
    if (p == "/public/lead/return") {
      if (req.method != "POST") co_return error_response(405, "Use POST");
      if (!token->may_change())
        co_return error_response(403, "Forbidden: this token cannot return leads");
      co_return co_await public_return(req, *token);
    }
    if (p == "/public/leads/debug") {
      if (req.method != "POST") co_return error_response(405, "Use POST");
      co_return public_debug(req, *token);
    }
    using Endpoint = Response (*)(engine::Engine&, const Request&);
    Endpoint report = p == "/public/stats"            ? &stats_endpoint
                      : p == "/public/stats/supplier" ? &supplier_stats_endpoint
                      : p == "/public/accounting"     ? &accounting_endpoint
                      : p == "/public/leads"          ? &leads_endpoint
                                                      : nullptr;
    if (report != nullptr) {
      if (req.method != "GET") co_return error_response(405, "Use GET");
      // A token limited to some campaigns: lead searches of those; the statistics and accounting
      // of several campaigns are not filtered yet, so they are refused (never shown whole).
      if (!token->campaigns.empty()) {
        // Lead searches and statistics name their campaigns (`campaign`, a list for stats): all
        // of them in the token's scope. Accounting adds up its campaigns only.
        if (p == "/public/accounting") {
          // Sums by client over the token's campaigns only.
          co_return co_await on_report_thread(
              [&] { return scoped_accounting_endpoint(engine_, req, token->campaigns); });
        }
        auto q = parse_form(req.query);
        std::vector<std::optional<int64_t>> named;
        if (q)
          for (const auto& [k, v] : *q)
            if (k == "campaign")
              for (std::string_view id : split(v, ",")) named.push_back(parse_int(trim(id)));
        if (named.empty())
          co_return error_response(403,
                                   "Forbidden: this token is limited to some campaigns; "
                                   "name them with campaign=");
        for (const auto& id : named)
          if (!id || !token->sees(*id)) co_return error_response(404, "Campaign not found");
      }
      // An exception comes back through the await to the server, which answers 500.
      co_return co_await on_report_thread([&] { return report(engine_, req); });
    }
    constexpr std::string_view kLead = "/public/lead/";
    if (p.rfind(kLead, 0) == 0 && p.size() > kLead.size()) {
      if (req.method != "GET") co_return error_response(405, "Use GET");
      co_return public_lead(req, std::string_view(p).substr(kLead.size()), *token);
    }
    co_return error_response(404, "Not found");
  }
  if (p.rfind("/admin/", 0) == 0) {
    auto snap = engine_.snapshot();
    const ApiTokenConfig* token = authenticate(req, snap->config(), engine_.clock().now_ms());
    if (token == nullptr) co_return error_response(401, "Unauthenticated");
    if (auto limited = token_rate_limited(*token, snap->config())) co_return *limited;
    note_token_use(*token);
    if (config_ != nullptr && p.rfind("/admin/campaigns/", 0) == 0 && p.ends_with("/test"))
      co_return co_await admin_buyer_test(req, transport, *token);
    if (p.rfind("/admin/lists/", 0) == 0 && p.find("/entries") != std::string::npos) {
      // (Uploads are streamed: open_stream takes them before their body is read.)
      co_return co_await on_report_thread([&] { return admin_list_entries(req, *token); });
    }
    if (p.rfind("/admin/webhooks/", 0) == 0 && (p.ends_with("/secret") || p.ends_with("/rotate")))
      co_return co_await on_report_thread([&] { return admin_webhook_action(req, *token); });
    if (jobs_ != nullptr && (p == "/admin/exports" || p.rfind("/admin/exports/", 0) == 0))
      co_return co_await on_report_thread(
          [&] { return exports_route(engine_, *jobs_, req, *token); });
    if (p == "/admin/uploads" || p.rfind("/admin/uploads/", 0) == 0)
      co_return co_await on_report_thread([&] { return admin_uploads(req, *token); });
    if (p == "/admin/batches" || p.rfind("/admin/batches/", 0) == 0)
      co_return co_await on_report_thread([&] { return admin_batches(req, *token); });
    if (p == "/admin/returns" || p.rfind("/admin/returns/", 0) == 0)
      co_return co_await on_report_thread([&] { return admin_returns(req, *token); });
    if (p == "/admin/ledger" ||
        (p.rfind("/admin/clients/", 0) == 0 &&
         (p.ends_with("/balance") || p.ends_with("/ledger") || p.ends_with("/deposits") ||
          p.ends_with("/charges"))))
      co_return co_await on_report_thread([&] { return admin_billing(req, *token); });
    if (p.rfind("/admin/portal/", 0) == 0)
      co_return co_await on_report_thread([&] { return admin_portal(req, *token); });
    if (p == "/admin/alerts")
      co_return co_await on_report_thread([&] { return admin_alerts(req, *token); });
    if (p == "/admin/deliveries" || p.rfind("/admin/deliveries/", 0) == 0)
      co_return co_await on_report_thread([&] { return admin_deliveries(req, *token); });
    if (config_ != nullptr && is_config_route(p)) {
      // A change does one synced write: off the I/O threads.
      Response r =
          co_await on_report_thread([&] { return config_route(*config_, req, *token, tokens_); });
      // A list deleted from the configuration: its entries go too.
      if (req.method == "DELETE" && r.status == 200 && p.rfind("/admin/lists/", 0) == 0) {
        if (auto id = parse_int(std::string_view(p).substr(13)); id && *id > 0)
          co_await on_report_thread([&] {
            storage::Status st = engine_.lists().drop(*id);
            if (!st.ok()) spdlog::error("list {}: entries not dropped: {}", *id, st.message);
            return Response{};
          });
      }
      co_return r;
    }
    if (p == "/admin/whoami" || p == "/admin/buyers/health") {
      if (req.method != "GET") co_return error_response(405, "Use GET");
      co_return p == "/admin/whoami" ? admin_whoami(*token) : admin_buyer_health(*token);
    }
    constexpr std::string_view kLead = "/admin/leads/";
    if (p.rfind(kLead, 0) == 0 && p.size() > kLead.size()) {
      if (req.method != "GET") co_return error_response(405, "Use GET");
      std::string_view rest = std::string_view(p).substr(kLead.size());
      constexpr std::string_view kTimeline = "/timeline";
      if (rest.size() > kTimeline.size() && rest.ends_with(kTimeline))
        co_return admin_lead(rest.substr(0, rest.size() - kTimeline.size()), true, *token);
      if (rest.find('/') != std::string_view::npos) co_return error_response(404, "Not found");
      co_return admin_lead(rest, false, *token);
    }
    co_return error_response(404, "Not found");
  }
  if (p == "/metrics") {
    auto snap = engine_.snapshot();
    const ApiTokenConfig* token = authenticate(req, snap->config(), engine_.clock().now_ms());
    if (token == nullptr) co_return error_response(401, "Unauthenticated");
    if (auto limited = token_rate_limited(*token, snap->config())) co_return *limited;
    note_token_use(*token);
    if (!token->campaigns.empty())  // every campaign's series: not for a limited token
      co_return error_response(403, "Forbidden: this token is limited to some campaigns");
    Response r = json_response(200, render_metrics());
    r.content_type = "text/plain; version=0.0.4";
    co_return r;
  }
  if (p == "/openapi.json") {
    const console::Asset* doc = console::find_asset("openapi.json");
    if (doc == nullptr) co_return error_response(404, "Not found");
    co_return asset_response(req, *doc);
  }
  if (p == "/api-specs") {
    if (req.method != "GET") co_return error_response(405, "Use GET");
    auto snap = engine_.snapshot();
    co_return api_specs(snap->config(), req);
  }
  if (is_console_path(p)) co_return console_response(req);
  if (p == "/health" || p == "/ready") {
    co_return json_response(200, R"({"status":"ok"})");
  }
  if (p.rfind("/sandbox/", 0) == 0 && engine_.snapshot()->config().server.sandbox) {
    if (p != "/sandbox/post" && p != "/sandbox/ping") co_return error_response(404, "Not found");
    SandboxAnswer a = sandbox_answer(req, sandbox_seq_.fetch_add(1) + 1);
    if (a.delay.count() > 0) {
      asio::steady_timer t(co_await asio::this_coro::executor);
      t.expires_after(a.delay);
      co_await t.async_wait(asio::use_awaitable);
    }
    co_return a.response;
  }
  co_return error_response(404, "Not found");
}

asio::awaitable<Response> Router::direct_post(const Request& req, buyers::Transport& transport) {
  Response err;
  auto in = parse_intake(req, err);
  if (!in) co_return err;
  engine::IntakeResult r = co_await engine_.direct_post(std::move(*in), transport);
  co_return with_retry_after(json_response(r.http_status, render_intake_result(r)),
                             r.retry_after_s);
}

asio::awaitable<Response> Router::supplier_ping(const Request& req, buyers::Transport& transport) {
  Response err;
  auto in = parse_intake(req, err);
  if (!in) co_return err;
  engine::PingAnswer a = co_await engine_.ping(std::move(*in), transport);
  co_return with_retry_after(json_response(a.http_status, render_ping_answer(a)), a.retry_after_s);
}

asio::awaitable<Response> Router::supplier_post(const Request& req, buyers::Transport& transport) {
  Response err;
  auto in = parse_intake(req, err);
  if (!in) co_return err;
  engine::IntakeResult r = co_await engine_.post(std::move(*in), transport);
  co_return with_retry_after(json_response(r.http_status, render_intake_result(r)),
                             r.retry_after_s);
}

asio::awaitable<Response> Router::public_return(const Request& req, const ApiTokenConfig& token) {
  // F7: {"lead_id": "...", "reason": "...", "portal_refund": true}
  std::string id, reason;
  {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(req.body).get(doc) != simdjson::SUCCESS)
      co_return error_response(400, "Malformed JSON body");
    std::string_view v;
    if (doc["lead_id"].get_string().get(v) == simdjson::SUCCESS) id = std::string(v);
    if (doc["reason"].get_string().get(v) == simdjson::SUCCESS) reason = std::string(trim(v));
  }
  if (id.empty() || reason.empty())
    co_return error_response(400, "lead_id and reason are required");
  if (reason.size() > 255) co_return error_response(400, "reason is longer than 255 characters");
  if (!token.campaigns.empty()) {  // a limited token returns its campaigns' leads only
    auto lead = engine_.lookup_lead(id);
    if (lead.failed()) co_return storage_error();
    if (!lead.found() || !token.sees(lead.value->campaign_id))
      co_return error_response(404, "Lead not found");
  }
  switch (co_await engine_.return_lead(id, reason)) {
    case engine::Engine::ReturnResult::kDone:
      co_return json_response(200, R"({"status":"success","data":[]})");
    case engine::Engine::ReturnResult::kNotFound:
      co_return error_response(404, "Lead not found");
    case engine::Engine::ReturnResult::kRefused:
      co_return error_response(400, "Cannot return shared lead OR Lead was already returned");
    case engine::Engine::ReturnResult::kNotSold:
      co_return error_response(400, "Only sold leads can be returned");
    case engine::Engine::ReturnResult::kFailed:
      co_return error_response(503, "Could not store the return; retry");
    case engine::Engine::ReturnResult::kUnreadable:
      co_return storage_error();
  }
  co_return error_response(500, "Internal error");
}

Response Router::public_debug(const Request& req, const ApiTokenConfig& token) {
  // F9: {"lead_ids": [up to 5 ids of 20 characters]}; unknown or too old ids go to "errors".
  std::vector<std::string> ids;
  {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(req.body).get(doc) != simdjson::SUCCESS)
      return error_response(400, "Malformed JSON body");
    simdjson::dom::array arr;
    if (doc["lead_ids"].get_array().get(arr) != simdjson::SUCCESS) {
      return error_response(400, "lead_ids must be an array of lead ids");
    }
    for (auto e : arr) {
      std::string_view s;
      ids.push_back(e.get_string().get(s) == simdjson::SUCCESS ? std::string(s) : std::string());
    }
  }
  if (ids.empty() || ids.size() > 5)
    return error_response(400, "lead_ids must hold 1 to 5 lead ids");
  auto snap = engine_.snapshot();
  const UnixMs now = engine_.clock().now_ms();
  // Storage drops debug logs after the same time (E3).
  constexpr int64_t kRetentionMs = storage::kDebugRetentionDays * 86400000LL;
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("leads").begin_array();
  std::vector<std::pair<std::string, std::string>> errors;
  for (const auto& id : ids) {
    if (id.size() != kLeadIdLength) {
      errors.emplace_back(id, "Lead ids are 20-character strings");
      continue;
    }
    auto lead_read = engine_.lookup_lead(id);
    auto debug_read = lead_read.found() ? engine_.lookup_debug(id) : storage::Read<DebugLog>{};
    if (lead_read.failed() || debug_read.failed()) return storage_error();
    const auto& lead = lead_read.value;
    const auto& debug = debug_read.value;
    if (!lead || !debug || !token.sees(lead->campaign_id)) {
      errors.emplace_back(id, "Lead not found");
      continue;
    }
    if (lead->created_ms < now - kRetentionMs) {
      errors.emplace_back(
          id, "Debug logs are kept for " + std::to_string(storage::kDebugRetentionDays) + " days");
      continue;
    }
    render_debug_lead(w, *lead, *debug, snap->config());
  }
  w.end_array().key("errors").begin_array();
  for (const auto& [id, msg] : errors)
    w.begin_object().kv("lead_id", id).kv("message", msg).end_object();
  w.end_array().end_object();
  return json_response(200, std::move(out));
}

std::string Router::render_metrics() {
  // Prometheus text exposition format.
  engine::EngineCounters c = engine_.counters();
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help, int64_t v) {
    render_metric(out, name, type, help, v);
  };
  metric("pingpost_leads_received_total", "counter", "Supplier lead requests received.",
         int64_t(c.leads_received));
  metric("pingpost_leads_stored_total", "counter", "Leads durably stored.",
         int64_t(c.leads_stored));
  metric("pingpost_leads_accepted_total", "counter", "Leads sold.", int64_t(c.leads_accepted));
  metric("pingpost_store_failures_total", "counter", "Leads that could not be stored.",
         int64_t(c.store_failures));
  metric("pingpost_buyer_calls_total", "counter", "HTTP calls to buyers (pings and posts).",
         int64_t(c.buyer_calls));
  metric("pingpost_leads_in_flight", "gauge", "Leads being processed now.", c.in_flight);
  metric("pingpost_pings_total", "counter", "Supplier pings (exchange and one-to-one).",
         int64_t(c.pings));
  metric("pingpost_pings_with_bids_total", "counter", "Supplier pings that got at least one bid.",
         int64_t(c.pings_with_bids));
  metric("pingpost_prepings_total", "counter", "Pre-ping duplicate checks.", int64_t(c.prepings));
  metric("pingpost_prepings_accepted_total", "counter", "Pre-pings that were not duplicates.",
         int64_t(c.prepings_accepted));
  out +=
      "# HELP pingpost_buyer_circuit_open 1 when the buyer's circuit breaker skips it.\n"
      "# TYPE pingpost_buyer_circuit_open gauge\n";
  auto health = engine_.buyer_health();
  for (const auto& h : health) {
    out += "pingpost_buyer_circuit_open{buyer=\"" + std::to_string(h.buyer) + "\"} " +
           (h.state == engine::BuyerHealth::State::kClosed ? "0" : "1") + "\n";
  }
  out +=
      "# HELP pingpost_buyer_circuit_opened_total Times the buyer's circuit opened.\n"
      "# TYPE pingpost_buyer_circuit_opened_total counter\n";
  for (const auto& h : health) {
    out += "pingpost_buyer_circuit_opened_total{buyer=\"" + std::to_string(h.buyer) + "\"} " +
           std::to_string(h.opened_total) + "\n";
  }
  engine_.metrics().render(out);
  engine_.store().render_metrics(out);
  if (outbox_) outbox_->render_metrics(out);
  return out;
}

Response Router::public_campaigns(const Request&, std::string_view rest,
                                  const ApiTokenConfig& token) {
  auto snap = engine_.snapshot();
  const Config& cfg = snap->config();
  if (rest.empty() || rest == "/")
    return json_response(200, render_campaigns(cfg, engine_, token.campaigns));
  rest.remove_prefix(1);
  size_t slash = rest.find('/');
  auto cid = parse_int(rest.substr(0, slash));
  const CampaignConfig* c = cid ? cfg.find_campaign(*cid) : nullptr;
  if (c == nullptr || c->archived || !token.sees(c->id))
    return error_response(404, "Campaign not found");
  if (slash == std::string_view::npos) {
    std::string out;
    render_campaign(out, *c, cfg, engine_);
    return json_response(200, std::move(out));
  }
  // /{campaign}/pause_buyer/{buyer} and /{campaign}/resume_buyer/{buyer} (F6)
  std::string_view action = rest.substr(slash + 1);
  size_t s2 = action.find('/');
  if (s2 == std::string_view::npos) return error_response(404, "Not found");
  std::string_view verb = action.substr(0, s2);
  if (verb != "pause_buyer" && verb != "resume_buyer") return error_response(404, "Not found");
  if (!token.may_change()) return error_response(403, "Forbidden: this token cannot change buyers");
  auto bid = parse_int(action.substr(s2 + 1));
  if (!bid) return error_response(404, "Buyer not found");
  if (config_ == nullptr) return error_response(404, "Not found");
  // A pause or a resume is a configuration change like any other: in the change log, undone by
  // a rollback (issue 14).
  const bool pause = verb == "pause_buyer";
  engine::ConfigService::Change change;
  change.ref = {config::EntityKind::kBuyer, c->id, *bid, {}};
  change.op = pause ? "pause" : "resume";
  change.actor = token.name;
  change.edit = [&](config::json::object& doc,
                    config::EntityRef& ref) -> std::optional<engine::ChangeResult> {
    const config::json::object* b = config::get_entity(doc, ref);
    engine::ChangeResult refused;
    if (b == nullptr) {
      refused.http_status = 404;
      refused.message = "Buyer not found";
      return refused;
    }
    if (config::flag_of(*b, "paused") == pause) {
      refused.http_status = 400;
      refused.message = pause ? "Buyer is already paused" : "Buyer is already live";
      return refused;
    }
    config::json::value next = *b;
    next.as_object()["paused"] = pause;
    config::set_entity(doc, ref, &next);
    return std::nullopt;
  };
  engine::ChangeResult r = config_->apply(change);
  if (r.ok()) return json_response(200, R"({"status":"success","data":[]})");
  if (r.http_status == 500) return error_response(503, "Could not store the change; retry");
  return error_response(r.http_status, r.message);
}

Response Router::public_lead(const Request&, std::string_view id, const ApiTokenConfig& token) {
  auto lead = engine_.lookup_lead(id);
  if (lead.failed()) return storage_error();
  if (!lead.found() || !token.sees(lead.value->campaign_id))
    return error_response(404, "Lead not found");
  auto snap = engine_.snapshot();
  return json_response(200, render_lead(*lead.value, snap->config()));
}

Response Router::admin_lead(std::string_view id, bool timeline, const ApiTokenConfig& token) {
  auto lead = engine_.lookup_lead(id);
  if (lead.failed()) return storage_error();
  if (!lead.found() || !token.sees(lead.value->campaign_id))
    return error_response(404, "Lead not found");
  auto debug = engine_.lookup_debug(id);
  if (debug.failed()) return storage_error();
  auto snap = engine_.snapshot();
  const DebugLog* d = debug.value ? &*debug.value : nullptr;
  return json_response(200, timeline ? render_timeline(*lead.value, d, snap->config())
                                     : render_admin_lead(*lead.value, d, snap->config()));
}

}  // namespace pp::api
