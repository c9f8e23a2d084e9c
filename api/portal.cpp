// The portals' API (issue 20): buyers' and suppliers' logins and their own data.
//   POST /portal/login {email,password}      a session cookie (HttpOnly, Secure, SameSite=Strict)
//                                            and its CSRF token (X-CSRF-Token on every change)
//   POST /portal/logout, GET /portal/me, POST /portal/password (change)
//   POST /portal/password/forgot {email}     202 whatever the email: a link by email if known
//   POST /portal/password/reset {token,password}
//   GET|POST /portal/keys, DELETE /portal/keys/{id}   API keys (Authorization: Bearer ppk_...)
//   /portal/buyer/...     a buyer user: its clients' buyers only (campaigns, leads without hidden
//                         fields, stats, balances, requests and their approval)
//   /portal/supplier/...  a supplier user: its clients' suppliers only (dashboard, lead search)
//   /admin/portal/...     admins: users and mappings, requests' decisions, notice templates
// Every route checks the object it names against the caller's mappings: another client's lead,
// buyer, request or figures are "not found".
#include "engine/portal.h"

#include <algorithm>
#include <map>
#include <set>

#include "api/exports.h"
#include "api/reports.h"
#include "api/router.h"
#include "config/document.h"
#include "core/hash.h"
#include "core/json_writer.h"
#include "core/text.h"
#include "core/time.h"
#include "engine/approvals.h"
#include "engine/events.h"
#include "engine/notices.h"
#include "engine/reports.h"

