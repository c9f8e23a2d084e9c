#include "engine/approvals.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "config/document.h"
#include "core/enum_names.h"
#include "core/ids.h"
#include "core/json_writer.h"
#include "engine/config_service.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "engine/jobs.h"
#include "engine/notices.h"

namespace pp::engine {

namespace json = boost::json;
namespace asio = boost::asio;

namespace {

constexpr std::string_view kRequest = "portal/request/";

constexpr EnumNames<RequestKind, 6> kKinds{{
    {RequestKind::kReturn, "return"},
    {RequestKind::kPause, "pause"},
    {RequestKind::kResume, "resume"},
    {RequestKind::kPricing, "pricing"},
    {RequestKind::kCaps, "caps"},
    {RequestKind::kFilters, "filters"},
}};
constexpr EnumNames<RequestStatus, 4> kStatuses{{
    {RequestStatus::kPending, "pending"},
    {RequestStatus::kApproved, "approved"},
    {RequestStatus::kDenied, "denied"},
    {RequestStatus::kCancelled, "cancelled"},
}};

Approvals::Outcome refusal(int status, std::string message) {
  Approvals::Outcome o;
  o.http_status = status;
  o.message = std::move(message);
  return o;
}

// The configuration member a change request sets on the buyer.
std::string_view member_of(RequestKind k) {
  return k == RequestKind::kPricing ? "price" : k == RequestKind::kCaps ? "caps" : "filters";
}

PortalGrant grant_of(const ClientConfig& c, RequestKind k) {
  switch (k) {
    case RequestKind::kReturn:
      return c.portal.returns;
    case RequestKind::kPause:
    case RequestKind::kResume:
      return c.portal.pause_resume;
    case RequestKind::kPricing:
      return c.portal.pricing;
    case RequestKind::kCaps:
      return c.portal.caps;
    case RequestKind::kFilters:
      return c.portal.filters;
  }
  return PortalGrant::kOff;
}

// Every "field" a filter names (conditions nest in all/any/not groups).
void fields_named(const json::value& v, std::vector<std::string>& out) {
  if (v.is_object()) {
    for (const auto& kv : v.as_object()) {
      if (kv.key() == "field" && kv.value().is_string())
        out.emplace_back(kv.value().as_string());
      else
        fields_named(kv.value(), out);
    }
  } else if (v.is_array()) {
    for (const auto& e : v.as_array()) fields_named(e, out);
  }
}

std::string summary_of(const PortalRequest& r) {
  const std::string b =
      "buyer " + std::to_string(r.buyer) + " in campaign " + std::to_string(r.campaign);
  switch (r.kind) {
    case RequestKind::kReturn:
      return "return lead " + r.lead_id;
    case RequestKind::kPause:
      return "pause " + b;
    case RequestKind::kResume:
      return "resume " + b;
    case RequestKind::kPricing:
      return "change the price of " + b;
    case RequestKind::kCaps:
      return "change the caps of " + b;
    case RequestKind::kFilters:
      return "change the filters of " + b;
  }
  return {};
}

std::string request_record(const PortalRequest& r) {
  json::object o;
  o["id"] = r.id;
  o["client"] = r.client;
  o["user_id"] = r.user_id;
  o["user_email"] = r.user_email;
  o["kind"] = to_string(r.kind);
  o["status"] = to_string(r.status);
  o["campaign"] = r.campaign;
  o["buyer"] = r.buyer;
  o["lead_id"] = r.lead_id;
  o["reason"] = r.reason;
  o["change"] = r.change;
  o["auto"] = r.auto_approved;
  o["created_ms"] = r.created_ms;
  o["decided_ms"] = r.decided_ms;
  o["decided_by"] = r.decided_by;
  o["note"] = r.note;
  o["result"] = r.result;
  return json::serialize(o);
}

std::optional<PortalRequest> parse_request(std::string_view text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.as_object();
  auto str = [&](std::string_view k) { return param_string(o, k); };
  auto num = [&](std::string_view k) { return param_int(o, k); };
  PortalRequest r;
  r.id = str("id");
  r.client = num("client");
  r.user_id = str("user_id");
  r.user_email = str("user_email");
  if (!parse_request_kind(str("kind"), r.kind) || !parse_request_status(str("status"), r.status))
    return std::nullopt;
  r.campaign = num("campaign");
  r.buyer = num("buyer");
  r.lead_id = str("lead_id");
  r.reason = str("reason");
  r.change = str("change");
  r.auto_approved = config::flag_of(o, "auto");
  r.created_ms = num("created_ms");
  r.decided_ms = num("decided_ms");
  r.decided_by = str("decided_by");
  r.note = str("note");
  r.result = str("result");
  return r;
}

}  // namespace

std::string_view to_string(RequestKind k) { return enum_name(kKinds, k); }
bool parse_request_kind(std::string_view s, RequestKind& out) { return parse_enum(kKinds, s, out); }
std::string_view to_string(RequestStatus s) { return enum_name(kStatuses, s); }
bool parse_request_status(std::string_view s, RequestStatus& out) {
  return parse_enum(kStatuses, s, out);
}

std::string render_request(const PortalRequest& r) {
  std::string out;
  JsonWriter w(out);
  w.begin_object()
      .kv("id", r.id)
      .kv("kind", to_string(r.kind))
      .kv("status", to_string(r.status))
      .kv("client_id", r.client)
      .kv("user_id", r.user_id)
      .kv("user_email", r.user_email)
      .kv("campaign_id", r.campaign)
      .kv("buyer_id", r.buyer);
  if (!r.lead_id.empty()) w.kv("lead_id", r.lead_id);
  w.kv("reason", r.reason).kv("summary", summary_of(r));
  if (!r.change.empty()) w.key("change").raw(r.change);
  w.kv("auto_approved", r.auto_approved).kv("created_at", r.created_ms);
  if (r.status != RequestStatus::kPending)
    w.kv("decided_at", r.decided_ms).kv("decided_by", r.decided_by);
  w.kv("note", r.note).kv("result", r.result).end_object();
  return out;
}

Approvals::Approvals(Engine& engine, ConfigService& config) : engine_(engine), config_(config) {}

storage::Read<PortalRequest> Approvals::find(std::string_view id) {
  storage::Read<PortalRequest> r;
  if (!id.starts_with("req_") || id.size() != 24) return r;
  auto text = engine_.store().get_state(std::string(kRequest) + std::string(id));
  if (!text) return r;
  r.value = parse_request(*text);
  if (!r.value) r.status = {storage::Status::Code::kCorrupt, "portal request unreadable"};
  return r;
}

storage::Status Approvals::list(const RequestFilter& f, std::vector<PortalRequest>& out,
                                bool& more) {
  more = false;
  size_t examined = 0;
  return engine_.store().scan_state(kRequest, true, [&](std::string_view key, std::string_view v) {
    if (++examined > 200000) {
      more = true;
      return false;
    }
    std::string_view id = key.substr(kRequest.size());
    if (!f.before.empty() && id >= f.before) return true;
    auto r = parse_request(v);
    if (!r) return true;
    if (f.status && r->status != *f.status) return true;
    if (f.kind && r->kind != *f.kind) return true;
    if (!f.clients.empty() &&
        std::find(f.clients.begin(), f.clients.end(), r->client) == f.clients.end())
      return true;
    if (out.size() == f.limit) {
      more = true;
      return false;
    }
    out.push_back(std::move(*r));
    return true;
  });
}

std::optional<Approvals::Outcome> Approvals::check(const PortalUser& user, PortalRequest& r) {
  if (user.kind != PortalKind::kBuyer) return refusal(403, "Forbidden: a buyer portal request");
  const SnapshotPtr snap = engine_.snapshot();
  const Config& cfg = snap->config();
  if (r.kind == RequestKind::kReturn) {
    if (!is_lead_id(r.lead_id)) return refusal(404, "Lead not found");
    storage::Read<Lead> lead = engine_.lookup_lead(r.lead_id);
    if (lead.failed()) return refusal(503, "Could not read the lead; retry");
    const BuyerOutcome* sold = nullptr;
    if (lead.found())
      for (const BuyerOutcome& o : lead.value->buyers)
        if (o.status == BuyerStatus::kAccepted) {
          const CampaignConfig* c = cfg.find_campaign(lead.value->campaign_id);
          const BuyerConfig* b = c ? c->find_buyer(o.buyer_id) : nullptr;
          if (b && user.maps(b->client_id)) sold = &o;
        }
    // Another client's lead is not found (object-level check).
    if (sold == nullptr) return refusal(404, "Lead not found");
    const CampaignConfig* c = cfg.find_campaign(lead.value->campaign_id);
    r.campaign = lead.value->campaign_id;
    r.buyer = sold->buyer_id;
    r.client = c->find_buyer(sold->buyer_id)->client_id;
    if (lead.value->returned) return refusal(409, "Lead was already returned");
    if (r.reason.empty()) return refusal(400, "reason is required");
  } else {
    const CampaignConfig* c = cfg.find_campaign(r.campaign);
    const BuyerConfig* b = c && !c->archived ? c->find_buyer(r.buyer) : nullptr;
    if (b == nullptr || b->archived || !user.maps(b->client_id))
      return refusal(404, "Buyer not found");
    r.client = b->client_id;
    if (r.kind == RequestKind::kPause && b->paused) return refusal(409, "Buyer is already paused");
    if (r.kind == RequestKind::kResume && !b->paused) return refusal(409, "Buyer is already live");
  }
  const ClientConfig* client = cfg.find_client(r.client);
  if (client == nullptr || grant_of(*client, r.kind) == PortalGrant::kOff)
    return refusal(403, "Forbidden: this account's permission for " +
                            std::string(to_string(r.kind)) + " requests is off");
  if (r.kind == RequestKind::kPricing || r.kind == RequestKind::kCaps ||
      r.kind == RequestKind::kFilters) {
    std::string err;
    auto change = config::parse(r.change, err);
    if (!change) return refusal(400, "change: " + err);
    const std::string_view member = member_of(r.kind);
    if (r.kind == RequestKind::kPricing) {
      const json::value* type =
          change->is_object() ? change->as_object().if_contains("type") : nullptr;
      if (!type || !type->is_string() ||
          (type->as_string() != "static" && type->as_string() != "conditional"))
        return refusal(400, "change: a price is static or conditional");
    } else if (r.kind == RequestKind::kCaps ? !change->is_object() : !change->is_array()) {
      return refusal(
          400, std::string("change: ") +
                   (r.kind == RequestKind::kCaps ? "caps are an object" : "filters are an array"));
    }
    // A buyer filters on the fields it sees: never on one hidden from it.
    const CampaignConfig* c = cfg.find_campaign(r.campaign);
    std::vector<std::string> named;
    fields_named(*change, named);
    for (const std::string& n : named)
      if (std::find(c->buyer_hidden_fields.begin(), c->buyer_hidden_fields.end(), n) !=
          c->buyer_hidden_fields.end())
        return refusal(400, "change: unknown field '" + n + "'");
    r.change = config::serialize(*change);
    // Validated whole now, as the configuration it would make (and again when approved).
    ConfigState now = config_.current();
    json::object doc = *now.document;
    config::EntityRef ref{config::EntityKind::kBuyer, r.campaign, r.buyer, {}};
    const json::object* b = config::get_entity(doc, ref);
    if (b == nullptr) return refusal(404, "Buyer not found");
    json::value next = *b;
    next.as_object()[member] = std::move(*change);
    config::set_entity(doc, ref, &next);
    ChangeResult problems;
    if (!config_.trial(doc, ref, problems)) {
      Outcome o = refusal(422, "The change is not a valid " + std::string(member));
      o.details = std::move(problems.details);
      return o;
    }
  }
  return std::nullopt;
}

std::optional<Approvals::Outcome> Approvals::apply(PortalRequest& r) {
  if (r.kind == RequestKind::kReturn) {
    asio::io_context ioc;
    auto guard = asio::make_work_guard(ioc);
    Engine::ReturnResult result = Engine::ReturnResult::kFailed;
    asio::co_spawn(ioc, engine_.return_lead(r.lead_id, "portal: " + r.reason),
                   [&](std::exception_ptr e, Engine::ReturnResult got) {
                     result = e ? Engine::ReturnResult::kFailed : got;
                     guard.reset();
                   });
    ioc.run();
    switch (result) {
      case Engine::ReturnResult::kDone:
        r.result = "returned";
        return std::nullopt;
      case Engine::ReturnResult::kRefused: {
        // Already returned (perhaps by this request before a crash): done either way.
        auto lead = engine_.lookup_lead(r.lead_id);
        if (lead.found() && lead.value->returned) {
          r.result = "already returned";
          return std::nullopt;
        }
        return refusal(409, "This lead cannot be returned (shared)");
      }
      case Engine::ReturnResult::kNotSold:
      case Engine::ReturnResult::kNotFound:
        return refusal(409, "This lead cannot be returned");
      case Engine::ReturnResult::kFailed:
      case Engine::ReturnResult::kUnreadable:
        return refusal(503, "Could not store the return; retry");
    }
    return refusal(500, "Internal error");
  }
  ConfigService::Change change;
  change.ref = {config::EntityKind::kBuyer, r.campaign, r.buyer, {}};
  change.op = r.kind == RequestKind::kPause    ? "pause"
              : r.kind == RequestKind::kResume ? "resume"
                                               : "patch";
  // The user's id, not its email: the change log's actor is logged (no personal data in logs).
  change.actor = "portal:" + r.user_id;
  const RequestKind kind = r.kind;
  const std::string text = r.change;
  change.edit = [&](json::object& doc, config::EntityRef& ref) -> std::optional<ChangeResult> {
    const json::object* b = config::get_entity(doc, ref);
    if (b == nullptr) {
      ChangeResult gone;
      gone.http_status = 404;
      gone.message = "Buyer not found";
      return gone;
    }
    json::value next = *b;
    if (kind == RequestKind::kPause || kind == RequestKind::kResume) {
      next.as_object()["paused"] = kind == RequestKind::kPause;
    } else {
      std::string err;
      auto v = config::parse(text, err);
      next.as_object()[member_of(kind)] = v ? std::move(*v) : json::value();
    }
    config::set_entity(doc, ref, &next);
    return std::nullopt;
  };
  ChangeResult done = config_.apply(change);
  if (!done.ok()) {
    Outcome o = refusal(done.http_status == 500   ? 503
                        : done.http_status == 400 ? 422
                                                  : done.http_status,
                        done.message.empty() ? "The change cannot be made" : done.message);
    o.details = std::move(done.details);
    return o;
  }
  r.result = "configuration version " + std::to_string(done.version);
  return std::nullopt;
}

storage::Status Approvals::record(const PortalRequest& r, bool credited, int64_t credit_units) {
  const SnapshotPtr snap = engine_.snapshot();
  const Config& cfg = snap->config();
  const UnixMs now = engine_.clock().now_ms();
  EventBatch events(cfg, now);
  const bool pending = r.status == RequestStatus::kPending;
  const EventType e = pending ? EventType::kApprovalRequested : EventType::kApprovalDecided;
  const std::string data = render_request(r);
  events.add(e, r.campaign, r.lead_id, data);
  const ClientConfig* client = cfg.find_client(r.client);
  const std::string base = portal_base_url(cfg);
  NoticeContext ctx(now);
  ctx.set("account", cfg.account.name)
      .set("request_id", r.id)
      .set("kind", std::string(to_string(r.kind)))
      .set("summary", summary_of(r))
      .set("status", std::string(to_string(r.status)))
      .set("note", r.note)
      .set("reason", r.reason)
      .set("client_id", std::to_string(r.client))
      .set("client_company", client ? client->company : std::string())
      .set("user_email", r.user_email)
      .set("campaign_id", std::to_string(r.campaign))
      .set("buyer_id", std::to_string(r.buyer))
      .set("lead_id", r.lead_id)
      .set("review_url", base + "/admin/portal/requests/" + r.id)
      .set("portal_url", base + "/portal/buyer/requests/" + r.id)
      .set("amount", Money::from_units(credit_units).to_string())
      .set("currency", cfg.account.currency);
  auto add_email = [&](std::string_view name, EventType type, std::vector<std::string> to) {
    if (auto d = notice_email(*snap, name, type, r.campaign, r.lead_id, to, ctx))
      events.add_delivery(std::move(*d), now);
  };
  if (pending) {
    add_email("approval_requested", e, cfg.portal.admin_emails);
  } else if (!r.auto_approved || r.status != RequestStatus::kApproved) {
    if (r.status != RequestStatus::kCancelled) add_email("approval_decided", e, {r.user_email});
  }
  if (credited && client != nullptr)
    add_email("return_credited", EventType::kLeadReturned, {client->email});
  return engine_.store().write_state({{std::string(kRequest) + r.id, request_record(r)}},
                                     events.puts());
}

Approvals::Outcome Approvals::submit(const PortalUser& user, PortalRequest r) {
  if (r.reason.size() > 500) return refusal(400, "reason is longer than 500 characters");
  if (r.change.size() > 65536) return refusal(413, "change is larger than 64 KiB");
  if (auto refused = check(user, r)) return *refused;
  const UnixMs now = engine_.clock().now_ms();
  r.id = "req_" + thread_id_generator().lead_id(now);
  r.user_id = user.id;
  r.user_email = user.email;
  r.created_ms = now;
  r.status = RequestStatus::kPending;
  const SnapshotPtr snap = engine_.snapshot();
  const ClientConfig* client = snap->config().find_client(r.client);
  Outcome o;
  if (client && grant_of(*client, r.kind) == PortalGrant::kAuto) {
    std::lock_guard lk(mu_);
    int64_t credit = 0;
    const bool is_return = r.kind == RequestKind::kReturn;
    if (auto refused = apply(r)) return *refused;
    if (is_return) credit = credited_units(r);
    r.status = RequestStatus::kApproved;
    r.auto_approved = true;
    r.decided_ms = engine_.clock().now_ms();
    r.decided_by = user.email;
    storage::Status st = record(r, credit > 0, credit);
    if (!st.ok()) return refusal(503, "Applied, but the request could not be recorded; retry");
    o.http_status = 200;
  } else {
    storage::Status st = record(r, false, 0);
    if (!st.ok()) return refusal(503, "Could not store the request; retry");
    o.http_status = 201;
  }
  o.request = std::move(r);
  return o;
}

Approvals::Outcome Approvals::cancel(const PortalUser& user, std::string_view id) {
  std::lock_guard lk(mu_);
  storage::Read<PortalRequest> found = find(id);
  if (found.failed()) return refusal(503, "Could not read the request; retry");
  // Someone else's request is not found (object-level check).
  if (!found.found() || found.value->user_id != user.id) return refusal(404, "Request not found");
  PortalRequest& r = *found.value;
  if (r.status != RequestStatus::kPending)
    return refusal(409, "Request is " + std::string(to_string(r.status)));
  r.status = RequestStatus::kCancelled;
  r.decided_ms = engine_.clock().now_ms();
  r.decided_by = user.email;
  if (!record(r, false, 0).ok()) return refusal(503, "Could not store the request; retry");
  Outcome o;
  o.request = std::move(r);
  return o;
}

Approvals::Outcome Approvals::decide(std::string_view id, bool approve, std::string note,
                                     const std::string& actor) {
  if (note.size() > 1000) return refusal(400, "note is longer than 1000 characters");
  std::lock_guard lk(mu_);
  storage::Read<PortalRequest> found = find(id);
  if (found.failed()) return refusal(503, "Could not read the request; retry");
  if (!found.found()) return refusal(404, "Request not found");
  PortalRequest& r = *found.value;
  if (r.status != RequestStatus::kPending)
    return refusal(409, "Request is " + std::string(to_string(r.status)));
  int64_t credit = 0;
  if (approve) {
    if (auto refused = apply(r)) return *refused;
    if (r.kind == RequestKind::kReturn) credit = credited_units(r);
  }
  r.status = approve ? RequestStatus::kApproved : RequestStatus::kDenied;
  r.decided_ms = engine_.clock().now_ms();
  r.decided_by = actor;
  r.note = std::move(note);
  if (!record(r, credit > 0, credit).ok())
    return refusal(503, "Could not store the decision; retry");
  Outcome o;
  o.request = std::move(r);
  return o;
}

int64_t Approvals::credited_units(const PortalRequest& r) {
  // What the return credited: the price the sale charged a prepaid client (0 otherwise).
  auto lead = engine_.lookup_lead(r.lead_id);
  if (!lead.found()) return 0;
  for (const BuyerOutcome& o : lead.value->buyers)
    if (o.buyer_id == r.buyer && o.returned && o.charged_client != 0) return o.sell_price.units();
  return 0;
}

}  // namespace pp::engine