namespace pp::api {

namespace json = boost::json;

namespace {

constexpr std::string_view kCookie = "pp_session";

// A cookie's value from the Cookie header; empty when absent.
std::string_view cookie_value(const Request& req, std::string_view name) {
  std::string_view h = req.header("cookie");
  for (std::string_view part : split(h, ";")) {
    part = trim(part);
    const size_t eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) return part.substr(eq + 1);
  }
  return {};
}

std::optional<json::object> body_object(const Request& req, Response& err) {
  std::string e;
  auto v = config::parse(req.body, e);
  if (!v || !v->is_object()) {
    err = error_response(400, "Malformed JSON body: an object is expected");
    return std::nullopt;
  }
  return std::move(v->as_object());
}

std::string str_of(const json::object& o, std::string_view k) {
  const json::value* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

Response ok_json(int status, std::string body) { return json_response(status, std::move(body)); }

// The email that carries a password link (`password_reset` or `invitation`), as the outbox
// entries written with the link.
std::vector<storage::OutboxPut> link_notice(const engine::Snapshot& snap, UnixMs now,
                                            std::string_view name, const engine::PortalUser& u,
                                            const std::string& token) {
  const Config& cfg = snap.config();
  std::string companies;
  for (ClientId id : u.clients)
    if (const ClientConfig* c = cfg.find_client(id))
      companies += (companies.empty() ? "" : ", ") + c->company;
  engine::NoticeContext ctx(now);
  ctx.set("account", cfg.account.name)
      .set("user_email", u.email)
      .set("portal", std::string(engine::to_string(u.kind)))
      .set("companies", companies)
      .set("minutes", std::to_string(cfg.portal.reset_minutes))
      .set("days", std::to_string(cfg.portal.invite_days))
      .set("reset_url", engine::portal_base_url(cfg) + "/console/#/portal/reset?token=" + token);
  engine::EventBatch batch(cfg, now);
  if (auto d = engine::notice_email(snap, name, EventType::kApprovalDecided, 0, {}, {u.email}, ctx))
    batch.add_delivery(std::move(*d), now);
  return std::move(batch.puts());
}

// start_date / end_date (YYYY-MM-DD, inclusive) in `tz`; default the last 30 days to today.
std::optional<engine::TimeRange> date_range(const Request& req, const TimeZone& tz, UnixMs now,
                                            Response& err) {
  engine::TimeRange r;
  const std::string from = req.query_param("start_date"), to = req.query_param("end_date");
  bool date_only = false;
  UnixMs f = 0, t = 0;
  if (!from.empty() && (!parse_local_datetime(tz, from, f, date_only) || !date_only)) {
    err = error_response(400, "start_date must be YYYY-MM-DD", {{"start_date", "YYYY-MM-DD"}});
    return std::nullopt;
  }
  if (!to.empty() && (!parse_local_datetime(tz, to, t, date_only) || !date_only)) {
    err = error_response(400, "end_date must be YYYY-MM-DD", {{"end_date", "YYYY-MM-DD"}});
    return std::nullopt;
  }
  const UnixMs today = period_start(tz, CalendarPeriod::kDay, now);
  r.to_ms = to.empty() ? period_end(tz, CalendarPeriod::kDay, now)
                       : period_end(tz, CalendarPeriod::kDay, t);
  r.from_ms = from.empty() ? today - 29LL * 86400000 : f;
  if (r.from_ms >= r.to_ms) {
    err = error_response(400, "end_date must not be before start_date",
                         {{"end_date", "not before start_date"}});
    return std::nullopt;
  }
  if (r.to_ms - r.from_ms > int64_t(kMaxReportDays + 1) * 86400000) {
    err = error_response(400, "The range is longer than 400 days",
                         {{"end_date", "at most 400 days"}});
    return std::nullopt;
  }
  return r;
}

size_t limit_param(const Request& req, size_t def, size_t max, Response& err, bool& bad) {
  bad = false;
  const std::string s = req.query_param("limit");
  if (s.empty()) return def;
  auto n = parse_int(s);
  if (!n || *n < 1 || size_t(*n) > max) {
    bad = true;
    err = error_response(400, "limit must be 1 to " + std::to_string(max),
                         {{"limit", "1 to " + std::to_string(max)}});
    return 0;
  }
  return size_t(*n);
}

// A portal lead list's parameters: `campaign_id` (one of the caller's campaigns, else 404), the
// dates (date_range, in the campaign's zone) and `limit` (1 to 500, 50).
struct LeadListQuery {
  const CampaignConfig* campaign = nullptr;
  engine::TimeRange range;
  size_t limit = 50;
};
std::optional<LeadListQuery> lead_list_query(const Request& req, const Config& cfg,
                                             const std::map<CampaignId, std::set<int64_t>>& mine,
                                             UnixMs now, Response& err) {
  auto cid = parse_int(req.query_param("campaign_id"));
  if (!cid) {
    err = error_response(400, "campaign_id is required", {{"campaign_id", "required"}});
    return std::nullopt;
  }
  LeadListQuery q;
  q.campaign = mine.count(*cid) ? cfg.find_campaign(*cid) : nullptr;
  if (q.campaign == nullptr) {
    err = error_response(404, "Campaign not found");
    return std::nullopt;
  }
  auto range = date_range(req, q.campaign->tz, now, err);
  if (!range) return std::nullopt;
  q.range = *range;
  bool bad = false;
  q.limit = limit_param(req, 50, 500, err, bad);
  if (bad) return std::nullopt;
  return q;
}

// The figures (rollups, in the account's zone) of the campaigns the caller has buyers or
// suppliers in; the caller keeps only its own buyers' or suppliers' rows.
std::vector<engine::CampaignFigures> owned_figures(
    engine::Engine& engine, const Config& cfg, const std::map<CampaignId, std::set<int64_t>>& mine,
    engine::TimeRange range) {
  std::vector<const CampaignConfig*> campaigns;
  for (const auto& [cid, members] : mine) campaigns.push_back(cfg.find_campaign(cid));
  return engine::campaign_stats(engine.store(), campaigns, range, cfg.account.tz, std::nullopt);
}

// A portal API key as the API shows it (never the key itself, but at its creation).
void write_key(JsonWriter& w, const engine::PortalKeyInfo& k, const std::string* key = nullptr) {
  w.begin_object()
      .kv("id", k.id)
      .kv("name", k.name)
      .kv("prefix", k.prefix)
      .kv("created_at", format_iso_utc(k.created_ms));
  if (key) w.kv("key", *key);
  w.end_object();
}

bool hidden(const CampaignConfig& c, std::string_view field) {
  return std::find(c.buyer_hidden_fields.begin(), c.buyer_hidden_fields.end(), field) !=
         c.buyer_hidden_fields.end();
}

// A lead as its buyer sees it: what it paid, its fields without the hidden ones; nothing of the
// supplier.
void write_buyer_lead(JsonWriter& w, const Lead& l, const CampaignConfig& c, const BuyerOutcome& o,
                      bool with_fields) {
  w.begin_object()
      .kv("id", l.id)
      .kv("created_at", format_iso_utc(l.created_ms))
      .kv("campaign_id", l.campaign_id)
      .kv("buyer_id", o.buyer_id)
      .key("price")
      .value(o.sell_price)
      .kv("returned", o.returned)
      .kv("return_reason", o.return_reason)
      .kv("test", l.test);
  if (with_fields) {
    w.key("fields").begin_object();
    for (const auto& [k, v] : l.fields)
      if (!hidden(c, k)) w.kv(k, v);
    w.end_object();
  }
  w.end_object();
}

// The user's buyers (or suppliers), by campaign: what its mappings reach (archived ones left out).
template <class T>
std::map<CampaignId, std::set<int64_t>> owned(const Config& cfg, const engine::PortalUser& user,
                                              std::vector<T> CampaignConfig::*members) {
  std::map<CampaignId, std::set<int64_t>> out;
  for (const CampaignConfig& c : cfg.campaigns) {
    if (c.archived) continue;
    for (const T& m : c.*members)
      if (!m.archived && user.maps(m.client_id)) out[c.id].insert(m.id);
  }
  return out;
}

// The buyer's outcome of a lead sold to one of `buyers`, or null.
const BuyerOutcome* sold_to(const Lead& l, const std::set<int64_t>& buyers) {
  for (const BuyerOutcome& o : l.buyers)
    if (o.status == BuyerStatus::kAccepted && buyers.count(o.buyer_id)) return &o;
  return nullptr;
}

// A lead as its supplier sees it: status, its payout ("revenue"), return, every field.
void write_supplier_lead(JsonWriter& w, const Lead& l, bool with_fields) {
  w.begin_object()
      .kv("id", l.id)
      .kv("created_at", format_iso_utc(l.created_ms))
      .kv("campaign_id", l.campaign_id)
      .kv("supplier_id", l.supplier_id)
      .kv("status", to_string(l.status))
      .kv("error_message", l.error_message)
      .key("revenue")
      .value(l.status == LeadStatus::kAccepted ? l.cost : Money())
      .kv("returned", l.returned)
      .kv("return_reason", l.return_reason)
      .kv("test", l.test);
  if (with_fields) {
    w.key("fields").begin_object();
    for (const auto& [k, v] : l.fields) w.kv(k, v);
    w.end_object();
  }
  w.end_object();
}

void write_sm(JsonWriter& w, const rollup::Values& v) {
  auto at = [&](size_t i) { return i < v.size() ? v[i] : 0; };
  w.kv("leads", at(rollup::sm::kLeads))
      .kv("accepted", at(rollup::sm::kAccepted))
      .kv("net_accepted", at(rollup::sm::kAccepted) - at(rollup::sm::kReturned))
      .kv("duplicates", at(rollup::sm::kDuplicated))
      .kv("failed", at(rollup::sm::kFailed))
      .kv("returns", at(rollup::sm::kReturned))
      .key("revenue")
      .value(Money::from_units(at(rollup::sm::kCost)))
      .key("net_revenue")
      .value(Money::from_units(at(rollup::sm::kCost) - at(rollup::sm::kReturnedCost)));
}

void write_bm(JsonWriter& w, const rollup::Values& v) {
  auto at = [&](size_t i) { return i < v.size() ? v[i] : 0; };
  w.kv("leads", at(rollup::bm::kAccepted))
      .kv("returns", at(rollup::bm::kReturned))
      .kv("net_leads", at(rollup::bm::kAccepted) - at(rollup::bm::kReturned))
      .key("spend")
      .value(Money::from_units(at(rollup::bm::kRevenue)))
      .key("net_spend")
      .value(Money::from_units(at(rollup::bm::kRevenue) - at(rollup::bm::kReturnedRevenue)));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Who calls

std::optional<engine::PortalCaller> Router::portal_caller(const Request& req, Response& refused) {
  const PortalConfig& pc = engine_.snapshot()->config().portal;
  std::string_view auth = trim(req.header("authorization"));
  std::optional<engine::PortalCaller> c;
  if (starts_with_icase(auth, "bearer ")) {
    c = portal_->by_key(trim(auth.substr(7)));
  } else if (std::string_view token = cookie_value(req, kCookie); !token.empty()) {
    c = portal_->session(token, pc);
    // A change made with a session cookie carries the session's CSRF token (a page of another
    // site can send the cookie, never the token).
    if (c && req.method != "GET" && req.method != "HEAD" &&
        !constant_time_equals(std::string(trim(req.header("x-csrf-token"))), c->csrf)) {
      refused = error_response(403, "Forbidden: missing or wrong X-CSRF-Token");
      return std::nullopt;
    }
  }
  if (!c) {
    refused = error_response(401, "Unauthenticated: log in at POST /portal/login");
    return std::nullopt;
  }
  return c;
}

Response Router::portal_route(const Request& req) {
  if (portal_ == nullptr || approvals_ == nullptr) return error_response(404, "Not found");
  const std::string& p = req.path;
  auto snap = engine_.snapshot();
  const PortalConfig& pc = snap->config().portal;
  Response err;
  if (p == "/portal/login") {
    auto body = body_object(req, err);
    if (!body) return err;
    const std::string email = str_of(*body, "email"), password = str_of(*body, "password");
    if (email.empty() || password.empty() || email.size() > 254 || password.size() > 256)
      return error_response(400, "email and password are required");
    engine::PortalAccounts::Login l = portal_->login(email, password, req.remote_address, pc);
    using O = engine::PortalAccounts::LoginOutcome;
    if (l.outcome == O::kLocked) {
      Response r = error_response(429, "Too many failed logins: try again later");
      r.headers.emplace_back("Retry-After", std::to_string(std::max(1, l.retry_after_s)));
      return r;
    }
    if (l.outcome == O::kStoreError) return storage_error();
    if (l.outcome != O::kOk) return error_response(401, "Wrong email or password");
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("user").raw(engine::render_user(l.user)).kv("csrf_token", l.csrf);
    w.end_object();
    Response r = ok_json(200, std::move(out));
    r.headers.emplace_back("Set-Cookie", std::string(kCookie) + "=" + l.token +
                                             "; Path=/portal; HttpOnly; Secure; SameSite=Strict; "
                                             "Max-Age=" +
                                             std::to_string(int64_t(pc.session_hours) * 3600));
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }
  if (p == "/portal/password/forgot") {
    auto body = body_object(req, err);
    if (!body) return err;
    const std::string email = str_of(*body, "email");
    if (!engine::normalize_email(email))
      return error_response(400, "email must be an email address");
    // The same answer for every email: nobody learns which ones have an account.
    storage::Status st = portal_->request_reset(
        email, pc, [&](const engine::PortalUser& u, const std::string& token) {
          return link_notice(*snap, engine_.clock().now_ms(), "password_reset", u, token);
        });
    if (!st.ok()) return storage_error();
    return ok_json(
        202,
        R"({"status":"accepted","message":"If the email has an account, a link is on its way"})");
  }
  if (p == "/portal/password/reset") {
    auto body = body_object(req, err);
    if (!body) return err;
    bool done = false;
    std::string why;
    storage::Status st =
        portal_->reset_password(str_of(*body, "token"), str_of(*body, "password"), done, why);
    if (!st.ok()) return storage_error();
    if (!done) return error_response(400, why);
    return ok_json(200, R"({"status":"success","message":"Password changed: log in again"})");
  }
  // Everything else is a logged-in user's.
  auto caller = portal_caller(req, err);
  if (!caller) return err;
  engine::PortalUser& user = caller->user;
  // The API tokens' rate (server.rate_limits.token_per_s) per portal user: its lead scans and
  // exports run on the report threads the operators' reports share.
  if (int64_t wait_ms = engine_.rate_limiter().take("p:" + user.id, engine_.clock().now_ms(),
                                                    snap->config().server.token_rate_per_s,
                                                    snap->config().server.token_burst);
      wait_ms > 0) {
    Response r = error_response(429, "Too many requests: slow down and retry");
    r.headers.emplace_back("Retry-After", std::to_string((wait_ms + 999) / 1000));
    return r;
  }
  if (p == "/portal/logout") {
    if (!caller->session_hash.empty() && !portal_->logout(caller->session_hash).ok())
      return storage_error();
    Response r = ok_json(200, R"({"status":"success"})");
    r.headers.emplace_back("Set-Cookie", std::string(kCookie) +
                                             "=; Path=/portal; HttpOnly; Secure; SameSite=Strict; "
                                             "Max-Age=0");
    return r;
  }
  if (p == "/portal/me") {
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("user").raw(engine::render_user(user));
    if (!caller->by_key) w.kv("csrf_token", caller->csrf);
    w.key("clients").begin_array();
    for (ClientId id : user.clients) {
      const ClientConfig* c = snap->config().find_client(id);
      if (!c) continue;
      w.begin_object().kv("id", c->id).kv("company", c->company);
      if (user.kind == engine::PortalKind::kBuyer) {
        w.kv("billing_mode", to_string(c->billing.mode)).key("permissions").begin_object();
        w.kv("returns", to_string(c->portal.returns))
            .kv("pause_resume", to_string(c->portal.pause_resume))
            .kv("pricing", to_string(c->portal.pricing))
            .kv("caps", to_string(c->portal.caps))
            .kv("filters", to_string(c->portal.filters));
        w.end_object();
      }
      w.end_object();
    }
    w.end_array().end_object();
    return ok_json(200, std::move(out));
  }
  if (p == "/portal/password") {
    if (caller->by_key) return error_response(403, "Forbidden: log in to change your password");
    auto body = body_object(req, err);
    if (!body) return err;
    std::string why;
    if (!portal_
             ->change_password(user, str_of(*body, "current_password"),
                               str_of(*body, "new_password"), why)
             .ok())
      return storage_error();
    if (!why.empty()) return error_response(400, why);
    return ok_json(200, R"({"status":"success","message":"Password changed: log in again"})");
  }
  if (p == "/portal/keys" || p.rfind("/portal/keys/", 0) == 0) return portal_keys(req, user);
  if (p.rfind("/portal/buyer/", 0) == 0) {
    if (user.kind != engine::PortalKind::kBuyer)
      return error_response(403, "Forbidden: the buyer portal is for buyers' users");
    return buyer_portal(req, user);
  }
  if (p.rfind("/portal/supplier/", 0) == 0) {
    if (user.kind != engine::PortalKind::kSupplier)
      return error_response(403, "Forbidden: the supplier portal is for suppliers' users");
    return supplier_portal(req, user);
  }
  return error_response(404, "Not found");
}

Response Router::portal_keys(const Request& req, const engine::PortalUser& user) {
  if (req.path == "/portal/keys" && req.method == "GET") {
    std::vector<engine::PortalKeyInfo> keys;
    if (!portal_->list_keys(user, keys).ok()) return storage_error();
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("items").begin_array();
    for (const auto& k : keys) write_key(w, k);
    w.end_array().end_object();
    return ok_json(200, std::move(out));
  }
  if (req.path == "/portal/keys") {  // POST
    Response err;
    auto body = body_object(req, err);
    if (!body) return err;
    std::string name = str_of(*body, "name");
    if (name.empty() || name.size() > 100)
      return error_response(400, "name must be 1 to 100 characters");
    std::vector<engine::PortalKeyInfo> keys;
    if (!portal_->list_keys(user, keys).ok()) return storage_error();
    if (keys.size() >= 20) return error_response(409, "A user has at most 20 keys: revoke one");
    std::string token;
    engine::PortalKeyInfo info;
    if (!portal_->create_key(user, std::move(name), token, info).ok()) return storage_error();
    std::string out;
    JsonWriter w(out);
    write_key(w, info, &token);
    Response r = ok_json(201, std::move(out));
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }
  // DELETE /portal/keys/{id}
  bool found = false;
  if (!portal_->revoke_key(user, std::string_view(req.path).substr(13), found).ok())
    return storage_error();
  if (!found) return error_response(404, "Key not found");
  return ok_json(200, R"({"status":"success"})");
}

// ---------------------------------------------------------------------------------------------
// Buyer portal

Response Router::buyer_portal(const Request& req, const engine::PortalUser& user) {
  auto snap = engine_.snapshot();
  const Config& cfg = snap->config();
  const std::vector<std::string_view> seg = split(std::string_view(req.path).substr(14), "/");
  const std::string_view what = seg.empty() ? std::string_view() : seg[0];
  Response err;
  auto mine = owned(cfg, user, &CampaignConfig::buyers);
  if (what == "campaigns" && seg.size() == 1) {
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("items").begin_array();
    for (const auto& [cid, buyers] : mine) {
      const CampaignConfig* c = cfg.find_campaign(cid);
      w.begin_object().kv("id", c->id).kv("name", c->public_name).key("buyers").begin_array();
      for (BuyerId bid : buyers) {
        const BuyerConfig* b = c->find_buyer(bid);
        w.begin_object()
            .kv("id", b->id)
            .kv("client_id", b->client_id)
            .kv("name", b->nickname.value_or(b->name))
            .kv("status", b->paused ? "paused" : "live");
        // The buyer's settings as the configuration has them (what a change request replaces).
        const json::object* doc = config::get_entity(
            *config_->current().document, {config::EntityKind::kBuyer, c->id, b->id, {}});
        for (std::string_view k : {"price", "caps", "filters"}) {
          const json::value* v = doc ? doc->if_contains(k) : nullptr;
          w.key(k).raw(v ? config::serialize(*v) : std::string("null"));
        }
        w.end_object();
      }
      w.end_array().end_object();
    }
    w.end_array().end_object();
    return ok_json(200, std::move(out));
  }
  if (what == "leads" && seg.size() == 2) {
    auto lead = engine_.lookup_lead(seg[1]);
    if (lead.failed()) return storage_error();
    const CampaignConfig* c = lead.found() ? cfg.find_campaign(lead.value->campaign_id) : nullptr;
    const BuyerOutcome* o = nullptr;
    if (c && mine.count(c->id)) o = sold_to(*lead.value, mine[c->id]);
    if (o == nullptr) return error_response(404, "Lead not found");
    std::string out;
    JsonWriter w(out);
    write_buyer_lead(w, *lead.value, *c, *o, true);
    return ok_json(200, std::move(out));
  }
  if (what == "leads" && seg.size() == 1) {
    auto list = lead_list_query(req, cfg, mine, engine_.clock().now_ms(), err);
    if (!list) return err;
    const CampaignConfig* c = list->campaign;
    const size_t limit = list->limit;
    engine::LeadSearch q;
    q.campaign = c->id;
    q.range = list->range;
    q.status = LeadStatus::kAccepted;
    q.limit = 500;
    q.scan_budget = 50000;
    if (std::string cur = req.query_param("cursor"); !cur.empty()) {
      storage::LeadCursor at;
      if (!engine::decode_cursor(cur, at))
        return error_response(400, "cursor is not one this API gave", {{"cursor", "invalid"}});
      q.after = at;
    }
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("items").begin_array();
    size_t n = 0;
    std::optional<storage::LeadCursor> resume;  // where the next call starts
    // Pages of the campaign's sold leads, keeping the user's buyers' (bounded reads per call).
    for (int pages = 0; pages < 20; ++pages) {
      engine::LeadPage page = engine::search_leads(engine_.store(), *c, q);
      bool full = false;
      for (const Lead& l : page.leads) {
        if (const BuyerOutcome* o = sold_to(l, mine[c->id])) {
          if (n == limit) {
            full = true;
            break;
          }
          write_buyer_lead(w, l, *c, *o, true);
          ++n;
        }
        q.after = storage::LeadCursor{l.created_ms, l.id};  // examined
      }
      if (full) {
        resume = q.after;  // leads strictly older than the last one examined
        break;
      }
      resume = page.next;
      if (!page.next) break;
      q.after = page.next;
    }
    w.end_array().key("next_cursor");
    if (resume)
      w.value(engine::encode_cursor(*resume));
    else
      w.null();
    w.end_object();
    return ok_json(200, std::move(out));
  }
  if (what == "stats" && seg.size() == 1) {
    auto range = date_range(req, cfg.account.tz, engine_.clock().now_ms(), err);
    if (!range) return err;
    auto figures = owned_figures(engine_, cfg, mine, *range);
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("campaigns").begin_array();
    for (const engine::CampaignFigures& f : figures) {
      w.begin_object().kv("id", f.campaign->id).kv("name", f.campaign->public_name);
      w.key("buyers").begin_array();
      for (const engine::EntityFigures& b : f.buyers) {
        if (!mine[f.campaign->id].count(b.id)) continue;  // other buyers' figures: not shown
        w.begin_object().kv("id", b.id);
        write_bm(w, b.total);
        w.end_object();
      }
      w.end_array().end_object();
    }
    w.end_array().end_object();
    return ok_json(200, std::move(out));
  }
  if (what == "balance" && seg.size() == 1) {
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("clients").begin_array();
    for (ClientId id : user.clients) {
      const ClientConfig* c = cfg.find_client(id);
      if (!c) continue;
      const auto v = engine_.balances().view(c->id);
      w.begin_object()
          .kv("client_id", c->id)
          .kv("billing_mode", to_string(c->billing.mode))
          .key("balance")
          .value(Money::from_units(v.balance))
          .key("available")
          .value(Money::from_units(v.available()))
          .key("minimum_balance")
          .value(c->billing.minimum_balance)
          .kv("paused", c->billing.prepaid() && v.balance <= c->billing.minimum_balance.units())
          .end_object();
    }
    w.end_array().end_object();
    return ok_json(200, std::move(out));
  }
  if ((what == "pause_all" || what == "resume_all") && seg.size() == 1) {
    // One request per buyer that is not already so; each as its client's permission says.
    const bool pause = what == "pause_all";
    Response bad;
    auto body = body_object(req, bad);
    std::string reason = body ? str_of(*body, "reason") : std::string();
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("items").begin_array();
    for (const auto& [cid, buyers] : mine)
      for (BuyerId bid : buyers) {
        const BuyerConfig* b = cfg.find_campaign(cid)->find_buyer(bid);
        if (b->paused == pause) continue;
        engine::PortalRequest r;
        r.kind = pause ? engine::RequestKind::kPause : engine::RequestKind::kResume;
        r.campaign = cid;
        r.buyer = bid;
        r.reason = reason;
        engine::Approvals::Outcome o = approvals_->submit(user, std::move(r));
        w.begin_object()
            .kv("campaign_id", cid)
            .kv("buyer_id", bid)
            .kv("http_status", o.http_status);
        if (o.request)
          w.key("request").raw(engine::render_request(*o.request));
        else
          w.kv("message", o.message);
        w.end_object();
      }
    w.end_array().end_object();
    return ok_json(200, std::move(out));
  }
  if (what == "requests") return portal_requests(req, user, seg);
  if (what == "exports") return portal_exports(req, user, true, std::move(mine));
  return error_response(404, "Not found");
}

// The shapes a request's answer takes (portal and admin).
namespace {
Response request_answer(const engine::Approvals::Outcome& o) {
  if (!o.request)
    return o.details.empty() ? error_response(o.http_status, o.message)
                             : error_response(o.http_status, o.message, o.details);
  return ok_json(o.http_status, engine::render_request(*o.request));
}

Response request_list(engine::Approvals& approvals, const Request& req,
                      std::vector<ClientId> clients) {
  engine::RequestFilter f;
  f.clients = std::move(clients);
  if (std::string s = req.query_param("status"); !s.empty()) {
    engine::RequestStatus st;
    if (!engine::parse_request_status(s, st))
      return error_response(400, "status must be pending, approved, denied or cancelled",
                            {{"status", "pending, approved, denied or cancelled"}});
    f.status = st;
  }
  if (std::string s = req.query_param("kind"); !s.empty()) {
    engine::RequestKind k;
    if (!engine::parse_request_kind(s, k))
      return error_response(400, "kind must be return, pause, resume, pricing, caps or filters",
                            {{"kind", "return, pause, resume, pricing, caps or filters"}});
    f.kind = k;
  }
  if (std::string s = req.query_param("client_id"); !s.empty()) {
    auto id = parse_int(s);
    if (!id) return error_response(400, "client_id must be a client id", {{"client_id", "an id"}});
    // Within the caller's clients only (an empty list: every client, for admins).
    if (!f.clients.empty() && std::find(f.clients.begin(), f.clients.end(), *id) == f.clients.end())
      f.clients = {-1};
    else
      f.clients = {*id};
  }
  Response err;
  bool bad = false;
  f.limit = limit_param(req, 50, 500, err, bad);
  if (bad) return err;
  f.before = req.query_param("before");
  std::vector<engine::PortalRequest> out;
  bool more = false;
  if (!approvals.list(f, out, more).ok()) return storage_error();
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("items").begin_array();
  for (const auto& r : out) w.raw(engine::render_request(r));
  w.end_array().key("next_before");
  if (more && !out.empty())
    w.value(out.back().id);
  else
    w.null();
  w.end_object();
  return ok_json(200, std::move(body));
}
}  // namespace

Response Router::portal_requests(const Request& req, const engine::PortalUser& user,
                                 const std::vector<std::string_view>& seg) {
  if (seg.size() == 1 && req.method == "GET") return request_list(*approvals_, req, user.clients);
  if (seg.size() == 1) {  // POST: a new request
    Response err;
    auto body = body_object(req, err);
    if (!body) return err;
    engine::PortalRequest r;
    if (!engine::parse_request_kind(str_of(*body, "kind"), r.kind))
      return error_response(400, "kind must be return, pause, resume, pricing, caps or filters",
                            {{"kind", "return, pause, resume, pricing, caps or filters"}});
    r.campaign = config::int_of(body->if_contains("campaign_id"));
    r.buyer = config::int_of(body->if_contains("buyer_id"));
    r.lead_id = str_of(*body, "lead_id");
    r.reason = str_of(*body, "reason");
    if (const json::value* c = body->if_contains("change")) r.change = config::serialize(*c);
    const bool change_kind = r.kind == engine::RequestKind::kPricing ||
                             r.kind == engine::RequestKind::kCaps ||
                             r.kind == engine::RequestKind::kFilters;
    if (change_kind && r.change.empty()) return error_response(400, "change is required");
    return request_answer(approvals_->submit(user, std::move(r)));
  }
  // /requests/{id} and /requests/{id}/cancel: the user's own requests only.
  if (seg.size() == 2 && req.method == "GET") {
    auto r = approvals_->find(seg[1]);
    if (r.failed()) return storage_error();
    if (!r.found() || !user.maps(r.value->client)) return error_response(404, "Request not found");
    return ok_json(200, engine::render_request(*r.value));
  }
  if (seg.size() == 3 && seg[2] == "cancel")
    return request_answer(approvals_->cancel(user, seg[1]));
  return error_response(404, "Not found");
}

// ---------------------------------------------------------------------------------------------
// Supplier portal

Response Router::supplier_portal(const Request& req, const engine::PortalUser& user) {
  auto snap = engine_.snapshot();
  const Config& cfg = snap->config();
  const std::vector<std::string_view> seg = split(std::string_view(req.path).substr(17), "/");
  const std::string_view what = seg.empty() ? std::string_view() : seg[0];
  Response err;
  auto mine = owned(cfg, user, &CampaignConfig::suppliers);
  if (what == "campaigns" && seg.size() == 1) {
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("items").begin_array();
    const std::string base = engine::portal_base_url(cfg);
    for (const auto& [cid, suppliers] : mine) {
      const CampaignConfig* c = cfg.find_campaign(cid);
      w.begin_object().kv("id", c->id).kv("name", c->public_name).key("suppliers").begin_array();
      for (SupplierId sid : suppliers) {
        const SupplierConfig* s = c->find_supplier(sid);
        w.begin_object()
            .kv("id", s->id)
            .kv("client_id", s->client_id)
            .kv("name", s->nickname.value_or(s->name))
            .kv("status", s->paused ? "paused" : "live")
            .kv("api_specs_url", base + "/api-specs?hash=" + s->hash)
            .end_object();
      }
      w.end_array().end_object();
    }
    w.end_array().end_object();
    return ok_json(200, std::move(out));
  }
  if (what == "dashboard" && seg.size() == 1) {
    auto range = date_range(req, cfg.account.tz, engine_.clock().now_ms(), err);
    if (!range) return err;
    auto figures = owned_figures(engine_, cfg, mine, *range);
    std::string out;
    JsonWriter w(out);
    rollup::Values total(rollup::sm::kCount, 0);
    w.begin_object().key("campaigns").begin_array();
    for (const engine::CampaignFigures& f : figures) {
      w.begin_object().kv("id", f.campaign->id).kv("name", f.campaign->public_name);
      w.key("suppliers").begin_array();
      for (const engine::EntityFigures& s : f.suppliers) {
        if (!mine[f.campaign->id].count(s.id)) continue;  // other suppliers': not shown
        for (size_t i = 0; i < total.size() && i < s.total.size(); ++i) total[i] += s.total[i];
        w.begin_object().kv("id", s.id);
        write_sm(w, s.total);
        // By sub id (lp_subid1), from the rollups.
        auto subs = engine::supplier_stats(engine_.store(), f.campaign->id, s.id, *range,
                                           cfg.account.tz, {0});
        std::map<std::string, rollup::Values> by_sub;
        for (const auto& row : subs) {
          auto& acc = by_sub[row.subids.empty() ? std::string() : row.subids[0]];
          acc.resize(rollup::sm::kCount, 0);
          for (size_t i = 0; i < acc.size() && i < row.values.size(); ++i) acc[i] += row.values[i];
        }
        w.key("subids").begin_array();
        for (const auto& [sub, v] : by_sub) {
          w.begin_object().kv("lp_subid1", sub);
          write_sm(w, v);
          w.end_object();
        }
        w.end_array().end_object();
      }
      w.end_array().end_object();
    }
    w.end_array().key("total").begin_object();
    write_sm(w, total);
    w.end_object().end_object();
    return ok_json(200, std::move(out));
  }
  if (what == "leads" && seg.size() == 2) {
    auto lead = engine_.lookup_lead(seg[1]);
    if (lead.failed()) return storage_error();
    if (!lead.found() || !mine.count(lead.value->campaign_id) ||
        !mine[lead.value->campaign_id].count(lead.value->supplier_id))
      return error_response(404, "Lead not found");
    std::string out;
    JsonWriter w(out);
    write_supplier_lead(w, *lead.value, true);
    return ok_json(200, std::move(out));
  }
  if (what == "leads" && seg.size() == 1) {
    auto list = lead_list_query(req, cfg, mine, engine_.clock().now_ms(), err);
    if (!list) return err;
    const CampaignConfig* c = list->campaign;
    const size_t limit = list->limit;
    const std::set<int64_t>& suppliers = mine[c->id];
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("items").begin_array();
    // search: a lead id, an email, a phone, a TrustedForm certificate URL or a LeadiD token.
    const std::string search(trim(req.query_param("search")));
    if (!search.empty() && is_lead_id(search)) {
      auto lead = engine_.lookup_lead(search);
      if (lead.failed()) return storage_error();
      if (lead.found() && lead.value->campaign_id == c->id &&
          suppliers.count(lead.value->supplier_id))
        write_supplier_lead(w, *lead.value, true);
      w.end_array().key("next_cursor").null().end_object();
      return ok_json(200, std::move(out));
    }
    engine::LeadSearch q;
    q.campaign = c->id;
    q.range = list->range;
    q.limit = limit;
    if (suppliers.size() == 1) q.supplier = *suppliers.begin();
    if (std::string s = req.query_param("status"); !s.empty()) {
      if (s == "accepted")
        q.status = LeadStatus::kAccepted;
      else if (s == "duplicated")
        q.status = LeadStatus::kDuplicated;
      else if (s == "failed")
        q.status = LeadStatus::kError;
      else
        return error_response(400, "status must be accepted, duplicated or failed",
                              {{"status", "accepted, duplicated or failed"}});
    }
    if (std::string s = req.query_param("returned"); !s.empty()) q.returned = s == "true";
    if (std::string s = req.query_param("test"); !s.empty()) q.test = s == "true";
    if (!search.empty()) {
      // Which field the value is: by its shape, then the campaign's field of that kind.
      const FieldSpec* f = nullptr;
      std::string value = search;
      auto by_type = [&](FieldType t) -> const FieldSpec* {
        for (const FieldSpec& fs : c->fields)
          if (fs.type == t) return &fs;
        return nullptr;
      };
      auto by_name = [&](std::initializer_list<std::string_view> names) -> const FieldSpec* {
        for (const FieldSpec& fs : c->fields)
          for (std::string_view n : names)
            if (iequals(fs.name, n)) return &fs;
        return nullptr;
      };
      if (search.find('@') != std::string::npos) {
        f = by_type(FieldType::kEmail);
        value = to_lower(search);
      } else if (search.find("trustedform.com") != std::string::npos) {
        f = by_name({"trustedform_cert_url", "xxTrustedFormCertUrl", "trustedform"});
      } else if (std::count_if(search.begin(), search.end(), ::isdigit) >= 10 &&
                 search.find_first_not_of("0123456789+-(). ") == std::string::npos) {
        f = by_type(FieldType::kPhone);
        if (f) {
          FieldCheck chk = validate_field(*f, search);
          if (chk.ok) value = chk.value;
        }
      } else {
        f = by_name({"leadid_token", "universal_leadid", "jornaya_leadid", "leadid"});
      }
      if (f == nullptr)
        return error_response(400, "search: this campaign has no field to search for that value",
                              {{"search", "a lead id, email, phone, TrustedForm URL or LeadiD"}});
      q.field = std::pair{f->name, value};
    }
    if (std::string cur = req.query_param("cursor"); !cur.empty()) {
      storage::LeadCursor at;
      if (!engine::decode_cursor(cur, at))
        return error_response(400, "cursor is not one this API gave", {{"cursor", "invalid"}});
      q.after = at;
    }
    engine::LeadPage page = engine::search_leads(engine_.store(), *c, q);
    for (const Lead& l : page.leads)
      if (suppliers.count(l.supplier_id)) write_supplier_lead(w, l, true);
    w.end_array().key("next_cursor");
    if (page.next)
      w.value(engine::encode_cursor(*page.next));
    else
      w.null();
    w.end_object();
    return ok_json(200, std::move(out));
  }
  if (what == "exports") return portal_exports(req, user, false, std::move(mine));
  return error_response(404, "Not found");
}

// ---------------------------------------------------------------------------------------------
// Admin: users, requests, templates

Response Router::admin_portal(const Request& req, const ApiTokenConfig& token) {
  if (portal_ == nullptr || approvals_ == nullptr) return error_response(404, "Not found");
  // Portal users span clients: the account's admins' (and read tokens' for reading).
  if (!token.campaigns.empty())
    return error_response(403, "Forbidden: this token is limited to some campaigns");
  if (req.method != "GET" && token.role != Role::kAdmin)
    return error_response(403, "Forbidden: only an admin token manages the portals");
  const std::vector<std::string_view> seg = split(std::string_view(req.path).substr(14), "/");
  const std::string_view what = seg.empty() ? std::string_view() : seg[0];
  auto snap = engine_.snapshot();
  const Config& cfg = snap->config();
  Response err;
  auto check_clients = [&](const json::object& body, std::vector<ClientId>& out) -> bool {
    const json::value* cs = body.if_contains("clients");
    if (cs == nullptr) return true;
    if (!cs->is_array() || cs->as_array().size() > 100) {
      err = error_response(400, "clients must be a list of client ids", {{"clients", "ids"}});
      return false;
    }
    out.clear();
    for (const auto& v : cs->as_array()) {
      const int64_t id = config::int_of(&v);
      if (cfg.find_client(id) == nullptr) {
        err = error_response(422, "clients: unknown client " + std::to_string(id),
                             {{"clients", "unknown client " + std::to_string(id)}});
        return false;
      }
      if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
    }
    return true;
  };
  if (what == "users") {
    if (seg.size() == 1 && req.method == "GET") {
      std::vector<engine::PortalUser> users;
      if (!portal_->list_users(users).ok()) return storage_error();
      std::string out;
      JsonWriter w(out);
      w.begin_object().key("items").begin_array();
      for (const auto& u : users) w.raw(engine::render_user(u));
      w.end_array().end_object();
      return ok_json(200, std::move(out));
    }
    if (seg.size() == 1) {  // POST
      auto body = body_object(req, err);
      if (!body) return err;
      engine::PortalUser u;
      u.email = str_of(*body, "email");
      u.name = str_of(*body, "name");
      if (!engine::parse_portal_kind(str_of(*body, "kind"), u.kind))
        return error_response(400, "kind must be buyer or supplier",
                              {{"kind", "buyer or supplier"}});
      if (!check_clients(*body, u.clients)) return err;
      if (u.clients.empty())
        return error_response(400, "clients must name at least one client",
                              {{"clients", "at least one"}});
      u.updated_by = token.name;
      std::string why;
      if (!portal_->create_user(u, str_of(*body, "password"), why).ok()) return storage_error();
      if (!why.empty())
        return error_response(why.find("exists") != std::string::npos ? 409 : 400, why);
      // Without a password: an invitation, whose link lets the user choose one.
      if (u.password_hash.empty() && !invite(u).ok()) return storage_error();
      return ok_json(201, engine::render_user(u));
    }
    auto found = portal_->find_user(seg[1]);
    if (found.failed()) return storage_error();
    const bool resend = seg.size() == 3 && seg[2] == "invite";
    if (!found.found() || (seg.size() != 2 && !resend))
      return error_response(404, "User not found");
    engine::PortalUser& u = *found.value;
    if (resend) {  // POST .../invite: the invitation again (a new link; earlier ones still work)
      if (u.disabled) return error_response(409, "The user is disabled");
      if (!invite(u).ok()) return storage_error();
      return ok_json(202, R"({"status":"accepted","message":"Invitation sent"})");
    }
    if (req.method == "GET") return ok_json(200, engine::render_user(u));
    if (req.method == "DELETE") {
      if (!portal_->delete_user(u).ok()) return storage_error();
      return ok_json(200, R"({"status":"success"})");
    }
    // PATCH: name, clients, disabled, password
    auto body = body_object(req, err);
    if (!body) return err;
    bool end_sessions = false;
    if (body->contains("name")) u.name = str_of(*body, "name");
    if (body->contains("clients")) {
      std::vector<ClientId> cs = u.clients;
      if (!check_clients(*body, cs)) return err;
      if (cs.empty())
        return error_response(400, "clients must name at least one client",
                              {{"clients", "at least one"}});
      end_sessions = end_sessions || cs != u.clients;
      u.clients = cs;
    }
    if (const json::value* d = body->if_contains("disabled")) {
      if (!d->is_bool())
        return error_response(400, "disabled must be true or false", {{"disabled", "boolean"}});
      end_sessions = end_sessions || (d->as_bool() && !u.disabled);
      u.disabled = d->as_bool();
    }
    if (std::string pw = str_of(*body, "password"); !pw.empty()) {
      if (auto why = engine::PortalAccounts::password_problem(pw)) return error_response(400, *why);
      u.password_hash = portal_->hash_password(pw);
      end_sessions = true;
    }
    u.updated_by = token.name;
    if (!portal_->save_user(u, end_sessions).ok()) return storage_error();
    return ok_json(200, engine::render_user(u));
  }
  if (what == "requests") {
    if (seg.size() == 1) return request_list(*approvals_, req, {});
    if (seg.size() == 2) {
      auto r = approvals_->find(seg[1]);
      if (r.failed()) return storage_error();
      if (!r.found()) return error_response(404, "Request not found");
      return ok_json(200, engine::render_request(*r.value));
    }
    if (seg.size() == 3 && (seg[2] == "approve" || seg[2] == "deny")) {
      std::string note;
      if (!req.body.empty()) {
        auto body = body_object(req, err);
        if (!body) return err;
        note = str_of(*body, "note");
      }
      return request_answer(approvals_->decide(seg[1], seg[2] == "approve", note, token.name));
    }
    return error_response(404, "Not found");
  }
  if (what == "templates") return admin_templates(req, token, seg);
  return error_response(404, "Not found");
}

Response Router::portal_exports(const Request& req, const engine::PortalUser& user, bool buyer,
                                std::map<CampaignId, std::set<int64_t>> members) {
  if (jobs_ == nullptr) return error_response(404, "Not found");
  PortalExportScope scope;
  scope.buyer = buyer;
  scope.actor = "portal:" + user.id;
  scope.collection = buyer ? "/portal/buyer/exports" : "/portal/supplier/exports";
  scope.members = std::move(members);
  return portal_exports_route(engine_, *jobs_, req, scope);
}

storage::Status Router::invite(const engine::PortalUser& u) {
  auto snap = engine_.snapshot();
  return portal_->issue_link(u, int64_t(snap->config().portal.invite_days) * 86400000,
                             [&](const engine::PortalUser& user, const std::string& token) {
                               return link_notice(*snap, engine_.clock().now_ms(), "invitation",
                                                  user, token);
                             });
}

Response Router::admin_templates(const Request& req, const ApiTokenConfig& token,
                                 const std::vector<std::string_view>& seg) {
  auto snap = engine_.snapshot();
  const Config& cfg = snap->config();
  auto write_one = [&](JsonWriter& w, std::string_view name) {
    const NoticeTemplate* t = cfg.portal.find_template(name);
    const NoticeTemplate text = t ? *t : engine::default_notice(name);
    w.begin_object()
        .kv("name", name)
        .kv("subject", text.subject)
        .kv("body", text.body)
        .kv("is_default", t == nullptr)
        .key("tags")
        .begin_array();
    for (std::string_view tag : engine::notice_tags(name)) w.value(tag);
    w.end_array().end_object();
  };
  if (seg.size() == 1) {
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("items").begin_array();
    for (std::string_view n : kNoticeNames) write_one(w, n);
    w.end_array().end_object();
    return ok_json(200, std::move(out));
  }
  if (seg.size() != 2 || !is_notice_name(seg[1])) return error_response(404, "Template not found");
  const std::string name(seg[1]);
  if (req.method == "GET") {
    std::string out;
    JsonWriter w(out);
    write_one(w, name);
    return ok_json(200, std::move(out));
  }
  // PUT {subject, body} or DELETE (back to the built-in text): a configuration change.
  std::optional<json::object> body;
  if (req.method == "PUT") {
    Response err;
    body = body_object(req, err);
    if (!body) return err;
  }
  engine::ConfigService::Change change;
  change.ref = {config::EntityKind::kConfig, 0, 0, {}};
  change.op = req.method == "PUT" ? "replace" : "delete";
  change.actor = token.name;
  change.edit = [&](json::object& doc, config::EntityRef&) -> std::optional<engine::ChangeResult> {
    json::value& portal = doc["portal"];
    if (!portal.is_object()) portal = json::object();
    json::value& templates = portal.as_object()["templates"];
    if (!templates.is_object()) templates = json::object();
    if (body) {
      json::object t;
      t["subject"] = str_of(*body, "subject");
      t["body"] = str_of(*body, "body");
      templates.as_object()[name] = std::move(t);
    } else {
      templates.as_object().erase(name);
    }
    return std::nullopt;
  };
  engine::ChangeResult r = config_->apply(change);
  if (!r.ok()) {
    if (r.http_status == 500) return error_response(503, "Could not store the change; retry");
    return error_response(r.http_status == 400 ? 422 : r.http_status, r.message, r.details);
  }
  std::string out;
  JsonWriter w(out);
  auto now = engine_.snapshot();
  const NoticeTemplate* t = now->config().portal.find_template(name);
  const NoticeTemplate text = t ? *t : engine::default_notice(name);
  w.begin_object()
      .kv("name", name)
      .kv("subject", text.subject)
      .kv("body", text.body)
      .kv("is_default", t == nullptr)
      .kv("version", int64_t(r.version))
      .end_object();
  return ok_json(200, std::move(out));
}

}  // namespace pp::api
